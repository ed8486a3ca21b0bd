//! Identities and time: website user ids, Telegram user and chat ids, and Unix time.

use crate::error::InputError;

/// Longest website user id, in bytes.
pub(crate) const MAX_USER_ID_LEN: usize = 128;

/// A website account's id: 1 to 128 bytes of UTF-8 without control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// Checks `id`.
    pub fn new(id: &str) -> Result<Self, InputError> {
        if id.is_empty() || id.len() > MAX_USER_ID_LEN {
            return Err(InputError::UserId {
                reason: "must be 1 to 128 bytes",
            });
        }
        if id.chars().any(char::is_control) {
            return Err(InputError::UserId {
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

/// A Telegram user's numeric id (`user.id`); never the mutable, recyclable `@username`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TelegramUserId(pub i64);

/// A Telegram chat's numeric id (`chat.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatId(pub i64);

/// The Telegram side of a link: the user and the private chat the bot talks to them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelegramIdentity {
    user_id: TelegramUserId,
    chat_id: ChatId,
}

impl TelegramIdentity {
    /// A private chat's identity. Telegram gives a private chat the id of its user, so a
    /// mismatch (or a non-positive user id) is rejected.
    ///
    /// Bots should build identities from updates with [`crate::start::StartMessage::identity`];
    /// this constructor serves scripts and tests that already hold validated ids.
    pub fn new(user_id: TelegramUserId, chat_id: ChatId) -> Result<Self, InputError> {
        if user_id.0 <= 0 {
            return Err(InputError::Identity {
                reason: "a user id is positive",
            });
        }
        if user_id.0 != chat_id.0 {
            return Err(InputError::Identity {
                reason: "a private chat's id is its user's id",
            });
        }
        Ok(Self { user_id, chat_id })
    }

    /// The Telegram user.
    pub fn user_id(&self) -> TelegramUserId {
        self.user_id
    }

    /// The private chat.
    pub fn chat_id(&self) -> ChatId {
        self.chat_id
    }
}

/// Seconds since the Unix epoch. Every operation takes `now` as a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The current time from the system clock (for programs; tests inject their own).
    pub fn now() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(seconds)
    }

    /// This time plus `seconds`, saturating.
    pub fn plus(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
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
