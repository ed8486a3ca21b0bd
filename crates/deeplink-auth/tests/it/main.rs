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

/// Returns the URL of a test server from `var`, or `None` after printing why the suite skips.
/// With `CI=true` a missing server fails the test instead.
#[allow(dead_code, reason = "used only by the server-backed suites")]
pub(crate) fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!(
                    "{test}: {var} is not set, and CI=true requires the server (.ci/run starts it)"
                );
            }
            eprintln!("{test}: skipped: {var} is not set (run .ci/run, or export it)");
            None
        }
    }
}
