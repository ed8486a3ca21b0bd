//! Integration tests of the sandbox over real HTTP on loopback, with plain reqwest as the client.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod arbitrary;
mod buttons;
mod client_types;
mod common;
mod control;
mod control_client;
mod control_guard;
mod envelope;
mod faults;
mod files;
mod layering;
mod login;
mod passport;
mod phone;
mod polling;
mod ptb;
mod restart;
mod secrets;
mod webhook;
