//! Telegram's errors kept losslessly and classified; decode errors carry the raw body.

use crate::stub::{Reply, Stub};
use bot_api_client::error::{ApiError, ApiErrorKind, TransportKind};
use bot_api_client::tgauth_core::{BotId, ChatId, UserId};
use bot_api_client::{Client, Error};
use serde_json::json;

fn api(code: i64, parameters: Option<serde_json::Value>) -> ApiError {
    ApiError::new(code, "d", parameters)
}

#[test]
fn classification() {
    let check =
        |code, parameters, expected| assert_eq!(api(code, parameters).kind(), expected, "{code}");
    check(
        429,
        Some(json!({"retry_after": 3})),
        ApiErrorKind::RetryAfter,
    );
    check(
        400,
        Some(json!({"migrate_to_chat_id": -1001})),
        ApiErrorKind::Migrated,
    );
    check(401, None, ApiErrorKind::Unauthorized);
    check(403, None, ApiErrorKind::Forbidden);
    check(409, None, ApiErrorKind::Conflict);
    check(404, None, ApiErrorKind::NotFound);
    check(400, None, ApiErrorKind::BadRequest);
    check(500, None, ApiErrorKind::ServerError);
    check(502, None, ApiErrorKind::ServerError);
    check(418, None, ApiErrorKind::Other);
    // An edit that changes nothing: told apart by its description, in any case.
    let not_modified = |code, description| ApiError::new(code, description, None);
    for (code, description, expected) in [
        (
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            true,
        ),
        (400, "Bad Request: MESSAGE IS NOT MODIFIED", true),
        (400, "Bad Request: message to edit not found", false),
        (403, "Forbidden: message is not modified", false),
    ] {
        let error = not_modified(code, description);
        assert_eq!(error.is_not_modified(), expected, "{description}");
        let kind = if expected {
            ApiErrorKind::NotModified
        } else {
            api(code, None).kind()
        };
        assert_eq!(error.kind(), kind, "{description}");
    }
}

#[tokio::test]
async fn api_errors_are_lossless() {
    let stub = Stub::start().await;
    stub.script([Reply::error(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        Some(json!({"migrate_to_chat_id": -1001234567890_i64, "future_field": [1, 2]})),
    )]);
    let error = stub.client().me().await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(api.error_code, 400);
    assert_eq!(
        api.description,
        "Bad Request: group chat was upgraded to a supergroup chat"
    );
    assert_eq!(api.migrate_to_chat_id, Some(ChatId(-1001234567890)));
    assert_eq!(
        api.parameters.as_ref().unwrap()["future_field"],
        json!([1, 2])
    );
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Migrated));
    insta::assert_snapshot!(error, @"getMe: telegram answered 400: Bad Request: group chat was upgraded to a supergroup chat (migrated to chat -1001234567890)");
}

#[tokio::test]
async fn forbidden_blocked_by_user() {
    let stub = Stub::start().await;
    stub.script([Reply::error(
        403,
        "Forbidden: bot was blocked by the user",
        None,
    )]);
    let error = stub
        .client()
        .send_message(&bot_api_client::requests::SendMessage::new(1, "hi"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Forbidden));
    insta::assert_snapshot!(error, @"sendMessage: telegram answered 403: Forbidden: bot was blocked by the user");
}

#[tokio::test]
async fn decode_error_keeps_the_raw_body() {
    let stub = Stub::start().await;
    stub.script([Reply::Raw(
        200,
        "text/html",
        b"<html>captive portal</html>".to_vec(),
    )]);
    let error = stub.client().me().await.unwrap_err();
    let Error::Decode {
        method,
        status,
        body,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (*method, *status, body.as_str()),
        ("getMe", 200, "<html>captive portal</html>")
    );
}

#[tokio::test]
async fn wrong_result_shape_is_a_decode_error() {
    let stub = Stub::start().await;
    stub.script([Reply::ok(json!("not a user"))]);
    let error = stub.client().me().await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { body, .. } if body.contains("not a user")),
        "{error:?}"
    );
}

#[tokio::test]
async fn transport_kinds() {
    // Connection refused: bind a port, then free it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = bot_api_client::Client::builder(
        bot_api_client::tgauth_core::BotToken::new(crate::stub::CANARY).unwrap(),
    )
    .base_url(format!("http://{addr}"))
    .retry_policy(bot_api_client::RetryPolicy::none())
    .build()
    .unwrap();
    let error = client.me().await.unwrap_err();
    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Connect),
        "{error:?}"
    );

    let stub = Stub::start().await;
    stub.script([Reply::Drop]);
    let client = stub
        .client_builder()
        .retry_policy(bot_api_client::RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.me().await.unwrap_err();
    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Request),
        "{error:?}"
    );

    stub.script([Reply::Delay(
        std::time::Duration::from_secs(5),
        Box::new(Reply::ok(json!(true))),
    )]);
    let client = stub
        .client_builder()
        .retry_policy(bot_api_client::RetryPolicy::none())
        .request_timeout(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    let error = client.webhook_info().await.unwrap_err();
    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Timeout),
        "{error:?}"
    );
}

#[test]
fn invalid_tokens_and_base_urls() {
    use bot_api_client::Client;
    use bot_api_client::tgauth_core::BotToken;
    for bad in [
        "",
        "123",
        ":abc",
        "12a:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "123:short",
        "123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs/w",
        "123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs w",
    ] {
        assert!(
            matches!(
                BotToken::new(bad),
                Err(bot_api_client::tgauth_core::Error::InvalidBotToken)
            ),
            "{bad}"
        );
    }
    let token = BotToken::new("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
    assert_eq!(token.bot_id(), BotId(123));
    for bad in ["ftp://x", "api.telegram.org", "http://x/?a=1"] {
        let error = Client::builder(token.clone())
            .base_url(bad)
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{bad}");
    }
}

#[tokio::test]
async fn set_passport_data_errors_sends_telegram_shapes() {
    use passport_types::element::ElementType;
    use passport_types::errors::PassportElementError;
    let stub = Stub::start().await;
    stub.script([Reply::ok(json!(true))]);
    let errors = [PassportElementError::data(
        ElementType::Passport,
        "document_no",
        "aGFzaA==",
        "unreadable",
    )
    .unwrap()];
    assert!(
        stub.client()
            .set_passport_data_errors(UserId(5), &errors)
            .await
            .unwrap()
    );
    let request = stub.requests().pop().unwrap();
    assert_eq!(request.method, "setPassportDataErrors");
    assert_eq!(
        request.body,
        json!({"user_id": 5, "errors": [{"source": "data", "type": "passport", "field_name": "document_no",
            "data_hash": "aGFzaA==", "message": "unreadable"}]})
    );
}

#[test]
fn error_messages() {
    // Lowercase, no trailing period, context in the message; one line per variant.
    let api = ApiError::new(
        429,
        "Too Many Requests: retry after 5",
        Some(json!({"retry_after": 5})),
    );
    assert_eq!(api.retry_after, Some(5));
    let errors = [
        Error::Api {
            method: "sendMessage",
            error: api,
        },
        Error::Transport {
            method: "getMe",
            kind: TransportKind::Connect,
            message: "tcp connect error".into(),
        },
        Error::Decode {
            method: "getMe",
            status: 502,
            message: "expected value".into(),
            body: "<html>".into(),
        },
        Error::ResponseTooLarge {
            method: "getUpdates",
            limit: 16 * 1024 * 1024,
        },
        Error::InvalidSecretToken,
        Error::InvalidBaseUrl {
            url: "ftp://x".into(),
            reason: "the scheme must be http or https",
        },
        Error::FileTooLarge {
            limit: 20,
            size: Some(21),
        },
        Error::NoFilePath {
            file_id: "BQAC".into(),
        },
        Error::LocalPathRefused {
            reason: "it has a .. component",
        },
        Error::FileIo {
            message: "disk full".into(),
        },
        Error::OffsetStore {
            message: "cannot write offset: denied".into(),
        },
        Error::WebhookBody {
            message: "EOF while parsing".into(),
        },
    ];
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(messages.join("\n"), @r#"
    sendMessage: telegram answered 429: Too Many Requests: retry after 5 (retry after 5 s)
    getMe: connect error: tcp connect error
    getMe: could not decode the answer (http status 502): expected value
    getUpdates: the answer is larger than the response limit of 16777216 bytes
    the webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ -
    invalid base url "ftp://x": the scheme must be http or https
    file is larger than the download limit of 20 bytes (21 bytes)
    file BQAC has no file_path to download
    local file path refused: it has a .. component
    file i/o failed: disk full
    offset store failed: cannot write offset: denied
    webhook body is not an update: EOF while parsing
    "#);
}

#[tokio::test]
async fn an_endless_answer_is_refused_not_buffered() {
    let stub = Stub::start().await;
    let limit = 1024 * 1024;
    let client = stub
        .client_builder()
        .retry_policy(bot_api_client::RetryPolicy::none())
        .request_timeout(std::time::Duration::from_secs(60))
        .response_limit(limit)
        .build()
        .unwrap();
    for client in [client, stub.client()] {
        stub.script([Reply::Endless]);
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), client.me()).await;
        let error = outcome
            .expect("refused, not read until the timeout")
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::ResponseTooLarge {
                    method: "getMe",
                    ..
                }
            ),
            "{error:?}"
        );
        crate::stub::assert_error_clean(&error);
        // Not retried: a second answer would be as large.
        assert_eq!(stub.methods().last().map(String::as_str), Some("getMe"));
    }
    assert_eq!(stub.methods(), ["getMe", "getMe"]);
    // The client hung up soon after the limit; what the stub wrote beyond it sat in socket
    // buffers (a few MiB on loopback), not in the client's memory.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let streamed = stub.streamed.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        streamed < Client::DEFAULT_RESPONSE_LIMIT + 32 * 1024 * 1024,
        "{streamed}"
    );
}

#[tokio::test]
async fn the_response_limit_counts_every_byte_and_a_full_batch_fits_the_default() {
    let stub = Stub::start().await;
    let body = json!({"ok": true, "result": {"id": 1, "is_bot": true, "first_name": "B"}});
    let length = serde_json::to_vec(&body).unwrap().len();
    // At the limit it passes; one byte under, it is refused (announced by Content-Length).
    let at_limit = stub
        .client_builder()
        .response_limit(length)
        .build()
        .unwrap();
    stub.script([Reply::Json(200, body.clone())]);
    assert!(at_limit.me().await.is_ok());
    let under = stub
        .client_builder()
        .response_limit(length - 1)
        .build()
        .unwrap();
    stub.script([Reply::Json(200, body)]);
    let error = under.me().await.unwrap_err();
    assert!(matches!(error, Error::ResponseTooLarge { limit, .. } if limit == length - 1));
    // Without Content-Length the bytes are counted as they arrive.
    stub.script([Reply::Unsized(vec![b' '; 100])]);
    let error = stub
        .client_builder()
        .response_limit(99)
        .build()
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 99, .. }),
        "{error:?}"
    );
    // The largest getUpdates answer: 100 updates, each a 4096-character text that JSON escapes
    // six bytes a character, with 100 entities.
    let text: String = std::iter::repeat_n('\u{1}', 4096).collect();
    let entities: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            json!({"type": "text_link", "offset": i * 40, "length": 40,
            "url": format!("https://example.com/{}", "x".repeat(200))})
        })
        .collect();
    let batch: Vec<serde_json::Value> = (1..=100)
        .map(|id| {
            json!({"update_id": id, "message": {"message_id": id, "date": 1, "text": text,
            "entities": entities, "chat": {"id": 42, "type": "private", "first_name": "Ada"}}})
        })
        .collect();
    let answer = json!({"ok": true, "result": batch});
    let size = serde_json::to_vec(&answer).unwrap().len();
    assert!(size > 2 * 1024 * 1024, "{size}");
    assert!(size < Client::DEFAULT_RESPONSE_LIMIT / 2, "{size}");
    stub.script([Reply::Json(200, answer)]);
    let updates = stub
        .client()
        .updates(&bot_api_client::requests::GetUpdates::default())
        .await
        .unwrap();
    assert_eq!(updates.len(), 100);
}
