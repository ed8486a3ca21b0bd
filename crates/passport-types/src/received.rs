//! What a bot receives in `Message.passport_data`: `PassportData`, `EncryptedPassportElement`,
//! `PassportFile` and `EncryptedCredentials`, every field as the Bot API sends it.
//!
//! Base64 fields stay strings exactly as received: decoding them is `passport-crypto`'s job, and
//! keeping them verbatim lets the JSON round-trip byte for byte in meaning. Absent optional fields
//! are skipped when serializing, and fields this crate does not know are kept in `extra`, so a
//! value re-serializes to the object the Bot API sent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tgauth_core::UnixTime;

use crate::element::ElementType;

/// Telegram Passport data shared with the bot by the user (`Message.passport_data`).
///
/// ```
/// use passport_types::received::PassportData;
///
/// let json = r#"{"data":[{"type":"email","email":"a@example.com","hash":"aGFzaA=="}],
///                "credentials":{"data":"ZA==","hash":"aA==","secret":"cw=="}}"#;
/// let passport: PassportData = serde_json::from_str(json).unwrap();
/// assert_eq!(passport.data[0].email.as_deref(), Some("a@example.com"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportData {
    /// The shared elements, in the order the Bot API sent them.
    pub data: Vec<EncryptedPassportElement>,
    /// The encrypted credentials needed to decrypt `data`.
    pub credentials: EncryptedCredentials,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One element of the user's Telegram Passport, as the Bot API sends it.
///
/// Which fields are present depends on [`kind`](Self::kind): see
/// [`ElementType::has_data`], [`ElementType::has_front_side`] and friends. This type checks
/// none of that: it keeps what was sent, and `passport-crypto` judges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedPassportElement {
    /// The element type (`"type"` in the JSON).
    #[serde(rename = "type")]
    pub kind: ElementType,
    /// Base64-encoded encrypted element data (types with [`ElementType::has_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The user's verified phone number, in plain text (`phone_number` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The user's verified email address, in plain text (`email` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Encrypted files of an address document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<PassportFile>>,
    /// Encrypted front side of an identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_side: Option<PassportFile>,
    /// Encrypted reverse side of a `driver_license` or `identity_card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_side: Option<PassportFile>,
    /// Encrypted selfie of the user holding an identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selfie: Option<PassportFile>,
    /// Encrypted translation of a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Vec<PassportFile>>,
    /// Base64-encoded element hash, for `PassportElementErrorUnspecified`.
    pub hash: String,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A file uploaded to Telegram Passport (encrypted; JPEG when decrypted, at most 10 MB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportFile {
    /// Identifier for downloading the file.
    pub file_id: String,
    /// Identifier that is the same over time and for different bots; it cannot download the file.
    pub file_unique_id: String,
    /// File size in bytes.
    pub file_size: i64,
    /// When the file was uploaded.
    pub file_date: UnixTime,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The credentials needed to decrypt the elements, encrypted to the bot's public key.
///
/// All three fields are base64 strings as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedCredentials {
    /// Base64-encoded encrypted JSON of [`Credentials`](crate::decrypted::Credentials).
    pub data: String,
    /// Base64-encoded hash of the decrypted, padded credentials, for integrity checking.
    pub hash: String,
    /// Base64-encoded secret, RSA-OAEP encrypted with the bot's public key.
    pub secret: String,
}
