//! `/healthz` (alive: no I/O), `/readyz` (the database answers and is migrated, the Bot API
//! answers, Redis answers when the login limit is shared through it, not draining) and `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

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

async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.db.ready().await;
    let bot = state.client.me().await;
    let draining = state.shutdown.is_cancelled();
    // Redis only when the login limit is shared through it.
    let redis = state.limiter.ready().await;
    let ready = database.is_ok() && bot.is_ok() && redis != Some(false) && !draining;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({
        "ready": ready,
        "database": if database.is_ok() { "ok" } else { "unavailable" },
        "bot": if bot.is_ok() { "ok" } else { "unavailable" },
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
