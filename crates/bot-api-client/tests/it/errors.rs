//! Telegram's errors kept losslessly and classified; decode errors carry the raw body.

use crate::stub::{Reply, Stub};
use bot_api_client::error::{ApiError, ApiErrorKind, Error, TransportKind};
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
    assert_eq!(api.migrate_to_chat_id, Some(-1001234567890));
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
        .send_message(&bot_api_client::client::SendMessage::new(1, "hi"))
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
    let client = bot_api_client::client::Client::builder(
        bot_api_client::client::BotToken::new(crate::stub::CANARY).unwrap(),
    )
    .base_url(format!("http://{addr}"))
    .retry_policy(bot_api_client::client::RetryPolicy::none())
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
        .retry_policy(bot_api_client::client::RetryPolicy::none())
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
        .retry_policy(bot_api_client::client::RetryPolicy::none())
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
    use bot_api_client::client::{BotToken, Client};
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
            matches!(BotToken::new(bad), Err(Error::InvalidToken)),
            "{bad}"
        );
    }
    let token = BotToken::new("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
    assert_eq!(token.bot_id(), 123);
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
            .set_passport_data_errors(5, &errors)
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
        Error::InvalidToken,
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
    the bot token does not have the shape <digits>:<30-64 characters of A-Z a-z 0-9 _ ->
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
