//! `doctor::run` against a running sandbox service, as `tgauth doctor` runs it with the
//! service's configuration: all well but the expected http-on-loopback warning, then one thing
//! broken per test (the token, a webhook while polling, a failed delivery, another Passport key,
//! the clock, the database's migrations, a proxy's `Cross-Origin-Opener-Policy`), each with
//! its line and its fix.

use std::path::Path;

use tgauth::bot::Client;
use tgauth::bot::requests::SetWebhook;
use tgauth::bot::webhook::SecretToken;
use tgauth::sandbox::control::NewUser;
use tgauth::{BotToken, FixedClock, UnixTime, UserId};
use tgauth_server::config::{Environment, UpdatesMode};
use tgauth_server::doctor::{self, Check, Level, Outcome, Report};
use tgauth_server::{Config, ServeArgs};

use super::support::{ADA, BOT, Running, client, on_every_database};

on_every_database!(
    a_sandbox_service_is_well_but_for_http_on_loopback,
    a_database_behind_or_ahead_of_this_build_is_named,
);

/// `TGAUTH_*` variables as a map (the secrets of the service's data directory, as files).
struct Variables(Vec<(&'static str, String)>);

impl Environment for Variables {
    fn var(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    }
}

impl Variables {
    /// The secrets `serve --sandbox` keeps in `data`, by `TGAUTH_*_FILE`.
    fn of(data: &Path) -> Self {
        let file = |name: &str| data.join(name).display().to_string();
        Self(vec![
            ("TGAUTH_BOT_TOKEN_FILE", file("bot-token")),
            ("TGAUTH_COOKIE_KEY_FILE", file("cookie.key")),
            ("TGAUTH_DATA_KEY_FILE", file("data.key")),
            ("TGAUTH_PASSPORT_KEY_FILE", file("passport-key.pem")),
            // Sandbox mode's OIDC client secret is the bot token.
            ("TGAUTH_OIDC_CLIENT_SECRET_FILE", file("bot-token")),
            ("TGAUTH_WEBHOOK_SECRET_FILE", file("webhook-secret")),
        ])
    }

    /// Sets `name` (removing its `_FILE` twin).
    fn with(mut self, name: &'static str, value: &str) -> Self {
        let file = format!("{name}_FILE");
        self.0.retain(|(key, _)| *key != name && *key != file);
        self.0.push((name, value.to_owned()));
        self
    }
}

/// The flags `tgauth doctor` gets for the running service.
fn arguments(running: &Running) -> ServeArgs {
    ServeArgs {
        public_url: Some(running.url("")),
        bot_api_url: Some(running.sandbox.base_url()),
        oidc_provider_url: Some(running.sandbox.oidc_base_url()),
        data: Some(running.data_dir().to_owned()),
        database: running.database.clone(),
        ..ServeArgs::default()
    }
}

/// The configuration of the running service, read as `tgauth doctor` reads it.
fn configuration(running: &Running) -> Config {
    Config::load_with(arguments(running), &Variables::of(running.data_dir())).unwrap()
}

/// The time of the sandbox's `Date` header: Telegram's clock as doctor sees it.
async fn telegram_time(running: &Running) -> UnixTime {
    let response = client()
        .get(format!("{}/", running.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let date = response.headers()[reqwest::header::DATE].to_str().unwrap();
    UnixTime::from(httpdate::parse_http_date(date).unwrap())
}

/// Runs doctor on `config` with this machine's clock `ahead` seconds from Telegram's.
async fn doctor_with_clock(running: &Running, config: &Config, ahead: i64) -> Report {
    let clock = FixedClock::new(UnixTime(telegram_time(running).await.0 + ahead));
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let report = doctor::run(config, &clock, &http).await;
    assert_secrets_absent(running, &report);
    report
}

async fn doctor(running: &Running, config: &Config) -> Report {
    doctor_with_clock(running, config, 0).await
}

/// No secret of the data directory appears in the report.
fn assert_secrets_absent(running: &Running, report: &Report) {
    let text = report.to_string();
    let read = |name: &str| std::fs::read_to_string(running.data_dir().join(name)).unwrap();
    let token = read("bot-token");
    let (_, token_secret) = token.trim().split_once(':').unwrap();
    assert!(!text.contains(token_secret), "{text}");
    assert!(!text.contains(read("webhook-secret").trim()), "{text}");
    for line in read("passport-key.pem").lines().skip(1).take(3) {
        assert!(!text.contains(line), "{text}");
    }
    assert!(!text.contains(&webhook_path(running)), "{text}");
}

/// The webhook's secret path segment, as the service derives it.
fn webhook_path(running: &Running) -> String {
    let secret = std::fs::read(running.data_dir().join("webhook-secret")).unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
    hex::encode(&ring::hmac::sign(&key, b"tgauth webhook path").as_ref()[..16])
}

/// The line of `check` at `level` (exactly one), with its fix line if it has one.
fn line(report: &Report, check: Check, level: Level) -> String {
    let found: Vec<String> = report
        .of(check)
        .filter(|finding| finding.level == level)
        .map(ToString::to_string)
        .collect();
    assert_eq!(found.len(), 1, "one {level} line of {check:?} in\n{report}");
    found.into_iter().next().unwrap()
}

/// The bot client with the service's token.
fn bot_client(running: &Running) -> Client {
    let token = std::fs::read_to_string(running.data_dir().join("bot-token")).unwrap();
    Client::builder(BotToken::new(token.trim()).unwrap())
        .base_url(running.sandbox.base_url())
        .build()
        .unwrap()
}

async fn a_sandbox_service_is_well_but_for_http_on_loopback(running: Running) {
    let report = doctor(&running, &configuration(&running)).await;
    assert_eq!(report.outcome(), Outcome::Healthy, "{report}");
    assert_eq!(report.count(Level::Fail), 0, "{report}");
    assert_eq!(report.count(Level::Warn), 1, "{report}");
    let warning = line(&report, Check::PublicUrl, Level::Warn);
    assert_eq!(
        warning,
        format!(
            "warn  public url: {} is http on loopback: Telegram refuses it, only the sandbox accepts it\n      fix: with real Telegram, set TGAUTH_PUBLIC_URL to the https URL browsers use",
            running.url("")
        )
    );
    let bot_id = std::fs::read_to_string(running.data_dir().join("bot-token"))
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        line(&report, Check::BotToken, Level::Ok),
        format!("ok    bot token: getMe answers as @{BOT} (id {bot_id})")
    );
    assert!(
        line(&report, Check::Oidc, Level::Info).contains(&format!(
            "register the redirect URI {}/auth/telegram/oidc/callback",
            running.url("")
        )),
        "{report}"
    );
    let oidc: Vec<String> = report.of(Check::Oidc).map(ToString::to_string).collect();
    assert!(
        oidc.iter()
            .any(|line| line.contains("discovery document") && line.contains("JWKS")),
        "{report}"
    );
    assert!(
        line(&report, Check::OpenerPolicy, Level::Ok)
            .ends_with("/login sends `same-origin-allow-popups`"),
        "{report}"
    );
    let passport: Vec<String> = report
        .of(Check::PassportKey)
        .map(ToString::to_string)
        .collect();
    assert!(passport[0].starts_with("ok    passport key: RSA 2048 bits; its public key's SHA-256"));
    assert_eq!(
        passport[1],
        format!("ok    passport key: the sandbox has this public key registered for @{BOT}")
    );
    assert!(
        line(&report, Check::Webhook, Level::Ok)
            .starts_with("ok    webhook: none set, as polling needs"),
        "{report}"
    );
    assert!(
        line(&report, Check::Clock, Level::Ok).starts_with("ok    clock: within "),
        "{report}"
    );
    assert!(
        line(&report, Check::Database, Level::Ok).contains("this build's latest"),
        "{report}"
    );
    assert!(
        report.to_string().ends_with(&format!(
            "\n{} ok, 1 warning, 0 failures\n",
            report.count(Level::Ok)
        )),
        "{report}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_a_failure_that_says_to_copy_it_again() {
    let running = Running::start().await;
    let token = std::fs::read_to_string(running.data_dir().join("bot-token")).unwrap();
    let (bot_id, _) = token.trim().split_once(':').unwrap();
    let wrong = format!("{bot_id}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
    let config = Config::load_with(
        arguments(&running),
        &Variables::of(running.data_dir()).with("TGAUTH_BOT_TOKEN", &wrong),
    )
    .unwrap();
    let report = doctor(&running, &config).await;
    assert_eq!(
        line(&report, Check::BotToken, Level::Fail),
        format!(
            "fail  bot token: Telegram refuses the token of bot id {bot_id} (401 Unauthorized): it is wrong or was revoked\n      fix: copy the token from @BotFather again (/mybots, the bot, API Token) into TGAUTH_BOT_TOKEN or its file"
        )
    );
    // One cause, one failure: the webhook is not asked with a token that does not work.
    assert_eq!(
        line(&report, Check::Webhook, Level::Info),
        "info  webhook: not checked: the bot token does not work (see above)"
    );
    assert_eq!(report.outcome(), Outcome::Failed);
    assert!(
        !report
            .to_string()
            .contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_set_while_polling_is_a_failure() {
    let running = Running::start().await;
    let bot = bot_client(&running);
    bot.set_webhook(&SetWebhook::new("http://127.0.0.1:9/hook/s3cret-path"))
        .await
        .unwrap();
    let report = doctor(&running, &configuration(&running)).await;
    assert_eq!(
        line(&report, Check::Webhook, Level::Fail),
        format!(
            "fail  webhook: a webhook is set (http://127.0.0.1:9/…) while the service polls: getUpdates answers 409 Conflict and no update arrives\n      fix: delete it (curl {}/bot<TOKEN>/deleteWebhook, with the bot's token) or set TGAUTH_UPDATES=webhook",
            running.sandbox.base_url()
        )
    );
    assert!(!report.to_string().contains("s3cret"), "{report}");
    assert_eq!(report.outcome(), Outcome::Failed);
    bot.delete_webhook(false).await.unwrap();
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_webhook_delivery_is_a_warning_with_telegrams_message() {
    let running = Running::start_with(None, "updates = \"webhook\"\n").await;
    let bot = bot_client(&running);
    let mut registered = String::new();
    for _ in 0..200 {
        registered = bot.webhook_info().await.unwrap().url;
        if !registered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        registered.ends_with(&webhook_path(&running)),
        "the service registers its webhook"
    );
    let mut config = configuration(&running);
    config.updates = UpdatesMode::Webhook;

    // Registered as the service registers it: doctor derives the same secret path.
    let report = doctor(&running, &config).await;
    assert_eq!(
        line(&report, Check::Webhook, Level::Ok),
        format!(
            "ok    webhook: set to {}/telegram/webhook/<secret path> (0 updates pending)",
            running.url("")
        )
    );

    // Another secret token than the service's: the service refuses each delivery.
    let mut wrong = SetWebhook::new(registered);
    wrong.secret_token = Some(SecretToken::new("not_the_services_secret").unwrap());
    bot.set_webhook(&wrong).await.unwrap();
    running
        .sandbox
        .create_user(NewUser::new(UserId(ADA), "Ada"))
        .unwrap();
    running.sandbox.send_message(BOT, ADA, "/start").unwrap();
    let mut failed = None;
    for _ in 0..200 {
        failed = bot.webhook_info().await.unwrap().last_error_message;
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let message = failed.expect("the sandbox reports the failed delivery");
    let report = doctor(&running, &config).await;
    let warning = line(&report, Check::Webhook, Level::Warn);
    assert!(
        warning.starts_with("warn  webhook: Telegram's last delivery failed at "),
        "{warning}"
    );
    assert!(
        warning.contains(&format!(": {message}\n      fix: the service refused Telegram's secret token: restart `tgauth serve`")),
        "{warning}"
    );
    assert!(message.contains("401"), "{message}");
    assert_eq!(report.outcome(), Outcome::Healthy, "{report}");

    // Doctor run with another public URL than the one the service registered.
    let mut elsewhere = config.clone();
    elsewhere.public_url = "https://id.example.com".to_owned();
    let report = doctor(&running, &elsewhere).await;
    assert!(
        line(&report, Check::Webhook, Level::Fail).starts_with(&format!(
            "fail  webhook: set to another URL ({}/…), not https://id.example.com/telegram/webhook/<secret path>",
            running.url("")
        )),
        "{report}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passport_key_other_than_the_registered_one_is_a_failure() {
    let running = Running::start().await;
    let other = include_str!("../../../passport-crypto/tests/it/data/test-key.pem");
    let config = Config::load_with(
        arguments(&running),
        &Variables::of(running.data_dir()).with("TGAUTH_PASSPORT_KEY", other),
    )
    .unwrap();
    let report = doctor(&running, &config).await;
    let failure = line(&report, Check::PassportKey, Level::Fail);
    assert!(
        failure.starts_with(&format!(
            "fail  passport key: @{BOT} registered another public key (SHA-256 "
        )),
        "{failure}"
    );
    assert!(
        failure.ends_with("\n      fix: give @BotFather the public key of TGAUTH_PASSPORT_KEY: /setpublickey, choose @tgauth_sandbox_bot, paste the output of `openssl rsa -pubout` of the key"),
        "{failure}"
    );
    assert!(!report.to_string().contains(other.lines().nth(1).unwrap()));

    let small = include_str!("../../../passport-crypto/tests/it/data/small-key-1024.pem");
    let config = Config::load_with(
        arguments(&running),
        &Variables::of(running.data_dir()).with("TGAUTH_PASSPORT_KEY", small),
    )
    .unwrap();
    let report = doctor(&running, &config).await;
    let failure = line(&report, Check::PassportKey, Level::Fail);
    assert!(
        failure.starts_with("fail  passport key: not a usable RSA private key: "),
        "{failure}"
    );
    assert!(failure.contains("1024"), "{failure}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_off_by_ten_minutes_is_named() {
    let running = Running::start().await;
    let mut config = configuration(&running);
    let fix = "\n      fix: synchronise this machine's clock (NTP: `timedatectl set-ntp true`, or chrony)";

    // Ahead by more than a login may be old: every login is refused as expired.
    config.login_max_age = std::time::Duration::from_secs(300);
    let report = doctor_with_clock(&running, &config, 600).await;
    let failure = line(&report, Check::Clock, Level::Fail);
    assert!(
        failure.contains(" s ahead of the Bot API's Date, more than login_max_age_seconds (300): every login would be refused as expired"),
        "{failure}"
    );
    assert!(failure.ends_with(fix), "{failure}");

    // Ahead within the maximum age: logins work, but the clock is off.
    config.login_max_age = std::time::Duration::from_secs(86_400);
    let report = doctor_with_clock(&running, &config, 600).await;
    let warning = line(&report, Check::Clock, Level::Warn);
    assert!(
        warning.contains(" s ahead of the Bot API's Date: logins age faster"),
        "{warning}"
    );
    assert!(warning.ends_with(fix), "{warning}");

    // Behind: Telegram's auth_date lies in the future, past the widget's 30 seconds.
    let report = doctor_with_clock(&running, &config, -600).await;
    let failure = line(&report, Check::Clock, Level::Fail);
    assert!(
        failure.contains(
            " s behind the Bot API's Date: Telegram's logins would carry an auth_date in the future"
        ),
        "{failure}"
    );
    assert!(failure.ends_with(fix), "{failure}");
    running.stop().await;
}

async fn a_database_behind_or_ahead_of_this_build_is_named(running: Running) {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let config = configuration(&running);
    let mut database = sqlx::AnyConnection::connect(&config.database)
        .await
        .unwrap();

    // The latest migration's row is missing: behind, which serve mends.
    let latest: i64 = sqlx::Row::get(
        &sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut database)
            .await
            .unwrap(),
        0,
    );
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(latest)
        .execute(&mut database)
        .await
        .unwrap();
    let report = doctor(&running, &config).await;
    let warning = line(&report, Check::Database, Level::Warn);
    assert!(
        warning.contains(&format!(
            " is behind this build: {} of {latest} migrations applied, missing {latest} (",
            latest - 1
        )),
        "{warning}"
    );
    assert!(
        warning.ends_with("\n      fix: `tgauth serve` migrates it on start (back it up first)"),
        "{warning}"
    );
    assert!(!warning.contains("password"), "{warning}");

    // A migration this build does not know: a newer build migrated it.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(latest + 100)
    .bind("from the future")
    .bind(true)
    .bind(vec![0_u8; 48])
    .bind(1_i64)
    .execute(&mut database)
    .await
    .unwrap();
    let report = doctor(&running, &config).await;
    let failure = line(&report, Check::Database, Level::Fail);
    assert!(
        failure.contains(&format!(
            " was migrated by a newer build (migration {}; this build knows up to {latest}); `tgauth serve` refuses it\n      fix: run the tgauth build that migrated it, or restore a backup taken before",
            latest + 100
        )),
        "{failure}"
    );
    database.close().await.unwrap();
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_never_migrated_is_a_warning_and_is_not_created() {
    let running = Running::start().await;
    let empty = tempfile::tempdir().unwrap();
    let mut config = configuration(&running);
    let missing = empty.path().join("absent.db");
    config.database = format!("sqlite://{}", missing.display());
    let report = doctor(&running, &config).await;
    assert_eq!(
        line(&report, Check::Database, Level::Warn),
        format!(
            "warn  database: no SQLite file at {} yet: never migrated\n      fix: `tgauth serve` creates and migrates it on start",
            missing.display()
        )
    );
    assert!(!missing.exists(), "doctor creates no database");

    // A file without the migration table (made by something else, or by an older run that
    // stopped before migrating).
    let bare = empty.path().join("bare.db");
    {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let mut connection =
            sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=rwc", bare.display()))
                .await
                .unwrap();
        sqlx::query("CREATE TABLE unrelated (id INTEGER)")
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
    }
    config.database = format!("sqlite://{}", bare.display());
    let report = doctor(&running, &config).await;
    let warning = line(&report, Check::Database, Level::Warn);
    assert!(
        warning.contains("has no readable migration table"),
        "{warning}"
    );
    assert!(
        warning.contains(": never migrated\n      fix: `tgauth serve` migrates it on start"),
        "{warning}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_sends_same_origin_breaks_the_widget_popup() {
    let running = Running::start().await;
    let proxy = axum::Router::new().route(
        "/login",
        axum::routing::get(|| async {
            (
                [("cross-origin-opener-policy", "same-origin")],
                "the login page behind a strict proxy",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = tokio::spawn(async move { axum::serve(listener, proxy).await });
    let mut config = configuration(&running);
    config.public_url = format!("http://{address}");
    let report = doctor(&running, &config).await;
    assert_eq!(
        line(&report, Check::OpenerPolicy, Level::Fail),
        format!(
            "fail  cross-origin-opener-policy: http://{address}/login is served with `same-origin`: the login widget's popup cannot report back to the page\n      fix: make the proxy in front of the service send `Cross-Origin-Opener-Policy: same-origin-allow-popups` on the service's pages (or pass the service's own header through)"
        )
    );
    assert_eq!(report.outcome(), Outcome::Failed);
    served.abort();

    // Nothing listens there any more: a warning that doctor checks the running service.
    let report = doctor(&running, &config).await;
    assert!(
        line(&report, Check::OpenerPolicy, Level::Warn)
            .contains("doctor checks this on the running service"),
        "{report}"
    );
    running.stop().await;
}
