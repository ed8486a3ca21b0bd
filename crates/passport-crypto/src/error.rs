//! The one error type of this crate, naming the element or file that failed and why.

use std::fmt;

use passport_types::decrypted::DataError;
use passport_types::element::ElementType;

/// Which encrypted part of a passport a blob error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The element's encrypted `data`.
    Data,
    /// The front side of a document.
    FrontSide,
    /// The reverse side of a document.
    ReverseSide,
    /// The selfie with a document.
    Selfie,
    /// One of the element's `files`, by index.
    File(usize),
    /// One of the element's `translation` files, by index.
    Translation(usize),
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Data => f.write_str("data"),
            Self::FrontSide => f.write_str("front_side"),
            Self::ReverseSide => f.write_str("reverse_side"),
            Self::Selfie => f.write_str("selfie"),
            Self::File(index) => write!(f, "files[{index}]"),
            Self::Translation(index) => write!(f, "translation[{index}]"),
        }
    }
}

/// Where a blob came from: an element's part, or a file decrypted on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A file decrypted with [`crate::file`] outside of a passport.
    File,
    /// A part of an element, by the element's type string.
    Element {
        /// The element type.
        element: ElementType,
        /// The part of the element.
        part: Part,
    },
}

impl Location {
    /// The location of one part of an element.
    pub fn element(element: &ElementType, part: Part) -> Self {
        Self::Element {
            element: element.clone(),
            part,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File => f.write_str("file"),
            Self::Element { element, part } => write!(f, "{element} {part}"),
        }
    }
}

/// Everything that can go wrong opening, sealing and checking passports, their files and their
/// nonces: verdicts on what was received. A key that cannot be used is a [`KeyError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials secret, or the credentials blob it protects, did not decrypt and verify.
    ///
    /// RSA failures, hash mismatches and bad padding all read the same, so that this error is no
    /// decryption oracle.
    #[error("credentials could not be decrypted")]
    CredentialsUndecryptable,
    /// The credentials decrypted and verified, but are not the JSON the spec describes.
    #[error("credentials decrypted but could not be read")]
    CredentialsInvalid(#[source] DataError),
    /// A base64 field of an element or file credential is not standard base64.
    #[error("{location}: {field} is not valid base64")]
    Base64 {
        /// The blob the field belongs to.
        location: Location,
        /// The field name (`data`, `secret`, `data_hash`, `file_hash`).
        field: &'static str,
    },
    /// A hash in the credentials is not 32 bytes long.
    #[error("{location}: hash has {length} bytes; SHA-256 has 32")]
    HashLength {
        /// The blob the hash belongs to.
        location: Location,
        /// Its decoded length.
        length: usize,
    },
    /// The ciphertext length is not a non-zero multiple of the AES block size.
    #[error("{location}: ciphertext length {length} is not a non-zero multiple of 16")]
    CiphertextLength {
        /// The blob.
        location: Location,
        /// Its length in bytes.
        length: u64,
    },
    /// `SHA256(decrypted data)` differs from the hash in the credentials.
    #[error("{location}: hash of the decrypted data does not match its credentials")]
    HashMismatch {
        /// The blob.
        location: Location,
    },
    /// The padding prefix is shorter than 32 bytes or longer than the plaintext.
    #[error("{location}: padding length {padding} is invalid for {length} decrypted bytes")]
    Padding {
        /// The blob.
        location: Location,
        /// The padding length byte.
        padding: u8,
        /// The decrypted length, padding included.
        length: u64,
    },
    /// The decrypted element data is not the JSON its type requires.
    #[error("{element} data decrypted but could not be read")]
    ElementData {
        /// The element type.
        element: ElementType,
        /// What the parser found.
        #[source]
        source: DataError,
    },
    /// An element that needs credentials has none in `secure_data`.
    #[error("{element}: credentials have no entry for this element")]
    MissingCredentials {
        /// The element type.
        element: ElementType,
    },
    /// `secure_data` holds credentials for an element that was not sent.
    #[error("{element}: credentials given for an element that was not sent")]
    SurplusCredentials {
        /// The element type.
        element: ElementType,
    },
    /// An element part is present but its credentials are not (or the reverse).
    #[error("{location}: {problem}")]
    PartMismatch {
        /// The element part.
        location: Location,
        /// Which side is missing.
        problem: &'static str,
    },
    /// The number of file credentials differs from the number of files.
    #[error("{element}: {field} holds {files} files but its credentials cover {credentials}")]
    FileCount {
        /// The element type.
        element: ElementType,
        /// `files` or `translation`.
        field: &'static str,
        /// Files in the element.
        files: usize,
        /// File credentials for them.
        credentials: usize,
    },
    /// An element type that carries no encrypted data (`phone_number`, `email`) has some, or a
    /// type that carries data has none.
    #[error("{element}: {problem}")]
    ElementShape {
        /// The element type.
        element: ElementType,
        /// What is wrong.
        problem: &'static str,
    },
    /// The same element type appears twice.
    #[error("{element}: element sent twice")]
    DuplicateElement {
        /// The element type.
        element: ElementType,
    },
    /// Reading the ciphertext or writing the plaintext failed.
    #[error("file input or output failed")]
    Io(#[source] std::io::Error),
    /// A plaintext is too long for the padding scheme or RSA key when sealing.
    #[cfg(feature = "seal")]
    #[error("cannot seal: {reason}")]
    Seal {
        /// What is wrong.
        reason: &'static str,
    },
    /// A nonce is not one this issuer could have made.
    #[error("nonce is malformed")]
    NonceMalformed,
    /// A nonce's MAC does not verify: forged, altered or from another server secret.
    #[error("nonce signature does not verify")]
    NonceSignature,
    /// A nonce was issued for another user.
    #[error("nonce was issued for another user")]
    NonceUser,
    /// A nonce's expiry has passed.
    #[error("nonce expired at {expires_at} (unix seconds)")]
    NonceExpired {
        /// The last second it was valid in.
        expires_at: tgauth_core::UnixTime,
    },
    /// The passport's nonce differs from the one expected.
    #[error("passport nonce does not match the expected nonce")]
    NonceMismatch,
}

/// Why a key or secret given to this crate cannot be used: the bot's RSA key, a key to
/// generate, or a nonce issuer's server secret. These are configuration problems, found when the
/// key is loaded, never verdicts on a received passport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key text is not one PEM block.
    #[error("key is not valid PEM: {reason}")]
    Pem {
        /// What is wrong with the PEM text.
        reason: &'static str,
    },
    /// The PEM block holds something other than a supported key.
    #[error("unsupported PEM block `{label}`: {hint}")]
    Kind {
        /// The PEM label found.
        label: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// The key's DER structure is not an RSA key of the expected shape.
    #[error("key is not a valid RSA {format} key")]
    Invalid {
        /// The format that was expected (`PKCS#1`, `PKCS#8`, `SubjectPublicKeyInfo`).
        format: &'static str,
    },
    /// The key is shorter than 2048 bits.
    #[error("RSA key has {bits} bits; at least 2048 are required")]
    TooSmall {
        /// The modulus length found.
        bits: usize,
    },
    /// The backend refused the key (for example a modulus above its maximum size).
    #[error("the {backend} backend rejected the key: {reason}")]
    Rejected {
        /// The backend's name.
        backend: &'static str,
        /// The backend's reason.
        reason: String,
    },
    /// An encrypted PKCS#8 key was given without a password.
    #[error("the private key is encrypted; a password is required")]
    PasswordRequired,
    /// An encrypted PKCS#8 key could not be decrypted: wrong password or unsupported scheme.
    #[error(
        "the private key could not be decrypted with this password (or its scheme is unsupported)"
    )]
    Password,
    /// Key generation or export failed inside the backend.
    #[error("the {backend} backend failed to {operation}")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// What was being done.
        operation: &'static str,
    },
    /// The server secret of a nonce issuer (its HMAC key) is too short.
    #[error("nonce secret has {length} bytes; at least {minimum} are required")]
    NonceSecretTooShort {
        /// The secret's length.
        length: usize,
        /// The minimum length.
        minimum: usize,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
