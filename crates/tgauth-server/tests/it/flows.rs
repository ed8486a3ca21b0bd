//! The flows of the service, each from a fresh sandbox service.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tgauth::sandbox::control::NewUser;

use super::support::{ADA, BOT, Running, START, browser, client, eventually, on_every_database};

on_every_database!(
    widget_login_makes_a_session_once_and_logout_ends_it,
    widget_logins_are_refused_when_tampered_expired_or_redirecting_away,
    the_api_refuses_missing_or_wrong_keys_and_bad_bodies_storing_nothing,
    linking_through_the_bot_and_the_website_then_a_notification,
    health_readiness_and_metrics_answer,
    readiness_asks_the_bot_api_once_in_ten_seconds_and_answers_while_it_hangs,
    a_notification_retried_with_its_idempotency_key_is_queued_once,
);

async fn widget_login_makes_a_session_once_and_logout_ends_it(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let data = running.sandbox.login_widget(BOT, ADA).unwrap();
    let browser = browser();

    // The site's own `next` stays out of the check string and is where the login lands.
    let login = format!(
        "/auth/telegram/widget?{}&next=%2Faccount%3Ftab%3D1",
        data.query
    );
    let response = browser.get(running.url(&login)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/account?tab=1");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "an http public URL cannot have Secure cookies"
    );

    let me: Value = browser
        .get(running.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["telegram_id"], ADA);
    assert_eq!(me["user"]["first_name"], "Ada");
    assert_eq!(me["session"]["method"], "login_widget");
    assert_eq!(me["session"]["created_at"], START);

    // Twenty browsers send the same fresh data at once: exactly one gets in, however the
    // concurrent replay records were grouped into statements.
    let fresh = running.sandbox.login_widget(BOT, ADA + 1).unwrap();
    let fresh_login = format!("/auth/telegram/widget?{}", fresh.query);
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let url = running.url(&fresh_login);
            tokio::spawn(async move { self::browser().get(url).send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == StatusCode::SEE_OTHER)
            .count(),
        1,
        "exactly one of twenty concurrent uses logs in: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::SEE_OTHER || *status == StatusCode::UNAUTHORIZED)
    );

    // The same data again is a replay, even from another browser.
    let replay = self::browser()
        .get(running.url(&login))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["error"]["code"], "login_replayed");

    // Logging out from another site is refused; from this one it works.
    let forged = browser
        .post(running.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
    assert_eq!(running.me_status(&browser).await, StatusCode::OK);
    let logout = browser
        .post(running.url("/logout"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(running.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    running.stop().await;
}

async fn widget_logins_are_refused_when_tampered_expired_or_redirecting_away(running: Running) {
    let data = running.sandbox.login_widget(BOT, ADA).unwrap();
    let check = |query: String, status: StatusCode, code: &'static str| {
        let url = running.url(&format!("/auth/telegram/widget?{query}"));
        async move {
            let response = browser().get(url).send().await.unwrap();
            assert_eq!(response.status(), status);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], code, "{body}");
        }
    };
    for next in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "evil",
    ] {
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        check(
            format!("{}&next={next}", data.query),
            StatusCode::BAD_REQUEST,
            "invalid_next",
        )
        .await;
    }
    check(
        data.query.replace("first_name=", "first_name=Eve"),
        StatusCode::UNAUTHORIZED,
        "invalid_login",
    )
    .await;
    check(String::new(), StatusCode::UNAUTHORIZED, "invalid_login").await;
    // A query string that does not fit the endpoint gets the error object too.
    let response = browser()
        .get(running.url("/auth/telegram/link?token=a&token=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
    running.clock.advance(86_400 + 3_600);
    check(
        data.query.clone(),
        StatusCode::UNAUTHORIZED,
        "login_expired",
    )
    .await;
    running.stop().await;
}

async fn the_api_refuses_missing_or_wrong_keys_and_bad_bodies_storing_nothing(running: Running) {
    let post = |key: Option<&str>, body: &str, content_type: &str| {
        let mut request = client()
            .post(running.url("/api/v1/links"))
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let response = post(None, r#"{"user":"alice"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let wrong = format!("{}x", &running.api_key[..running.api_key.len() - 1]);
    for key in [wrong.as_str(), "tga_nothing.here", "secret"] {
        let response = post(Some(key), r#"{"user":"alice"}"#, "application/json")
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{key}");
    }
    let key = Some(running.api_key.as_str());
    for (body, content_type, status) in [
        ("{", "application/json", StatusCode::BAD_REQUEST),
        (
            r#"{"user":""}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"user":"a\u0007b"}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"usr":"alice"}"#,
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"user":"alice"}"#,
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ] {
        let response = post(key, body, content_type).await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string());
    }
    // Unknown routes and methods answer the error object too.
    for (method, path, status, code) in [
        (
            reqwest::Method::GET,
            "/api/v1/nothing",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/links",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/users/%FF",
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
    ] {
        let (answered, body) = running.api(method, path, None).await;
        assert_eq!(answered, status, "{path}");
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    let (status, user) = running
        .api(reqwest::Method::GET, "/api/v1/users/alice", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        user,
        json!({"user":"alice","telegram":null,"status":null,"pending":null})
    );
    let (status, body) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/notifications",
            Some(json!({"user": "alice", "text": "hello"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_linked");
    running.stop().await;
}

async fn linking_through_the_bot_and_the_website_then_a_notification(running: Running) {
    running
        .sandbox
        .create_user(NewUser {
            username: Some("ada".to_owned()),
            ..NewUser::new(ADA, "Ada")
        })
        .unwrap();
    let (status, link) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/links",
            Some(json!({"user": "alice"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let url = link["url"].as_str().unwrap();
    let code = url
        .strip_prefix("https://t.me/tgauth_sandbox_bot?start=")
        .unwrap();
    assert_eq!(link["expires_at"], START + 600);

    // Before anyone pressed it, the website can confirm nothing.
    let (status, body) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/users/alice/telegram/confirm",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "nothing_pending");

    running
        .sandbox
        .send_message(BOT, ADA, &format!("/start {code}"))
        .unwrap();
    let sandbox = &running.sandbox;
    eventually(|| !sandbox.sent(BOT).unwrap().is_empty()).await;
    let asked = sandbox.sent(BOT).unwrap().remove(0);
    let keyboard = asked.message.reply_markup.clone().unwrap();
    let confirm = keyboard["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox
        .press_button(BOT, ADA, asked.message.message_id, &confirm)
        .unwrap();
    eventually(|| sandbox.callback_answers(BOT).unwrap().len() == 1).await;

    let (_, user) = running
        .api(reqwest::Method::GET, "/api/v1/users/alice", None)
        .await;
    assert_eq!(user["telegram"], Value::Null);
    assert_eq!(
        user["pending"]["telegram"],
        json!({"id": ADA, "first_name": "Ada", "username": "ada"})
    );
    let (status, linked) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/users/alice/telegram/confirm",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    let (_, user) = running
        .api(reqwest::Method::GET, "/api/v1/users/alice", None)
        .await;
    assert_eq!(
        user,
        json!({"user": "alice", "telegram": {"id": ADA, "first_name": "Ada", "username": "ada"},
               "status": "active", "pending": null})
    );

    let (status, queued) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/notifications",
            Some(json!({"user": "alice", "text": "Your order shipped"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = queued["id"].as_str().unwrap().to_owned();
    let mut status_now = String::new();
    for _ in 0..200 {
        let (_, notification) = running
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/notifications/{id}"),
                None,
            )
            .await;
        status_now = notification["status"].as_str().unwrap().to_owned();
        if status_now != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status_now, "sent");
    let texts: Vec<String> = sandbox
        .sent(BOT)
        .unwrap()
        .into_iter()
        .filter_map(|sent| sent.message.text)
        .collect();
    assert_eq!(
        texts
            .iter()
            .filter(|text| *text == "Your order shipped")
            .count(),
        1
    );

    // Unlinking removes the link; a second time there is nothing to remove.
    let (status, _) = running
        .api(
            reqwest::Method::DELETE,
            "/api/v1/users/alice/telegram",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = running
        .api(
            reqwest::Method::DELETE,
            "/api/v1/users/alice/telegram",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    running.stop().await;
}

async fn a_notification_retried_with_its_idempotency_key_is_queued_once(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    let notify = async |key: &str, text: &str| {
        let response = client()
            .post(running.url("/api/v1/notifications"))
            .bearer_auth(&running.api_key)
            .header("idempotency-key", key)
            .json(&json!({"user": "alice", "text": text}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let (status, first) = notify("order-7-shipped", "Your order shipped").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    // The client did not see the answer and sends again: the same notification, not a second.
    let (status, again) = notify("order-7-shipped", "Your order shipped").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["id"], first["id"]);
    // The same key for something else is a mistake, not a retry.
    let (status, body) = notify("order-7-shipped", "Your order was cancelled").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    for key in ["", "with space", &"k".repeat(256), "tab\there"] {
        let response = client()
            .post(running.url("/api/v1/notifications"))
            .bearer_auth(&running.api_key)
            .header("idempotency-key", key)
            .json(&json!({"user": "alice", "text": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{key:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_idempotency_key", "{key:?}");
    }
    let (status, other) = notify("order-8-shipped", "Your order shipped").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{other}");
    assert_ne!(other["id"], first["id"]);

    let sandbox = &running.sandbox;
    let shipped = || {
        sandbox
            .sent(BOT)
            .unwrap()
            .into_iter()
            .filter(|sent| sent.message.text.as_deref() == Some("Your order shipped"))
            .count()
    };
    eventually(|| shipped() == 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(shipped(), 2, "one message per key");
    running.stop().await;
}

async fn readiness_asks_the_bot_api_once_in_ten_seconds_and_answers_while_it_hangs(
    running: Running,
) {
    let readyz = || async {
        let response = client().get(running.url("/readyz")).send().await.unwrap();
        let status = response.status();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, body) = readyz().await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The next `getMe` hangs for a minute. Within ten seconds of the last one nothing asks:
    // the probes answer ready at once.
    let hang: tgauth::sandbox::faults::FaultSpec = serde_json::from_value(json!({
        "bot": BOT, "method": "getMe", "count": 1,
        "fault": {"kind": "delay", "millis": 60_000}
    }))
    .unwrap();
    running.sandbox.inject_fault(hang).unwrap();
    running.clock.advance(9);
    for _ in 0..5 {
        let (status, body) = readyz().await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // Ten seconds on, the probe asks; the hanging `getMe` makes it unavailable after the
    // check's bound instead of holding the probe for the minute.
    running.clock.advance(1);
    let (status, body) = readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["bot"], "unavailable", "{body}");
    assert_eq!(body["database"], "ok", "{body}");

    // A failure is not remembered: the next probe asks again and the fault is spent.
    let (status, body) = readyz().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    running.stop().await;
}

async fn health_readiness_and_metrics_answer(running: Running) {
    let response = client().get(running.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    let ready: Value = client()
        .get(running.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    let metrics = client()
        .get(running.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tgauth_http_requests_total"), "{metrics}");
    assert!(!metrics.contains(&running.api_key));
    running.stop().await;
}
