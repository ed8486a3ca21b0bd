//! Inline keyboards: presses of existing buttons become callback queries the bot answers once,
//! editMessageText replaces a message and its keyboard, getChat describes a private chat.

use reqwest::Method;
use serde_json::{Value, json};
use telegram_sandbox::{
    ControlError,
    control::{CallbackAnswer, NewBot, NewUser},
    tgauth_core::UserId,
};

use crate::common::{BOT, Fixture, START, TOKEN, USER, assert_error, guard};

const TOO_OLD: &str =
    "Bad Request: query is too old and response timeout expired or query ID is invalid";
const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content \
                            and reply markup are exactly the same as a current content and reply \
                            markup of the message";

fn keyboard() -> Value {
    json!({"inline_keyboard": [
        [{"text": "Yes", "callback_data": "confirm:7"}, {"text": "No", "callback_data": "decline:7"}],
        [{"text": "Site", "url": "https://example.com/"}],
    ]})
}

/// The user starts the bot and the bot asks a question with `keyboard`; returns the message.
async fn ask(fixture: &Fixture) -> Value {
    fixture.user_says("/start code");
    let (status, body) = fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "Link your account?", "reply_markup": keyboard()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["result"].clone()
}

async fn press(fixture: &Fixture, user_id: UserId, message_id: &Value, data: &str) -> (u16, Value) {
    fixture
        .control(
            Method::POST,
            &format!("bots/{BOT}/callback_query"),
            Some(json!({"user_id": user_id, "message_id": message_id, "data": data})),
        )
        .await
}

#[tokio::test]
async fn a_press_queues_a_callback_query_that_the_bot_answers_once() {
    let fixture = Fixture::start().await;
    let message = ask(&fixture).await;
    assert_eq!(message["reply_markup"], keyboard());
    let (_, sent) = fixture
        .control(Method::GET, &format!("bots/{BOT}/sent"), None)
        .await;
    assert_eq!(sent["result"][0]["message"]["reply_markup"], keyboard());

    let (status, body) = press(&fixture, USER, &message["message_id"], "confirm:7").await;
    assert_eq!(status, 200, "{body}");
    let update = &body["result"];
    let query = &update["callback_query"];
    let id = query["id"].as_str().unwrap().to_owned();
    let chat_instance = query["chat_instance"].as_str().unwrap().to_owned();
    assert!(!id.is_empty() && !chat_instance.is_empty(), "{query}");
    assert_eq!(
        update,
        &json!({"update_id": 2, "callback_query": {
            "id": id,
            "from": {"id": USER, "is_bot": false, "first_name": "Alice", "username": "alice"},
            "message": message,
            "chat_instance": chat_instance,
            "data": "confirm:7",
        }})
    );
    // The bot receives it as any update, after the /start it did not confirm yet.
    let (_, updates) = fixture.call("getUpdates", json!({"offset": 2})).await;
    assert_eq!(updates["result"], json!([update]));

    // Another press in the same chat: a new id, the same chat instance.
    let (_, again) = press(&fixture, USER, &message["message_id"], "decline:7").await;
    let again = &again["result"]["callback_query"];
    assert_ne!(again["id"], query["id"]);
    assert_eq!(again["chat_instance"], query["chat_instance"]);

    let (status, body) = fixture
        .call(
            "answerCallbackQuery",
            json!({"callback_query_id": id, "text": "Linked"}),
        )
        .await;
    assert_eq!((status, &body), (200, &json!({"ok": true, "result": true})));
    let (status, body) = fixture
        .call("answerCallbackQuery", json!({"callback_query_id": id}))
        .await;
    assert_error(status, &body, 400, TOO_OLD);
    let (status, body) = fixture
        .call("answerCallbackQuery", json!({"callback_query_id": "12345"}))
        .await;
    assert_error(status, &body, 400, TOO_OLD);
    let (status, body) = fixture
        .call(
            "answerCallbackQuery",
            json!({"callback_query_id": again["id"], "show_alert": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, answers) = fixture
        .control(Method::GET, &format!("bots/{BOT}/callback_answers"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        answers["result"],
        json!([
            {"callback_query_id": id, "user_id": USER, "text": "Linked", "show_alert": false},
            {"callback_query_id": again["id"], "user_id": USER, "show_alert": true},
        ])
    );
    assert_eq!(
        fixture.sandbox.callback_answers(BOT).unwrap()[0],
        CallbackAnswer {
            callback_query_id: id,
            user_id: USER,
            text: Some("Linked".to_owned()),
            show_alert: false,
            url: None,
        }
    );
    let all = fixture.sandbox.callback_answers(BOT).unwrap();
    assert_eq!(fixture.sandbox.callback_answers_since(BOT, 0).unwrap(), all);
    assert_eq!(
        fixture.sandbox.callback_answers_since(BOT, 1).unwrap(),
        all[1..]
    );
    assert!(
        fixture
            .sandbox
            .callback_answers_since(BOT, 9)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn only_the_bot_that_sent_the_button_can_answer_its_press() {
    let fixture = Fixture::start().await;
    let message = ask(&fixture).await;
    let update = fixture
        .sandbox
        .press_button(
            BOT,
            USER,
            message["message_id"].as_i64().unwrap(),
            "confirm:7",
        )
        .unwrap();
    let id = update.callback_query.unwrap().id;
    let other_token = "777000:AAOtherBotOfTheSandbox_0123456789abc";
    fixture
        .sandbox
        .create_bot(NewBot::new(other_token, "other_sandbox_bot"))
        .unwrap();
    let url = format!(
        "{}/answerCallbackQuery",
        fixture.sandbox.bot_api_url(other_token)
    );
    let request = fixture
        .http
        .post(url)
        .json(&json!({"callback_query_id": id}));
    let (status, body) = crate::common::answer(guard(request.send()).await.unwrap()).await;
    assert_error(status, &body, 400, TOO_OLD);
    let (status, _) = fixture
        .call("answerCallbackQuery", json!({"callback_query_id": id}))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_press_is_refused_unless_the_button_exists() {
    let fixture = Fixture::start().await;
    let message = ask(&fixture).await;
    let message_id = message["message_id"].as_i64().unwrap();
    let refused = |error: ControlError| error.to_string();
    let button = |data: &str| {
        refused(
            fixture
                .sandbox
                .press_button(BOT, USER, message_id, data)
                .unwrap_err(),
        )
    };
    let no_button = format!("message {message_id} has no inline button with this callback_data");
    for data in ["confirm:8", "confirm", "Yes", "https://example.com/", ""] {
        assert_eq!(button(data), no_button, "{data:?}");
    }
    // The user's own message, and a message that does not exist.
    for id in [1, 99] {
        let error = fixture
            .sandbox
            .press_button(BOT, USER, id, "confirm:7")
            .unwrap_err();
        assert_eq!(
            error,
            ControlError::UnknownMessage {
                user_id: USER,
                message_id: id
            }
        );
    }
    // Another user cannot press a button of a message sent to someone else; an unknown user is
    // not created by a refused press.
    fixture
        .sandbox
        .create_user(NewUser::new(2002, "Bob"))
        .unwrap();
    for user in [2002, 3003] {
        let (status, body) = press(&fixture, UserId(user), &json!(message_id), "confirm:7").await;
        assert_error(
            status,
            &body,
            400,
            &format!("the bot sent no message {message_id} to the private chat with user {user}"),
        );
    }
    let first_message = fixture.sandbox.send_message(BOT, 3003, "hi").unwrap();
    assert_eq!(
        first_message.message.unwrap().from.unwrap().first_name,
        "User 3003"
    );
    // A user who blocked the bot presses nothing.
    fixture.sandbox.set_blocked(BOT, USER, true).unwrap();
    let (status, body) = press(&fixture, USER, &json!(message_id), "confirm:7").await;
    assert_error(status, &body, 409, "user 1001 blocked the bot");
    fixture.sandbox.set_blocked(BOT, USER, false).unwrap();
    // Once an edit removes the keyboard, its buttons are gone.
    let (status, _) = fixture
        .call(
            "editMessageText",
            json!({"chat_id": USER, "message_id": message_id, "text": "Linked."}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(button("confirm:7"), no_button);
    assert!(fixture.sandbox.callback_answers(BOT).unwrap().is_empty());
}

#[tokio::test]
async fn presses_are_callback_query_updates_for_allowed_updates() {
    let fixture = Fixture::start().await;
    let message = ask(&fixture).await;
    let message_id = message["message_id"].as_i64().unwrap();
    // Only messages: the press is answered with its update but not queued.
    fixture
        .update_ids(json!({"offset": 2, "allowed_updates": ["message"]}))
        .await;
    let skipped = fixture
        .sandbox
        .press_button(BOT, USER, message_id, "confirm:7")
        .unwrap();
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
    fixture
        .update_ids(json!({"allowed_updates": ["callback_query"]}))
        .await;
    let queued = fixture
        .sandbox
        .press_button(BOT, USER, message_id, "confirm:7")
        .unwrap();
    assert_eq!(queued.update_id, skipped.update_id + 1);
    assert_eq!(fixture.update_ids(json!({})).await, [queued.update_id]);
}

#[tokio::test]
async fn edit_message_text_replaces_the_text_and_the_keyboard() {
    let fixture = Fixture::start().await;
    let message = ask(&fixture).await;
    let message_id = message["message_id"].clone();
    fixture.clock.advance(30);
    let edit = |params: Value| fixture.call("editMessageText", params);

    // Without reply_markup the keyboard goes, as on Telegram.
    let (status, body) = edit(
        json!({"chat_id": USER, "message_id": message_id, "text": "Linked to ada@example.com."}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut expected = message.clone();
    expected["edit_date"] = json!(START.plus(30));
    expected["text"] = json!("Linked to ada@example.com.");
    expected.as_object_mut().unwrap().remove("reply_markup");
    assert_eq!(body["result"], expected);
    let (_, sent) = fixture
        .control(Method::GET, &format!("bots/{BOT}/sent"), None)
        .await;
    assert_eq!(sent["result"], json!([{"message": expected}]));

    let (status, body) = edit(
        json!({"chat_id": USER, "message_id": message_id, "text": "Linked to ada@example.com."}),
    )
    .await;
    assert_error(status, &body, 400, NOT_MODIFIED);
    // The same text with a keyboard is a change; the same text and keyboard again is not.
    let with_keyboard = json!({"chat_id": USER, "message_id": message_id,
        "text": "Linked to ada@example.com.", "reply_markup": keyboard()});
    let (status, body) = edit(with_keyboard.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["reply_markup"], keyboard());
    let (status, body) = edit(with_keyboard).await;
    assert_error(status, &body, 400, NOT_MODIFIED);

    let (status, body) = edit(json!({"chat_id": USER, "message_id": 99, "text": "x"})).await;
    assert_error(status, &body, 400, "Bad Request: message to edit not found");
    let (status, body) = edit(json!({"chat_id": USER, "message_id": 1, "text": "x"})).await;
    assert_error(status, &body, 400, "Bad Request: message can't be edited");
    let (status, body) =
        edit(json!({"chat_id": 999_999, "message_id": message_id, "text": "x"})).await;
    assert_error(status, &body, 400, "Bad Request: chat not found");
    let (status, body) =
        edit(json!({"chat_id": USER, "message_id": message_id, "text": " "})).await;
    assert_error(status, &body, 400, "Bad Request: message text is empty");

    fixture.sandbox.set_blocked(BOT, USER, true).unwrap();
    let (status, body) =
        edit(json!({"chat_id": USER, "message_id": message_id, "text": "y"})).await;
    assert_error(status, &body, 403, "Forbidden: bot was blocked by the user");
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "y"}))
        .await;
    assert_error(status, &body, 403, "Forbidden: bot was blocked by the user");
}

#[tokio::test]
async fn get_chat_describes_a_private_chat_in_telegrams_field_order() {
    let fixture = Fixture::start().await;
    fixture
        .sandbox
        .create_user(NewUser {
            last_name: Some("Lovelace".to_owned()),
            username: Some("ada".to_owned()),
            ..NewUser::new(1003, "Ada")
        })
        .unwrap();
    // Nobody is a chat of the bot before they talk to it.
    let (status, body) = fixture.call("getChat", json!({"chat_id": 1003})).await;
    assert_error(status, &body, 400, "Bad Request: chat not found");
    fixture.sandbox.send_message(BOT, 1003, "/start").unwrap();
    let url = format!(
        "{}/getChat?chat_id=1003",
        fixture.sandbox.bot_api_url(TOKEN)
    );
    let text = guard(fixture.http.get(url).send())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        concat!(
            r#"{"ok":true,"result":{"id":1003,"first_name":"Ada","last_name":"Lovelace","#,
            r#""username":"ada","type":"private","active_usernames":["ada"],"#,
            r#""max_reaction_count":11,"accent_color_id":2}}"#
        )
    );
    let (status, body) = fixture.call("getChat", json!({"chat_id": "@ADA"})).await;
    assert_eq!(
        (status, &body["result"]["id"]),
        (200, &json!(1003)),
        "{body}"
    );
    for unknown in [json!(999_999), json!("@nobody"), json!(123_456)] {
        let (status, body) = fixture.call("getChat", json!({"chat_id": unknown})).await;
        assert_error(status, &body, 400, "Bad Request: chat not found");
    }
}
