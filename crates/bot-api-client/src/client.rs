//! The client and its builder: settings, the token, and the request URLs built from it.
//!
//! The bot token lives only inside the [`BotToken`] and the request URLs built from it, which are
//! wiped when the last clone of the client is dropped. Everything a builder or a client shows
//! (`Debug`, errors) goes through [`crate::redact::sanitize`] first.

use crate::Error;
use crate::retry::{Jitter, RetryPolicy};
use std::sync::Arc;
use std::time::Duration;
use tgauth_core::BotToken;

/// Configures a [`Client`]. Its `Debug` shows the base URL with anything token-shaped removed.
pub struct ClientBuilder {
    token: BotToken,
    base_url: String,
    local_mode: bool,
    request_timeout: Duration,
    connect_timeout: Duration,
    download_idle_timeout: Duration,
    download_limit: u64,
    response_limit: usize,
    retry: RetryPolicy,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The base URL is what the caller typed, and a common mistake puts the token in it.
        f.debug_struct("ClientBuilder")
            .field("token", &self.token)
            .field(
                "base_url",
                &crate::redact::sanitize(&self.token, &self.base_url),
            )
            .field("local_mode", &self.local_mode)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("download_idle_timeout", &self.download_idle_timeout)
            .field("download_limit", &self.download_limit)
            .field("response_limit", &self.response_limit)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientBuilder {
    /// The Bot API server: [`Client::CLOUD_BASE_URL`] by default, a local Bot API server, or the
    /// sandbox. Methods are called at `<base_url>/bot<token>/<method>`.
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

    /// The largest file a download accepts, in bytes ([`Client::DEFAULT_DOWNLOAD_LIMIT`] by
    /// default).
    pub fn download_limit(mut self, bytes: u64) -> Self {
        self.download_limit = bytes;
        self
    }

    /// The largest answer to a method call the client reads, in bytes
    /// ([`Client::DEFAULT_RESPONSE_LIMIT`] by default). A longer answer fails the call with
    /// [`Error::ResponseTooLarge`] once the limit is passed, without reading the rest, so a
    /// broken or hostile server cannot fill memory. It must hold a full `getUpdates` batch: 100
    /// updates, each up to a 4096-character text with its entities, or a Passport submission.
    pub fn response_limit(mut self, bytes: usize) -> Self {
        self.response_limit = bytes;
        self
    }

    /// The retry policy ([`RetryPolicy::default`] by default).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client.
    ///
    /// Refuses ([`Error::InvalidBaseUrl`]) a base URL that is not `http(s)://`, that holds a
    /// query or a fragment, or that holds the token. The error quotes the URL with the token
    /// and anything token-shaped removed, whatever the reason.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let shown = crate::redact::sanitize(&self.token, &base_url);
        let invalid = |reason| Error::InvalidBaseUrl {
            url: shown.clone(),
            reason,
        };
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(invalid("the scheme must be http or https"));
        }
        if base_url.contains(['?', '#']) {
            return Err(invalid("a query or fragment cannot carry Bot API paths"));
        }
        // A common mistake is a base URL ending in `/bot<token>`: it would double the path and
        // put the token in `Client`'s `Debug`.
        if shown != base_url {
            return Err(invalid(
                "the base url must not hold the token: methods are called at <base url>/bot<token>/<method>",
            ));
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
                response_limit: self.response_limit,
                retry: self.retry,
            }),
        })
    }
}

/// A Bot API client. Cheap to clone; clones share connections.
///
/// The typed methods ([`me`](Self::me), [`send_message`](Self::send_message), ...) are built on
/// [`call`](Self::call), which any other method can use too.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) jitter: Jitter,
    pub(crate) token: BotToken,
    base_url: String,
    pub(crate) api_prefix: String,
    pub(crate) file_prefix: String,
    pub(crate) local_mode: bool,
    pub(crate) request_timeout: Duration,
    pub(crate) download_idle_timeout: Duration,
    pub(crate) download_limit: u64,
    pub(crate) response_limit: usize,
    pub(crate) retry: RetryPolicy,
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

impl Client {
    /// The cloud Bot API.
    pub const CLOUD_BASE_URL: &str = "https://api.telegram.org";

    /// The cloud Bot API's download limit: 20 MB.
    pub const DEFAULT_DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

    /// The default [`response_limit`](ClientBuilder::response_limit): 16 MiB. A full
    /// `getUpdates` batch of 100 long texts with entities stays around 3 MiB; Passport data
    /// (encrypted credentials and element data, files only by id) is a few KiB per update.
    pub const DEFAULT_RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

    /// A client for the cloud Bot API with default settings.
    pub fn new(token: BotToken) -> Result<Self, Error> {
        Self::builder(token).build()
    }

    /// A builder starting from the defaults.
    pub fn builder(token: BotToken) -> ClientBuilder {
        ClientBuilder {
            token,
            base_url: Self::CLOUD_BASE_URL.to_owned(),
            local_mode: false,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            download_idle_timeout: Duration::from_secs(30),
            download_limit: Self::DEFAULT_DOWNLOAD_LIMIT,
            response_limit: Self::DEFAULT_RESPONSE_LIMIT,
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
        crate::redact::sanitize(&self.inner.token, text)
    }
}
