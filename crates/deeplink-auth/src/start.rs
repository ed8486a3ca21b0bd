//! Parsing `/start`, `/start <payload>` and `/start@bot <payload>` from a message text, and the
//! checked identity of the chat it came from.

use crate::code::LinkCode;
use crate::error::InputError;
use crate::ids::{ChatId, TelegramIdentity, TelegramUserId};
use crate::link::BotUsername;

/// What a message's text says, for this bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCommand {
    /// The text is not a `/start` command.
    NotStart,
    /// `/start@other_bot ...`: a command for another bot in the same chat.
    NotForUs,
    /// `/start` with a well-formed link code.
    Code(LinkCode),
    /// `/start` with no payload, or one that is not a well-formed code (greet; touch no store).
    NoCode,
}

/// Parses `text` as `/start` for `bot`: leading and repeated spaces are tolerated, the command
/// name is matched case-insensitively, and `@name` must be this bot.
pub fn parse_start(text: &str, bot: &BotUsername) -> StartCommand {
    let mut words = text.split_whitespace();
    let Some(command) = words.next() else {
        return StartCommand::NotStart;
    };
    let Some(command) = command.strip_prefix('/') else {
        return StartCommand::NotStart;
    };
    let (name, target) = match command.split_once('@') {
        Some((name, target)) => (name, Some(target)),
        None => (command, None),
    };
    if !name.eq_ignore_ascii_case("start") {
        return StartCommand::NotStart;
    }
    if let Some(target) = target
        && !bot.matches(target)
    {
        return StartCommand::NotForUs;
    }
    match (words.next(), words.next()) {
        (Some(payload), None) => {
            LinkCode::parse(payload).map_or(StartCommand::NoCode, StartCommand::Code)
        }
        _ => StartCommand::NoCode,
    }
}

/// The parts of a Telegram message update that linking needs, taken from the validated update
/// the bot received (never from anything the website's client sends).
///
/// `Debug` shows only the text's first word (the command): a bot that logs the message it
/// handles must not log the code that follows.
#[derive(Clone, PartialEq, Eq)]
pub struct StartMessage {
    /// `message.chat.id`.
    pub chat_id: i64,
    /// `message.chat.type`: `private`, `group`, `supergroup` or `channel`.
    pub chat_type: String,
    /// `message.from.id`; `None` when the message has no sender (channels).
    pub user_id: Option<i64>,
    /// `message.text`.
    pub text: String,
}

impl std::fmt::Debug for StartMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the command word is shown: whatever follows may be a code, or a near-miss of
        // one (a live code with a typo around it), in any whitespace.
        let mut words = self.text.split_whitespace();
        let text = match (words.next(), words.next()) {
            (Some(command), Some(_)) => format!("{command} <redacted>"),
            (Some(command), None) => command.to_owned(),
            (None, _) => String::new(),
        };
        f.debug_struct("StartMessage")
            .field("chat_id", &self.chat_id)
            .field("chat_type", &self.chat_type)
            .field("user_id", &self.user_id)
            .field("text", &text)
            .finish()
    }
}

impl StartMessage {
    /// The identity to bind: only a private chat with a sender whose id is the chat's id.
    pub fn identity(&self) -> Result<TelegramIdentity, InputError> {
        if self.chat_type != "private" {
            return Err(InputError::Identity {
                reason: "links are made in private chats only",
            });
        }
        let Some(user_id) = self.user_id else {
            return Err(InputError::Identity {
                reason: "the message has no sender",
            });
        };
        TelegramIdentity::new(TelegramUserId(user_id), ChatId(self.chat_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &str) {
        let bot = BotUsername::new("TgAuthBot").ok();
        let Some(bot) = bot else { panic!("bot name") };
        let got = match parse_start(text, &bot) {
            StartCommand::NotStart => "not start".to_owned(),
            StartCommand::NotForUs => "not for us".to_owned(),
            StartCommand::NoCode => "no code".to_owned(),
            StartCommand::Code(code) => format!("code {}", code.expose()),
        };
        assert_eq!(got, expected, "{text:?}");
    }

    const CODE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-";

    #[test]
    fn start_commands() {
        check("/start", "no code");
        check("  /start  ", "no code");
        check(&format!("/start {CODE}"), &format!("code {CODE}"));
        check(&format!("/start   {CODE}  "), &format!("code {CODE}"));
        check(&format!("/start@tgauthbot {CODE}"), &format!("code {CODE}"));
        check(&format!("/START@TgAuthBot {CODE}"), &format!("code {CODE}"));
        check(&format!("/start@other_bot {CODE}"), "not for us");
        check("/start@other_bot", "not for us");
        check("/start hello", "no code");
        check(&format!("/start {CODE} extra"), "no code");
        check(&format!("/start {CODE}x"), "no code");
        check(&format!("/startx {CODE}"), "not start");
        check(&format!("start {CODE}"), "not start");
        check("", "not start");
        check("/", "not start");
        check("/@", "not start");
    }

    #[test]
    fn debug_redacts_the_code() {
        let message = StartMessage {
            chat_id: 42,
            chat_type: "private".to_owned(),
            user_id: Some(42),
            text: format!("/start@TgAuthBot\t{CODE}\n"),
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains(CODE), "{shown}");
        assert!(
            shown.contains(r#"text: "/start@TgAuthBot <redacted>""#),
            "{shown}"
        );
        let typo = StartMessage {
            text: format!("/start {CODE}."),
            ..message
        };
        assert!(!format!("{typo:?}").contains(CODE));
    }

    #[test]
    fn only_private_chats_bind() {
        let message = |chat_id, chat_type: &str, user_id| StartMessage {
            chat_id,
            chat_type: chat_type.to_owned(),
            user_id,
            text: "/start".to_owned(),
        };
        assert!(message(42, "private", Some(42)).identity().is_ok());
        assert!(message(-100, "group", Some(42)).identity().is_err());
        assert!(message(-100, "supergroup", Some(42)).identity().is_err());
        assert!(message(-100, "channel", None).identity().is_err());
        assert!(message(43, "private", Some(42)).identity().is_err());
        assert!(message(42, "private", None).identity().is_err());
        assert!(message(-5, "private", Some(-5)).identity().is_err());
    }
}
