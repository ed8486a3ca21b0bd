//! Know who a person is through Telegram.
//!
//! `tgauth` gathers the toolkit under one dependency and composes it into what a service is
//! built from. The libraries, under short names:
//!
//! - [`login`]: Login Widget data, OpenID Connect `id_token`s and Mini App `initData`;
//! - [`link`]: deep-link account linking (one-time codes, `/start`, link stores, login links);
//! - [`passport`]: Telegram Passport (open and check what the app sent; [`passport::types`] for
//!   scopes, elements and element errors);
//! - [`bot`]: the Bot API client, with at-least-once polling and webhooks;
//! - `sandbox` (feature `telegram-sandbox`): a loopback emulator of Telegram for tests and
//!   offline demos.
//!
//! The composing layer (feature `compose`, on by default) joins them:
//!
//! - [`Identity`]: one verified Telegram identity from any source, keyed by the numeric user id;
//!   [`IdentityVerifier`] makes one from raw login data.
//! - [`UpdateHandler`]: the bot's side of every flow, one Bot API update at a time: `/start
//!   <code>` through the linker with an inline-keyboard confirmation, `/login` and login links,
//!   `passport_data` through the [`PassportReceiver`]. An update is acknowledged only after its
//!   effects are committed ([`UpdateHandler::run_polling`]).
//! - [`WebsiteLinking`]: the website's side of linking, with the claimer's name for the
//!   confirmation.
//! - [`Notifier`]: messages to a website account through its linked chats.
//!
//! The shared vocabulary (bot token, ids, time and clocks) comes from `tgauth-core` and is
//! re-exported at the root: [`BotToken`], [`UserId`], [`ChatId`], [`BotId`], [`UnixTime`],
//! [`Clock`], [`SystemClock`], [`FixedClock`].
//!
//! # Crate features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `compose` | on | the composing layer; enables the four library features below |
//! | `passport-types` | with `compose` | [`passport::types`]: Passport scopes, elements, credentials, element errors |
//! | `passport-crypto` | with `compose` | [`passport`]: open Passport data (enables `passport-types`) |
//! | `passport-crypto-seal` | off | `passport::seal`: sealing as the Telegram app does, for tests and tools |
//! | `passport-crypto-rsa-backend` | off | the pure-Rust `rsa` crate as a second RSA-OAEP backend (carries RUSTSEC-2023-0071) |
//! | `login-widget` | with `compose` | [`login`]: Login Widget, OIDC `id_token` and Mini App `initData` |
//! | `login-widget-sign` | off | the signers of login data (the Telegram side), for tests and tools |
//! | `login-widget-axum` | off | axum extractors for widget data and `initData` |
//! | `login-widget-oidc-client` | off | the OIDC code exchange and JWKS fetch over HTTPS |
//! | `login-widget-es256k` | off | ES256K `id_token` signatures |
//! | `deeplink-auth` | with `compose` | [`link`]: codes, `/start`, link stores (memory, SQLite), login links |
//! | `deeplink-auth-postgres` | off | the PostgreSQL link store |
//! | `deeplink-auth-redis` | off | the Redis link store |
//! | `bot-api-client` | with `compose` | [`bot`]: the Bot API client (enables `passport-types`) |
//! | `bot-api-client-axum` | off | the axum webhook endpoint, and `UpdateHandler::webhook_router` with `compose` |
//! | `telegram-sandbox` | off | `sandbox`: the loopback Telegram emulator, for tests and demos |
//!
//! A website that only verifies logins can depend on `tgauth` with `default-features = false,
//! features = ["login-widget"]` and compiles no async runtime.

pub use tgauth_core::{
    BotId, BotToken, ChatId, Clock, FixedClock, REDACTED, SystemClock, UnixTime, UserId,
    constant_time_eq,
};

/// Login Widget, OpenID Connect and Mini App verification (the `login-widget` crate).
#[cfg(feature = "login-widget")]
pub use login_widget as login;

/// Deep-link account linking (the `deeplink-auth` crate).
#[cfg(feature = "deeplink-auth")]
pub use deeplink_auth as link;

/// The Bot API client (the `bot-api-client` crate).
#[cfg(feature = "bot-api-client")]
pub use bot_api_client as bot;

/// The loopback Telegram emulator (the `telegram-sandbox` crate).
#[cfg(feature = "telegram-sandbox")]
pub use telegram_sandbox as sandbox;

/// Telegram Passport: opening and checking what the app sent (the `passport-crypto` crate),
/// and the data types in [`passport::types`] (the `passport-types` crate).
#[cfg(feature = "passport-types")]
pub mod passport {
    #[cfg(feature = "passport-crypto")]
    pub use passport_crypto::*;
    pub use passport_types as types;
}

#[cfg(feature = "compose")]
mod error;
#[cfg(feature = "compose")]
mod identity;
#[cfg(feature = "compose")]
mod linking;
#[cfg(feature = "compose")]
mod notify;
#[cfg(feature = "compose")]
mod reception;
#[cfg(feature = "compose")]
mod texts;
#[cfg(feature = "compose")]
mod updates;

#[cfg(feature = "compose")]
pub use error::Error;
#[cfg(feature = "compose")]
pub use identity::{Identity, IdentitySource, IdentityVerifier};
#[cfg(feature = "compose")]
pub use linking::{Claimer, LinkStatus, WebsiteLinking};
#[cfg(feature = "compose")]
pub use notify::{Notification, Notifier, NotifyOutcome};
#[cfg(feature = "compose")]
pub use reception::{
    BoxError, BoxFuture, FilePart, PassportReceiver, PassportRequests, ReceivedFile,
    ReceivedPassport, Reception, Rejection,
};
#[cfg(feature = "compose")]
pub use texts::Texts;
#[cfg(feature = "compose")]
pub use updates::{Handled, LoginLinks, UpdateHandler};
