//! Webhook delivery: order, the secret header, retries on failure, and webhook management.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use serde_json::{Value, json};
use telegram_sandbox::tgauth_core::FixedClock;
use tokio::sync::mpsc;

use crate::common::{BOT, Fixture, START, guard};

/// A webhook endpoint on loopback that fails its first `failures` deliveries with 500.
struct Receiver {
    url: String,
    deliveries: mpsc::UnboundedReceiver<(Option<String>, Value)>,
    attempts: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Endpoint {
    sender: mpsc::UnboundedSender<(Option<String>, Value)>,
    attempts: Arc<AtomicUsize>,
    failures: usize,
}

async fn hook(State(endpoint): State<Endpoint>, headers: HeaderMap, body: String) -> StatusCode {
    let attempt = endpoint.attempts.fetch_add(1, Ordering::SeqCst);
    if attempt < endpoint.failures {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|value| value.to_str().unwrap().to_owned());
    endpoint
        .sender
        .send((secret, serde_json::from_str(&body).unwrap()))
        .unwrap();
    StatusCode::OK
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let (sender, deliveries) = mpsc::unbounded_channel();
        let attempts = Arc::new(AtomicUsize::new(0));
        let endpoint = Endpoint {
            sender,
            attempts: Arc::clone(&attempts),
            failures,
        };
        let router = Router::new()
            .route("/hook", post(hook))
            .with_state(endpoint);
        let listener = tokio::net::TcpListener::bind(tgauth_tests::any_loopback_port())
            .await
            .unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            deliveries,
            attempts,
        }
    }

    async fn next(&mut self) -> (Option<String>, Value) {
        guard(self.deliveries.recv()).await.unwrap()
    }
}

#[tokio::test]
async fn updates_are_posted_in_order_with_the_secret_header() {
    let fixture = Fixture::start().await;
    let mut receiver = Receiver::start(0).await;
    let (status, body) = fixture
        .call(
            "setWebhook",
            json!({"url": receiver.url, "secret_token": "s3cr3t_-X"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"ok": true, "result": true, "description": "Webhook was set"})
    );
    let ids: Vec<i64> = (0..5)
        .map(|i| fixture.user_says(&format!("m{i}")))
        .collect();
    for id in ids {
        let (secret, update) = receiver.next().await;
        assert_eq!(secret.as_deref(), Some("s3cr3t_-X"));
        assert_eq!(update["update_id"], id);
    }
}

#[tokio::test]
async fn without_a_secret_no_header_is_sent() {
    let fixture = Fixture::start().await;
    let mut receiver = Receiver::start(0).await;
    fixture
        .call("setWebhook", json!({"url": receiver.url}))
        .await;
    fixture.user_says("hi");
    let (secret, update) = receiver.next().await;
    assert_eq!(secret, None);
    assert_eq!(update["message"]["text"], "hi");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_reported_by_get_webhook_info() {
    let fixture = Fixture::start().await;
    let mut receiver = Receiver::start(3).await;
    fixture
        .call("setWebhook", json!({"url": receiver.url}))
        .await;
    let first = fixture.user_says("first");
    let second = fixture.user_says("second");
    // Both arrive, in order, after the endpoint stops failing.
    assert_eq!(receiver.next().await.1["update_id"], first);
    assert_eq!(receiver.next().await.1["update_id"], second);
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 5);
    let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
    assert_eq!(
        info["result"],
        json!({
            "url": receiver.url, "has_custom_certificate": false,
            "pending_update_count": 0, "max_connections": 40,
            "last_error_date": START,
            "last_error_message": "Wrong response from the webhook: 500 Internal Server Error",
        })
    );
}

#[tokio::test]
async fn an_unreachable_webhook_keeps_the_update_pending() {
    let fixture = Fixture::start().await;
    // Bind and close a port so that nothing listens there.
    let closed = tokio::net::TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    fixture
        .call(
            "setWebhook",
            json!({"url": format!("http://{closed}/hook")}),
        )
        .await;
    fixture.user_says("lost?");
    let info = guard(async {
        loop {
            let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
            if info["result"]["last_error_message"].is_string() {
                return info;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(info["result"]["last_error_message"], "Connection refused");
    assert_eq!(info["result"]["pending_update_count"], 1);
    // Switching back to polling finds the update still there.
    let (_, deleted) = fixture.call("deleteWebhook", json!({})).await;
    assert_eq!(deleted["description"], "Webhook was deleted");
    assert_eq!(fixture.update_ids(json!({})).await, [1]);
}

#[tokio::test]
async fn webhook_management_follows_the_bot_api() {
    let fixture = Fixture::start().await;
    let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
    assert_eq!(
        info["result"],
        json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})
    );
    let (_, deleted) = fixture.call("deleteWebhook", json!({})).await;
    assert_eq!(deleted["description"], "Webhook is already deleted");
    let (status, body) = fixture
        .call("setWebhook", json!({"url": "ftp://example.com"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = fixture
        .call(
            "setWebhook",
            json!({"url": "http://127.0.0.1:9/", "secret_token": "no spaces"}),
        )
        .await;
    assert_eq!(
        body["description"],
        "Bad Request: secret token contains unallowed characters"
    );
    assert_eq!(status, 400);
    fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/"}))
        .await;
    let (_, again) = fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/"}))
        .await;
    assert_eq!(again["description"], "Webhook is already set");
    fixture.user_says("pending");
    let (_, deleted) = fixture
        .call("deleteWebhook", json!({"drop_pending_updates": true}))
        .await;
    assert_eq!(deleted["result"], true);
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
    // An empty URL removes the webhook too.
    fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/"}))
        .await;
    let (_, removed) = fixture.call("setWebhook", json!({"url": ""})).await;
    assert_eq!(removed["description"], "Webhook was deleted");
}

#[tokio::test]
async fn parallel_delivery_delivers_every_update_once_acknowledged() {
    let clock = FixedClock::new(START);
    let sandbox = telegram_sandbox::Sandbox::builder()
        .clock(clock.clone())
        .parallel_webhooks(true)
        .webhook_retry(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(50),
        )
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let fixture = Fixture::with(sandbox, clock).await;
    let mut receiver = Receiver::start(3).await;
    fixture
        .call(
            "setWebhook",
            json!({"url": receiver.url, "max_connections": 8}),
        )
        .await;
    let sent: std::collections::BTreeSet<i64> = (0..50)
        .map(|i| fixture.user_says(&format!("m{i}")))
        .collect();
    let mut received = std::collections::BTreeSet::new();
    for _ in 0..50 {
        received.insert(receiver.next().await.1["update_id"].as_i64().unwrap());
    }
    assert_eq!(received, sent);
    // The three failed attempts were retried, not lost and not duplicated.
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 53);
    // The queue empties once the sandbox has read the last answers.
    guard(async {
        while !fixture.sandbox.pending_updates(BOT).unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 53);
}

#[tokio::test]
async fn a_retry_never_goes_to_a_webhook_that_was_replaced() {
    let clock = FixedClock::new(START);
    // A long backoff, so that the webhook is surely replaced while the retry waits.
    let backoff = std::time::Duration::from_secs(1);
    let sandbox = telegram_sandbox::Sandbox::builder()
        .clock(clock.clone())
        .webhook_retry(backoff, backoff)
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let fixture = Fixture::with(sandbox, clock).await;
    let old = Receiver::start(usize::MAX).await;
    let mut new = Receiver::start(0).await;
    fixture.call("setWebhook", json!({"url": old.url})).await;
    let id = fixture.user_says("moving");
    // The failure is recorded just before the retry wait starts.
    guard(async {
        loop {
            let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
            if info["result"]["last_error_message"].is_string() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    fixture.call("setWebhook", json!({"url": new.url})).await;
    assert_eq!(new.next().await.1["update_id"], id);
    // Past the old retry's due time, the old endpoint saw only the first attempt.
    tokio::time::sleep(backoff + std::time::Duration::from_millis(500)).await;
    assert_eq!(old.attempts.load(Ordering::SeqCst), 1);
}
