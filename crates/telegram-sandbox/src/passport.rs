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
//!   {"type": "email", "email": "ada@example.com"}
//! ]}
//! ```

use passport_crypto::{
    key::PublicKey,
    seal::{ElementToSeal, FileToSeal, seal},
};
use passport_types::element::ElementType;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{error::ControlError, state::State, types::Update};

/// Passport data a user submits to a bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassportSubmission {
    /// The submitting user (created on the fly if unknown).
    pub user_id: i64,
    /// The nonce of the bot's request, carried in the sealed credentials.
    pub nonce: String,
    /// The elements, in the order the bot receives them.
    pub elements: Vec<PassportElementInput>,
}

/// One plain element of a submission.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// A plain file of an element; the sandbox encrypts it and serves the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportFileInput {
    /// The plain contents; standard base64 in JSON.
    #[serde(with = "crate::state::base64_vec")]
    pub contents: Vec<u8>,
}

impl PassportFileInput {
    /// A file with these contents.
    pub fn new(contents: impl Into<Vec<u8>>) -> Self {
        Self {
            contents: contents.into(),
        }
    }
}

fn invalid(reason: impl Into<String>) -> ControlError {
    ControlError::InvalidRequest {
        reason: reason.into(),
    }
}

/// Seals `submission` to the bot's key, stores its files and queues the user's message.
pub(crate) fn submit(
    state: &mut State,
    rng: &mut ChaCha20Rng,
    username: &str,
    submission: PassportSubmission,
    now: i64,
) -> Result<Update, ControlError> {
    let bot_id = state.bot_id(username)?;
    let pem = state
        .bots
        .get(&bot_id)
        .and_then(|bot| bot.passport_public_key_pem.clone())
        .ok_or_else(|| invalid("the bot has no passport_public_key_pem"))?;
    let key = PublicKey::from_pem(&pem)
        .map_err(|error| invalid(format!("passport_public_key_pem: {error}")))?;
    let mut allocated = Vec::new();
    let mut file = |input: PassportFileInput, state: &mut State| {
        let (file_id, unique_id, number) = state.allocate_file_id(bot_id);
        allocated.push((file_id.clone(), unique_id.clone(), number));
        FileToSeal::new(file_id, unique_id, now, input.contents)
    };
    let mut elements = Vec::with_capacity(submission.elements.len());
    for input in submission.elements {
        let kind = ElementType::parse(&input.kind);
        if matches!(kind, ElementType::Unknown(_)) {
            return Err(invalid(format!("unknown element type {:?}", input.kind)));
        }
        let mut element = ElementToSeal::new(kind);
        element.data = input
            .data
            .map(|data| serde_json::to_vec(&data))
            .transpose()
            .map_err(|error| invalid(error.to_string()))?;
        element.phone_number = input.phone_number;
        element.email = input.email;
        element.front_side = input.front_side.map(|input| file(input, state));
        element.reverse_side = input.reverse_side.map(|input| file(input, state));
        element.selfie = input.selfie.map(|input| file(input, state));
        element.files = input
            .files
            .map(|inputs| inputs.into_iter().map(|input| file(input, state)).collect());
        element.translation = input
            .translation
            .map(|inputs| inputs.into_iter().map(|input| file(input, state)).collect());
        elements.push(element);
    }
    let sealed = seal(&key, &submission.nonce, &elements, rng)
        .map_err(|error| invalid(format!("sealing failed: {error}")))?;
    let passport_data =
        serde_json::to_value(&sealed.passport_data).map_err(|error| invalid(error.to_string()))?;
    let mut encrypted = sealed.files;
    for (file_id, unique_id, number) in allocated {
        let bytes = encrypted.remove(&file_id).unwrap_or_default();
        state.store_file(
            bot_id,
            file_id,
            unique_id,
            format!("passport/file_{number}.jpg"),
            bytes.into(),
            None,
            Some("image/jpeg".to_owned()),
        );
    }
    state.user_sends(username, submission.user_id, now, |message| {
        message.passport_data = Some(passport_data);
    })
}
