//! Passport submissions: sealed to the bot's key, opened with passport-crypto like a bot would,
//! files downloaded through getFile and decrypted.

use passport_crypto::{
    key::{KeySize, PrivateKey},
    open::open,
};
use passport_types::{decrypted::ElementData, element::ElementType, received::PassportData};
use reqwest::Method;
use serde_json::json;
use telegram_sandbox::{
    control::NewBot,
    passport::{PassportElementInput, PassportFileInput, PassportSubmission},
};

use crate::common::{Fixture, USER, guard, json_of};

const PASSPORT_BOT: &str = "passport_test_bot";
const PASSPORT_TOKEN: &str = "777:AAPassportTestBot_0123456789abcdefg";

async fn fixture_with_key() -> (Fixture, PrivateKey) {
    let fixture = Fixture::start().await;
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let bot = NewBot {
        passport_public_key_pem: Some(key.public_key().to_pem()),
        ..NewBot::new(PASSPORT_TOKEN, PASSPORT_BOT)
    };
    fixture.sandbox.create_bot(bot).unwrap();
    (fixture, key)
}

/// Submits a passport through the control API; returns the `passport_data` the bot receives.
async fn submit_over_http(fixture: &Fixture, submission: serde_json::Value) -> PassportData {
    let path = format!("bots/{PASSPORT_BOT}/passport");
    let (status, body) = fixture.control(Method::POST, &path, Some(submission)).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body["result"]["message"]["passport_data"].clone()).unwrap()
}

/// The bot's side of a download: `getFile`'s answer, then the bytes at its path.
async fn download(fixture: &Fixture, file_id: &str) -> (serde_json::Value, Vec<u8>) {
    let url = format!("{}/getFile", fixture.sandbox.bot_api_url(PASSPORT_TOKEN));
    let request = fixture.http.post(url).json(&json!({"file_id": file_id}));
    let file = json_of(request).await["result"].clone();
    let path = file["file_path"].as_str().unwrap();
    let url = format!("{}/{path}", fixture.sandbox.file_url(PASSPORT_TOKEN));
    let response = guard(fixture.http.get(url).send()).await.unwrap();
    (file, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn submitted_passport_data_opens_with_the_bot_key_and_its_files_download() {
    let (fixture, key) = fixture_with_key().await;
    let scan = b"\xff\xd8\xff\xe0 a passport scan".to_vec();
    let submission = PassportSubmission {
        user_id: USER,
        nonce: "nonce-42".to_owned(),
        elements: vec![
            PassportElementInput {
                kind: "personal_details".to_owned(),
                data: Some(json!({"first_name": "Ada", "last_name": "Lovelace",
                    "birth_date": "10.12.1815", "gender": "female",
                    "country_code": "GB", "residence_country_code": "GB"})),
                ..PassportElementInput::default()
            },
            PassportElementInput {
                kind: "passport".to_owned(),
                data: Some(json!({"document_no": "P123", "expiry_date": ""})),
                front_side: Some(PassportFileInput::new(scan.clone())),
                ..PassportElementInput::default()
            },
            PassportElementInput {
                kind: "email".to_owned(),
                email: Some("ada@example.com".to_owned()),
                ..PassportElementInput::default()
            },
        ],
    };
    let update = fixture
        .sandbox
        .submit_passport(PASSPORT_BOT, submission)
        .unwrap();

    // The bot's side: getUpdates, open, download and decrypt the scan.
    let url = |method: &str| format!("{}/{method}", fixture.sandbox.bot_api_url(PASSPORT_TOKEN));
    let body = json_of(fixture.http.get(url("getUpdates"))).await;
    let message = &body["result"][0]["message"];
    assert_eq!(body["result"][0]["update_id"], update.update_id);
    assert_eq!(message["from"]["id"], USER.get());
    let data: PassportData = serde_json::from_value(message["passport_data"].clone()).unwrap();
    let opened = open(&key, &data).unwrap();
    opened.check_nonce("nonce-42").unwrap();
    let Some(ElementData::PersonalDetails(details)) =
        &opened.element(&ElementType::PersonalDetails).unwrap().data
    else {
        panic!("personal_details did not open to personal details");
    };
    assert_eq!(
        (details.first_name.as_str(), details.last_name.as_str()),
        ("Ada", "Lovelace")
    );
    assert_eq!(
        opened
            .element(&ElementType::Email)
            .unwrap()
            .email
            .as_deref(),
        Some("ada@example.com")
    );

    let front = opened
        .element(&ElementType::Passport)
        .unwrap()
        .front_side
        .clone()
        .unwrap();
    let (file, ciphertext) = download(&fixture, &front.file.file_id).await;
    let path = file["file_path"].as_str().unwrap();
    assert!(path.starts_with("passport/"), "{path}");
    assert_ne!(ciphertext.as_slice(), scan.as_slice());
    assert_eq!(front.decrypt_vec(ciphertext.to_vec()).unwrap(), scan);
}

#[tokio::test]
async fn submissions_are_refused_without_a_key_or_with_an_unknown_type() {
    let (fixture, _key) = fixture_with_key().await;
    let path = format!("bots/{PASSPORT_BOT}/passport");
    let (status, body) = fixture
        .control(
            Method::POST,
            &path,
            Some(json!({"user_id": USER, "nonce": "n", "elements": [{"type": "ufo"}]})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["description"],
        "invalid request: unknown element type \"ufo\""
    );
    let (status, body) = fixture
        .control(
            Method::POST,
            &format!("bots/{}/passport", crate::common::BOT),
            Some(json!({"user_id": USER, "nonce": "n", "elements": []})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "invalid request: the bot has no passport_public_key_pem"
    );
    let bad = json!({"token": "778:AABadKeyBot_0123456789abcdefghijklm", "username": "bad_key_bot", "passport_public_key_pem": "not a key"});
    let (status, _) = fixture.control(Method::POST, "bots", Some(bad)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn submissions_arrive_over_http_with_base64_files() {
    let (fixture, key) = fixture_with_key().await;
    let submission = json!({"user_id": USER, "nonce": "n-http", "elements": [
        {"type": "utility_bill", "files": [{"contents": "aGVsbG8="}, {"contents": "d29ybGQ="}]}
    ]});
    let data = submit_over_http(&fixture, submission).await;
    let opened = open(&key, &data).unwrap();
    assert_eq!(opened.nonce, "n-http");
    let files = opened
        .element(&ElementType::UtilityBill)
        .unwrap()
        .files
        .clone()
        .unwrap();
    assert_eq!(files.len(), 2);
}

#[tokio::test]
async fn a_realistic_scan_of_several_megabytes_is_accepted_over_http() {
    use base64::Engine as _;
    let (fixture, key) = fixture_with_key().await;
    // 3 MB of scan is 4 MB of base64: over axum's 2 MB default body limit.
    let scan: Vec<u8> = (0..3 * 1024 * 1024_u32)
        .map(|i| i.to_le_bytes()[0] ^ 0x5a)
        .collect();
    let contents = base64::engine::general_purpose::STANDARD.encode(&scan);
    let submission = json!({"user_id": USER, "nonce": "n-big", "elements": [
        {"type": "passport", "data": {"document_no": "P1", "expiry_date": ""},
         "front_side": {"contents": contents}}
    ]});
    let data = submit_over_http(&fixture, submission).await;
    let front = open(&key, &data)
        .unwrap()
        .element(&ElementType::Passport)
        .unwrap()
        .front_side
        .clone()
        .unwrap();
    let (_, ciphertext) = download(&fixture, &front.file.file_id).await;
    assert_eq!(front.decrypt_vec(ciphertext).unwrap(), scan);
}

#[tokio::test]
async fn a_broken_file_fails_its_hash_check_after_download() {
    let (fixture, key) = fixture_with_key().await;
    let submission = json!({"user_id": USER, "nonce": "n-broken", "elements": [
        {"type": "utility_bill", "files": [
            {"contents": "aGVsbG8="},
            {"contents": "d29ybGQ=", "broken": true},
        ]}
    ]});
    let data = submit_over_http(&fixture, submission).await;
    // The credentials open as sealed; only the download of the broken file does not verify.
    let opened = open(&key, &data).unwrap();
    let files = opened
        .element(&ElementType::UtilityBill)
        .unwrap()
        .files
        .clone()
        .unwrap();
    let mut outcomes = Vec::new();
    for file in &files {
        let (answer, ciphertext) = download(&fixture, &file.file.file_id).await;
        assert_eq!(
            answer["file_size"], file.file.file_size,
            "the broken file keeps its size"
        );
        outcomes.push(file.decrypt_vec(ciphertext));
    }
    assert_eq!(outcomes[0].as_deref().unwrap(), b"hello");
    assert!(
        matches!(
            outcomes[1],
            Err(passport_crypto::Error::HashMismatch { .. })
        ),
        "{:?}",
        outcomes[1]
    );
}

#[test]
fn passport_inputs_keep_their_contents_out_of_debug() {
    let element = PassportElementInput {
        kind: "passport".to_owned(),
        data: Some(json!({"document_no": "SECRET-NUMBER"})),
        email: Some("secret@example.com".to_owned()),
        front_side: Some(PassportFileInput::broken(b"SECRET-SCAN".to_vec())),
        ..PassportElementInput::default()
    };
    let shown = format!("{element:?}");
    for secret in [
        "SECRET-NUMBER",
        "secret@example.com",
        "SECRET-SCAN",
        "83, 69",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("passport") && shown.contains("broken: true"),
        "{shown}"
    );
}
