//! The bot token: one validation, redacted everywhere, zeroized, compared in constant time.

use std::fmt;

use zeroize::Zeroizing;

use crate::{BotId, Error, REDACTED, constant_time_eq};

/// A bot token as @BotFather issues it: `<bot id>:<secret>`.
///
/// The shape is checked once, here: a positive decimal bot id that fits an `i64`, a colon, and a
/// secret of 30 to 64 characters of `A-Z a-z 0-9 _ -` (real secrets have 35). The token keys
/// every Login Widget and first-party Mini App check and grants full control of the bot, so:
/// `Debug` and `Display` show only the bot id, the bytes are zeroized on drop (a refused
/// near-miss too), and `==` runs in constant time.
///
/// ```
/// use tgauth_core::{BotId, BotToken};
///
/// let token: BotToken = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw".parse()?;
/// assert_eq!(token.bot_id(), BotId(123456));
/// assert_eq!(token.to_string(), "123456:<redacted>");
/// assert!(BotToken::new("123456:short").is_err());
/// # Ok::<(), tgauth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct BotToken {
    token: Zeroizing<String>,
    bot_id: BotId,
}

/// The shortest secret part accepted.
const MIN_SECRET: usize = 30;
/// The longest secret part accepted.
const MAX_SECRET: usize = 64;

impl BotToken {
    /// Checks the shape `<bot id>:<secret>` (see the type's docs).
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        let token = Zeroizing::new(token.into());
        let bot_id = token.split_once(':').and_then(|(id, secret)| {
            let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
            let secret_ok = (MIN_SECRET..=MAX_SECRET).contains(&secret.len())
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !(id_ok && secret_ok) {
                return None;
            }
            id.parse::<i64>().ok().filter(|id| *id > 0)
        });
        // On refusal `token` drops here, and its bytes are wiped with it.
        Ok(Self {
            bot_id: BotId(bot_id.ok_or(Error::InvalidBotToken)?),
            token,
        })
    }

    /// The bot's id: the part before the colon. It is public.
    pub fn bot_id(&self) -> BotId {
        self.bot_id
    }

    /// The whole token. Use it only to derive keys or to call the Bot API; never log it.
    pub fn dangerous_expose(&self) -> &str {
        &self.token
    }

    /// The part after the colon, for code that removes the token from foreign text.
    pub fn dangerous_expose_secret(&self) -> &str {
        self.token.split_once(':').map_or("", |(_, secret)| secret)
    }
}

impl PartialEq for BotToken {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.token.as_bytes(), other.token.as_bytes())
    }
}

impl Eq for BotToken {}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BotToken({}:{REDACTED})", self.bot_id)
    }
}

impl fmt::Display for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{REDACTED}", self.bot_id)
    }
}

impl std::str::FromStr for BotToken {
    type Err = Error;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Self::new(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL_SHAPE: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    #[test]
    fn accepts_the_shape_botfather_issues() {
        for token in [
            REAL_SHAPE,
            "7342037359:AAFZehRPBRs8Seg40oDjTMIW8uTGPuW1zfQ",
            "1:abcdefghijklmnopqrstuvwxyz0123",
            &format!("9223372036854775807:{}", "a".repeat(64)),
        ] {
            assert!(BotToken::new(token).is_ok(), "{token}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        let secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
        for token in [
            String::new(),
            secret.to_owned(),
            format!(":{secret}"),
            format!("0:{secret}"),
            format!("-5:{secret}"),
            format!("+5:{secret}"),
            format!("9223372036854775808:{secret}"),
            format!("12a:{secret}"),
            "123456:".to_owned(),
            format!("123456:{}", "a".repeat(29)),
            format!("123456:{}", "a".repeat(65)),
            format!("123456:{secret} "),
            format!(" 123456:{secret}"),
            format!("123456:{secret}:x"),
            format!("123456:{}é", &secret[1..]),
        ] {
            assert_eq!(
                BotToken::new(token.clone()).err(),
                Some(Error::InvalidBotToken),
                "{token:?}"
            );
        }
    }

    #[test]
    fn never_prints_the_secret() {
        let token = BotToken::new(REAL_SHAPE).unwrap_or_else(|_| unreachable!());
        for shown in [
            format!("{token:?}"),
            token.to_string(),
            format!("{token:#?}"),
        ] {
            assert!(!shown.contains("AAHdqTcv"), "{shown}");
            assert!(shown.contains("123456"), "{shown}");
        }
        let refused = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsa w")
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(!refused.contains("AAHdqTcv"), "{refused}");
    }

    #[test]
    fn equality_compares_the_whole_token() {
        let a = BotToken::new(REAL_SHAPE).ok();
        let b = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaW").ok();
        assert!(a.is_some() && b.is_some());
        assert_eq!(a, BotToken::new(REAL_SHAPE).ok());
        assert_ne!(a, b);
        assert_eq!(
            a.as_ref().map(BotToken::dangerous_expose_secret),
            Some("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        );
    }
}
