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
//! This module builds the authorization URL ([`AuthorizationParams`]), validates an `id_token`
//! against a JWKS the caller holds ([`IdTokenValidator`]: RS256, ES256, EdDSA, and ES256K with
//! the `es256k` feature) and signs tokens for tests and the sandbox ([`IdTokenSigner`]). The
//! HTTP exchange and the JWKS fetch live in `client` behind the `oidc-client` feature.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use login_widget::oidc::{IdTokenClaims, IdTokenSigner, IdTokenValidator, TELEGRAM_ISSUER};
//!
//! let signer = IdTokenSigner::test_keys();
//! let claims = IdTokenClaims::new(TELEGRAM_ISSUER, "42", "123456", 1_700_000_000, 1_700_003_600)
//!     .with_nonce("n-0S6_WzA2Mj");
//! let token = signer.sign("test-es256", &claims)?;
//!
//! let validator = IdTokenValidator::new(signer.jwks(), "123456");
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_010);
//! let verified = validator.validate(&token, Some("n-0S6_WzA2Mj"), now)?;
//! assert_eq!(verified.sub, "42");
//! # Ok::<(), login_widget::oidc::IdTokenError>(())
//! ```

#[cfg(feature = "oidc-client")]
pub mod client;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use ring::{
    digest,
    rand::{SecureRandom, SystemRandom},
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair},
};
use serde::{Deserialize, Deserializer, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::policy::unix_seconds;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The issuer (`iss`) of Telegram's `id_token`s and the base of its endpoints.
pub const TELEGRAM_ISSUER: &str = "https://oauth.telegram.org";

/// Why an `id_token` (or a key for one) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token is not three base64url parts of JSON, or a claim has the wrong type.
    #[error("malformed id_token: {what}")]
    Malformed {
        /// What could not be read.
        what: &'static str,
    },
    /// The header says `alg: none`: an unsigned token is never accepted.
    #[error("id_token is unsigned (alg none)")]
    AlgorithmNone,
    /// The header names an algorithm this build does not verify.
    #[error("unsupported id_token algorithm `{alg}`")]
    UnsupportedAlgorithm {
        /// The `alg` of the header.
        alg: String,
    },
    /// The header has no `kid`.
    #[error("id_token header has no kid")]
    MissingKeyId,
    /// No key of the JWKS has the header's `kid`.
    #[error("no key with kid `{kid}` in the JWKS")]
    UnknownKeyId {
        /// The `kid` of the header.
        kid: String,
    },
    /// No key with this `kid` is a signing key for the header's algorithm (key type, curve,
    /// `alg` and `use` all fit) that can be read.
    #[error("key `{kid}` does not fit the token's algorithm")]
    KeyMismatch {
        /// The `kid` of the key.
        kid: String,
    },
    /// The signature does not verify.
    #[error("id_token signature does not verify")]
    InvalidSignature,
    /// `iss` is not the expected issuer.
    #[error("id_token issuer `{found}` is not the expected one")]
    WrongIssuer {
        /// The `iss` received.
        found: String,
    },
    /// `aud` does not contain the client id (the bot id), or `azp` names another party.
    #[error("id_token audience does not contain the client id")]
    WrongAudience,
    /// A nonce was expected and the token carries none.
    #[error("id_token has no nonce")]
    MissingNonce,
    /// The token's nonce is not the one sent in the authorization request.
    #[error("id_token nonce does not match")]
    WrongNonce,
    /// `exp` (plus the accepted skew) is before `now`.
    #[error("id_token expired at {exp}, now is {now}")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// `now` in Unix seconds.
        now: i64,
    },
    /// `iat` is after `now` plus the accepted skew.
    #[error("id_token issued at {iat}, in the future of {now}")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// `now` in Unix seconds.
        now: i64,
    },
    /// `nbf` is after `now` plus the accepted skew.
    #[error("id_token not valid before {nbf}, now is {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// `now` in Unix seconds.
        now: i64,
    },
    /// A signing key could not be loaded, or a PKCE verifier has the wrong shape.
    #[error("key rejected: {what}")]
    InvalidKey {
        /// What was wrong.
        what: &'static str,
    },
    /// Signing failed (no key with that kid, or the crypto library refused).
    #[error("signing failed: {what}")]
    Signing {
        /// What was wrong.
        what: &'static str,
    },
}

/// The endpoints of an OpenID Connect provider: Telegram's, or the sandbox's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    discovery_url: String,
}

impl Provider {
    /// `https://oauth.telegram.org`.
    pub fn telegram() -> Self {
        Self::with_base_url(TELEGRAM_ISSUER)
    }

    /// A provider at `base` (e.g. the sandbox on `http://127.0.0.1:PORT`), Telegram's paths
    /// under it, issuer = `base`.
    pub fn with_base_url(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            issuer: base.to_owned(),
            authorization_endpoint: format!("{base}/auth"),
            token_endpoint: format!("{base}/token"),
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            discovery_url: format!("{base}/.well-known/openid-configuration"),
        }
    }

    /// Overrides the expected issuer (for an emulator that signs as `https://oauth.telegram.org`).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The `iss` of the provider's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The authorization endpoint (`/auth`).
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }

    /// The token endpoint (`/token`).
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The JWKS URL (`/.well-known/jwks.json`).
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// The discovery document URL (`/.well-known/openid-configuration`).
    pub fn discovery_url(&self) -> &str {
        &self.discovery_url
    }
}

/// The scopes Telegram's provider knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `openid`: required, yields the `id_token`.
    OpenId,
    /// `profile`: name, username and picture.
    Profile,
    /// `phone`: the verified phone number.
    Phone,
    /// `telegram:bot_access`: lets the bot message the user.
    BotAccess,
}

impl Scope {
    /// The scope as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::Profile => "profile",
            Self::Phone => "phone",
            Self::BotAccess => "telegram:bot_access",
        }
    }
}

/// A PKCE code verifier (RFC 7636): 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`. Secret
/// until the code exchange: redacted `Debug`, zeroized on drop.
#[derive(Clone)]
pub struct PkceVerifier(Zeroizing<String>);

impl std::fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PkceVerifier(<redacted>)")
    }
}

impl PkceVerifier {
    /// Checks the RFC 7636 shape of a verifier kept from an earlier request.
    pub fn new(verifier: impl Into<String>) -> Result<Self, IdTokenError> {
        let verifier = Zeroizing::new(verifier.into());
        let valid = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if valid {
            Ok(Self(verifier))
        } else {
            Err(IdTokenError::InvalidKey {
                what: "PKCE verifier must be 43 to 128 unreserved characters",
            })
        }
    }

    /// A fresh verifier of 32 random bytes (43 base64url characters).
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, IdTokenError> {
        Ok(Self(Zeroizing::new(random_token(rng)?)))
    }

    /// The S256 code challenge: base64url(SHA-256(verifier)).
    pub fn challenge(&self) -> String {
        B64.encode(digest::digest(&digest::SHA256, self.0.as_bytes()))
    }

    /// The verifier itself, for the token request.
    pub fn dangerous_expose(&self) -> &str {
        &self.0
    }
}

/// 32 random bytes in base64url: for `state`, `nonce` and PKCE verifiers.
pub fn random_token(rng: &dyn SecureRandom) -> Result<String, IdTokenError> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes).map_err(|_| IdTokenError::Signing {
        what: "random number generator failed",
    })?;
    Ok(B64.encode(bytes))
}

/// A fresh `state`, `nonce` and PKCE verifier for one login attempt: keep them (server-side,
/// or in an encrypted cookie) until the callback.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The anti-CSRF value the callback must echo.
    pub state: String,
    /// The value the `id_token` must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub pkce: PkceVerifier,
}

impl LoginAttempt {
    /// Draws the three values from `rng` (e.g. `ring::rand::SystemRandom::new()`).
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, IdTokenError> {
        Ok(Self {
            state: random_token(rng)?,
            nonce: random_token(rng)?,
            pkce: PkceVerifier::generate(rng)?,
        })
    }

    /// The authorization URL for this attempt.
    pub fn url(
        &self,
        provider: &Provider,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[Scope],
    ) -> String {
        AuthorizationParams {
            client_id,
            redirect_uri,
            scopes,
            state: &self.state,
            nonce: &self.nonce,
            pkce: &self.pkce,
        }
        .url(provider)
    }
}

/// What goes into the authorization URL.
#[derive(Debug, Clone)]
pub struct AuthorizationParams<'a> {
    /// The client id: the bot id.
    pub client_id: &'a str,
    /// Where the provider sends the user back with `code` and `state`.
    pub redirect_uri: &'a str,
    /// The scopes; `openid` is added when missing.
    pub scopes: &'a [Scope],
    /// The anti-CSRF `state` to check on the callback.
    pub state: &'a str,
    /// The `nonce` the `id_token` must carry.
    pub nonce: &'a str,
    /// The PKCE verifier whose S256 challenge is sent.
    pub pkce: &'a PkceVerifier,
}

impl AuthorizationParams<'_> {
    /// The authorization URL at `provider`.
    pub fn url(&self, provider: &Provider) -> String {
        let mut scopes: Vec<&str> = Vec::with_capacity(self.scopes.len() + 1);
        if !self.scopes.contains(&Scope::OpenId) {
            scopes.push(Scope::OpenId.as_str());
        }
        scopes.extend(self.scopes.iter().map(|scope| scope.as_str()));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", self.state)
            .append_pair("nonce", self.nonce)
            .append_pair("code_challenge", &self.pkce.challenge())
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("{}?{query}", provider.authorization_endpoint())
    }
}

/// A JSON Web Key Set (RFC 7517), as published at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// One public JSON Web Key: RSA (`n`, `e`), EC (`crv`, `x`, `y`) or OKP (`crv`, `x`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm (`RS256`, `ES256`, `EdDSA`, `ES256K`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// RSA modulus, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve: `P-256`, `secp256k1` or `Ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate or OKP public key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// The JWS algorithms this module signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048 to 8192-bit keys).
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// ECDSA secp256k1 with SHA-256 (feature `es256k`).
    #[cfg(feature = "es256k")]
    Es256k,
}

impl Algorithm {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            #[cfg(feature = "es256k")]
            Self::Es256k => "ES256K",
        }
    }

    fn from_name(name: &str) -> Result<Self, IdTokenError> {
        match name {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            "EdDSA" => Ok(Self::EdDsa),
            #[cfg(feature = "es256k")]
            "ES256K" => Ok(Self::Es256k),
            _ if name.eq_ignore_ascii_case("none") => Err(IdTokenError::AlgorithmNone),
            other => Err(IdTokenError::UnsupportedAlgorithm {
                alg: other.chars().take(32).collect(),
            }),
        }
    }
}

/// The claims of a Telegram `id_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: a stable identifier of the user for this client.
    pub sub: String,
    /// Audience: the client ids (the bot id) the token is for.
    #[serde(
        deserialize_with = "one_or_many",
        serialize_with = "serialize_audience"
    )]
    pub aud: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds, if the provider sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Authorized party: when present, it must be the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The user's Telegram id.
    #[serde(
        default,
        deserialize_with = "integer_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    /// Display name (scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Username (scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Profile photo URL (scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Verified phone number (scope `phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

impl IdTokenClaims {
    /// The required claims; the optional ones are `None`.
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        aud: impl Into<String>,
        iat: i64,
        exp: i64,
    ) -> Self {
        Self {
            iss: iss.into(),
            sub: sub.into(),
            aud: vec![aud.into()],
            exp,
            iat,
            nbf: None,
            azp: None,
            nonce: None,
            auth_time: None,
            id: None,
            name: None,
            preferred_username: None,
            picture: None,
            phone_number: None,
        }
    }

    /// Sets the nonce.
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

fn serialize_audience<S: serde::Serializer>(
    aud: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match aud {
        [one] => serializer.serialize_str(one),
        many => many.serialize(serializer),
    }
}

fn integer_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntegerOrString {
        Integer(i64),
        String(String),
    }
    match Option::<IntegerOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(IntegerOrString::Integer(id)) => Ok(Some(id)),
        Some(IntegerOrString::String(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("id is not an integer")),
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    /// Extensions the validator must understand (RFC 7515 section 4.1.11): it understands none.
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Validates `id_token`s against a JWKS the caller holds.
#[derive(Debug, Clone)]
pub struct IdTokenValidator {
    jwks: Jwks,
    issuer: String,
    client_id: String,
    skew: Duration,
}

impl IdTokenValidator {
    /// Tokens for `client_id` (the bot id) from Telegram's issuer, 60 s clock skew.
    pub fn new(jwks: Jwks, client_id: impl ToString) -> Self {
        Self {
            jwks,
            issuer: TELEGRAM_ISSUER.to_owned(),
            client_id: client_id.to_string(),
            skew: Duration::from_secs(60),
        }
    }

    /// Expects this issuer instead (the sandbox's, say: [`Provider::issuer`]).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the accepted clock skew for `exp` and `iat`.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Replaces the key set (after a JWKS refresh).
    pub fn with_jwks(mut self, jwks: Jwks) -> Self {
        self.jwks = jwks;
        self
    }

    /// Verifies the signature by the key with the header's `kid`, then `iss`, `aud` (and `azp`
    /// when present), `exp`, `iat`, `nbf` when present and, when `expected_nonce` is given,
    /// `nonce` (compared in constant time). Pass the nonce of the authorization request: only
    /// a flow that sent none may pass `None`.
    ///
    /// Only the JWKS given here is trusted: header members that point at other keys (`jku`,
    /// `jwk`, `x5u`) are ignored, `alg: none` and HMAC algorithms are refused, and the key must
    /// be of the type the header's `alg` requires, so a public key can never serve as an HMAC
    /// secret or an RSA key check an ECDSA signature.
    pub fn validate(
        &self,
        id_token: &str,
        expected_nonce: Option<&str>,
        now: SystemTime,
    ) -> Result<IdTokenClaims, IdTokenError> {
        let mut parts = id_token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(IdTokenError::Malformed {
                what: "not three dot-separated parts",
            });
        };
        let header: Header = decode_json(header, "header")?;
        let algorithm = Algorithm::from_name(&header.alg)?;
        if header.crit.is_some() {
            return Err(IdTokenError::Malformed {
                what: "header names critical extensions",
            });
        }
        let kid = header.kid.ok_or(IdTokenError::MissingKeyId)?;
        // A JWKS may hold several keys under one kid (RFC 7517 only says SHOULD be distinct,
        // and a rotation can briefly repeat one): every key with the kid that fits the
        // algorithm is a candidate, never just the first one listed.
        let mut candidates = self
            .jwks
            .keys
            .iter()
            .filter(|key| key.kid.as_deref() == Some(kid.as_str()))
            .peekable();
        if candidates.peek().is_none() {
            return Err(IdTokenError::UnknownKeyId {
                kid: kid.chars().take(64).collect(),
            });
        }
        let signature = B64.decode(signature).map_err(|_| IdTokenError::Malformed {
            what: "signature is not base64url",
        })?;
        let signed = id_token
            .len()
            .checked_sub(id_token.rsplit('.').next().map_or(0, str::len) + 1)
            .and_then(|end| id_token.get(..end))
            .ok_or(IdTokenError::Malformed {
                what: "not three dot-separated parts",
            })?;
        let mut outcome = Err(IdTokenError::KeyMismatch {
            kid: kid.chars().take(64).collect(),
        });
        for key in candidates {
            match verify_signature(algorithm, key, signed.as_bytes(), &signature) {
                Ok(()) => {
                    outcome = Ok(());
                    break;
                }
                Err(KeyOutcome::BadSignature) => outcome = Err(IdTokenError::InvalidSignature),
                Err(KeyOutcome::DoesNotFit) => {}
            }
        }
        outcome?;

        let claims: IdTokenClaims = decode_json(payload, "payload")?;
        if claims.iss != self.issuer {
            return Err(IdTokenError::WrongIssuer {
                found: claims.iss.chars().take(256).collect(),
            });
        }
        if !claims.aud.contains(&self.client_id)
            || claims
                .azp
                .as_ref()
                .is_some_and(|azp| *azp != self.client_id)
        {
            return Err(IdTokenError::WrongAudience);
        }
        let now = unix_seconds(now);
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX);
        if now > claims.exp.saturating_add(skew) {
            return Err(IdTokenError::Expired {
                exp: claims.exp,
                now,
            });
        }
        if claims.iat > now.saturating_add(skew) {
            return Err(IdTokenError::IssuedInFuture {
                iat: claims.iat,
                now,
            });
        }
        if let Some(nbf) = claims.nbf
            && nbf > now.saturating_add(skew)
        {
            return Err(IdTokenError::NotYetValid { nbf, now });
        }
        if let Some(expected) = expected_nonce {
            let nonce = claims.nonce.as_deref().ok_or(IdTokenError::MissingNonce)?;
            if !bool::from(nonce.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(IdTokenError::WrongNonce);
            }
        }
        Ok(claims)
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(
    part: &str,
    what: &'static str,
) -> Result<T, IdTokenError> {
    let bytes = B64
        .decode(part)
        .map_err(|_| IdTokenError::Malformed { what })?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed { what })
}

/// Why one candidate key did not verify a token.
enum KeyOutcome {
    /// The key is not a readable signing key of the algorithm's type.
    DoesNotFit,
    /// The key fits and the signature does not verify under it.
    BadSignature,
}

/// A base64url member of a JWK, decoded; absent or undecodable means the key does not fit.
fn key_field(field: Option<&str>) -> Result<Vec<u8>, KeyOutcome> {
    let text = field.ok_or(KeyOutcome::DoesNotFit)?;
    B64.decode(text).map_err(|_| KeyOutcome::DoesNotFit)
}

fn verify_signature(
    algorithm: Algorithm,
    key: &Jwk,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyOutcome> {
    // The key's own `alg` and `use`, when published, must allow this use: an encryption key
    // or a key meant for another algorithm is never a candidate.
    if key
        .alg
        .as_deref()
        .is_some_and(|alg| alg != algorithm.as_str())
        || key
            .key_use
            .as_deref()
            .is_some_and(|key_use| key_use != "sig")
    {
        return Err(KeyOutcome::DoesNotFit);
    }
    let require_key_type = |kty: &str, crv: Option<&str>| {
        if key.kty == kty && (crv.is_none() || key.crv.as_deref() == crv) {
            Ok(())
        } else {
            Err(KeyOutcome::DoesNotFit)
        }
    };
    let verified = match algorithm {
        Algorithm::Rs256 => {
            require_key_type("RSA", None)?;
            let components = signature::RsaPublicKeyComponents {
                n: key_field(key.n.as_deref())?,
                e: key_field(key.e.as_deref())?,
            };
            components.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
        }
        Algorithm::Es256 => {
            require_key_type("EC", Some("P-256"))?;
            let point = uncompressed_point(key)?;
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
        }
        Algorithm::EdDsa => {
            require_key_type("OKP", Some("Ed25519"))?;
            let x = key_field(key.x.as_deref())?;
            if x.len() != 32 {
                return Err(KeyOutcome::DoesNotFit);
            }
            signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature)
        }
        #[cfg(feature = "es256k")]
        Algorithm::Es256k => {
            use k256::ecdsa::signature::Verifier as _;
            require_key_type("EC", Some("secp256k1"))?;
            let point = uncompressed_point(key)?;
            let verifying_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| KeyOutcome::DoesNotFit)?;
            let signature = k256::ecdsa::Signature::from_slice(signature)
                .map_err(|_| KeyOutcome::BadSignature)?;
            // k256 verifies only low-S signatures (Bitcoin's rule); JOSE (RFC 8812) allows
            // both, and a JWT's validity does not hinge on signature malleability.
            let signature = signature.normalize_s().unwrap_or(signature);
            verifying_key
                .verify(message, &signature)
                .map_err(|_| ring::error::Unspecified)
        }
    };
    verified.map_err(|_| KeyOutcome::BadSignature)
}

fn uncompressed_point(key: &Jwk) -> Result<Vec<u8>, KeyOutcome> {
    let x = key_field(key.x.as_deref())?;
    let y = key_field(key.y.as_deref())?;
    if x.len() != 32 || y.len() != 32 {
        return Err(KeyOutcome::DoesNotFit);
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    #[cfg(feature = "es256k")]
    Secp256k1(k256::ecdsa::SigningKey),
}

struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    material: KeyMaterial,
}

/// Signs `id_token`s and publishes their JWKS: the provider's side, for tests and the sandbox.
///
/// [`IdTokenSigner::test_keys`] holds one published test key per algorithm (never use them
/// outside tests); add real keys with the `add_*` methods.
#[derive(Default)]
pub struct IdTokenSigner {
    keys: Vec<SigningKey>,
}

impl std::fmt::Debug for IdTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenSigner")
            .field(
                "kids",
                &self
                    .keys
                    .iter()
                    .map(|key| key.kid.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The RSA-2048 test key (PKCS#8 DER), generated once with Python's `cryptography`.
const TEST_RSA_PKCS8: &[u8] = include_bytes!("oidc_test_keys/rs256.pk8");
/// The P-256 test key (PKCS#8 DER), generated once with Python's `cryptography`.
const TEST_P256_PKCS8: &[u8] = include_bytes!("oidc_test_keys/es256.pk8");
/// The Ed25519 test key's seed.
const TEST_ED25519_SEED: [u8; 32] = *b"tgauth login-widget ed25519 test";
/// The secp256k1 test key's secret scalar.
#[cfg(feature = "es256k")]
const TEST_SECP256K1_SECRET: [u8; 32] = *b"tgauth login-widget es256k test!";

impl IdTokenSigner {
    /// One test key per algorithm, with kids `test-rs256`, `test-es256`, `test-eddsa` (and
    /// `test-es256k` with the `es256k` feature). The keys are public: tests only.
    pub fn test_keys() -> Self {
        let signer = Self::default();
        let signer = signer
            .add_rsa_pkcs8("test-rs256", TEST_RSA_PKCS8)
            .and_then(|signer| signer.add_ecdsa_p256_pkcs8("test-es256", TEST_P256_PKCS8))
            .and_then(|signer| signer.add_ed25519_seed("test-eddsa", &TEST_ED25519_SEED));
        #[cfg(feature = "es256k")]
        let signer = signer
            .and_then(|signer| signer.add_es256k_secret("test-es256k", &TEST_SECP256K1_SECRET));
        // The embedded keys are fixed and load on every platform ring supports.
        signer.unwrap_or_default()
    }

    /// Adds an RSA key (PKCS#8 DER, 2048 bits or more) signing RS256.
    pub fn add_rsa_pkcs8(
        mut self,
        kid: impl Into<String>,
        pkcs8: &[u8],
    ) -> Result<Self, IdTokenError> {
        let key = RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| IdTokenError::InvalidKey {
            what: "not an RSA PKCS#8 key ring accepts",
        })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Rs256,
            material: KeyMaterial::Rsa(key),
        });
        Ok(self)
    }

    /// Adds a P-256 key (PKCS#8 DER) signing ES256.
    pub fn add_ecdsa_p256_pkcs8(
        mut self,
        kid: impl Into<String>,
        pkcs8: &[u8],
    ) -> Result<Self, IdTokenError> {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                .map_err(|_| IdTokenError::InvalidKey {
                    what: "not a P-256 PKCS#8 key",
                })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Es256,
            material: KeyMaterial::Ecdsa(key),
        });
        Ok(self)
    }

    /// Adds an Ed25519 key from its 32-byte seed, signing EdDSA.
    pub fn add_ed25519_seed(
        mut self,
        kid: impl Into<String>,
        seed: &[u8; 32],
    ) -> Result<Self, IdTokenError> {
        let key =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| IdTokenError::InvalidKey {
                what: "not an Ed25519 seed",
            })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::EdDsa,
            material: KeyMaterial::Ed25519(key),
        });
        Ok(self)
    }

    /// Adds a secp256k1 key from its 32-byte secret scalar, signing ES256K.
    #[cfg(feature = "es256k")]
    pub fn add_es256k_secret(
        mut self,
        kid: impl Into<String>,
        secret: &[u8; 32],
    ) -> Result<Self, IdTokenError> {
        let key =
            k256::ecdsa::SigningKey::from_slice(secret).map_err(|_| IdTokenError::InvalidKey {
                what: "not a secp256k1 scalar",
            })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Es256k,
            material: KeyMaterial::Secp256k1(key),
        });
        Ok(self)
    }

    /// The key ids, in the order added.
    pub fn kids(&self) -> impl Iterator<Item = (&str, Algorithm)> {
        self.keys
            .iter()
            .map(|key| (key.kid.as_str(), key.algorithm))
    }

    /// The public keys as a JWKS, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(public_jwk).collect(),
        }
    }

    /// Signs `claims` (any serializable object) with the key `kid`, as a compact JWS.
    pub fn sign<C: Serialize>(&self, kid: &str, claims: &C) -> Result<String, IdTokenError> {
        let key = self
            .keys
            .iter()
            .find(|key| key.kid == kid)
            .ok_or(IdTokenError::Signing {
                what: "no key with this kid",
            })?;
        let header =
            serde_json::json!({ "alg": key.algorithm.as_str(), "kid": key.kid, "typ": "JWT" });
        let payload = serde_json::to_vec(claims).map_err(|_| IdTokenError::Signing {
            what: "claims do not serialize",
        })?;
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
        let signature = sign_bytes(&key.material, signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }
}

fn sign_bytes(material: &KeyMaterial, message: &[u8]) -> Result<Vec<u8>, IdTokenError> {
    let failed = |_| IdTokenError::Signing {
        what: "the signing primitive failed",
    };
    let rng = SystemRandom::new();
    match material {
        KeyMaterial::Rsa(key) => {
            let mut signature = vec![0u8; key.public().modulus_len()];
            key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                .map_err(failed)?;
            Ok(signature)
        }
        KeyMaterial::Ecdsa(key) => Ok(key.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
        KeyMaterial::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        #[cfg(feature = "es256k")]
        KeyMaterial::Secp256k1(key) => {
            use k256::ecdsa::signature::Signer as _;
            let signature: k256::ecdsa::Signature = key.sign(message);
            Ok(signature.to_bytes().to_vec())
        }
    }
}

fn public_jwk(key: &SigningKey) -> Jwk {
    let base = Jwk {
        kid: Some(key.kid.clone()),
        alg: Some(key.algorithm.as_str().to_owned()),
        key_use: Some("sig".to_owned()),
        ..Jwk::default()
    };
    match &key.material {
        KeyMaterial::Rsa(pair) => {
            let components: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
            Jwk {
                kty: "RSA".to_owned(),
                n: Some(B64.encode(components.n)),
                e: Some(B64.encode(components.e)),
                ..base
            }
        }
        KeyMaterial::Ecdsa(pair) => ec_jwk(base, "P-256", pair.public_key().as_ref()),
        KeyMaterial::Ed25519(pair) => Jwk {
            kty: "OKP".to_owned(),
            crv: Some("Ed25519".to_owned()),
            x: Some(B64.encode(pair.public_key().as_ref())),
            ..base
        },
        #[cfg(feature = "es256k")]
        KeyMaterial::Secp256k1(pair) => {
            let point = pair.verifying_key().to_encoded_point(false);
            ec_jwk(base, "secp256k1", point.as_bytes())
        }
    }
}

fn ec_jwk(base: Jwk, curve: &str, uncompressed: &[u8]) -> Jwk {
    let (x, y) = match uncompressed {
        [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
        _ => (&[][..], &[][..]),
    };
    Jwk {
        kty: "EC".to_owned(),
        crv: Some(curve.to_owned()),
        x: Some(B64.encode(x)),
        y: Some(B64.encode(y)),
        ..base
    }
}
