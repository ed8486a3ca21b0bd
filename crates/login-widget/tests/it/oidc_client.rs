//! The OIDC client against a loopback provider: discovery, JWKS, code exchange, validation.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
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
        AuthorizationParams, IdTokenClaims, IdTokenError, IdTokenSigner, Jwks, PkceVerifier,
        Provider, Scope,
        client::{ClientError, ClientSecret, JwksCache, OidcClient},
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

/// A provider serving a JWKS that the test can replace, counting the fetches.
struct KeyServer {
    base: String,
    jwks: Arc<Mutex<Jwks>>,
    fetches: Arc<AtomicUsize>,
}

impl KeyServer {
    async fn start(jwks: Jwks) -> Self {
        let jwks = Arc::new(Mutex::new(jwks));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counter) = (jwks.clone(), fetches.clone());
        let router = Router::new().route(
            "/.well-known/jwks.json",
            get(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Json(served.lock().unwrap().clone())
            }),
        );
        let server = tgauth_tests::http::serve(router).await.unwrap();
        Self {
            base: server.url(""),
            jwks,
            fetches,
        }
    }

    fn publish(&self, jwks: Jwks) {
        *self.jwks.lock().unwrap() = jwks;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A cache of this provider's keys for the bot 123456.
    fn cache(&self) -> JwksCache {
        let client = OidcClient::for_bot(
            Provider::with_base_url(&self.base),
            BotId(123_456),
            ClientSecret::new("s"),
        )
        .unwrap();
        JwksCache::new(client)
            .with_max_age(Duration::from_secs(3600))
            .with_min_refetch_interval(Duration::from_secs(60))
    }

    /// A token from this provider for the bot 123456, valid from `T0` for a day.
    fn token(&self, signer: &IdTokenSigner, kid: &str) -> String {
        let claims = IdTokenClaims::new(
            self.base.clone(),
            "sub-1",
            "123456",
            UnixTime(T0),
            UnixTime(T0 + 86_400),
        );
        signer.sign(kid, &claims).unwrap()
    }
}

const T0: i64 = 1_700_000_000;

/// The refusal of a token whose key the cache does not hold.
fn unknown_kid(kid: &str) -> ClientError {
    ClientError::IdToken(IdTokenError::UnknownKeyId { kid: kid.into() })
}

fn ed25519_signer(kid: &str, seed: u8) -> IdTokenSigner {
    IdTokenSigner::default()
        .add_ed25519_seed(kid, &[seed; 32])
        .unwrap()
}

#[tokio::test]
async fn a_key_rotation_is_picked_up_through_the_unknown_kid() {
    let (old, new) = (ed25519_signer("k1", 1), ed25519_signer("k2", 2));
    let server = KeyServer::start(old.jwks()).await;
    let cache = server.cache();
    let (old_token, new_token) = (server.token(&old, "k1"), server.token(&new, "k2"));

    cache.validate(&old_token, None, at(T0)).await.unwrap();
    cache.validate(&old_token, None, at(T0 + 10)).await.unwrap();
    assert_eq!(server.fetches(), 1, "fresh keys are not fetched again");

    server.publish(new.jwks());
    // Within the minimum interval of the last fetch, an unknown kid fetches nothing.
    assert_eq!(
        cache
            .validate(&new_token, None, at(T0 + 59))
            .await
            .unwrap_err(),
        unknown_kid("k2")
    );
    assert_eq!(server.fetches(), 1);
    // After it, the unknown kid fetches the keys and the retry verifies.
    let claims = cache.validate(&new_token, None, at(T0 + 60)).await.unwrap();
    assert_eq!(claims.sub, "sub-1");
    assert_eq!(server.fetches(), 2);
    // The retired key is gone with the old set.
    assert_eq!(
        cache
            .validate(&old_token, None, at(T0 + 61))
            .await
            .unwrap_err(),
        unknown_kid("k1")
    );
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_fetch_at_most_once_per_interval() {
    let signer = ed25519_signer("k1", 1);
    let server = KeyServer::start(signer.jwks()).await;
    let cache = server.cache();
    cache
        .validate(&server.token(&signer, "k1"), None, at(T0))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);

    // A stream of tokens with made-up kids, one a second for two minutes.
    for second in 60..180 {
        let kid = format!("random-{second}");
        let forger = ed25519_signer(&kid, 7);
        let outcome = cache
            .validate(&server.token(&forger, &kid), None, at(T0 + second))
            .await;
        assert_eq!(outcome.unwrap_err(), unknown_kid(&kid));
    }
    // One fetch at T0 + 60 and one at T0 + 120: one per minute, not one per token.
    assert_eq!(server.fetches(), 3);
    // The known key still verifies, without a fetch.
    cache
        .validate(&server.token(&signer, "k1"), None, at(T0 + 180))
        .await
        .unwrap();
    assert_eq!(server.fetches(), 3);
}

#[tokio::test]
async fn keys_older_than_the_maximum_age_are_fetched_again() {
    let signer = ed25519_signer("k1", 1);
    let server = KeyServer::start(signer.jwks()).await;
    let cache = server.cache();
    let token = server.token(&signer, "k1");
    cache.validate(&token, None, at(T0)).await.unwrap();
    cache.validate(&token, None, at(T0 + 3599)).await.unwrap();
    assert_eq!(server.fetches(), 1);
    cache.validate(&token, None, at(T0 + 3600)).await.unwrap();
    assert_eq!(server.fetches(), 2);
    cache.validate(&token, None, at(T0 + 7199)).await.unwrap();
    assert_eq!(server.fetches(), 2);
    // A key withdrawn by the provider stops verifying once the keys are fetched again.
    server.publish(Jwks::default());
    assert_eq!(
        cache
            .validate(&token, None, at(T0 + 7200))
            .await
            .unwrap_err(),
        unknown_kid("k1")
    );
    assert_eq!(server.fetches(), 3);
}

#[tokio::test]
async fn a_failed_fetch_is_a_typed_error_and_tried_again() {
    let signer = ed25519_signer("k1", 1);
    let server = KeyServer::start(signer.jwks()).await;
    // A provider whose JWKS endpoint is missing answers 404.
    let client = OidcClient::for_bot(
        Provider::with_base_url(&format!("{}/missing", server.base)).with_issuer(&server.base),
        BotId(123_456),
        ClientSecret::new("s"),
    )
    .unwrap();
    let cache = JwksCache::new(client);
    let token = server.token(&signer, "k1");
    for second in 0..3 {
        assert!(matches!(
            cache.validate(&token, None, at(T0 + second)).await,
            Err(ClientError::Status { status: 404, .. })
        ));
    }
    assert_eq!(server.fetches(), 0);
}
