//! What the sandbox serves parses into bot-api-client's types as the kinds it claims to be:
//! a guard against the emulator and the client drifting apart on the wire.

use bot_api_client::types::{
    ChatFullInfo, ChatType, File, InlineKeyboardAction, Message, Update, UpdateKind, User,
    WebhookInfo,
};
use passport_crypto::key::{KeySize, PrivateKey};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use telegram_sandbox::{
    control::NewBot,
    passport::{PassportElementInput, PassportSubmission},
};

use crate::common::{BOT, Fixture, START, USER};

fn parse<T: DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{error}: {value}"))
}

fn message_of(update: &Value) -> Message {
    let update: Update = parse(update);
    match update.kind {
        UpdateKind::Message(message) => *message,
        other => panic!("not parsed as a message: {other:?}"),
    }
}

#[tokio::test]
async fn bot_api_answers_parse_as_the_clients_types() {
    let fixture = Fixture::start().await;
    let (_, me) = fixture.call("getMe", json!({})).await;
    let me: User = parse(&me["result"]);
    assert!(me.is_bot);

    fixture.user_says("/start payload");
    let (_, updates) = fixture.call("getUpdates", json!({})).await;
    let message = message_of(&updates["result"][0]);
    assert_eq!(message.entities.unwrap()[0].kind, "bot_command");

    let (_, sent) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "hi"}))
        .await;
    let sent: Message = parse(&sent["result"]);
    assert_eq!(sent.from.unwrap().id, me.id);

    let document = fixture.sandbox.add_file(BOT, &b"x"[..], None).unwrap();
    let (_, file) = fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    let file: File = parse(&file["result"]);
    assert!(file.file_path.is_some());

    fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/"}))
        .await;
    let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
    let info: WebhookInfo = parse(&info["result"]);
    assert_eq!(info.pending_update_count, 1);
}

#[tokio::test]
async fn passport_updates_parse_with_typed_passport_data() {
    let fixture = Fixture::start().await;
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let bot = NewBot {
        passport_public_key_pem: Some(key.public_key().to_pem()),
        ..NewBot::new("55:AATypedPassportBot_0123456789abcdef", "typed_bot")
    };
    fixture.sandbox.create_bot(bot).unwrap();
    let submission = PassportSubmission {
        user_id: USER,
        nonce: "n".to_owned(),
        elements: vec![PassportElementInput {
            kind: "phone_number".to_owned(),
            phone_number: Some("15550001".to_owned()),
            ..PassportElementInput::default()
        }],
    };
    let update = fixture
        .sandbox
        .submit_passport("typed_bot", submission)
        .unwrap();
    let message = message_of(&serde_json::to_value(update).unwrap());
    let data = message.passport_data.unwrap();
    let opened = passport_crypto::open::open(&key, &data).unwrap();
    assert_eq!(opened.elements[0].phone_number.as_deref(), Some("15550001"));
}

#[tokio::test]
async fn buttons_edits_and_chats_parse_as_the_clients_types() {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    let keyboard = json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]});
    let (_, sent) = fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "Link?", "reply_markup": keyboard}),
        )
        .await;
    let sent: Message = parse(&sent["result"]);
    let markup = sent.reply_markup.clone().unwrap();
    assert_eq!(
        markup.inline_keyboard[0][0].action,
        InlineKeyboardAction::CallbackData("yes".to_owned())
    );

    let update = fixture
        .sandbox
        .press_button(BOT, USER, sent.message_id, "yes")
        .unwrap();
    let update: Update = parse(&serde_json::to_value(update).unwrap());
    let UpdateKind::CallbackQuery(query) = update.kind else {
        panic!("not parsed as a callback query: {update:?}");
    };
    assert_eq!(query.from.id, USER);
    assert_eq!(query.data.as_deref(), Some("yes"));
    assert!(query.chat_instance.is_some());
    assert_eq!(query.message.as_deref(), Some(&sent));
    let (_, answered) = fixture
        .call(
            "answerCallbackQuery",
            json!({"callback_query_id": query.id}),
        )
        .await;
    assert!(parse::<bool>(&answered["result"]));

    fixture.clock.advance(5);
    let (_, edited) = fixture
        .call(
            "editMessageText",
            json!({"chat_id": USER, "message_id": sent.message_id, "text": "Linked."}),
        )
        .await;
    let edited: Message = parse(&edited["result"]);
    assert_eq!(edited.text.as_deref(), Some("Linked."));
    assert_eq!(edited.reply_markup, None);
    assert_eq!(edited.date, START);

    let (_, chat) = fixture.call("getChat", json!({"chat_id": USER})).await;
    let chat: ChatFullInfo = parse(&chat["result"]);
    assert_eq!(chat.id, USER.into());
    assert_eq!(chat.kind, ChatType::Private);
    assert_eq!(
        (chat.first_name.as_deref(), chat.username.as_deref()),
        (Some("Alice"), Some("alice"))
    );
    assert_eq!(chat.active_usernames, Some(vec!["alice".to_owned()]));
}
