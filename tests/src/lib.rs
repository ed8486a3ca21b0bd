//! Shared test support for every crate of the workspace: cause chains, a seeded proptest
//! configuration and loopback helpers.
//!
//! Crates use it as a dev-dependency (`tgauth-tests.workspace = true`). Its normal dependencies
//! include no crate of the workspace, so depending on it never builds a second copy of the
//! crate under test; the end-to-end tests in `tests/tests/` reach the crates through `tgauth`,
//! a dev-dependency of this package.

use std::net::SocketAddr;

/// An error and its whole `source()` chain, one cause per line:
/// `outer\n  caused by: inner\n  caused by: innermost`.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str("\n  caused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Proptest's configuration: `cases` cases from a fixed seed, so that every run checks the same
/// cases and a failure reproduces; nothing is persisted (tests are hermetic). A crate whose
/// regressions are committed passes its own persistence on top.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest_config_with_seed(cases, 0x7467_6175_7468)
}

/// [`proptest_config`] with another fixed seed, for suites that want their own case stream.
pub fn proptest_config_with_seed(cases: u32, seed: u64) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Whether a missing test server must fail the suite instead of skipping it: under `.ci/run`
/// (which exports `TGAUTH_REQUIRE_SERVICES=1`), or when `CI` is set to anything but empty, `0`
/// or `false`.
pub fn services_required() -> bool {
    let truthy = |var: &str| {
        std::env::var(var).is_ok_and(|value| {
            let value = value.trim();
            !value.is_empty() && value != "0" && !value.eq_ignore_ascii_case("false")
        })
    };
    truthy("TGAUTH_REQUIRE_SERVICES") || truthy("CI")
}

/// The URL of a test server from the environment variable `var` (`TGAUTH_TEST_POSTGRES_URL`,
/// `TGAUTH_TEST_REDIS_URL`), or `None` after saying on stderr that `test` skips. When
/// [`services_required`], a missing server fails the test instead.
pub fn service_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !services_required(),
                "{test}: {var} is not set, and CI requires the server (.ci/run starts it)"
            );
            // Written to stderr directly: the harness captures `eprintln!` of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped: {var} is not set (run .ci/run, or source .ci/services.sh)"
            );
            None
        }
    }
}

/// A loopback address with a port the OS picks: never a fixed port a parallel test could hold.
pub fn any_loopback_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Loopback HTTP: serving a router on a fresh port and a client that talks to it.
#[cfg(feature = "http")]
pub mod http {
    use std::net::SocketAddr;

    /// A server started by [`serve`]: its address, and a task that ends with the test's runtime.
    #[derive(Debug)]
    pub struct Served {
        /// Where it listens (`127.0.0.1:<port>`).
        pub addr: SocketAddr,
        /// The server task; abort it to stop serving early.
        pub task: tokio::task::JoinHandle<()>,
    }

    impl Served {
        /// `http://127.0.0.1:<port>` with `path` appended.
        pub fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }
    }

    /// Serves `router` on a fresh loopback port until the runtime ends.
    pub async fn serve(router: axum::Router) -> std::io::Result<Served> {
        let listener = tokio::net::TcpListener::bind(super::any_loopback_port()).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // A test server's failure surfaces as the requests it fails to answer.
            let _ = axum::serve(listener, router).await;
        });
        Ok(Served { addr, task })
    }

    /// A reqwest client for loopback servers: no proxy from the environment, no redirects
    /// followed (tests look at the redirect itself).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner;

    #[test]
    fn cause_chain_lists_every_source() {
        assert_eq!(cause_chain(&Outer(Inner)), "outer\n  caused by: inner");
        assert_eq!(cause_chain(&Inner), "inner");
    }
}
