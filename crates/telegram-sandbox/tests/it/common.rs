//! Shared fixtures: a sandbox with one bot on a manual clock, and a JSON-speaking client.

use std::{future::Future, time::Duration};

use serde_json::{Value, json};
use telegram_sandbox::{
    Sandbox, SandboxHandle,
    control::{NewBot, NewUser},
    tgauth_core::{FixedClock, UnixTime, UserId},
};

pub(crate) const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
pub(crate) const BOT: &str = "sandbox_test_bot";
pub(crate) const USER: UserId = UserId(1001);
pub(crate) const START: UnixTime = UnixTime(1_700_000_000);

/// A started sandbox with one bot and one user who has started the bot.
pub(crate) struct Fixture {
    pub(crate) sandbox: SandboxHandle,
    pub(crate) clock: FixedClock,
    pub(crate) http: reqwest::Client,
}

impl Fixture {
    pub(crate) async fn start() -> Self {
        let clock = FixedClock::new(START);
        let sandbox = Sandbox::builder()
            .clock(clock.clone())
            .webhook_retry(Duration::from_millis(20), Duration::from_millis(200))
            .start(tgauth_tests::any_loopback_port())
            .await
            .unwrap();
        Self::with(sandbox, clock).await
    }

    pub(crate) async fn with(sandbox: SandboxHandle, clock: FixedClock) -> Self {
        sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
        sandbox
            .create_user(NewUser {
                username: Some("alice".to_owned()),
                ..NewUser::new(USER, "Alice")
            })
            .unwrap();
        Self {
            sandbox,
            clock,
            http: tgauth_tests::http::client(),
        }
    }

    pub(crate) fn url(&self, method: &str) -> String {
        format!("{}/{method}", self.sandbox.bot_api_url(TOKEN))
    }

    /// Calls a Bot API method with a JSON body; returns the HTTP status and the answer.
    pub(crate) async fn call(&self, method: &str, params: Value) -> (u16, Value) {
        let response = guard(self.http.post(self.url(method)).json(&params).send())
            .await
            .unwrap();
        answer(response).await
    }

    /// Calls the control API.
    pub(crate) async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/sandbox/{path}", self.sandbox.base_url());
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(guard(request.send()).await.unwrap()).await
    }

    /// Makes the test user send `text` to the bot; returns the update id.
    pub(crate) fn user_says(&self, text: &str) -> i64 {
        self.sandbox
            .send_message(BOT, USER, text)
            .unwrap()
            .update_id
    }

    pub(crate) async fn update_ids(&self, params: Value) -> Vec<i64> {
        let (status, body) = self.call("getUpdates", params).await;
        assert_eq!(status, 200, "{body}");
        ids(&body)
    }
}

pub(crate) fn ids(body: &Value) -> Vec<i64> {
    body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|update| update["update_id"].as_i64().unwrap())
        .collect()
}

pub(crate) async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    (status, body)
}

/// Bounds a wait so that a bug hangs a test for seconds, not forever; not a timing assertion.
pub(crate) async fn guard<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("the sandbox did not answer within 20 s")
}

/// Waits until the bot has `count` long polls held by the sandbox. Polling with the guard's
/// generous deadline, not a fixed sleep: on a loaded machine a request may take long to arrive.
pub(crate) async fn until_polls_wait(fixture: &Fixture, count: usize) {
    guard(async {
        while fixture.sandbox.waiting_polls(BOT).unwrap() != count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Asserts Telegram's error envelope.
pub(crate) fn assert_error(status: u16, body: &Value, code: u16, description: &str) {
    assert_eq!(status, code, "{body}");
    assert_eq!(
        body,
        &json!({"ok": false, "error_code": code, "description": description})
    );
}

/// Sends `request` and decodes its JSON answer, whatever the status.
pub(crate) async fn json_of(request: reqwest::RequestBuilder) -> Value {
    guard(request.send()).await.unwrap().json().await.unwrap()
}
