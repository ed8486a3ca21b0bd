//! Integration tests of deeplink-auth: one conformance suite run against every store backend,
//! plus the parsing and signing properties.

// Test code: a failed expectation should stop the test with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[cfg(any(
    feature = "memory",
    feature = "sqlite",
    feature = "postgres",
    feature = "redis"
))]
mod conformance;
#[cfg(all(feature = "memory", feature = "sqlite"))]
mod differential;
mod errors;
#[cfg(any(
    feature = "memory",
    feature = "sqlite",
    feature = "postgres",
    feature = "redis"
))]
mod login;
mod properties;

#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

/// Whether a missing server (or `redis-server` binary) must fail the suite instead of skipping
/// it: under `.ci/run` (which exports `TGAUTH_REQUIRE_SERVICES=1`), or when `CI` is set to
/// anything but empty, `0` or `false` (runners set `CI=true`, some `CI=1`).
#[allow(dead_code, reason = "used only by the server-backed suites")]
pub(crate) fn servers_required() -> bool {
    let truthy = |var: &str| {
        std::env::var(var).is_ok_and(|value| {
            let value = value.trim();
            !value.is_empty() && value != "0" && !value.eq_ignore_ascii_case("false")
        })
    };
    truthy("TGAUTH_REQUIRE_SERVICES") || truthy("CI")
}

/// Returns the URL of a test server from `var`, or `None` after printing why the suite skips.
/// When [`servers_required`], a missing server fails the test instead.
#[allow(dead_code, reason = "used only by the server-backed suites")]
pub(crate) fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !servers_required(),
                "{test}: {var} is not set, and CI requires the server (.ci/run starts it)"
            );
            skip(&format!(
                "{test}: skipped: {var} is not set (run .ci/run, or export it)"
            ));
            None
        }
    }
}

/// Says that a test skipped, visibly: written to the process's stderr directly, because the
/// test harness captures `eprintln!` of passing tests and the reason would never show.
#[allow(dead_code, reason = "used only by the server-backed suites")]
pub(crate) fn skip(message: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Proptest's configuration for this crate: the workspace's fixed-seed configuration with this
/// suite's own seed (the one its cases were always drawn from).
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    tgauth_tests::proptest_config_with_seed(cases, 0x7467_6175_7468_0006)
}
