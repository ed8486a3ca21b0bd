//! Integration tests of `passport-types`: serde round trips against the exact Bot API JSON and
//! real Passport data, the spec's scope rules, the request link, and parsers fed arbitrary bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that meets unexpected input should fail loudly at that line"
)]

mod decrypted;
mod element;
mod errors;
mod fuzz;
mod real_data;
mod received;
mod request;
mod scope;

/// Reads a fixture from `tests/it/data/`.
fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}
