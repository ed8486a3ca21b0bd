//! Telegram Passport submissions: the Telegram app's side, sealed with passport-crypto.
//!
//! `POST /sandbox/bots/{username}/passport` (or [`crate::SandboxHandle::submit_passport`])
//! takes plain elements, seals them to the bot's `passport_public_key_pem` exactly as the app
//! does (passport-crypto's `seal`), stores every encrypted file so that `getFile` and the file
//! download serve it, and queues a message with `passport_data` from the user. The randomness
//! comes from a seeded ChaCha20 generator, so a run is reproducible.
//!
//! ```json
//! {"user_id": 42, "nonce": "n-123", "elements": [
//!   {"type": "personal_details", "data": {"first_name": "Ada", "last_name": "Lovelace",
//!     "birth_date": "10.12.1815", "gender": "female", "country_code": "GB",
//!     "residence_country_code": "GB"}},
//!   {"type": "passport", "data": {"document_no": "123", "expiry_date": ""},
//!     "front_side": {"contents": "<base64>"}, "selfie": {"contents": "<base64>"}},
//!   {"type": "email", "email": "ada@example.com"},
//!   {"type": "utility_bill", "files": [{"contents": "<base64>", "broken": true}]}
//! ]}
//! ```
//!
//! A file with `"broken": true` ([`PassportFileInput::broken`]) is served with one byte of its
//! ciphertext changed: the credentials open as sealed, but the downloaded file fails its hash
//! check, which is how a bot's errors path (`setPassportDataErrors` with a file error) is
//! tested. The answer is the `Update` the bot receives, as for `/messages`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tgauth_core::{REDACTED, UserId};

/// Passport data a user submits to a bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassportSubmission {
    /// The submitting user (created on the fly if unknown).
    pub user_id: UserId,
    /// The nonce of the bot's request, carried in the sealed credentials.
    pub nonce: String,
    /// The elements, in the order the bot receives them.
    pub elements: Vec<PassportElementInput>,
}

/// One plain element of a submission. Its `Debug` shows the type and which parts are present,
/// never their contents (personal data).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassportElementInput {
    /// The element type, as the Bot API names it (`personal_details`, `passport`, `email`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The JSON object the element's `data` decrypts to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The phone number (`phone_number` elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The email address (`email` elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The front side scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_side: Option<PassportFileInput>,
    /// The reverse side scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_side: Option<PassportFileInput>,
    /// The selfie with the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selfie: Option<PassportFileInput>,
    /// The files of an address document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<PassportFileInput>>,
    /// The translation files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Vec<PassportFileInput>>,
}

/// A plain file of an element; the sandbox encrypts it and serves the ciphertext. Its `Debug`
/// shows the length, never the contents.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportFileInput {
    /// The plain contents; standard base64 in JSON.
    #[serde(with = "base64_vec")]
    pub contents: Vec<u8>,
    /// Serve a ciphertext that does not verify: one byte of the encrypted file is changed
    /// after sealing, so decrypting the download fails its hash check, while the credentials
    /// stay as sealed. For testing how a bot handles a broken file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub broken: bool,
}

impl PassportFileInput {
    /// A file with these contents.
    pub fn new(contents: impl Into<Vec<u8>>) -> Self {
        Self {
            contents: contents.into(),
            broken: false,
        }
    }

    /// A file with these contents whose served ciphertext fails its hash check (the field
    /// `broken`).
    pub fn broken(contents: impl Into<Vec<u8>>) -> Self {
        Self {
            broken: true,
            ..Self::new(contents)
        }
    }
}

impl fmt::Debug for PassportElementInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |yes: bool| yes.then_some(REDACTED);
        f.debug_struct("PassportElementInput")
            .field("kind", &self.kind)
            .field("data", &present(self.data.is_some()))
            .field("phone_number", &present(self.phone_number.is_some()))
            .field("email", &present(self.email.is_some()))
            .field("front_side", &self.front_side)
            .field("reverse_side", &self.reverse_side)
            .field("selfie", &self.selfie)
            .field("files", &self.files)
            .field("translation", &self.translation)
            .finish()
    }
}

impl fmt::Debug for PassportFileInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassportFileInput")
            .field("length", &self.contents.len())
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// Serializes byte vectors as standard base64 in JSON.
mod base64_vec {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
