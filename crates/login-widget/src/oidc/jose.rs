//! The JOSE model: JSON Web Keys, the algorithms, the `id_token` claims and header.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};
use tgauth_core::{UnixTime, UserId};

use super::{B64, IdTokenError};

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

    pub(super) fn from_name(name: &str) -> Result<Self, IdTokenError> {
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
    /// Expiry.
    pub exp: UnixTime,
    /// Issued at.
    pub iat: UnixTime,
    /// Not before, if the provider sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<UnixTime>,
    /// Authorized party: when present, it must be the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    /// The user's Telegram id.
    #[serde(
        default,
        deserialize_with = "integer_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<UserId>,
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
        iat: UnixTime,
        exp: UnixTime,
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

/// Telegram's `id` claim is a number; some emulators write it as a decimal string.
fn integer_or_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<UserId>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntegerOrString {
        Integer(i64),
        String(String),
    }
    match Option::<IntegerOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(IntegerOrString::Integer(id)) => Ok(Some(UserId(id))),
        Some(IntegerOrString::String(text)) => text
            .parse()
            .map(|id| Some(UserId(id)))
            .map_err(|_| serde::de::Error::custom("id is not an integer")),
    }
}

/// The members of a JOSE header the validator reads.
#[derive(Deserialize)]
pub(super) struct Header {
    pub(super) alg: String,
    #[serde(default)]
    pub(super) kid: Option<String>,
    /// Extensions the validator must understand (RFC 7515 section 4.1.11): it understands none.
    #[serde(default)]
    pub(super) crit: Option<serde_json::Value>,
}

/// One base64url part of a compact JWS, as JSON.
pub(super) fn decode_json<T: for<'de> Deserialize<'de>>(
    part: &str,
    what: &'static str,
) -> Result<T, IdTokenError> {
    let bytes = B64
        .decode(part)
        .map_err(|_| IdTokenError::Malformed { what })?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed { what })
}
