//! axum extractors over real HTTP on loopback: a server on 127.0.0.1 and raw HTTP/1.1 requests.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{Json, Router, extract::FromRef, routing::get};
use login_widget::{
    extract::{TelegramAuth, TelegramWebApp, WebAppAuth, WebAppCheck, WidgetAuth},
    tgauth_core::{BotId, BotToken, FixedClock, UnixTime, UserId},
    webapp::{ThirdPartyVerifier, WebAppInitData, WebAppSigner, WebAppVerifier},
    widget::{TelegramUser, WidgetSigner, WidgetVerifier},
};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
const NOW: i64 = 1_700_000_010;

#[derive(Clone)]
struct AppState {
    widget: WidgetAuth,
    webapp: WebAppAuth,
}

impl FromRef<AppState> for WidgetAuth {
    fn from_ref(state: &AppState) -> Self {
        state.widget.clone()
    }
}

impl FromRef<AppState> for WebAppAuth {
    fn from_ref(state: &AppState) -> Self {
        state.webapp.clone()
    }
}

async fn login(TelegramAuth(user): TelegramAuth) -> Json<TelegramUser> {
    Json(user)
}

async fn app(TelegramWebApp(data): TelegramWebApp) -> Json<WebAppInitData> {
    Json(data)
}

async fn serve(check: WebAppCheck) -> SocketAddr {
    let token = BotToken::new(TOKEN).unwrap();
    let clock = Arc::new(FixedClock::new(UnixTime(NOW)));
    let state = AppState {
        widget: WidgetAuth::new(WidgetVerifier::new(&token), clock.clone()),
        webapp: WebAppAuth::new(check, clock),
    };
    let router = Router::new()
        .route("/login", get(login))
        .route("/app", get(app))
        .with_state(state);
    tgauth_tests::http::serve(router).await.unwrap().addr
}

/// Sends one GET and returns (status, body).
async fn get_request(
    address: SocketAddr,
    target: &str,
    authorization: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let authorization = authorization
        .map(|value| format!("Authorization: {value}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: localhost\r\n{authorization}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn user() -> TelegramUser {
    TelegramUser {
        id: UserId(7),
        first_name: "Ada Lovelace".into(),
        last_name: None,
        username: Some("ada".into()),
        photo_url: Some("https://t.me/i/userpic/320/ada.jpg".into()),
        auth_date: UnixTime(1_700_000_000),
    }
}

#[tokio::test]
async fn widget_query_extractor() {
    let token = BotToken::new(TOKEN).unwrap();
    let address = serve(WebAppCheck::FirstParty(WebAppVerifier::new(&token))).await;
    let signed = WidgetSigner::new(&token).sign_user(&user());
    let (status, body) = get_request(address, &format!("/login?{}", signed.query()), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_value::<TelegramUser>(body).unwrap(),
        user()
    );

    let forged = signed.query().replace("ada", "eve");
    let (status, body) = get_request(address, &format!("/login?{forged}"), None).await;
    assert_eq!(status, 401);
    assert_eq!(body["reason"], "invalid_hash");
    assert_eq!(body["message"], "login data hash does not match");

    let (status, body) = get_request(address, "/login", None).await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("malformed")));

    let old = WidgetSigner::new(&token).sign_user(&TelegramUser {
        auth_date: UnixTime(1_600_000_000),
        ..user()
    });
    let (status, body) = get_request(address, &format!("/login?{}", old.query()), None).await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("expired")));
}

#[tokio::test]
async fn webapp_header_extractor_first_and_third_party() {
    let token = BotToken::new(TOKEN).unwrap();
    let fields = [
        ("user", r#"{"id":42,"first_name":"Ada"}"#),
        ("auth_date", "1700000000"),
    ];
    let key = login_widget::webapp::ThirdPartyKey::from_seed(&[3; 32]).unwrap();
    let init_data = WebAppSigner::new(&token)
        .sign_with_signature(fields, &key)
        .unwrap();
    for check in [
        WebAppCheck::FirstParty(WebAppVerifier::new(&token)),
        WebAppCheck::ThirdParty(ThirdPartyVerifier::with_public_key(
            BotId(123_456),
            key.public_key(),
        )),
    ] {
        let address = serve(check).await;
        let (status, body) = get_request(address, "/app", Some(&format!("tma {init_data}"))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["id"], 42);
        let (status, body) = get_request(address, "/app", Some(&format!("TMA {init_data}"))).await;
        assert_eq!(status, 200, "{body}");

        let (status, body) = get_request(address, "/app", None).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("missing_credentials"))
        );
        let (status, body) =
            get_request(address, "/app", Some(&format!("Bearer {init_data}"))).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("missing_credentials"))
        );
        let tampered = init_data.replace("Ada", "Eve");
        let (status, body) = get_request(address, "/app", Some(&format!("tma {tampered}"))).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("invalid_hash"))
        );
        let (status, body) =
            get_request(address, "/app", Some(&format!("tma {init_data}&user=x"))).await;
        assert_eq!((status, body["reason"].as_str()), (401, Some("malformed")));
    }
}
