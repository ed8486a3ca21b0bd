//! The `tgauth` program as a user runs it: arguments in, stdout, stderr and exit codes out.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod link;
mod login;
mod passport;
mod sandbox;
mod version;
