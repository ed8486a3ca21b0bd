//! Know who a person is through Telegram.
//!
//! `tgauth` gathers the toolkit's pieces behind one dependency: Telegram Passport decryption,
//! Login Widget, OpenID Connect and Mini App verification, deep-link account linking, a Bot API
//! client with at-least-once update delivery, and a loopback sandbox of Telegram for tests. Each
//! piece is its own crate; depend on it directly when you need only that piece.
//!
//! # Crate features
//!
//! Every crate feature is named after the crate it re-exports, and all of those are on by default.
//! The `<crate>-<part>` features switch on optional parts of a crate (and the crate itself);
//! they are off by default.
//!
//! | feature | default | re-exports |
//! |---|---|---|
//! | `passport-types` | on | [`passport_types`]: Passport scopes, elements, credentials, element errors |
//! | `passport-crypto` | on | [`passport_crypto`]: open and seal Passport data (enables `passport-types`) |
//! | `passport-crypto-rsa-backend` | off | the pure-Rust `rsa` crate as a second RSA-OAEP backend (carries RUSTSEC-2023-0071; aws-lc-rs stays the default) |
//! | `login-widget` | on | [`login_widget`]: Login Widget, OIDC `id_token` and Mini App `initData` |
//! | `login-widget-axum` | off | `login_widget::extract`: axum extractors for widget data and `initData` (enables `login-widget`) |
//! | `login-widget-oidc-client` | off | `login_widget::oidc::client`: OIDC code exchange and JWKS fetch over HTTPS (enables `login-widget`) |
//! | `login-widget-es256k` | off | ES256K `id_token` signatures in `login_widget::oidc` (enables `login-widget`) |
//! | `deeplink-auth` | on | [`deeplink_auth`]: one-time codes, `/start` parsing, link stores (memory, SQLite) |
//! | `deeplink-auth-postgres` | off | the PostgreSQL link store (enables `deeplink-auth`) |
//! | `deeplink-auth-redis` | off | the Redis link store (enables `deeplink-auth`) |
//! | `bot-api-client` | on | [`bot_api_client`]: the Bot API client (enables `passport-types`) |
//! | `bot-api-client-axum` | off | `bot_api_client::webhook::router`: the axum webhook handler (enables `bot-api-client`) |
//! | `telegram-sandbox` | on | [`telegram_sandbox`]: the loopback Telegram emulator |

#[cfg(feature = "bot-api-client")]
pub use bot_api_client;
#[cfg(feature = "deeplink-auth")]
pub use deeplink_auth;
#[cfg(feature = "login-widget")]
pub use login_widget;
#[cfg(feature = "passport-crypto")]
pub use passport_crypto;
#[cfg(feature = "passport-types")]
pub use passport_types;
#[cfg(feature = "telegram-sandbox")]
pub use telegram_sandbox;
