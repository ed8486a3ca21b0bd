//! Telegram Passport through the service: a request for a linked user, the person's answer from
//! the sandbox (sealed with the bot's key as the Telegram app does), the decrypted data and files
//! over the API with an audit log, refusals, errors sent back, erasure, and no plaintext at rest.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tgauth::sandbox::control::NewUser;
use tgauth::sandbox::passport::{PassportElementInput, PassportFileInput, PassportSubmission};

use super::support::{ADA, BOT, Running, client, eventually, on_every_database};

on_every_database!(
    received_data_is_erased_when_its_retention_ends,
    a_passport_is_received_read_audited_and_erased_and_never_stored_in_plaintext,
    incomplete_tampered_and_foreign_passports_are_refused_and_errors_can_be_sent,
    passport_requests_need_a_linked_user_and_a_valid_scope,
);

const DOCUMENT_NO: &str = "P7730021X";
const MALLORY: i64 = 1002;

fn scope() -> Value {
    json!({"v": 1, "data": ["personal_details", {"type": "passport", "selfie": true}]})
}

/// A scan whose bytes are recognisable (a JPEG would be; the test looks for them at rest).
fn scan(name: &str) -> PassportFileInput {
    PassportFileInput::new(format!("scan-of-{name}-").repeat(200).into_bytes())
}

fn element(kind: &str, data: Value, files: &[(&str, PassportFileInput)]) -> PassportElementInput {
    let mut element = json!({ "type": kind, "data": data });
    for (part, file) in files {
        element[part] = serde_json::to_value(file).unwrap();
    }
    serde_json::from_value(element).unwrap()
}

fn personal_details() -> PassportElementInput {
    element(
        "personal_details",
        json!({"first_name": "Augusta", "last_name": "Byron", "birth_date": "10.12.1815",
               "gender": "female", "country_code": "GB", "residence_country_code": "GB"}),
        &[],
    )
}

fn passport_document(selfie: Option<PassportFileInput>) -> PassportElementInput {
    let mut files = vec![("front_side", scan("front"))];
    if let Some(selfie) = selfie {
        files.push(("selfie", selfie));
    }
    element(
        "passport",
        json!({"document_no": DOCUMENT_NO, "expiry_date": "01.01.2040"}),
        &files,
    )
}

fn submission(user: i64, nonce: &str, elements: Vec<PassportElementInput>) -> PassportSubmission {
    serde_json::from_value(json!({
        "user_id": user,
        "nonce": nonce,
        "elements": serde_json::to_value(elements).unwrap(),
    }))
    .unwrap()
}

/// A linked Ada and a Passport request for her; `(id, nonce)`.
async fn requested(running: &Running) -> (String, String) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    let (status, request) = running
        .api(
            Method::POST,
            "/api/v1/passport/requests",
            Some(json!({"user": "alice", "scope": scope()})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let url = request["url"].as_str().unwrap();
    assert!(
        url.starts_with("tg://resolve?domain=telegrampassport&bot_id="),
        "{url}"
    );
    assert!(url.contains("&nonce="), "{url}");
    (
        request["id"].as_str().unwrap().to_owned(),
        request["nonce"].as_str().unwrap().to_owned(),
    )
}

/// The request's state once it is no longer pending.
async fn settled(running: &Running, id: &str) -> Value {
    let path = format!("/api/v1/passport/requests/{id}");
    for _ in 0..200 {
        let (status, body) = running.api(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["status"] != "pending" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the Passport request stayed pending");
}

/// Every byte under `directory`, file by file.
fn contents_under(directory: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(contents_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

async fn a_passport_is_received_read_audited_and_erased_and_never_stored_in_plaintext(
    running: Running,
) {
    let (id, nonce) = requested(&running).await;
    let (_, pending) = running
        .api(
            Method::GET,
            &format!("/api/v1/passport/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["elements"], json!([]));

    let selfie = scan("selfie");
    let documents = vec![personal_details(), passport_document(Some(selfie))];
    running
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let received = settled(&running, &id).await;
    assert_eq!(received["status"], "received", "{received}");
    assert_eq!(received["user"], "alice");
    let elements = received["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 2);
    assert_eq!(elements[0]["data"]["first_name"], "Augusta");
    assert_eq!(elements[1]["data"]["document_no"], DOCUMENT_NO);
    let files = received["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");

    // The files come back decrypted, byte for byte.
    let mut parts = Vec::new();
    for file in files {
        let response = client()
            .get(running.url(file["url"].as_str().unwrap()))
            .bearer_auth(&running.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let bytes = response.bytes().await.unwrap();
        let part = file["part"].as_str().unwrap();
        let expected = format!(
            "scan-of-{}-",
            if part == "selfie" { "selfie" } else { "front" }
        );
        assert_eq!(bytes.as_ref(), expected.repeat(200).as_bytes(), "{part}");
        parts.push(part.to_owned());
    }
    parts.sort();
    assert_eq!(parts, ["front_side", "selfie"]);

    // A copy of the data directory (database, WAL, sandbox state aside) reveals nothing.
    let data = running.data_dir().to_owned();
    for (path, bytes) in contents_under(&data) {
        if path
            .file_name()
            .is_some_and(|name| name == "sandbox-state.json")
        {
            continue;
        }
        for secret in [DOCUMENT_NO.as_bytes(), b"Augusta", b"scan-of-front"] {
            assert!(
                !bytes.windows(secret.len()).any(|window| window == secret),
                "{} holds {}",
                path.display(),
                String::from_utf8_lossy(secret)
            );
        }
    }

    // Every read was recorded; erasing removes data and files.
    let audit_path = format!("/api/v1/passport/requests/{id}/audit");
    let (_, audit) = running.api(Method::GET, &audit_path, None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|action| **action == "read").count(),
        1
    );
    assert_eq!(
        actions
            .iter()
            .filter(|action| action.starts_with("file "))
            .count(),
        2
    );
    assert!(
        audit["entries"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
    let (status, _) = running
        .api(
            Method::DELETE,
            &format!("/api/v1/passport/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, erased) = running
        .api(
            Method::GET,
            &format!("/api/v1/passport/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(erased["status"], "erased");
    assert_eq!(erased["elements"], json!([]));
    assert_eq!(erased["files"], json!([]));
    let response = client()
        .get(running.url(files[0]["url"].as_str().unwrap()))
        .bearer_auth(&running.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // A second answer to an answered request is not accepted.
    running
        .sandbox
        .submit_passport(
            BOT,
            submission(
                ADA,
                &nonce,
                vec![personal_details(), passport_document(Some(scan("x")))],
            ),
        )
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, still) = running
        .api(
            Method::GET,
            &format!("/api/v1/passport/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(still["status"], "erased");
    running.stop().await;
}

async fn incomplete_tampered_and_foreign_passports_are_refused_and_errors_can_be_sent(
    running: Running,
) {
    let (id, nonce) = requested(&running).await;

    // A foreign nonce (another service's, or forged) answers no request.
    running
        .sandbox
        .submit_passport(
            BOT,
            submission(
                ADA,
                "forged-nonce-0123456789abcdef",
                vec![personal_details()],
            ),
        )
        .unwrap();
    // Mallory, who was not asked, answers Ada's request: refused.
    running
        .sandbox
        .create_user(NewUser::new(MALLORY, "Mallory"))
        .unwrap();
    running
        .sandbox
        .submit_passport(BOT, submission(MALLORY, &nonce, vec![personal_details()]))
        .unwrap();
    // Ada leaves the passport out: refused with what is missing.
    running
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, vec![personal_details()]))
        .unwrap();
    let rejected = settled(&running, &id).await;
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(rejected["missing"], json!([["passport"]]));
    assert_eq!(rejected["elements"], json!([]));

    // A broken selfie: the person is asked to send it again; the request stays open for it.
    let documents = vec![
        personal_details(),
        passport_document(Some(PassportFileInput::broken(b"selfie".repeat(300)))),
    ];
    running
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let sandbox = &running.sandbox;
    eventually(|| !sandbox.passport_errors(BOT).unwrap().is_empty()).await;
    let sent = sandbox.passport_errors(BOT).unwrap();
    assert_eq!(sent[0].errors[0]["source"], "selfie");

    // Then a complete answer is received.
    let documents = vec![personal_details(), passport_document(Some(scan("selfie")))];
    running
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let mut received = Value::Null;
    for _ in 0..200 {
        let (_, body) = running
            .api(
                Method::GET,
                &format!("/api/v1/passport/requests/{id}"),
                None,
            )
            .await;
        if body["status"] == "received" {
            received = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(received["status"], "received");

    // The website sends a typed error back (the element's hash from the received data).
    let errors_path = format!("/api/v1/passport/requests/{id}/errors");
    let (status, body) = running
        .api(
            Method::POST,
            &errors_path,
            Some(json!({"errors": [{"bogus": true}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_errors");
    // The received data carries the hashes that name an element's data and each file.
    let passport = &received["elements"][1];
    let data_hash = passport["data_hash"].as_str().unwrap().to_owned();
    let selfie = received["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["part"] == "selfie")
        .unwrap();
    let file_hash = selfie["file_hash"].as_str().unwrap().to_owned();
    assert_eq!(passport["selfie"]["file_hash"], file_hash.as_str());
    assert!(passport["hash"].is_string());
    let (status, body) = running
        .api(
            Method::POST,
            &errors_path,
            Some(json!({"errors": [
                {"source": "data", "type": "passport", "field_name": "document_no",
                 "data_hash": data_hash, "message": "The number is unreadable"},
                {"source": "selfie", "type": "passport", "file_hash": file_hash,
                 "message": "Your face is not visible"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sent"], 2);
    let sent = sandbox.passport_errors(BOT).unwrap();
    let errors = &sent.last().unwrap().errors;
    assert_eq!(errors[0]["field_name"], "document_no");
    assert_eq!(errors[0]["data_hash"], data_hash.as_str());
    assert_eq!(errors[1]["file_hash"], file_hash.as_str());
    running.stop().await;
}

async fn passport_requests_need_a_linked_user_and_a_valid_scope(running: Running) {
    let post = |body: Value| running.api(Method::POST, "/api/v1/passport/requests", Some(body));
    let (status, body) = post(json!({"user": "nobody", "scope": scope()})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_linked");
    for scope in [
        json!({"v": 1, "data": []}),
        json!("passport"),
        json!({"v": 1, "data": ["nonsense"]}),
    ] {
        let (status, body) = post(json!({"user": "nobody", "scope": scope})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_scope");
    }
    let (status, _) = running
        .api(Method::GET, "/api/v1/passport/requests/unknown", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    running.stop().await;
}

async fn received_data_is_erased_when_its_retention_ends(running: Running) {
    const KEEP_AN_HOUR: &str = "passport_retention_seconds = 3600\n";
    let running = running.restart_with(KEEP_AN_HOUR).await;
    let (id, nonce) = requested(&running).await;
    let documents = vec![personal_details(), passport_document(Some(scan("selfie")))];
    running
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    assert_eq!(settled(&running, &id).await["status"], "received");
    // Before the hour ends the data stays; after it, the service's housekeeping (which runs
    // when it starts and every minute) erases it.
    running.clock.advance(1_800);
    let running = running.restart_with(KEEP_AN_HOUR).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, kept) = running
        .api(
            Method::GET,
            &format!("/api/v1/passport/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(kept["status"], "received");
    running.clock.advance(3_600);
    let running = running.restart_with(KEEP_AN_HOUR).await;
    let path = format!("/api/v1/passport/requests/{id}");
    let mut erased = Value::Null;
    for _ in 0..200 {
        erased = running.api(Method::GET, &path, None).await.1;
        if erased["status"] == "erased" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(erased["status"], "erased", "{erased}");
    assert_eq!(erased["elements"], json!([]));
    let (_, audit) = running
        .api(Method::GET, &format!("{path}/audit"), None)
        .await;
    // Entries of one second sort by their random ids: a read in the same second as the
    // erasure (the poll above) may come after it in the list.
    let erasures: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "erased")
        .collect();
    assert_eq!(erasures.len(), 1, "{audit}");
    assert_eq!(erasures[0]["actor"], "retention");
    running.stop().await;
}
