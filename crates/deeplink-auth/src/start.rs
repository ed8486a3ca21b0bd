//! Parsing `/start`, `/start <payload>` and `/start@bot <payload>` from a message text, and the
//! checked identity of the chat it came from.

use tgauth_core::{ChatId, UserId};

use crate::code::LinkCode;
use crate::error::InputError;
use crate::ids::{BotUsername, TelegramIdentity};

/// What a message's text says, for this bot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
/// `Debug` shows the text only as far as it is a command word (`/` and 1 to 32 of
/// `A-Za-z0-9_`, with an optional `@botname`) standing alone as the first word; everything
/// else reads `<redacted>`. A bot that logs the message it handles must not log the code in
/// it, whether it follows a space, is glued to the command by an invisible character such as
/// U+200B, or is the whole message.
#[derive(Clone, PartialEq, Eq)]
pub struct StartMessage {
    /// `message.chat.id`.
    pub chat_id: ChatId,
    /// `message.chat.type`: `private`, `group`, `supergroup` or `channel`.
    pub chat_type: String,
    /// `message.from.id`; `None` when the message has no sender (channels).
    pub user_id: Option<UserId>,
    /// `message.text`.
    pub text: String,
}

/// Longest bot command name Telegram accepts.
const MAX_COMMAND_LEN: usize = 32;

/// Whether `word` is a command word `Debug` may show: `/name` or `/name@bot`, with `name` 1 to
/// 32 of `A-Za-z0-9_` and `bot` a well-formed bot username. A part that is itself a
/// well-formed link code (a code pasted after a slash) is never shown.
fn is_command_word(word: &str) -> bool {
    let Some(command) = word.strip_prefix('/') else {
        return false;
    };
    let (name, bot) = match command.split_once('@') {
        Some((name, bot)) => (name, Some(bot)),
        None => (command, None),
    };
    let name_ok = (1..=MAX_COMMAND_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && LinkCode::parse(name).is_none();
    let bot_ok =
        bot.is_none_or(|bot| BotUsername::new(bot).is_ok() && LinkCode::parse(bot).is_none());
    name_ok && bot_ok
}

impl std::fmt::Debug for StartMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The first word ends at whitespace only: a code glued on by any other character is
        // part of the word, and the word then is not a command and is not shown.
        let text = self.text.trim_start();
        let (word, rest) = text
            .find(char::is_whitespace)
            .map_or((text, ""), |end| text.split_at(end));
        let redacted = tgauth_core::REDACTED;
        let shown = if text.is_empty() {
            String::new()
        } else if !is_command_word(word) {
            redacted.to_owned()
        } else if rest.trim().is_empty() {
            word.to_owned()
        } else {
            format!("{word} {redacted}")
        };
        f.debug_struct("StartMessage")
            .field("chat_id", &self.chat_id)
            .field("chat_type", &self.chat_type)
            .field("user_id", &self.user_id)
            .field("text", &shown)
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
        TelegramIdentity::new(user_id, self.chat_id)
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
            chat_id: ChatId(42),
            chat_type: "private".to_owned(),
            user_id: Some(UserId(42)),
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

    /// What `Debug` shows of a message's text.
    fn shown_text(text: &str) -> String {
        let message = StartMessage {
            chat_id: ChatId(42),
            chat_type: "private".to_owned(),
            user_id: Some(UserId(42)),
            text: text.to_owned(),
        };
        let shown = format!("{message:?}");
        let start = shown.find("text: ").map_or(0, |at| at + "text: ".len());
        shown[start..].trim_end_matches(" }").to_owned()
    }

    #[test]
    fn debug_shows_only_a_command_word() {
        // Nothing but a code (a person pasting it), or a code glued to the command by
        // characters that are not whitespace (U+200B, U+2060, U+FEFF).
        for text in [
            CODE.to_owned(),
            format!("{CODE}\n"),
            format!("/start\u{200B}{CODE}"),
            format!("/start\u{2060}{CODE}"),
            format!("\u{FEFF}/start {CODE}"),
            format!("/start@TgAuthBot\u{200B}{CODE}"),
            format!("/{CODE}"),
            format!("/{}", "A".repeat(32)),
            format!("/start@{}", "A".repeat(32)),
            format!("/start@{CODE}"),
            format!("hello {CODE}"),
        ] {
            let shown = shown_text(&text);
            assert!(!shown.contains(CODE), "{text:?} shows {shown}");
            assert!(!shown.contains("AAAA"), "{text:?} shows {shown}");
            assert_eq!(shown, r#""<redacted>""#, "{text:?}");
        }
        assert_eq!(shown_text(CODE), r#""<redacted>""#);
        assert_eq!(
            shown_text(&format!("/start\u{200B}{CODE}")),
            r#""<redacted>""#
        );
        assert_eq!(
            shown_text(&format!("/start {CODE}")),
            r#""/start <redacted>""#
        );
        assert_eq!(
            shown_text(&format!("  /start@TgAuthBot\u{3000}{CODE}")),
            r#""/start@TgAuthBot <redacted>""#
        );
        assert_eq!(shown_text("/login"), r#""/login""#);
        assert_eq!(shown_text("/start  "), r#""/start""#);
        assert_eq!(shown_text("hello"), r#""<redacted>""#);
        assert_eq!(shown_text(""), r#""""#);
    }

    #[test]
    fn only_private_chats_bind() {
        let message = |chat_id, chat_type: &str, user_id: Option<i64>| StartMessage {
            chat_id: ChatId(chat_id),
            chat_type: chat_type.to_owned(),
            user_id: user_id.map(UserId),
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
