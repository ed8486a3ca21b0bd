//! Secrets and personal data never leak: every flow of `tgauth serve --sandbox` is run with
//! known canary values, and then every log line (at trace level), every response that is not
//! meant to carry a secret (headers and bodies, error pages included), the metrics, and the
//! database and data directory (for Passport plaintext) are searched for them: zero
//! occurrences.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BOT: &str = "tgauth_sandbox_bot";
const PERSON: i64 = 4_242;
/// The Passport's document number and first name: personal data that must stay sealed.
const DOCUMENT_NO: &str = "CANARYDOC7731";
const PASSPORT_NAME: &str = "Canarinaname";
const CLIENT_SECRET: &str = "canary-client-secret-5f1d2c9e8b7a";
const REDIRECT: &str = "https://app.example/cb";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One answer, kept for the scan.
struct Seen {
    what: String,
    text: String,
    /// Answers meant to carry a secret (a link's URL, tokens, the Passport read) are not
    /// scanned for it.
    carries: bool,
}

struct Session {
    http: reqwest::Client,
    seen: Vec<Seen>,
}

impl Session {
    async fn send(
        &mut self,
        what: &str,
        carries: bool,
        request: reqwest::RequestBuilder,
    ) -> (u16, String, String) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let mut headers = String::new();
        for (name, value) in response.headers() {
            headers.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
        }
        let body = response.text().await.unwrap();
        self.seen.push(Seen {
            what: format!("{what} ({status})"),
            text: format!("{headers}\n{body}"),
            carries,
        });
        (status, headers, body)
    }
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

fn parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// Every byte under `directory`, file by file.
fn files_under(directory: &std::path::Path, found: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_passport_content_reaches_logs_answers_metrics_or_disk() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("tgauth.toml");
    let client_hash = tgauth_server::provider::secret_hash(CLIENT_SECRET);
    std::fs::write(
        &config,
        format!(
            "[[oidc.clients]]\nid = \"canary-app\"\ntrusted = true\nsecret_hash = \"{client_hash}\"\n\
             redirect_uris = [\"{REDIRECT}\"]\n"
        ),
    )
    .unwrap();
    let log_path = data.path().join("log.jsonl");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tgauth"))
        .args(["serve", "--sandbox", "--log-format", "json", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data.path())
        .env("TGAUTH_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("tgauth runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut banner = Vec::new();
    for _ in 0..6 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        banner.push(line.trim_end().to_owned());
    }
    let value = |prefix: &str, line: &str| line.strip_prefix(prefix).unwrap().to_owned();
    let service = value("service: ", &banner[0]);
    let sandbox = value("sandbox: ", &banner[1]);
    let api_key = value("api key: ", &banner[3]);

    let mut canaries: Vec<(&str, String)> = Vec::new();
    let read = |name: &str| {
        std::fs::read_to_string(data.path().join(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    let token = read("bot-token");
    canaries.push((
        "bot token secret",
        token.split_once(':').unwrap().1.to_owned(),
    ));
    canaries.push((
        "API key secret",
        api_key.split_once('.').unwrap().1.to_owned(),
    ));
    for name in ["cookie.key", "data.key", "webhook-secret", "events-secret"] {
        canaries.push((name, read(name)));
    }
    canaries.push(("OIDC client secret", CLIENT_SECRET.to_owned()));

    let mut session = Session {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap(),
        seen: Vec::new(),
    };
    let control = |path: &str| format!("{sandbox}/sandbox/bots/{BOT}{path}");
    let bearer = format!("Bearer {api_key}");

    // A person, and a login by the widget: the session id is a canary.
    let http = session.http.clone();
    http.post(format!("{sandbox}/sandbox/users"))
        .json(&json!({"id": PERSON, "first_name": "Ada"}))
        .send()
        .await
        .unwrap();
    let widget: Value = http
        .post(control("/login_widget"))
        .json(&json!({"user_id": PERSON}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let query = widget["result"]["query"].as_str().unwrap().to_owned();
    let login = format!("{service}/auth/telegram/widget?{query}&next=%2Faccount");
    let (status, headers, _) = session.send("widget login", true, http.get(&login)).await;
    assert_eq!(status, 303);
    let cookie = header(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    canaries.push(("session id", cookie.split_once('=').unwrap().1.to_owned()));
    // The same login again is refused, and says nothing secret.
    session
        .send(
            "replayed login",
            false,
            http.get(&login).header("accept", "text/html"),
        )
        .await;
    for page in ["/account", "/passport", "/api/v1/me", "/login"] {
        session
            .send(
                page,
                false,
                http.get(format!("{service}{page}"))
                    .header("cookie", &cookie),
            )
            .await;
    }

    // Linking: the link code is a canary, carried only by the API's answer and the bot's
    // message (which the sandbox holds, not the service's logs).
    let (_, _, body) = session
        .send(
            "create link",
            true,
            http.post(format!("{service}/api/v1/links"))
                .header("authorization", &bearer)
                .json(&json!({"user": "canary-user"})),
        )
        .await;
    let url = json_of(&body)["url"].as_str().unwrap().to_owned();
    let code = url.rsplit('=').next().unwrap().to_owned();
    canaries.push(("link code", code.clone()));
    http.post(control("/messages"))
        .json(&json!({"user_id": PERSON, "text": format!("/start {code}")}))
        .send()
        .await
        .unwrap();
    let mut asked = Value::Null;
    for _ in 0..100 {
        let sent: Value = http
            .get(control("/sent"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(message) = sent["result"].as_array().and_then(|all| all.last()) {
            asked = message["message"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let button = asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    http.post(control("/callback_query"))
        .json(&json!({"user_id": PERSON, "message_id": asked["message_id"], "data": button}))
        .send()
        .await
        .unwrap();
    let mut linked = false;
    for _ in 0..100 {
        let (status, _, _) = session
            .send(
                "confirm link",
                false,
                http.post(format!(
                    "{service}/api/v1/users/canary-user/telegram/confirm"
                ))
                .header("authorization", &bearer),
            )
            .await;
        if status == 200 {
            linked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(linked, "the link was confirmed");
    session
        .send(
            "notify",
            false,
            http.post(format!("{service}/api/v1/notifications"))
                .header("authorization", &bearer)
                .json(&json!({"user": "canary-user", "text": "hello"})),
        )
        .await;
    session
        .send(
            "a wrong API key",
            false,
            http.get(format!("{service}/api/v1/users/canary-user"))
                .header("authorization", format!("Bearer {}x", api_key)),
        )
        .await;

    // Passport: the document number and the name are personal data; the nonce a secret.
    let (_, _, body) = session
        .send(
            "request passport",
            true,
            http.post(format!("{service}/api/v1/passport/requests"))
                .header("authorization", &bearer)
                .json(&json!({"user": "canary-user", "scope": {"v": 1, "data": ["personal_details", "passport"]}})),
        )
        .await;
    let request = json_of(&body);
    let nonce = request["nonce"].as_str().unwrap().to_owned();
    canaries.push(("Passport nonce", nonce.clone()));
    canaries.push(("Passport document number", DOCUMENT_NO.to_owned()));
    canaries.push(("Passport name", PASSPORT_NAME.to_owned()));
    use base64::Engine as _;
    let scan = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nscan");
    http.post(control("/passport"))
        .json(&json!({"user_id": PERSON, "nonce": nonce, "elements": [
            {"type": "personal_details", "data": {"first_name": PASSPORT_NAME, "last_name": "Bird",
              "birth_date": "01.01.1990", "gender": "female", "country_code": "GB",
              "residence_country_code": "GB"}},
            {"type": "passport", "data": {"document_no": DOCUMENT_NO, "expiry_date": ""},
             "front_side": {"contents": scan}},
        ]}))
        .send()
        .await
        .unwrap();
    let path = format!(
        "{service}/api/v1/passport/requests/{}",
        request["id"].as_str().unwrap()
    );
    let mut received = false;
    for _ in 0..100 {
        let (_, _, body) = session
            .send(
                "read passport",
                true,
                http.get(&path).header("authorization", &bearer),
            )
            .await;
        if json_of(&body)["status"] == "received" {
            received = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(received, "the Passport arrived");
    session
        .send(
            "admin page",
            false,
            http.get(format!("{service}/admin"))
                .header("cookie", &cookie),
        )
        .await;

    // Log in with tgauth: the code, the access and refresh tokens are canaries.
    let authorize = format!(
        "{service}/oauth2/authorize?response_type=code&client_id=canary-app&redirect_uri={}&scope=openid%20profile%20passport&state=s",
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let (status, headers, _) = session
        .send(
            "authorize",
            true,
            http.get(&authorize).header("cookie", &cookie),
        )
        .await;
    assert_eq!(status, 303, "{headers}");
    let oidc_code = parameter(header(&headers, "location").unwrap(), "code").unwrap();
    canaries.push(("OIDC code", oidc_code.clone()));
    let token_url = format!("{service}/oauth2/token");
    let (_, _, body) = session
        .send(
            "token",
            true,
            http.post(&token_url)
                .basic_auth("canary-app", Some(CLIENT_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=authorization_code&code={oidc_code}&redirect_uri={}",
                    form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
                )),
        )
        .await;
    let tokens = json_of(&body);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    canaries.push((
        "OIDC access token",
        tokens["access_token"].as_str().unwrap().to_owned(),
    ));
    canaries.push(("OIDC refresh token", refresh.clone()));
    let (_, _, body) = session
        .send(
            "refresh",
            true,
            http.post(&token_url)
                .basic_auth("canary-app", Some(CLIENT_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=refresh_token&refresh_token={refresh}")),
        )
        .await;
    let refreshed = json_of(&body);
    canaries.push((
        "OIDC refreshed token",
        refreshed["refresh_token"].as_str().unwrap().to_owned(),
    ));
    session
        .send(
            "userinfo",
            true,
            http.get(format!("{service}/oauth2/userinfo")).header(
                "authorization",
                format!("Bearer {}", refreshed["access_token"].as_str().unwrap()),
            ),
        )
        .await;
    // Refusals that quote what they were given would leak it.
    session
        .send(
            "reused refresh token",
            false,
            http.post(&token_url)
                .basic_auth("canary-app", Some(CLIENT_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=refresh_token&refresh_token={refresh}")),
        )
        .await;
    session
        .send(
            "reused code",
            false,
            http.post(&token_url)
                .basic_auth("canary-app", Some(CLIENT_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "grant_type=authorization_code&code={oidc_code}&redirect_uri={}",
                    form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
                )),
        )
        .await;
    session
        .send(
            "a wrong client secret",
            false,
            http.post(&token_url)
                .basic_auth("canary-app", Some(format!("{CLIENT_SECRET}x")))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=refresh_token&refresh_token=x"),
        )
        .await;
    session
        .send("metrics", false, http.get(format!("{service}/metrics")))
        .await;
    // Let the outboxes and the bot finish what they log.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(child);

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.lines().count() > 100,
        "trace logging ran: {} lines",
        logs.lines().count()
    );
    let mut leaks = Vec::new();
    for (name, canary) in &canaries {
        assert!(canary.len() >= 8, "{name} is too short to be a canary");
        if logs.contains(canary.as_str()) {
            let line = logs
                .lines()
                .find(|line| line.contains(canary.as_str()))
                .unwrap_or_default();
            leaks.push(format!("log: {name}: {}", &line[..line.len().min(300)]));
        }
        for seen in session.seen.iter().filter(|seen| !seen.carries) {
            if seen.text.contains(canary.as_str()) {
                leaks.push(format!("answer to {}: {name}", seen.what));
            }
        }
    }
    // Passport plaintext never rests on disk (the data key and bot token files are meant to).
    let mut files = Vec::new();
    files_under(data.path(), &mut files);
    for (path, bytes) in &files {
        if path == &log_path {
            continue;
        }
        for canary in [DOCUMENT_NO, PASSPORT_NAME] {
            if bytes
                .windows(canary.len())
                .any(|window| window == canary.as_bytes())
            {
                leaks.push(format!("disk: {canary} in {}", path.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}
