//! Parsing Bot API JSON as Telegram sends it (shapes from the Bot API reference, with the extra
//! fields real servers add), and serializing requests to Telegram's exact field names.

use bot_api_client::requests::{GetUpdates, SendMessage, SetWebhook};
use bot_api_client::types::{
    ChatType, File, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, LoginUrl,
    MessageEntity, ParseMode, Update, UpdateKind, User, WebhookInfo,
};
use bot_api_client::webhook::SecretToken;
use proptest::prelude::*;
use serde_json::{Value, json};

fn update(value: Value) -> Update {
    serde_json::from_value(value).unwrap()
}

#[test]
fn start_command_message() {
    // A private `/start <payload>` as sent by Telegram, with fields this crate does not model.
    let parsed = update(json!({
        "update_id": 861240185,
        "message": {
            "message_id": 1371,
            "from": {"id": 123456789, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace",
                     "username": "ada", "language_code": "en", "is_premium": true},
            "chat": {"id": 123456789, "first_name": "Ada", "last_name": "Lovelace", "username": "ada",
                     "type": "private"},
            "date": 1716112233,
            "text": "/start Zx9_-abc",
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
            "has_protected_content": true,
            "link_preview_options": {"is_disabled": true}
        }
    }));
    assert_eq!(parsed.update_id, 861240185);
    let message = parsed.message().unwrap();
    assert!(matches!(parsed.kind, UpdateKind::Message(_)));
    assert_eq!(message.text.as_deref(), Some("/start Zx9_-abc"));
    assert_eq!(message.chat.kind, ChatType::Private);
    assert_eq!(
        message.from.as_ref().unwrap().username.as_deref(),
        Some("ada")
    );
    assert_eq!(
        message.entities.as_ref().unwrap()[0],
        MessageEntity::new("bot_command", 0, 6)
    );
}

#[test]
fn edited_message_channel_post_and_callback_query() {
    let chat =
        json!({"id": -1001234567890_i64, "title": "News", "type": "channel", "username": "news"});
    let edited = update(json!({"update_id": 2, "edited_message": {
        "message_id": 5, "date": 1, "edit_date": 2, "chat": {"id": 1, "type": "private", "first_name": "A"},
        "text": "fixed"}}));
    assert!(matches!(edited.kind, UpdateKind::EditedMessage(_)));
    let post = update(
        json!({"update_id": 3, "channel_post": {"message_id": 9, "date": 1, "chat": chat,
        "sender_chat": chat, "text": "hello"}}),
    );
    let UpdateKind::ChannelPost(message) = &post.kind else {
        panic!("{post:?}")
    };
    assert_eq!(message.chat.kind, ChatType::Channel);
    assert_eq!(message.from, None);
    let query = update(json!({"update_id": 4, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": {"id": 1, "is_bot": false, "first_name": "A"},
        "chat_instance": "-8424519471245", "data": "confirm:17",
        "message": {"message_id": 10, "date": 1, "chat": {"id": 1, "type": "private", "first_name": "A"}, "text": "ok?"}}}));
    let UpdateKind::CallbackQuery(query) = &query.kind else {
        panic!("{query:?}")
    };
    assert_eq!(query.data.as_deref(), Some("confirm:17"));
}

#[test]
fn web_app_data() {
    let parsed = update(
        json!({"update_id": 5, "message": {"message_id": 11, "date": 1,
        "chat": {"id": 1, "type": "private", "first_name": "A"},
        "web_app_data": {"data": "{\"step\":2}", "button_text": "Open"}}}),
    );
    let data = parsed.message().unwrap().web_app_data.as_ref().unwrap();
    assert_eq!(data.data, "{\"step\":2}");
    assert_eq!(data.button_text, "Open");
}

#[test]
fn unknown_update_kind_keeps_raw_json() {
    let raw = json!({"update_id": 6, "message_reaction": {"chat": {"id": 1, "type": "private"},
        "message_id": 3, "date": 1, "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}});
    let parsed = update(raw.clone());
    let UpdateKind::Other(value) = &parsed.kind else {
        panic!("{parsed:?}")
    };
    assert_eq!(value["message_reaction"]["message_id"], 3);
    // Round trip: serializing gives back what Telegram sent.
    assert_eq!(serde_json::to_value(&parsed).unwrap(), raw);
}

#[test]
fn malformed_known_kind_is_other_not_an_error() {
    // A message without `chat` cannot be a Message; delivery must not stop on it.
    let raw = json!({"update_id": 7, "message": {"message_id": 1, "date": 1}});
    let parsed = bot_api_client::webhook::parse_update(raw.to_string().as_bytes()).unwrap();
    assert!(matches!(parsed.kind, UpdateKind::Other(_)));
    assert_eq!(parsed.update_id, 7);
    assert_eq!(Update::from_value_lenient(raw.clone()).unwrap(), parsed);
    // Plain serde is strict about the kinds it models.
    assert!(serde_json::from_value::<Update>(raw).is_err());
}

#[test]
fn update_without_id_is_an_error() {
    assert!(serde_json::from_value::<Update>(json!({"message": {}})).is_err());
    assert!(serde_json::from_value::<Update>(json!({"update_id": "1"})).is_err());
    assert!(serde_json::from_value::<Update>(json!([1])).is_err());
}

#[test]
fn unknown_chat_type_is_tolerated() {
    let parsed = update(
        json!({"update_id": 8, "message": {"message_id": 1, "date": 1,
        "chat": {"id": 1, "type": "hologram"}}}),
    );
    assert_eq!(parsed.message().unwrap().chat.kind, ChatType::Unknown);
}

#[test]
fn get_me_user() {
    let user: User = serde_json::from_value(json!({"id": 7000000001_i64, "is_bot": true, "first_name": "Auth",
        "username": "auth_bot", "can_join_groups": true, "can_read_all_group_messages": false,
        "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false}))
    .unwrap();
    assert_eq!(user.id, bot_api_client::tgauth_core::UserId(7000000001));
    assert_eq!(user.can_join_groups, Some(true));
}

#[test]
fn file_and_webhook_info() {
    let file: File =
        serde_json::from_value(json!({"file_id": "BQACAgIAAxk", "file_unique_id": "AgADqQ",
        "file_size": 2048, "file_path": "passport/file_0.jpg"}))
        .unwrap();
    assert_eq!(file.file_path.as_deref(), Some("passport/file_0.jpg"));
    let info: WebhookInfo = serde_json::from_value(json!({"url": "https://example.com/hook",
        "has_custom_certificate": false, "pending_update_count": 3, "max_connections": 40,
        "ip_address": "203.0.113.7", "last_error_date": 1716112233,
        "last_error_message": "Wrong response from the webhook: 500 Internal Server Error",
        "allowed_updates": ["message", "callback_query"]}))
    .unwrap();
    assert_eq!(info.pending_update_count, 3);
    assert_eq!(info.allowed_updates.unwrap(), ["message", "callback_query"]);
    let empty: WebhookInfo = serde_json::from_value(
        json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}),
    )
    .unwrap();
    assert_eq!(empty.url, "");
}

#[test]
fn send_message_serializes_keyboards_and_options() {
    let login = LoginUrl {
        request_write_access: Some(true),
        ..LoginUrl::new("https://example.com/login")
    };
    let request = SendMessage::new(42, "*Link* your account")
        .parse_mode(ParseMode::MarkdownV2)
        .link_preview_options(LinkPreviewOptions {
            is_disabled: Some(true),
            ..Default::default()
        })
        .reply_markup(InlineKeyboardMarkup::new(vec![
            vec![InlineKeyboardButton::login_url("Log in", login)],
            vec![
                InlineKeyboardButton::url("Site", "https://example.com"),
                InlineKeyboardButton::callback("No", "no"),
            ],
        ]));
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({
            "chat_id": 42, "text": "*Link* your account", "parse_mode": "MarkdownV2",
            "link_preview_options": {"is_disabled": true},
            "reply_markup": {"inline_keyboard": [
                [{"text": "Log in", "login_url": {"url": "https://example.com/login", "request_write_access": true}}],
                [{"text": "Site", "url": "https://example.com"}, {"text": "No", "callback_data": "no"}]
            ]}
        })
    );
    let html = SendMessage::new(
        bot_api_client::types::Recipient::Username("@news".into()),
        "x",
    )
    .parse_mode(ParseMode::Html);
    assert_eq!(
        serde_json::to_value(&html).unwrap(),
        json!({"chat_id": "@news", "text": "x", "parse_mode": "HTML"})
    );
    let keyboard: InlineKeyboardMarkup = serde_json::from_value(
        serde_json::to_value(request.reply_markup.as_ref().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(Some(&keyboard), request.reply_markup.as_ref());
}

#[test]
fn get_updates_and_set_webhook_parameters() {
    let request = GetUpdates {
        offset: Some(10),
        limit: Some(100),
        timeout: Some(50),
        allowed_updates: None,
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"offset": 10, "limit": 100, "timeout": 50})
    );
    let hook = SetWebhook::new("https://example.com/hook")
        .secret_token(SecretToken::new("s3cr3t_-X").unwrap())
        .allowed_updates(vec!["message".into()])
        .drop_pending_updates(true)
        .max_connections(40);
    assert_eq!(
        serde_json::to_value(&hook).unwrap(),
        json!({"url": "https://example.com/hook", "secret_token": "s3cr3t_-X", "allowed_updates": ["message"],
               "drop_pending_updates": true, "max_connections": 40})
    );
    assert!(!format!("{hook:?}").contains("s3cr3t_-X"));
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = bot_api_client::webhook::parse_update(&bytes);
    }

    #[test]
    fn arbitrary_json_objects_never_panic(
        id in any::<i64>(),
        key in "[a-z_]{1,20}",
        text in ".{0,40}",
    ) {
        let body = json!({"update_id": id, key: {"message_id": 1, "date": 1, "text": text,
            "chat": {"id": 1, "type": "private"}}});
        let parsed = bot_api_client::webhook::parse_update(body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(parsed.update_id, id);
    }
}

#[test]
fn message_with_real_passport_data() {
    // Real Passport data from a Telegram client (see the fixture's provenance).
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/ptb_passport_data.json")).unwrap();
    let raw = json!({"update_id": 9, "message": {"message_id": 12, "date": 1,
        "chat": {"id": 5, "type": "private", "first_name": "P"}, "from": {"id": 5, "is_bot": false, "first_name": "P"},
        "passport_data": fixture["passport_data"]}});
    let parsed = update(raw.clone());
    let passport = parsed
        .message()
        .unwrap()
        .passport_data
        .as_ref()
        .expect("passport_data parsed");
    assert_eq!(
        passport.data.len(),
        fixture["passport_data"]["data"].as_array().unwrap().len()
    );
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        raw,
        "nothing is lost on the way through"
    );
}
