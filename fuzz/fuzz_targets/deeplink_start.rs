//! `/start` message text and deep-link payloads: parsing the command for a fixed bot, parsing a
//! link code, checking a payload and building the links from it, and checking a bot username.
//! None may panic, and a link code found in a message never shows in that message's `Debug`
//! form (which bots log).
#![no_main]

use std::sync::LazyLock;

use deeplink_auth::code::LinkCode;
use deeplink_auth::link::{start_url, startgroup_url, tg_start_url, validate_payload};
use deeplink_auth::start::{StartCommand, StartMessage, parse_start};
use deeplink_auth::tgauth_core::{ChatId, UserId};
use deeplink_auth::{AccountId, BotUsername};
use libfuzzer_sys::fuzz_target;

static BOT: LazyLock<BotUsername> =
    LazyLock::new(|| BotUsername::new("tgauth_test_bot").expect("a well-formed username"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let command = parse_start(text, &BOT);
    let message = StartMessage {
        chat_id: ChatId(42),
        chat_type: "private".to_owned(),
        user_id: Some(UserId(42)),
        text: text.to_owned(),
    };
    let shown = format!("{message:?}");
    if let StartCommand::Code(code) = &command {
        assert!(
            !shown.contains(code.expose()),
            "a StartMessage's Debug form shows its link code"
        );
    }
    let _ = message.identity();
    if let Some(code) = LinkCode::parse(text) {
        let _ = code.hash().to_hex();
    }
    if validate_payload(text).is_ok() {
        let _ = start_url(&BOT, text);
        let _ = tg_start_url(&BOT, text);
        let _ = startgroup_url(&BOT, text);
    }
    let _ = BotUsername::new(text);
    let _ = AccountId::new(text);
});
