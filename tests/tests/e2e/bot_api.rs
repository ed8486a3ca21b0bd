//! The Bot API client against the sandbox over loopback HTTP: every client method, polling that
//! delivers each update once to a succeeding handler and again after a failure or a restart,
//! retries under injected faults without duplicate sends, and webhook delivery with the right
//! and a wrong secret.

use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgauth::BotToken;
use tgauth::bot::error::{ApiErrorKind, TransportKind};
use tgauth::bot::polling::{FileOffsetStore, OffsetStore, Poller, PollingConfig, Updates};
use tgauth::bot::requests::{SendMessage, SetWebhook};
use tgauth::bot::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, LoginUrl, ParseMode, Update,
};
use tgauth::bot::webhook::{SecretToken, WebhookConfig, router};
use tgauth::bot::{Client, RetryPolicy};
use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::faults::{FaultKind, FaultSpec};
use tgauth::sandbox::{Sandbox, SandboxHandle};

const TOKEN: &str = "700000001:AAE2e-sandbox_secret_for_the_client_0";
const BOT: &str = "e2e_bot";
const USER: i64 = 4242;

async fn sandbox() -> SandboxHandle {
    let sandbox = Sandbox::builder()
        .webhook_retry(Duration::from_millis(5), Duration::from_millis(20))
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
    sandbox.create_user(NewUser::new(USER, "Ada")).unwrap();
    sandbox
}

fn retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(4)
        .backoff(Duration::from_millis(1), Duration::from_millis(8))
        .max_retry_after(Duration::from_millis(5))
        .jitter_seed(11)
}

fn client(sandbox: &SandboxHandle) -> Client {
    Client::builder(BotToken::new(TOKEN).unwrap())
        .base_url(sandbox.base_url())
        .retry_policy(retries())
        .build()
        .unwrap()
}

fn polling() -> PollingConfig {
    PollingConfig::default()
        .timeout_seconds(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(8))
        .redelivery_delay(Duration::from_millis(1))
}

fn fault(method: &str, count: u32, fault: FaultKind) -> FaultSpec {
    FaultSpec {
        bot: Some(BOT.into()),
        method: method.into(),
        count,
        fault,
    }
}

fn text_of(update: &Update) -> String {
    update
        .message()
        .and_then(|m| m.text.clone())
        .unwrap_or_default()
}

async fn next(updates: &mut Updates) -> tgauth::bot::polling::Delivery {
    let event = tokio::time::timeout(Duration::from_secs(20), updates.next())
        .await
        .expect("an update within 20 s")
        .expect("the stream goes on")
        .expect("no fatal error");
    match event {
        tgauth::bot::polling::Event::Delivery(delivery) => delivery,
        other => panic!("expected a delivery, got {other:?}"),
    }
}

#[tokio::test]
async fn every_client_method_against_the_sandbox() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let me = client.me().await.unwrap();
    assert_eq!(
        (me.id, me.is_bot, me.username.as_deref()),
        (tgauth::UserId(700000001), true, Some(BOT))
    );

    // getUpdates with explicit offsets: confirmation only with a higher offset.
    let sent = sandbox.send_message(BOT, USER, "/start code_123").unwrap();
    let updates = client.updates(&Default::default()).await.unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].update_id, sent.update_id);
    assert_eq!(text_of(&updates[0]), "/start code_123");
    let entity = &updates[0].message().unwrap().entities.as_ref().unwrap()[0];
    assert_eq!(
        (entity.kind.as_str(), entity.offset, entity.length),
        ("bot_command", 0, 6)
    );
    assert_eq!(
        client.updates(&Default::default()).await.unwrap().len(),
        1,
        "not confirmed yet"
    );
    let request = tgauth::bot::requests::GetUpdates {
        offset: Some(sent.update_id + 1),
        ..Default::default()
    };
    assert!(client.updates(&request).await.unwrap().is_empty());
    assert!(sandbox.pending_updates(BOT).unwrap().is_empty());

    // sendMessage with formatting, link preview options and an inline keyboard with a login button.
    let keyboard = InlineKeyboardMarkup::new(vec![
        vec![InlineKeyboardButton::login_url(
            "Log in",
            LoginUrl::new("https://example.com/tg"),
        )],
        vec![InlineKeyboardButton::url("Site", "https://example.com")],
    ]);
    let message = client
        .send_message(
            &SendMessage::new(USER, "<b>Linked</b>")
                .parse_mode(ParseMode::Html)
                .link_preview_options(LinkPreviewOptions {
                    is_disabled: Some(true),
                    ..Default::default()
                })
                .reply_markup(keyboard),
        )
        .await
        .unwrap();
    assert_eq!(message.chat.id, tgauth::ChatId(USER));
    let recorded = sandbox.sent(BOT).unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(recorded[0].message.message_id, message.message_id);
    assert_eq!(
        recorded[0].message.reply_markup.as_ref().unwrap()["inline_keyboard"][0][0]["login_url"]["url"],
        "https://example.com/tg"
    );

    // getFile and a streamed download.
    let content: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let document = sandbox
        .add_file(BOT, content.clone(), Some("scan.pdf"))
        .unwrap();
    let file = client.file(&document.file_id).await.unwrap();
    assert_eq!(file.file_size, Some(content.len() as u64));
    let mut downloaded = Vec::new();
    assert_eq!(
        client.download_file(&file, &mut downloaded).await.unwrap(),
        content.len() as u64
    );
    assert_eq!(downloaded, content);
    let small = Client::builder(BotToken::new(TOKEN).unwrap())
        .base_url(sandbox.base_url())
        .download_limit(1000)
        .build()
        .unwrap();
    let mut without_size = file.clone();
    without_size.file_size = None;
    let error = small
        .download_file(&without_size, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, tgauth::bot::Error::FileTooLarge { limit: 1000, .. }),
        "{error:?}"
    );

    // Webhook settings round trip.
    let secret = SecretToken::new("e2e-secret").unwrap();
    let hook = SetWebhook::new("http://127.0.0.1:9/hook")
        .secret_token(secret)
        .allowed_updates(vec!["message".into()])
        .max_connections(7)
        .drop_pending_updates(true);
    assert!(client.set_webhook(&hook).await.unwrap());
    let info = client.webhook_info().await.unwrap();
    assert_eq!(info.url, "http://127.0.0.1:9/hook");
    assert_eq!(info.max_connections, Some(7));
    assert_eq!(
        info.allowed_updates.as_deref(),
        Some(&["message".to_owned()][..])
    );
    // While a webhook is set, getUpdates is a conflict.
    let error = client.updates(&Default::default()).await.unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Conflict));
    assert!(client.delete_webhook(true).await.unwrap());
    assert_eq!(client.webhook_info().await.unwrap().url, "");

    // setPassportDataErrors.
    use tgauth::passport::types::element::ElementType;
    use tgauth::passport::types::errors::PassportElementError;
    let errors = [PassportElementError::data(
        ElementType::Passport,
        "document_no",
        "aGFzaA==",
        "unreadable",
    )
    .unwrap()];
    assert!(
        client
            .set_passport_data_errors(tgauth::UserId(USER), &errors)
            .await
            .unwrap()
    );
    let recorded = sandbox.passport_errors(BOT).unwrap();
    assert_eq!(recorded[0].user_id, tgauth::UserId(USER));
    assert_eq!(
        recorded[0].errors[0],
        serde_json::to_value(&errors[0]).unwrap()
    );

    // Errors: bad request, and an unknown token, whose error holds no token.
    let error = client
        .send_message(&SendMessage::new(999_999, "nobody"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::BadRequest), "{error}");
    let stranger_token = "700000002:AAE2e-unknown_token_never_registered0";
    let stranger = Client::builder(BotToken::new(stranger_token).unwrap())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let error = stranger.me().await.unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Unauthorized));
    assert!(
        !format!("{error} {error:?}").contains("unknown_token_never"),
        "{error:?}"
    );

    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_delivers_each_update_once_and_again_after_failure_or_restart() {
    let sandbox = sandbox().await;
    let directory = tempfile::tempdir().unwrap();
    let offset_file = directory.path().join("offset");
    let store = || -> Arc<dyn OffsetStore> { Arc::new(FileOffsetStore::new(&offset_file)) };
    let total = 120;
    let mut expected = Vec::new();
    for i in 0..total {
        expected.push(
            sandbox
                .send_message(BOT, USER, &format!("m{i}"))
                .unwrap()
                .update_id,
        );
    }
    // Handled successfully, and attempts, per update id.
    let mut succeeded: BTreeMap<i64, u32> = BTreeMap::new();
    let mut attempts: BTreeMap<i64, u32> = BTreeMap::new();

    // First run: every 7th update fails on its first attempt; the run stops cleanly after 50
    // successes.
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .offset_store(store())
        .start()
        .unwrap();
    while succeeded.len() < 50 {
        let delivery = next(&mut updates).await;
        let id = delivery.update_id();
        let attempt = attempts.entry(id).or_default();
        *attempt += 1;
        if id % 7 == 0 && *attempt == 1 {
            delivery.nack();
        } else {
            *succeeded.entry(id).or_default() += 1;
            delivery.ack();
        }
    }
    let stopped_at = updates.shutdown().await.unwrap().unwrap();

    // Second run resumes from the persisted offset; it "crashes" while handling one update
    // (no ack, no shutdown).
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .offset_store(store())
        .start()
        .unwrap();
    let crashed_on;
    loop {
        let delivery = next(&mut updates).await;
        let id = delivery.update_id();
        assert!(id >= stopped_at, "{id} was confirmed before the restart");
        *attempts.entry(id).or_default() += 1;
        if succeeded.len() == 80 {
            crashed_on = id;
            drop(delivery);
            break;
        }
        *succeeded.entry(id).or_default() += 1;
        delivery.ack();
    }
    drop(updates);

    // Third run: the update the crash interrupted comes back; everything else arrives.
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .offset_store(store())
        .start()
        .unwrap();
    let mut redelivered_crashed = false;
    while succeeded.len() < total {
        let delivery = next(&mut updates).await;
        let id = delivery.update_id();
        redelivered_crashed |= id == crashed_on;
        *attempts.entry(id).or_default() += 1;
        *succeeded.entry(id).or_default() += 1;
        delivery.ack();
    }
    let last = updates.shutdown().await.unwrap();

    assert!(
        redelivered_crashed,
        "the update being handled at the crash was delivered again"
    );
    assert_eq!(
        succeeded.keys().copied().collect::<Vec<_>>(),
        expected,
        "none lost, none skipped"
    );
    // Once to a succeeding handler, except updates acknowledged after the last getUpdates before
    // the crash, which Telegram had not been told about (at-least-once).
    let repeated: Vec<i64> = succeeded
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        repeated
            .iter()
            .all(|id| *id < crashed_on && *id >= crashed_on - 100),
        "{repeated:?}"
    );
    for id in expected
        .iter()
        .filter(|id| *id % 7 == 0 && **id < stopped_at)
    {
        assert!(attempts[id] >= 2, "failed update {id} was delivered again");
    }
    assert_eq!(last, Some(expected[total - 1] + 1));
    assert!(
        sandbox.pending_updates(BOT).unwrap().is_empty(),
        "shutdown confirmed everything"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_under_injected_faults_without_duplicate_sends() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    // The user starts the bot (a bot cannot open a conversation); the update is confirmed.
    let start = sandbox.send_message(BOT, USER, "/start").unwrap().update_id;
    let confirm = tgauth::bot::requests::GetUpdates {
        offset: Some(start + 1),
        ..Default::default()
    };
    assert!(client.updates(&confirm).await.unwrap().is_empty());

    // Idempotent calls ride out 429, 500, 502 and dropped connections.
    sandbox
        .inject_fault(fault(
            "getMe",
            1,
            FaultKind::TooManyRequests { retry_after: 1 },
        ))
        .unwrap();
    sandbox
        .inject_fault(fault("getMe", 1, FaultKind::ServerError))
        .unwrap();
    sandbox
        .inject_fault(fault("getMe", 1, FaultKind::BadGateway))
        .unwrap();
    sandbox
        .inject_fault(fault("getMe", 1, FaultKind::DropConnection))
        .unwrap();
    assert_eq!(client.me().await.unwrap().id, tgauth::UserId(700000001));

    // sendMessage: 429 is retried (the call was not performed) and sends once.
    sandbox
        .inject_fault(fault(
            "sendMessage",
            2,
            FaultKind::TooManyRequests { retry_after: 1 },
        ))
        .unwrap();
    client
        .send_message(&SendMessage::new(USER, "after 429"))
        .await
        .unwrap();
    // 500 and a dropped connection are not retried: the client cannot know whether the
    // message went out.
    sandbox
        .inject_fault(fault("sendMessage", 1, FaultKind::ServerError))
        .unwrap();
    let error = client
        .send_message(&SendMessage::new(USER, "after 500"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::ServerError));
    sandbox
        .inject_fault(fault(
            "sendMessage",
            1,
            FaultKind::DropConnectionAfterProcessing,
        ))
        .unwrap();
    let error = client
        .send_message(&SendMessage::new(USER, "processed, then dropped"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Request),
        "{error:?}"
    );

    let texts: Vec<String> = sandbox
        .sent(BOT)
        .unwrap()
        .into_iter()
        .filter_map(|s| s.message.text)
        .collect();
    assert_eq!(
        texts,
        ["after 429", "processed, then dropped"],
        "each message exactly once"
    );

    // Polling rides out faults too, and still delivers each update once.
    for i in 0..5 {
        sandbox.send_message(BOT, USER, &format!("p{i}")).unwrap();
    }
    sandbox
        .inject_fault(fault("getUpdates", 6, FaultKind::ServerError))
        .unwrap();
    sandbox
        .inject_fault(fault("getUpdates", 2, FaultKind::DropConnection))
        .unwrap();
    sandbox
        .inject_fault(fault(
            "getUpdates",
            1,
            FaultKind::TooManyRequests { retry_after: 1 },
        ))
        .unwrap();
    let mut updates = Poller::new(client.clone())
        .config(polling())
        .start()
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let delivery = next(&mut updates).await;
        seen.push(text_of(&delivery.update));
        delivery.ack();
    }
    assert_eq!(seen, ["p0", "p1", "p2", "p3", "p4"]);
    updates.shutdown().await.unwrap();
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn webhook_delivery_with_right_and_wrong_secret() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let received: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let failures_left = Arc::new(Mutex::new(1u32));
    let app = {
        let received = Arc::clone(&received);
        let failures_left = Arc::clone(&failures_left);
        router(
            "/telegram",
            WebhookConfig::with_secret(SecretToken::new("right-secret").unwrap()),
            move |update: Update| {
                let received = Arc::clone(&received);
                let failures_left = Arc::clone(&failures_left);
                async move {
                    let text = text_of(&update);
                    if text == "flaky" {
                        let mut left = failures_left.lock().unwrap();
                        if *left > 0 {
                            *left -= 1;
                            return Err("temporary failure");
                        }
                    }
                    received.lock().unwrap().push((update.update_id, text));
                    Ok(())
                }
            },
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/telegram", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A wrong secret: the endpoint refuses, the handler never runs, Telegram keeps the update.
    let wrong = SetWebhook::new(&url).secret_token(SecretToken::new("wrong-secret").unwrap());
    assert!(client.set_webhook(&wrong).await.unwrap());
    let first = sandbox.send_message(BOT, USER, "hello").unwrap().update_id;
    let info = wait_for(|| async {
        let info = client.webhook_info().await.unwrap();
        info.last_error_message.is_some().then_some(info)
    })
    .await;
    assert!(info.pending_update_count >= 1, "{info:?}");
    assert!(received.lock().unwrap().is_empty());

    // The right secret: the pending update arrives, then new ones, and a failed handler gets
    // the update again.
    let right = SetWebhook::new(&url).secret_token(SecretToken::new("right-secret").unwrap());
    assert!(client.set_webhook(&right).await.unwrap());
    let flaky = sandbox.send_message(BOT, USER, "flaky").unwrap().update_id;
    let last = sandbox.send_message(BOT, USER, "bye").unwrap().update_id;
    wait_for(|| async { (received.lock().unwrap().len() >= 3).then_some(()) }).await;
    assert_eq!(
        *received.lock().unwrap(),
        [
            (first, "hello".to_owned()),
            (flaky, "flaky".to_owned()),
            (last, "bye".to_owned())
        ]
    );
    assert_eq!(
        *failures_left.lock().unwrap(),
        0,
        "the handler failed once and was called again"
    );
    assert_eq!(client.webhook_info().await.unwrap().pending_update_count, 0);
    assert!(client.delete_webhook(false).await.unwrap());
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_while_a_webhook_is_set_is_a_fatal_conflict() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    client
        .set_webhook(&SetWebhook::new("http://127.0.0.1:9/hook"))
        .await
        .unwrap();
    let mut updates = Poller::new(client).config(polling()).start().unwrap();
    let error = updates.next().await.unwrap().unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Conflict));
    assert!(updates.next().await.is_none());
    sandbox.shutdown().await.unwrap();
}

/// Polls `check` every few milliseconds until it yields a value (at most 10 s).
async fn wait_for<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn polling_survives_a_sandbox_restart() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("sandbox.json");
    let start = |addr: std::net::SocketAddr| {
        let state = state.clone();
        async move {
            Sandbox::builder()
                .state_file(state)
                .start(addr)
                .await
                .unwrap()
        }
    };
    let sandbox = start("127.0.0.1:0".parse().unwrap()).await;
    let addr = sandbox.local_addr();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
    let mut expected = Vec::new();
    for i in 0..10 {
        expected.push(
            sandbox
                .send_message(BOT, USER, &format!("before {i}"))
                .unwrap()
                .update_id,
        );
    }
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .start()
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let delivery = next(&mut updates).await;
        seen.push(delivery.update_id());
        delivery.ack();
    }
    // The sandbox goes away and comes back on the same address with its saved state.
    sandbox.shutdown().await.unwrap();
    let sandbox = start(addr).await;
    for i in 0..5 {
        expected.push(
            sandbox
                .send_message(BOT, USER, &format!("after {i}"))
                .unwrap()
                .update_id,
        );
    }
    while seen.len() < expected.len() {
        let delivery = next(&mut updates).await;
        seen.push(delivery.update_id());
        delivery.ack();
    }
    assert_eq!(
        seen, expected,
        "each update once, in order, across the restart"
    );
    updates.shutdown().await.unwrap();
    assert!(sandbox.pending_updates(BOT).unwrap().is_empty());
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn no_error_from_the_sandbox_holds_the_token() {
    let sandbox = sandbox().await;
    let builder = || {
        Client::builder(BotToken::new(TOKEN).unwrap())
            .base_url(sandbox.base_url())
            .retry_policy(RetryPolicy::none())
    };
    // Only the delayed call gets a short timeout: a loaded CI machine may take longer than that
    // for an ordinary call, which would then time out instead of failing as expected.
    let client = builder().build().unwrap();
    let impatient = builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let secret = TOKEN.split_once(':').unwrap().1;
    let mut errors = Vec::new();
    for kind in [
        FaultKind::TooManyRequests { retry_after: 3 },
        FaultKind::ServerError,
        FaultKind::BadGateway,
        FaultKind::DropConnection,
        FaultKind::DropConnectionAfterProcessing,
    ] {
        sandbox.inject_fault(fault("getMe", 1, kind)).unwrap();
        errors.push(client.me().await.unwrap_err());
    }
    sandbox
        .inject_fault(fault("getMe", 1, FaultKind::Delay { millis: 2_000 }))
        .unwrap();
    errors.push(impatient.me().await.unwrap_err());
    // A download of a path that does not exist, and one cut by a fault.
    let missing = tgauth::bot::types::File {
        file_id: "x".into(),
        file_unique_id: "x".into(),
        file_size: None,
        file_path: Some("documents/missing.pdf".into()),
    };
    errors.push(
        client
            .download_file(&missing, &mut Vec::new())
            .await
            .unwrap_err(),
    );
    let document = sandbox.add_file(BOT, vec![1u8; 10], Some("a.bin")).unwrap();
    let file = client.file(&document.file_id).await.unwrap();
    sandbox
        .inject_fault(fault("file", 1, FaultKind::DropConnection))
        .unwrap();
    errors.push(
        client
            .download_file(&file, &mut Vec::new())
            .await
            .unwrap_err(),
    );
    // Connection refused once the sandbox is gone.
    sandbox.shutdown().await.unwrap();
    errors.push(client.me().await.unwrap_err());

    let kinds: Vec<String> = errors
        .iter()
        .map(|e| match (e.api_kind(), e.transport_kind()) {
            (Some(kind), _) => format!("{kind:?}"),
            (_, Some(kind)) => format!("{kind:?}"),
            _ => format!("{e:?}")
                .split([' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "RetryAfter",
            "ServerError",
            "Decode",
            "Request",
            "Request",
            "Timeout",
            "NotFound",
            "Request",
            "Connect"
        ]
    );
    for error in &errors {
        let mut text = format!("{error} {error:?}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        assert!(!text.contains(secret), "token in {text}");
    }
}

#[tokio::test]
async fn durable_acks_give_exactly_once_across_a_crash() {
    let sandbox = sandbox().await;
    let directory = tempfile::tempdir().unwrap();
    let offset_file = directory.path().join("offset");
    let store = || -> Arc<dyn OffsetStore> { Arc::new(FileOffsetStore::new(&offset_file)) };
    let expected: Vec<i64> = (0..30)
        .map(|i| {
            sandbox
                .send_message(BOT, USER, &format!("d{i}"))
                .unwrap()
                .update_id
        })
        .collect();
    let mut succeeded = Vec::new();
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .offset_store(store())
        .start()
        .unwrap();
    let crashed_on = loop {
        let delivery = next(&mut updates).await;
        if succeeded.len() == 10 {
            break delivery.update_id(); // the process dies here: no ack, no shutdown
        }
        succeeded.push(delivery.update_id());
        delivery.ack_durably().await.unwrap();
    };
    drop(updates);
    let mut updates = Poller::new(client(&sandbox))
        .config(polling())
        .offset_store(store())
        .start()
        .unwrap();
    let first_after_restart = next(&mut updates).await;
    assert_eq!(
        first_after_restart.update_id(),
        crashed_on,
        "the interrupted update comes back first"
    );
    succeeded.push(first_after_restart.update_id());
    first_after_restart.ack_durably().await.unwrap();
    while succeeded.len() < expected.len() {
        let delivery = next(&mut updates).await;
        succeeded.push(delivery.update_id());
        delivery.ack_durably().await.unwrap();
    }
    assert_eq!(
        succeeded, expected,
        "each update handled exactly once, in order"
    );
    updates.shutdown().await.unwrap();
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn error_classification_against_the_sandbox() {
    let sandbox = sandbox().await;
    let client = Client::builder(BotToken::new(TOKEN).unwrap())
        .base_url(sandbox.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    sandbox.send_message(BOT, USER, "/start").unwrap();

    // A user who blocked the bot: 403.
    sandbox.set_blocked(BOT, USER, true).unwrap();
    let error = client
        .send_message(&SendMessage::new(USER, "hello?"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Forbidden), "{error}");
    sandbox.set_blocked(BOT, USER, false).unwrap();

    // A group upgraded to a supergroup: the new id, and the raw parameters, kept.
    sandbox
        .inject_fault(fault(
            "sendMessage",
            1,
            FaultKind::Migrated {
                migrate_to_chat_id: tgauth::ChatId(-1_001_234_567_890),
            },
        ))
        .unwrap();
    let error = client
        .send_message(&SendMessage::new(USER, "to the group"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Migrated), "{error}");
    let api = error.api().unwrap();
    assert_eq!(
        (api.error_code, api.migrate_to_chat_id),
        (400, Some(tgauth::ChatId(-1_001_234_567_890)))
    );
    assert_eq!(
        api.parameters.as_ref().unwrap()["migrate_to_chat_id"],
        -1_001_234_567_890i64
    );

    // 429 keeps retry_after.
    sandbox
        .inject_fault(fault(
            "sendMessage",
            1,
            FaultKind::TooManyRequests { retry_after: 7 },
        ))
        .unwrap();
    let error = client
        .send_message(&SendMessage::new(USER, "flood"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::RetryAfter));
    assert_eq!(error.api().unwrap().retry_after, Some(7));

    // An unknown method: 404.
    let error = client
        .call::<_, serde_json::Value>(
            "noSuchMethod",
            &serde_json::json!({}),
            tgauth::bot::requests::Idempotency::Idempotent,
        )
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::NotFound), "{error}");

    // None of these sent anything.
    assert!(sandbox.sent(BOT).unwrap().is_empty());
    sandbox.shutdown().await.unwrap();
}
