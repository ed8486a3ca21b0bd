//! Integration tests of login-widget: known-answer vectors, real-world strings, property tests.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
#[cfg(feature = "axum")]
mod extract;
mod oidc;
#[cfg(feature = "oidc-client")]
mod oidc_client;
mod webapp;
mod widget;

use login_widget::tgauth_core::UnixTime;

/// `secs` after the Unix epoch.
pub(crate) fn at(secs: i64) -> UnixTime {
    UnixTime(secs)
}

/// A vector file of `tests/it/vectors/`, parsed.
pub(crate) fn vectors(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/it/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("vector file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("vector JSON");
    assert!(
        file["provenance"].as_str().is_some_and(|p| !p.is_empty()),
        "{name} states its provenance"
    );
    file
}
