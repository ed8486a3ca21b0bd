//! A typed async Telegram Bot API client with at-least-once update delivery.
//!
//! It covers what an identity service needs from the Bot API: `getMe`, long polling, webhooks,
//! `sendMessage` with inline keyboards (including login buttons), file downloads and
//! `setPassportDataErrors`. Three properties set it apart:
//!
//! - **The token never leaks.** [`client::BotToken`] shows only the bot id in `Debug` and
//!   `Display`; transport errors are rebuilt without URLs, and anything token-shaped is cut from
//!   error messages and from the `Debug` of file paths and webhook URLs (a local Bot API server
//!   puts the token in file paths); redirects are not followed; no `reqwest::Error` crosses the
//!   API.
//! - **Errors are lossless.** [`error::ApiError`] keeps `error_code`, `description` and
//!   `parameters` and classifies them ([`error::ApiErrorKind`]); transport and decode failures
//!   are separate variants, decode errors with the raw body.
//! - **Updates are confirmed only once handled.** [`polling::Updates`] advances the offset past
//!   acknowledged updates only, so a failed handler or a crash leads to redelivery, not loss.
//!
//! Modules:
//!
//! - [`types`]: the Bot API types this toolkit needs, tolerant of unknown fields and kinds.
//! - [`error`]: Telegram's errors kept losslessly and classified.
//! - [`client`]: the client, its retry policy and file downloads; the token never leaves it.
//! - [`polling`]: `getUpdates` as a stream whose offset advances only past acknowledged updates.
//! - [`webhook`]: parsing webhook bodies and checking the secret header (an axum handler with
//!   the `axum` feature).
//!
//! # Example
//!
//! ```
//! use bot_api_client::client::{BotToken, Client, RetryPolicy};
//! use bot_api_client::types::UpdateKind;
//!
//! # fn main() -> Result<(), bot_api_client::error::Error> {
//! let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
//! assert_eq!(format!("{token:?}"), "BotToken(123456:<redacted>)");
//!
//! // A local Bot API server or the sandbox; the cloud API is the default.
//! let client = Client::builder(token)
//!     .base_url("http://127.0.0.1:8081")
//!     .retry_policy(RetryPolicy::default().max_retries(3))
//!     .build()?;
//! assert!(!format!("{client:?}").contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
//!
//! // A webhook body (or one element of a getUpdates answer).
//! let update = bot_api_client::webhook::parse_update(br#"{"update_id": 7, "message": {
//!     "message_id": 1, "date": 1700000000, "text": "/start abc",
//!     "chat": {"id": 42, "type": "private", "first_name": "Ada"},
//!     "from": {"id": 42, "is_bot": false, "first_name": "Ada"}}}"#)?;
//! assert!(matches!(update.kind, UpdateKind::Message(_)));
//! assert_eq!(update.message().and_then(|m| m.text.as_deref()), Some("/start abc"));
//! # Ok(())
//! # }
//! ```
//!
//! Polling with acknowledgement (not run here: it needs a server):
//!
//! ```no_run
//! use bot_api_client::client::{BotToken, Client};
//! use bot_api_client::polling::{FileOffsetStore, Poller};
//! use futures_util::StreamExt;
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), bot_api_client::error::Error> {
//! let client = Client::new(BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?)?;
//! let mut updates = Poller::new(client)
//!     .offset_store(Arc::new(FileOffsetStore::new("bot.offset")))
//!     .start()?;
//! while let Some(delivery) = updates.next().await {
//!     let delivery = delivery?; // 401 and 409 end the stream with an error
//!     if handle(&delivery.update).await {
//!         delivery.ack(); // confirmed with the next getUpdates (ack_durably().await? also
//!                         // writes the offset store first, for exactly-once across crashes)
//!     } else {
//!         delivery.nack(); // delivered again
//!     }
//! #   break;
//! }
//! updates.shutdown().await?; // confirms what was acknowledged
//! # Ok(())
//! # }
//! # async fn handle(_: &bot_api_client::types::Update) -> bool { true }
//! ```
//!
//! # Crate features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `axum` | off | `webhook::router`: an axum endpoint that awaits the handler and answers non-2xx on failure |

pub mod client;
pub mod error;
pub mod polling;
mod redact;
pub mod types;
pub mod webhook;
