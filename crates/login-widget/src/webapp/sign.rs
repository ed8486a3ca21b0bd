//! The Telegram side of Mini Apps (feature `sign`): `initData` signed as Telegram signs it, with
//! the bot's `hash` and a third-party Ed25519 `signature`, for tests and emulators.

use base64::Engine as _;
use ring::{
    hmac,
    signature::{Ed25519KeyPair, KeyPair as _},
};
use tgauth_core::{BotId, BotToken};

use super::{third_party_message, webapp_key};
use crate::{
    ConfigError, Malformed,
    fields::{self, SortedFields},
};

/// Signs `initData` as Telegram does, for tests and the sandbox.
#[derive(Clone)]
pub struct WebAppSigner {
    key: hmac::Key,
    bot_id: BotId,
}

impl std::fmt::Debug for WebAppSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAppSigner")
            .field("bot_id", &self.bot_id)
            .field("key", &tgauth_core::REDACTED)
            .finish()
    }
}

impl WebAppSigner {
    /// A signer for `token`.
    pub fn new(token: &BotToken) -> Self {
        Self {
            key: webapp_key(token),
            bot_id: token.bot_id(),
        }
    }

    /// Appends the `hash` to `pairs` (in the order given) and returns the `initData` query string.
    pub fn sign<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<String, Malformed> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().filter(|(k, _)| *k != "hash").collect();
        let hash =
            SortedFields::from_pairs(pairs.iter().copied())?.hex_mac(&self.key, fields::only_hash);
        let hash = String::from_utf8_lossy(&hash);
        Ok(form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .append_pair("hash", &hash)
            .finish())
    }

    /// Adds a third-party `signature` by `key` (as Telegram's servers do), then the `hash`.
    pub fn sign_with_signature<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        key: &ThirdPartyKey,
    ) -> Result<String, Malformed> {
        let mut pairs: Vec<(&str, &str)> = pairs
            .into_iter()
            .filter(|(k, _)| *k != "hash" && *k != "signature")
            .collect();
        let signature = key.signature(self.bot_id, pairs.iter().copied())?;
        pairs.push(("signature", &signature));
        self.sign(pairs)
    }
}

/// An Ed25519 key pair playing Telegram's part in third-party signatures (tests, sandbox).
pub struct ThirdPartyKey {
    key_pair: Ed25519KeyPair,
}

impl std::fmt::Debug for ThirdPartyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThirdPartyKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl ThirdPartyKey {
    /// The key pair of a 32-byte Ed25519 seed (deterministic: tests pass a fixed seed).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, ConfigError> {
        Ed25519KeyPair::from_seed_unchecked(seed)
            .map(|key_pair| Self { key_pair })
            .map_err(|_| ConfigError::InvalidKey {
                what: "not an Ed25519 seed",
            })
    }

    /// The public key, for
    /// [`ThirdPartyVerifier::with_public_key`](super::ThirdPartyVerifier::with_public_key).
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.key_pair.public_key().as_ref());
        out
    }

    /// The unpadded base64url `signature` of `pairs` (without `hash`/`signature`) for `bot_id`.
    pub fn signature<'a>(
        &self,
        bot_id: BotId,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<String, Malformed> {
        let fields = SortedFields::from_pairs(pairs)?;
        let signature = self.key_pair.sign(&third_party_message(bot_id, &fields));
        Ok(fields::TG_AUTH_RESULT.encode(signature.as_ref()))
    }
}
