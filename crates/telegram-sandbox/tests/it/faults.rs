//! Fault injection: 429 with retry_after, 500, 502, dropped connections and delays.

use reqwest::Method;
use serde_json::json;
use telegram_sandbox::{
    ControlError,
    faults::{FaultKind, FaultSpec},
    tgauth_core::ChatId,
};

use crate::common::{BOT, Fixture, USER, answer, assert_error, guard};

fn fault(method: &str, count: u32, fault: FaultKind) -> FaultSpec {
    FaultSpec {
        bot: Some(BOT.to_owned()),
        method: method.to_owned(),
        count,
        fault,
    }
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_for_the_next_n_calls() {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    fixture
        .sandbox
        .inject_fault(fault(
            "sendMessage",
            2,
            FaultKind::TooManyRequests { retry_after: 7 },
        ))
        .unwrap();
    for _ in 0..2 {
        let (status, body) = fixture
            .call("SENDMESSAGE", json!({"chat_id": USER, "text": "x"}))
            .await;
        assert_eq!(status, 429);
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7}})
        );
    }
    // The faulted calls did nothing; the third call goes through.
    assert!(fixture.sandbox.sent(BOT).unwrap().is_empty());
    let (status, _) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "x"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(fixture.sandbox.sent(BOT).unwrap().len(), 1);
}

#[tokio::test]
async fn faults_are_armed_over_http_and_match_only_their_method() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture
        .control(
            Method::POST,
            "faults",
            Some(json!({"method": "getme", "fault": {"kind": "server_error"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = fixture.call("getWebhookInfo", json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = fixture.call("getMe", json!({})).await;
    assert_error(status, &body, 500, "Internal Server Error");
    let (status, _) = fixture.call("getMe", json!({})).await;
    assert_eq!(status, 200);

    fixture
        .control(
            Method::POST,
            "faults",
            Some(json!({"method": "getMe", "count": 5, "fault": {"kind": "bad_gateway"}})),
        )
        .await;
    let response = guard(fixture.http.get(fixture.url("getMe")).send())
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));
    let (status, _) = fixture.control(Method::DELETE, "faults", None).await;
    assert_eq!(status, 200);
    let (status, _) = fixture.call("getMe", json!({})).await;
    assert_eq!(status, 200);
}

/// Arms `kind` for one sendMessage, sends one, and returns how many messages the bot sent.
async fn send_through(kind: FaultKind) -> usize {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    fixture
        .sandbox
        .inject_fault(fault("sendMessage", 1, kind))
        .unwrap();
    let request = fixture.http.post(fixture.url("sendMessage"));
    let result = guard(request.json(&json!({"chat_id": USER, "text": "x"})).send()).await;
    assert!(result.is_err(), "the connection was answered: {result:?}");
    fixture.sandbox.sent(BOT).unwrap().len()
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_the_call_does_not_happen() {
    assert_eq!(send_through(FaultKind::DropConnection).await, 0);
}

#[tokio::test]
async fn a_connection_dropped_after_processing_hides_a_call_that_happened() {
    assert_eq!(
        send_through(FaultKind::DropConnectionAfterProcessing).await,
        1
    );
}

#[tokio::test]
async fn a_delay_holds_the_call_and_is_then_used_up() {
    let fixture = Fixture::start().await;
    // Ten minutes against a 300 ms client timeout: only a missing delay lets the call answer.
    fixture
        .sandbox
        .inject_fault(fault("getMe", 1, FaultKind::Delay { millis: 600_000 }))
        .unwrap();
    let held = fixture
        .http
        .post(fixture.url("getMe"))
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(
        held.as_ref().is_err_and(reqwest::Error::is_timeout),
        "{held:?}"
    );
    // The fault was taken when the call arrived: the next call goes straight through.
    let (status, _) = fixture.call("getMe", json!({})).await;
    assert_eq!(status, 200);

    fixture
        .sandbox
        .inject_fault(fault("getMe", 1, FaultKind::Delay { millis: 20 }))
        .unwrap();
    let (status, body) = fixture.call("getMe", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn downloads_can_fail_too() {
    let fixture = Fixture::start().await;
    let document = fixture.sandbox.add_file(BOT, &b"data"[..], None).unwrap();
    let (_, file) = fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    fixture
        .sandbox
        .inject_fault(fault("file", 1, FaultKind::ServerError))
        .unwrap();
    let url = format!(
        "{}/{}",
        fixture.sandbox.file_url(crate::common::TOKEN),
        file["result"]["file_path"].as_str().unwrap()
    );
    let (status, _) = answer(guard(fixture.http.get(&url).send()).await.unwrap()).await;
    assert_eq!(status, 500);
    let response = guard(fixture.http.get(&url).send()).await.unwrap();
    assert_eq!(response.bytes().await.unwrap(), &b"data"[..]);
}

#[tokio::test]
async fn unusable_faults_are_refused() {
    let fixture = Fixture::start().await;
    assert!(matches!(
        fixture
            .sandbox
            .inject_fault(fault("getMe", 0, FaultKind::ServerError)),
        Err(ControlError::InvalidFault { .. })
    ));
    let unknown = FaultSpec {
        bot: Some("ghost_bot".to_owned()),
        ..fault("getMe", 1, FaultKind::ServerError)
    };
    assert!(matches!(
        fixture.sandbox.inject_fault(unknown),
        Err(ControlError::UnknownBot { .. })
    ));
    let (status, _) = fixture
        .control(
            Method::POST,
            "faults",
            Some(json!({"method": "getMe", "fault": {"kind": "meteor"}})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_migrated_chat_answers_400_with_migrate_to_chat_id() {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    fixture
        .sandbox
        .inject_fault(fault(
            "sendMessage",
            1,
            FaultKind::Migrated {
                migrate_to_chat_id: ChatId(-1_001_234_567_890),
            },
        ))
        .unwrap();
    let (status, body) = fixture
        .call("sendMessage", json!({"chat_id": USER, "text": "x"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1_001_234_567_890_i64}})
    );
    assert!(fixture.sandbox.sent(BOT).unwrap().is_empty());
    // Armed over HTTP by its JSON name too.
    let (status, body) = fixture
        .control(
            Method::POST,
            "faults",
            Some(json!({"method": "getMe", "fault": {"kind": "migrated", "migrate_to_chat_id": -100}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = fixture.call("getMe", json!({})).await;
    assert_eq!(body["parameters"], json!({"migrate_to_chat_id": -100}));
}
