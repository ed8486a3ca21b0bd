//! The notification outbox: `POST /api/v1/notifications` stores a row, this worker sends it
//! through the composing layer's [`Notifier`] and records the outcome.
//!
//! A row is claimed with a lease before it is sent, so two workers (two replicas) never send it
//! both; a worker that dies mid-send leaves the lease to run out, and the row is tried again
//! (the one case in which Telegram may have delivered it: the Bot API has no idempotency key).
//! 429 and 5xx answers are retried with backoff; a user who blocked the bot ends `blocked`; a
//! user no longer linked, or a message Telegram refuses, ends `failed` and raises the
//! `notification.failed` event.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tgauth::bot::error::ApiErrorKind;
use tgauth::bot::types::ParseMode;
use tgauth::link::AccountId;
use tgauth::{Notification, Notifier, NotifyOutcome};

use super::events::{self, EventKind};
use crate::state::AppState;
use crate::store::{NotificationRow, Outbox};

/// How long a claimed notification is held before another worker may try it.
const LEASE_SECONDS: i64 = 60;
/// How many attempts before a notification fails for good.
const MAX_ATTEMPTS: i64 = 8;

#[derive(Deserialize)]
struct Body {
    text: String,
    parse_mode: Option<String>,
}

/// Sends queued notifications until the service stops.
pub(crate) async fn run(state: AppState) {
    let notifier = Notifier::new(
        state.client.clone(),
        state.linker.store().clone(),
        Arc::clone(&state.clock),
    )
    // Short waits inside one attempt; longer flood control is the outbox's backoff.
    .with_max_wait(Duration::from_secs(30));
    loop {
        let woken = state.outbox_bell.notified();
        match state
            .db
            .claim_notifications(state.now(), LEASE_SECONDS, 32)
            .await
        {
            Ok(rows) if !rows.is_empty() => {
                for row in rows {
                    send(&state, &notifier, row).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "notification outbox unavailable"),
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = woken => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn send(
    state: &AppState,
    notifier: &Notifier<tgauth::link::store::AnyStore>,
    row: NotificationRow,
) {
    let now = state.now();
    let id = row.id.clone();
    let finish = |status: &'static str, error: Option<String>| {
        let id = id.clone();
        async move {
            if let Err(store_error) = state
                .db
                .finish_notification(&id, status, error.as_deref(), state.now())
                .await
            {
                tracing::warn!(error = %store_error, "a notification's outcome could not be recorded; it is tried again");
            }
            state.metrics.notification(status);
        }
    };
    let Ok(body) = serde_json::from_str::<Body>(&row.body) else {
        finish(
            "failed",
            Some("stored notification is malformed".to_owned()),
        )
        .await;
        return;
    };
    let Ok(account) = AccountId::new(&row.account) else {
        finish("failed", Some("stored user id is malformed".to_owned())).await;
        return;
    };
    let mut notification = Notification::text(body.text);
    notification = match body.parse_mode.as_deref() {
        Some("HTML") => notification.with_parse_mode(ParseMode::Html),
        Some("MarkdownV2") => notification.with_parse_mode(ParseMode::MarkdownV2),
        Some("Markdown") => notification.with_parse_mode(ParseMode::Markdown),
        _ => notification,
    };
    match notifier.notify(&account, &notification).await {
        Ok(outcomes) => {
            let sent = outcomes
                .iter()
                .any(|outcome| matches!(outcome, NotifyOutcome::Sent { .. }));
            if sent {
                finish("sent", None).await;
            } else {
                finish("blocked", Some("the person blocked the bot".to_owned())).await;
                failed_event(state, &row, "blocked").await;
            }
        }
        Err(tgauth::Error::NotLinked) => {
            finish(
                "failed",
                Some("the user has no linked Telegram account".to_owned()),
            )
            .await;
            failed_event(state, &row, "not_linked").await;
        }
        Err(error) => {
            let retryable = match &error {
                tgauth::Error::Bot(bot) => matches!(
                    bot.api_kind(),
                    None | Some(ApiErrorKind::RetryAfter | ApiErrorKind::ServerError)
                ),
                tgauth::Error::Link(_) => true,
                _ => false,
            };
            let reason = match &error {
                tgauth::Error::Bot(bot) => bot.to_string(),
                other => other.to_string(),
            };
            if retryable && row.attempts < MAX_ATTEMPTS {
                let at = now.plus(super::backoff(row.attempts));
                if let Err(store_error) = state
                    .db
                    .retry(Outbox::Notifications, &row.id, at, &reason)
                    .await
                {
                    tracing::warn!(error = %store_error, "a notification's retry could not be recorded");
                }
                state.metrics.notification("retried");
            } else {
                finish("failed", Some(reason)).await;
                failed_event(state, &row, "refused").await;
            }
        }
    }
}

async fn failed_event(state: &AppState, row: &NotificationRow, reason: &str) {
    let payload = json!({"id": row.id, "user": row.account, "reason": reason});
    if let Err(error) =
        events::emit(state, EventKind::NotificationFailed, payload, state.now()).await
    {
        tracing::warn!(error = ?error.code(), "the notification.failed event could not be stored");
    }
}
