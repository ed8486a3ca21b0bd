//! What [`Error`](crate::Error) carries: Telegram's errors (`error_code`, `description`,
//! `parameters`) kept losslessly and classified, and the kinds of transport failure.
//!
//! No error here holds a `reqwest::Error` or a URL with the bot token: transport failures are
//! mapped to a [`TransportKind`] and a message sanitized by the client before they are built.

use serde_json::Value;
use std::time::Duration;
use tgauth_core::ChatId;

/// An error returned by Telegram: the `ok: false` envelope, kept losslessly.
///
/// `#[non_exhaustive]` so that a field Telegram adds later can be added here without breaking
/// anyone; build one with [`ApiError::new`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// Telegram's `error_code` (an HTTP-like status).
    pub error_code: i64,
    /// Telegram's human-readable `description`.
    pub description: String,
    /// `parameters.retry_after`: seconds to wait before repeating the request (flood control).
    pub retry_after: Option<u64>,
    /// `parameters.migrate_to_chat_id`: the group moved to this supergroup id.
    pub migrate_to_chat_id: Option<ChatId>,
    /// The whole `parameters` object as received, including fields this crate does not know.
    pub parameters: Option<Value>,
}

/// The class of an [`ApiError`], for deciding what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 429: flood control; repeat after `retry_after` seconds.
    RetryAfter,
    /// The group was upgraded to a supergroup; repeat with `migrate_to_chat_id`.
    Migrated,
    /// 401: the token is wrong or revoked; nothing will work until it is replaced.
    Unauthorized,
    /// 403: the bot was blocked, kicked, or may not act in this chat.
    Forbidden,
    /// 409: another `getUpdates` poller runs, or a webhook is set while polling.
    Conflict,
    /// 404: unknown method (usually a wrong token path or base URL).
    NotFound,
    /// 400 "message is not modified": an edit that would leave the message as it is (the
    /// same text and keyboard again). The message already shows what was asked, so a caller
    /// that repeats an edit (a redelivered update) can treat it as success.
    NotModified,
    /// 400: the request was malformed or refers to something that does not exist.
    BadRequest,
    /// 5xx: Telegram's side failed; idempotent calls may be repeated.
    ServerError,
    /// Any other code.
    Other,
}

impl ApiError {
    /// An error from its envelope fields; `retry_after` and `migrate_to_chat_id` are read from
    /// `parameters` (ignored when not a non-negative integer and an integer respectively).
    pub fn new(error_code: i64, description: impl Into<String>, parameters: Option<Value>) -> Self {
        let parameter = |name: &str| parameters.as_ref().and_then(|p| p.get(name));
        let retry_after = parameter("retry_after").and_then(Value::as_u64);
        let migrate_to_chat_id = parameter("migrate_to_chat_id")
            .and_then(Value::as_i64)
            .map(ChatId);
        Self {
            error_code,
            description: description.into(),
            retry_after,
            migrate_to_chat_id,
            parameters,
        }
    }

    /// Classifies this error.
    pub fn kind(&self) -> ApiErrorKind {
        if self.migrate_to_chat_id.is_some() {
            return ApiErrorKind::Migrated;
        }
        match self.error_code {
            429 => ApiErrorKind::RetryAfter,
            401 => ApiErrorKind::Unauthorized,
            403 => ApiErrorKind::Forbidden,
            409 => ApiErrorKind::Conflict,
            404 => ApiErrorKind::NotFound,
            400 if self.is_not_modified() => ApiErrorKind::NotModified,
            400 => ApiErrorKind::BadRequest,
            500..=599 => ApiErrorKind::ServerError,
            _ if self.retry_after.is_some() => ApiErrorKind::RetryAfter,
            _ => ApiErrorKind::Other,
        }
    }

    /// Whether this is Telegram's 400 "message is not modified", the answer to an edit that
    /// changes nothing ([`ApiErrorKind::NotModified`]). Telegram words it
    /// `Bad Request: message is not modified: specified new message content and reply markup
    /// are exactly the same as a current content and reply markup of the message`; the
    /// description is the only place that says so.
    pub fn is_not_modified(&self) -> bool {
        const NOT_MODIFIED: &str = "message is not modified";
        self.error_code == 400 && self.description.to_ascii_lowercase().contains(NOT_MODIFIED)
    }

    /// `retry_after` as a duration.
    pub fn retry_after_duration(&self) -> Option<Duration> {
        self.retry_after.map(Duration::from_secs)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "telegram answered {}: {}",
            self.error_code, self.description
        )?;
        if let Some(seconds) = self.retry_after {
            write!(f, " (retry after {seconds} s)")?;
        }
        if let Some(chat) = self.migrate_to_chat_id {
            write!(f, " (migrated to chat {chat})")?;
        }
        Ok(())
    }
}

/// How a request failed below the Bot API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be established: the request provably never reached the server.
    Connect,
    /// The request or an idle download timed out; it may or may not have been processed.
    Timeout,
    /// The connection failed after it was established (dropped, reset, protocol error); the
    /// request may have been processed.
    Request,
    /// Reading the response body failed.
    Body,
    /// Anything else (a redirect loop, a builder error).
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Request => "request",
            Self::Body => "body",
            Self::Other => "other",
        })
    }
}
