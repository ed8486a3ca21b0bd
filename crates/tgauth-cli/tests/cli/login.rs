//! `tgauth login verify|sign` and `tgauth webapp verify`: exact JSON outputs and exit codes.

use std::process::Output;

pub(crate) const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
/// id=7, first_name=Ada, auth_date=1700000000 under TOKEN; the hash was computed with
/// Python's hmac/hashlib (login-widget's `minimal` vector).
pub(crate) const DATA: &str = "id=7&first_name=Ada&auth_date=1700000000\
                    &hash=092f4e0e93373fb654175b38d565daa39a3e4157809b06a7a520fc34a2426386";
pub(crate) const USER: &str =
    r#"{"valid":true,"user":{"id":7,"first_name":"Ada","auth_date":1700000000}}"#;

fn tgauth(args: &[&str]) -> Output {
    crate::tgauth().args(args).output().expect("tgauth runs")
}

/// Runs tgauth and returns (exit code, stdout without the newline, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let output = tgauth(args);
    (
        output.status.code().expect("exit code"),
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .trim_end()
            .to_owned(),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

#[test]
fn login_verify_valid_prints_the_user() {
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--now",
        "1700000010",
        DATA,
    ]);
    assert_eq!((code, stdout.as_str()), (0, USER));
}

#[test]
fn login_verify_reasons_and_exit_code_one() {
    let forged = DATA.replace("Ada", "Eve");
    let duplicated = format!("{DATA}&id=8");
    for (args, reason) in [
        (vec!["--now", "1700086401"], "expired"),
        (vec!["--now", "1700000060", "--max-age", "30"], "expired"),
        (vec!["--now", "1699999900"], "expired"),
    ] {
        let mut all = vec!["login", "verify", "--token", TOKEN];
        all.extend(args);
        all.push(DATA);
        let (code, stdout, stderr) = run(&all);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stdout, format!(r#"{{"valid":false,"reason":"{reason}"}}"#));
        assert!(
            !stderr.contains("ABC-DEF1234"),
            "the token stays out of messages: {stderr}"
        );
    }
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--now",
        "1700000010",
        &forged,
    ]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, r#"{"valid":false,"reason":"invalid_hash"}"#)
    );
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--now",
        "1700000010",
        &duplicated,
    ]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, r#"{"valid":false,"reason":"malformed"}"#)
    );
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--max-age",
        "none",
        "--now",
        "1900000000",
        DATA,
    ]);
    assert_eq!((code, stdout.as_str()), (0, USER));
}

#[test]
fn extreme_and_negative_clocks_are_refused_without_a_panic() {
    // A panic would exit 101; every extreme is an ordinary refusal (exit 1) or, where the
    // platform's clock cannot hold the time, a usage error (exit 2).
    for now in ["-5", "-9223372036854775808", "9223372036854775807"] {
        for command in ["login", "webapp"] {
            let (code, stdout, stderr) =
                run(&[command, "verify", "--token", TOKEN, "--now", now, DATA]);
            if command == "login" {
                assert!(
                    code == 1 || code == 2,
                    "{command} --now {now}: {code} {stderr}"
                );
                if code == 1 {
                    assert_eq!(stdout, r#"{"valid":false,"reason":"expired"}"#, "{now}");
                }
            } else {
                // The widget data is not initData under the Mini App key.
                assert!(
                    code == 1 || code == 2,
                    "{command} --now {now}: {code} {stderr}"
                );
            }
        }
    }
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--max-age",
        "none",
        "--now",
        "-5",
        DATA,
    ]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, r#"{"valid":false,"reason":"expired"}"#),
        "dated in the future of a clock before 1970"
    );
    let (code, signed, _) = run(&[
        "login",
        "sign",
        "--token",
        TOKEN,
        "--id",
        "-7",
        "--auth-date",
        "-1",
    ]);
    assert_eq!(code, 0);
    let (code, stdout, _) = run(&["login", "verify", "--token", TOKEN, "--now", "0", &signed]);
    assert_eq!(
        (code, stdout.as_str()),
        (
            0,
            r#"{"valid":true,"user":{"id":-7,"first_name":"Test","auth_date":-1}}"#
        )
    );
}

#[test]
fn login_sign_output_verifies_in_every_format() {
    for format in ["query", "json", "tg-auth-result"] {
        let (code, signed, _) = run(&[
            "login",
            "sign",
            "--token",
            TOKEN,
            "--id",
            "7",
            "--first-name",
            "Ada",
            "--auth-date",
            "1700000000",
            "--format",
            format,
        ]);
        assert_eq!(code, 0);
        if format == "query" {
            assert_eq!(signed, DATA);
        }
        let (code, stdout, _) = run(&[
            "login",
            "verify",
            "--token",
            TOKEN,
            "--now",
            "1700000010",
            "--format",
            format,
            &signed,
        ]);
        assert_eq!((code, stdout.as_str()), (0, USER), "{format}");
        let (code, stdout, _) = run(&[
            "login",
            "verify",
            "--token",
            TOKEN,
            "--now",
            "1700000010",
            &signed,
        ]);
        assert_eq!((code, stdout.as_str()), (0, USER), "{format} auto");
    }
    let url = format!("https://example.com/login?{DATA}");
    let (code, stdout, _) = run(&[
        "login",
        "verify",
        "--token",
        TOKEN,
        "--now",
        "1700000010",
        "--format",
        "query",
        &url,
    ]);
    assert_eq!((code, stdout.as_str()), (0, USER));
}

#[test]
fn data_from_standard_input() {
    use std::io::Write as _;
    let mut child = crate::tgauth()
        .args([
            "login",
            "verify",
            "--token",
            TOKEN,
            "--now",
            "1700000010",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("tgauth runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{DATA}\n").as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("tgauth ends");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim_end(), USER);
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        vec!["login", "verify", "--token", "not-a-token", DATA],
        vec!["login", "verify", DATA],
        vec![
            "login",
            "verify",
            "--token",
            TOKEN,
            "--max-age",
            "soon",
            DATA,
        ],
        vec![
            "login",
            "verify",
            "--token",
            TOKEN,
            "--now",
            "yesterday",
            DATA,
        ],
        vec!["login", "verify", "--token", TOKEN, "--format", "xml", DATA],
        vec!["webapp", "verify", "x"],
        vec!["webapp", "verify", "--token", TOKEN, "--bot-id", "1", "x"],
        vec![
            "webapp",
            "verify",
            "--bot-id",
            "1",
            "--public-key",
            "abcd",
            "x",
        ],
        vec![
            "webapp",
            "verify",
            "--bot-id",
            "1",
            "--public-key",
            // 64 characters that `u8::from_str_radix` would read as bytes (`+e` is 14).
            "+e+f03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d",
            "x",
        ],
        vec!["login", "sign", "--token", TOKEN],
    ] {
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
}

/// Telegram's own initData for bot 7342037359 (published with its token by the
/// @telegram-apps/init-data-node test suite; see login-widget's real_webapp.json).
const INIT_DATA: &str = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ&hash=2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d6";
const INIT_DATA_JSON: &str = r#"{"valid":true,"init_data":{"user":{"id":279058397,"first_name":"Vladislav + - ? \/","last_name":"Kibenko","username":"vdkfrost","language_code":"ru","is_premium":true,"allows_write_to_pm":true,"photo_url":"https:\/\/t.me\/i\/userpic\/320\/4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg"},"chat_type":"private","chat_instance":"8134722200314281151","auth_date":1733584787,"hash":"2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d6","signature":"zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ"}}"#;

#[test]
fn webapp_verify_first_and_third_party() {
    let first_party: serde_json::Value = serde_json::from_str(INIT_DATA_JSON).unwrap();
    // Telegram's signature does not cover `hash`: the third-party check never reports one as
    // verified (login-widget leaves it out), so its output has no `hash`.
    let mut third_party = first_party.clone();
    third_party["init_data"]
        .as_object_mut()
        .unwrap()
        .remove("hash")
        .unwrap();
    let now = "1733584800";
    for args in [
        vec![
            "webapp",
            "verify",
            "--token",
            "7342037359:AAFZehRPBRs8Seg40oDjTMIW8uTGPuW1zfQ",
            "--now",
            now,
            INIT_DATA,
        ],
        vec![
            "webapp",
            "verify",
            "--bot-id",
            "7342037359",
            "--now",
            now,
            INIT_DATA,
        ],
        vec![
            "webapp",
            "verify",
            "--bot-id",
            "7342037359",
            "--now",
            now,
            "--public-key",
            "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d",
            INIT_DATA,
        ],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            stdout.starts_with(r#"{"valid":true,"init_data":{"#),
            "{stdout}"
        );
        let actual: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let expected = if args.contains(&"--bot-id") {
            &third_party
        } else {
            &first_party
        };
        assert_eq!(&actual, expected, "{args:?}");
    }
    for (args, reason) in [
        (
            vec![
                "webapp",
                "verify",
                "--bot-id",
                "7342037359",
                "--test-env",
                "--now",
                now,
                INIT_DATA,
            ],
            "invalid_hash",
        ),
        (
            vec![
                "webapp",
                "verify",
                "--bot-id",
                "7342037358",
                "--now",
                now,
                INIT_DATA,
            ],
            "invalid_hash",
        ),
        (
            vec![
                "webapp",
                "verify",
                "--token",
                "7342037359:AAFZehRPBRs8Seg40oDjTMIW8uTGPuW1zfR",
                "--now",
                now,
                INIT_DATA,
            ],
            "invalid_hash",
        ),
        (
            vec!["webapp", "verify", "--bot-id", "7342037359", INIT_DATA],
            "expired",
        ),
        (
            vec![
                "webapp",
                "verify",
                "--bot-id",
                "7342037359",
                "--now",
                now,
                "auth_date=1&hash=x",
            ],
            "malformed",
        ),
    ] {
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(
            stdout,
            format!(r#"{{"valid":false,"reason":"{reason}"}}"#),
            "{args:?}"
        );
    }
    let (code, _, _) = run(&[
        "webapp",
        "verify",
        "--bot-id",
        "7342037359",
        "--max-age",
        "none",
        INIT_DATA,
    ]);
    assert_eq!(code, 0);
}
