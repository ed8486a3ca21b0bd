//! `tgauth keygen` and `tgauth passport decrypt|request-url` on passport-crypto's generated
//! sample passport (sealed to its committed test-only key): outputs, files and exit codes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use sha2::{Digest as _, Sha256};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../passport-crypto/tests/it/data")
        .join(name)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn tgauth(args: &[&str], stdin: Option<&str>) -> Output {
    tgauth_with_password(args, stdin, None)
}

fn tgauth_with_password(args: &[&str], stdin: Option<&str>, password: Option<&str>) -> Output {
    let mut command = crate::tgauth();
    if let Some(password) = password {
        command.env("TGAUTH_KEY_PASSWORD", password);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs tgauth and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    run_with_stdin(args, None)
}

fn run_with_stdin(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let output = tgauth(args, stdin);
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn decrypt(extra: &[&str]) -> (i32, String, String) {
    let key = data("test-key.pem");
    let mut args = vec!["passport", "decrypt", "--key", arg(&key)];
    args.extend_from_slice(extra);
    run(&args)
}

fn sample() -> String {
    data("sample-passport.json").to_str().unwrap().to_owned()
}

/// The contents the fixture generator sealed for file number `n`.
fn sample_contents(what: &str, n: usize, size: usize) -> Vec<u8> {
    format!("sample {what} scan #{n}\n")
        .bytes()
        .cycle()
        .take(size)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn decrypt_prints_every_element_in_order() {
    let (code, stdout, stderr) = decrypt(&["--expect-nonce", "sample-nonce-2026", &sample()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with(r#"{"nonce":"sample-nonce-2026","elements":[{"type":"personal_details","data":{"first_name":"Ada","#));
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let types: Vec<&str> = output["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|element| element["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "personal_details",
            "passport",
            "driver_license",
            "identity_card",
            "internal_passport",
            "address",
            "utility_bill",
            "bank_statement",
            "rental_agreement",
            "passport_registration",
            "temporary_registration",
            "phone_number",
            "email",
        ]
    );
    let passport = &output["elements"][1];
    assert_eq!(
        passport["data"],
        serde_json::json!({"document_no": "P0001815", "expiry_date": "10.12.2035"})
    );
    assert_eq!(
        passport["front_side"],
        serde_json::json!({
            "file_id": "sample-file-01", "file_unique_id": "sample-unique-01",
            "file_size": 1600, "file_date": 1795219200
        })
    );
    assert_eq!(output["elements"][11]["phone_number"], "441234567890");
    assert_eq!(output["elements"][12]["email"], "ada@example.com");
    assert!(output.get("scope_errors").is_none());
}

#[test]
fn decrypt_accepts_message_update_and_stdin() {
    let message: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample()).unwrap()).unwrap();
    let (_, expected, _) = decrypt(&[&sample()]);
    let update = serde_json::json!({"update_id": 5, "message": message}).to_string();
    let bare = message["passport_data"].to_string();
    let key = data("test-key.pem");
    for input in [update, bare, message.to_string()] {
        for path in [vec!["-"], vec![]] {
            let mut args = vec!["passport", "decrypt", "--key", arg(&key)];
            args.extend(path);
            let (code, stdout, stderr) = run_with_stdin(&args, Some(&input));
            assert_eq!((code, stdout.as_str()), (0, expected.as_str()), "{stderr}");
        }
    }
}

#[test]
fn decrypt_files_hashes_and_saves_them() {
    let save = tempfile::tempdir().unwrap();
    let files = data("sample-files");
    let (code, stdout, stderr) = decrypt(&[
        "--files",
        arg(&files),
        "--save",
        arg(save.path()),
        &sample(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let front = &output["elements"][1]["front_side"];
    let expected = sample_contents("passport front side", 1, 1500);
    assert_eq!(front["sha256"], hex(&Sha256::digest(&expected)));
    assert_eq!(front["size"], 1500);
    let saved = save.path().join("sample-unique-01");
    assert_eq!(front["saved_as"], saved.to_str().unwrap());
    assert_eq!(std::fs::read(&saved).unwrap(), expected);
    // The empty reverse side of the driver licence decrypts to nothing.
    let reverse = &output["elements"][2]["reverse_side"];
    assert_eq!(reverse["size"], 0);
    assert_eq!(reverse["sha256"], hex(&Sha256::digest(b"")));
    let translation = &output["elements"][6]["translation"][0];
    assert_eq!(translation["size"], 400);
    assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 15);
}

#[test]
fn rejected_passports_exit_one_with_one_line() {
    let wrong_key = data("test-key-4096.pem");
    let sample = sample();
    let (code, stdout, stderr) = run(&["passport", "decrypt", "--key", arg(&wrong_key), &sample]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "tgauth passport decrypt: credentials could not be decrypted\n"
    );

    let (code, _, stderr) = decrypt(&["--expect-nonce", "another-nonce", &sample]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "tgauth passport decrypt: passport nonce does not match the expected nonce\n"
    );

    // A tampered download names the file.
    let files = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data("sample-files")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), files.path().join(entry.file_name())).unwrap();
    }
    let target = files.path().join("sample-file-06");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&target, bytes).unwrap();
    let (code, stdout, stderr) = decrypt(&["--files", arg(files.path()), &sample]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "tgauth passport decrypt: identity_card front_side: hash of the decrypted data does not \
         match its credentials\n"
    );
}

#[test]
fn scope_errors_are_bot_api_objects() {
    let scope = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        scope.path(),
        r#"{"data":[{"type":"driver_license","selfie":true},"address"],"v":1}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = decrypt(&[
        "--scope",
        arg(scope.path()),
        "--now",
        "1795219200",
        &sample(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let element_hash = output["elements"][2].get("hash").cloned();
    assert_eq!(
        element_hash, None,
        "element hashes are not part of the output"
    );
    let errors = output["scope_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["source"], "unspecified");
    assert_eq!(
        errors[0]["message"],
        "a selfie with the document is required"
    );
    assert_eq!(errors[1]["source"], "data");
    assert_eq!(errors[1]["field_name"], "expiry_date");
    assert_eq!(errors[1]["message"], "the document has expired");
    assert_eq!(output["scope_missing"], serde_json::json!([]));
}

#[test]
fn usage_errors_exit_two() {
    let sample = sample();
    for args in [
        vec![
            "passport",
            "decrypt",
            "--key",
            "/nonexistent/key.pem",
            sample.as_str(),
        ],
        vec!["passport", "decrypt", "--key", &sample, sample.as_str()],
        vec!["passport", "decrypt"],
        vec![
            "passport",
            "decrypt",
            "--key",
            arg(&data("test-key.pem")),
            "--files",
            "/nonexistent/downloads",
            sample.as_str(),
        ],
    ] {
        let (code, stdout, _) = run(&args);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}");
    }
    let key = data("test-key.pem");
    for input in [
        "not json",
        r#"{"hello":1}"#,
        r#"{"data":[],"credentials":1}"#,
    ] {
        let (code, _, stderr) = run_with_stdin(
            &["passport", "decrypt", "--key", arg(&key), "-"],
            Some(input),
        );
        assert_eq!(code, 2, "{input}: {stderr}");
        assert_eq!(stderr.lines().count(), 1);
    }
}

#[test]
fn keygen_writes_a_private_key_once() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("bot.pem");
    let (code, stdout, stderr) = run(&["keygen", "--out", arg(&out)]);
    assert_eq!(code, 0, "{stderr}");
    let public_pem = stdout
        .split_inclusive("-----END PUBLIC KEY-----\n")
        .next()
        .unwrap();
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(stdout.contains("/setpublickey") && stdout.contains("/setprivacypolicy"));
    let key = tgauth::passport::key::PrivateKey::from_pem(&std::fs::read_to_string(&out).unwrap())
        .unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.public_key().to_pem(), public_pem);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(&out).unwrap();
    let (code, stdout, stderr) = run(&["keygen", "--out", arg(&out)]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("exists; pass --force"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let (code, _, stderr) = run(&["keygen", "--out", arg(&out), "--force", "--bits", "3072"]);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(std::fs::read(&out).unwrap(), before);
    let (code, _, _) = run(&["keygen", "--out", arg(&out), "--force", "--bits", "1024"]);
    assert_eq!(code, 2);
}

#[test]
fn request_url_is_the_sdk_link() {
    let public = data("test-key.pub.pem");
    let (code, stdout, stderr) = run(&[
        "passport",
        "request-url",
        "--bot-id",
        "543260180",
        "--scope",
        r#"{"data":["phone_number"],"v":1}"#,
        "--public-key",
        arg(&public),
        "--nonce",
        "b8e892dc2e0afe63424d101b964f1256",
        "--callback-url",
        "https://example.com/done",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with(
        "tg://resolve?domain=telegrampassport&bot_id=543260180\
         &scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22pn%22%5D%7D\
         &public_key=-----BEGIN%20PUBLIC%20KEY-----%0AMIIBIjAN"
    ));
    assert!(stdout.ends_with(
        "&nonce=b8e892dc2e0afe63424d101b964f1256\
         &callback_url=https%3A%2F%2Fexample.com%2Fdone&payload=nonce\n"
    ));
    let (code, stdout, _) = run(&[
        "passport",
        "request-url",
        "--bot-id",
        "1",
        "--scope",
        r#"{"data":["email"],"v":1}"#,
        "--public-key",
        arg(&public),
        "--nonce",
        "short",
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""));
}

/// python-telegram-bot's real passport (a real Telegram client, 2018) with its published test
/// key, in passport-crypto's copy of the vector file.
fn ptb_vector() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data("ptb-passport.json")).unwrap()).unwrap()
}

#[test]
fn the_real_ptb_passport_decrypts_to_its_known_values() {
    let vector = ptb_vector();
    let key = tempfile::NamedTempFile::new().unwrap();
    // The key keeps the CRLF line endings it was published with.
    std::fs::write(key.path(), vector["private_key_pem"].as_str().unwrap()).unwrap();
    let update = serde_json::json!({
        "update_id": 1,
        "message": {"message_id": 2, "date": 1534074942, "chat": {"id": 3, "type": "private"},
                    "passport_data": vector["passport_data"]},
    });
    let decrypt_update = |nonce: &str| {
        run_with_stdin(
            &[
                "passport",
                "decrypt",
                "--key",
                arg(key.path()),
                "--expect-nonce",
                nonce,
                "-",
            ],
            Some(&update.to_string()),
        )
    };
    let (code, stdout, stderr) = decrypt_update("thisisatest");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!((stdout.lines().count(), stderr.as_str()), (1, ""));
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["nonce"], "thisisatest");
    let elements = output["elements"].as_array().unwrap();
    let expected = vector["expected"]["elements"].as_array().unwrap();
    assert_eq!(elements.len(), expected.len());
    let sent = vector["passport_data"]["data"].as_array().unwrap();
    for ((element, expected), sent) in elements.iter().zip(expected).zip(sent) {
        assert_eq!(element["type"], expected["type"]);
        // The decrypted data exactly as the client sent it, every field.
        assert_eq!(
            element.get("data"),
            expected.get("data"),
            "{}",
            element["type"]
        );
        assert_eq!(element.get("email"), expected.get("email"));
        // Files are the Bot API's descriptions, unchanged, and nothing else without --files.
        for part in [
            "front_side",
            "reverse_side",
            "selfie",
            "files",
            "translation",
        ] {
            assert_eq!(
                element.get(part),
                sent.get(part),
                "{} {part}",
                element["type"]
            );
        }
        let keys: Vec<&String> = element.as_object().unwrap().keys().collect();
        assert!(
            keys.iter().all(|key| [
                "type",
                "data",
                "phone_number",
                "email",
                "front_side",
                "reverse_side",
                "selfie",
                "files",
                "translation"
            ]
            .contains(&key.as_str())),
            "{keys:?}"
        );
    }
    // No secret of the credentials, and not the key, reaches the output.
    let secret =
        &vector["expected"]["credentials"]["secure_data"]["personal_details"]["data"]["secret"];
    assert!(!stdout.contains(secret.as_str().unwrap()));
    assert!(!stdout.contains("PRIVATE KEY"));

    // The same passport with another nonce expected is rejected.
    let (code, stdout, stderr) = decrypt_update("thisisanothertest");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Runs `decrypt --files --save` on the sample with `from` replaced by `to` in the input.
fn save_with_replaced(from: &str, to: &str, save: &Path) -> (i32, String, String) {
    let message = std::fs::read_to_string(sample()).unwrap().replace(from, to);
    let files = data("sample-files");
    let key = data("test-key.pem");
    run_with_stdin(
        &[
            "passport",
            "decrypt",
            "--key",
            arg(&key),
            "--files",
            arg(&files),
            "--save",
            arg(save),
            "-",
        ],
        Some(&message),
    )
}

#[test]
fn save_refuses_names_that_leave_the_directory() {
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("stolen");
    let absolute = absolute.to_str().unwrap().replace('\\', "\\\\");
    for name in [
        "../escape",
        "..",
        ".",
        ".hidden",
        "a/b",
        "a\\\\b",
        "",
        absolute.as_str(),
    ] {
        let save = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) =
            save_with_replaced("\"sample-unique-01\"", &format!("\"{name}\""), save.path());
        assert_eq!((code, stdout.as_str()), (1, ""), "{name}");
        assert_eq!(
            stderr,
            "tgauth passport decrypt: passport front_side: file_unique_id is not a plain file \
             name\n",
            "{name}"
        );
        assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 0, "{name}");
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_rejected_passport_saves_no_file() {
    // The fifteenth and last file has a bad name: the fourteen verified before it must not
    // stay behind, neither under their names nor as partial files.
    let save = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        save_with_replaced("\"sample-unique-15\"", "\"../late\"", save.path());
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("temporary_registration files[0]"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 0);

    // Two files under one name would overwrite each other: refused, nothing saved.
    let (code, stdout, stderr) =
        save_with_replaced("\"sample-unique-12\"", "\"sample-unique-09\"", save.path());
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert_eq!(
        stderr,
        "tgauth passport decrypt: bank_statement files[0]: file_unique_id sample-unique-09 is \
         shared with another file\n"
    );
    assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn saved_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let save = tempfile::tempdir().unwrap();
    let (code, _, stderr) = save_with_replaced("", "", save.path());
    assert_eq!(code, 0, "{stderr}");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(save.path()).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        names.push(entry.file_name().into_string().unwrap());
    }
    names.sort();
    let expected: Vec<String> = (1..=15).map(|n| format!("sample-unique-{n:02}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn stderr_stays_one_line_whatever_the_input() {
    let sample = sample();
    let (code, _, stderr) = run(&[
        "passport",
        "decrypt",
        "--key",
        "/nonexistent/two\nlines.pem",
        &sample,
    ]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("two\\nlines.pem"), "{stderr}");
}

#[test]
fn request_url_reads_the_scope_from_a_file_and_validates_it() {
    let public = data("test-key.pub.pem");
    let scope = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        scope.path(),
        r#"{"data":[{"one_of":["passport","identity_card"],"selfie":true},"address"],"v":1}"#,
    )
    .unwrap();
    let request = |scope: &str| {
        run(&[
            "passport",
            "request-url",
            "--bot-id",
            "543260180",
            "--scope",
            scope,
            "--public-key",
            arg(&public),
            "--nonce",
            "b8e892dc2e0afe63424d101b964f1256",
        ])
    };
    let (code, stdout, stderr) = request(arg(scope.path()));
    assert_eq!(code, 0, "{stderr}");
    // {"v":1,"d":[{"_":["pp","ic"],"s":1},"ad"]}
    assert!(
        stdout.contains(
            "&scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%7B%22_%22%3A%5B%22pp%22%2C%22ic%22%5D%2C%22s\
             %22%3A1%7D%2C%22ad%22%5D%7D&public_key="
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("&payload=nonce\n"));
    assert!(!stdout.contains("callback_url"));

    // A selfie on an address document breaks the spec's rules: a usage error.
    let (code, stdout, stderr) =
        request(r#"{"data":[{"type":"utility_bill","selfie":true}],"v":1}"#);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "tgauth passport request-url: scope element 0: a selfie can only be requested with an \
         identity document, not `utility_bill`\n"
    );
}

#[cfg(unix)]
#[test]
fn keygen_force_replaces_a_readable_file_with_a_private_one() {
    use std::os::unix::fs::PermissionsExt as _;
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("old.pem");
    std::fs::write(&out, "old key").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, stdout, stderr) = run(&["keygen", "--out", arg(&out), "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("PRIVATE KEY"));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    // Nothing else is left in the directory (no temporary file).
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
}

#[test]
fn an_encrypted_key_takes_its_password_from_the_environment() {
    let key = data("test-key-encrypted.pem");
    let sample = sample();
    let args = ["passport", "decrypt", "--key", arg(&key), &sample];
    let (_, expected, _) = decrypt(&[&sample]);
    let output = tgauth_with_password(&args, None, Some("test-password"));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);

    for (password, reason) in [
        (None, "the private key is encrypted; a password is required"),
        (
            Some("wrong-password"),
            "the private key could not be decrypted with this password (or its scheme is \
             unsupported)",
        ),
    ] {
        let output = tgauth_with_password(&args, None, password);
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            stderr,
            format!("tgauth passport decrypt: {}: {reason}\n", key.display())
        );
    }
}

#[test]
fn the_real_passport_against_a_scope() {
    let vector = ptb_vector();
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), vector["private_key_pem"].as_str().unwrap()).unwrap();
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), vector["passport_data"].to_string()).unwrap();
    let scope = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        scope.path(),
        r#"{"data":[{"type":"personal_details","native_names":true},"driver_license","passport",
                    {"type":"utility_bill","translation":true},"address","email"],"v":1}"#,
    )
    .unwrap();
    // 2026-11-21: the driver licence expired on 01.01.2001.
    let (code, stdout, stderr) = run(&[
        "passport",
        "decrypt",
        "--key",
        arg(key.path()),
        "--scope",
        arg(scope.path()),
        "--now",
        "1795219200",
        arg(input.path()),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let data_hash =
        &vector["expected"]["credentials"]["secure_data"]["driver_license"]["data"]["data_hash"];
    assert_eq!(
        output["scope_errors"],
        serde_json::json!([{
            "source": "data",
            "type": "driver_license",
            "field_name": "expiry_date",
            "data_hash": data_hash,
            "message": "the document has expired",
        }])
    );
    // The passport was requested but not sent: no PassportElementError can name it.
    assert_eq!(output["scope_missing"], serde_json::json!([["passport"]]));
}

#[test]
fn a_rejection_says_why_without_quoting_the_data() {
    use rand_chacha::rand_core::SeedableRng as _;
    use tgauth::passport::key::PublicKey;
    use tgauth::passport::seal::{ElementToSeal, seal};
    use tgauth::passport::types::element::ElementType;

    // A client that sends a number as the document number: the data decrypts and verifies, but
    // is not the JSON the spec describes.
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(data("test-key.pub.pem")).unwrap()).unwrap();
    let mut element = ElementToSeal::new(ElementType::Passport);
    element.data = Some(br#"{"document_no": 918273645}"#.to_vec());
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let sealed = seal(&public, "sealed-nonce", &[element], &mut rng).unwrap();
    let input = serde_json::to_string(&sealed.passport_data).unwrap();
    let key = data("test-key.pem");
    let (code, stdout, stderr) = run_with_stdin(
        &["passport", "decrypt", "--key", arg(&key), "-"],
        Some(&input),
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "tgauth passport decrypt: passport data decrypted but could not be read: passport data \
         is not valid: invalid type: integer, expected a string at line 1 column 25\n"
    );
    assert!(!stderr.contains("918273645"));
}

/// A file already in the save directory under a `file_unique_id` is the user's, perhaps from an
/// earlier run: it is never replaced. The refusal names it, exits 2 (the passport is fine; the
/// directory chosen holds the name) and comes before anything is written.
#[test]
fn save_refuses_to_replace_an_existing_file() {
    let save = tempfile::tempdir().unwrap();
    let existing = save.path().join("sample-unique-07");
    std::fs::write(&existing, "precious").unwrap();
    let (code, stdout, stderr) = save_with_replaced("", "", save.path());
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "tgauth passport decrypt: {} exists; refusing to replace it (save into another \
             directory, or move the file)\n",
            existing.display()
        )
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    // Nothing else was written: no other file, no partial file.
    let names: Vec<_> = std::fs::read_dir(save.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["sample-unique-07"]);

    // A dangling symbolic link holds the name as well: a write through it would land outside.
    #[cfg(unix)]
    {
        let save = tempfile::tempdir().unwrap();
        let link = save.path().join("sample-unique-15");
        std::os::unix::fs::symlink(save.path().join("missing"), &link).unwrap();
        let (code, stdout, stderr) = save_with_replaced("", "", save.path());
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        assert!(stderr.contains("sample-unique-15 exists"), "{stderr}");
        assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 1);
        assert!(!save.path().join("missing").exists());
    }

    // Saving into a directory of another passport's files works, and a second run of the same
    // passport into it is refused without touching the first run's files.
    let save = tempfile::tempdir().unwrap();
    let (code, _, stderr) = save_with_replaced("", "", save.path());
    assert_eq!(code, 0, "{stderr}");
    let before: Vec<Vec<u8>> = (1..=15)
        .map(|n| std::fs::read(save.path().join(format!("sample-unique-{n:02}"))).unwrap())
        .collect();
    let (code, _, stderr) = save_with_replaced("", "", save.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sample-unique-01 exists"), "{stderr}");
    let after: Vec<Vec<u8>> = (1..=15)
        .map(|n| std::fs::read(save.path().join(format!("sample-unique-{n:02}"))).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(std::fs::read_dir(save.path()).unwrap().count(), 15);
}
