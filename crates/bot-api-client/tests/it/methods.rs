//! The methods a bot update handler needs, against the loopback stub: the exact JSON each sends
//! and how each answer is read (`answerCallbackQuery`, `editMessageText`, `getChat`, and inline
//! keyboards on sent messages).

use crate::stub::{Reply, Stub};
use bot_api_client::error::ApiErrorKind;
use bot_api_client::requests::{AnswerCallbackQuery, EditMessageText, SendMessage};
use bot_api_client::tgauth_core::{ChatId, UnixTime, UserId};
use bot_api_client::types::{
    ChatType, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, MessageEntity,
    ParseMode, Recipient, UpdateKind,
};
use serde_json::{Value, json};

/// The keyboard of a confirmation question.
fn confirm_keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Confirm", "confirm:17"),
        InlineKeyboardButton::callback("Cancel", "cancel:17"),
    ]])
}

fn confirm_keyboard_json() -> Value {
    json!({"inline_keyboard": [[
        {"text": "Confirm", "callback_data": "confirm:17"},
        {"text": "Cancel", "callback_data": "cancel:17"}
    ]]})
}

/// A message as Telegram returns it for a message the bot sent, with fields this crate ignores.
fn bot_message(text: &str, reply_markup: Option<Value>) -> Value {
    let mut message = json!({
        "message_id": 77, "date": 1_716_112_233, "edit_date": 1_716_112_300,
        "from": {"id": 987654321, "is_bot": true, "first_name": "Stub", "username": "stub_bot"},
        "chat": {"id": 42, "type": "private", "first_name": "Ada", "username": "ada"},
        "text": text
    });
    if let Some(markup) = reply_markup {
        message["reply_markup"] = markup;
    }
    message
}

/// The one request the stub received.
fn only_request(stub: &Stub) -> crate::stub::Recorded {
    let requests = stub.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap()
}

#[tokio::test]
async fn answer_callback_query_sends_only_what_is_set() {
    let stub = Stub::start().await;
    stub.script([Reply::ok(json!(true))]);
    let answered = stub
        .client()
        .answer_callback_query(&AnswerCallbackQuery::new("4382bfdwdsb323b2d9"))
        .await
        .unwrap();
    assert!(answered);
    let request = only_request(&stub);
    assert_eq!(request.method, "answerCallbackQuery");
    assert_eq!(
        request.body,
        json!({"callback_query_id": "4382bfdwdsb323b2d9"})
    );

    let stub = Stub::start().await;
    stub.script([Reply::ok(json!(true))]);
    let full = AnswerCallbackQuery::new("q2")
        .text("Linked to your account")
        .show_alert(true)
        .url("https://t.me/stub_bot?start=done")
        .cache_time(5);
    assert_eq!(full.callback_query_id, "q2");
    stub.client().answer_callback_query(&full).await.unwrap();
    assert_eq!(
        only_request(&stub).body,
        json!({"callback_query_id": "q2", "text": "Linked to your account", "show_alert": true,
            "url": "https://t.me/stub_bot?start=done", "cache_time": 5})
    );
}

#[tokio::test]
async fn answer_callback_query_is_repeated_after_a_server_error() {
    let stub = Stub::start().await;
    stub.script([
        Reply::error(502, "Bad Gateway", None),
        Reply::ok(json!(true)),
    ]);
    assert!(
        stub.client()
            .answer_callback_query(&AnswerCallbackQuery::new("q"))
            .await
            .unwrap()
    );
    assert_eq!(
        stub.methods(),
        ["answerCallbackQuery", "answerCallbackQuery"]
    );
    // A query answered already (or too old) is a plain 400.
    stub.script([Reply::error(
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
        None,
    )]);
    let error = stub
        .client()
        .answer_callback_query(&AnswerCallbackQuery::new("q"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::BadRequest));
}

#[tokio::test]
async fn edit_message_text_sends_telegram_fields_and_returns_the_edited_message() {
    let stub = Stub::start().await;
    stub.script([Reply::ok(bot_message(
        "Linked to example.com",
        Some(confirm_keyboard_json()),
    ))]);
    let request = EditMessageText::new(UserId(42), 77, "<b>Linked</b> to example.com")
        .parse_mode(ParseMode::Html)
        .link_preview_options(LinkPreviewOptions {
            is_disabled: Some(true),
            ..Default::default()
        })
        .reply_markup(confirm_keyboard());
    let edited = stub.client().edit_message_text(&request).await.unwrap();
    let sent = only_request(&stub);
    assert_eq!(sent.method, "editMessageText");
    assert_eq!(
        sent.body,
        json!({"chat_id": 42, "message_id": 77, "text": "<b>Linked</b> to example.com",
            "parse_mode": "HTML", "link_preview_options": {"is_disabled": true},
            "reply_markup": confirm_keyboard_json()})
    );
    assert_eq!(edited.message_id, 77);
    assert_eq!(edited.chat.id, ChatId(42));
    assert_eq!(edited.date, UnixTime(1_716_112_233));
    assert_eq!(edited.text.as_deref(), Some("Linked to example.com"));
    assert_eq!(edited.reply_markup, Some(confirm_keyboard()));
}

#[tokio::test]
async fn edit_message_text_without_a_keyboard_omits_it_and_takes_entities() {
    // Omitting reply_markup is how Telegram is told to remove the keyboard.
    let stub = Stub::start().await;
    stub.script([Reply::ok(bot_message("Cancelled", None))]);
    let request = EditMessageText::new(Recipient::Username("@news".into()), 9, "Cancelled")
        .entities(vec![MessageEntity::new("italic", 0, 9)]);
    let edited = stub.client().edit_message_text(&request).await.unwrap();
    assert_eq!(
        only_request(&stub).body,
        json!({"chat_id": "@news", "message_id": 9, "text": "Cancelled",
            "entities": [{"type": "italic", "offset": 0, "length": 9}]})
    );
    assert_eq!(edited.reply_markup, None);
}

#[tokio::test]
async fn an_edit_that_changes_nothing_is_told_apart() {
    let stub = Stub::start().await;
    stub.script([Reply::error(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup \
         are exactly the same as a current content and reply markup of the message",
        None,
    )]);
    let request = EditMessageText::new(42, 77, "Linked");
    let error = stub.client().edit_message_text(&request).await.unwrap_err();
    assert!(error.api().unwrap().is_not_modified(), "{error:?}");
    assert_eq!(error.api_kind(), Some(ApiErrorKind::NotModified));
    assert_eq!(stub.methods(), ["editMessageText"], "not retried");
    // Other 400s of the same method are not.
    stub.script([Reply::error(
        400,
        "Bad Request: message to edit not found",
        None,
    )]);
    let error = stub.client().edit_message_text(&request).await.unwrap_err();
    assert!(!error.api().unwrap().is_not_modified());
    assert_eq!(error.api_kind(), Some(ApiErrorKind::BadRequest));
}

#[tokio::test]
async fn chat_reads_a_private_chat_and_ignores_unknown_fields() {
    let stub = Stub::start().await;
    // getChat as Bot API 7.x answers it for a user: many fields this crate does not model.
    stub.script([Reply::ok(json!({
        "id": 42, "type": "private", "first_name": "Ada", "last_name": "Lovelace",
        "username": "ada", "active_usernames": ["ada", "countess"], "bio": "Analyst",
        "accent_color_id": 3, "max_reaction_count": 11, "has_private_forwards": true,
        "photo": {"small_file_id": "AQAD", "small_file_unique_id": "AQA",
            "big_file_id": "AQAE", "big_file_unique_id": "AQB"},
        "birthdate": {"day": 10, "month": 12}, "future_field": {"nested": [1, 2]}
    }))]);
    let chat = stub.client().chat(UserId(42)).await.unwrap();
    let request = only_request(&stub);
    assert_eq!(request.method, "getChat");
    assert_eq!(request.body, json!({"chat_id": 42}));
    assert_eq!(chat.id, ChatId(42));
    assert_eq!(chat.kind, ChatType::Private);
    assert_eq!(chat.first_name.as_deref(), Some("Ada"));
    assert_eq!(chat.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(chat.username.as_deref(), Some("ada"));
    assert_eq!(
        chat.active_usernames.as_deref(),
        Some(&["ada".to_owned(), "countess".to_owned()][..])
    );
    assert_eq!(chat.bio.as_deref(), Some("Analyst"));
    assert_eq!(chat.title, None);
}

#[tokio::test]
async fn chat_takes_any_recipient_and_reads_a_channel() {
    let stub = Stub::start().await;
    stub.script([Reply::ok(json!({
        "id": -1001234567890_i64, "type": "channel", "title": "News", "username": "news",
        "description": "Daily", "accent_color_id": 1, "max_reaction_count": 11
    }))]);
    let chat = stub
        .client()
        .chat(Recipient::Username("@news".into()))
        .await
        .unwrap();
    assert_eq!(only_request(&stub).body, json!({"chat_id": "@news"}));
    assert_eq!(chat.id, ChatId(-1001234567890));
    assert_eq!(chat.kind, ChatType::Channel);
    assert_eq!(chat.title.as_deref(), Some("News"));
    assert_eq!(chat.description.as_deref(), Some("Daily"));
    assert_eq!(chat.first_name, None);
    // A chat that does not exist (or never talked to the bot).
    stub.script([Reply::error(400, "Bad Request: chat not found", None)]);
    let error = stub.client().chat(ChatId(5)).await.unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::BadRequest));
}

#[test]
fn every_id_makes_the_same_recipient() {
    let numeric = Recipient::Id(ChatId(42));
    assert_eq!(Recipient::from(ChatId(42)), numeric);
    assert_eq!(Recipient::from(UserId(42)), numeric);
    assert_eq!(Recipient::from(42_i64), numeric);
    assert_eq!(serde_json::to_value(&numeric).unwrap(), json!(42));
    let username = Recipient::Username("@news".into());
    assert_eq!(serde_json::to_value(&username).unwrap(), json!("@news"));
    for recipient in [numeric, username] {
        let back: Recipient =
            serde_json::from_value(serde_json::to_value(&recipient).unwrap()).unwrap();
        assert_eq!(back, recipient);
    }
}

#[tokio::test]
async fn a_sent_message_carries_its_keyboard_back() {
    let stub = Stub::start().await;
    stub.script([Reply::ok(bot_message(
        "Link your account?",
        Some(confirm_keyboard_json()),
    ))]);
    let request =
        SendMessage::new(UserId(42), "Link your account?").reply_markup(confirm_keyboard());
    let sent = stub.client().send_message(&request).await.unwrap();
    assert_eq!(
        only_request(&stub).body,
        json!({"chat_id": 42, "text": "Link your account?", "reply_markup": confirm_keyboard_json()})
    );
    assert_eq!(sent.reply_markup, Some(confirm_keyboard()));
    assert_eq!(
        sent.from.as_ref().map(|from| from.id),
        Some(UserId(987654321))
    );
}

#[test]
fn a_callback_query_carries_the_message_and_its_keyboard() {
    let update = bot_api_client::webhook::parse_update(
        json!({"update_id": 4, "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 42, "is_bot": false, "first_name": "Ada"},
            "chat_instance": "-8424519471245", "data": "confirm:17",
            "message": bot_message("Link your account?", Some(confirm_keyboard_json()))}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let UpdateKind::CallbackQuery(query) = &update.kind else {
        panic!("{update:?}")
    };
    assert_eq!(query.id, "4382bfdwdsb323b2d9");
    assert_eq!(query.from.id, UserId(42));
    assert_eq!(query.data.as_deref(), Some("confirm:17"));
    let message = query.message.as_ref().unwrap();
    assert_eq!((message.chat.id, message.message_id), (ChatId(42), 77));
    assert_eq!(message.reply_markup, Some(confirm_keyboard()));
}
