//! Properties: parsing never panics, payload validation agrees with its definition, link
//! builders and `/start` parsing round-trip, and a message's `Debug` never shows a code.

use deeplink_auth::code::LinkCode;
use deeplink_auth::link::{start_url, validate_payload};
use deeplink_auth::login::LoginLinkKey;
use deeplink_auth::start::{StartCommand, StartMessage, parse_start};
use deeplink_auth::tgauth_core::{ChatId, UnixTime, UserId};
use deeplink_auth::{AccountId, BotUsername};
use proptest::prelude::*;

fn bot() -> BotUsername {
    BotUsername::new("tgauth_test_bot").unwrap()
}

proptest! {
    #![proptest_config(crate::proptest_config(512))]

    #[test]
    fn parsing_never_panics(text in ".{0,200}") {
        let _ = parse_start(&text, &bot());
        let _ = LinkCode::parse(&text);
        let _ = BotUsername::new(&text);
        let _ = AccountId::new(&text);
        let _ = validate_payload(&text);
        let _ = LoginLinkKey::new(&[1; 32]).unwrap().verify(&text, UnixTime(0));
    }

    #[test]
    fn payload_rule(payload in "[A-Za-z0-9_=+ -]{0,70}") {
        let expected = (1..=64).contains(&payload.len())
            && payload.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        prop_assert_eq!(validate_payload(&payload).is_ok(), expected);
    }

    #[test]
    fn start_parses_what_the_link_carries(spaces in " {1,4}", mention in proptest::bool::ANY) {
        let code = LinkCode::generate().unwrap();
        let url = start_url(&bot(), code.expose()).unwrap();
        let payload = url.rsplit_once("?start=").unwrap().1;
        let command = if mention { "/start@TgAuth_Test_Bot" } else { "/start" };
        let text = format!("{command}{spaces}{payload}{spaces}");
        prop_assert_eq!(parse_start(&text, &bot()), StartCommand::Code(code));
    }

    /// Whatever surrounds a code (any characters, any whitespace, invisible joiners), the
    /// message's `Debug` shows at most a command word and `<redacted>`.
    #[test]
    fn debug_never_shows_a_code(
        before in "(\\PC|\\s|\u{200B}|\u{2060}|\u{FEFF}){0,12}",
        command in proptest::option::of("/[A-Za-z0-9_]{1,12}(@TgAuth_Test_Bot)?"),
        glue in "(\\s|\u{200B}|\u{2060}|\u{FEFF}|\u{00A0}|\u{3000}|[.,:!-]){0,3}",
        after in "(\\PC|\\s){0,12}",
    ) {
        let code = LinkCode::generate().unwrap();
        let text = format!("{before}{}{glue}{}{after}", command.unwrap_or_default(), code.expose());
        let message = StartMessage {
            chat_id: ChatId(42),
            chat_type: "private".to_owned(),
            user_id: Some(UserId(42)),
            text: text.clone(),
        };
        let shown = format!("{message:?}");
        prop_assert!(!shown.contains(code.expose()), "{:?} shows {}", text, shown);
        let start = shown.find("text: \"").unwrap() + "text: \"".len();
        let end = shown.rfind('"').unwrap();
        let shown_text = &shown[start..end];
        let command_word = shown_text.strip_suffix(" <redacted>").unwrap_or(shown_text);
        prop_assert!(
            shown_text.is_empty()
                || shown_text == "<redacted>"
                || (command_word.starts_with('/')
                    && command_word[1..]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@')),
            "{:?} shows {}", text, shown
        );
    }
}
