//! The website's side: its backend calling the API through haproxy (retrying what failed in
//! flight, as a client of a replicated service must), its visitors' browser sessions, and its
//! event receiver.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tgauth::UserId;
use tgauth::sandbox::SandboxHandle;
use tgauth::sandbox::control::NewUser;

/// A call that did not get an answer from the service: a connection error, or haproxy's
/// 502/503/504 because no replica answered.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) at: Instant,
    pub(crate) what: String,
}

pub(crate) struct Website {
    base: String,
    api_key: String,
    client: reqwest::Client,
    failures: Mutex<Vec<Failure>>,
    calls: AtomicU64,
}

/// A browser's session cookie (`name=value`).
#[derive(Clone)]
pub(crate) struct Session(String);

impl Website {
    pub(crate) fn new(base: String, api_key: String) -> Self {
        Self {
            base,
            api_key,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            failures: Mutex::default(),
            calls: AtomicU64::new(0),
        }
    }

    /// Waits until haproxy has a replica in rotation.
    pub(crate) async fn wait_ready(&self) {
        let start = Instant::now();
        loop {
            let ready = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|response| response.status() == StatusCode::OK);
            if ready {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "haproxy ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn failures(&self) -> Vec<Failure> {
        std::mem::take(&mut *self.failures.lock().unwrap())
    }

    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Sends until the service answers (not haproxy's 502/503/504, not a broken connection);
    /// each failed try is recorded.
    async fn send(
        &self,
        what: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> (StatusCode, Value) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        for _ in 0..300 {
            let failure = match request().send().await {
                Ok(response)
                    if !matches!(
                        response.status(),
                        StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT
                    ) =>
                {
                    let status = response.status();
                    let body = response.json().await.unwrap_or(Value::Null);
                    return (status, body);
                }
                Ok(response) => {
                    // haproxy's own page ("No server is available") or the replica's JSON error.
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
                    format!(
                        "{what}: {status}: {}",
                        body.chars().take(120).collect::<String>()
                    )
                }
                Err(error) => format!("{what}: {error}"),
            };
            self.failures.lock().unwrap().push(Failure {
                at: Instant::now(),
                what: failure,
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: no answer after 300 tries");
    }

    /// An API call answered with one of `expected`; its body.
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
        expected: &[u16],
    ) -> Value {
        let what = format!("{method} {path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, answer) = self
            .send(&what, || {
                let mut request = self
                    .client
                    .request(method.clone(), format!("{}{path}", self.base))
                    .bearer_auth(&self.api_key);
                if let Some(body) = &body {
                    request = request.json(body);
                }
                if let Some(key) = idempotency_key {
                    request = request.header("idempotency-key", key);
                }
                request
            })
            .await;
        assert!(
            expected.contains(&status.as_u16()),
            "{what}: {status} {answer}"
        );
        answer
    }

    /// `POST /api/v1/links` for `user`: the link.
    pub(crate) async fn issue_link(&self, user: &str) -> Value {
        let link = self
            .call(
                "POST",
                "/api/v1/links",
                Some(json!({"user": user})),
                None,
                &[201],
            )
            .await;
        assert!(link["url"].is_string(), "{link}");
        link
    }

    /// One try of an API call at `base` (a replica, or haproxy): the status and body, or the
    /// connection's error.
    pub(crate) async fn once(
        &self,
        base: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&self.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// A visitor's Login Widget data sent to `base` once: the status and body.
    pub(crate) async fn widget_once(
        &self,
        base: &str,
        sandbox: &SandboxHandle,
        bot: &str,
        visitor: i64,
    ) -> (u16, Value) {
        let data = sandbox.login_widget(bot, visitor).unwrap();
        let response = self
            .client
            .get(format!("{base}/auth/telegram/widget?{}", data.query))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An API call repeated while it answers 409 (what it waits for has not happened yet),
    /// until it answers `expected`.
    pub(crate) async fn call_until(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) {
        let start = Instant::now();
        loop {
            let answer = self
                .call(method, path, body.clone(), None, &[expected, 409])
                .await;
            if answer.get("error").is_none() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{method} {path} still 409 after 120 s: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `count` visitors log in with the Login Widget through haproxy: their sessions.
    pub(crate) async fn log_in(
        &self,
        sandbox: &SandboxHandle,
        bot: &str,
        count: i64,
    ) -> Vec<Session> {
        let mut sessions = Vec::new();
        for visitor in 0..count {
            let id = 900_000 + visitor;
            sandbox
                .create_user(NewUser::new(UserId(id), format!("Visitor {visitor}")))
                .unwrap();
            let data = sandbox.login_widget(bot, id).unwrap();
            let url = format!("{}/auth/telegram/widget?{}", self.base, data.query);
            let response = self.client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let cookie = response.headers()["set-cookie"].to_str().unwrap();
            let cookie = cookie.split(';').next().unwrap().to_owned();
            sessions.push(Session(cookie));
        }
        sessions
    }

    /// The session still says who it is.
    pub(crate) async fn me(&self, session: &Session) {
        let (status, me) = self
            .send("GET /api/v1/me", || {
                self.client
                    .get(format!("{}/api/v1/me", self.base))
                    .header("cookie", &session.0)
            })
            .await;
        assert_eq!(status, StatusCode::OK, "a session was lost: {me}");
    }
}

/// The website's event endpoint: every delivery's id and type, in arrival order.
pub(crate) struct Receiver {
    pub(crate) url: String,
    received: std::sync::Arc<Mutex<Vec<(String, String)>>>,
    _served: tgauth_tests::http::Served,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let received: std::sync::Arc<Mutex<Vec<(String, String)>>> = std::sync::Arc::default();
        let sink = std::sync::Arc::clone(&received);
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let sink = std::sync::Arc::clone(&sink);
                    async move {
                        let id = headers
                            .get("x-tgauth-event-id")
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let kind = serde_json::from_slice::<Value>(&body)
                            .ok()
                            .and_then(|event| event["type"].as_str().map(str::to_owned))
                            .unwrap_or_default();
                        sink.lock().unwrap().push((id, kind));
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let served = tgauth_tests::http::serve(app).await.unwrap();
        Self {
            url: served.url("/events"),
            received,
            _served: served,
        }
    }

    pub(crate) fn events(&self) -> Vec<(String, String)> {
        self.received.lock().unwrap().clone()
    }
}
