//! Telegram's numeric ids, one newtype and one integer type each.
//!
//! The Bot API's ids are integers of up to 52 significant bits: `i64` holds every one of them,
//! negative chat ids (groups, channels) included. A bot is a user, so [`BotId`] is the id of the
//! bot's own user, and the part of its token before the colon.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! telegram_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The id as an integer.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

telegram_id! {
    /// A Telegram user's numeric id (`user.id`): stable for the life of the account, unlike the
    /// mutable, recyclable `@username`.
    UserId
}

telegram_id! {
    /// A chat's numeric id (`chat.id`): a private chat has its user's id, groups and channels
    /// have negative ids.
    ChatId
}

telegram_id! {
    /// A bot's numeric id: its own user id, the part of its token before the colon, the OIDC
    /// client id and the prefix of the third-party Mini App check.
    BotId
}

impl From<UserId> for ChatId {
    /// The private chat with a user has the user's id.
    fn from(user: UserId) -> Self {
        Self(user.0)
    }
}

impl From<BotId> for UserId {
    /// A bot is a user.
    fn from(bot: BotId) -> Self {
        Self(bot.0)
    }
}
