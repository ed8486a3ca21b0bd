//! `tgauth serve`: a self-hosted Telegram identity gateway that a website of any language
//! integrates over HTTP.
//!
//! One process serves browsers (log in with Telegram by the Login Widget, OpenID Connect, a Mini
//! App or a login link the bot sent; server-side sessions behind a cookie), the website's
//! backend (a JSON API with API keys: deep-link linking with confirmation, notifications
//! through the bot from an outbox, events signed and retried), and the bot (long polling under
//! a lease, or a webhook), on an embedded SQLite database by default or PostgreSQL for
//! replicas. `serve --sandbox` runs it all offline against the telegram-sandbox.
//!
//! The library is what the `tgauth` program runs and what tests embed:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tgauth_server::{Config, ServeArgs, Service};
//!
//! let config = Config::load(ServeArgs::default())?;
//! let service = Service::start(config, std::sync::Arc::new(tgauth::SystemClock)).await?;
//! println!("service: {}", service.url());
//! service.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! [`config`] reads the settings; [`store`] holds every SQL statement (over sqlx's Any driver,
//! one migration directory per dialect); the HTTP layer (`http`) maps requests to one domain
//! call each; `bot` runs the update handler; `jobs` the outboxes and housekeeping.

pub mod config;
pub mod doctor;
mod error;
mod keys;
mod metrics;
mod passport;
mod ratelimit;
mod sessions;
mod state;
pub mod store;
// The HTTP layer and the background work.
mod bot;
mod http;
mod jobs;
mod pages;
pub mod provider;
#[cfg(feature = "sandbox")]
mod sandbox;

// Entry points for `fuzz/`'s libFuzzer targets; not an API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tgauth::Clock;

pub use config::{Config, ConfigError, ServeArgs};
pub use error::HttpError;
pub use http::router;
pub use metrics::Metrics;
#[cfg(feature = "sandbox")]
pub use sandbox::SandboxService;
pub use state::{AppState, StartError};

/// The OpenAPI description of the JSON API, served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// A started service: its state, its listener and its background tasks.
#[derive(Debug)]
pub struct Service {
    state: AppState,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl Service {
    /// Builds the state and binds the configured address.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let listen = config.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: listen,
                source,
            })?;
        Self::with_listener(config, clock, listener).await
    }

    /// Builds the state around a bound listener.
    pub async fn with_listener(
        config: Config,
        clock: Arc<dyn Clock>,
        listener: tokio::net::TcpListener,
    ) -> Result<Self, StartError> {
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
        let state = AppState::build(config, clock).await?;
        Ok(Self {
            state,
            listener,
            addr,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes the requests and
    /// updates in flight (up to a drain deadline) and stops the background work.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            state, listener, ..
        } = self;
        let mut tasks = tokio::task::JoinSet::new();
        match state.config.updates {
            config::UpdatesMode::Polling => {
                tasks.spawn(bot::run_polling(state.clone()));
            }
            config::UpdatesMode::Webhook => {
                tasks.spawn(bot::register_webhook(state.clone()));
            }
        }
        tasks.spawn(jobs::notifications::run(state.clone()));
        tasks.spawn(jobs::events::run(state.clone()));
        tasks.spawn(jobs::housekeeping(state.clone()));
        tasks.spawn(jobs::checkpoints(state.clone()));
        let app = router(state.clone());
        let token = state.shutdown.clone();
        let stop = token.clone();
        tokio::spawn(async move {
            shutdown.await;
            stop.cancel();
        });
        let graceful = token.clone();
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { graceful.cancelled().await });
        let result = served.await;
        token.cancel();
        // Background loops stop at their next select; an update being handled finishes first.
        let drained = tokio::time::timeout(http::DRAIN, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("background work did not stop within the drain deadline");
            tasks.abort_all();
        }
        state.db.close().await;
        result
    }
}

/// Creates an API key named `name` in the database `url` names; the key is shown once.
pub async fn create_api_key(
    url: &str,
    name: &str,
    now: tgauth::UnixTime,
) -> Result<String, StartError> {
    let db = store::Db::open(url).await.map_err(StartError::Store)?;
    let key = new_api_key(&db, name, now).await?;
    db.close().await;
    Ok(key)
}

/// Creates an API key in `db`.
pub(crate) async fn new_api_key(
    db: &store::Db,
    name: &str,
    now: tgauth::UnixTime,
) -> Result<String, StartError> {
    let key = keys::new_api_key().map_err(|error| StartError::Other(error.to_string()))?;
    db.insert_api_key(&key.id, name, &key.secret_hash, now)
        .await
        .map_err(StartError::Store)?;
    Ok(key.key.to_string())
}

/// The API keys of the database `url` names: `(id, name, created_at, revoked_at)`.
pub async fn list_api_keys(
    url: &str,
) -> Result<Vec<(String, String, tgauth::UnixTime, Option<tgauth::UnixTime>)>, StartError> {
    let db = store::Db::open(url).await.map_err(StartError::Store)?;
    let keys = db.api_keys().await.map_err(StartError::Store)?;
    db.close().await;
    Ok(keys
        .into_iter()
        .map(|key| (key.id, key.name, key.created_at, key.revoked_at))
        .collect())
}

/// Revokes the API key with `id`; whether it was live.
pub async fn revoke_api_key(
    url: &str,
    id: &str,
    now: tgauth::UnixTime,
) -> Result<bool, StartError> {
    let db = store::Db::open(url).await.map_err(StartError::Store)?;
    let revoked = db
        .revoke_api_key(id, now)
        .await
        .map_err(StartError::Store)?;
    db.close().await;
    Ok(revoked)
}

/// Installs the log subscriber: pretty on a terminal, JSON lines otherwise (`TGAUTH_LOG`
/// filters, `info` by default).
pub fn init_logging(format: config::LogFormat) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("TGAUTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match format {
        config::LogFormat::Json => true,
        config::LogFormat::Pretty => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
