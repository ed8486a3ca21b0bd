//! `tgauth link ...` against a real SQLite file in a temporary directory.

use std::process::Output;

use serde_json::Value;
use tgauth::link::code::LinkCode;
use tgauth::link::store::{SqliteStore, Store};
use tgauth::link::{AccountId, TelegramIdentity};
use tgauth::{ChatId, UnixTime, UserId};

struct Db {
    dir: tempfile::TempDir,
}

impl Db {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("links.db").display())
    }

    fn run(&self, args: &[&str]) -> (i32, Value, String) {
        let output: Output = crate::tgauth()
            .arg("link")
            .args(args)
            .args(["--store", &self.url()])
            .output()
            .expect("tgauth runs");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        (
            output.status.code().unwrap_or(-1),
            json,
            String::from_utf8(output.stderr).unwrap(),
        )
    }

    fn issue(&self, user: &str, now: i64) -> String {
        let (code, json, stderr) = self.run(&[
            "issue",
            "--user",
            user,
            "--bot",
            "@TgAuth_Bot",
            "--now",
            &now.to_string(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        json["code"].as_str().unwrap().to_owned()
    }

    fn consume(&self, code: &str, telegram_user: i64, extra: &[&str]) -> (i32, Value) {
        let id = telegram_user.to_string();
        let mut args = vec![
            "consume",
            "--code",
            code,
            "--chat-id",
            &id,
            "--telegram-user-id",
            &id,
            "--now",
            "1000",
        ];
        args.extend_from_slice(extra);
        let (status, json, _) = self.run(&args);
        (status, json)
    }
}

#[test]
fn issue_prints_code_url_and_expiry() {
    let db = Db::new();
    let (status, json, stderr) = db.run(&[
        "issue",
        "--user",
        "alice",
        "--bot",
        "TgAuth_Bot",
        "--ttl",
        "60",
        "--now",
        "1000",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let code = json["code"].as_str().unwrap();
    assert!(LinkCode::parse(code).is_some(), "{code}");
    assert_eq!(json["url"], format!("https://t.me/TgAuth_Bot?start={code}"));
    assert_eq!(json["expires_at"], 1060);
    assert!(db.dir.path().join("links.db").exists());
    // The store keeps only the hash: the code's text is nowhere in the database files.
    for entry in std::fs::read_dir(db.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()));
    }
}

#[test]
fn consume_links_once() {
    let db = Db::new();
    let code = db.issue("alice", 1000);
    let (status, json) = db.consume(&code, 42, &[]);
    assert_eq!(status, 0, "{json}");
    assert_eq!(json["user"], "alice");
    assert_eq!(json["outcome"], "new");
    // The same chat again (a redelivered /start): still linked, not an error.
    let (status, json) = db.consume(&code, 42, &[]);
    assert_eq!(
        (status, json["outcome"].as_str()),
        (0, Some("already_linked"))
    );
    let (status, json) = db.consume(&code, 43, &[]);
    assert_eq!(
        (status, json),
        (1, serde_json::json!({"error": "already_used"}))
    );
    let (status, json, _) = db.run(&["show", "--user", "alice"]);
    assert_eq!(status, 0);
    assert_eq!(json["links"][0]["telegram_user_id"], 42);
    assert_eq!(json["links"][0]["chat_id"], 42);
    let (_, json, _) = db.run(&["show", "--telegram-user-id", "42"]);
    assert_eq!(json["links"][0]["user"], "alice");
}

#[test]
fn consume_errors() {
    let db = Db::new();
    let code = db.issue("alice", 1000);
    // Issued at -3000 with the default hour, it expired at 600; consume runs at 1000.
    let late = db.issue("alice", -3000);
    let (status, json) = db.consume(&late, 42, &[]);
    assert_eq!((status, json), (1, serde_json::json!({"error": "expired"})));
    let (status, json) = db.consume(&"A".repeat(32), 42, &[]);
    assert_eq!((status, json), (1, serde_json::json!({"error": "unknown"})));
    let (status, json) = db.consume("not-a-code", 42, &[]);
    assert_eq!((status, json), (1, serde_json::json!({"error": "unknown"})));
    // A chat id that is not the user's private chat is refused before the store.
    let (status, _, stderr) = db.run(&[
        "consume",
        "--code",
        &code,
        "--chat-id",
        "-100",
        "--telegram-user-id",
        "42",
    ]);
    assert_eq!(status, 2, "{stderr}");
}

#[test]
fn conflict_rejects_by_default_and_moves_on_request() {
    let db = Db::new();
    let first = db.issue("alice", 1000);
    assert_eq!(db.consume(&first, 42, &[]).0, 0);
    let second = db.issue("bob", 1000);
    let (status, json) = db.consume(&second, 42, &[]);
    assert_eq!(
        (status, json),
        (1, serde_json::json!({"error": "conflict"}))
    );
    let (status, json) = db.consume(&second, 42, &["--on-conflict", "move"]);
    assert_eq!(
        (status, json["outcome"].as_str(), json["user"].as_str()),
        (0, Some("moved"), Some("bob"))
    );
    let (_, json, _) = db.run(&["show", "--user", "alice"]);
    assert_eq!(json["links"], serde_json::json!([]));
}

/// Runs `work` on the test's SQLite store, opened directly.
fn with_store<T>(db: &Db, work: impl AsyncFnOnce(&SqliteStore) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&db.url()).await.unwrap();
        let result = work(&store).await;
        store.close().await;
        result
    })
}

/// `consume` stands in for the person in Telegram, not for the website's logged-in owner:
/// under deeplink-auth's safe default (bot and website confirmation) the link it commits is
/// not website-confirmed, so no login link is signed for it.
#[test]
fn consume_commits_as_the_chat_not_as_the_website() {
    let db = Db::new();
    let code = db.issue("alice", 1000);
    assert_eq!(db.consume(&code, 42, &[]).0, 0);
    let links = with_store(&db, async |store: &SqliteStore| {
        store
            .links_of_account(&AccountId::new("alice").unwrap())
            .await
            .unwrap()
    });
    assert_eq!(links.len(), 1);
    assert!(!links[0].website_confirmed, "{links:?}");
    assert!(links[0].is_active(), "{links:?}");
}

/// A code the chat that claimed it declined in the bot is dead: `declined` for that chat,
/// `already_used` for anyone else.
#[test]
fn a_declined_code_is_refused() {
    let db = Db::new();
    let code = db.issue("alice", 1000);
    let parsed = LinkCode::parse(&code).unwrap();
    with_store(&db, async |store: &SqliteStore| {
        let who = TelegramIdentity::new(UserId(42), ChatId(42)).unwrap();
        store.decline(&parsed, who, UnixTime(1000)).await.unwrap();
    });
    let (status, json) = db.consume(&code, 42, &[]);
    assert_eq!(
        (status, json),
        (1, serde_json::json!({"error": "declined"}))
    );
    let (status, json) = db.consume(&code, 43, &[]);
    assert_eq!(
        (status, json),
        (1, serde_json::json!({"error": "already_used"}))
    );
}

#[test]
fn a_code_starting_with_a_hyphen_is_a_value() {
    let db = Db::new();
    let text = format!("-AbC{}", "x".repeat(28));
    let code = LinkCode::parse(&text).unwrap();
    with_store(&db, async |store: &SqliteStore| {
        store
            .insert_code(
                &code.hash(),
                &AccountId::new("carol").unwrap(),
                UnixTime(5000),
                UnixTime(1000),
            )
            .await
            .unwrap();
    });
    let (status, json) = db.consume(&text, 42, &[]);
    assert_eq!((status, json["user"].as_str()), (0, Some("carol")));
}

#[test]
fn unlink_by_either_side() {
    let db = Db::new();
    for id in [42, 43] {
        let code = db.issue("alice", 1000);
        assert_eq!(db.consume(&code, id, &[]).0, 0);
    }
    let (status, json, _) = db.run(&["unlink", "--telegram-user-id", "42"]);
    assert_eq!((status, json), (0, serde_json::json!({"unlinked": 1})));
    let (status, json, _) = db.run(&["unlink", "--user", "alice"]);
    assert_eq!((status, json), (0, serde_json::json!({"unlinked": 1})));
    let (_, json, _) = db.run(&["show", "--user", "alice"]);
    assert_eq!(json["links"], serde_json::json!([]));
    let (status, _, _) = db.run(&["show"]);
    assert_eq!(
        status, 2,
        "one of --user and --telegram-user-id is required"
    );
}

#[test]
fn bad_input_and_an_unusable_sqlite_path_exit_2() {
    let db = Db::new();
    let (status, _, stderr) = db.run(&["issue", "--user", "alice", "--bot", "not a bot"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("bot username"), "{stderr}");
    let output = crate::tgauth()
        .args([
            "link",
            "show",
            "--user",
            "a",
            "--store",
            "sqlite:///nonexistent-dir-for-tgauth/x.db",
        ])
        .output()
        .unwrap();
    // A file that cannot be created is the setting's fault, not a store that is down.
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sqlite store"));
}

#[test]
fn qr_prints_and_writes_png() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("link.png");
    let output = crate::tgauth()
        .args(["link", "qr", "https://t.me/TgAuth_Bot?start=abc"])
        .args(["--png", png.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let art = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = art.lines().collect();
    // A square: two module rows per line, and a quiet zone of 4 modules around a version 1+
    // symbol (21 modules and up, odd).
    let side = lines[0].chars().count();
    assert!(side >= 29 && side % 2 == 1, "{art}");
    assert!(
        lines.iter().all(|line| line.chars().count() == side),
        "{art}"
    );
    assert_eq!(lines.len(), side.div_ceil(2), "{art}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR width and height: 8 pixels per module.
    let pixels = u32::try_from(side * 8).unwrap().to_be_bytes();
    assert_eq!(&bytes[16..20], &pixels);
    assert_eq!(&bytes[20..24], &pixels);

    // Both drawings hold exactly the symbol of the URL, dark on light, inside a 4-module quiet
    // zone: the text (light modules drawn as ink for a dark terminal, two rows per line) and
    // the PNG (sampled at the centre of each 8x8 module).
    let expected = expected_modules("https://t.me/TgAuth_Bot?start=abc");
    assert_eq!(expected.len(), side);
    let grid: Vec<Vec<char>> = lines.iter().map(|line| line.chars().collect()).collect();
    for (y, row) in expected.iter().enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            let (top, bottom) = match grid[y / 2][x] {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?}"),
            };
            let ink = if y % 2 == 0 { top } else { bottom };
            assert_eq!(ink, !dark, "text module ({x}, {y})");
        }
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut image = vec![0_u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut image).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let width = usize::try_from(info.width).unwrap();
    for (y, row) in expected.iter().enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            let pixel = image[(y * 8 + 4) * width + x * 8 + 4];
            assert_eq!(pixel, if dark { 0 } else { 255 }, "png module ({x}, {y})");
        }
    }
}

/// The URL's QR symbol as rows of dark modules, with the 4-module quiet zone around it.
fn expected_modules(url: &str) -> Vec<Vec<bool>> {
    let code = qrcode::QrCode::new(url.as_bytes()).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 8;
    (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    (4..width + 4).contains(&x)
                        && (4..width + 4).contains(&y)
                        && colors[(y - 4) * width + (x - 4)] == qrcode::Color::Dark
                })
                .collect()
        })
        .collect()
}

/// A store that is down exits 69 (sysexits' EX_UNAVAILABLE: try again later), not 2 (fix the
/// command), and reads as one clear line: the driver's cause once, not repeated by each error
/// in the chain that both prints its source and returns it from `source()`. Nothing listens on
/// port 1.
#[test]
fn an_unreachable_store_exits_69_with_one_line_naming_the_cause() {
    for (url, backend) in [
        ("redis://127.0.0.1:1/", "redis store is unavailable"),
        (
            "postgres://tgauth@127.0.0.1:1/tgauth",
            "postgres store is unavailable",
        ),
    ] {
        for command in [
            &["show", "--user", "x"][..],
            &["unlink", "--telegram-user-id", "42"],
            &["issue", "--user", "x", "--bot", "TgAuth_Bot"],
            &[
                "consume",
                "--code",
                &"A".repeat(32),
                "--chat-id",
                "42",
                "--telegram-user-id",
                "42",
            ],
        ] {
            let output = crate::tgauth()
                .arg("link")
                .args(command)
                .args(["--store", url])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(69), "{url} {command:?}");
            // No verdict on a code: nothing on stdout.
            assert!(output.stdout.is_empty(), "{url} {command:?}");
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            let line = stderr.trim_end();
            assert!(
                line.starts_with(&format!("tgauth link: {backend}: ")),
                "{line}"
            );
            assert!(line.contains("refused"), "the cause is named: {line}");
            let parts: Vec<&str> = line.split(": ").collect();
            let unique: std::collections::HashSet<&&str> = parts.iter().collect();
            assert_eq!(unique.len(), parts.len(), "a repeated cause: {line}");
        }
    }
}

/// The link commands on the scaled-out stores, the URL given through `TGAUTH_STORE` as a
/// deployment would. The servers are shared: the names are this process's own, and the test
/// clears them first.
#[test]
fn link_commands_on_postgres_and_redis() {
    for (variable, test) in [
        ("TGAUTH_TEST_POSTGRES_URL", "link_commands_on_postgres"),
        ("TGAUTH_TEST_REDIS_URL", "link_commands_on_redis"),
    ] {
        let Some(url) = tgauth_tests::service_url(variable, test) else {
            continue;
        };
        let run = |args: &[&str]| -> (i32, Value) {
            let output = crate::tgauth()
                .arg("link")
                .args(args)
                .env("TGAUTH_STORE", &url)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8(output.stdout).unwrap();
            let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
            let code = output.status.code().unwrap();
            assert!(code == 0 || code == 1, "{test} {args:?}: {code} {stderr}");
            (code, json)
        };
        let account = format!("tgauth-cli-{}", std::process::id());
        let telegram = (8_000_000_000 + i64::from(std::process::id())).to_string();
        let other = (9_000_000_000 + i64::from(std::process::id())).to_string();
        run(&["unlink", "--user", &account]);
        run(&["unlink", "--telegram-user-id", &telegram]);

        let (_, issued) = run(&[
            "issue",
            "--user",
            &account,
            "--bot",
            "TgAuth_Bot",
            "--now",
            "1000",
        ]);
        let code = issued["code"].as_str().unwrap();
        let consume = |who: &str| {
            run(&[
                "consume",
                "--code",
                code,
                "--chat-id",
                who,
                "--telegram-user-id",
                who,
                "--now",
                "1000",
            ])
        };
        let (status, linked) = consume(&telegram);
        assert_eq!(
            (status, linked["outcome"].as_str(), linked["user"].as_str()),
            (0, Some("new"), Some(account.as_str())),
            "{test}"
        );
        let (status, again) = consume(&telegram);
        assert_eq!(
            (status, again["outcome"].as_str()),
            (0, Some("already_linked"))
        );
        assert_eq!(
            consume(&other),
            (1, serde_json::json!({"error": "already_used"})),
            "{test}"
        );
        let (_, shown) = run(&["show", "--user", &account]);
        assert_eq!(
            shown["links"][0]["telegram_user_id"].to_string(),
            telegram,
            "{test}"
        );
        let (_, shown) = run(&["show", "--telegram-user-id", &telegram]);
        assert_eq!(shown["links"][0]["user"], account.as_str(), "{test}");
        assert_eq!(
            run(&["unlink", "--user", &account]),
            (0, serde_json::json!({"unlinked": 1})),
            "{test}"
        );
        assert_eq!(
            run(&["show", "--user", &account]),
            (0, serde_json::json!({"links": []})),
            "{test}"
        );
    }
}
