//! Verify and sign the ways a website learns who a Telegram user is.
//!
//! - [`widget`]: the Login Widget's HMAC-signed user data, in every form it arrives in.
//! - [`oidc`]: the OpenID Connect flow of oauth.telegram.org: authorization URLs with PKCE and
//!   `id_token` validation against a JWKS.
//! - [`webapp`]: Mini App `initData`, first-party (HMAC) and third-party (Ed25519).
//!
//! Every check takes `now` from the caller, compares MACs in constant time, and returns a typed
//! outcome. The default build depends on no async runtime and no HTTP client.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use login_widget::{BotToken, ErrorKind, widget::{TelegramUser, WidgetSigner, WidgetVerifier}};
//!
//! let token = BotToken::new("123456:AAE-example-secret")?;
//! let user = TelegramUser {
//!     id: 42,
//!     first_name: "Ada".into(),
//!     last_name: None,
//!     username: Some("ada".into()),
//!     photo_url: None,
//!     auth_date: 1_700_000_000,
//! };
//! // What Telegram appends to the `data-auth-url` redirect:
//! let query = WidgetSigner::new(&token).sign_user(&user).query();
//!
//! let verifier = WidgetVerifier::new(&token);
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_060);
//! assert_eq!(verifier.verify_query(&query, now)?, user);
//!
//! // A day later the same data is refused as expired.
//! let later = now + Duration::from_secs(86_400);
//! let error = verifier.verify_query(&query, later).unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::Expired);
//! # Ok::<(), login_widget::LoginError>(())
//! ```
//!
//! # Crate features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `es256k` | off | ES256K `id_token` signatures (RustCrypto `k256`; ring has no secp256k1) |
//! | `oidc-client` | off | `oidc::client`: the code exchange and JWKS fetch over HTTPS (reqwest, rustls) |
//! | `axum` | off | `extract`: axum extractors for widget data and Mini App `initData` |

mod error;
mod fields;
mod policy;
mod token;

#[cfg(feature = "axum")]
pub mod extract;
pub mod oidc;
pub mod webapp;
pub mod widget;

pub use error::{ErrorKind, LoginError, Malformed};
pub use policy::Policy;
pub use token::BotToken;
