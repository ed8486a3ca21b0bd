//! File downloads: streamed to any `AsyncWrite`, an idle timeout rather than a total one, the
//! size limit, and local-mode absolute paths.

use crate::stub::{Reply, Stub};
use bot_api_client::Error;
use bot_api_client::error::TransportKind;
use bot_api_client::types::File;
use serde_json::json;
use std::time::Duration;

fn file(path: &str, size: Option<u64>) -> File {
    File {
        file_id: "BQAC".into(),
        file_unique_id: "AgAD".into(),
        file_size: size,
        file_path: Some(path.into()),
    }
}

#[tokio::test]
async fn get_file_then_download() {
    let stub = Stub::start().await;
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    stub.script([
        Reply::ok(json!({"file_id": "BQAC", "file_unique_id": "AgAD", "file_size": content.len(), "file_path": "passport/file_1.jpg"})),
        Reply::Raw(200, "application/octet-stream", content.clone()),
    ]);
    let mut out = Vec::new();
    let written = stub
        .client()
        .download_file_by_id("BQAC", &mut out)
        .await
        .unwrap();
    assert_eq!(written, content.len() as u64);
    assert_eq!(out, content);
    let requests = stub.requests();
    assert_eq!(requests[0].method, "getFile");
    assert_eq!(requests[0].body, json!({"file_id": "BQAC"}));
    assert_eq!(
        requests[1].path,
        format!("/file/bot{}/passport/file_1.jpg", crate::stub::CANARY)
    );
}

#[tokio::test]
async fn download_into_a_file() {
    let stub = Stub::start().await;
    stub.script([Reply::Raw(
        200,
        "application/octet-stream",
        b"hello".to_vec(),
    )]);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("out");
    let mut target = tokio::fs::File::create(&path).await.unwrap();
    stub.client()
        .download_file(&file("a", None), &mut target)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
}

#[tokio::test]
async fn size_limit() {
    let stub = Stub::start().await;
    let client = stub.client_builder().download_limit(4).build().unwrap();
    // Announced by getFile: refused before any request.
    let error = client
        .download_file(&file("a", Some(5)), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::FileTooLarge {
                limit: 4,
                size: Some(5)
            }
        ),
        "{error:?}"
    );
    assert!(stub.requests().is_empty());
    // Announced by Content-Length.
    stub.script([Reply::Raw(200, "application/octet-stream", vec![0; 5])]);
    let error = client
        .download_file(&file("a", None), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::FileTooLarge { limit: 4, .. }),
        "{error:?}"
    );
    // At exactly the limit it passes.
    stub.script([Reply::Raw(200, "application/octet-stream", vec![0; 4])]);
    assert_eq!(
        client
            .download_file(&file("a", None), &mut Vec::new())
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        bot_api_client::Client::DEFAULT_DOWNLOAD_LIMIT,
        20 * 1024 * 1024
    );
}

#[tokio::test]
async fn idle_timeout_not_total_timeout() {
    let stub = Stub::start().await;
    let client = stub
        .client_builder()
        .download_idle_timeout(Duration::from_millis(1000))
        .build()
        .unwrap();
    // A body that trickles in for twice the idle timeout in total, never pausing that long (a
    // pause is a fortieth of the timeout, so a loaded machine does not turn it into a stall).
    let chunks: Vec<Vec<u8>> = (0..80u8).map(|i| vec![i; 16]).collect();
    stub.script([Reply::Trickle {
        chunks: chunks.clone(),
        pause: Duration::from_millis(25),
    }]);
    let mut out = Vec::new();
    client
        .download_file(&file("a", None), &mut out)
        .await
        .unwrap();
    assert_eq!(out, chunks.concat());
    // A body that stops arriving.
    stub.script([Reply::Stall {
        length: 10,
        sent: vec![1, 2, 3],
    }]);
    let mut out = Vec::new();
    let error = client
        .download_file(&file("a", None), &mut out)
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Timeout),
        "{error:?}"
    );
    assert_eq!(
        out,
        [1, 2, 3],
        "what arrived was streamed out before the stall"
    );
}

#[tokio::test]
async fn api_error_on_download() {
    let stub = Stub::start().await;
    stub.script([Reply::error(404, "Not Found: file expired", None)]);
    let error = stub
        .client()
        .download_file(&file("a", None), &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(error.api().unwrap().description, "Not Found: file expired");
    stub.script([Reply::Raw(502, "text/html", b"<html>".to_vec())]);
    let error = stub
        .client()
        .download_file(&file("a", None), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: 502, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn local_mode_reads_absolute_paths() {
    let directory = tempfile::tempdir().unwrap();
    // A local server keeps the bot's files under <dir>/<token>/.
    let bot_directory = directory.path().join(crate::stub::CANARY);
    let path = bot_directory.join("documents").join("file_3.pdf");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"%PDF-1.7 local").unwrap();
    let stub = Stub::start().await;
    let local = stub
        .client_builder()
        .local_mode(true)
        .download_limit(100)
        .build()
        .unwrap();
    let mut out = Vec::new();
    local
        .download_file(&file(path.to_str().unwrap(), None), &mut out)
        .await
        .unwrap();
    assert_eq!(out, b"%PDF-1.7 local");
    assert!(stub.requests().is_empty(), "nothing went over HTTP");
    let small = stub
        .client_builder()
        .local_mode(true)
        .download_limit(3)
        .build()
        .unwrap();
    let error = small
        .download_file(&file(path.to_str().unwrap(), None), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::FileTooLarge {
                limit: 3,
                size: None
            }
        ),
        "{error:?}"
    );
    // Paths outside the bot's directory are refused, without quoting them.
    let outside = directory.path().join("other.txt");
    std::fs::write(&outside, b"not the bot's").unwrap();
    let escaping = format!("{}/../other.txt", bot_directory.display());
    for refused in [outside.to_str().unwrap(), escaping.as_str()] {
        let mut out = Vec::new();
        let error = local
            .download_file(&file(refused, None), &mut out)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::LocalPathRefused { .. }), "{error:?}");
        crate::stub::assert_error_clean(&error);
        assert!(out.is_empty());
    }
    // Without local mode an absolute path is a server path, fetched over HTTP.
    stub.script([Reply::Raw(
        200,
        "application/octet-stream",
        b"remote".to_vec(),
    )]);
    let mut out = Vec::new();
    stub.client()
        .download_file(&file("/abs/x", None), &mut out)
        .await
        .unwrap();
    assert_eq!(out, b"remote");
}

#[tokio::test]
async fn size_limit_holds_when_the_length_is_missing_or_lies() {
    let stub = Stub::start().await;
    let client = stub.client_builder().download_limit(4).build().unwrap();
    // getFile announced 3 bytes and the answer has no Content-Length; 10 bytes arrive.
    stub.script([Reply::Unsized(vec![7; 10])]);
    let mut out = Vec::new();
    let error = client
        .download_file(&file("a", Some(3)), &mut out)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::FileTooLarge {
                limit: 4,
                size: None
            }
        ),
        "{error:?}"
    );
    assert!(out.len() <= 4, "never more than the limit is written");
    // The same without a limit problem streams until the connection closes.
    stub.script([Reply::Unsized(vec![7; 4])]);
    let mut out = Vec::new();
    assert_eq!(
        client
            .download_file(&file("a", None), &mut out)
            .await
            .unwrap(),
        4
    );
    assert_eq!(out, [7; 4]);
}

#[tokio::test]
async fn an_endless_error_page_is_read_only_up_to_a_bound() {
    let stub = Stub::start().await;
    stub.script([Reply::Raw(502, "text/html", vec![b'x'; 1024 * 1024])]);
    let error = stub
        .client()
        .download_file(&file("a", None), &mut Vec::new())
        .await
        .unwrap_err();
    let Error::Decode { status, body, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(status, 502);
    assert_eq!(body.len(), 64 * 1024);
}
