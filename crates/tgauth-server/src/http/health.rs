//! `/healthz` (alive: no I/O), `/readyz` (the database answers and is migrated, the Bot API
//! answered `getMe` in the last few seconds, Redis answers when the login limit is shared
//! through it, not draining; each check bounded in time) and `/metrics` (Prometheus text).

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tgauth::UnixTime;

use crate::state::AppState;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// How long a successful `getMe` vouches for the Bot API in `/readyz`. A load balancer probes
/// every replica every few hundred milliseconds; a `getMe` per probe would be traffic to
/// Telegram that grows with replicas and balancers, and a slow Bot API would take every replica
/// out of rotation at once, the website's API with them.
const BOT_CHECK_FRESH_SECONDS: i64 = 10;

/// How long each dependency gets to answer a readiness probe before it counts as unavailable,
/// so `/readyz` answers within this bound even while the database or Telegram hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The Bot API's side of readiness: the last `getMe` that succeeded, on the service's clock.
#[derive(Debug, Default)]
pub(crate) struct BotCheck {
    /// Held across the `getMe`, so probes that arrive meanwhile wait and reuse its answer.
    last_ok: tokio::sync::Mutex<Option<UnixTime>>,
}

impl BotCheck {
    /// Whether the Bot API answers: a `getMe` within [`CHECK_TIMEOUT`], unless one succeeded in
    /// the last [`BOT_CHECK_FRESH_SECONDS`]. A failure is not remembered: the next probe asks
    /// again.
    async fn reachable(&self, state: &AppState) -> bool {
        let mut last_ok = self.last_ok.lock().await;
        let now = state.clock.now();
        // A clock that went back makes the answer stale rather than fresh for longer.
        let fresh =
            last_ok.is_some_and(|at| (0..BOT_CHECK_FRESH_SECONDS).contains(&now.seconds_since(at)));
        if fresh {
            return true;
        }
        let reachable = matches!(
            tokio::time::timeout(CHECK_TIMEOUT, state.client.me()).await,
            Ok(Ok(_))
        );
        *last_ok = reachable.then_some(now);
        reachable
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    // The checks run together, each bounded, so a probe waits for the slowest of them only.
    let (database, bot, redis) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, state.db.ready()),
        state.bot_check.reachable(&state),
        // Redis only when the login limit is shared through it.
        tokio::time::timeout(CHECK_TIMEOUT, state.limiter.ready()),
    );
    let database = matches!(database, Ok(Ok(())));
    let redis = redis.unwrap_or(Some(false));
    let draining = state.shutdown.is_cancelled();
    let ready = database && bot && redis != Some(false) && !draining;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({
        "ready": ready,
        "database": if database { "ok" } else { "unavailable" },
        "bot": if bot { "ok" } else { "unavailable" },
        "draining": draining,
    });
    if let Some(redis) = redis {
        body["redis"] = json!(if redis { "ok" } else { "unavailable" });
    }
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    // The outbox gauges are read now; an unavailable database leaves their last values.
    if let Ok(queued) = state.db.queued_notifications().await {
        state.metrics.notifications_queued.set(queued);
    }
    if let Ok(queued) = state.db.queued_events().await {
        state.metrics.events_queued.set(queued);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
