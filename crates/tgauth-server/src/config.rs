//! The service's settings: defaults < the TOML file < `TGAUTH_*` environment variables < flags.
//!
//! Every setting is a flag of `tgauth serve` with an environment variable of the same name
//! (`--public-url`, `TGAUTH_PUBLIC_URL`) and a key of the file (`public_url`). Secrets (the bot
//! token, the Passport key, the cookie and data keys, the OIDC client secret, the webhook and
//! events secrets) are never flags, which every user of the machine can read in the process
//! list: each comes from `TGAUTH_X` or from a file named by `TGAUTH_X_FILE` (or `x_file` in the
//! file), and both at once is an error. A missing or bad setting stops the start with one line
//! naming it ([`ConfigError`]).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tgauth::{BotToken, UserId};
use zeroize::Zeroizing;

/// The flags of `tgauth serve` (each also a `TGAUTH_*` environment variable).
#[derive(Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// The TOML configuration file.
    #[arg(long, env = "TGAUTH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The address to listen on [default: 127.0.0.1:8080; 127.0.0.1:0 with --sandbox].
    #[arg(long, env = "TGAUTH_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The database: sqlite://PATH (default: tgauth.db in the data directory) or
    /// postgres://... for replicas.
    #[arg(long, env = "TGAUTH_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Redis (redis://...), for replicas: they share the login rate limit through it
    /// [default: none, each process limits on its own].
    #[arg(long, env = "TGAUTH_REDIS", value_name = "URL")]
    pub redis: Option<String>,
    /// The URL browsers reach the service at (cookies are Secure when it is https).
    #[arg(long, env = "TGAUTH_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// The data directory (SQLite database, sandbox state) [default: ./tgauth-data; a new
    /// temporary directory with --sandbox].
    #[arg(long = "data", env = "TGAUTH_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The Bot API base URL [default: `https://api.telegram.org`].
    #[arg(long, env = "TGAUTH_BOT_API_URL", value_name = "URL")]
    pub bot_api_url: Option<String>,
    /// The OpenID Connect provider's base URL [default: `https://oauth.telegram.org`].
    #[arg(long, env = "TGAUTH_OIDC_PROVIDER_URL", value_name = "URL")]
    pub oidc_provider_url: Option<String>,
    /// How the bot receives updates: polling or webhook [default: polling].
    #[arg(long, env = "TGAUTH_UPDATES", value_name = "MODE")]
    pub updates: Option<UpdatesMode>,
    /// Who confirms a link: website (the bot and the website) or bot [default: website].
    #[arg(long, env = "TGAUTH_CONFIRMATION", value_name = "WHO")]
    pub confirmation: Option<ConfirmationMode>,
    /// Where events go (link.confirmed, link.removed, passport.received,
    /// notification.failed), signed with the events secret.
    #[arg(long, env = "TGAUTH_EVENTS_URL", value_name = "URL")]
    pub events_url: Option<String>,
    /// Log format: auto (pretty on a terminal, JSON otherwise), pretty or json.
    #[arg(long, env = "TGAUTH_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Starts the Telegram sandbox in the same process and runs every flow offline, with a
    /// generated bot, keys and API key. Not a setting of the file or the environment.
    #[arg(long)]
    pub sandbox: bool,
    /// The sandbox's own address [default: 127.0.0.1:0].
    #[arg(long, value_name = "ADDR", requires = "sandbox")]
    pub sandbox_listen: Option<SocketAddr>,
    /// The bot's username [default: what getMe answers].
    #[arg(long, env = "TGAUTH_BOT_USERNAME", value_name = "NAME")]
    pub bot_username: Option<String>,
    /// How long a browser session lasts, in seconds [default: 604800, a week].
    #[arg(long, env = "TGAUTH_SESSION_TTL_SECONDS", value_name = "SECONDS")]
    pub session_ttl_seconds: Option<u64>,
    /// How old login data may be, in seconds [default: 86400].
    #[arg(long, env = "TGAUTH_LOGIN_MAX_AGE_SECONDS", value_name = "SECONDS")]
    pub login_max_age_seconds: Option<u64>,
    /// How long a link code works, in seconds [default: 600].
    #[arg(long, env = "TGAUTH_LINK_TTL_SECONDS", value_name = "SECONDS")]
    pub link_ttl_seconds: Option<u64>,
    /// How long a Passport request can be answered, in seconds [default: 3600].
    #[arg(
        long,
        env = "TGAUTH_PASSPORT_REQUEST_TTL_SECONDS",
        value_name = "SECONDS"
    )]
    pub passport_request_ttl_seconds: Option<u64>,
    /// How long received Passport data is kept, in seconds [default: 2592000, 30 days].
    #[arg(
        long,
        env = "TGAUTH_PASSPORT_RETENTION_SECONDS",
        value_name = "SECONDS"
    )]
    pub passport_retention_seconds: Option<u64>,
    /// Login attempts per minute per client address [default: 60].
    #[arg(long, env = "TGAUTH_LOGIN_RATE_PER_MINUTE", value_name = "N")]
    pub login_rate_per_minute: Option<u32>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it)
    /// [default: false].
    #[arg(long, env = "TGAUTH_TRUST_FORWARDED_FOR", value_name = "BOOL")]
    pub trust_forwarded_for: Option<bool>,
    /// How long a request may take, in seconds [default: 30].
    #[arg(long, env = "TGAUTH_REQUEST_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub request_timeout_seconds: Option<u64>,
    /// The largest request body, in bytes [default: 1048576].
    #[arg(long, env = "TGAUTH_BODY_LIMIT_BYTES", value_name = "BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// The Telegram ids of the administrators, comma-separated.
    #[arg(long, env = "TGAUTH_ADMINS", value_name = "IDS", value_delimiter = ',')]
    pub admins: Option<Vec<i64>>,
    /// "Log in with tgauth": the algorithm of new ID token signing keys [default: ES256].
    #[arg(long, env = "TGAUTH_OIDC_SIGNING_ALG", value_name = "ALG")]
    pub oidc_signing_alg: Option<crate::provider::SigningAlg>,
    /// "Log in with tgauth": `sub` is the Telegram id (public) or differs per client
    /// (pairwise) [default: public].
    #[arg(long, env = "TGAUTH_OIDC_SUBJECT_TYPE", value_name = "TYPE")]
    pub oidc_subject_type: Option<crate::provider::SubjectType>,
    /// "Log in with tgauth": how long access and ID tokens are valid [default: 3600].
    #[arg(
        long,
        env = "TGAUTH_OIDC_ACCESS_TOKEN_TTL_SECONDS",
        value_name = "SECONDS"
    )]
    pub oidc_access_token_ttl_seconds: Option<u64>,
    /// "Log in with tgauth": how long refresh tokens are valid [default: 2592000].
    #[arg(
        long,
        env = "TGAUTH_OIDC_REFRESH_TOKEN_TTL_SECONDS",
        value_name = "SECONDS"
    )]
    pub oidc_refresh_token_ttl_seconds: Option<u64>,
    /// "Log in with tgauth": how long a signing key signs before the next replaces it
    /// [default: 90].
    #[arg(long, env = "TGAUTH_OIDC_KEY_ROTATION_DAYS", value_name = "DAYS")]
    pub oidc_key_rotation_days: Option<u64>,
}

impl fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named, so that a new one cannot be left out of this by accident.
        let Self {
            config,
            listen,
            database,
            redis,
            public_url,
            data,
            bot_api_url,
            oidc_provider_url,
            updates,
            confirmation,
            events_url,
            log_format,
            sandbox,
            sandbox_listen,
            bot_username,
            session_ttl_seconds,
            login_max_age_seconds,
            link_ttl_seconds,
            passport_request_ttl_seconds,
            passport_retention_seconds,
            login_rate_per_minute,
            trust_forwarded_for,
            request_timeout_seconds,
            body_limit_bytes,
            admins,
            oidc_signing_alg,
            oidc_subject_type,
            oidc_access_token_ttl_seconds,
            oidc_refresh_token_ttl_seconds,
            oidc_key_rotation_days,
        } = self;
        f.debug_struct("ServeArgs")
            .field("config", config)
            .field("listen", listen)
            .field("database", &database.as_deref().map(RedactedUrl))
            .field("redis", &redis.as_deref().map(RedactedUrl))
            .field("public_url", public_url)
            .field("data", data)
            .field("bot_api_url", bot_api_url)
            .field("oidc_provider_url", oidc_provider_url)
            .field("updates", updates)
            .field("confirmation", confirmation)
            .field("events_url", &events_url.as_deref().map(RedactedUrl))
            .field("log_format", log_format)
            .field("sandbox", sandbox)
            .field("sandbox_listen", sandbox_listen)
            .field("bot_username", bot_username)
            .field("session_ttl_seconds", session_ttl_seconds)
            .field("login_max_age_seconds", login_max_age_seconds)
            .field("link_ttl_seconds", link_ttl_seconds)
            .field("passport_request_ttl_seconds", passport_request_ttl_seconds)
            .field("passport_retention_seconds", passport_retention_seconds)
            .field("login_rate_per_minute", login_rate_per_minute)
            .field("trust_forwarded_for", trust_forwarded_for)
            .field("request_timeout_seconds", request_timeout_seconds)
            .field("body_limit_bytes", body_limit_bytes)
            .field("admins", admins)
            .field("oidc_signing_alg", oidc_signing_alg)
            .field("oidc_subject_type", oidc_subject_type)
            .field(
                "oidc_access_token_ttl_seconds",
                oidc_access_token_ttl_seconds,
            )
            .field(
                "oidc_refresh_token_ttl_seconds",
                oidc_refresh_token_ttl_seconds,
            )
            .field("oidc_key_rotation_days", oidc_key_rotation_days)
            .finish()
    }
}

/// How the bot receives updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum UpdatesMode {
    /// Long polling with `getUpdates` (one replica at a time holds the lease).
    #[default]
    Polling,
    /// Telegram posts updates to `<public_url>/telegram/webhook/<path from the secret>`.
    Webhook,
}

/// Who confirms a link made with a deep link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ConfirmationMode {
    /// The person in the bot, then the website (`POST /api/v1/users/{user}/telegram/confirm`).
    #[default]
    Website,
    /// The person in the bot only.
    Bot,
}

/// The log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LogFormat {
    /// Pretty on a terminal, JSON lines otherwise.
    #[default]
    Auto,
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The configuration file (every key optional; unknown keys are refused).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    database: Option<String>,
    redis: Option<String>,
    public_url: Option<String>,
    data: Option<PathBuf>,
    bot_api_url: Option<String>,
    oidc_provider_url: Option<String>,
    updates: Option<UpdatesMode>,
    confirmation: Option<ConfirmationMode>,
    events_url: Option<String>,
    log_format: Option<LogFormat>,
    bot_username: Option<String>,
    session_ttl_seconds: Option<u64>,
    login_max_age_seconds: Option<u64>,
    link_ttl_seconds: Option<u64>,
    passport_request_ttl_seconds: Option<u64>,
    passport_retention_seconds: Option<u64>,
    login_rate_per_minute: Option<u32>,
    trust_forwarded_for: Option<bool>,
    request_timeout_seconds: Option<u64>,
    body_limit_bytes: Option<usize>,
    admins: Option<Vec<i64>>,
    bot_token_file: Option<PathBuf>,
    passport_key_file: Option<PathBuf>,
    cookie_key_file: Option<PathBuf>,
    data_key_file: Option<PathBuf>,
    oidc_client_secret_file: Option<PathBuf>,
    webhook_secret_file: Option<PathBuf>,
    events_secret_file: Option<PathBuf>,
    /// "Log in with tgauth": `[oidc]` and its `[[oidc.clients]]`.
    oidc: Option<crate::provider::ProviderFile>,
}

/// A setting that is missing or bad: `setting <name>: <what>`, one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{setting}`: {reason}")]
pub struct ConfigError {
    /// The setting's name as the file spells it (`public_url`, `bot_token`).
    pub setting: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// A secret's bytes: redacted `Debug`, wiped on drop.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text, if it is UTF-8.
    fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(tgauth::REDACTED)
    }
}

/// A 32-byte key given as 64 hex digits or 43/44 base64 characters.
#[derive(Clone)]
pub struct Key32(Zeroizing<[u8; 32]>);

impl Key32 {
    /// The key's bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// Wraps `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    fn parse(setting: &str, secret: &Secret) -> Result<Self, ConfigError> {
        use base64::Engine as _;
        let bad = || {
            ConfigError::new(
                setting,
                "expected 32 bytes as 64 hex digits or base64 (make one with `openssl rand -hex 32`)",
            )
        };
        let text = secret.text().ok_or_else(bad)?.trim();
        let bytes = Zeroizing::new(
            hex::decode(text)
                .ok()
                .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
                .or_else(|| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(text)
                        .ok()
                })
                .ok_or_else(bad)?,
        );
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
        Ok(Self::from_bytes(array))
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(tgauth::REDACTED)
    }
}

/// A connection URL as `Debug` shows it: a password in it (`postgres://user:PASSWORD@host`,
/// `redis://:PASSWORD@host`, `?password=`) replaced, everything else kept for diagnosis; a
/// string that is not a URL is not shown at all.
pub struct RedactedUrl<'a>(pub &'a str);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(mut url) = url::Url::parse(self.0) else {
            return f.write_str(tgauth::REDACTED);
        };
        if url.password().is_some() && url.set_password(Some("redacted")).is_err() {
            return f.write_str(tgauth::REDACTED);
        }
        let secret = |key: &str| {
            let key = key.to_ascii_lowercase();
            key.contains("pass") || key.contains("secret") || key.contains("token")
        };
        if url.query_pairs().any(|(key, _)| secret(&key)) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = if secret(&key) {
                        "redacted".to_owned()
                    } else {
                        value.into_owned()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        fmt::Debug::fmt(url.as_str(), f)
    }
}

/// The whole configuration the service runs with.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The database URL.
    pub database: String,
    /// Redis, where replicas share the login rate limit, if configured.
    pub redis: Option<String>,
    /// The URL browsers reach the service at, without a trailing slash.
    pub public_url: String,
    /// The data directory.
    pub data: PathBuf,
    /// The Bot API base URL.
    pub bot_api_url: String,
    /// The OpenID Connect provider's base URL.
    pub oidc_provider_url: String,
    /// How updates arrive.
    pub updates: UpdatesMode,
    /// Who confirms links.
    pub confirmation: ConfirmationMode,
    /// Where events go, if anywhere.
    pub events_url: Option<String>,
    /// The log format.
    pub log_format: LogFormat,
    /// The bot's username, if configured (otherwise `getMe` tells it at start).
    pub bot_username: Option<String>,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
    /// How old login data may be.
    pub login_max_age: Duration,
    /// How long a link code lives.
    pub link_ttl: Duration,
    /// How long a Passport request can be answered.
    pub passport_request_ttl: Duration,
    /// How long received Passport data is kept.
    pub passport_retention: Duration,
    /// Login attempts per minute per client address.
    pub login_rate_per_minute: u32,
    /// Whether the client address is the first of `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
    /// How long a request may take.
    pub request_timeout: Duration,
    /// The largest request body.
    pub body_limit: usize,
    /// The Telegram ids of the administrators.
    pub admins: Vec<UserId>,
    /// The sandbox's base URL in sandbox mode: the pages load the Login Widget script from it
    /// and open Telegram links on its phone (`/phone/open?link=`). Not a setting.
    pub sandbox_url: Option<String>,
    /// "Log in with tgauth": the OpenID Connect provider's settings and configured clients.
    pub provider: crate::provider::ProviderSettings,
    /// The bot token.
    pub bot_token: BotToken,
    /// The Passport private key (PEM), if Passport is used.
    pub passport_key: Option<Secret>,
    /// The key that signs the service's short-lived cookies (the OIDC flow binding).
    pub cookie_key: Key32,
    /// The key that encrypts Passport data and pending link codes at rest.
    pub data_key: Key32,
    /// The OIDC client secret @BotFather issued, if OIDC login is used.
    pub oidc_client_secret: Option<Secret>,
    /// The webhook's secret token (webhook mode).
    pub webhook_secret: Option<Secret>,
    /// The key that signs events.
    pub events_secret: Option<Secret>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named, so that a new one cannot be left out of this by accident.
        let Self {
            listen,
            database,
            redis,
            public_url,
            data,
            bot_api_url,
            oidc_provider_url,
            updates,
            confirmation,
            events_url,
            log_format,
            bot_username,
            session_ttl,
            login_max_age,
            link_ttl,
            passport_request_ttl,
            passport_retention,
            login_rate_per_minute,
            trust_forwarded_for,
            request_timeout,
            body_limit,
            admins,
            sandbox_url,
            provider,
            bot_token,
            passport_key,
            cookie_key,
            data_key,
            oidc_client_secret,
            webhook_secret,
            events_secret,
        } = self;
        f.debug_struct("Config")
            .field("listen", listen)
            .field("database", &RedactedUrl(database))
            .field("redis", &redis.as_deref().map(RedactedUrl))
            .field("public_url", public_url)
            .field("data", data)
            .field("bot_api_url", bot_api_url)
            .field("oidc_provider_url", oidc_provider_url)
            .field("updates", updates)
            .field("confirmation", confirmation)
            .field("events_url", &events_url.as_deref().map(RedactedUrl))
            .field("log_format", log_format)
            .field("bot_username", bot_username)
            .field("session_ttl", session_ttl)
            .field("login_max_age", login_max_age)
            .field("link_ttl", link_ttl)
            .field("passport_request_ttl", passport_request_ttl)
            .field("passport_retention", passport_retention)
            .field("login_rate_per_minute", login_rate_per_minute)
            .field("trust_forwarded_for", trust_forwarded_for)
            .field("request_timeout", request_timeout)
            .field("body_limit", body_limit)
            .field("admins", admins)
            .field("sandbox_url", sandbox_url)
            .field("provider", provider)
            .field("bot_token", bot_token)
            .field("passport_key", passport_key)
            .field("cookie_key", cookie_key)
            .field("data_key", data_key)
            .field("oidc_client_secret", oidc_client_secret)
            .field("webhook_secret", webhook_secret)
            .field("events_secret", events_secret)
            .finish()
    }
}

/// Where secrets come from: the process environment, or a map in tests.
pub trait Environment {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Environment for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

/// The `TGAUTH_*` variables the service reads (flags' variables and secrets).
pub const KNOWN_VARIABLES: &[&str] = &[
    "TGAUTH_CONFIG",
    "TGAUTH_LISTEN",
    "TGAUTH_DATABASE",
    "TGAUTH_REDIS",
    "TGAUTH_PUBLIC_URL",
    "TGAUTH_DATA",
    "TGAUTH_BOT_API_URL",
    "TGAUTH_OIDC_PROVIDER_URL",
    "TGAUTH_UPDATES",
    "TGAUTH_CONFIRMATION",
    "TGAUTH_EVENTS_URL",
    "TGAUTH_LOG_FORMAT",
    "TGAUTH_LOG",
    "TGAUTH_BOT_USERNAME",
    "TGAUTH_SESSION_TTL_SECONDS",
    "TGAUTH_LOGIN_MAX_AGE_SECONDS",
    "TGAUTH_LINK_TTL_SECONDS",
    "TGAUTH_PASSPORT_REQUEST_TTL_SECONDS",
    "TGAUTH_PASSPORT_RETENTION_SECONDS",
    "TGAUTH_LOGIN_RATE_PER_MINUTE",
    "TGAUTH_TRUST_FORWARDED_FOR",
    "TGAUTH_REQUEST_TIMEOUT_SECONDS",
    "TGAUTH_BODY_LIMIT_BYTES",
    "TGAUTH_ADMINS",
    "TGAUTH_OIDC_SIGNING_ALG",
    "TGAUTH_OIDC_SUBJECT_TYPE",
    "TGAUTH_OIDC_ACCESS_TOKEN_TTL_SECONDS",
    "TGAUTH_OIDC_REFRESH_TOKEN_TTL_SECONDS",
    "TGAUTH_OIDC_KEY_ROTATION_DAYS",
    "TGAUTH_BOT_TOKEN",
    "TGAUTH_BOT_TOKEN_FILE",
    "TGAUTH_PASSPORT_KEY",
    "TGAUTH_PASSPORT_KEY_FILE",
    "TGAUTH_COOKIE_KEY",
    "TGAUTH_COOKIE_KEY_FILE",
    "TGAUTH_DATA_KEY",
    "TGAUTH_DATA_KEY_FILE",
    "TGAUTH_OIDC_CLIENT_SECRET",
    "TGAUTH_OIDC_CLIENT_SECRET_FILE",
    "TGAUTH_WEBHOOK_SECRET",
    "TGAUTH_WEBHOOK_SECRET_FILE",
    "TGAUTH_EVENTS_SECRET",
    "TGAUTH_EVENTS_SECRET_FILE",
    "TGAUTH_STORE",
    "TGAUTH_STORE_FILE",
    "TGAUTH_KEY_PASSWORD",
    "TGAUTH_KEY_PASSWORD_FILE",
];

/// The `TGAUTH_*` variables set in the process environment that the service does not know
/// (a typo would otherwise be silently ignored).
pub fn unknown_variables() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("TGAUTH_") && !name.starts_with("TGAUTH_TEST_"))
        .filter(|name| !name.starts_with("TGAUTH_REQUIRE_"))
        .filter(|name| !KNOWN_VARIABLES.contains(&name.as_str()))
        .collect()
}

/// The settings before the secrets are read: what flags, environment and file said.
pub(crate) struct Layered {
    args: ServeArgs,
    file: FileSettings,
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The file's settings are the flags' under another name; the flags say enough.
        f.debug_struct("Layered")
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl Layered {
    /// Reads the configuration file named by `args` (if any) under them.
    pub(crate) fn read(args: ServeArgs) -> Result<Self, ConfigError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    ConfigError::new("config", format!("cannot read {}: {error}", path.display()))
                })?;
                toml::from_str(&text).map_err(|error| {
                    let message = error.message().replace('\n', " ");
                    ConfigError::new("config", format!("{}: {message}", path.display()))
                })?
            }
            None => FileSettings::default(),
        };
        Ok(Self { args, file })
    }

    #[cfg(feature = "sandbox")]
    /// The sandbox's address.
    pub(crate) fn sandbox_listen(&self) -> Option<SocketAddr> {
        self.args.sandbox_listen
    }

    #[cfg(feature = "sandbox")]
    /// The data directory as configured (no default applied).
    pub(crate) fn data(&self) -> Option<&std::path::Path> {
        self.args.data.as_deref().or(self.file.data.as_deref())
    }

    #[cfg(feature = "sandbox")]
    /// The listen address as configured.
    pub(crate) fn listen(&self) -> Option<SocketAddr> {
        self.args.listen.or(self.file.listen)
    }

    /// The whole configuration, secrets read from `env` (or from `overrides`, which sandbox
    /// mode fills with what it generated).
    pub(crate) fn resolve(
        self,
        env: &dyn Environment,
        overrides: Overrides,
    ) -> Result<Config, ConfigError> {
        let Self { args, file } = self;
        let data = overrides
            .data
            .clone()
            .or(args.data.clone())
            .or(file.data.clone())
            .unwrap_or_else(|| PathBuf::from("tgauth-data"));
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let database = args
            .database
            .clone()
            .or(file.database.clone())
            .unwrap_or_else(|| format!("sqlite://{}", data.join("tgauth.db").display()));
        if !(database.starts_with("sqlite:")
            || database.starts_with("postgres://")
            || database.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "database",
                "expected sqlite://PATH or postgres://...",
            ));
        }
        let redis = args.redis.clone().or(file.redis.clone());
        if let Some(redis) = &redis
            && !redis.starts_with("redis://")
        {
            return Err(ConfigError::new(
                "redis",
                "expected redis://[:PASSWORD@]HOST[:PORT][/DB]",
            ));
        }
        let public_url = overrides
            .public_url
            .or(args.public_url.clone())
            .or(file.public_url.clone())
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = check_url("public_url", &public_url)?;
        let bot_api_url = overrides
            .bot_api_url
            .or(args.bot_api_url.clone())
            .or(file.bot_api_url.clone())
            .unwrap_or_else(|| "https://api.telegram.org".to_owned());
        let bot_api_url = check_url("bot_api_url", &bot_api_url)?;
        let oidc_provider_url = overrides
            .oidc_provider_url
            .or(args.oidc_provider_url.clone())
            .or(file.oidc_provider_url.clone())
            .unwrap_or_else(|| "https://oauth.telegram.org".to_owned());
        let oidc_provider_url = check_url("oidc_provider_url", &oidc_provider_url)?;
        let events_url = args
            .events_url
            .clone()
            .or(file.events_url.clone())
            .map(|url| check_url("events_url", &url))
            .transpose()?;
        let updates = args.updates.or(file.updates).unwrap_or_default();
        let confirmation = args.confirmation.or(file.confirmation).unwrap_or_default();

        let secret = |name: &str, file_key: &Option<PathBuf>| read_secret(env, name, file_key);
        let bot_token = match overrides.bot_token {
            Some(token) => token,
            None => {
                let raw = secret("bot_token", &file.bot_token_file)?.ok_or_else(|| {
                    ConfigError::new(
                        "bot_token",
                        "missing: set TGAUTH_BOT_TOKEN or TGAUTH_BOT_TOKEN_FILE (the token @BotFather gave)",
                    )
                })?;
                let text = raw
                    .text()
                    .ok_or_else(|| ConfigError::new("bot_token", "not UTF-8"))?;
                BotToken::new(text.trim()).map_err(|_| {
                    ConfigError::new(
                        "bot_token",
                        "not a bot token (expected <bot id>:<secret> as @BotFather gives it)",
                    )
                })?
            }
        };
        let passport_key = match overrides.passport_key {
            Some(key) => Some(key),
            None => secret("passport_key", &file.passport_key_file)?,
        };
        let key = |name: &str, file_key: &Option<PathBuf>, given: Option<Key32>| match given {
            Some(key) => Ok(key),
            None => {
                let secret = secret(name, file_key)?.ok_or_else(|| {
                    ConfigError::new(
                        name,
                        format!(
                            "missing: set TGAUTH_{0} or TGAUTH_{0}_FILE to 32 random bytes in hex (make one with `openssl rand -hex 32`)",
                            name.to_ascii_uppercase()
                        ),
                    )
                })?;
                Key32::parse(name, &secret)
            }
        };
        let cookie_key = key("cookie_key", &file.cookie_key_file, overrides.cookie_key)?;
        let data_key = key("data_key", &file.data_key_file, overrides.data_key)?;
        let oidc_client_secret = match overrides.oidc_client_secret {
            Some(secret) => Some(secret),
            None => secret("oidc_client_secret", &file.oidc_client_secret_file)?,
        };
        let webhook_secret = match overrides.webhook_secret {
            Some(secret) => Some(secret),
            None => secret("webhook_secret", &file.webhook_secret_file)?,
        };
        if updates == UpdatesMode::Webhook {
            let Some(webhook_secret) = &webhook_secret else {
                return Err(ConfigError::new(
                    "webhook_secret",
                    "missing: webhook mode needs TGAUTH_WEBHOOK_SECRET or TGAUTH_WEBHOOK_SECRET_FILE (1-256 characters of A-Z a-z 0-9 _ -)",
                ));
            };
            let valid = webhook_secret.text().is_some_and(|text| {
                (1..=256).contains(&text.len())
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
            if !valid {
                return Err(ConfigError::new(
                    "webhook_secret",
                    "expected 1-256 characters of A-Z a-z 0-9 _ - (Telegram's secret_token)",
                ));
            }
        }
        let events_secret = match overrides.events_secret {
            Some(secret) => Some(secret),
            None => secret("events_secret", &file.events_secret_file)?,
        };
        if events_url.is_some() && events_secret.is_none() {
            return Err(ConfigError::new(
                "events_secret",
                "missing: events are signed; set TGAUTH_EVENTS_SECRET or TGAUTH_EVENTS_SECRET_FILE",
            ));
        }
        let seconds =
            |value: Option<u64>, default: u64| Duration::from_secs(value.unwrap_or(default));
        let config = Config {
            listen,
            database,
            redis,
            public_url,
            data,
            bot_api_url,
            oidc_provider_url,
            updates,
            confirmation,
            events_url,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            bot_username: overrides
                .bot_username
                .or(args.bot_username.clone())
                .or(file.bot_username),
            session_ttl: seconds(
                args.session_ttl_seconds.or(file.session_ttl_seconds),
                7 * 86_400,
            ),
            login_max_age: seconds(
                args.login_max_age_seconds.or(file.login_max_age_seconds),
                86_400,
            ),
            link_ttl: seconds(args.link_ttl_seconds.or(file.link_ttl_seconds), 600),
            passport_request_ttl: seconds(
                args.passport_request_ttl_seconds
                    .or(file.passport_request_ttl_seconds),
                3_600,
            ),
            passport_retention: seconds(
                args.passport_retention_seconds
                    .or(file.passport_retention_seconds),
                30 * 86_400,
            ),
            login_rate_per_minute: args
                .login_rate_per_minute
                .or(file.login_rate_per_minute)
                .unwrap_or(60),
            trust_forwarded_for: args
                .trust_forwarded_for
                .or(file.trust_forwarded_for)
                .unwrap_or(false),
            request_timeout: seconds(
                args.request_timeout_seconds
                    .or(file.request_timeout_seconds),
                30,
            ),
            body_limit: args
                .body_limit_bytes
                .or(file.body_limit_bytes)
                .unwrap_or(1 << 20),
            admins: match args.admins.clone().or(file.admins) {
                Some(admins) => admins.into_iter().map(UserId).collect(),
                None => overrides.admins.unwrap_or_default(),
            },
            sandbox_url: overrides.sandbox_url,
            provider: file
                .oidc
                .unwrap_or_default()
                .resolve(crate::provider::ProviderArgs {
                    signing_alg: args.oidc_signing_alg,
                    subject_type: args.oidc_subject_type,
                    access_token_ttl_seconds: args.oidc_access_token_ttl_seconds,
                    refresh_token_ttl_seconds: args.oidc_refresh_token_ttl_seconds,
                    key_rotation_days: args.oidc_key_rotation_days,
                })?,
            bot_token,
            passport_key,
            cookie_key,
            data_key,
            oidc_client_secret,
            webhook_secret,
            events_secret,
        };
        if config.login_rate_per_minute == 0 {
            return Err(ConfigError::new(
                "login_rate_per_minute",
                "must be at least 1",
            ));
        }
        Ok(config)
    }
}

/// What sandbox mode sets instead of the environment.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    pub(crate) bot_token: Option<BotToken>,
    pub(crate) bot_username: Option<String>,
    pub(crate) passport_key: Option<Secret>,
    pub(crate) cookie_key: Option<Key32>,
    pub(crate) data_key: Option<Key32>,
    pub(crate) webhook_secret: Option<Secret>,
    pub(crate) oidc_client_secret: Option<Secret>,
    pub(crate) events_secret: Option<Secret>,
    pub(crate) data: Option<PathBuf>,
    pub(crate) public_url: Option<String>,
    pub(crate) bot_api_url: Option<String>,
    pub(crate) oidc_provider_url: Option<String>,
    pub(crate) sandbox_url: Option<String>,
    pub(crate) admins: Option<Vec<UserId>>,
}

impl Config {
    /// Reads the configuration: the file `args` names, the process environment, the flags.
    pub fn load(args: ServeArgs) -> Result<Self, ConfigError> {
        Layered::read(args)?.resolve(&ProcessEnvironment, Overrides::default())
    }

    /// Reads the configuration with secrets from `env` instead of the process environment
    /// (flags' environment variables are clap's business and not read here).
    pub fn load_with(args: ServeArgs, env: &dyn Environment) -> Result<Self, ConfigError> {
        Layered::read(args)?.resolve(env, Overrides::default())
    }

    /// Whether cookies are `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// A secret from `TGAUTH_<NAME>`, `TGAUTH_<NAME>_FILE` or the file key `<name>_file`; both a
/// value and a file is an error.
fn read_secret(
    env: &dyn Environment,
    name: &str,
    file_key: &Option<PathBuf>,
) -> Result<Option<Secret>, ConfigError> {
    let variable = format!("TGAUTH_{}", name.to_ascii_uppercase());
    let file_variable = format!("{variable}_FILE");
    let value = env.var(&variable).filter(|value| !value.is_empty());
    let file = env
        .var(&file_variable)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| file_key.clone());
    match (value, file) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            name,
            format!("both {variable} and a file ({file_variable} or {name}_file) are set; set one"),
        )),
        (Some(value), None) => Ok(Some(Secret::new(value.into_bytes()))),
        (None, Some(path)) => {
            let mut bytes = std::fs::read(&path).map_err(|error| {
                ConfigError::new(name, format!("cannot read {}: {error}", path.display()))
            })?;
            // Editors and `echo` end a file with a line ending; it is not part of the secret.
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            Ok(Some(Secret::new(bytes)))
        }
        (None, None) => Ok(None),
    }
}

/// Checks an http(s) URL and drops a trailing slash.
fn check_url(setting: &str, url: &str) -> Result<String, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| ConfigError::new(setting, format!("not a URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConfigError::new(
            setting,
            "expected an http:// or https:// URL",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ConfigError::new(
            setting,
            "expected a URL without ?query or #fragment",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn resolve(args: ServeArgs, env: &dyn Environment) -> Result<Config, ConfigError> {
        Layered::read(args)?.resolve(env, Overrides::default())
    }

    #[test]
    fn a_complete_environment_resolves_with_defaults() {
        let env = [
            ("TGAUTH_BOT_TOKEN", TOKEN),
            ("TGAUTH_COOKIE_KEY", KEY),
            ("TGAUTH_DATA_KEY", KEY),
        ];
        let config = resolve(ServeArgs::default(), &env).unwrap();
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert_eq!(config.database, "sqlite://tgauth-data/tgauth.db");
        assert_eq!(config.updates, UpdatesMode::Polling);
        assert!(!config.secure_cookies());
        assert!(!format!("{config:?}").contains("AAHdq"));
    }

    #[test]
    fn debug_hides_the_passwords_in_connection_urls() {
        let env = [
            ("TGAUTH_BOT_TOKEN", TOKEN),
            ("TGAUTH_COOKIE_KEY", KEY),
            ("TGAUTH_DATA_KEY", KEY),
            ("TGAUTH_EVENTS_SECRET", KEY),
        ];
        let args = ServeArgs {
            database: Some(
                "postgres://tgauth:hunter2@db.internal:5432/tgauth?sslmode=require".into(),
            ),
            redis: Some("redis://:hunter2@cache.internal:6379/0".into()),
            events_url: Some("https://site:hunter2@example.com/hooks/v1".into()),
            ..ServeArgs::default()
        };
        let printed_args = format!("{args:?}");
        let config = resolve(args, &env).unwrap();
        let printed = format!("{config:?}");
        for printed in [printed, printed_args] {
            assert!(!printed.contains("hunter2"), "{printed}");
            // What tells one deployment from another stays.
            assert!(
                printed.contains("db.internal:5432/tgauth?sslmode=require"),
                "{printed}"
            );
            assert!(printed.contains("cache.internal:6379/0"), "{printed}");
            assert!(printed.contains("example.com/hooks/v1"), "{printed}");
        }
        assert_eq!(
            format!("{:?}", RedactedUrl("not a url: hunter2")),
            tgauth::REDACTED
        );
        assert_eq!(
            format!(
                "{:?}",
                RedactedUrl("postgres://tgauth@db/tgauth?password=hunter2")
            ),
            "\"postgres://tgauth@db/tgauth?password=redacted\""
        );
    }

    #[test]
    fn redis_is_optional_and_must_be_a_redis_url() {
        let env = [
            ("TGAUTH_BOT_TOKEN", TOKEN),
            ("TGAUTH_COOKIE_KEY", KEY),
            ("TGAUTH_DATA_KEY", KEY),
        ];
        assert_eq!(resolve(ServeArgs::default(), &env).unwrap().redis, None);
        let with = |url: &str| ServeArgs {
            redis: Some(url.to_owned()),
            ..ServeArgs::default()
        };
        let config = resolve(with("redis://cache:6379/2"), &env).unwrap();
        assert_eq!(config.redis.as_deref(), Some("redis://cache:6379/2"));
        let error = resolve(with("cache:6379"), &env).unwrap_err();
        assert_eq!(error.setting, "redis", "{error}");
    }

    #[test]
    fn each_missing_or_bad_setting_is_named() {
        let check = |env: &dyn Environment, setting: &str| {
            let error = resolve(ServeArgs::default(), env).unwrap_err();
            assert_eq!(error.setting, setting, "{error}");
            assert!(!error.to_string().contains('\n'));
            assert!(!error.to_string().contains("AAHdq"));
        };
        check(&[("TGAUTH_COOKIE_KEY", KEY)], "bot_token");
        check(&[("TGAUTH_BOT_TOKEN", "nope")], "bot_token");
        check(&[("TGAUTH_BOT_TOKEN", TOKEN)], "cookie_key");
        check(
            &[("TGAUTH_BOT_TOKEN", TOKEN), ("TGAUTH_COOKIE_KEY", "short")],
            "cookie_key",
        );
        check(
            &[
                ("TGAUTH_BOT_TOKEN", TOKEN),
                ("TGAUTH_BOT_TOKEN_FILE", "/nonexistent"),
            ],
            "bot_token",
        );
        check(
            &[("TGAUTH_BOT_TOKEN", TOKEN), ("TGAUTH_COOKIE_KEY", KEY)],
            "data_key",
        );
    }

    #[test]
    fn the_public_url_must_be_http() {
        let env = [
            ("TGAUTH_BOT_TOKEN", TOKEN),
            ("TGAUTH_COOKIE_KEY", KEY),
            ("TGAUTH_DATA_KEY", KEY),
        ];
        let args = ServeArgs {
            public_url: Some("ftp://example.com".to_owned()),
            ..ServeArgs::default()
        };
        assert_eq!(resolve(args, &env).unwrap_err().setting, "public_url");
        let args = ServeArgs {
            public_url: Some("https://id.example.com/".to_owned()),
            ..ServeArgs::default()
        };
        let config = resolve(args, &env).unwrap();
        assert_eq!(config.public_url, "https://id.example.com");
        assert!(config.secure_cookies());
    }

    #[test]
    fn the_file_is_under_flags_and_refuses_unknown_keys() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("tgauth.toml");
        std::fs::write(
            &path,
            "public_url = \"https://file.example\"\nupdates = \"webhook\"\n",
        )
        .unwrap();
        let env = [
            ("TGAUTH_BOT_TOKEN", TOKEN),
            ("TGAUTH_COOKIE_KEY", KEY),
            ("TGAUTH_DATA_KEY", KEY),
            ("TGAUTH_WEBHOOK_SECRET", "hook_secret"),
        ];
        let args = ServeArgs {
            config: Some(path.clone()),
            public_url: Some("https://flag.example".to_owned()),
            ..ServeArgs::default()
        };
        let config = resolve(args, &env).unwrap();
        assert_eq!(config.public_url, "https://flag.example");
        assert_eq!(config.updates, UpdatesMode::Webhook);

        std::fs::write(
            &path,
            "login_rate_per_minute = 5\nsession_ttl_seconds = 60\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            login_rate_per_minute: Some(7),
            ..ServeArgs::default()
        };
        let config = resolve(args, &env).unwrap();
        assert_eq!(
            config.login_rate_per_minute, 7,
            "the flag (or its variable) wins"
        );
        assert_eq!(
            config.session_ttl,
            Duration::from_secs(60),
            "the file's value stands"
        );

        std::fs::write(&path, "public_ulr = \"https://typo.example\"\n").unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..ServeArgs::default()
        };
        let error = resolve(args, &env).unwrap_err();
        assert_eq!(error.setting, "config");
        assert!(error.to_string().contains("public_ulr"), "{error}");
    }
}
