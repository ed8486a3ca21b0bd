//! The HTTP layer: routes per area, and every layer in one place ([`router`]).

pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod health;
pub(crate) mod passport;

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::error::HttpError;
use crate::sessions::SqlSessionStore;
use crate::state::AppState;

/// The request id header, set on every request and echoed on every response.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service's router with every layer.
///
/// Outside in: the request id is set first so that every log line and error body can carry it;
/// sensitive headers (cookies, `Authorization`) are marked before the trace layer sees them;
/// the trace span names the matched route, never the URI with its query (a widget hash, a
/// login token, an OIDC code); failures are logged with their cause; the timeout and body
/// limit bound every request; the session layer sits inside them, under the routes that use
/// cookies, and the CSRF layer guards only the routes that change state with the cookie alone.
pub fn router(state: AppState) -> axum::Router {
    let config = &state.config;
    let sessions = SessionManagerLayer::new(SqlSessionStore::new(
        state.db.clone(),
        std::sync::Arc::clone(&state.clock),
    ))
    .with_name("tgauth_session")
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(config.secure_cookies())
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
        i64::try_from(config.session_ttl.as_secs()).unwrap_or(i64::MAX / 2),
    )));
    let csrf = tower_http::csrf::CsrfLayer::new();
    let csrf = match csrf.clone().add_trusted_origin(origin(&config.public_url)) {
        Ok(layer) => layer,
        Err(error) => {
            tracing::warn!(
                ?error,
                "the public URL is not a trusted origin for CSRF checks"
            );
            csrf
        }
    }
    .with_rejection_response(|_| {
        HttpError::client(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "a request from another site cannot change this session",
        )
        .into_response()
    });
    let browser = auth::routes()
        .merge(crate::pages::routes())
        .merge(crate::provider::browser_routes())
        .merge(
            auth::cookie_routes()
                .merge(crate::pages::form_routes())
                .merge(crate::provider::form_routes())
                .route_layer(csrf),
        )
        .layer(sessions);
    let mut routes = axum::Router::new()
        .merge(browser)
        .merge(crate::pages::asset_routes())
        .merge(crate::provider::routes())
        .merge(api::routes())
        .merge(health::routes())
        .fallback(|| async { HttpError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            HttpError::client(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take this method",
            )
        })
        .with_state(state.clone());
    if let Some(webhook) = crate::bot::webhook_routes(&state) {
        routes = routes.merge(webhook);
    }
    let timeout = config.request_timeout;
    routes
        .layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .layer(axum::middleware::from_fn(crate::error::log_failures))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| deadline(timeout, request, next),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::pages::html_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::pages::content_security_policy,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(config.body_limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), route, request_id = id)
            }),
        )
        .layer(
            tower_http::sensitive_headers::SetSensitiveHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
                header::SET_COOKIE,
            ]),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => url.to_owned(),
    }
}

/// Answers 408 with the error object when a request takes longer than `timeout`; what it was
/// doing is dropped (its database work is single statements or transactions that roll back).
async fn deadline(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => HttpError::client(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long; try again",
        )
        .into_response(),
    }
}

/// Counts every answered request by route and status.
async fn count(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .request(&route, &method, response.status().as_u16());
    response
}

/// How long graceful shutdown waits for requests in flight.
pub(crate) const DRAIN: Duration = Duration::from_secs(10);
