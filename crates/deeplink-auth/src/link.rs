//! Link builders (`https://t.me/<bot>?start=`, `tg://resolve`, `startgroup`) and validation of
//! bot usernames and payloads.

use crate::code::LinkCode;
use crate::error::InputError;

/// Longest deep-link payload Telegram accepts.
pub const MAX_PAYLOAD_LEN: usize = 64;

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

/// Checks a deep-link payload: 1 to 64 characters of `A-Za-z0-9_-`.
pub fn validate_payload(payload: &str) -> Result<(), InputError> {
    if payload.is_empty() || payload.len() > MAX_PAYLOAD_LEN {
        return Err(InputError::Payload {
            reason: "must be 1 to 64 characters",
        });
    }
    if !payload
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(InputError::Payload {
            reason: "only A-Z, a-z, 0-9, _ and - are allowed",
        });
    }
    Ok(())
}

/// `https://t.me/<bot>?start=<payload>`: opens a private chat with the bot.
pub fn start_url(bot: &BotUsername, payload: &str) -> Result<String, InputError> {
    validate_payload(payload)?;
    Ok(format!("https://t.me/{}?start={payload}", bot.as_str()))
}

/// `tg://resolve?domain=<bot>&start=<payload>`: the same, opened directly by the Telegram app.
pub fn tg_start_url(bot: &BotUsername, payload: &str) -> Result<String, InputError> {
    validate_payload(payload)?;
    Ok(format!(
        "tg://resolve?domain={}&start={payload}",
        bot.as_str()
    ))
}

/// `https://t.me/<bot>?startgroup=<payload>`: adds the bot to a group the person picks.
///
/// Group links are not account links: [`crate::start::StartMessage`] binds private chats only.
pub fn startgroup_url(bot: &BotUsername, payload: &str) -> Result<String, InputError> {
    validate_payload(payload)?;
    Ok(format!(
        "https://t.me/{}?startgroup={payload}",
        bot.as_str()
    ))
}

/// `https://t.me/<bot>?start=<code>` for a link code (always a valid payload).
pub fn code_url(bot: &BotUsername, code: &LinkCode) -> String {
    format!("https://t.me/{}?start={}", bot.as_str(), code.expose())
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

    #[test]
    fn payloads() {
        assert!(validate_payload("a").is_ok());
        assert!(validate_payload(&"-".repeat(64)).is_ok());
        assert!(validate_payload("").is_err());
        assert!(validate_payload(&"a".repeat(65)).is_err());
        assert!(validate_payload("a b").is_err());
        assert!(validate_payload("a=b").is_err());
        assert!(validate_payload("é").is_err());
    }

    #[test]
    fn urls() -> Result<(), InputError> {
        let bot = BotUsername::new("@TgAuthBot")?;
        assert_eq!(start_url(&bot, "x-1")?, "https://t.me/TgAuthBot?start=x-1");
        assert_eq!(
            tg_start_url(&bot, "x_1")?,
            "tg://resolve?domain=TgAuthBot&start=x_1"
        );
        assert_eq!(
            startgroup_url(&bot, "g")?,
            "https://t.me/TgAuthBot?startgroup=g"
        );
        assert!(start_url(&bot, "a&b=c").is_err());
        assert!(bot.matches("tgauthbot") && bot.matches("@TGAUTHBOT") && !bot.matches("other_bot"));
        Ok(())
    }
}
