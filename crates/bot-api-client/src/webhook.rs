//! Webhook bodies and the `X-Telegram-Bot-Api-Secret-Token` check.
//!
//! Telegram posts each update as a JSON body and repeats the delivery until it gets a 2xx
//! answer. [`parse_update`] reads a body, [`SecretToken::matches`] checks the secret header in
//! constant time, and with the `axum` feature [`router`] does both around an async handler,
//! answering non-2xx when the handler fails so that Telegram delivers the update again.

use crate::Error;
use crate::types::Update;
use serde::{Serialize, Serializer};
use tgauth_core::{REDACTED, constant_time_eq};

/// The header that carries the webhook's secret token.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// The largest webhook body [`router`] accepts by default: 1 MiB, well above any update.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The secret Telegram sends back with every webhook delivery. Its `Debug` is redacted, `==`
/// runs in constant time (as [`matches`](Self::matches) does), and it is wiped on drop.
#[derive(Clone)]
pub struct SecretToken(String);

impl PartialEq for SecretToken {
    fn eq(&self, other: &Self) -> bool {
        self.matches(Some(other.0.as_bytes()))
    }
}

impl Eq for SecretToken {}

impl Drop for SecretToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl SecretToken {
    /// Checks Telegram's shape: 1-256 characters of `A-Z a-z 0-9 _ -`.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        let mut secret = secret.into();
        let ok = (1..=256).contains(&secret.len())
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(secret))
        } else {
            // A rejected secret may be the real one with a typo: wipe it too.
            zeroize::Zeroize::zeroize(&mut secret);
            Err(Error::InvalidSecretToken)
        }
    }

    /// The secret itself, for configuring the webhook elsewhere.
    pub fn dangerous_expose(&self) -> &str {
        &self.0
    }

    /// Whether a received header value equals this secret, compared in constant time (only the
    /// length can leak). A missing header never matches.
    pub fn matches(&self, header: Option<&[u8]>) -> bool {
        header.is_some_and(|value| constant_time_eq(value, self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretToken({REDACTED})")
    }
}

impl Serialize for SecretToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Parses a webhook body into an [`Update`].
///
/// A known kind whose body does not parse (a newer or broken Telegram) becomes
/// [`crate::types::UpdateKind::Other`]; only a body that is not an object with an integer
/// `update_id` is an error.
pub fn parse_update(body: &[u8]) -> Result<Update, Error> {
    let strict_error = match serde_json::from_slice(body) {
        Ok(update) => return Ok(update),
        Err(error) => error,
    };
    serde_json::from_slice(body)
        .and_then(Update::from_value_lenient)
        .map_err(|_| Error::WebhookBody {
            message: strict_error.to_string(),
        })
}

#[cfg(feature = "axum")]
pub use self::axum_handler::{WebhookConfig, router};

#[cfg(feature = "axum")]
mod axum_handler {
    use super::{DEFAULT_BODY_LIMIT, SECRET_HEADER, SecretToken, parse_update};
    use crate::types::Update;
    use axum::body::Body;
    use axum::http::{HeaderMap, StatusCode, header};
    use std::future::Future;
    use std::sync::Arc;

    /// Settings of the webhook endpoint.
    #[derive(Debug, Clone)]
    pub struct WebhookConfig {
        secret: Option<SecretToken>,
        body_limit: usize,
    }

    impl WebhookConfig {
        /// Requires `secret` in the [`SECRET_HEADER`] of every delivery.
        pub fn with_secret(secret: SecretToken) -> Self {
            Self {
                secret: Some(secret),
                body_limit: DEFAULT_BODY_LIMIT,
            }
        }

        /// Accepts deliveries without a secret. Anyone who learns the URL can then inject
        /// updates; use only behind another authentication.
        pub fn dangerous_without_secret() -> Self {
            Self {
                secret: None,
                body_limit: DEFAULT_BODY_LIMIT,
            }
        }

        /// The largest accepted body in bytes ([`DEFAULT_BODY_LIMIT`] by default).
        pub fn body_limit(mut self, bytes: usize) -> Self {
            self.body_limit = bytes;
            self
        }
    }

    struct Shared<H> {
        config: WebhookConfig,
        handler: H,
    }

    /// A router that accepts webhook deliveries with `POST path` and awaits `handler` on each.
    ///
    /// Answers: 200 when the handler succeeded; 500 when it failed (Telegram delivers the
    /// update again); 401 for a missing or wrong secret; 415 for a content type other than
    /// `application/json`; 413 past the body limit; 400 for a body that is not an update.
    ///
    /// Telegram repeats a delivery on any non-2xx answer and gives up after a bounded number of
    /// attempts, so a refused body is not retried forever. A malformed body still gets a 400,
    /// not a 2xx that would hide it: [`parse_update`] accepts any object with an integer
    /// `update_id` (unknown or unparsable kinds become `UpdateKind::Other`), so a body it
    /// refuses did not come from Telegram as is, and the 400 shows up in `getWebhookInfo`'s
    /// `last_error_message`. The checks run in the order secret, content type, size, parse,
    /// so a caller without the secret learns nothing about what the endpoint accepts.
    pub fn router<H, F, E>(path: &str, config: WebhookConfig, handler: H) -> axum::Router
    where
        H: Fn(Update) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let shared = Arc::new(Shared { config, handler });
        axum::Router::new().route(
            path,
            axum::routing::post(move |headers: HeaderMap, body: Body| {
                let shared = Arc::clone(&shared);
                async move { handle(&shared, &headers, body).await }
            }),
        )
    }

    async fn handle<H, F, E>(shared: &Shared<H>, headers: &HeaderMap, body: Body) -> StatusCode
    where
        H: Fn(Update) -> F,
        F: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        if let Some(secret) = &shared.config.secret
            && !secret.matches(headers.get(SECRET_HEADER).map(|v| v.as_bytes()))
        {
            tracing::warn!("webhook delivery with a missing or wrong secret token refused");
            return StatusCode::UNAUTHORIZED;
        }
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return StatusCode::UNSUPPORTED_MEDIA_TYPE;
        }
        let Ok(bytes) = axum::body::to_bytes(body, shared.config.body_limit).await else {
            return StatusCode::PAYLOAD_TOO_LARGE;
        };
        let update = match parse_update(&bytes) {
            Ok(update) => update,
            Err(error) => {
                tracing::warn!(%error, "webhook body refused");
                return StatusCode::BAD_REQUEST;
            }
        };
        let update_id = update.update_id;
        match (shared.handler)(update).await {
            Ok(()) => StatusCode::OK,
            Err(error) => {
                tracing::warn!(update_id, %error, "webhook handler failed; telegram will deliver again");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}
