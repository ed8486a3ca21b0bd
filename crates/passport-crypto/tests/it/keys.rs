//! Key loading (PKCS#1, CRLF, PKCS#8, encrypted PKCS#8), size limits, export and redaction.

use passport_crypto::key::{KeySize, PrivateKey, PublicKey};
use passport_crypto::{Backend, KeyError};

use crate::common::{ptb, read_text, test_key};

fn load_formats(backend: Backend) {
    let reference = test_key(backend);
    let expected_public = read_text("test-key.pub.pem");
    for name in ["test-key.pem", "test-key-crlf.pem", "test-key-pkcs8.pem"] {
        let key = PrivateKey::from_pem_with(&read_text(name), None, backend).unwrap();
        assert_eq!(key.bits(), 2048, "{name}");
        assert_eq!(key.backend(), backend);
        assert_eq!(key.public_key().to_pem(), expected_public, "{name}");
        assert_eq!(*key.to_pkcs8_der(), *reference.to_pkcs8_der(), "{name}");
    }
    // PKCS#1 wrapped into PKCS#8 and written as PEM is what `openssl pkcs8 -topk8 -nocrypt`
    // wrote for the same key (the committed file, from its BEGIN line on).
    let pkcs8 = read_text("test-key-pkcs8.pem");
    let openssl = &pkcs8[pkcs8.find("-----BEGIN").unwrap()..];
    assert_eq!(reference.to_pkcs8_pem().unwrap().as_str(), openssl);
    let encrypted = read_text("test-key-encrypted.pem");
    let key = PrivateKey::from_pem_with(&encrypted, Some(b"test-password"), backend).unwrap();
    assert_eq!(key.public_key().to_pem(), expected_public);
    assert!(matches!(
        PrivateKey::from_pem_with(&encrypted, Some(b"wrong"), backend),
        Err(KeyError::Password)
    ));
    assert!(matches!(
        PrivateKey::from_pem_with(&encrypted, None, backend),
        Err(KeyError::PasswordRequired)
    ));
}

fn public_key_export_matches_openssl(backend: Backend) {
    let key = PrivateKey::from_pem_with(&read_text("test-key-4096.pem"), None, backend).unwrap();
    assert_eq!(key.bits(), 4096);
    assert_eq!(
        key.public_key().to_pem(),
        read_text("test-key-4096.pub.pem")
    );
    let ptb_key =
        PrivateKey::from_pem_with(ptb()["private_key_pem"].as_str().unwrap(), None, backend)
            .unwrap();
    assert_eq!(
        ptb_key.public_key().to_pem(),
        ptb()["public_key_pem_derived"].as_str().unwrap()
    );
    let parsed = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
    assert_eq!(&parsed, key.public_key());
}

fn small_keys_rejected(backend: Backend) {
    let small = PrivateKey::from_pem_with(&read_text("small-key-1024.pem"), None, backend);
    assert!(
        matches!(small, Err(KeyError::TooSmall { bits: 1024 })),
        "{small:?}"
    );
    let wrong = ptb()["wrong_key_pem"].as_str().unwrap();
    let wrong = PrivateKey::from_pem_with(wrong, None, backend);
    assert!(
        matches!(wrong, Err(KeyError::TooSmall { bits: 512 })),
        "{wrong:?}"
    );
}

fn generate_and_reload(backend: Backend) {
    let key = PrivateKey::generate_with(KeySize::Rsa2048, backend).unwrap();
    assert_eq!(key.bits(), 2048);
    let reloaded = PrivateKey::from_pem_with(&key.to_pkcs8_pem().unwrap(), None, backend).unwrap();
    assert_eq!(reloaded.public_key(), key.public_key());
}

per_backend!(
    load_formats,
    public_key_export_matches_openssl,
    small_keys_rejected,
    generate_and_reload,
);

#[test]
fn debug_is_redacted() {
    let key = test_key(Backend::default());
    // The whole Debug output, so that no field holding key material can be added unnoticed.
    assert_eq!(
        format!("{key:?}"),
        format!(
            "PrivateKey {{ bits: 2048, backend: {:?}, key: \"<redacted>\" }}",
            key.backend()
        )
    );
    assert_eq!(
        format!("{:?}", key.public_key()),
        "PublicKey { bits: 2048, .. }"
    );

    // Decrypted credentials and opened passports hold file and data secrets: none shows.
    let ptb_key = crate::common::ptb_key(Backend::default());
    let passport = crate::common::ptb_passport();
    let credentials =
        passport_crypto::open::open_credentials(&ptb_key, &passport.credentials).unwrap();
    let opened = passport_crypto::open::open(&ptb_key, &passport).unwrap();
    let debug = format!("{credentials:?}\n{opened:?}");
    let json = serde_json::to_value(&credentials).unwrap();
    let mut secrets = Vec::new();
    collect_secrets(&json, &mut secrets);
    assert!(secrets.len() >= 5, "the vector's secrets were found");
    for secret in secrets {
        assert!(!debug.contains(&secret), "secret {secret} in Debug output");
    }
}

/// Every `secret` string in a JSON value.
fn collect_secrets(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, value) in map {
                match value.as_str() {
                    Some(text) if name == "secret" => out.push(text.to_owned()),
                    _ => collect_secrets(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_secrets(item, out);
            }
        }
        _ => {}
    }
}

/// Layouts the key loader accepts besides OpenSSL's own: other line widths, one body line,
/// indented lines (a key pasted into a config file), trailing spaces, blank lines, and text
/// after the block.
#[test]
fn other_pem_layouts_load() {
    let reference = test_key(Backend::default());
    let pem = read_text("test-key.pem");
    let body: String = pem
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    let wrap = |width: usize| {
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(width)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        lines.join("\n")
    };
    let block = |body: &str| {
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n")
    };
    let indented: String = block(&wrap(64))
        .lines()
        .map(|line| format!("    {line}  \n"))
        .collect();
    for (case, text) in [
        ("76 columns", block(&wrap(76))),
        ("one line", block(&body)),
        (
            "uneven lines",
            block(&format!(
                "{}\n{}\n{}",
                &body[..10],
                &body[10..90],
                &body[90..]
            )),
        ),
        ("indented, trailing spaces", indented),
        ("blank lines", block(&format!("\n{}\n\n", wrap(64)))),
        (
            "text after the block",
            format!("{}\nsubject=CN=test\n", block(&wrap(64))),
        ),
    ] {
        let key = PrivateKey::from_pem(&text).unwrap_or_else(|error| panic!("{case}: {error}"));
        assert_eq!(key.public_key(), reference.public_key(), "{case}");
    }
    let public = read_text("test-key.pub.pem");
    let indented: String = public.lines().map(|line| format!("  {line}\r\n")).collect();
    assert_eq!(
        &PublicKey::from_pem(&indented).unwrap(),
        reference.public_key()
    );
}

#[test]
fn invalid_pem_is_a_typed_error() {
    for (text, expected) in [
        ("", "key is not valid PEM: no `-----BEGIN` line"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
            "key is not valid PEM: no matching `-----END` line",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\n!!!\n-----END RSA PRIVATE KEY-----\n",
            "key is not valid PEM: the body is not valid base64",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            "key is not a valid RSA PKCS#1 key",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "unsupported PEM block `CERTIFICATE`: expected `RSA PRIVATE KEY`, `PRIVATE KEY` or \
             `ENCRYPTED PRIVATE KEY`",
        ),
        ("Invalid key!", "key is not valid PEM: no `-----BEGIN` line"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "key is not valid PEM: no matching `-----END` line",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----\n",
            "key is not valid PEM: the block is empty",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nComment: x\nAAAA\n-----END PRIVATE KEY-----\n",
            "key is not valid PEM: the block has `Name: value` header lines, which key PEM does \
             not use",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "key is not a valid RSA PKCS#8 key",
        ),
    ] {
        let error = PrivateKey::from_pem(text).unwrap_err();
        assert_eq!(error.to_string(), expected);
    }
}

#[test]
fn key_sizes() {
    assert_eq!(KeySize::from_bits(3072), Some(KeySize::Rsa3072));
    assert_eq!(KeySize::from_bits(1024), None);
    assert_eq!(KeySize::Rsa4096.bits(), 4096);
}
