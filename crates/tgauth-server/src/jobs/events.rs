//! Events to the website: rows in an outbox, posted as JSON to `events_url`, signed, and retried
//! with backoff until the website answers 2xx.
//!
//! Each delivery carries `X-Tgauth-Event-Id` (the event's unique id: a receiver deduplicates
//! on it, since a delivery can repeat) and `X-Tgauth-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "<t>.<body>" under the events secret>`; a receiver recomputes the MAC,
//! compares in constant time, and refuses a `t` too far from its clock.

use std::time::Duration;

use serde_json::{Value, json};
use tgauth::UnixTime;

use crate::error::HttpError;
use crate::state::AppState;
use crate::store::{EventRow, Outbox};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A link was committed.
    LinkConfirmed,
    /// A link was removed (by the website, or `/unlink` in the bot).
    LinkRemoved,
    /// A Passport request was answered and accepted.
    PassportReceived,
    /// A notification could not be delivered.
    NotificationFailed,
}

impl EventKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::LinkConfirmed => "link.confirmed",
            Self::LinkRemoved => "link.removed",
            Self::PassportReceived => "passport.received",
            Self::NotificationFailed => "notification.failed",
        }
    }
}

/// A Telegram user as the API and the events show one: `{"id","first_name","username"?}`
/// (the id stands for the name until a login or `/start` told it).
pub(crate) fn telegram_json(
    id: tgauth::UserId,
    profile: Option<&crate::store::TelegramUserRow>,
) -> Value {
    let mut telegram = json!({
        "id": id,
        "first_name": profile
            .and_then(|profile| profile.first_name.clone())
            .unwrap_or_else(|| id.to_string()),
    });
    if let Some(username) = profile.and_then(|profile| profile.username.as_ref()) {
        telegram["username"] = json!(username);
    }
    telegram
}

/// Stores an event for delivery (nothing when no `events_url` is configured).
pub(crate) async fn emit(
    state: &AppState,
    kind: EventKind,
    data: Value,
    now: UnixTime,
) -> Result<(), HttpError> {
    if state.config.events_url.is_none() {
        return Ok(());
    }
    let id = crate::keys::random_id()?;
    state
        .db
        .insert_event(&id, kind.as_str(), &data.to_string(), now)
        .await?;
    state.outbox_bell.notify_waiters();
    Ok(())
}

/// The signature header's value for `body` at `timestamp`.
pub(crate) fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(ring::hmac::sign(&key, &message))
    )
}

/// Delivers queued events until the service stops.
pub(crate) async fn run(state: AppState) {
    let (Some(url), Some(secret)) = (
        state.config.events_url.clone(),
        state.config.events_secret.clone(),
    ) else {
        return;
    };
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "the events client could not be built; events stay queued");
            return;
        }
    };
    loop {
        let woken = state.outbox_bell.notified();
        match state.db.claim_events(state.now(), 30, 32).await {
            Ok(rows) if !rows.is_empty() => {
                for row in rows {
                    deliver(&state, &http, &url, secret.expose(), row).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "event outbox unavailable"),
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = woken => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn deliver(
    state: &AppState,
    http: &reqwest::Client,
    url: &str,
    secret: &[u8],
    row: EventRow,
) {
    let data: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    let body = json!({
        "id": row.id,
        "type": row.kind,
        "created_at": row.created_at,
        "data": data,
    })
    .to_string();
    let now = state.now();
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-tgauth-event-id", &row.id)
        .header(
            "x-tgauth-signature",
            signature(secret, now.as_secs(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await;
    let failure = match response {
        Ok(response) if response.status().is_success() => None,
        Ok(response) => Some(format!(
            "the website answered {}",
            response.status().as_u16()
        )),
        Err(error) => Some(format!("delivery failed: {}", error.without_url())),
    };
    let outcome = match failure {
        None => state
            .db
            .event_delivered(&row.id, state.now())
            .await
            .map(|()| "delivered"),
        Some(reason) => {
            let at = now.plus(super::backoff(row.attempts));
            state
                .db
                .retry(Outbox::Events, &row.id, at, &reason)
                .await
                .map(|()| "retried")
        }
    };
    match outcome {
        Ok(outcome) => state.metrics.event(outcome),
        Err(error) => {
            tracing::warn!(%error, "an event's delivery could not be recorded; it comes again")
        }
    }
}
