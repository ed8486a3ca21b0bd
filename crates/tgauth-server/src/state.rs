//! The one shared state of the service: the database, the link store and the composing layer's
//! parts, the keys, the clock, the metrics. Cheap to clone (one `Arc`).

use std::sync::Arc;
use std::time::Duration;

use tgauth::bot::Client;
use tgauth::link::linker::Confirmation;
use tgauth::link::login::LoginLinkKey;
use tgauth::link::store::{AnyStore, SqliteWriteGate};
use tgauth::link::{BotUsername, Linker, Ttl};
use tgauth::login::Policy;
use tgauth::login::oidc::Provider;
use tgauth::login::oidc::client::{ClientSecret, JwksCache, OidcClient};
use tgauth::login::webapp::WebAppVerifier;
use tgauth::login::widget::WidgetVerifier;
use tgauth::passport::key::PrivateKey;
use tgauth::passport::nonce::NonceIssuer;
use tgauth::{BotId, Clock, IdentityVerifier, LoginLinks, UnixTime, WebsiteLinking};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfirmationMode};
use crate::keys::{CookieSigner, Vault};
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::store::{Db, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is missing or bad.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[source] StoreError),
    /// The link store could not be opened.
    #[error("link store: {0}")]
    LinkStore(#[source] tgauth::link::store::StoreError),
    /// The Bot API did not answer `getMe` with the token.
    #[error("bot API: getMe failed: {0}")]
    Bot(#[source] tgauth::bot::Error),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The sandbox could not start.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// Something else that stops the start (the message says what).
    #[error("{0}")]
    Other(String),
}

impl From<crate::keys::RandomError> for StartError {
    fn from(error: crate::keys::RandomError) -> Self {
        Self::Other(error.to_string())
    }
}

/// The service's Passport setup: the bot's key and the nonces it issues.
#[derive(Debug)]
pub(crate) struct PassportSetup {
    pub(crate) key: Arc<PrivateKey>,
    pub(crate) public_key_pem: String,
    pub(crate) nonces: Arc<NonceIssuer>,
}

/// The service's OpenID Connect relying party (Telegram's login).
#[derive(Debug)]
pub(crate) struct OidcSetup {
    pub(crate) provider: Provider,
    pub(crate) client_id: String,
    pub(crate) jwks: JwksCache,
    pub(crate) client: OidcClient,
}

/// Everything a handler or a background job needs.
#[derive(Debug)]
pub struct Inner {
    pub(crate) config: Config,
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) client: Client,
    pub(crate) bot_id: BotId,
    pub(crate) bot_username: BotUsername,
    pub(crate) linker: Linker<AnyStore>,
    pub(crate) website: WebsiteLinking<AnyStore>,
    pub(crate) identity: IdentityVerifier,
    pub(crate) login_links: LoginLinks,
    pub(crate) login_link_key: Arc<LoginLinkKey>,
    pub(crate) passport: Option<PassportSetup>,
    pub(crate) oidc: Option<OidcSetup>,
    pub(crate) vault: Vault,
    pub(crate) cookies: CookieSigner,
    /// The OpenID Connect provider's signing keys.
    pub(crate) provider_keys: crate::provider::Keys,
    pub(crate) metrics: Metrics,
    pub(crate) limiter: RateLimiter,
    /// Cancelled when the service shuts down: every background loop stops.
    pub(crate) shutdown: CancellationToken,
    /// A name for this process in leases (random per start).
    pub(crate) instance: String,
    /// Rung when a notification or an event is queued, so the outbox workers send it now.
    pub(crate) outbox_bell: tokio::sync::Notify,
    /// The Bot API's side of `/readyz`.
    pub(crate) bot_check: crate::http::health::BotCheck,
}

/// The shared state (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database and the link store, asks the Bot API who the bot is (unless the
    /// configuration names it), and builds every part.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        // On SQLite the service's writer and the link store's take turns at one gate instead
        // of meeting in SQLite's busy handler.
        let gate = SqliteWriteGate::default();
        let db = Db::open_sharing(&config.database, gate.clone())
            .await
            .map_err(StartError::Store)?;
        let link_store = AnyStore::open_sharing(&config.database, gate)
            .await
            .map_err(StartError::LinkStore)?;
        let client = Client::builder(config.bot_token.clone())
            .base_url(config.bot_api_url.clone())
            .build()
            .map_err(|error| {
                StartError::Config(crate::config::ConfigError::new(
                    "bot_api_url",
                    error.to_string(),
                ))
            })?;
        let bot_id = config.bot_token.bot_id();
        let username = match &config.bot_username {
            Some(name) => name.clone(),
            None => client
                .me()
                .await
                .map_err(StartError::Bot)?
                .username
                .unwrap_or_default(),
        };
        let bot_username = BotUsername::new(&username).map_err(|_| {
            StartError::Config(crate::config::ConfigError::new(
                "bot_username",
                format!("`{username}` is not a bot username"),
            ))
        })?;
        let confirmation = match config.confirmation {
            ConfirmationMode::Website => Confirmation::BotAndWebsite,
            ConfirmationMode::Bot => Confirmation::Bot,
        };
        let code_ttl = Ttl::from_seconds(config.link_ttl.as_secs()).map_err(|_| {
            StartError::Config(crate::config::ConfigError::new(
                "link_ttl_seconds",
                "out of range",
            ))
        })?;
        let linker = Linker::new(link_store, bot_username.clone())
            .with_confirmation(confirmation)
            .with_code_ttl(code_ttl);
        let website = WebsiteLinking::new(linker.clone(), client.clone());

        let policy = Policy::default().with_max_age(Some(config.login_max_age));
        let identity = IdentityVerifier::new(&config.bot_token, Arc::clone(&clock))
            .with_widget(
                WidgetVerifier::new(&config.bot_token)
                    .with_policy(policy)
                    .with_site_parameters(["next"])
                    .map_err(|error| StartError::Other(format!("widget verifier: {error}")))?,
            )
            .with_web_app(WebAppVerifier::new(&config.bot_token).with_policy(policy));
        let oidc = match &config.oidc_client_secret {
            Some(secret) => {
                let provider = Provider::with_base_url(&config.oidc_provider_url);
                let secret = std::str::from_utf8(secret.expose()).map_err(|_| {
                    StartError::Config(crate::config::ConfigError::new(
                        "oidc_client_secret",
                        "not UTF-8",
                    ))
                })?;
                let make = || {
                    OidcClient::for_bot(provider.clone(), bot_id, ClientSecret::new(secret))
                        .map_err(|error| StartError::Other(format!("oidc client: {error}")))
                };
                let jwks = JwksCache::new(make()?);
                Some(OidcSetup {
                    client_id: bot_id.to_string(),
                    provider: provider.clone(),
                    jwks,
                    client: make()?,
                })
            }
            None => None,
        };

        let cookies = CookieSigner::new(&config.cookie_key);
        // The login links' key derives from the cookie key, so replicas share it.
        let login_link_secret = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, config.cookie_key.expose()),
            b"tgauth login links",
        );
        let login_link_key = Arc::new(
            LoginLinkKey::new(login_link_secret.as_ref())
                .map_err(|error| StartError::Other(format!("login link key: {error}")))?,
        );
        let login_links = LoginLinks::new(
            Arc::clone(&login_link_key),
            format!("{}/auth/telegram/link", config.public_url),
        );

        let passport = match &config.passport_key {
            Some(pem) => {
                let text = std::str::from_utf8(pem.expose()).map_err(|_| {
                    StartError::Config(crate::config::ConfigError::new(
                        "passport_key",
                        "not UTF-8 PEM",
                    ))
                })?;
                let key = PrivateKey::from_pem(text).map_err(|error| {
                    StartError::Config(crate::config::ConfigError::new(
                        "passport_key",
                        format!("not a usable RSA private key: {error}"),
                    ))
                })?;
                let public_key_pem = key.public_key().to_pem();
                let nonce_secret = ring::hmac::sign(
                    &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, config.data_key.expose()),
                    b"tgauth passport nonces",
                );
                let nonces = NonceIssuer::new(nonce_secret.as_ref())
                    .map_err(|error| StartError::Other(format!("passport nonces: {error}")))?;
                Some(PassportSetup {
                    key: Arc::new(key),
                    public_key_pem,
                    nonces: Arc::new(nonces),
                })
            }
            None => None,
        };

        let vault = Vault::new(&config.data_key);
        let provider_keys = crate::provider::Keys::load(&db, &vault, &config.provider, clock.now())
            .await
            .map_err(|error| StartError::Other(error.to_string()))?;
        let limiter = match &config.redis {
            Some(url) => RateLimiter::redis(url, config.login_rate_per_minute)
                .await
                .map_err(|error| StartError::Other(error.to_string()))?,
            None => RateLimiter::new(config.login_rate_per_minute),
        };
        let instance =
            crate::keys::random_id().map_err(|error| StartError::Other(error.to_string()))?;
        Ok(Self(Arc::new(Inner {
            db,
            clock,
            client,
            bot_id,
            bot_username,
            linker,
            website,
            identity,
            login_links,
            login_link_key,
            passport,
            oidc,
            vault,
            cookies,
            provider_keys,
            metrics: Metrics::default(),
            limiter,
            shutdown: CancellationToken::new(),
            instance,
            outbox_bell: tokio::sync::Notify::new(),
            bot_check: crate::http::health::BotCheck::default(),
            config,
        })))
    }

    /// The time now, read once per request.
    pub(crate) fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The bot's username.
    pub fn bot_username(&self) -> &str {
        self.bot_username.as_str()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Stops the background loops.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// How long the lease of the poller lasts without renewal.
    pub(crate) fn lease_duration(&self) -> Duration {
        Duration::from_secs(10)
    }
}
