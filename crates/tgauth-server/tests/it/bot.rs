//! The bot's side under load and in trouble: one link code pressed by fifty chats (polling and
//! webhook deliveries over parallel connections), a user who blocked the bot, `/unlink`.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tgauth::sandbox::control::NewUser;

use super::support::{ADA, BOT, Running, client, eventually, on_every_database};

on_every_database!(
    one_code_pressed_by_fifty_chats_has_one_winner,
    one_code_pressed_by_fifty_chats_over_webhook_deliveries_has_one_winner,
    a_notification_to_a_user_who_blocked_the_bot_ends_blocked,
    unlink_in_the_bot_removes_the_link,
    with_bot_only_confirmation_the_button_links,
);

const CHATS: i64 = 50;
const FIRST_CHAT: i64 = 5000;

async fn fifty_chats(running: Running) {
    for chat in FIRST_CHAT..FIRST_CHAT + CHATS {
        running
            .sandbox
            .create_user(NewUser::new(chat, format!("Chat {chat}")))
            .unwrap();
    }
    let (status, link) = running
        .api(
            Method::POST,
            "/api/v1/links",
            Some(json!({"user": "alice"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = link["url"]
        .as_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    for chat in FIRST_CHAT..FIRST_CHAT + CHATS {
        running
            .sandbox
            .send_message(BOT, chat, &format!("/start {code}"))
            .unwrap();
    }
    let sandbox = &running.sandbox;
    // Every chat hears back once.
    eventually(|| sandbox.sent(BOT).unwrap().len() >= CHATS as usize).await;
    let sent = sandbox.sent(BOT).unwrap();
    let chats: HashSet<i64> = sent.iter().map(|sent| sent.message.chat.id.get()).collect();
    assert_eq!(chats.len(), CHATS as usize, "each chat gets one answer");
    assert_eq!(sent.len(), CHATS as usize, "and only one");
    let asked: Vec<_> = sent
        .iter()
        .filter(|sent| sent.message.reply_markup.is_some())
        .collect();
    assert_eq!(asked.len(), 1, "exactly one chat is asked to confirm");
    let winner = asked[0].message.chat.id.get();

    let keyboard = asked[0].message.reply_markup.clone().unwrap();
    let confirm = keyboard["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    // A loser cannot press the winner's button (Telegram delivers presses of existing buttons
    // only, so the sandbox refuses), and the winner's press is the one that counts.
    sandbox
        .press_button(BOT, winner, asked[0].message.message_id, &confirm)
        .unwrap();
    eventually(|| sandbox.callback_answers(BOT).unwrap().len() == 1).await;
    let (status, body) = running
        .api(Method::POST, "/api/v1/users/alice/telegram/confirm", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["telegram"]["id"], winner);
    running.stop().await;
}

async fn one_code_pressed_by_fifty_chats_has_one_winner(running: Running) {
    fifty_chats(running).await;
}

async fn one_code_pressed_by_fifty_chats_over_webhook_deliveries_has_one_winner(running: Running) {
    let database = running.database.clone();
    running.stop().await;
    let running = Running::start_with(database, "updates = \"webhook\"\n").await;
    // Only the path derived from the webhook secret reaches the endpoint.
    for path in [
        "/telegram/webhook",
        "/telegram/webhook/0123456789abcdef0123456789abcdef",
    ] {
        let response = client()
            .post(running.url(path))
            .header("content-type", "application/json")
            .body(r#"{"update_id": 1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    fifty_chats(running).await;
}

async fn a_notification_to_a_user_who_blocked_the_bot_ends_blocked(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    running.sandbox.set_blocked(BOT, ADA, true).unwrap();
    let (status, queued) = running
        .api(
            Method::POST,
            "/api/v1/notifications",
            Some(json!({"user": "alice", "text": "Are you there?"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let path = format!("/api/v1/notifications/{}", queued["id"].as_str().unwrap());
    let mut notification = Value::Null;
    for _ in 0..200 {
        notification = running.api(Method::GET, &path, None).await.1;
        if notification["status"] != "queued" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(notification["status"], "blocked", "{notification}");
    let (_, user) = running.api(Method::GET, "/api/v1/users/alice", None).await;
    assert_eq!(user["status"], "blocked");
    running.stop().await;
}

async fn unlink_in_the_bot_removes_the_link(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    running.sandbox.send_message(BOT, ADA, "/unlink").unwrap();
    let mut user = Value::Null;
    for _ in 0..200 {
        user = running
            .api(Method::GET, "/api/v1/users/alice", None)
            .await
            .1;
        if user["telegram"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(user["telegram"], Value::Null, "{user}");
    running.stop().await;
}

async fn with_bot_only_confirmation_the_button_links(running: Running) {
    let database = running.database.clone();
    running.stop().await;
    let running = Running::start_with(database, "confirmation = \"bot\"\n").await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let (_, link) = running
        .api(
            Method::POST,
            "/api/v1/links",
            Some(json!({"user": "alice"})),
        )
        .await;
    let code = link["url"]
        .as_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    running
        .sandbox
        .send_message(BOT, ADA, &format!("/start {code}"))
        .unwrap();
    let sandbox = &running.sandbox;
    eventually(|| !sandbox.sent(BOT).unwrap().is_empty()).await;
    let asked = sandbox.sent(BOT).unwrap().remove(0).message;
    let keyboard = asked.reply_markup.clone().unwrap();
    let confirm = keyboard["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox
        .press_button(BOT, ADA, asked.message_id, &confirm)
        .unwrap();
    let mut user = Value::Null;
    for _ in 0..200 {
        user = running
            .api(Method::GET, "/api/v1/users/alice", None)
            .await
            .1;
        if !user["telegram"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(user["telegram"]["id"], ADA, "{user}");
    assert_eq!(user["status"], "active");
    assert_eq!(user["pending"], Value::Null);
    // Nothing waits for the website, which cannot confirm a chat that did not agree.
    let (status, body) = running
        .api(Method::POST, "/api/v1/users/alice/telegram/confirm", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    running.stop().await;
}
