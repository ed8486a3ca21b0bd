//! A typed async Telegram Bot API client with at-least-once update delivery.
//!
//! - [`types`]: the Bot API types this toolkit needs, tolerant of unknown fields and kinds.
//! - [`error`]: Telegram's errors kept losslessly and classified.
//! - [`client`]: the client, its retry policy and file downloads; the token never leaves it.
//! - [`polling`]: `getUpdates` as a stream whose offset advances only past acknowledged updates.
//! - [`webhook`]: parsing webhook bodies and checking the secret header.

pub mod client;
pub mod error;
pub mod polling;
pub mod types;
pub mod webhook;
