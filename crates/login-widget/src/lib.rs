//! Verify the ways a website learns who a Telegram user is.
//!
//! - [`widget`]: the Login Widget's HMAC-signed user data, in every form it arrives in.
//! - [`oidc`]: the OpenID Connect flow of oauth.telegram.org: authorization URLs with PKCE and
//!   `id_token` validation against a JWKS.
//! - [`webapp`]: Mini App `initData`, first-party (HMAC) and third-party (Ed25519).
//!
//! Every check takes `now` from the caller as a [`tgauth_core::UnixTime`], compares MACs in
//! constant time, and returns a typed outcome: [`Error`] for widget and Mini App data,
//! [`oidc::IdTokenError`] for `id_token`s; the application's own values (keys, PKCE verifiers,
//! settings) are refused with a [`ConfigError`]. The bot token, ids and time are
//! [`tgauth_core`]'s types, re-exported here as a module. The default build depends on no async
//! runtime and no HTTP client, and holds no signer and no test key: signing as Telegram does is
//! the `sign` feature, for tests and emulators.
//!
//! ```
//! use login_widget::{
//!     ErrorKind,
//!     tgauth_core::{BotToken, UnixTime, UserId},
//!     widget::WidgetVerifier,
//! };
//!
//! let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
//! // What Telegram appends to the `data-auth-url` redirect:
//! let query = "id=42&first_name=Ada&username=ada&auth_date=1700000000\
//!              &hash=9f7aef9abf7b779d9bfd5f1ead0d224ecdf30e8a75b30f9f437927736485ef4b";
//!
//! let verifier = WidgetVerifier::new(&token);
//! let now = UnixTime(1_700_000_060);
//! let user = verifier.verify_query(query, now)?;
//! assert_eq!((user.id, user.first_name.as_str()), (UserId(42), "Ada"));
//!
//! // A day later the same data is refused as expired.
//! let error = verifier.verify_query(query, now.plus(86_400)).unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::Expired);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `sign` | off | the Telegram side, for tests and emulators: `widget::WidgetSigner`, `webapp::WebAppSigner` and `webapp::ThirdPartyKey`, `oidc::IdTokenSigner` with the published test keys |
//! | `es256k` | off | ES256K `id_token` signatures (RustCrypto `k256`; ring has no secp256k1) |
//! | `oidc-client` | off | `oidc::client`: the code exchange, JWKS fetch and JWKS cache over HTTPS (reqwest, rustls) |
//! | `axum` | off | `extract`: axum extractors for widget data and Mini App `initData` |

mod error;
mod fields;
mod policy;

#[cfg(feature = "axum")]
pub mod extract;
pub mod oidc;
pub mod webapp;
pub mod widget;

pub use error::{ConfigError, Error, ErrorKind, Malformed};
pub use policy::Policy;
pub use tgauth_core;
