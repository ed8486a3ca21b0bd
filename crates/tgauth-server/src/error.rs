//! The one error every handler answers with: a status, a stable code and a message that says
//! what is wrong, as JSON `{"error":{"code","message"}}`.
//!
//! Client errors (4xx) say what is wrong with the request. Anything else is a fixed "internal
//! error" with the request's id; its cause rides in the response's extensions, where the
//! logging middleware ([`log_failures`]) writes it down. No driver, crypto or template message
//! ever reaches a body.

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// A refused or failed request.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    code: &'static str,
    message: String,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl HttpError {
    /// A client error: `status` (4xx) with a code and a message for the caller.
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: no such `what`.
    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// 401: the request needs credentials it did not carry.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 409: the request conflicts with what is stored.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, message)
    }

    /// 503: a dependency (the database, the Bot API) is unavailable; try again.
    pub fn unavailable(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: "a dependency of the service is unavailable; try again".to_owned(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// 500 with the cause kept for the log.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".to_owned(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<StoreError> for HttpError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) | StoreError::Shared(_) | StoreError::Closed => {
                Self::unavailable(error)
            }
            _ => Self::internal(error),
        }
    }
}

impl From<crate::keys::RandomError> for HttpError {
    fn from(error: crate::keys::RandomError) -> Self {
        Self::internal(error)
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// The cause of a failed request, for [`log_failures`].
#[derive(Clone)]
pub(crate) struct FailureCause(pub(crate) Arc<dyn std::error::Error + Send + Sync>);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": {"code": self.code, "message": self.message}}));
        let mut response = (self.status, body).into_response();
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(FailureCause(cause));
        }
        response
    }
}

/// Logs the cause of every failed request (a 5xx), with its route, never its URI.
pub(crate) async fn log_failures(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    if let Some(FailureCause(cause)) = response.extensions().get::<FailureCause>() {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(next) = source {
            chain.push_str(": ");
            chain.push_str(&next.to_string());
            source = next.source();
        }
        tracing::error!(route = route.as_deref().unwrap_or("-"), status = response.status().as_u16(), cause = %chain, "request failed");
    }
    response
}
