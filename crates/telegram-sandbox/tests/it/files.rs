//! getFile, downloads, path expiry and the 20 MB limit.

use serde_json::json;

use crate::common::{BOT, Fixture, TOKEN, answer, assert_error, guard};

const MB: usize = 1024 * 1024;

async fn download(fixture: &Fixture, path: &str) -> reqwest::Response {
    let url = format!("{}/{path}", fixture.sandbox.file_url(TOKEN));
    guard(fixture.http.get(url).send()).await.unwrap()
}

#[tokio::test]
async fn get_file_gives_a_path_that_downloads_the_bytes() {
    let fixture = Fixture::start().await;
    let bytes: Vec<u8> = (0..=255).cycle().take(100_000).collect();
    let document = fixture
        .sandbox
        .add_file(BOT, bytes.clone(), Some("scan.pdf"))
        .unwrap();
    let (status, body) = fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    assert_eq!(status, 200, "{body}");
    let file = &body["result"];
    assert_eq!(file["file_id"], document.file_id.as_str());
    assert_eq!(file["file_unique_id"], document.file_unique_id.as_str());
    assert_eq!(file["file_size"], 100_000);
    let path = file["file_path"].as_str().unwrap();
    assert!(path.ends_with(".pdf"), "{path}");
    let response = download(&fixture, path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), bytes);
}

#[tokio::test]
async fn files_are_uploaded_through_the_control_api() {
    let fixture = Fixture::start().await;
    let url = format!(
        "{}/sandbox/bots/{BOT}/files?file_name=a.txt&mime_type=text/plain",
        fixture.sandbox.base_url()
    );
    let (status, body) = answer(
        guard(
            fixture
                .http
                .post(url)
                .header("content-type", "application/octet-stream")
                .body("hello")
                .send(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["file_size"], 5);
    assert_eq!(body["result"]["mime_type"], "text/plain");
    let (_, file) = fixture
        .call("getFile", json!({"file_id": body["result"]["file_id"]}))
        .await;
    let response = download(&fixture, file["result"]["file_path"].as_str().unwrap()).await;
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn a_file_path_is_valid_for_one_hour() {
    let fixture = Fixture::start().await;
    let document = fixture.sandbox.add_file(BOT, &b"data"[..], None).unwrap();
    let (_, body) = fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    let path = body["result"]["file_path"].as_str().unwrap().to_owned();
    fixture.clock.advance(3599);
    assert_eq!(download(&fixture, &path).await.status(), 200);
    fixture.clock.advance(1);
    let (status, body) = answer(download(&fixture, &path).await).await;
    assert_error(status, &body, 404, "Not Found");
    // A new getFile renews the path.
    fixture
        .call("getFile", json!({"file_id": document.file_id}))
        .await;
    assert_eq!(download(&fixture, &path).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_path_or_file_id_is_refused() {
    let fixture = Fixture::start().await;
    let (status, body) = answer(download(&fixture, "documents/file_1.pdf").await).await;
    assert_error(status, &body, 404, "Not Found");
    let (status, body) = fixture.call("getFile", json!({"file_id": "nope"})).await;
    assert_error(status, &body, 400, "Bad Request: invalid file_id");
    let url = format!(
        "{}/file/bot1:wrong/documents/file_1",
        fixture.sandbox.base_url()
    );
    let (status, body) = answer(guard(fixture.http.get(url).send()).await.unwrap()).await;
    assert_error(status, &body, 401, "Unauthorized");
}

#[tokio::test]
async fn files_over_20_mb_cannot_be_fetched() {
    let fixture = Fixture::start().await;
    let at_limit = fixture
        .sandbox
        .add_file(BOT, vec![7u8; 20 * MB], None)
        .unwrap();
    let over = fixture
        .sandbox
        .add_file(BOT, vec![7u8; 20 * MB + 1], None)
        .unwrap();
    let (status, body) = fixture
        .call("getFile", json!({"file_id": at_limit.file_id}))
        .await;
    assert_eq!(status, 200, "{body}");
    let response = download(&fixture, body["result"]["file_path"].as_str().unwrap()).await;
    assert_eq!(response.bytes().await.unwrap().len(), 20 * MB);
    let (status, body) = fixture
        .call("getFile", json!({"file_id": over.file_id}))
        .await;
    assert_error(status, &body, 400, "Bad Request: file is too big");
}
