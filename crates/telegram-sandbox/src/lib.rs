//! A loopback emulator of Telegram for offline tests and demos.
//!
//! It serves the Bot API (`/bot<token>/<method>`, `/file/bot<token>/<path>`) with the real
//! server's semantics, and a control API under `/sandbox/` that plays the Telegram app's side:
//! creating bots and users, users sending messages and `/start` payloads and submitting Passport
//! data, Login Widget and Mini App data, reading what a bot sent, and faults on demand; and the
//! OpenID Connect provider of oauth.telegram.org under `/oauth`. Point any Bot API client at
//! [`SandboxHandle::base_url`] instead of `https://api.telegram.org`.
//!
//! ```
//! use telegram_sandbox::{NewBot, Sandbox};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
//! let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
//! sandbox.create_bot(NewBot::new("123456:sandbox-secret", "example_bot"))?;
//!
//! // The Telegram app's side: user 42 opens a deep link to the bot.
//! let update = sandbox.send_message("example_bot", 42, "/start link-code")?;
//!
//! // The bot's side, over HTTP as with the real Bot API.
//! // The sandbox is on loopback: no proxy from the environment.
//! let http = reqwest::Client::builder().no_proxy().build()?;
//! let url = format!("{}/getUpdates", sandbox.bot_api_url("123456:sandbox-secret"));
//! let answer: serde_json::Value = http.get(url).send().await?.json().await?;
//! assert_eq!(answer["ok"], true);
//! assert_eq!(answer["result"][0]["update_id"], update.update_id);
//! assert_eq!(answer["result"][0]["message"]["text"], "/start link-code");
//! assert_eq!(answer["result"][0]["message"]["entities"][0]["type"], "bot_command");
//!
//! sandbox.shutdown().await?;
//! # Ok(()) })
//! # }
//! ```
//!
//! # The Bot API
//!
//! See [`bot_api`] for the methods and the semantics they follow (update ids, offset
//! confirmation, long polling, 409 conflicts, webhooks with retries, files valid for an hour,
//! the 20 MB download limit).
//!
//! # The control API
//!
//! See [`control`] for the `/sandbox/` endpoints; [`SandboxHandle`] offers the same operations
//! as typed methods for in-process tests, [`ControlClient`] over HTTP for a sandbox in another
//! process (such as `tgauth sandbox`), and [`faults`] describes fault injection.
//!
//! # The app's side of the login and Passport flows
//!
//! [`passport`] seals Passport submissions to a bot's key with passport-crypto, `login_widget`
//! and `web_app` on [`SandboxHandle`] (and the control API) sign Login Widget and Mini App data
//! with login-widget's signers, and [`oidc`] is oauth.telegram.org's OpenID Connect provider.
//! The sandbox uses the same code as the verifiers, so the two cannot drift apart on the wire.
//!
//! # Time and state
//!
//! Dates and file path expiry come from a [`Clock`] ([`ManualClock`] in tests). With
//! [`SandboxBuilder::state_file`] the state survives a restart: bots, users, pending updates,
//! webhooks, files and what bots sent are written to a JSON file shortly after each change and
//! on [`SandboxHandle::shutdown`], and loaded on start.

pub mod bot_api;
mod clock;
pub mod control;
mod control_client;
mod error;
pub mod faults;
mod login;
pub mod oidc;
pub mod passport;
mod sandbox;
mod server;
mod state;
pub mod types;
pub mod webhook;

use std::sync::Arc;

use axum::{Router, routing::any};

pub use clock::{Clock, ManualClock, SystemClock};
pub use control::{NewBot, NewUser};
pub use control_client::ControlClient;
pub use error::{ControlClientError, ControlError, Error};
pub use faults::{FaultKind, FaultSpec};
pub use login::{LoginWidgetData, WebAppData, WebAppLaunch};
pub use passport::{PassportElementInput, PassportFileInput, PassportSubmission};
pub use sandbox::{Sandbox, SandboxBuilder, SandboxHandle};

/// The whole HTTP surface: control API, OIDC provider, file downloads, and the Bot API as the
/// fallback.
fn router(shared: Arc<sandbox::Shared>) -> Router {
    Router::new()
        .nest("/sandbox", control::router())
        .nest("/oauth", oidc::router())
        .route("/file/{*path}", any(bot_api::download))
        .fallback(bot_api::handle)
        .with_state(shared)
}
