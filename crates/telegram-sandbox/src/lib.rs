//! A loopback emulator of Telegram for offline tests and demos.
//!
//! It serves the Bot API (`/bot<token>/<method>`, `/file/bot<token>/<path>`) with the real
//! server's semantics, and a control API under `/sandbox/` that plays the Telegram app's side:
//! creating bots and users, users sending messages and `/start` payloads, pressing inline
//! buttons and submitting Passport data, Login Widget and Mini App data, reading what a bot
//! sent, and faults on demand; the OpenID Connect provider of oauth.telegram.org under
//! `/oauth`; and the [`phone`] under `/phone`, HTML pages that play the Telegram app in a
//! browser for a chosen sandbox user. Point any Bot API client at [`SandboxHandle::base_url`]
//! instead of `https://api.telegram.org`.
//!
//! ```
//! use telegram_sandbox::{Sandbox, control::NewBot};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
//! const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
//! let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
//! sandbox.create_bot(NewBot::new(TOKEN, "example_bot"))?;
//!
//! // The Telegram app's side: user 42 opens a deep link to the bot.
//! let update = sandbox.send_message("example_bot", 42, "/start link-code")?;
//!
//! // The bot's side, over HTTP as with the real Bot API.
//! // The sandbox is on loopback: no proxy from the environment.
//! let http = reqwest::Client::builder().no_proxy().build()?;
//! let url = format!("{}/getUpdates", sandbox.bot_api_url(TOKEN));
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
//! See [`control`] for the `/sandbox/` endpoints and their JSON; [`SandboxHandle`] offers the
//! same operations as typed methods for in-process tests, [`ControlClient`] over HTTP for a
//! sandbox in another process (such as `tgauth sandbox`), and [`faults`] describes fault
//! injection. The control API answers only requests addressed to a loopback host, with JSON
//! bodies, so that a web page cannot drive it.
//!
//! # The phone
//!
//! [`phone`] lists its pages: choosing or creating an account, the chats with bots (inline
//! buttons, Start, links), the Login Widget's script and consent screen, Mini App launches,
//! and the Passport form; [`oidc`] shows its consent screen. The phone acts as whichever user
//! its cookie names and has no authentication, like the control API: the sandbox is for
//! loopback use.
//!
//! # The app's side of the login and Passport flows
//!
//! [`passport`] seals Passport submissions to a bot's key with passport-crypto (its `seal`
//! feature), [`login`] data is signed with login-widget's signers (its `sign` feature), and
//! [`oidc`] is oauth.telegram.org's OpenID Connect provider. The sandbox uses the same code as
//! the verifiers, so the two cannot drift apart on the wire.
//!
//! # Time and state
//!
//! Dates and file path expiry come from a [`tgauth_core::Clock`] ([`tgauth_core::FixedClock`]
//! in tests). With [`SandboxBuilder::state_file`] the state survives a restart: bots, users,
//! pending updates, webhooks, files and what bots sent are written to a JSON file shortly after
//! each change and on [`SandboxHandle::shutdown`], and loaded on start.
//!
//! # Paths
//!
//! The entry points ([`Sandbox`], [`SandboxBuilder`], [`SandboxHandle`], [`ControlClient`]) and
//! the errors are at the root; the Bot API objects are in [`types`], the control API's requests
//! in [`control`], [`faults`], [`login`] and [`passport`]. [`tgauth_core`] is re-exported for
//! the ids, times and clocks in this crate's API.
//!
//! # Layers
//!
//! The modules form layers, each importing only the layers before it (a test checks it): the
//! model (the Bot API objects, the control API's requests, the errors, the phone's sample
//! Passport data), the state, the shared handle, the HTTP helpers (the page helpers among
//! them), the handlers (Bot API, control API, OIDC, files, webhook delivery, the phone), and
//! the facade (the router, [`Sandbox`], [`SandboxHandle`], [`ControlClient`]).

// The model.
pub mod control;
mod error;
pub mod faults;
pub mod login;
pub mod passport;
mod samples;
pub mod types;
// The state and the shared handle.
mod shared;
mod state;
// The HTTP helpers.
mod http;
mod pages;
mod server;
// The handlers.
pub mod bot_api;
mod control_api;
mod files;
pub mod oidc;
pub mod phone;
pub mod webhook;
// The facade.
mod control_client;
mod router;
mod sandbox;

pub use control_client::ControlClient;
pub use error::{ControlClientError, ControlError, Error};
pub use sandbox::{Sandbox, SandboxBuilder, SandboxHandle};
pub use tgauth_core;
