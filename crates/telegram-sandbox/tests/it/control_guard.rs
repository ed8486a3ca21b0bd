//! The control API answers only loopback hosts and JSON bodies, so that a web page can drive it
//! neither with a form post nor through DNS rebinding; the Bot API keeps Telegram's behaviour.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{BOT, Fixture, TOKEN, USER, answer, guard};

const HOST_RULE: &str = "Forbidden: the control API answers only requests whose Host is \
                         127.0.0.1, [::1] or localhost (with any port)";
const JSON_RULE: &str = "Unsupported Media Type: a control request with a body must be \
                         Content-Type: application/json";

/// Calls the control API with explicit `Host` and `Content-Type` headers.
async fn control(
    fixture: &Fixture,
    method: Method,
    path: &str,
    host: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let url = format!("{}/sandbox/{path}", fixture.sandbox.base_url());
    let mut request = fixture.http.request(method, url).body(body.to_owned());
    if let Some(host) = host {
        request = request.header("host", host);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    answer(guard(request.send()).await.unwrap()).await
}

fn assert_refused(status: u16, body: &Value, code: u16, description: &str) {
    assert_eq!(
        (status, body),
        (
            code,
            &json!({"ok": false, "error_code": code, "description": description})
        )
    );
}

#[tokio::test]
async fn a_control_request_for_another_host_is_refused() {
    let fixture = Fixture::start().await;
    let user = r#"{"id": 5, "first_name": "Mallory"}"#;
    let json = Some("application/json");
    // DNS rebinding: the page's own name, resolved to 127.0.0.1, arrives as the Host.
    for host in [
        "evil.example",
        "evil.example:8081",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "10.0.0.1",
        "[::2]:80",
    ] {
        let (status, body) = control(&fixture, Method::POST, "users", Some(host), json, user).await;
        assert_refused(status, &body, 403, HOST_RULE);
        // Every route, and paths that are none.
        for path in [
            format!("bots/{BOT}/sent"),
            format!("bots/{BOT}"),
            "no/such/path".to_owned(),
        ] {
            let (status, body) = control(&fixture, Method::GET, &path, Some(host), None, "").await;
            assert_refused(status, &body, 403, HOST_RULE);
        }
    }
    // No refused request created the user: the first message creates them on the fly.
    let update = fixture.sandbox.send_message(BOT, 5, "hi").unwrap();
    assert_eq!(update.message.unwrap().from.unwrap().first_name, "User 5");
    let port = fixture.sandbox.local_addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_owned(),
        format!("localhost:{port}"),
        "LOCALHOST".to_owned(),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
    ] {
        let (status, body) =
            control(&fixture, Method::POST, "users", Some(&host), json, user).await;
        assert_eq!(status, 200, "{host}: {body}");
    }
}

#[tokio::test]
async fn a_control_request_with_a_body_must_be_json() {
    let fixture = Fixture::start().await;
    let message = format!(r#"{{"user_id": {USER}, "text": "/start"}}"#);
    let path = format!("bots/{BOT}/messages");
    // What an HTML form can send without a preflight, and no type at all.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        None,
    ] {
        let (status, body) =
            control(&fixture, Method::POST, &path, None, content_type, &message).await;
        assert_refused(status, &body, 415, JSON_RULE);
    }
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
    for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
        let (status, body) = control(
            &fixture,
            Method::POST,
            &path,
            None,
            Some(content_type),
            &message,
        )
        .await;
        assert_eq!(status, 200, "{content_type}: {body}");
    }
    // Requests without a body need no type.
    let (status, _) = control(&fixture, Method::DELETE, "faults", None, None, "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_file_upload_must_be_an_octet_stream() {
    let fixture = Fixture::start().await;
    let path = format!("bots/{BOT}/files?file_name=a.txt");
    for content_type in [Some("text/plain"), Some("application/json"), None] {
        let (status, body) =
            control(&fixture, Method::POST, &path, None, content_type, "hello").await;
        assert_refused(
            status,
            &body,
            415,
            "Unsupported Media Type: a file upload must be Content-Type: application/octet-stream",
        );
    }
    let (status, body) = control(
        &fixture,
        Method::POST,
        &path,
        None,
        Some("application/octet-stream"),
        "hello",
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_bot_api_and_oidc_keep_telegrams_behaviour() {
    let fixture = Fixture::start().await;
    fixture.user_says("/start");
    // Any Host and a form body, as api.telegram.org takes them.
    let url = format!("{}/sendMessage", fixture.sandbox.bot_api_url(TOKEN));
    let request = fixture
        .http
        .post(url)
        .header("host", "api.telegram.org")
        .form(&[("chat_id", USER.to_string()), ("text", "hi".to_owned())]);
    let (status, body) = answer(guard(request.send()).await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        fixture.sandbox.oidc_base_url()
    );
    let request = fixture.http.get(discovery).header("host", "oauth.example");
    let response = guard(request.send()).await.unwrap();
    assert_eq!(response.status(), 200);
}
