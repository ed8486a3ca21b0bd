//! Verify and sign the ways a website learns who a Telegram user is.
//!
//! - [`widget`]: the Login Widget's HMAC-signed user data, in every form it arrives in.
//! - [`oidc`]: the OpenID Connect flow of oauth.telegram.org: authorization URLs with PKCE and
//!   `id_token` validation against a JWKS.
//! - [`webapp`]: Mini App `initData`, first-party (HMAC) and third-party (Ed25519).
//!
//! Every check takes `now` from the caller, compares MACs in constant time, and returns a typed
//! outcome. The default build depends on no async runtime and no HTTP client.

pub mod oidc;
pub mod webapp;
pub mod widget;
