//! Properties: parsing never panics, payload validation agrees with its definition, link
//! builders and `/start` parsing round-trip.

use deeplink_auth::link::{start_url, validate_payload};
use deeplink_auth::login::LoginLinkKey;
use deeplink_auth::{BotUsername, LinkCode, StartCommand, UnixTime, UserId, parse_start};
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
        let _ = UserId::new(&text);
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
}
