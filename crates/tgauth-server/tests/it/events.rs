//! Events to the website: signed, delivered until the website answers 2xx (a failed delivery
//! comes again), each with a unique id.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};
use tgauth::sandbox::control::NewUser;

use super::support::{ADA, BOT, Running, on_every_database};

on_every_database!(link_and_unlink_and_a_failed_notification_raise_signed_events);

/// What the website's receiver got: `(event id header, signature header, body)`.
type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A receiver on loopback that refuses its first delivery with 500 and accepts the rest.
async fn receiver() -> (String, Received, tgauth_tests::http::Served) {
    let received: Received = Arc::default();
    let refused_once = Arc::new(Mutex::new(false));
    let sink = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = Arc::clone(&sink);
            let refused_once = Arc::clone(&refused_once);
            async move {
                let mut refused = refused_once.lock().unwrap();
                if !*refused {
                    *refused = true;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                sink.lock().unwrap().push((
                    header("x-tgauth-event-id"),
                    header("x-tgauth-signature"),
                    body.to_vec(),
                ));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let served = tgauth_tests::http::serve(app).await.unwrap();
    (served.url("/events"), received, served)
}

/// Checks `t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under `secret`.
fn signed(secret: &[u8], signature: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    hex::decode(v1).is_ok_and(|tag| ring::hmac::verify(&key, &message, &tag).is_ok())
}

async fn link_and_unlink_and_a_failed_notification_raise_signed_events(running: Running) {
    let database = running.database.clone();
    running.stop().await;
    let (url, received, _served) = receiver().await;
    let running = Running::start_with(database, &format!("events_url = \"{url}\"\n")).await;
    let secret = std::fs::read(running.data_dir().join("events-secret")).unwrap();
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    running.sandbox.set_blocked(BOT, ADA, true).unwrap();
    let (status, _) = running
        .api(
            Method::POST,
            "/api/v1/notifications",
            Some(json!({"user": "alice", "text": "hello"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = running
        .api(Method::DELETE, "/api/v1/users/alice/telegram", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The first delivery was refused; the others arrive, and it comes again after its backoff
    // (ten seconds of the service's clock).
    let arrived = |count: usize| {
        let received = Arc::clone(&received);
        async move {
            for _ in 0..200 {
                if received.lock().unwrap().len() >= count {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("{count} events did not arrive");
        }
    };
    arrived(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        received.lock().unwrap().len(),
        2,
        "the refused one waits for its backoff"
    );
    running.clock.advance(11);
    arrived(3).await;
    let received = received.lock().unwrap().clone();
    let mut kinds = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (id, signature, body) in &received {
        assert!(signed(&secret, signature, body), "{signature}");
        assert!(!signed(b"another secret", signature, body));
        let event: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(&event["id"], id.as_str());
        assert!(ids.insert(id.clone()), "event ids are unique");
        assert_eq!(event["data"]["user"], "alice");
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(
        kinds,
        ["link.confirmed", "link.removed", "notification.failed"],
        "{received:?}"
    );
    running.stop().await;
}
