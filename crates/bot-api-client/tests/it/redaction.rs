//! The canary token never appears in an error, a `Debug` output or a log line, over every
//! error kind: connection refused, timeout, dropped connection, decode, API errors and downloads.

use crate::stub::{CANARY, Reply, Stub, assert_clean, assert_error_clean};
use bot_api_client::requests::SendMessage;
use bot_api_client::tgauth_core::BotToken;
use bot_api_client::types::File;
use bot_api_client::{Client, Error, RetryPolicy};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Collects formatted log lines at debug level.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Collects the `log` crate's records (reqwest and rustls log through it, not through tracing).
struct LogRecords(Logs);

impl log::Log for LogRecords {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        use std::io::Write as _;
        let mut logs = self.0.clone();
        let _ = writeln!(
            logs,
            "log {} {}: {}",
            record.level(),
            record.target(),
            record.args()
        );
    }
    fn flush(&self) {}
}

fn file(path: &str) -> File {
    File {
        file_id: "f".into(),
        file_unique_id: "u".into(),
        file_size: None,
        file_path: Some(path.into()),
    }
}

#[test]
fn debug_and_display_are_redacted() {
    let token = BotToken::new(CANARY).unwrap();
    assert_eq!(format!("{token:?}"), "BotToken(987654321:<redacted>)");
    assert_eq!(token.to_string(), "987654321:<redacted>");
    let client = Client::builder(token)
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap();
    assert_clean(&format!("{client:?}"));
    assert_clean(&format!("{client:#?}"));
}

#[tokio::test(flavor = "current_thread")]
async fn every_error_kind_is_clean_and_so_are_the_logs() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // Global, not scoped: a scoped subscriber misses events whose callsites other test threads
    // registered first. Every test's log lines then land here, and all must be clean.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    // The dependencies' own logs, at every level, land in the same buffer.
    log::set_boxed_logger(Box::new(LogRecords(logs.clone()))).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let mut errors: Vec<Error> = Vec::new();

    // Connection refused, retried (so retry logs are produced) and then given up.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let refused = Client::builder(BotToken::new(CANARY).unwrap())
        .base_url(format!("http://{closed}"))
        .retry_policy(crate::stub::fast_retries())
        .build()
        .unwrap();
    errors.push(refused.me().await.unwrap_err());
    errors.push(
        refused
            .download_file(&file("documents/a.pdf"), &mut Vec::new())
            .await
            .unwrap_err(),
    );

    let stub = Stub::start().await;
    let client = stub.client();
    let impatient = stub
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(30))
        .download_idle_timeout(Duration::from_millis(30))
        .download_limit(10)
        .build()
        .unwrap();

    // Timeout.
    stub.script([Reply::Delay(
        Duration::from_secs(5),
        Box::new(Reply::ok(json!(true))),
    )]);
    errors.push(impatient.me().await.unwrap_err());
    // Dropped connection on a non-idempotent call.
    stub.script([Reply::Drop]);
    errors.push(
        client
            .send_message(&SendMessage::new(1, "x"))
            .await
            .unwrap_err(),
    );
    // Decode error whose body echoes the request path, token included.
    stub.script(std::iter::repeat_n(
        Reply::Raw(
            502,
            "text/html",
            format!("bad gateway for /bot{CANARY}/getMe").into_bytes(),
        ),
        4,
    ));
    errors.push(client.me().await.unwrap_err());
    // API error whose description echoes the token.
    stub.script([Reply::error(
        404,
        &format!("Not Found: method /bot{CANARY}/nope"),
        None,
    )]);
    errors.push(client.me().await.unwrap_err());
    // 429 retried until exhausted.
    stub.script([
        Reply::retry_after(1),
        Reply::retry_after(1),
        Reply::retry_after(1),
        Reply::retry_after(1),
    ]);
    errors.push(client.me().await.unwrap_err());
    // Downloads: 404, too large, idle timeout, no path.
    stub.script([Reply::error(404, "Not Found", None)]);
    errors.push(
        client
            .download_file(&file("photos/x.jpg"), &mut Vec::new())
            .await
            .unwrap_err(),
    );
    stub.script([Reply::Raw(200, "application/octet-stream", vec![0; 64])]);
    errors.push(
        impatient
            .download_file(&file("photos/x.jpg"), &mut Vec::new())
            .await
            .unwrap_err(),
    );
    stub.script([Reply::Stall {
        length: 8,
        sent: vec![1, 2],
    }]);
    errors.push(
        impatient
            .download_file(&file("photos/x.jpg"), &mut Vec::new())
            .await
            .unwrap_err(),
    );
    let mut no_path = file("x");
    no_path.file_path = None;
    errors.push(
        client
            .download_file(&no_path, &mut Vec::new())
            .await
            .unwrap_err(),
    );

    let kinds: Vec<String> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Transport",
            "Transport",
            "Transport",
            "Transport",
            "Decode",
            "Api",
            "Api",
            "Api",
            "FileTooLarge",
            "Transport",
            "NoFilePath"
        ]
    );
    for error in &errors {
        assert_error_clean(error);
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying"), "the retries were logged: {logs}");
    assert!(
        logs.contains("log DEBUG reqwest"),
        "reqwest's own log lines were captured: {logs}"
    );
    assert_clean(&logs);
}

#[tokio::test]
async fn token_bearing_values_from_the_server_are_redacted() {
    use bot_api_client::requests::SetWebhook;
    use bot_api_client::types::WebhookInfo;
    // A local Bot API server in --local mode puts the token in every file path.
    let local = file(&format!(
        "/var/lib/telegram-bot-api/{CANARY}/documents/file_1.pdf"
    ));
    let debug = format!("{local:?}");
    assert_clean(&debug);
    assert!(
        debug.contains("/var/lib/telegram-bot-api/<redacted>/documents/file_1.pdf"),
        "{debug}"
    );
    // Webhook URLs that carry the token, plain or percent-encoded.
    let encoded = CANARY.replace(':', "%3A");
    let hook = SetWebhook::new(format!("https://example.com/{encoded}/hook"));
    assert_clean(&format!("{hook:?}").replace("%3A", ":"));
    let info: WebhookInfo = serde_json::from_value(json!({
        "url": format!("https://example.com/{CANARY}"),
        "pending_update_count": 1,
        "last_error_message": format!("Wrong response from https://example.com/{CANARY}")
    }))
    .unwrap();
    assert_clean(&format!("{info:?}"));
    // An API error whose parameters echo the token.
    let stub = Stub::start().await;
    stub.script([Reply::error(
        400,
        "Bad Request",
        Some(json!({"echo": [format!("/bot{CANARY}/x")], CANARY: 1})),
    )]);
    let error = stub.client().me().await.unwrap_err();
    assert_error_clean(&error);
    assert_clean(
        &error
            .api()
            .unwrap()
            .parameters
            .as_ref()
            .unwrap()
            .to_string(),
    );
    // A base URL that already holds the token is refused without quoting it.
    let error = Client::builder(BotToken::new(CANARY).unwrap())
        .base_url(format!("https://api.telegram.org/bot{CANARY}"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{error:?}");
    assert_error_clean(&error);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    // Following one would send the token-bearing path to whatever host the answer names.
    let stub = Stub::start().await;
    let elsewhere = Stub::start().await;
    let target = format!("{}/bot{CANARY}/getMe", elsewhere.base_url());
    stub.script([Reply::Redirect(target.clone())]);
    let error = stub.client().me().await.unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 302, .. }),
        "{error:?}"
    );
    assert_error_clean(&error);
    stub.script([Reply::Redirect(target)]);
    let error = stub
        .client()
        .download_file(&file("photos/x.jpg"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 302, .. }),
        "{error:?}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "nothing reached the target"
    );
}

#[test]
fn a_base_url_is_never_quoted_with_the_token_whatever_is_wrong_with_it() {
    use crate::stub::CANARY_SECRET;
    let encoded = CANARY.replace(':', "%3A");
    for url in [
        // No scheme.
        format!("api.telegram.org/bot{CANARY}"),
        CANARY.to_owned(),
        // A scheme other than http(s).
        format!("ftp://example.com/bot{CANARY}"),
        // A query or a fragment.
        format!("https://api.telegram.org/?token={CANARY}"),
        format!("https://api.telegram.org/#{CANARY}"),
        format!("https://example.com/hook?{encoded}"),
        // The token or its secret in the path.
        format!("https://api.telegram.org/bot{CANARY}"),
        format!("https://example.com/{CANARY_SECRET}/x"),
    ] {
        let builder = Client::builder(BotToken::new(CANARY).unwrap()).base_url(url.clone());
        assert_clean(&format!("{builder:?}"));
        assert_clean(&format!("{builder:#?}"));
        let error = builder.build().unwrap_err();
        assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{error:?}");
        assert_error_clean(&error);
    }
}
