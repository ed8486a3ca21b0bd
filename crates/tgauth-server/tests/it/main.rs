//! `tgauth serve` over loopback HTTP against the in-process sandbox (sandbox mode, SQLite in a
//! temporary data directory): browser logins and sessions, the website's API with API keys,
//! linking through the bot with both confirmations, notifications from the outbox.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bot;
mod doctor;
mod events;
mod flows;
mod logins;
mod openapi;
mod pages;
mod passport;
mod provider;
mod provider_rp;
mod replicas;
mod support;
