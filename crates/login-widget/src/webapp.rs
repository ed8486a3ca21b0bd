//! Mini App `initData`: first-party HMAC under HMAC-SHA-256("WebAppData", token), third-party Ed25519.
//!
//! A Mini App receives `initData`, a query string signed twice by Telegram:
//!
//! - `hash`: hex HMAC-SHA-256 of the check string (every field but `hash`, sorted, `key=value`
//!   joined by `\n`; `signature` stays in) under the key HMAC-SHA-256(key `"WebAppData"`,
//!   message = bot token). Only the bot's owner can check it: [`WebAppVerifier`].
//! - `signature`: Ed25519 by Telegram over `"<bot_id>:WebAppData\n"` followed by the check
//!   string without `hash` and `signature`. Anyone who knows the bot id can check it:
//!   [`ThirdPartyVerifier`].
//!
//! Both yield a typed [`WebAppInitData`] under the same precedence and freshness policy as the
//! Login Widget. The third-party check needs no `hash` (initData without one verifies by its
//! signature alone) and never reports one: [`WebAppInitData::hash`] is set only by the
//! first-party check, which verified it. With the `sign` feature, `WebAppSigner` and `ThirdPartyKey` sign `initData` as
//! Telegram does (for tests and emulators).

#[cfg(feature = "sign")]
mod sign;

use base64::Engine as _;
use ring::{hmac, signature};
use serde::{Deserialize, Serialize};
use tgauth_core::{BotId, BotToken, ChatId, UnixTime, UserId};

use crate::{
    Error, Malformed, Policy,
    fields::{self, SortedFields},
};

#[cfg(feature = "sign")]
pub use sign::{ThirdPartyKey, WebAppSigner};

/// Telegram's Ed25519 public key for third-party validation of production `initData`.
pub const TELEGRAM_PUBLIC_KEY: [u8; 32] = [
    0xe7, 0xbf, 0x03, 0xa2, 0xfa, 0x46, 0x02, 0xaf, 0x45, 0x80, 0x70, 0x3d, 0x88, 0xdd, 0xa5, 0xbb,
    0x59, 0xf3, 0x2e, 0xd8, 0xb0, 0x2a, 0x56, 0xc1, 0x87, 0xfe, 0x7d, 0x34, 0xca, 0xed, 0x24, 0x2d,
];

/// Telegram's Ed25519 public key for third-party validation in the test environment.
pub const TELEGRAM_TEST_PUBLIC_KEY: [u8; 32] = [
    0x40, 0x05, 0x50, 0x58, 0xa4, 0xee, 0x38, 0x15, 0x6a, 0x06, 0x56, 0x2e, 0x52, 0xee, 0xce, 0x92,
    0xa7, 0x71, 0xbc, 0xd8, 0x34, 0x6a, 0x8c, 0x46, 0x15, 0xcb, 0x73, 0x76, 0xed, 0xdf, 0x72, 0xec,
];

/// A user (or the chat partner, `receiver`) in `initData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppUser {
    /// The user's Telegram id.
    pub id: UserId,
    /// Whether the user is a bot (only in `receiver`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_bot: Option<bool>,
    /// First name.
    pub first_name: String,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// IETF language tag of the user's client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// Whether the user has Telegram Premium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_premium: Option<bool>,
    /// Whether the user added the bot to the attachment menu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_to_attachment_menu: Option<bool>,
    /// Whether the user allowed the bot to message them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allows_write_to_pm: Option<bool>,
    /// Profile photo URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

/// The chat a Mini App was opened from (attachment menu launches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppChat {
    /// The chat id.
    pub id: ChatId,
    /// `group`, `supergroup` or `channel`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The chat title.
    pub title: String,
    /// The chat username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The chat photo URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

/// Verified Mini App `initData`, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppInitData {
    /// The session id for `answerWebAppQuery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// The current user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<WebAppUser>,
    /// The chat partner in a private chat opened through the attachment menu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<WebAppUser>,
    /// The group or channel the app was opened from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<WebAppChat>,
    /// The kind of chat the app was opened from (`sender`, `private`, `group`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_type: Option<String>,
    /// The global identifier of the chat the app was opened from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_instance: Option<String>,
    /// The `startattach` / `startapp` parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_param: Option<String>,
    /// Seconds after which `answerWebAppQuery` may be called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_send_after: Option<u64>,
    /// When the app was opened.
    pub auth_date: UnixTime,
    /// The hex HMAC `hash`, only from first-party verification ([`WebAppVerifier`]), which
    /// checked it. Third-party verification ([`ThirdPartyVerifier`]) leaves it `None` whatever
    /// the data carried: Telegram's signature does not cover the hash, so it is unverified
    /// there and is not handed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The base64url Ed25519 signature received, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The typed fields; `hash` is the verified hash, if the check was the first-party one.
fn init_data_from(
    fields: &SortedFields<'_>,
    auth_date: UnixTime,
    hash: Option<&str>,
) -> Result<WebAppInitData, Malformed> {
    fn json<T: for<'de> Deserialize<'de>>(
        fields: &SortedFields<'_>,
        field: &'static str,
    ) -> Result<Option<T>, Malformed> {
        fields
            .get(field)
            .map(|text| serde_json::from_str(text).map_err(|_| Malformed::InvalidField { field }))
            .transpose()
    }
    let optional = |key| fields.get(key).map(str::to_owned);
    let can_send_after = fields
        .get("can_send_after")
        .map(|text| {
            text.parse::<u64>().map_err(|_| Malformed::InvalidField {
                field: "can_send_after",
            })
        })
        .transpose()?;
    Ok(WebAppInitData {
        query_id: optional("query_id"),
        user: json(fields, "user")?,
        receiver: json(fields, "receiver")?,
        chat: json(fields, "chat")?,
        chat_type: optional("chat_type"),
        chat_instance: optional("chat_instance"),
        start_param: optional("start_param"),
        can_send_after,
        auth_date,
        hash: hash.map(str::to_owned),
        signature: optional("signature"),
    })
}

/// Checks first-party `initData` (the `hash`) for one bot.
#[derive(Clone)]
pub struct WebAppVerifier {
    key: hmac::Key,
    policy: Policy,
}

impl std::fmt::Debug for WebAppVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAppVerifier")
            .field("key", &tgauth_core::REDACTED)
            .field("policy", &self.policy)
            .finish()
    }
}

pub(crate) fn webapp_key(token: &BotToken) -> hmac::Key {
    let derivation = hmac::Key::new(hmac::HMAC_SHA256, b"WebAppData");
    let secret = hmac::sign(&derivation, token.dangerous_expose().as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref())
}

impl WebAppVerifier {
    /// A verifier for `token` with the default [`Policy`].
    pub fn new(token: &BotToken) -> Self {
        Self {
            key: webapp_key(token),
            policy: Policy::default(),
        }
    }

    /// Replaces the freshness policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Verifies the raw `initData` query string (`Telegram.WebApp.initData`).
    pub fn verify(&self, init_data: &str, now: UnixTime) -> Result<WebAppInitData, Error> {
        let fields = SortedFields::new(fields::parse_query(init_data)?)?;
        fields.check_unambiguous(|_| false)?;
        let hash = fields.hash()?;
        let auth_date = fields.auth_date()?;
        let data = init_data_from(&fields, auth_date, Some(hash))?;
        if !fields.mac_matches(&self.key, fields::only_hash, hash) {
            return Err(Error::InvalidHash);
        }
        self.policy.check(auth_date, now)?;
        Ok(data)
    }
}

/// Checks the third-party Ed25519 `signature` of `initData`: no bot token needed.
#[derive(Debug, Clone)]
pub struct ThirdPartyVerifier {
    bot_id: BotId,
    public_key: [u8; 32],
    policy: Policy,
}

impl ThirdPartyVerifier {
    /// A verifier for data sent to bot `bot_id`, signed by Telegram's production key.
    pub fn production(bot_id: BotId) -> Self {
        Self::with_public_key(bot_id, TELEGRAM_PUBLIC_KEY)
    }

    /// A verifier for data sent to bot `bot_id` in Telegram's test environment.
    pub fn test_environment(bot_id: BotId) -> Self {
        Self::with_public_key(bot_id, TELEGRAM_TEST_PUBLIC_KEY)
    }

    /// A verifier trusting any Ed25519 public key (the sandbox's, for instance).
    pub fn with_public_key(bot_id: BotId, public_key: [u8; 32]) -> Self {
        Self {
            bot_id,
            public_key,
            policy: Policy::default(),
        }
    }

    /// Replaces the freshness policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Verifies the raw `initData` query string by its `signature`. A `hash` field, if any, is
    /// neither needed nor checked, and the result's `hash` is `None`.
    pub fn verify(&self, init_data: &str, now: UnixTime) -> Result<WebAppInitData, Error> {
        let fields = SortedFields::new(fields::parse_query(init_data)?)?;
        fields.check_unambiguous(|_| false)?;
        // No `hash` is needed: the signature alone decides.
        let auth_date = fields.auth_date()?;
        let signature = match fields.get("signature") {
            None | Some("") => return Err(Malformed::MissingSignature.into()),
            Some(text) => decode_signature(text)?,
        };
        let data = init_data_from(&fields, auth_date, None)?;
        let message = third_party_message(self.bot_id, &fields);
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.public_key)
            .verify(&message, &signature)
            .map_err(|_| Error::InvalidSignature)?;
        self.policy.check(auth_date, now)?;
        Ok(data)
    }
}

fn decode_signature(text: &str) -> Result<[u8; 64], Malformed> {
    let bytes = fields::TG_AUTH_RESULT
        .decode(text.as_bytes())
        .map_err(|_| Malformed::InvalidSignatureEncoding)?;
    bytes
        .try_into()
        .map_err(|_| Malformed::InvalidSignatureEncoding)
}

/// What Telegram's Ed25519 signature covers: `"<bot_id>:WebAppData\n"` and the check string
/// without `hash` and `signature`.
pub(crate) fn third_party_message(bot_id: BotId, fields: &SortedFields<'_>) -> Vec<u8> {
    let mut message = format!("{bot_id}:WebAppData\n").into_bytes();
    let skip = |key: &str| key == "hash" || key == "signature";
    fields.feed_check_string(skip, |piece| {
        message.extend_from_slice(piece);
    });
    message
}
