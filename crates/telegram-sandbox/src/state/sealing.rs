//! Sealing Passport submissions as the Telegram app does (passport-crypto's `seal` feature),
//! storing their encrypted files and queueing the user's message.

use passport_crypto::{
    key::PublicKey,
    seal::{ElementToSeal, FileToSeal, seal},
};
use passport_types::element::ElementType;
use rand_chacha::ChaCha20Rng;
use tgauth_core::UnixTime;

use super::{State, StoredFileParts};
use crate::{
    error::ControlError,
    passport::{PassportFileInput, PassportSubmission},
    types::Update,
};

fn invalid(reason: impl Into<String>) -> ControlError {
    ControlError::InvalidRequest {
        reason: reason.into(),
    }
}

impl State {
    /// Seals `submission` to the bot's key, stores its files and queues the user's message.
    pub(crate) fn submit_passport(
        &mut self,
        rng: &mut ChaCha20Rng,
        username: &str,
        submission: PassportSubmission,
        now: UnixTime,
    ) -> Result<Update, ControlError> {
        let bot_id = self.bot_id(username)?;
        let pem = self
            .bots
            .get(&bot_id)
            .and_then(|bot| bot.passport_public_key_pem.clone())
            .ok_or_else(|| invalid("the bot has no passport_public_key_pem"))?;
        let key = PublicKey::from_pem(&pem)
            .map_err(|error| invalid(format!("passport_public_key_pem: {error}")))?;
        let mut allocated = Vec::new();
        let mut file = |input: PassportFileInput, state: &mut State| {
            let (file_id, unique_id, number) = state.allocate_file_id(bot_id);
            allocated.push((file_id.clone(), unique_id.clone(), number, input.broken));
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
            element.front_side = input.front_side.map(|input| file(input, self));
            element.reverse_side = input.reverse_side.map(|input| file(input, self));
            element.selfie = input.selfie.map(|input| file(input, self));
            element.files = input
                .files
                .map(|inputs| inputs.into_iter().map(|input| file(input, self)).collect());
            element.translation = input
                .translation
                .map(|inputs| inputs.into_iter().map(|input| file(input, self)).collect());
            elements.push(element);
        }
        let sealed = seal(&key, &submission.nonce, &elements, rng)
            .map_err(|error| invalid(format!("sealing failed: {error}")))?;
        let passport_data = serde_json::to_value(&sealed.passport_data)
            .map_err(|error| invalid(error.to_string()))?;
        let mut encrypted = sealed.files;
        for (file_id, unique_id, number, broken) in allocated {
            let mut bytes = encrypted.remove(&file_id).unwrap_or_default();
            if broken {
                // The last ciphertext block decrypts to the end of the contents: changing it
                // garbles only that block, so the padding still reads and the hash check fails.
                if let Some(last) = bytes.last_mut() {
                    *last ^= 0x01;
                }
            }
            self.store_file(
                bot_id,
                file_id,
                StoredFileParts {
                    unique_id,
                    path: format!("passport/file_{number}.jpg"),
                    bytes: bytes.into(),
                    file_name: None,
                    mime_type: Some("image/jpeg".to_owned()),
                },
            );
        }
        self.user_sends(username, submission.user_id, now, |message| {
            message.passport_data = Some(passport_data);
        })
    }
}
