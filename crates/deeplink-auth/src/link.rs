//! Link builders (`https://t.me/<bot>?start=`, `tg://resolve`, `startgroup`) and validation of
//! payloads.

use crate::code::LinkCode;
use crate::error::InputError;
use crate::ids::BotUsername;

/// Longest deep-link payload Telegram accepts.
pub const MAX_PAYLOAD_LEN: usize = 64;

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

/// `tg://resolve?domain=<bot>&start=<code>` for a link code (always a valid payload).
pub fn tg_code_url(bot: &BotUsername, code: &LinkCode) -> String {
    format!(
        "tg://resolve?domain={}&start={}",
        bot.as_str(),
        code.expose()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
