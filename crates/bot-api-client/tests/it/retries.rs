//! The retry policy against scripted failures: 429 honoured for every call, 5xx and dropped
//! connections only for idempotent calls, connection failures for all; deterministic jitter.

use crate::stub::{Reply, Stub, fast_retries};
use bot_api_client::error::{ApiErrorKind, TransportKind};
use bot_api_client::requests::SendMessage;
use bot_api_client::{Error, Jitter, RetryPolicy};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn get_me_retries_429_then_succeeds() {
    let stub = Stub::start().await;
    stub.script([Reply::retry_after(1), Reply::retry_after(1)]);
    let me = stub.client().me().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("stub_bot"));
    assert_eq!(stub.methods(), ["getMe", "getMe", "getMe"]);
}

#[tokio::test]
async fn send_message_retries_429_without_duplicates() {
    let stub = Stub::start().await;
    stub.script([Reply::retry_after(1)]);
    let sent = stub
        .client()
        .send_message(&SendMessage::new(42, "hello"))
        .await
        .unwrap();
    assert_eq!(sent.text.as_deref(), Some("hello"));
    assert_eq!(stub.methods(), ["sendMessage", "sendMessage"]);
    assert_eq!(stub.fake.lock().unwrap().sent.len(), 1);
}

#[tokio::test]
async fn idempotent_calls_retry_5xx_and_drops() {
    let stub = Stub::start().await;
    stub.script([
        Reply::error(500, "Internal Server Error", None),
        Reply::Drop,
        Reply::error(502, "Bad Gateway", None),
    ]);
    let info = stub.client().webhook_info().await.unwrap();
    assert_eq!(info.url, "");
    assert_eq!(stub.methods(), ["getWebhookInfo"; 4]);
}

#[tokio::test]
async fn send_message_is_not_retried_on_5xx_or_drop() {
    let stub = Stub::start().await;
    stub.script([Reply::error(500, "Internal Server Error", None)]);
    let error = stub
        .client()
        .send_message(&SendMessage::new(42, "once"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::ServerError));
    stub.script([Reply::Drop]);
    let error = stub
        .client()
        .send_message(&SendMessage::new(42, "once"))
        .await
        .unwrap_err();
    assert_eq!(error.transport_kind(), Some(TransportKind::Request));
    assert_eq!(stub.methods(), ["sendMessage", "sendMessage"]);
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let stub = Stub::start().await;
    stub.script(std::iter::repeat_n(Reply::retry_after(1), 10));
    let error = stub.client().me().await.unwrap_err();
    assert_eq!(error.api().unwrap().retry_after, Some(1));
    assert_eq!(stub.methods().len(), 4);
}

#[tokio::test]
async fn errors_that_are_not_transient_are_not_retried() {
    let stub = Stub::start().await;
    stub.script([
        Reply::error(400, "Bad Request: chat not found", None),
        Reply::error(401, "Unauthorized", None),
    ]);
    let client = stub.client();
    assert_eq!(
        client.me().await.unwrap_err().api_kind(),
        Some(ApiErrorKind::BadRequest)
    );
    assert_eq!(
        client.me().await.unwrap_err().api_kind(),
        Some(ApiErrorKind::Unauthorized)
    );
    assert_eq!(stub.methods().len(), 2);
}

fn connect_error() -> Error {
    Error::Transport {
        method: "sendMessage",
        kind: TransportKind::Connect,
        message: "refused".into(),
    }
}

#[test]
fn policy_decisions() {
    let policy = fast_retries();
    let jitter = Jitter::new(Some(1));
    let timeout = Error::Transport {
        method: "x",
        kind: TransportKind::Timeout,
        message: String::new(),
    };
    // A connection that was never established is safe to repeat, even for sendMessage.
    assert!(
        policy
            .delay_for(&connect_error(), false, 0, &jitter)
            .is_some()
    );
    assert!(policy.delay_for(&timeout, false, 0, &jitter).is_none());
    assert!(policy.delay_for(&timeout, true, 0, &jitter).is_some());
    let decode = |status| Error::Decode {
        method: "x",
        status,
        message: String::new(),
        body: String::new(),
    };
    assert!(policy.delay_for(&decode(502), true, 0, &jitter).is_some());
    assert!(policy.delay_for(&decode(200), true, 0, &jitter).is_none());
}

#[test]
fn retry_after_is_capped() {
    let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
    let error = Error::Api {
        method: "sendMessage",
        error: bot_api_client::error::ApiError::new(
            429,
            "Too Many Requests: retry after 35",
            Some(json!({"retry_after": 35})),
        ),
    };
    let jitter = Jitter::new(Some(0));
    let within = |delay: Option<Duration>, wait: Duration| {
        let delay = delay.unwrap();
        assert!(
            delay >= wait && delay <= wait + wait / 10,
            "{delay:?} not in [{wait:?}, +10%]"
        );
        delay
    };
    within(
        policy.delay_for(&error, false, 0, &jitter),
        Duration::from_secs(5),
    );
    let policy = RetryPolicy::default();
    let delays: Vec<Duration> = (0..8)
        .map(|_| {
            within(
                policy.delay_for(&error, false, 0, &jitter),
                Duration::from_secs(35),
            )
        })
        .collect();
    assert!(
        delays.windows(2).any(|pair| pair[0] != pair[1]),
        "429 waits are jittered: {delays:?}"
    );
}

#[test]
fn backoff_is_exponential_jittered_and_reproducible() {
    let policy =
        RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_millis(1000));
    let delays = |seed| {
        let jitter = Jitter::new(Some(seed));
        (0..8)
            .map(|attempt| {
                policy
                    .delay_for(&connect_error(), false, attempt, &jitter)
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    let first = delays(42);
    assert_eq!(first, delays(42), "same seed, same delays");
    assert_ne!(first, delays(43), "another seed, other delays");
    for (attempt, delay) in first.iter().enumerate() {
        let full = Duration::from_millis(100 * (1u64 << attempt)).min(Duration::from_millis(1000));
        assert!(
            *delay >= full / 2 && *delay <= full,
            "attempt {attempt}: {delay:?} not in [{:?}, {full:?}]",
            full / 2
        );
    }
}

#[test]
fn extreme_settings_do_not_overflow() {
    // Durations are added; the largest settings must saturate, not panic.
    let policy = RetryPolicy::default()
        .max_retry_after(Duration::MAX)
        .backoff(Duration::MAX, Duration::MAX);
    let error = Error::Api {
        method: "getMe",
        error: bot_api_client::error::ApiError::new(
            429,
            "Too Many Requests",
            Some(json!({"retry_after": u64::MAX})),
        ),
    };
    let jitter = Jitter::new(Some(3));
    assert!(policy.delay_for(&error, true, 0, &jitter).is_some());
    for attempt in [0, 1, 31, 32, u32::MAX] {
        assert!(
            policy
                .delay_for(&connect_error(), true, attempt, &jitter)
                .is_some()
        );
    }
}
