//! Secrets off the command line: the bot token, the store URL and a key's password from an
//! environment variable or a file; both forms at once is a usage error; no secret in any output.

use std::path::Path;

use crate::login::{DATA, TOKEN, USER};

/// The token's secret half: what must never be printed.
const TOKEN_SECRET: &str = "ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

/// A store password: what must never be printed.
const STORE_PASSWORD: &str = "hunter2-store-secret";

/// Runs tgauth with `variables` set; returns (exit code, stdout, stderr).
fn run(args: &[&str], variables: &[(&str, &str)]) -> (i32, String, String) {
    let output = crate::tgauth()
        .args(args)
        .envs(variables.iter().copied())
        .output()
        .expect("tgauth runs");
    (
        output.status.code().expect("exit code"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Writes `contents` to `name` in `directory` and returns its path as text.
fn file(directory: &Path, name: &str, contents: &str) -> String {
    let path = directory.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

const VERIFY: [&str; 5] = ["login", "verify", "--now", "1700000010", DATA];

#[test]
fn the_bot_token_comes_from_the_environment() {
    let (code, stdout, stderr) = run(&VERIFY, &[("TGAUTH_BOT_TOKEN", TOKEN)]);
    assert_eq!((code, stdout.trim_end()), (0, USER), "{stderr}");

    // login sign and webapp verify (first-party) take it the same way.
    let sign = [
        "login",
        "sign",
        "--id",
        "7",
        "--first-name",
        "Ada",
        "--auth-date",
        "1700000000",
    ];
    let (code, stdout, _) = run(&sign, &[("TGAUTH_BOT_TOKEN", TOKEN)]);
    assert_eq!((code, stdout.trim_end()), (0, DATA));
    let (code, stdout, _) = run(
        &["webapp", "verify", "--now", "1700000010", DATA],
        &[("TGAUTH_BOT_TOKEN", TOKEN)],
    );
    // Widget data is not initData under the Mini App key: checked, and refused.
    assert_eq!(
        (code, stdout.trim_end()),
        (1, r#"{"valid":false,"reason":"invalid_hash"}"#)
    );
}

#[test]
fn the_bot_token_comes_from_a_file() {
    let directory = tempfile::tempdir().unwrap();
    // Editors and `echo` end the file with a line ending; it is not part of the token.
    let path = file(directory.path(), "token", &format!("{TOKEN}\n"));
    let mut args = VERIFY.to_vec();
    args.extend(["--bot-token-file", &path]);
    let (code, stdout, stderr) = run(&args, &[]);
    assert_eq!((code, stdout.trim_end()), (0, USER), "{stderr}");
    let (code, stdout, stderr) = run(&VERIFY, &[("TGAUTH_BOT_TOKEN_FILE", &path)]);
    assert_eq!((code, stdout.trim_end()), (0, USER), "{stderr}");

    // The flag overrides the variable of its own form.
    let (code, _, stderr) = run(
        &args,
        &[("TGAUTH_BOT_TOKEN_FILE", "/nonexistent/tgauth-token")],
    );
    assert_eq!(code, 0, "{stderr}");
    let mut argv = VERIFY.to_vec();
    argv.extend(["--token", TOKEN]);
    let (code, _, stderr) = run(&argv, &[("TGAUTH_BOT_TOKEN", "1:wrong")]);
    assert_eq!(code, 0, "{stderr}");

    // A missing or empty file is a usage error naming where the token was looked for.
    let empty = file(directory.path(), "empty", "\n");
    for (variable, path, expected) in [
        ("TGAUTH_BOT_TOKEN_FILE", empty.as_str(), "is empty"),
        (
            "TGAUTH_BOT_TOKEN_FILE",
            "/nonexistent/tgauth-token",
            "TGAUTH_BOT_TOKEN_FILE: /nonexistent/tgauth-token",
        ),
    ] {
        let (code, stdout, stderr) = run(&VERIFY, &[(variable, path)]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn no_bot_token_at_all_is_a_usage_error() {
    let (code, stdout, stderr) = run(&VERIFY, &[]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "tgauth login verify: no bot token: set TGAUTH_BOT_TOKEN or TGAUTH_BOT_TOKEN_FILE, or \
         give --bot-token-file (or --token)\n"
    );
}

#[test]
fn a_value_and_a_file_at_once_is_a_usage_error_naming_both() {
    let directory = tempfile::tempdir().unwrap();
    let token_file = file(directory.path(), "token", TOKEN);
    // (flags, variables, what stderr says)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let cases: [Case<'_>; 4] = [
        (
            vec!["--bot-token-file", &token_file],
            vec![("TGAUTH_BOT_TOKEN", TOKEN)],
            &["TGAUTH_BOT_TOKEN and --bot-token-file are both set; give the bot token one way"],
        ),
        (
            vec!["--token", TOKEN],
            vec![("TGAUTH_BOT_TOKEN_FILE", &token_file)],
            &["--token and TGAUTH_BOT_TOKEN_FILE are both set"],
        ),
        (
            vec![],
            vec![
                ("TGAUTH_BOT_TOKEN", TOKEN),
                ("TGAUTH_BOT_TOKEN_FILE", &token_file),
            ],
            &["TGAUTH_BOT_TOKEN and TGAUTH_BOT_TOKEN_FILE are both set"],
        ),
        // Both flags: refused by the argument parser, which names both.
        (
            vec!["--token", TOKEN, "--bot-token-file", &token_file],
            vec![],
            &["--token", "--bot-token-file", "cannot be used with"],
        ),
    ];
    for (flags, variables, expected) in cases {
        let mut args = VERIFY.to_vec();
        args.extend(flags);
        let (code, stdout, stderr) = run(&args, &variables);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?} {variables:?}");
        for part in expected {
            assert!(stderr.contains(part), "{part}: {stderr}");
        }
        assert!(!stderr.contains(TOKEN_SECRET), "{stderr}");
    }

    let store_file = file(directory.path(), "store", "memory://");
    let (code, stdout, stderr) = run(
        &[
            "link",
            "show",
            "--user",
            "alice",
            "--store-file",
            &store_file,
        ],
        &[("TGAUTH_STORE", "memory://")],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "tgauth link: TGAUTH_STORE and --store-file are both set; give the store URL one way\n"
    );

    let key = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../passport-crypto/tests/it/data/test-key-encrypted.pem");
    let password_file = file(directory.path(), "password", "test-password\n");
    let (code, stdout, stderr) = run(
        &["passport", "decrypt", "--key", key.to_str().unwrap(), "-"],
        &[
            ("TGAUTH_KEY_PASSWORD", "test-password"),
            ("TGAUTH_KEY_PASSWORD_FILE", &password_file),
        ],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "tgauth passport decrypt: TGAUTH_KEY_PASSWORD and TGAUTH_KEY_PASSWORD_FILE are both \
         set; give the key password one way\n"
    );
}

#[test]
fn the_store_url_comes_from_the_environment_or_a_file() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("links.db").display());
    let issue = [
        "link",
        "issue",
        "--user",
        "alice",
        "--bot",
        "TgAuth_Bot",
        "--now",
        "1000",
    ];
    let (code, stdout, stderr) = run(&issue, &[("TGAUTH_STORE", &url)]);
    assert_eq!(code, 0, "{stderr}");
    let issued: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let code_text = issued["code"].as_str().unwrap();
    let store_file = file(directory.path(), "store-url", &format!("{url}\r\n"));
    let consume = [
        "link",
        "consume",
        "--code",
        code_text,
        "--chat-id",
        "42",
        "--telegram-user-id",
        "42",
        "--now",
        "1000",
        "--store-file",
        &store_file,
    ];
    let (code, stdout, stderr) = run(&consume, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(r#""outcome":"new""#), "{stdout}");
    let (code, stdout, _) = run(
        &["link", "show", "--telegram-user-id", "42"],
        &[("TGAUTH_STORE_FILE", &store_file)],
    );
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(shown["links"][0]["user"], "alice");
    // The link is in the file the URL names (not in a default one every command fell back to).
    let (code, stdout, _) = run(&["link", "show", "--user", "alice", "--store", &url], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains(r#""telegram_user_id":42"#), "{stdout}");
}

#[test]
fn secrets_never_appear_in_any_output() {
    let directory = tempfile::tempdir().unwrap();
    let check = |args: &[&str], variables: &[(&str, &str)], expected_code: i32| {
        let (code, stdout, stderr) = run(args, variables);
        assert_eq!(code, expected_code, "{args:?}: {stderr}");
        for secret in [TOKEN_SECRET, STORE_PASSWORD] {
            assert!(!stdout.contains(secret), "{args:?}: {stdout}");
            assert!(!stderr.contains(secret), "{args:?}: {stderr}");
        }
    };

    // The token, valid or not, from each source, on success and on every kind of failure.
    let forged = DATA.replace("Ada", "Eve");
    let token_file = file(directory.path(), "token", TOKEN);
    let malformed = format!("123456:{TOKEN_SECRET} trailing");
    let malformed_file = file(directory.path(), "malformed", &malformed);
    for (flags, variables) in [
        (vec![], vec![("TGAUTH_BOT_TOKEN", TOKEN)]),
        (vec!["--bot-token-file", token_file.as_str()], vec![]),
        (vec!["--token", TOKEN], vec![]),
    ] {
        let mut args = vec!["login", "verify", "--now", "1700000010"];
        args.extend(&flags);
        check(&[&args[..], &[DATA]].concat(), &variables, 0);
        check(&[&args[..], &[forged.as_str()]].concat(), &variables, 1);
        check(
            &[&args[..], &["--max-age", "soon", DATA]].concat(),
            &variables,
            2,
        );
    }
    check(&VERIFY, &[("TGAUTH_BOT_TOKEN", &malformed)], 2);
    check(&VERIFY, &[("TGAUTH_BOT_TOKEN_FILE", &malformed_file)], 2);
    check(&["login", "verify", "--token", &malformed, DATA], &[], 2);

    // Store URLs with a password: down (69), malformed or of an unknown kind (2).
    for (url, expected_code) in [
        (
            format!("postgres://tgauth:{STORE_PASSWORD}@127.0.0.1:1/tgauth"),
            69,
        ),
        (format!("redis://:{STORE_PASSWORD}@127.0.0.1:1/"), 69),
        (
            format!("postgres://tgauth:{STORE_PASSWORD}@127.0.0.1:port/tgauth"),
            2,
        ),
        (format!("redis://:{STORE_PASSWORD}@127.0.0.1:port/"), 2),
        (
            format!("mysql://tgauth:{STORE_PASSWORD}@127.0.0.1/tgauth"),
            2,
        ),
        (format!("tgauth:{STORE_PASSWORD}@127.0.0.1"), 2),
    ] {
        let show = ["link", "show", "--user", "alice"];
        check(&show, &[("TGAUTH_STORE", &url)], expected_code);
        let store_file = file(directory.path(), "store", &url);
        check(
            &[&show[..], &["--store-file", &store_file]].concat(),
            &[],
            expected_code,
        );
        check(
            &[&show[..], &["--store", &url]].concat(),
            &[],
            expected_code,
        );
    }
}

#[test]
fn a_key_password_comes_from_a_file() {
    let directory = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../passport-crypto/tests/it/data");
    let key = data.join("test-key-encrypted.pem");
    let sample = data.join("sample-passport.json");
    let args = [
        "passport",
        "decrypt",
        "--key",
        key.to_str().unwrap(),
        sample.to_str().unwrap(),
    ];
    let (_, expected, _) = run(&args, &[("TGAUTH_KEY_PASSWORD", "test-password")]);
    assert!(expected.starts_with(r#"{"nonce":"#), "{expected}");
    let password_file = file(directory.path(), "password", "test-password\n");
    let (code, stdout, stderr) = run(&args, &[("TGAUTH_KEY_PASSWORD_FILE", &password_file)]);
    assert_eq!((code, stdout), (0, expected), "{stderr}");
}
