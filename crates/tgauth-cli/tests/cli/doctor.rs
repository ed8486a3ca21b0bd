//! `tgauth doctor`: a bad setting is one line and exit 2; against a running
//! `tgauth serve --sandbox --data DIR`, with DIR's secrets as files, the report and exit 0; a
//! wrong token exit 1; nothing reachable exit 69.

use std::path::Path;
use std::process::Output;

use crate::serve::Serving;

/// `tgauth doctor` with the settings of `serving`: its URLs as flags, the secrets `serve
/// --sandbox` keeps in `data` as `TGAUTH_*_FILE` variables, and `token` instead of the bot's if
/// given.
fn doctor(serving: &Serving, data: &Path, token: Option<&str>) -> Output {
    let mut command = crate::tgauth();
    command
        .args(["doctor", "--public-url", &serving.service])
        .args(["--bot-api-url", &serving.sandbox])
        .args(["--oidc-provider-url", &format!("{}/oauth", serving.sandbox)])
        .arg("--data")
        .arg(data)
        .env("TGAUTH_COOKIE_KEY_FILE", data.join("cookie.key"))
        .env("TGAUTH_DATA_KEY_FILE", data.join("data.key"))
        .env("TGAUTH_PASSPORT_KEY_FILE", data.join("passport-key.pem"))
        // Sandbox mode's OIDC client secret is the bot token.
        .env("TGAUTH_OIDC_CLIENT_SECRET_FILE", data.join("bot-token"));
    match token {
        Some(token) => command.env("TGAUTH_BOT_TOKEN", token),
        None => command.env("TGAUTH_BOT_TOKEN_FILE", data.join("bot-token")),
    };
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn a_bad_setting_is_one_line_naming_it_and_exit_two() {
    let directory = tempfile::tempdir().unwrap();
    let output = crate::tgauth()
        .args(["doctor", "--data"])
        .arg(directory.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("tgauth doctor: setting `bot_token`: missing"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let output = crate::tgauth()
        .args(["doctor", "--public-url", "ftp://example.com"])
        .env(
            "TGAUTH_BOT_TOKEN",
            "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("tgauth doctor: setting `public_url`:"),
        "{stderr}"
    );
    assert!(!stderr.contains("AAHdq"), "{stderr}");
}

#[test]
fn against_a_running_sandbox_service_it_reports_and_exits_by_what_it_found() {
    let data = tempfile::tempdir().unwrap();
    let serving = Serving::start(data.path());

    let output = doctor(&serving, data.path(), None);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.starts_with("ok    bot token: getMe answers as @tgauth_sandbox_bot (id "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "\nwarn  public url: {} is http on loopback: Telegram refuses it, only the sandbox accepts it\n      fix: ",
            serving.service
        )),
        "{stdout}"
    );
    assert!(stdout.ends_with(" ok, 1 warning, 0 failures\n"), "{stdout}");
    let token = std::fs::read_to_string(data.path().join("bot-token")).unwrap();
    let (bot_id, secret) = token.trim().split_once(':').unwrap();
    assert!(!stdout.contains(secret), "{stdout}");

    let output = doctor(
        &serving,
        data.path(),
        Some(&format!("{bot_id}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")),
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with(&format!(
            "fail  bot token: Telegram refuses the token of bot id {bot_id} (401 Unauthorized)"
        )),
        "{stdout}"
    );
    assert_eq!(
        text(&output.stderr),
        "tgauth doctor: 1 failure (see the fix lines above)\n"
    );
}

#[test]
fn nothing_reachable_is_exit_sixty_nine() {
    let data = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, every connection is refused at once.
    let output = crate::tgauth()
        .args(["doctor", "--bot-api-url", "http://127.0.0.1:1"])
        .args(["--public-url", "http://127.0.0.1:1"])
        .arg("--data")
        .arg(data.path())
        .env(
            "TGAUTH_BOT_TOKEN",
            "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        )
        .env("TGAUTH_COOKIE_KEY", "00".repeat(32))
        .env("TGAUTH_DATA_KEY", "00".repeat(32))
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(69), "{stdout}");
    assert!(
        stdout.starts_with("fail  bot token: cannot reach the Bot API at http://127.0.0.1:1: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nwarn  database: no SQLite file at "),
        "{stdout}"
    );
    assert!(
        !data.path().join("tgauth.db").exists(),
        "doctor creates no database"
    );
    assert!(
        text(&output.stderr).starts_with("tgauth doctor: one thing could not be reached"),
        "{}",
        text(&output.stderr)
    );
}
