//! `tgauth serve`: a bad setting is one line and exit 2; `serve --sandbox` prints its four lines,
//! and after a `kill -9` with notifications queued it restarts from its data directory with the
//! same bot and API key and sends each notification exactly once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const HANG: Duration = Duration::from_secs(60);
const BOT: &str = "tgauth_sandbox_bot";

/// One HTTP/1.1 request with `Connection: close`: the status and the body.
fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let address = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(HANG)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// A running `tgauth serve --sandbox`, killed with SIGKILL when dropped (doctor's tests use it
/// too).
pub(crate) struct Serving {
    child: Option<Child>,
    pub(crate) service: String,
    pub(crate) sandbox: String,
    bot: String,
    api_key: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Serving {
    pub(crate) fn start(data: &std::path::Path) -> Self {
        let mut child = crate::tgauth()
            .args(["serve", "--sandbox", "--log-format", "json", "--data"])
            .arg(data)
            .env("TGAUTH_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tgauth runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..4 {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            lines.push(line.trim_end().to_owned());
        }
        let value = |prefix: &str, line: &str| {
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("expected `{prefix}...`, got `{line}`"))
                .to_owned()
        };
        let serving = Self {
            service: value("service: ", &lines[0]),
            sandbox: value("sandbox: ", &lines[1]),
            bot: value("bot: ", &lines[2]),
            api_key: value("api key: ", &lines[3]),
            child: Some(child),
        };
        for url in [&serving.service, &serving.sandbox] {
            assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        }
        assert_eq!(serving.bot, format!("@{BOT}"));
        assert!(serving.api_key.starts_with("tga_"), "{}", serving.api_key);
        serving
    }

    fn api(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let authorization = format!("Bearer {}", self.api_key);
        let (status, body) = request(
            &self.service,
            method,
            path,
            &[("Authorization", &authorization)],
            body,
        );
        (
            status,
            if body.is_empty() {
                Value::Null
            } else {
                json_of(&body)
            },
        )
    }

    fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, answer) = request(&self.sandbox, method, path, &[], &body);
        assert_eq!(status, 200, "{path}: {answer}");
        json_of(&answer)["result"].clone()
    }

    fn sent(&self) -> Vec<Value> {
        self.control("GET", &format!("/sandbox/bots/{BOT}/sent"), &Value::Null)
            .as_array()
            .unwrap()
            .clone()
    }

    fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// Waits up to a minute for `check`.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < HANG,
            "{what} did not happen within a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_missing_setting_is_one_line_naming_it_and_exit_two() {
    let directory = tempfile::tempdir().unwrap();
    let output = crate::tgauth()
        .args(["serve", "--data"])
        .arg(directory.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("tgauth serve: setting `bot_token`: missing"),
        "{stderr}"
    );

    let token = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    let output = crate::tgauth()
        .args(["serve", "--public-url", "ftp://example.com", "--data"])
        .arg(directory.path())
        .env("TGAUTH_BOT_TOKEN", token)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("tgauth serve: setting `public_url`:"),
        "{stderr}"
    );
    assert!(!stderr.contains("AAHdq"), "{stderr}");
}

#[test]
fn after_kill_nine_the_sandbox_service_continues_and_sends_each_notification_once() {
    let data = tempfile::tempdir().unwrap();
    let first = Serving::start(data.path());

    // Ada links her Telegram account to alice.
    first.control(
        "POST",
        "/sandbox/users",
        &json!({"id": 42, "first_name": "Ada"}),
    );
    let (status, link) = first.api("POST", "/api/v1/links", r#"{"user":"alice"}"#);
    assert_eq!(status, 201, "{link}");
    let code = link["url"]
        .as_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    first.control(
        "POST",
        &format!("/sandbox/bots/{BOT}/messages"),
        &json!({"user_id": 42, "text": format!("/start {code}")}),
    );
    eventually("the confirmation question", || !first.sent().is_empty());
    let asked = first.sent()[0]["message"].clone();
    first.control(
        "POST",
        &format!("/sandbox/bots/{BOT}/callback_query"),
        &json!({"user_id": 42, "message_id": asked["message_id"],
                "data": asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"]}),
    );
    eventually("the bot's confirmation", || {
        first.sent()[0]["message"]["reply_markup"].is_null()
    });
    let (status, body) = first.api("POST", "/api/v1/users/alice/telegram/confirm", "");
    assert_eq!(status, 200, "{body}");

    // Telegram fails the next three sends: three notifications wait for their retry.
    first.control(
        "POST",
        "/sandbox/faults",
        &json!({"bot": BOT, "method": "sendMessage", "count": 3, "fault": {"kind": "server_error"}}),
    );
    let mut ids = Vec::new();
    for n in 0..3 {
        let (status, queued) = first.api(
            "POST",
            "/api/v1/notifications",
            &json!({"user": "alice", "text": format!("notice {n}")}).to_string(),
        );
        assert_eq!(status, 202, "{queued}");
        ids.push(queued["id"].as_str().unwrap().to_owned());
    }
    eventually("a failed attempt of each", || {
        ids.iter().all(|id| {
            let (_, notification) = first.api("GET", &format!("/api/v1/notifications/{id}"), "");
            notification["status"] == "queued" && notification["attempts"] == 1
        })
    });
    // The sandbox writes its state a moment after each change.
    std::thread::sleep(Duration::from_millis(500));
    let api_key = first.api_key.clone();
    first.kill();

    let second = Serving::start(data.path());
    assert_eq!(
        second.api_key, api_key,
        "the same API key after the restart"
    );
    let (_, user) = second.api("GET", "/api/v1/users/alice", "");
    assert_eq!(user["telegram"]["id"], 42, "{user}");
    eventually("every notification sent", || {
        ids.iter().all(|id| {
            let (_, notification) = second.api("GET", &format!("/api/v1/notifications/{id}"), "");
            notification["status"] == "sent"
        })
    });
    let texts: Vec<String> = second
        .sent()
        .iter()
        .filter_map(|sent| sent["message"]["text"].as_str().map(str::to_owned))
        .collect();
    for n in 0..3 {
        let notice = format!("notice {n}");
        assert_eq!(
            texts.iter().filter(|text| **text == notice).count(),
            1,
            "{texts:?}"
        );
    }
}
