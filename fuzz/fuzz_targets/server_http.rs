//! The service's HTTP surface in process: the service's router in sandbox mode (SQLite in a
//! temporary directory, the Telegram emulator on loopback, a fixed clock) answers requests
//! whose query strings, path parameters, cookies, `Authorization` headers and bodies are the
//! fuzzer's bytes, sent with `tower::ServiceExt::oneshot`. Nothing may panic and nothing may
//! answer 5xx other than 503.
//!
//! The input is one selector byte (the route), then the query text (path parameters before a
//! `?` where the route has some; a cookie or a header value where the route takes one), a
//! newline, and the body.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use tgauth::{FixedClock, UnixTime};
use tgauth_server::{SandboxService, ServeArgs};
use tower::ServiceExt as _;

/// The fixed time of the service's clock (the one of the service's own tests).
const START: i64 = 1_800_000_000;

/// The service's settings: the OpenID Connect clients of the service's own provider tests
/// (`crates/tgauth-server/tests/it/provider.rs`; the shop's secret is
/// `shop-secret-0123456789`), so that authorize and token requests reach past the client check.
const SETTINGS: &str = r#"
[[oidc.clients]]
id = "shop"
name = "The Shop"
secret_hash = "sha256:ea187699ef5e67a7b03b57c81411a5c50cf8efabd20d540a20d732447deee030"
redirect_uris = ["https://shop.example/callback"]
post_logout_redirect_uris = ["https://shop.example/bye"]

[[oidc.clients]]
id = "app"
public = true
redirect_uris = ["http://127.0.0.1:9/callback"]
"#;

/// How a route takes the fuzzer's text besides the body.
#[derive(Clone, Copy)]
enum Text {
    /// As the query string.
    Query,
    /// As path parameters (`{}` in the path, split at `/`) before a `?`, then the query.
    Path,
    /// As the session cookie's value.
    Cookie,
    /// As the `Authorization` header.
    Authorization,
}

/// How a route's body is sent.
#[derive(Clone, Copy)]
enum Payload {
    Empty,
    Form,
    Json,
}

struct Route {
    method: Method,
    path: &'static str,
    text: Text,
    payload: Payload,
    /// Whether the website's API key goes along (the JSON API's routes).
    api_key: bool,
}

const fn route(
    method: Method,
    path: &'static str,
    text: Text,
    payload: Payload,
    api_key: bool,
) -> Route {
    Route {
        method,
        path,
        text,
        payload,
        api_key,
    }
}

static ROUTES: &[Route] = &[
    route(
        Method::GET,
        "/auth/telegram/widget",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::POST,
        "/auth/telegram/webapp",
        Text::Query,
        Payload::Form,
        false,
    ),
    route(
        Method::POST,
        "/auth/telegram/webapp",
        Text::Query,
        Payload::Json,
        false,
    ),
    route(
        Method::GET,
        "/auth/telegram/oidc/start",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::GET,
        "/auth/telegram/oidc/callback",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::GET,
        "/auth/telegram/link",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::GET,
        "/oauth2/authorize",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::POST,
        "/oauth2/authorize",
        Text::Query,
        Payload::Form,
        false,
    ),
    route(
        Method::POST,
        "/oauth2/token",
        Text::Query,
        Payload::Form,
        false,
    ),
    route(
        Method::POST,
        "/oauth2/token",
        Text::Authorization,
        Payload::Form,
        false,
    ),
    route(
        Method::POST,
        "/oauth2/revoke",
        Text::Authorization,
        Payload::Form,
        false,
    ),
    route(
        Method::GET,
        "/oauth2/logout",
        Text::Query,
        Payload::Empty,
        false,
    ),
    route(
        Method::GET,
        "/oauth2/userinfo",
        Text::Authorization,
        Payload::Empty,
        false,
    ),
    route(
        Method::POST,
        "/api/v1/links",
        Text::Query,
        Payload::Json,
        true,
    ),
    route(
        Method::POST,
        "/api/v1/notifications",
        Text::Query,
        Payload::Json,
        true,
    ),
    route(
        Method::GET,
        "/api/v1/notifications/{}",
        Text::Path,
        Payload::Empty,
        true,
    ),
    route(
        Method::POST,
        "/api/v1/passport/requests",
        Text::Query,
        Payload::Json,
        true,
    ),
    route(
        Method::GET,
        "/api/v1/passport/requests/{}",
        Text::Path,
        Payload::Empty,
        true,
    ),
    route(
        Method::POST,
        "/api/v1/passport/requests/{}/errors",
        Text::Path,
        Payload::Json,
        true,
    ),
    route(
        Method::GET,
        "/api/v1/passport/requests/{}/files/{}",
        Text::Path,
        Payload::Empty,
        true,
    ),
    route(
        Method::GET,
        "/api/v1/users/{}",
        Text::Path,
        Payload::Empty,
        true,
    ),
    route(
        Method::POST,
        "/api/v1/users/{}/telegram/confirm",
        Text::Path,
        Payload::Json,
        true,
    ),
    route(
        Method::GET,
        "/api/v1/me",
        Text::Cookie,
        Payload::Empty,
        false,
    ),
    route(
        Method::GET,
        "/api/v1/me",
        Text::Authorization,
        Payload::Empty,
        false,
    ),
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    api_key: String,
    /// Keeps the sandbox and the temporary data directory alive.
    _service: SandboxService,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let config = std::env::temp_dir().join(format!("tgauth-fuzz-{}.toml", std::process::id()));
    std::fs::write(&config, SETTINGS).expect("the settings file is written");
    let args = ServeArgs {
        config: Some(config),
        sandbox: true,
        // The clock is fixed: a rate limit would never refill and hide every route behind 429.
        login_rate_per_minute: Some(u32::MAX),
        ..ServeArgs::default()
    };
    let clock = Arc::new(FixedClock::new(UnixTime(START)));
    let service = runtime
        .block_on(SandboxService::start(args, clock))
        .expect("the sandbox service starts");
    let router = tgauth_server::router(service.service.state().clone());
    Harness {
        runtime,
        router,
        api_key: service.api_key.clone(),
        _service: service,
    }
});

fn request(route: &Route, text: &str, body: &[u8], api_key: &str) -> Option<Request<Body>> {
    let mut builder = Request::builder().method(route.method.clone());
    let uri = match route.text {
        Text::Path => {
            let (parameters, query) = text.split_once('?').unwrap_or((text, ""));
            let mut parameters = parameters.split('/');
            let mut path = String::new();
            for (index, piece) in route.path.split("{}").enumerate() {
                if index > 0 {
                    path.push_str(parameters.next().unwrap_or(""));
                }
                path.push_str(piece);
            }
            format!("{path}?{query}")
        }
        Text::Query => format!("{}?{text}", route.path),
        Text::Cookie => {
            builder = builder.header(header::COOKIE, format!("tgauth_session={text}"));
            route.path.to_owned()
        }
        Text::Authorization => {
            builder = builder.header(header::AUTHORIZATION, text);
            route.path.to_owned()
        }
    };
    builder = builder.uri(uri);
    if route.api_key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {api_key}"));
    }
    let content_type = match route.payload {
        Payload::Empty => None,
        Payload::Form => Some("application/x-www-form-urlencoded"),
        Payload::Json => Some("application/json"),
    };
    if let Some(content_type) = content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let route = &ROUTES[usize::from(selector) % ROUTES.len()];
    let split = rest
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(rest.len());
    let (text, body) = rest.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let harness = &*HARNESS;
    // A request the HTTP types refuse (a URI or header that is not well formed) never reaches
    // the service: hyper would have refused it.
    let Some(request) = request(route, text, body, &harness.api_key) else {
        return;
    };
    let (status, answer) = harness.runtime.block_on(async {
        let response = harness
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router's error type is Infallible");
        let status = response.status();
        let answer = axum::body::to_bytes(response.into_body(), 1 << 20).await;
        (status, answer)
    });
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{} {} answered {status}: {:?}",
        route.method,
        route.path,
        answer.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    );
});
