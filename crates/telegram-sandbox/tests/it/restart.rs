//! A state file keeps bots, users and unconfirmed updates across a sandbox restart.

use serde_json::json;
use telegram_sandbox::{Sandbox, tgauth_core::FixedClock};

use crate::common::{BOT, Fixture, START, USER};

/// A sandbox on `clock` that keeps its state in `path`, with the common bot and user.
async fn start(path: &std::path::Path, clock: &FixedClock) -> Fixture {
    let sandbox = Sandbox::builder()
        .clock(clock.clone())
        .state_file(path)
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    Fixture::with(sandbox, clock.clone()).await
}

#[tokio::test]
async fn unconfirmed_updates_survive_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("sandbox.json");
    let clock = FixedClock::new(START);
    let fixture = start(&path, &clock).await;
    for text in ["/start one", "two", "three"] {
        fixture.user_says(text);
    }
    assert_eq!(fixture.update_ids(json!({"offset": 2})).await, [2, 3]);
    let keyboard = json!({"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]});
    let (status, sent) = fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "hello", "reply_markup": keyboard}),
        )
        .await;
    assert_eq!(status, 200);
    let message_id = sent["result"]["message_id"].as_i64().unwrap();
    let press = fixture
        .sandbox
        .press_button(BOT, USER, message_id, "ok")
        .unwrap();
    let document = fixture.sandbox.add_file(BOT, &b"kept"[..], None).unwrap();
    fixture.sandbox.shutdown().await.unwrap();

    // Creating the same bot and user again is harmless.
    let fixture = start(&path, &clock).await;
    assert_eq!(fixture.update_ids(json!({})).await, [2, 3, 4]);
    assert_eq!(fixture.user_says("five"), 5);
    let sent = fixture.sandbox.sent(BOT).unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message.reply_markup, Some(keyboard));
    // The press made before the restart can still be answered, once.
    let id = press.callback_query.unwrap().id;
    let (status, _) = fixture
        .call("answerCallbackQuery", json!({"callback_query_id": id}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    assert_eq!(status, 200);
    fixture.sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_a_fresh_start() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("sandbox.json");
    std::fs::write(&path, "{ not json").unwrap();
    let error = Sandbox::builder()
        .state_file(&path)
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("is not a sandbox state"),
        "{error}"
    );
}

#[tokio::test]
async fn a_webhook_and_its_pending_updates_survive_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("sandbox.json");
    let clock = FixedClock::new(START);
    let fixture = start(&path, &clock).await;
    // Nothing listens on the discard port: the update stays pending.
    fixture
        .call(
            "setWebhook",
            json!({"url": "http://127.0.0.1:9/hook", "secret_token": "kept"}),
        )
        .await;
    fixture.user_says("waiting");
    fixture.sandbox.shutdown().await.unwrap();

    let fixture = start(&path, &clock).await;
    let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "http://127.0.0.1:9/hook");
    assert_eq!(info["result"]["pending_update_count"], 1);
    let (status, _) = fixture.call("getUpdates", json!({})).await;
    assert_eq!(status, 409);
    fixture.sandbox.shutdown().await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn the_state_file_is_not_written_through_a_planted_symlink() {
    // Whoever can write to the directory plants `<path>.tmp` pointing at a file the sandbox's
    // user may write: saving the state must neither write into that file nor leave the state
    // file a link to it.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("sandbox.json");
    let victim = directory.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, directory.path().join("sandbox.json.tmp")).unwrap();
    let clock = FixedClock::new(START);
    let fixture = start(&path, &clock).await;
    fixture.user_says("/start");
    fixture.sandbox.shutdown().await.unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let metadata = std::fs::symlink_metadata(&path).unwrap();
    assert!(metadata.file_type().is_file(), "{metadata:?}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(saved["bots"].is_object(), "{saved}");
}
