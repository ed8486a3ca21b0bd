//! A loopback emulator of Telegram for offline tests and demos.
//!
//! It serves the Bot API (`/bot<token>/<method>`, `/file/bot<token>/<path>`), the OpenID Connect
//! provider of oauth.telegram.org, and a control API under `/sandbox/` that plays the Telegram
//! app's side: users sending messages and `/start` payloads, submitting Passport data sealed to
//! the bot's key, producing Login Widget data, and faults on demand.
//!
//! - [`bot_api`]: the Bot API methods with the real server's semantics.
//! - [`control`]: the `/sandbox/` control API.
//! - [`oidc`]: the OpenID Connect provider endpoints.

pub mod bot_api;
pub mod control;
pub mod oidc;
