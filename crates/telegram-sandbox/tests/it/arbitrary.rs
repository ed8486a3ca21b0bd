//! Arbitrary requests never break the sandbox: every answer is an envelope, the server lives on.

use proptest::{collection::vec, prelude::*, test_runner::TestRunner};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::common::{BOT, Fixture};

const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "answerCallbackQuery",
    "getChat",
    "getFile",
    "setPassportDataErrors",
    "noSuchMethod",
];
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
];
const CONTROL_PATHS: &[&str] = &[
    "bots",
    "users",
    "faults",
    "bots/sandbox_test_bot/messages",
    "bots/sandbox_test_bot/block",
    "bots/sandbox_test_bot/login_widget",
    "bots/sandbox_test_bot/web_app",
    "bots/sandbox_test_bot/oidc",
    "bots/sandbox_test_bot/passport",
    "bots/sandbox_test_bot/callback_query",
    "bots/ghost/messages",
];

/// Bodies: raw bytes, or JSON objects over the parameter names the methods read.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let key = prop::sample::select(vec![
        "chat_id",
        "text",
        "offset",
        "limit",
        "url",
        "secret_token",
        "file_id",
        "user_id",
        "errors",
        "reply_markup",
        "entities",
        "allowed_updates",
        "parse_mode",
        "drop_pending_updates",
        "max_connections",
        "token",
        "username",
        "id",
        "first_name",
        "method",
        "count",
        "fault",
        "nonce",
        "elements",
        "deny",
        "message_id",
        "callback_query_id",
        "show_alert",
        "data",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(serde_json::json!([{"type": "passport"}])),
        Just(serde_json::json!({"kind": "delay", "millis": 1})),
        Just(Value::Null),
    ];
    prop_oneof![
        vec(any::<u8>(), 0..300),
        prop::collection::btree_map(key, value, 0..6)
            .prop_map(|map| serde_json::to_vec(&map).unwrap()),
    ]
}

fn runner() -> TestRunner {
    TestRunner::new(tgauth_tests::proptest_config(200))
}

async fn envelope(response: reqwest::Response) -> Value {
    let body = response.bytes().await.unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert!(json["ok"].is_boolean(), "{json}");
    json
}

#[test]
fn arbitrary_bot_api_requests_get_an_envelope() {
    let runtime = Runtime::new().unwrap();
    let fixture = runtime.block_on(Fixture::start());
    fixture.user_says("/start");
    let strategy = (
        prop::sample::select(METHODS),
        prop::sample::select(CONTENT_TYPES),
        body(),
        "[a-z0-9=&%_]{0,30}",
    );
    runner()
        .run(&strategy, |(method, content_type, body, query)| {
            runtime.block_on(async {
                let url = format!("{}?{query}", fixture.url(method));
                let request = fixture
                    .http
                    .post(url)
                    .header("content-type", content_type)
                    .body(body);
                // A `timeout` in the query string could hold a long poll for up to 50 s.
                let response =
                    tokio::time::timeout(std::time::Duration::from_secs(60), request.send())
                        .await
                        .unwrap()
                        .unwrap();
                let status = response.status().as_u16();
                let json = envelope(response).await;
                assert!(
                    matches!(status, 200 | 400 | 403 | 404 | 409 | 413),
                    "{status} {json}"
                );
            });
            Ok(())
        })
        .unwrap();
    // Still serving, and the bot still works.
    let (status, _) = runtime.block_on(fixture.call("getMe", serde_json::json!({})));
    assert_eq!(status, 200);
    assert!(fixture.sandbox.sent(BOT).is_ok());
}

#[test]
fn arbitrary_control_requests_get_an_envelope() {
    let runtime = Runtime::new().unwrap();
    let fixture = runtime.block_on(Fixture::start());
    // JSON most of the time, so that the bodies reach the handlers; the other types are
    // refused before them.
    let content_type = prop_oneof![
        3 => Just("application/json"),
        1 => prop::sample::select(CONTENT_TYPES),
    ];
    let strategy = (prop::sample::select(CONTROL_PATHS), content_type, body());
    runner()
        .run(&strategy, |(path, content_type, body)| {
            runtime.block_on(async {
                let url = format!("{}/sandbox/{path}", fixture.sandbox.base_url());
                let request = fixture.http.post(url).header("content-type", content_type);
                let response = request.body(body).send().await.unwrap();
                let status = response.status().as_u16();
                let json = envelope(response).await;
                if content_type == "application/json" {
                    assert!(
                        matches!(status, 200 | 400 | 404 | 409),
                        "{path}: {status} {json}"
                    );
                } else {
                    assert_eq!(status, 415, "{path}: {content_type}: {json}");
                }
            });
            Ok(())
        })
        .unwrap();
    fixture.sandbox.clear_faults();
    let (status, _) = runtime.block_on(fixture.call("getMe", serde_json::json!({})));
    assert_eq!(status, 200);
}
