//! What every test shares: a sandbox service started for the test, a browser, polling.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tgauth::FixedClock;
use tgauth::sandbox::SandboxHandle;
use tgauth_server::{SandboxService, ServeArgs};
use tokio::sync::oneshot;

pub(crate) const START: i64 = 1_700_000_000;
pub(crate) const ADA: i64 = 1001;
pub(crate) const BOT: &str = "tgauth_sandbox_bot";

/// A running sandbox service and what a test needs to talk to it.
pub(crate) struct Running {
    pub(crate) url: String,
    pub(crate) api_key: String,
    pub(crate) sandbox: SandboxHandle,
    pub(crate) clock: FixedClock,
    /// The database URL it was started on (`None`: SQLite in the data directory).
    pub(crate) database: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<()>,
    data: tempfile::TempDir,
}

/// Runs each named test once on SQLite and once on PostgreSQL (a fresh database per test on
/// the server of `TGAUTH_TEST_POSTGRES_URL`, which `.ci/run` starts; without it the PostgreSQL
/// run says that it skips, unless CI requires the server).
macro_rules! on_every_database {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(super::Running::start().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let name = concat!(module_path!(), "::postgres");
                if let Some(url) = crate::support::postgres_database(name).await {
                    super::$test(super::Running::start_on(Some(url)).await).await;
                }
            }
        }
    )*};
}
pub(crate) use on_every_database;

/// A fresh database for `test` on the test PostgreSQL server, or `None` (skipped).
pub(crate) async fn postgres_database(test: &str) -> Option<String> {
    use sqlx::Connection as _;
    let url = tgauth_tests::service_url("TGAUTH_TEST_POSTGRES_URL", test)?;
    let name: String = format!("{test}_{}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let name = name
        .trim_start_matches('_')
        .chars()
        .rev()
        .take(60)
        .collect::<String>();
    let name: String = format!("t{}", name.chars().rev().collect::<String>());
    let mut connection = sqlx::postgres::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    let (server, _) = url.rsplit_once('/').unwrap();
    Some(format!("{server}/{name}"))
}

impl Running {
    pub(crate) async fn start() -> Self {
        Self::start_on(None).await
    }

    /// A service on `database` (the default SQLite file in the data directory when `None`).
    pub(crate) async fn start_on(database: Option<String>) -> Self {
        Self::start_with(database, "").await
    }

    /// A service on `database` with `settings` as its configuration file.
    pub(crate) async fn start_with(database: Option<String>, settings: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(tgauth::UnixTime(START));
        Self::start_in(data, clock, database, settings).await
    }

    /// The service stopped and started again on the same data directory, database and clock
    /// (the sandbox's state, the bot and the API key carry over), with `settings`.
    pub(crate) async fn restart_with(mut self, settings: &str) -> Self {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), self.served)
            .await
            .unwrap()
            .unwrap();
        self.sandbox.shutdown().await.unwrap();
        Self::start_in(self.data, self.clock, self.database, settings).await
    }

    async fn start_in(
        data: tempfile::TempDir,
        clock: FixedClock,
        database: Option<String>,
        settings: &str,
    ) -> Self {
        let config = data.path().join("tgauth.toml");
        std::fs::write(&config, settings).unwrap();
        let args = ServeArgs {
            config: Some(config),
            data: Some(data.path().to_owned()),
            database: database.clone(),
            sandbox: true,
            ..ServeArgs::default()
        };
        let started = SandboxService::start(args, Arc::new(clock.clone()))
            .await
            .unwrap();
        let url = started.service.url();
        let api_key = started.api_key.clone();
        let SandboxService {
            service, sandbox, ..
        } = started;
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            service
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            url,
            api_key,
            sandbox,
            clock,
            database,
            stop: Some(stop),
            served,
            data,
        }
    }

    /// The service's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The status `GET /api/v1/me` answers `browser`.
    pub(crate) async fn me_status(&self, browser: &reqwest::Client) -> StatusCode {
        browser
            .get(self.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status()
    }

    pub(crate) async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = client()
            .request(method, self.url(path))
            .bearer_auth(&self.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Links website user `user` to Telegram user `telegram` as a person would: the website
    /// issues a link, the person presses Start and confirms in the bot, the website confirms.
    pub(crate) async fn link(&self, user: &str, telegram: i64) {
        let (status, link) = self
            .api(
                reqwest::Method::POST,
                "/api/v1/links",
                Some(json!({"user": user})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{link}");
        let code = link["url"]
            .as_str()
            .unwrap()
            .rsplit('=')
            .next()
            .unwrap()
            .to_owned();
        let before = self.sandbox.sent(BOT).unwrap().len();
        self.sandbox
            .send_message(BOT, telegram, &format!("/start {code}"))
            .unwrap();
        let sandbox = &self.sandbox;
        eventually(|| sandbox.sent(BOT).unwrap().len() > before).await;
        let asked = sandbox.sent(BOT).unwrap().remove(before);
        let keyboard = asked.message.reply_markup.clone().unwrap();
        let confirm = keyboard["inline_keyboard"][0][0]["callback_data"]
            .as_str()
            .unwrap()
            .to_owned();
        let answers = sandbox.callback_answers(BOT).unwrap().len();
        sandbox
            .press_button(BOT, telegram, asked.message.message_id, &confirm)
            .unwrap();
        eventually(|| sandbox.callback_answers(BOT).unwrap().len() > answers).await;
        let path = format!("/api/v1/users/{user}/telegram/confirm");
        let (status, linked) = self.api(reqwest::Method::POST, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{linked}");
    }

    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), self.served)
            .await
            .unwrap()
            .unwrap();
        self.sandbox.shutdown().await.unwrap();
    }
}

/// A browser: cookies kept, redirects not followed, no proxy.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Waits (up to ten seconds) until `check` holds.
pub(crate) async fn eventually<F: FnMut() -> bool>(mut check: F) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the condition did not hold within ten seconds");
}
