//! The control API and the chat rules of sendMessage.

use reqwest::Method;
use serde_json::json;
use telegram_sandbox::{ControlError, tgauth_core::UserId};

use crate::common::{BOT, Fixture, START, USER, assert_error};

#[tokio::test]
async fn start_with_a_payload_carries_a_bot_command_entity() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture
        .control(
            Method::POST,
            &format!("bots/{BOT}/messages"),
            Some(json!({"user_id": USER, "text": "/start AbC-12_z"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({"update_id": 1, "message": {
            "message_id": 1,
            "from": {"id": USER, "is_bot": false, "first_name": "Alice", "username": "alice"},
            "date": START,
            "chat": {"id": USER, "type": "private", "first_name": "Alice", "username": "alice"},
            "text": "/start AbC-12_z",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }})
    );
    let (_, updates) = fixture.call("getUpdates", json!({})).await;
    assert_eq!(updates["result"][0], body["result"]);
}

#[tokio::test]
async fn plain_text_has_no_entities_and_command_with_bot_name_counts_it() {
    let fixture = Fixture::start().await;
    let plain = fixture
        .sandbox
        .send_message(BOT, USER, "hello /start")
        .unwrap();
    assert_eq!(plain.message.unwrap().entities, None);
    let named = fixture
        .sandbox
        .send_message(BOT, USER, &format!("/start@{BOT} x"))
        .unwrap();
    let entities = named.message.unwrap().entities.unwrap();
    assert_eq!(entities[0].length, i64::try_from(7 + BOT.len()).unwrap());
}

#[tokio::test]
async fn a_user_who_was_never_created_is_created_on_the_fly() {
    let fixture = Fixture::start().await;
    let update = fixture.sandbox.send_message(BOT, 777, "hi").unwrap();
    let from = update.message.unwrap().from.unwrap();
    assert_eq!(
        (from.id, from.first_name.as_str()),
        (UserId(777), "User 777")
    );
    let (status, _) = fixture
        .call("sendMessage", json!({"chat_id": 777, "text": "back"}))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn users_are_created_and_updated_over_http() {
    let fixture = Fixture::start().await;
    let user = json!({"id": 5, "first_name": "Bob", "last_name": "B", "language_code": "en"});
    let (status, body) = fixture
        .control(Method::POST, "users", Some(user.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({"id": 5, "is_bot": false, "first_name": "Bob", "last_name": "B", "language_code": "en"})
    );
    let (status, body) = fixture
        .control(
            Method::POST,
            "users",
            Some(json!({"id": 0, "first_name": "Zero"})),
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        "invalid user id 0: user ids are positive",
    );
}

#[tokio::test]
async fn bots_are_created_over_http_and_clashes_are_refused() {
    let fixture = Fixture::start().await;
    let bot = json!({"token": "42:AAOtherBot_0123456789abcdefghijklmn", "username": "other_bot"});
    let (status, body) = fixture
        .control(Method::POST, "bots", Some(bot.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["id"], 42);
    // Creating the same bot again is a no-op; a different token for the same id is a clash.
    let (status, _) = fixture.control(Method::POST, "bots", Some(bot)).await;
    assert_eq!(status, 200);
    let clash = json!({"token": "42:AAAnotherBot_0123456789abcdefghijkl", "username": "other_bot"});
    let (status, body) = fixture.control(Method::POST, "bots", Some(clash)).await;
    assert_error(status, &body, 409, "bot 42 already exists");
    let bad = json!({"token": "not-a-token", "username": "x_bot"});
    let (status, _) = fixture.control(Method::POST, "bots", Some(bad)).await;
    assert_eq!(status, 400);
    let (status, body) = fixture
        .control(Method::GET, "bots/nobody_bot/sent", None)
        .await;
    assert_error(status, &body, 404, "no bot with username \"nobody_bot\"");
}

#[tokio::test]
async fn a_bot_is_described_with_its_user_and_passport_key() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture
        .control(Method::GET, &format!("bots/@{}", BOT.to_uppercase()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({"user": {"id": 123456, "is_bot": true, "first_name": BOT, "username": BOT},
            "passport_public_key_pem": null})
    );
    let pem = passport_crypto::key::PrivateKey::generate(passport_crypto::key::KeySize::Rsa2048)
        .unwrap()
        .public_key()
        .to_pem();
    let bot = json!({"token": "43:AAKeyBot_0123456789abcdefghijklmnop", "username": "key_bot",
        "passport_public_key_pem": pem});
    let (status, _) = fixture.control(Method::POST, "bots", Some(bot)).await;
    assert_eq!(status, 200);
    let (_, body) = fixture.control(Method::GET, "bots/key_bot", None).await;
    assert_eq!(body["result"]["passport_public_key_pem"], pem.as_str());
    assert_eq!(
        fixture
            .sandbox
            .bot("key_bot")
            .unwrap()
            .passport_public_key_pem,
        Some(pem)
    );
    let (status, body) = fixture.control(Method::GET, "bots/nobody_bot", None).await;
    assert_error(status, &body, 404, "no bot with username \"nobody_bot\"");
}

#[tokio::test]
async fn send_message_follows_the_chat_rules() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": 999_999, "text": "x"}))
        .await;
    assert_error(status, &body, 400, "Bad Request: chat not found");
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "x"}))
        .await;
    assert_error(
        status,
        &body,
        403,
        "Forbidden: bot can't initiate conversation with a user",
    );
    fixture.user_says("/start");
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": ""}))
        .await;
    assert_error(status, &body, 400, "Bad Request: message text is empty");
    let long = "x".repeat(4097);
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": long}))
        .await;
    assert_error(status, &body, 400, "Bad Request: message is too long");
    let (status, body) = fixture.call("sendMessage", json!({"text": "x"})).await;
    assert_error(status, &body, 400, "Bad Request: chat_id is empty");
    let (status, body) = fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "x", "parse_mode": "BBCode"}),
        )
        .await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: unsupported parse_mode \"BBCode\"",
    );
    let max = "é".repeat(4096);
    let (status, _) = fixture
        .call("sendMessage", json!({"chat_id": "@alice", "text": max}))
        .await;
    assert_eq!(status, 200);

    fixture.sandbox.set_blocked(BOT, USER, true).unwrap();
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "x"}))
        .await;
    assert_error(status, &body, 403, "Forbidden: bot was blocked by the user");
    assert_eq!(
        fixture.sandbox.send_message(BOT, USER, "hi"),
        Err(ControlError::Blocked { user_id: USER })
    );
}

#[tokio::test]
async fn sent_messages_are_returned_and_listed() {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    let (status, body) = fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "<b>Linked</b>", "parse_mode": "HTML"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({
            // The user's /start was message 1 of this private chat.
            "message_id": 2,
            "from": {"id": 123456, "is_bot": true, "first_name": BOT, "username": BOT},
            "date": START,
            "chat": {"id": USER, "type": "private", "first_name": "Alice", "username": "alice"},
            "text": "<b>Linked</b>",
        })
    );
    let (status, sent) = fixture
        .control(Method::GET, &format!("bots/{BOT}/sent"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sent["result"],
        json!([{"message": body["result"], "parse_mode": "HTML"}])
    );

    // In process: all of them, those after the first, none past the end.
    let (status, _) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "second"}))
        .await;
    assert_eq!(status, 200);
    let all = fixture.sandbox.sent(BOT).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(fixture.sandbox.sent_since(BOT, 0).unwrap(), all);
    let after_first = fixture.sandbox.sent_since(BOT, 1).unwrap();
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].message.text.as_deref(), Some("second"));
    assert!(fixture.sandbox.sent_since(BOT, 2).unwrap().is_empty());
    assert!(fixture.sandbox.sent_since(BOT, 7).unwrap().is_empty());
    assert!(fixture.sandbox.sent_since("nobody_bot", 0).is_err());
}

#[tokio::test]
async fn passport_errors_are_recorded() {
    let fixture = Fixture::start().await;
    let errors = json!([{"source": "data", "type": "passport", "field_name": "document_no",
        "data_hash": "aGFzaA==", "message": "Number is wrong"}]);
    let (status, body) = fixture
        .call(
            "setPassportDataErrors",
            json!({"user_id": USER, "errors": errors}),
        )
        .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let (status, body) = fixture
        .call(
            "setPassportDataErrors",
            json!({"user_id": USER, "errors": [{"source": "data"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // A type the Bot API does not allow for the source is refused, as passport-types defines it.
    let selfie_of_email =
        json!([{"source": "selfie", "type": "email", "file_hash": "aA==", "message": "x"}]);
    let (status, body) = fixture
        .call(
            "setPassportDataErrors",
            json!({"user_id": USER, "errors": selfie_of_email}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: can't parse PassportElementError"),
        "{body}"
    );
    let (_, listed) = fixture
        .control(Method::GET, &format!("bots/{BOT}/passport_errors"), None)
        .await;
    assert_eq!(
        listed["result"],
        json!([{"user_id": USER, "errors": errors}])
    );
}
