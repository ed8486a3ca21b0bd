//! OpenID Connect relying party for oauth.telegram.org: authorization URL with PKCE, `id_token` validation.
//!
//! Telegram's current "Log In With Telegram" is a standard OpenID Connect provider at
//! `https://oauth.telegram.org` (authorization code flow with PKCE S256; discovery at
//! `/.well-known/openid-configuration`, authorization at `/auth`, token at `/token` with HTTP
//! Basic client authentication, keys at `/.well-known/jwks.json`). The client id is the bot id,
//! so a valid `id_token` has `aud` = bot id and `iss` = `https://oauth.telegram.org`.
//!
//! Sources: the flow, scopes and claims follow core.telegram.org/bots/telegram-login. In the
//! offline session that wrote this module the page's endpoint table was not readable, so the
//! endpoint paths, the issuer string and HTTP Basic client authentication were taken from
//! public relying-party integrations of Telegram's provider (which agree on them); every path
//! is configurable through [`Provider`] in case Telegram's discovery document says otherwise.
//!
//! The module is in parts, each re-exported here:
//!
//! - the start of the flow: [`Provider`], [`Scope`], [`PkceVerifier`], [`LoginAttempt`],
//!   [`AuthorizationParams`] and [`random_token`];
//! - the JOSE model: [`Jwks`], [`Jwk`], [`Algorithm`], [`IdTokenClaims`];
//! - validation: [`IdTokenValidator`] checks an `id_token` against a JWKS the caller holds
//!   (RS256, ES256, EdDSA, and ES256K with the `es256k` feature) and says why it refused in
//!   [`IdTokenError`];
//! - with the `sign` feature, the provider's side: `IdTokenSigner` signs tokens and publishes
//!   their JWKS, and holds the published test keys (tests and emulators only);
//! - with the `oidc-client` feature, `client`: the HTTP exchange, the JWKS fetch and a JWKS
//!   cache with an age and refetch policy.
//!
//! ```
//! use login_widget::{oidc::{IdTokenValidator, Jwks}, tgauth_core::{BotId, UnixTime, UserId}};
//!
//! // The provider's JWKS, as fetched from `/.well-known/jwks.json`.
//! let jwks: Jwks = serde_json::from_str(
//!     r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"test-eddsa","alg":"EdDSA","use":"sig",
//!                  "x":"hSxHUdcMrzciiaM8rQ2L8hboWdMSAh58r02zgy5Ag4Y"}]}"#,
//! )?;
//! // The `id_token` of the token response, for the bot 123456.
//! let id_token = concat!(
//!     "eyJhbGciOiJFZERTQSIsImtpZCI6InRlc3QtZWRkc2EiLCJ0eXAiOiJKV1QifQ.eyJpc3MiOiJodHRwc",
//!     "zovL29hdXRoLnRlbGVncmFtLm9yZyIsImF1ZCI6IjEyMzQ1NiIsInN1YiI6IlYyaHZJSEpsWVdSeklIU",
//!     "m9hWE0iLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwibm9uY2UiOiJuLTBTNl9XekEyT",
//!     "WoiLCJpZCI6Mjc5MDU4Mzk3LCJuYW1lIjoiVmxhZGlzbGF2IEtpYmVua28iLCJwcmVmZXJyZWRfdXNlc",
//!     "m5hbWUiOiJ2ZGtmcm9zdCIsInBpY3R1cmUiOiJodHRwczovL3QubWUvaS91c2VycGljLzMyMC92ZGtmc",
//!     "m9zdC5qcGciLCJwaG9uZV9udW1iZXIiOiIrMTU1NTAxMDAifQ.r0b8D9CNabHDEDZKbYgTCF3PFaYNA_",
//!     "C40uLcEhcNEW08qZT4Wmd1i44Y_eot4_GIP80mRfby9fWSQ200361tDA",
//! );
//! let validator = IdTokenValidator::for_bot(jwks, BotId(123456));
//! let claims = validator.validate(id_token, Some("n-0S6_WzA2Mj"), UnixTime(1_700_000_010))?;
//! assert_eq!(claims.id, Some(UserId(279058397)));
//! assert_eq!(claims.preferred_username.as_deref(), Some("vdkfrost"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorize;
#[cfg(feature = "oidc-client")]
pub mod client;
mod jose;
#[cfg(feature = "sign")]
mod signing;
mod validation;

pub use authorize::{
    AuthorizationParams, LoginAttempt, PkceVerifier, Provider, Scope, random_token,
};
pub use jose::{Algorithm, IdTokenClaims, Jwk, Jwks};
#[cfg(feature = "sign")]
pub use signing::IdTokenSigner;
pub use validation::{IdTokenError, IdTokenValidator, NoncePolicy};

/// Unpadded base64url: the encoding of every JOSE part and of PKCE values.
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The issuer (`iss`) of Telegram's `id_token`s and the base of its endpoints.
pub const TELEGRAM_ISSUER: &str = "https://oauth.telegram.org";
