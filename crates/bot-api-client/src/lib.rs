//! A typed async Telegram Bot API client with at-least-once update delivery.
//!
//! It covers what an identity service needs from the Bot API: `getMe`, long polling, webhooks,
//! `sendMessage` and `editMessageText` with inline keyboards (including login buttons),
//! `answerCallbackQuery`, `getChat`, file downloads and `setPassportDataErrors`. Three properties
//! set it apart:
//!
//! - **The token never leaks.** The [`tgauth_core::BotToken`] shows only the bot id in `Debug`
//!   and `Display`; transport errors are rebuilt without URLs, and anything token-shaped is cut
//!   from error messages and from the `Debug` of the builder, file paths and webhook URLs (a
//!   local Bot API server puts the token in file paths); redirects are not followed; no
//!   `reqwest::Error` crosses the API.
//! - **Errors are lossless.** [`error::ApiError`] keeps `error_code`, `description` and
//!   `parameters` and classifies them ([`error::ApiErrorKind`]); transport and decode failures
//!   are separate variants of [`Error`], decode errors with the raw body. Answers are read up to
//!   a size limit ([`ClientBuilder::response_limit`]).
//! - **Updates are confirmed only once handled.** [`polling::Updates`] advances the offset past
//!   acknowledged updates only, so a failed handler or a crash leads to redelivery, not loss;
//!   an update that fails [`max_attempts`](polling::PollingConfig::max_attempts) times comes
//!   out once more as a [`polling::DeadLetter`] instead of holding every later update back.
//!
//! Paths: the client ([`Client`], [`ClientBuilder`], [`RetryPolicy`] and its [`Jitter`]) and
//! [`Error`] are at the root; everything else is in a module:
//!
//! - [`requests`]: the parameters of the Bot API methods ([`requests::SendMessage`],
//!   [`requests::EditMessageText`], ...).
//! - [`types`]: the Bot API types this toolkit needs, tolerant of unknown fields and kinds.
//! - [`error`]: Telegram's errors kept losslessly and classified, and the transport failures.
//! - [`polling`]: `getUpdates` as a stream whose offset advances only past acknowledged updates.
//! - [`webhook`]: parsing webhook bodies and checking the secret header (an axum handler with
//!   the `axum` feature).
//! - [`tgauth_core`]: the shared vocabulary ([`BotToken`](tgauth_core::BotToken),
//!   [`UserId`](tgauth_core::UserId), [`ChatId`](tgauth_core::ChatId), clocks), re-exported so
//!   that its version always matches this crate's.
//!
//! # Example
//!
//! ```
//! use bot_api_client::tgauth_core::BotToken;
//! use bot_api_client::types::UpdateKind;
//! use bot_api_client::{Client, RetryPolicy};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
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
//! use bot_api_client::Client;
//! use bot_api_client::polling::{Event, FileOffsetStore, Poller};
//! use bot_api_client::tgauth_core::BotToken;
//! use futures_util::StreamExt;
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?)?;
//! let mut updates = Poller::new(client)
//!     .offset_store(Arc::new(FileOffsetStore::new("bot.offset")))
//!     .start()?;
//! while let Some(event) = updates.next().await {
//!     match event? { // only 401 and 409 end the stream with an error
//!         Event::Delivery(delivery) => {
//!             if handle(&delivery.update).await {
//!                 delivery.ack(); // confirmed with the next getUpdates (ack_durably().await?
//!                                 // also writes the offset store first, for exactly-once
//!                                 // across crashes)
//!             } else {
//!                 delivery.nack(); // delivered again, up to PollingConfig::max_attempts
//!             }
//!         }
//!         Event::DeadLetter(dead) => {
//!             // Failed max_attempts times: it is not delivered again. Keep it for a person to
//!             // look at; dropping `dead` lets the offset move past it.
//!             record(&dead.update, dead.attempts()).await;
//!             dead.ack_durably().await?;
//!         }
//!         _ => {} // `Event` is non-exhaustive
//!     }
//! #   break;
//! }
//! updates.shutdown().await?; // confirms what was acknowledged
//! # Ok(())
//! # }
//! # async fn handle(_: &bot_api_client::types::Update) -> bool { true }
//! # async fn record(_: &bot_api_client::types::Update, _: u32) {}
//! ```
//!
//! # Crate features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `axum` | off | `webhook::router`: an axum endpoint that awaits the handler and answers non-2xx on failure |

mod client;
mod download;
pub mod error;
mod methods;
pub mod polling;
mod redact;
pub mod requests;
mod retry;
mod transport;
pub mod types;
pub mod webhook;

pub use client::{Client, ClientBuilder};
pub use retry::{Jitter, RetryPolicy};
pub use tgauth_core;

use error::{ApiError, ApiErrorKind, TransportKind};

/// Every error of this crate's operations. Messages hold no bot token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Telegram answered `ok: false`.
    #[error("{method}: {error}")]
    Api {
        /// The Bot API method called.
        method: &'static str,
        /// The error, kept losslessly.
        error: ApiError,
    },
    /// The request failed below the Bot API; the message holds no token.
    #[error("{method}: {kind} error: {message}")]
    Transport {
        /// The Bot API method called (or `download`).
        method: &'static str,
        /// What failed.
        kind: TransportKind,
        /// A description with every URL and token removed.
        message: String,
    },
    /// The answer was not a Bot API envelope of the expected shape.
    #[error("{method}: could not decode the answer (http status {status}): {message}")]
    Decode {
        /// The Bot API method called.
        method: &'static str,
        /// The HTTP status of the answer.
        status: u16,
        /// What did not parse.
        message: String,
        /// The raw body as received (lossy UTF-8, token removed).
        body: String,
    },
    /// The answer to a method call was larger than the response limit; the rest was not read.
    #[error("{method}: the answer is larger than the response limit of {limit} bytes")]
    ResponseTooLarge {
        /// The Bot API method called.
        method: &'static str,
        /// The limit in bytes ([`ClientBuilder::response_limit`]).
        limit: usize,
    },
    /// A webhook secret token outside Telegram's 1-256 characters of `A-Z a-z 0-9 _ -`.
    #[error("the webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ -")]
    InvalidSecretToken,
    /// The base URL cannot carry Bot API paths.
    #[error("invalid base url {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given, with anything token-shaped and the bot's token removed.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A file is larger than the download limit.
    #[error(
        "file is larger than the download limit of {limit} bytes{}",
        size.map(|size| format!(" ({size} bytes)")).unwrap_or_default()
    )]
    FileTooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The announced size, when known before downloading.
        size: Option<u64>,
    },
    /// `getFile` returned no `file_path` (the file is not downloadable yet or any more).
    #[error("file {file_id} has no file_path to download")]
    NoFilePath {
        /// The file's id.
        file_id: String,
    },
    /// A local-mode `file_path` outside this bot's directory of the local Bot API server
    /// (`<dir>/<token>/...`), or with a `..` component; the path is not quoted (it holds the
    /// token).
    #[error("local file path refused: {reason}")]
    LocalPathRefused {
        /// Why it was refused.
        reason: &'static str,
    },
    /// Writing a downloaded file, or reading a local-mode file, failed.
    #[error("file i/o failed: {message}")]
    FileIo {
        /// The I/O error, without paths that hold the token.
        message: String,
    },
    /// The persisted polling offset could not be loaded or saved.
    #[error("offset store failed: {message}")]
    OffsetStore {
        /// What failed.
        message: String,
    },
    /// A webhook body that is not an update.
    #[error("webhook body is not an update: {message}")]
    WebhookBody {
        /// What did not parse.
        message: String,
    },
}

impl Error {
    /// The Bot API error, when Telegram answered `ok: false`.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The class of the Bot API error, when Telegram answered `ok: false`.
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        self.api().map(ApiError::kind)
    }

    /// The transport failure's kind, when the request failed below the Bot API.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            Self::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}
