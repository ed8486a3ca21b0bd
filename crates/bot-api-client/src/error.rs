//! Bot API errors (`error_code`, `description`, `parameters`) kept losslessly and classified,
//! apart from transport and decode failures.
//!
//! No error here holds a `reqwest::Error` or a URL with the bot token: transport failures are
//! mapped to a [`TransportKind`] and a message sanitized by the client before they are built.

use serde_json::Value;
use std::time::Duration;

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
    pub migrate_to_chat_id: Option<i64>,
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
        let migrate_to_chat_id = parameter("migrate_to_chat_id").and_then(Value::as_i64);
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
            400 => ApiErrorKind::BadRequest,
            500..=599 => ApiErrorKind::ServerError,
            _ if self.retry_after.is_some() => ApiErrorKind::RetryAfter,
            _ => ApiErrorKind::Other,
        }
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

/// Every error of this crate.
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
    /// A bot token that does not have the shape `<bot id>:<secret>`.
    #[error("the bot token does not have the shape <digits>:<30-64 characters of A-Z a-z 0-9 _ ->")]
    InvalidToken,
    /// A webhook secret token outside Telegram's 1-256 characters of `A-Z a-z 0-9 _ -`.
    #[error("the webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ -")]
    InvalidSecretToken,
    /// The base URL cannot carry Bot API paths.
    #[error("invalid base url {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
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
