//! The client: typed methods, retries on 429/5xx, downloads with an idle timeout and a size limit.
//!
//! The bot token lives only inside [`BotToken`] and the request URLs built from it. Every
//! transport failure is rebuilt as [`Error::Transport`] from a message with the URL stripped and
//! any remaining occurrence of the token replaced, so no error, log line or `Debug` output of
//! this crate contains it.

use crate::error::{ApiError, ApiErrorKind, Error, TransportKind};
use crate::redact::REDACTED;
use crate::types::{
    ChatId, File, InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity, ParseMode,
    Update, User, WebhookInfo,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The cloud Bot API.
pub const CLOUD_BASE_URL: &str = "https://api.telegram.org";

/// The cloud Bot API's download limit: 20 MB.
pub const DEFAULT_DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

/// The longest long-poll timeout Telegram honours, in seconds.
pub const MAX_POLL_TIMEOUT_SECONDS: u32 = 50;

/// A bot token, `<bot id>:<secret>`. Its `Debug` and `Display` show only the bot id; it is
/// wiped from memory on drop and compared in constant time.
#[derive(Clone)]
pub struct BotToken {
    token: String,
    bot_id: u64,
}

impl BotToken {
    /// Checks the shape `<digits>:<30-64 characters of A-Z a-z 0-9 _ ->` (real tokens have 35).
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        let mut token = token.into();
        let bot_id = token.split_once(':').and_then(|(id, secret)| {
            let id_ok = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
            let secret_ok = (30..=64).contains(&secret.len())
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if id_ok && secret_ok {
                id.parse().ok()
            } else {
                None
            }
        });
        match bot_id {
            Some(bot_id) => Ok(Self { token, bot_id }),
            None => {
                // A rejected token may still be a real one with a typo: wipe it too.
                zeroize::Zeroize::zeroize(&mut token);
                Err(Error::InvalidToken)
            }
        }
    }

    /// The bot's user id: the part before the colon, which is public.
    pub fn bot_id(&self) -> u64 {
        self.bot_id
    }

    /// The whole token. Handle with care: it grants full control of the bot.
    pub fn dangerous_expose(&self) -> &str {
        &self.token
    }

    fn secret(&self) -> &str {
        self.token.split_once(':').map_or("", |(_, secret)| secret)
    }

    /// Replaces every occurrence of the token (or its secret part), every `/bot<...>/` path
    /// segment and everything else shaped like a token in `text`.
    pub(crate) fn sanitize(&self, text: &str) -> String {
        let text = text.replace(&self.token, REDACTED);
        let secret = self.secret();
        let text = if secret.is_empty() {
            text
        } else {
            text.replace(secret, REDACTED)
        };
        crate::redact::redact(&text)
    }
}

impl PartialEq for BotToken {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.token.as_bytes().ct_eq(other.token.as_bytes()))
    }
}

impl Eq for BotToken {}

impl Drop for BotToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }
}

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BotToken({}:{REDACTED})", self.bot_id)
    }
}

impl std::fmt::Display for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{REDACTED}", self.bot_id)
    }
}

/// When the client repeats a failed call, and how long it waits.
///
/// - 429: always repeated after `retry_after`, cut to [`max_retry_after`](Self::max_retry_after)
///   (a cut wait may meet another 429, which counts as another attempt), plus up to a tenth of
///   jitter.
/// - 5xx, timeouts and dropped connections: repeated only for idempotent calls, with jittered
///   exponential backoff.
/// - Connection failures (the request never reached the server): repeated for every call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts after the first; 0 disables retries.
    pub max_retries: u32,
    /// Backoff before the first retry; doubled on each further one.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// The longest wait honoured for a 429's `retry_after`.
    pub max_retry_after: Duration,
    /// Seed of the jitter; `None` draws one per client. Tests fix it for reproducible delays.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            jitter_seed: None,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`max_retries`](Self::max_retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the backoff range.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Sets [`jitter_seed`](Self::jitter_seed).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// The backoff before retry number `attempt` (0-based), jittered into `[half, full]`.
    pub(crate) fn backoff_delay(&self, attempt: u32, jitter: &Jitter) -> Duration {
        exponential(self.initial_backoff, self.max_backoff, attempt, jitter)
    }

    /// Whether `error` is worth repeating, and after how long.
    pub fn delay_for(
        &self,
        error: &Error,
        idempotent: bool,
        attempt: u32,
        jitter: &Jitter,
    ) -> Option<Duration> {
        let backoff = || Some(self.backoff_delay(attempt, jitter));
        match error {
            Error::Api { error, .. } => match error.kind() {
                ApiErrorKind::RetryAfter => match error.retry_after_duration() {
                    // Up to a tenth more, so that tasks stopped by the same flood wait do not
                    // all come back at the same instant and meet the next 429 together.
                    Some(wait) => {
                        let wait = wait.min(self.max_retry_after);
                        Some(wait.saturating_add(wait.mul_f64(0.1 * jitter.unit())))
                    }
                    None => backoff(),
                },
                ApiErrorKind::ServerError if idempotent => backoff(),
                _ => None,
            },
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            } => backoff(),
            Error::Transport {
                kind: TransportKind::Other,
                ..
            } => None,
            Error::Transport { .. } if idempotent => backoff(),
            Error::Decode { status, .. } if idempotent && *status >= 500 => backoff(),
            _ => None,
        }
    }
}

/// `initial * 2^attempt`, capped at `max`, then jittered into `[half, full]`.
pub(crate) fn exponential(
    initial: Duration,
    max: Duration,
    attempt: u32,
    jitter: &Jitter,
) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    let full = initial.saturating_mul(factor).min(max);
    let half = full / 2;
    half.saturating_add(half.mul_f64(jitter.unit()))
}

/// A small seeded generator (SplitMix64) for backoff jitter: no cryptographic strength needed,
/// only de-synchronized clients and reproducible tests.
#[derive(Debug)]
pub struct Jitter {
    state: AtomicU64,
}

impl Jitter {
    /// A generator from `seed`, or from a per-process random seed.
    pub fn new(seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        Self {
            state: AtomicU64::new(seed),
        }
    }

    /// A uniform value in `[0, 1)`.
    pub fn unit(&self) -> f64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits fill an f64 mantissa exactly.
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Whether a call may be repeated after it possibly reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating it has no further effect (reads, setting a state).
    Idempotent,
    /// Repeating it may act twice (sending a message): repeated only on 429 or when the request
    /// provably never reached the server.
    NotIdempotent,
}

/// Configures a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    token: BotToken,
    base_url: String,
    local_mode: bool,
    request_timeout: Duration,
    connect_timeout: Duration,
    download_idle_timeout: Duration,
    download_limit: u64,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// The Bot API server: [`CLOUD_BASE_URL`] by default, a local Bot API server, or the sandbox.
    /// Methods are called at `<base_url>/bot<token>/<method>`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Declares a local Bot API server in `--local` mode: `getFile` returns absolute paths on
    /// this machine (`<dir>/<token>/<kind>/<file>`), which downloads read directly, only inside
    /// the bot's `<token>` directory.
    pub fn local_mode(mut self, local: bool) -> Self {
        self.local_mode = local;
        self
    }

    /// Timeout of ordinary calls (30 s by default). `getUpdates` gets its long-poll timeout on
    /// top of it, so a long poll never times out before Telegram answers.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (10 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a download may receive nothing before it fails (30 s by default). There is no
    /// total timeout: a slow but steady download of a large file completes.
    pub fn download_idle_timeout(mut self, timeout: Duration) -> Self {
        self.download_idle_timeout = timeout;
        self
    }

    /// The largest file a download accepts, in bytes ([`DEFAULT_DOWNLOAD_LIMIT`] by default).
    pub fn download_limit(mut self, bytes: u64) -> Self {
        self.download_limit = bytes;
        self
    }

    /// The retry policy ([`RetryPolicy::default`] by default).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let invalid = |reason| Error::InvalidBaseUrl {
            url: base_url.clone(),
            reason,
        };
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(invalid("the scheme must be http or https"));
        }
        if base_url.contains(['?', '#']) {
            return Err(invalid("a query or fragment cannot carry Bot API paths"));
        }
        // A common mistake is a base URL ending in `/bot<token>`: it would double the path and
        // put the token in `Client`'s `Debug`. Refused, with the token cut out of the error.
        if self.token.sanitize(&base_url) != base_url {
            return Err(Error::InvalidBaseUrl {
                url: self.token.sanitize(&base_url),
                reason: "the base url must not hold the token: methods are called at <base url>/bot<token>/<method>",
            });
        }
        // Redirects are refused: Telegram never redirects, and following one would carry the
        // token-bearing path to another host.
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()
            .map_err(|_| invalid("the HTTP client could not be built"))?;
        let api_prefix = format!("{base_url}/bot{}/", self.token.dangerous_expose());
        let file_prefix = format!("{base_url}/file/bot{}/", self.token.dangerous_expose());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                jitter: Jitter::new(self.retry.jitter_seed),
                token: self.token,
                base_url,
                api_prefix,
                file_prefix,
                local_mode: self.local_mode,
                request_timeout: self.request_timeout,
                download_idle_timeout: self.download_idle_timeout,
                download_limit: self.download_limit,
                retry: self.retry,
            }),
        })
    }
}

/// A Bot API client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    jitter: Jitter,
    token: BotToken,
    base_url: String,
    api_prefix: String,
    file_prefix: String,
    local_mode: bool,
    request_timeout: Duration,
    download_idle_timeout: Duration,
    download_limit: u64,
    retry: RetryPolicy,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The prefixes embed the token; the token itself wipes on its own drop.
        zeroize::Zeroize::zeroize(&mut self.api_prefix);
        zeroize::Zeroize::zeroize(&mut self.file_prefix);
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("token", &self.inner.token)
            .field("base_url", &self.inner.base_url)
            .field("local_mode", &self.inner.local_mode)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope<R> {
    ok: bool,
    result: Option<R>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

impl<R> Envelope<R> {
    fn into_api_error(self, status: u16) -> ApiError {
        ApiError::new(
            self.error_code.unwrap_or(i64::from(status)),
            self.description.unwrap_or_default(),
            self.parameters,
        )
    }
}

#[derive(Serialize)]
struct NoParameters {}

impl Client {
    /// A client for the cloud Bot API with default settings.
    pub fn new(token: BotToken) -> Result<Self, Error> {
        Self::builder(token).build()
    }

    /// A builder starting from the defaults.
    pub fn builder(token: BotToken) -> ClientBuilder {
        ClientBuilder {
            token,
            base_url: CLOUD_BASE_URL.to_owned(),
            local_mode: false,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            download_idle_timeout: Duration::from_secs(30),
            download_limit: DEFAULT_DOWNLOAD_LIMIT,
            retry: RetryPolicy::default(),
        }
    }

    /// The bot's token (redacted in `Debug`).
    pub fn token(&self) -> &BotToken {
        &self.inner.token
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Replaces the token in `text`, for messages built from foreign errors.
    pub(crate) fn sanitize(&self, text: &str) -> String {
        self.inner.token.sanitize(text)
    }

    /// [`sanitize`](Self::sanitize) on every string (keys included) of a JSON value.
    fn sanitize_value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = self.sanitize(text),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| self.sanitize_value(item));
            }
            serde_json::Value::Object(object) => {
                let entries = std::mem::take(object);
                for (key, mut item) in entries {
                    self.sanitize_value(&mut item);
                    object.insert(self.sanitize(&key), item);
                }
            }
            _ => {}
        }
    }

    fn transport_error(&self, method: &'static str, error: reqwest::Error) -> Error {
        let kind = if error.is_connect() {
            TransportKind::Connect
        } else if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_body() || error.is_decode() {
            TransportKind::Body
        } else if error.is_request() {
            TransportKind::Request
        } else {
            TransportKind::Other
        };
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Transport {
            method,
            kind,
            message: self.sanitize(&message),
        }
    }

    /// Calls any Bot API method with JSON parameters, with the client's retry policy.
    ///
    /// The typed methods are built on this; use it for methods this crate does not wrap.
    pub async fn call<P, R>(
        &self,
        method: &'static str,
        parameters: &P,
        idempotency: Idempotency,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let timeout = self.inner.request_timeout;
        self.call_with_timeout(method, parameters, idempotency, timeout, None)
            .await
    }

    async fn call_with_timeout<P, R>(
        &self,
        method: &'static str,
        parameters: &P,
        idempotency: Idempotency,
        timeout: Duration,
        fallback: Option<Fallback<R>>,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let body = serde_json::to_vec(parameters).map_err(|e| Error::Decode {
            method,
            status: 0,
            message: format!("parameters do not serialize: {e}"),
            body: String::new(),
        })?;
        let idempotent = idempotency == Idempotency::Idempotent;
        let mut attempt = 0;
        loop {
            let error = match self
                .call_once(method, body.clone(), timeout, fallback)
                .await
            {
                Ok(result) => return Ok(result),
                Err(error) => error,
            };
            let policy = &self.inner.retry;
            let delay = (attempt < policy.max_retries)
                .then(|| policy.delay_for(&error, idempotent, attempt, &self.inner.jitter))
                .flatten();
            let Some(delay) = delay else {
                tracing::debug!(method, attempt, error = %error, "bot api call failed");
                return Err(error);
            };
            tracing::debug!(method, attempt, ?delay, error = %error, "bot api call failed, retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn call_once<R: DeserializeOwned>(
        &self,
        method: &'static str,
        body: Vec<u8>,
        timeout: Duration,
        fallback: Option<Fallback<R>>,
    ) -> Result<R, Error> {
        let url = format!("{}{method}", self.inner.api_prefix);
        let response = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(method, e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(method, e))?;
        match self.decode(method, status, &bytes) {
            Err(error @ Error::Decode { .. }) => {
                fallback.and_then(|lenient| lenient(&bytes)).ok_or(error)
            }
            other => other,
        }
    }

    fn decode<R: DeserializeOwned>(
        &self,
        method: &'static str,
        status: u16,
        bytes: &[u8],
    ) -> Result<R, Error> {
        let decode_error = |message: String| Error::Decode {
            method,
            status,
            message: self.sanitize(&message),
            body: self.sanitize(&String::from_utf8_lossy(bytes)),
        };
        let envelope: Envelope<R> =
            serde_json::from_slice(bytes).map_err(|e| decode_error(e.to_string()))?;
        if envelope.ok {
            return envelope
                .result
                .ok_or_else(|| decode_error("ok answer without result".to_owned()));
        }
        let mut error = envelope.into_api_error(status);
        error.description = self.sanitize(&error.description);
        if let Some(parameters) = &mut error.parameters {
            self.sanitize_value(parameters);
        }
        Err(Error::Api { method, error })
    }

    /// `getMe`: the bot's own user.
    pub async fn me(&self) -> Result<User, Error> {
        self.call("getMe", &NoParameters {}, Idempotency::Idempotent)
            .await
    }

    /// `getUpdates`: a long poll. The request timeout is the poll's `timeout` plus the client's
    /// request timeout.
    pub async fn updates(&self, request: &GetUpdates) -> Result<Vec<Update>, Error> {
        let poll = Duration::from_secs(u64::from(request.timeout.unwrap_or(0)));
        self.call_with_timeout(
            "getUpdates",
            request,
            Idempotency::Idempotent,
            poll.saturating_add(self.inner.request_timeout),
            Some(lenient_updates),
        )
        .await
    }

    /// `setWebhook`.
    pub async fn set_webhook(&self, request: &SetWebhook) -> Result<bool, Error> {
        self.call("setWebhook", request, Idempotency::Idempotent)
            .await
    }

    /// `deleteWebhook`; with `drop_pending_updates` the queued updates are discarded.
    pub async fn delete_webhook(&self, drop_pending_updates: bool) -> Result<bool, Error> {
        #[derive(Serialize)]
        struct DeleteWebhook {
            drop_pending_updates: bool,
        }
        self.call(
            "deleteWebhook",
            &DeleteWebhook {
                drop_pending_updates,
            },
            Idempotency::Idempotent,
        )
        .await
    }

    /// `getWebhookInfo`.
    pub async fn webhook_info(&self) -> Result<WebhookInfo, Error> {
        self.call("getWebhookInfo", &NoParameters {}, Idempotency::Idempotent)
            .await
    }

    /// `sendMessage`. Repeated only on 429 or when the request never reached the server, so a
    /// message is never sent twice by a retry.
    pub async fn send_message(&self, request: &SendMessage) -> Result<Message, Error> {
        self.call("sendMessage", request, Idempotency::NotIdempotent)
            .await
    }

    /// `getFile`: prepares a file for download.
    pub async fn file(&self, file_id: &str) -> Result<File, Error> {
        #[derive(Serialize)]
        struct GetFile<'a> {
            file_id: &'a str,
        }
        self.call("getFile", &GetFile { file_id }, Idempotency::Idempotent)
            .await
    }

    /// `setPassportDataErrors`: tells the user which Passport elements must be fixed; they
    /// cannot re-submit the passport until the errors are resolved.
    pub async fn set_passport_data_errors(
        &self,
        user_id: i64,
        errors: &[passport_types::errors::PassportElementError],
    ) -> Result<bool, Error> {
        #[derive(Serialize)]
        struct SetPassportDataErrors<'a> {
            user_id: i64,
            errors: &'a [passport_types::errors::PassportElementError],
        }
        let parameters = SetPassportDataErrors { user_id, errors };
        self.call(
            "setPassportDataErrors",
            &parameters,
            Idempotency::Idempotent,
        )
        .await
    }

    /// `getFile` then [`download_file`](Self::download_file).
    pub async fn download_file_by_id<W>(&self, file_id: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let file = self.file(file_id).await?;
        self.download_file(&file, writer).await
    }

    /// Streams a file prepared by [`file`](Self::file) into `writer` and returns its length.
    ///
    /// Fails with [`Error::FileTooLarge`] past the download limit, and with a
    /// [`TransportKind::Timeout`] when nothing arrives for the idle timeout; there is no total
    /// timeout. Downloads are not retried: `writer` may already hold part of the file. The limit
    /// holds however the size is announced: `file_size` and `Content-Length` refuse a file early,
    /// and the bytes are counted as they arrive, so a missing or lying length changes nothing.
    ///
    /// In local mode an absolute `file_path` is read from this machine's disk. It must lie in
    /// the bot's `<dir>/<token>/` directory of the local server, as every path its `getFile`
    /// returns does, and have no `..` component ([`Error::LocalPathRefused`] otherwise), so a
    /// [`File`] built from other input cannot read arbitrary files.
    pub async fn download_file<W>(&self, file: &File, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        const METHOD: &str = "download";
        let path = file.file_path.as_deref().ok_or_else(|| Error::NoFilePath {
            file_id: file.file_id.clone(),
        })?;
        let limit = self.inner.download_limit;
        if let Some(size) = file.file_size
            && size > limit
        {
            return Err(Error::FileTooLarge {
                limit,
                size: Some(size),
            });
        }
        if self.inner.local_mode && path.starts_with('/') {
            self.check_local_path(path)?;
            let source = tokio::fs::File::open(path)
                .await
                .map_err(|e| self.file_io(&e))?;
            return self.copy_local(source, writer).await;
        }
        let idle = self.inner.download_idle_timeout;
        let url = format!("{}{}", self.inner.file_prefix, path.trim_start_matches('/'));
        let send = self.inner.http.get(url).send();
        let response = tokio::time::timeout(idle, send)
            .await
            .map_err(|_| idle_timeout(METHOD, idle))?
            .map_err(|e| self.transport_error(METHOD, e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            // An error answer is read only up to a bound: it is a small JSON envelope, and a
            // broken server streaming an endless error page must not fill memory.
            const ERROR_BODY_LIMIT: usize = 64 * 1024;
            let mut bytes = Vec::new();
            let mut stream = response.bytes_stream();
            while bytes.len() < ERROR_BODY_LIMIT {
                let next = tokio::time::timeout(idle, stream.next())
                    .await
                    .map_err(|_| idle_timeout(METHOD, idle))?;
                let Some(chunk) = next else { break };
                let chunk = chunk.map_err(|e| self.transport_error(METHOD, e))?;
                let room = ERROR_BODY_LIMIT.saturating_sub(bytes.len());
                bytes.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            }
            return match self.decode::<serde_json::Value>(METHOD, status, &bytes) {
                Err(error @ Error::Api { .. }) => Err(error),
                _ => Err(Error::Decode {
                    method: METHOD,
                    status,
                    message: "download answered a non-success status".to_owned(),
                    body: self.sanitize(&String::from_utf8_lossy(&bytes)),
                }),
            };
        }
        if let Some(size) = response.content_length()
            && size > limit
        {
            return Err(Error::FileTooLarge {
                limit,
                size: Some(size),
            });
        }
        let mut stream = response.bytes_stream();
        let mut written: u64 = 0;
        loop {
            let next = tokio::time::timeout(idle, stream.next())
                .await
                .map_err(|_| idle_timeout(METHOD, idle))?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| self.transport_error(METHOD, e))?;
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(Error::FileTooLarge { limit, size: None });
            }
            writer
                .write_all(&chunk)
                .await
                .map_err(|e| self.file_io(&e))?;
        }
        writer.flush().await.map_err(|e| self.file_io(&e))?;
        Ok(written)
    }

    /// A local Bot API server keeps a bot's files under `<dir>/<token>/`, so a path from its
    /// `getFile` names the token as a directory. Requiring that (and no `..`) keeps a `File`
    /// that did not come from the server from reading any file the process can read.
    fn check_local_path(&self, path: &str) -> Result<(), Error> {
        use std::path::Component;
        let components: Vec<Component<'_>> = std::path::Path::new(path).components().collect();
        if components.contains(&Component::ParentDir) {
            return Err(Error::LocalPathRefused {
                reason: "it has a .. component",
            });
        }
        let token = std::ffi::OsStr::new(self.inner.token.dangerous_expose());
        if !components.iter().any(|c| c.as_os_str() == token) {
            return Err(Error::LocalPathRefused {
                reason: "it is not inside the bot's <dir>/<token>/ directory of the local server",
            });
        }
        Ok(())
    }

    async fn copy_local<R, W>(&self, mut source: R, writer: &mut W) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin + ?Sized,
    {
        let limit = self.inner.download_limit;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut written: u64 = 0;
        loop {
            let read = source
                .read(&mut buffer)
                .await
                .map_err(|e| self.file_io(&e))?;
            let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
                break;
            };
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(Error::FileTooLarge { limit, size: None });
            }
            writer
                .write_all(chunk)
                .await
                .map_err(|e| self.file_io(&e))?;
        }
        writer.flush().await.map_err(|e| self.file_io(&e))?;
        Ok(written)
    }

    fn file_io(&self, error: &std::io::Error) -> Error {
        Error::FileIo {
            message: self.sanitize(&error.to_string()),
        }
    }
}

/// A second way to read an answer the typed decoder refused.
type Fallback<R> = fn(&[u8]) -> Option<R>;

/// Reads a `getUpdates` answer one update at a time, so that one update of a known kind with a
/// body this crate cannot parse arrives as `UpdateKind::Other` instead of failing the batch (and
/// blocking the offset forever).
fn lenient_updates(bytes: &[u8]) -> Option<Vec<Update>> {
    let envelope: Envelope<Vec<serde_json::Value>> = serde_json::from_slice(bytes).ok()?;
    if !envelope.ok {
        return None;
    }
    envelope
        .result?
        .into_iter()
        .map(Update::from_value_lenient)
        .collect::<Result<_, _>>()
        .ok()
}

fn idle_timeout(method: &'static str, idle: Duration) -> Error {
    Error::Transport {
        method,
        kind: TransportKind::Timeout,
        message: format!("nothing received for {} ms", idle.as_millis()),
    }
}

/// Parameters of `getUpdates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetUpdates {
    /// The first update to return; every update below it is confirmed and forgotten by Telegram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// At most this many updates, 1-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Long-poll timeout in seconds, at most [`MAX_POLL_TIMEOUT_SECONDS`]; 0 is a short poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Update kinds to receive (`message`, `callback_query`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

/// Parameters of `setWebhook`. Its `Debug` redacts anything token-shaped in `url` (some bots
/// put their token in the webhook path).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SetWebhook {
    /// The HTTPS URL updates are posted to.
    pub url: String,
    /// Sent back in `X-Telegram-Bot-Api-Secret-Token` with every delivery (1-256 characters of
    /// `A-Z a-z 0-9 _ -`). Redacted in `Debug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<crate::webhook::SecretToken>,
    /// Update kinds to receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
    /// True to discard the queued updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_pending_updates: Option<bool>,
    /// Maximum simultaneous connections for delivery, 1-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

impl std::fmt::Debug for SetWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetWebhook")
            .field("url", &crate::redact::redact(&self.url))
            .field("secret_token", &self.secret_token)
            .field("allowed_updates", &self.allowed_updates)
            .field("drop_pending_updates", &self.drop_pending_updates)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl SetWebhook {
    /// A webhook at `url` with no optional parameters.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret_token: None,
            allowed_updates: None,
            drop_pending_updates: None,
            max_connections: None,
        }
    }

    /// Sets the secret token.
    pub fn secret_token(mut self, secret: crate::webhook::SecretToken) -> Self {
        self.secret_token = Some(secret);
        self
    }

    /// Sets the allowed update kinds.
    pub fn allowed_updates(mut self, kinds: Vec<String>) -> Self {
        self.allowed_updates = Some(kinds);
        self
    }

    /// Sets `drop_pending_updates`.
    pub fn drop_pending_updates(mut self, drop: bool) -> Self {
        self.drop_pending_updates = Some(drop);
        self
    }

    /// Sets `max_connections`.
    pub fn max_connections(mut self, connections: u32) -> Self {
        self.max_connections = Some(connections);
        self
    }
}

/// Parameters of `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendMessage {
    /// The target chat.
    pub chat_id: ChatId,
    /// The text, 1-4096 characters after entity parsing.
    pub text: String,
    /// How to parse formatting in `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    /// Explicit entities, instead of `parse_mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<MessageEntity>>,
    /// Link preview generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<LinkPreviewOptions>,
    /// An inline keyboard (URL, callback, Web App and login buttons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
    /// True to deliver without a sound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_notification: Option<bool>,
}

impl SendMessage {
    /// A plain text message to `chat_id`.
    pub fn new(chat_id: impl Into<ChatId>, text: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            text: text.into(),
            parse_mode: None,
            entities: None,
            link_preview_options: None,
            reply_markup: None,
            disable_notification: None,
        }
    }

    /// Sets the parse mode.
    pub fn parse_mode(mut self, mode: ParseMode) -> Self {
        self.parse_mode = Some(mode);
        self
    }

    /// Sets explicit entities.
    pub fn entities(mut self, entities: Vec<MessageEntity>) -> Self {
        self.entities = Some(entities);
        self
    }

    /// Sets the link preview options.
    pub fn link_preview_options(mut self, options: LinkPreviewOptions) -> Self {
        self.link_preview_options = Some(options);
        self
    }

    /// Attaches an inline keyboard.
    pub fn reply_markup(mut self, keyboard: InlineKeyboardMarkup) -> Self {
        self.reply_markup = Some(keyboard);
        self
    }

    /// Sets `disable_notification`.
    pub fn disable_notification(mut self, silent: bool) -> Self {
        self.disable_notification = Some(silent);
        self
    }
}
