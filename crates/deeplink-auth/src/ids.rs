//! The names a link joins: website account ids, the Telegram side of a link, the bot's
//! username; and the lifetimes of codes and login links.

use tgauth_core::{ChatId, UserId};

use crate::error::InputError;

/// Longest website account id, in bytes.
pub(crate) const MAX_ACCOUNT_ID_LEN: usize = 128;

/// A website account's id: 1 to 128 bytes of UTF-8 without control characters.
///
/// This is the website's own name for the person (a primary key, an email); Telegram's numeric
/// user id is [`tgauth_core::UserId`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Checks `id`.
    pub fn new(id: &str) -> Result<Self, InputError> {
        if id.is_empty() || id.len() > MAX_ACCOUNT_ID_LEN {
            return Err(InputError::AccountId {
                reason: "must be 1 to 128 bytes",
            });
        }
        if id.chars().any(char::is_control) {
            return Err(InputError::AccountId {
                reason: "control characters are not allowed",
            });
        }
        Ok(Self(id.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Telegram side of a link: the user and the private chat the bot talks to them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelegramIdentity {
    user_id: UserId,
    chat_id: ChatId,
}

impl TelegramIdentity {
    /// A private chat's identity. Telegram gives a private chat the id of its user, so a
    /// mismatch (or a non-positive user id) is rejected.
    ///
    /// Bots should build identities from updates with [`crate::start::StartMessage::identity`];
    /// this constructor serves scripts and tests that already hold validated ids.
    pub fn new(user_id: UserId, chat_id: ChatId) -> Result<Self, InputError> {
        if user_id.0 <= 0 {
            return Err(InputError::Identity {
                reason: "a user id is positive",
            });
        }
        if ChatId::from(user_id) != chat_id {
            return Err(InputError::Identity {
                reason: "a private chat's id is its user's id",
            });
        }
        Ok(Self { user_id, chat_id })
    }

    /// The Telegram user (never the mutable, recyclable `@username`).
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The private chat.
    pub fn chat_id(&self) -> ChatId {
        self.chat_id
    }
}

/// A time to live in whole seconds: 1 second to 366 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ttl(i64);

impl Ttl {
    /// The default lifetime of a link code: one hour.
    pub const CODE_DEFAULT: Self = Self(3600);
    /// The default lifetime of a login link: ten minutes.
    pub const LOGIN_DEFAULT: Self = Self(600);

    /// Checks `seconds`.
    pub fn from_seconds(seconds: u64) -> Result<Self, InputError> {
        if seconds == 0 {
            return Err(InputError::Ttl {
                reason: "must be at least one second",
            });
        }
        match i64::try_from(seconds) {
            Ok(s) if s <= 366 * 86_400 => Ok(Self(s)),
            _ => Err(InputError::Ttl {
                reason: "must be at most 366 days",
            }),
        }
    }

    /// The lifetime in seconds.
    pub fn seconds(self) -> i64 {
        self.0
    }
}

/// A bot's username, checked against Telegram's rule: 5 to 32 characters of `A-Za-z0-9_`,
/// a letter first, ending in `bot` (any case). It is kept without a leading `@`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BotUsername(String);

impl BotUsername {
    /// Checks `name` (a leading `@` is accepted and dropped).
    pub fn new(name: &str) -> Result<Self, InputError> {
        let name = name.strip_prefix('@').unwrap_or(name);
        let reason = if !(5..=32).contains(&name.len()) {
            Some("must be 5 to 32 characters")
        } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            Some("only A-Z, a-z, 0-9 and _ are allowed")
        } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            Some("must start with a letter")
        } else if !name.to_ascii_lowercase().ends_with("bot") {
            Some("a bot's username must end in `bot`")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(InputError::BotUsername { reason }),
            None => Ok(Self(name.to_owned())),
        }
    }

    /// The username without `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` names this bot (usernames compare case-insensitively).
    pub fn matches(&self, other: &str) -> bool {
        self.0
            .eq_ignore_ascii_case(other.strip_prefix('@').unwrap_or(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot_check(name: &str, ok: bool) {
        assert_eq!(BotUsername::new(name).is_ok(), ok, "{name}");
    }

    #[test]
    fn bot_usernames() {
        bot_check("tgauth_bot", true);
        bot_check("@TgAuthBot", true);
        bot_check("abBOT", true);
        bot_check("a_bot", true);
        bot_check("abot", false);
        bot_check("tgauth", false);
        bot_check("1tgauthbot", false);
        bot_check("_tgauthbot", false);
        bot_check("tg-auth_bot", false);
        bot_check("tgauth bot", false);
        bot_check(&format!("{}bot", "a".repeat(29)), true);
        bot_check(&format!("{}bot", "a".repeat(30)), false);
        bot_check("tgäuth_bot", false);
    }
}
