//! What can be wrong with login data (malformed, not signed by Telegram, or outside its window),
//! and what can be wrong with the configuration that checks or signs it.

use tgauth_core::UnixTime;

/// Why Login Widget or Mini App data was refused: the verdict of every widget and Mini App check.
///
/// The variants are checked in this order: a malformed input is reported before a hash or
/// signature mismatch, and a mismatch before a freshness failure, so an attacker learns nothing
/// about the freshness policy from forged data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be read as login data.
    #[error("malformed login data: {0}")]
    Malformed(Malformed),
    /// The HMAC in `hash` does not match the data under this bot's key.
    #[error("login data hash does not match")]
    InvalidHash,
    /// The Mini App third-party Ed25519 `signature` does not verify under the given key.
    #[error("init data signature does not verify")]
    InvalidSignature,
    /// `auth_date` is older than the accepted maximum age.
    #[error(
        "login data expired: auth_date {auth_date} is {age} s before now, more than {max_age} s"
    )]
    Expired {
        /// The `auth_date` received.
        auth_date: UnixTime,
        /// `now - auth_date` in seconds.
        age: i64,
        /// The accepted maximum age in seconds.
        max_age: u64,
    },
    /// `auth_date` lies further in the future than the accepted clock skew.
    #[error(
        "login data dated in the future: auth_date {auth_date} is {ahead} s after now, more than {skew} s"
    )]
    FromTheFuture {
        /// The `auth_date` received.
        auth_date: UnixTime,
        /// `auth_date - now` in seconds.
        ahead: i64,
        /// The accepted skew in seconds.
        skew: u64,
    },
}

impl Error {
    /// The outcome class: what `tgauth login verify` prints as `reason`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed(_) => ErrorKind::Malformed,
            Self::InvalidHash | Self::InvalidSignature => ErrorKind::InvalidHash,
            Self::Expired { .. } | Self::FromTheFuture { .. } => ErrorKind::Expired,
        }
    }
}

impl From<Malformed> for Error {
    fn from(malformed: Malformed) -> Self {
        Self::Malformed(malformed)
    }
}

/// The three outcome classes of a refused login, in their order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The data could not be read (see [`Malformed`]).
    Malformed,
    /// The hash or signature does not match.
    InvalidHash,
    /// The data is too old or dated in the future.
    Expired,
}

impl ErrorKind {
    /// The snake-case name used in JSON outputs: `malformed`, `invalid_hash`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::InvalidHash => "invalid_hash",
            Self::Expired => "expired",
        }
    }
}

/// What exactly is malformed in refused login data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The input holds no field at all.
    #[error("no fields")]
    Empty,
    /// A `%` is not followed by two hexadecimal digits.
    #[error("invalid percent-encoding")]
    InvalidPercentEncoding,
    /// A decoded key or value is not UTF-8.
    #[error("a field is not UTF-8")]
    InvalidUtf8,
    /// The JSON form is not a JSON object of strings and numbers.
    #[error("not a JSON object of strings and numbers")]
    InvalidJson,
    /// The `tgAuthResult` value is not base64url.
    #[error("tgAuthResult is not base64url")]
    InvalidBase64,
    /// A URL holds neither a query string nor a `tgAuthResult` fragment.
    #[error("the URL carries no login data")]
    NoDataInUrl,
    /// A field has an empty name.
    #[error("a field has an empty name")]
    EmptyKey,
    /// A field name occurs more than once.
    #[error("duplicate field `{key}`")]
    DuplicateKey {
        /// The repeated field name.
        key: String,
    },
    /// A field name holds `=` or a line feed, or a value holds a line feed: the check string
    /// (`key=value` lines) would read the same for another split into fields, so a signed
    /// login could be re-cut into different fields under the same hash. Telegram sends none.
    #[error("field {key:?} would make the check string ambiguous (a line feed, or `=` in a name)")]
    AmbiguousField {
        /// The field name (at most 64 characters of it).
        key: String,
    },
    /// There is no `hash` field.
    #[error("missing `hash`")]
    MissingHash,
    /// The `hash` field is empty.
    #[error("empty `hash`")]
    EmptyHash,
    /// There is no `auth_date` field.
    #[error("missing `auth_date`")]
    MissingAuthDate,
    /// `auth_date` is not a decimal integer.
    #[error("`auth_date` is not an integer")]
    InvalidAuthDate,
    /// A field the typed result needs is absent.
    #[error("missing `{field}`")]
    MissingField {
        /// The field name.
        field: &'static str,
    },
    /// A field does not have the type the typed result needs.
    #[error("`{field}` is not valid")]
    InvalidField {
        /// The field name.
        field: &'static str,
    },
    /// The third-party check needs a `signature` field and there is none, or it is empty.
    #[error("missing `signature`")]
    MissingSignature,
    /// `signature` is not unpadded base64url of 64 bytes.
    #[error("`signature` is not unpadded base64url of 64 bytes")]
    InvalidSignatureEncoding,
}

/// Why a configuration value was refused: a signing key or seed, a PKCE verifier, a verifier
/// setting. These are the application's own values, never received data, so they are not
/// variants of [`Error`] or of `oidc::IdTokenError`. No variant quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A signing key or seed could not be loaded.
    #[error("signing key rejected: {what}")]
    InvalidKey {
        /// What was wrong.
        what: &'static str,
    },
    /// A signer was asked to sign with a key id it does not hold.
    #[error("no signing key with kid `{kid}`")]
    UnknownKeyId {
        /// The key id asked for (at most 64 characters of it).
        kid: String,
    },
    /// The signing primitive, or the serialization of what it signs, failed.
    #[error("signing failed: {what}")]
    SigningFailed {
        /// What failed.
        what: &'static str,
    },
    /// A PKCE verifier is not 43 to 128 characters of `A-Z a-z 0-9 - . _ ~` (RFC 7636).
    #[error("the PKCE verifier is not 43 to 128 unreserved characters")]
    InvalidPkceVerifier,
    /// The random number generator failed.
    #[error("the random number generator failed")]
    RandomUnavailable,
    /// A name given as a site parameter of the widget's `data-auth-url` is a field Telegram
    /// signs (or is empty): leaving it out of the check string would leave it unverified.
    #[error("`{name}` cannot be a site parameter: it is empty or a field Telegram signs")]
    SignedFieldAsSiteParameter {
        /// The refused name (at most 64 characters of it).
        name: String,
    },
}
