//! axum extractors: a verified [`TelegramUser`] from the request query, verified Mini App
//! [`WebAppInitData`] from `Authorization: tma <initData>`.
//!
//! The verifier and the clock (an `Arc<dyn tgauth_core::Clock>`: `SystemClock` in production, a
//! `FixedClock` in tests; this crate never reads the wall clock itself) come from the router's
//! state through [`FromRef`], so one application state can carry the configuration of several
//! extractors. A refused request
//! gets `401 Unauthorized` with a JSON body naming the reason:
//! `{"valid":false,"reason":"invalid_hash","message":"login data hash does not match"}`.
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::{Json, Router, extract::FromRef, routing::get};
//! use login_widget::{
//!     extract::{TelegramAuth, WidgetAuth},
//!     tgauth_core::{BotToken, SystemClock},
//!     widget::{TelegramUser, WidgetVerifier},
//! };
//!
//! #[derive(Clone)]
//! struct AppState {
//!     widget: WidgetAuth,
//! }
//!
//! impl FromRef<AppState> for WidgetAuth {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.widget.clone()
//!     }
//! }
//!
//! async fn login(TelegramAuth(user): TelegramAuth) -> Json<TelegramUser> {
//!     Json(user)
//! }
//!
//! let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
//! let state = AppState {
//!     widget: WidgetAuth::new(WidgetVerifier::new(&token), Arc::new(SystemClock)),
//! };
//! let app: Router = Router::new().route("/login", get(login)).with_state(state);
//! # Ok::<(), login_widget::tgauth_core::Error>(())
//! ```

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRef, FromRequestParts},
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
    response::{IntoResponse, Response},
};
use tgauth_core::Clock;

use crate::{
    Error,
    webapp::{ThirdPartyVerifier, WebAppInitData, WebAppVerifier},
    widget::{TelegramUser, WidgetVerifier},
};

/// The state [`TelegramAuth`] needs: a widget verifier and a clock.
#[derive(Debug, Clone)]
pub struct WidgetAuth {
    verifier: WidgetVerifier,
    clock: Arc<dyn Clock>,
}

impl WidgetAuth {
    /// Verifies with `verifier` (and its policy) at the time `clock` reads.
    pub fn new(verifier: WidgetVerifier, clock: Arc<dyn Clock>) -> Self {
        Self { verifier, clock }
    }
}

/// Which check [`TelegramWebApp`] runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WebAppCheck {
    /// The first-party `hash` under the bot token.
    FirstParty(WebAppVerifier),
    /// Telegram's third-party Ed25519 `signature`.
    ThirdParty(ThirdPartyVerifier),
}

/// The state [`TelegramWebApp`] needs: a Mini App check and a clock.
#[derive(Debug, Clone)]
pub struct WebAppAuth {
    check: WebAppCheck,
    clock: Arc<dyn Clock>,
}

impl WebAppAuth {
    /// Runs `check` at the time `clock` reads.
    pub fn new(check: WebAppCheck, clock: Arc<dyn Clock>) -> Self {
        Self { check, clock }
    }
}

/// A user whose Login Widget data in the request query verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramAuth(pub TelegramUser);

/// Mini App `initData` from `Authorization: tma <initData>` that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramWebApp(pub WebAppInitData);

impl<S> FromRequestParts<S> for TelegramAuth
where
    WidgetAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = WidgetAuth::from_ref(state);
        let query = parts.uri.query().unwrap_or_default();
        auth.verifier
            .verify_query(query, auth.clock.now())
            .map(TelegramAuth)
            .map_err(AuthRejection::from)
    }
}

impl<S> FromRequestParts<S> for TelegramWebApp
where
    WebAppAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = WebAppAuth::from_ref(state);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AuthRejection::missing("no Authorization header"))?;
        let header = header
            .to_str()
            .map_err(|_| AuthRejection::missing("Authorization header is not ASCII"))?;
        let init_data = match header.split_once(' ') {
            Some((scheme, init_data)) if scheme.eq_ignore_ascii_case("tma") => init_data.trim(),
            _ => return Err(AuthRejection::missing("Authorization scheme is not `tma`")),
        };
        let now = auth.clock.now();
        let outcome = match &auth.check {
            WebAppCheck::FirstParty(verifier) => verifier.verify(init_data, now),
            WebAppCheck::ThirdParty(verifier) => verifier.verify(init_data, now),
        };
        outcome.map(TelegramWebApp).map_err(AuthRejection::from)
    }
}

/// Why an extractor refused a request: answered as `401` with a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    reason: &'static str,
    message: String,
}

impl AuthRejection {
    fn missing(message: &str) -> Self {
        Self {
            reason: "missing_credentials",
            message: message.to_owned(),
        }
    }

    /// `malformed`, `invalid_hash`, `expired` or `missing_credentials`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl From<Error> for AuthRejection {
    fn from(error: Error) -> Self {
        Self {
            reason: error.kind().as_str(),
            message: error.to_string(),
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "valid": false,
            "reason": self.reason,
            "message": self.message,
        });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}
