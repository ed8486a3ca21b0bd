//! Integration tests of bot-api-client: parsing real Bot API JSON, error classification, token
//! redaction, retries, polling, webhooks and downloads against a loopback HTTP stub.

// Tests fail loudly on broken fixtures; panicking on them is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod download;
mod errors;
mod methods;
mod parsing;
mod polling;
mod redaction;
mod retries;
mod stub;
mod webhook;
