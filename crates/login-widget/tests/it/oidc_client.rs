//! The OIDC client against a loopback provider: discovery, JWKS, code exchange, validation.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use base64::Engine as _;
use login_widget::{
    oidc::{
        AuthorizationParams, IdTokenClaims, IdTokenSigner, PkceVerifier, Provider, Scope,
        client::{ClientError, ClientSecret, OidcClient},
    },
    tgauth_core::{BotId, UnixTime},
};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
};

use crate::at;

/// Token requests as received: (Authorization header, form body).
type Requests = Arc<Mutex<Vec<(Option<String>, String)>>>;

#[derive(Clone)]
struct Provided {
    base: String,
    jwks: serde_json::Value,
    token: String,
    requests: Requests,
}

async fn serve_provider() -> Provided {
    // The issuer names the provider's own address, so the port is known before the router.
    let listener = TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let signer = IdTokenSigner::test_keys();
    let claims = IdTokenClaims::new(
        base.clone(),
        "sub-9",
        "123456",
        UnixTime(1_700_000_000),
        UnixTime(1_700_003_600),
    )
    .with_nonce("nn");
    let provided = Provided {
        base: base.clone(),
        jwks: serde_json::to_value(signer.jwks()).unwrap(),
        token: signer.sign("test-rs256", &claims).unwrap(),
        requests: Arc::default(),
    };
    let router = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|State(p): State<Provided>| async move {
                Json(serde_json::json!({
                    "issuer": p.base,
                    "authorization_endpoint": format!("{}/auth", p.base),
                    "token_endpoint": format!("{}/token", p.base),
                    "jwks_uri": format!("{}/.well-known/jwks.json", p.base),
                    "scopes_supported": ["openid", "profile", "phone", "telegram:bot_access"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }))
            }),
        )
        .route("/.well-known/jwks.json", get(|State(p): State<Provided>| async move { Json(p.jwks) }))
        .route(
            "/token",
            post(|State(p): State<Provided>, headers: HeaderMap, body: String| async move {
                let authorization = headers
                    .get("authorization")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                p.requests.lock().unwrap().push((authorization, body.clone()));
                if body.contains("code=bad") {
                    return (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": "invalid_grant" })));
                }
                (StatusCode::OK, Json(serde_json::json!({ "id_token": p.token, "access_token": "at-secret", "token_type": "Bearer" })))
            }),
        )
        .with_state(provided.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    provided
}

#[tokio::test]
async fn code_exchange_and_validation_against_a_loopback_provider() {
    let provided = serve_provider().await;
    let provider = Provider::with_base_url(&provided.base);
    let client = OidcClient::for_bot(
        provider.clone(),
        BotId(123_456),
        ClientSecret::new("client-secret"),
    )
    .unwrap();
    assert!(!format!("{client:?}").contains("client-secret"));

    let discovery = client.discovery().await.unwrap();
    assert_eq!(discovery.token_endpoint, provider.token_endpoint());
    assert_eq!(discovery.issuer, provider.issuer());
    // A discovery document naming another issuer is refused.
    let expecting_telegram = OidcClient::new(
        provider.clone().with_issuer("https://oauth.telegram.org"),
        "123456",
        ClientSecret::new("client-secret"),
    )
    .unwrap();
    assert_eq!(
        expecting_telegram.discovery().await.unwrap_err(),
        ClientError::IssuerMismatch {
            expected: "https://oauth.telegram.org".into(),
            found: provided.base.clone(),
        }
    );

    let pkce = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let url = AuthorizationParams {
        client_id: "123456",
        redirect_uri: "https://example.com/cb",
        scopes: &[Scope::Profile],
        state: "st",
        nonce: "nn",
        pkce: &pkce,
    }
    .url(&provider);
    assert!(url.starts_with(&format!("{}/auth?", provided.base)));

    let tokens = client
        .exchange_code("good-code", "https://example.com/cb", &pkce)
        .await
        .unwrap();
    assert!(!format!("{tokens:?}").contains("at-secret"));
    let jwks = client.jwks().await.unwrap();
    let claims = client
        .validator(jwks)
        .validate(&tokens.id_token, Some("nn"), at(1_700_000_100))
        .unwrap();
    assert_eq!(claims.sub, "sub-9");

    let requests = provided.requests.lock().unwrap().clone();
    let (authorization, body) = &requests[0];
    let basic = base64::engine::general_purpose::STANDARD.encode("123456:client-secret");
    assert_eq!(
        authorization.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("authorization_code"));
    assert_eq!(field("code"), Some("good-code"));
    assert_eq!(
        field("code_verifier"),
        Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    );
    assert_eq!(field("redirect_uri"), Some("https://example.com/cb"));

    let error = client
        .exchange_code("bad", "https://example.com/cb", &pkce)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::Status { status: 400, body, .. } if body.contains("invalid_grant")),
        "{error}"
    );
    assert!(!error.to_string().contains("client-secret"));
}

#[tokio::test]
async fn transport_errors_are_typed() {
    // A port nothing listens on: bind, read the port, drop the listener.
    let listener = TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client =
        OidcClient::new(Provider::with_base_url(&base), "1", ClientSecret::new("s")).unwrap();
    assert!(matches!(
        client.jwks().await,
        Err(ClientError::Transport { .. })
    ));
}

/// A provider that answers every request with `status` and an endless body of spaces (which
/// JSON allows before a value), with `declared_length` as its `Content-Length` if given, else
/// delimited by the end of the connection. Returns its base URL and the bytes of body it sent.
async fn serve_endless_body(
    status: &'static str,
    declared_length: Option<u64>,
) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let length = declared_length
                    .map(|length| format!("Content-Length: {length}\r\n"))
                    .unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                while stream.write_all(&chunk).await.is_ok() {
                    counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (base, sent)
}

#[tokio::test]
async fn a_huge_body_is_refused_without_being_read_to_its_end() {
    for declared_length in [None, Some(1 << 40)] {
        let (base, sent) = serve_endless_body("200 OK", declared_length).await;
        let client =
            OidcClient::new(Provider::with_base_url(&base), "1", ClientSecret::new("s")).unwrap();
        let endpoint = format!("{base}/.well-known/jwks.json");
        for (client, limit) in [
            (client.clone(), 1 << 20),
            (client.with_max_body_size(64 * 1024), 64 * 1024),
        ] {
            let outcome = tokio::time::timeout(Duration::from_secs(20), client.jwks())
                .await
                .expect("the client stops reading at its limit");
            assert_eq!(
                outcome.unwrap_err(),
                ClientError::BodyTooLarge {
                    endpoint: endpoint.clone(),
                    limit,
                },
                "declared length {declared_length:?}"
            );
        }
        // What the server managed to send is the limit plus what socket buffers hold, not
        // the endless body.
        assert!(
            sent.load(Ordering::SeqCst) < 64 << 20,
            "{} bytes sent",
            sent.load(Ordering::SeqCst)
        );
    }
    // An error status with an endless body: the status is reported with the start of the body.
    let (base, _) = serve_endless_body("400 Bad Request", None).await;
    let client =
        OidcClient::new(Provider::with_base_url(&base), "1", ClientSecret::new("s")).unwrap();
    let pkce = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(20),
        client.exchange_code("code", "https://example.com/cb", &pkce),
    )
    .await
    .expect("the client stops reading at its limit");
    assert!(
        matches!(&outcome, Err(ClientError::Status { status: 400, body, .. }) if body.len() == 512),
        "{outcome:?}"
    );
}
