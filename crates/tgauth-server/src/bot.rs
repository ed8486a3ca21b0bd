//! The bot: updates by long polling (one replica at a time, under a lease in the database) or
//! by webhook, each handled once by the composing layer's [`UpdateHandler`] and acknowledged only
//! after its effects are committed.
//!
//! Every update is claimed in the `handled_updates` table before it is handled and marked done
//! after: a redelivery (a webhook retried, an offset not saved before a crash, two replicas
//! receiving one update) finds it claimed or done and is acknowledged without running again.
//! The service adds `/unlink` to what the handler does, and records what updates did: claimers'
//! profiles, links committed in the bot, Passport receptions.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tgauth::bot::polling::{Event, OffsetStore, Poller, PollingConfig};
use tgauth::bot::requests::SendMessage;
use tgauth::bot::types::{ChatType, Update, UpdateKind};
use tgauth::link::store::{AnyStore, Store as _};
use tgauth::{Handled, UnixTime, UpdateHandler};
use tokio_util::sync::CancellationToken;

use crate::jobs::events::{self, EventKind};
use crate::state::AppState;
use crate::store::{TelegramUserRow, UpdateClaim};

/// The name of the polling lease and offset.
const POLLER: &str = "poller";

/// The composing layer's handler, configured as the service is.
pub(crate) fn handler(state: &AppState) -> UpdateHandler<AnyStore> {
    let mut handler = UpdateHandler::new(
        state.client.clone(),
        state.linker.clone(),
        Arc::clone(&state.clock),
    )
    .with_login_links(state.login_links.clone());
    if let Some(receiver) = crate::passport::receiver(state) {
        handler = handler.with_passport(receiver);
    }
    handler
}

/// Why an update must come again.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpdateError {
    #[error("another replica is handling this update")]
    Busy,
    #[error("the database is unavailable")]
    Store(#[from] crate::store::StoreError),
    #[error("handling failed: {0}")]
    Handle(#[from] tgauth::Error),
    #[error("recording failed")]
    Record(#[from] crate::error::HttpError),
}

/// Handles one update once: claims it, handles it, records what it did, marks it done.
/// `Ok` means it may be acknowledged. `take_over` when the caller holds the polling lease (see
/// [`crate::store::Db::claim_update`]).
pub(crate) async fn handle_once(
    state: &AppState,
    handler: &UpdateHandler<AnyStore>,
    update: &Update,
    take_over: bool,
) -> Result<(), UpdateError> {
    let now = state.now();
    match state
        .db
        .claim_update(
            update.update_id,
            &state.instance,
            now,
            now.plus(60),
            take_over,
        )
        .await?
    {
        UpdateClaim::Claimed => {}
        UpdateClaim::Handled => {
            state.metrics.update("duplicate");
            return Ok(());
        }
        UpdateClaim::Busy => {
            state.metrics.update("busy");
            return Err(UpdateError::Busy);
        }
    }
    let outcome = async {
        if let Some(handled) = unlink_command(state, update, now).await? {
            record(state, handled, now).await?;
        } else {
            let handled = handler.handle(update).await?;
            record(state, handled, now).await?;
        }
        Ok::<(), UpdateError>(())
    }
    .await;
    match outcome {
        Ok(()) => {
            state
                .db
                .update_handled(update.update_id, state.now())
                .await?;
            state.metrics.update("handled");
            Ok(())
        }
        Err(error) => {
            state.metrics.update("failed");
            if let Err(release) = state.db.release_update(update.update_id).await {
                tracing::warn!(error = %release, "a failed update's claim could not be released; it waits out its lease");
            }
            Err(error)
        }
    }
}

/// `/unlink` in a private chat: the chat's link is removed.
async fn unlink_command(
    state: &AppState,
    update: &Update,
    now: UnixTime,
) -> Result<Option<Handled>, UpdateError> {
    let UpdateKind::Message(message) = &update.kind else {
        return Ok(None);
    };
    let is_unlink = message.chat.kind == ChatType::Private
        && message.text.as_deref().is_some_and(|text| {
            text.split_whitespace()
                .next()
                .map(|word| word.split('@').next().unwrap_or(word))
                .is_some_and(|word| word.eq_ignore_ascii_case("/unlink"))
        });
    let Some(from) = message.from.as_ref().filter(|_| is_unlink) else {
        return Ok(None);
    };
    let removed = state
        .linker
        .store()
        .unlink_telegram_user(from.id)
        .await
        .map_err(|error| tgauth::Error::Link(error.into()))?;
    let text = match &removed {
        Some(link) => {
            events::emit(
                state,
                EventKind::LinkRemoved,
                json!({"user": link.account.as_str(), "telegram": {"id": from.id}}),
                now,
            )
            .await?;
            format!("Unlinked from {}.", link.account.as_str())
        }
        None => "This chat is not linked to an account.".to_owned(),
    };
    let reply = SendMessage::new(message.chat.id, text);
    if let Err(error) = state.client.send_message(&reply).await
        && error.api_kind() != Some(tgauth::bot::error::ApiErrorKind::Forbidden)
    {
        return Err(tgauth::Error::Bot(error).into());
    }
    Ok(Some(Handled::Ignored))
}

/// Records what an update did.
async fn record(state: &AppState, handled: Handled, now: UnixTime) -> Result<(), UpdateError> {
    match handled {
        Handled::ConfirmationAsked { claimer, .. } => {
            state
                .db
                .upsert_telegram_user(
                    &TelegramUserRow {
                        telegram_id: claimer.user_id,
                        first_name: claimer.first_name,
                        last_name: claimer.last_name,
                        username: claimer.username,
                        photo_url: None,
                    },
                    now,
                )
                .await?;
        }
        // Committed in the bot alone (bot-only confirmation): the website learns it here.
        Handled::Linked(linked) if !linked.link.website_confirmed => {
            let account = linked.link.account.as_str().to_owned();
            state.db.delete_link_request(&account).await?;
            let telegram_id = linked.link.telegram.user_id();
            let profile = state.db.telegram_user(telegram_id).await?;
            let telegram = events::telegram_json(telegram_id, profile.as_ref());
            events::emit(
                state,
                EventKind::LinkConfirmed,
                json!({"user": account, "telegram": telegram}),
                now,
            )
            .await?;
        }
        Handled::Passport(reception) => crate::passport::record(state, reception, now).await?,
        Handled::DeadLetter { update, attempts } => {
            tracing::error!(
                update_id = update.update_id,
                attempts,
                "an update failed on every delivery and is given up"
            );
            state.metrics.update("dead_letter");
        }
        _ => {}
    }
    Ok(())
}

/// The polling offset in the database (replicas share it through the lease).
///
/// The poller loads the offset synchronously when it starts, inside the runtime, so the offset
/// is read before ([`DbOffsetStore::read`]) and handed over; saves run on tokio's blocking pool,
/// where waiting for the database is allowed.
struct DbOffsetStore {
    state: AppState,
    runtime: tokio::runtime::Handle,
    initial: Option<i64>,
}

impl DbOffsetStore {
    async fn read(state: &AppState) -> Result<Option<i64>, crate::store::StoreError> {
        let saved = state.db.offset(POLLER).await?;
        // Telegram keeps an update a day; after a week without updates it may pick update ids
        // below an old offset, which would then confirm updates nobody saw.
        let now = state.now();
        Ok(saved
            .filter(|(_, saved_at)| now.as_secs() - saved_at.as_secs() < 86_400)
            .map(|(offset, _)| offset))
    }
}

impl OffsetStore for DbOffsetStore {
    fn load(&self) -> Result<Option<i64>, tgauth::bot::Error> {
        Ok(self.initial)
    }

    fn save(&self, offset: i64) -> Result<(), tgauth::bot::Error> {
        self.runtime
            .block_on(self.state.db.save_offset(POLLER, offset, self.state.now()))
            .map_err(|error| tgauth::bot::Error::OffsetStore {
                message: error.to_string(),
            })
    }
}

/// Polls while this replica holds the lease, until the service stops.
pub(crate) async fn run_polling(state: AppState) {
    let handler = handler(&state);
    let lease = state.lease_duration();
    let lease_seconds = i64::try_from(lease.as_secs()).unwrap_or(10);
    loop {
        if state.shutdown.is_cancelled() {
            return;
        }
        let now = state.now();
        match state
            .db
            .take_lease(POLLER, &state.instance, now, now.plus(lease_seconds))
            .await
        {
            Ok(true) => {
                state.metrics.polling_lease.set(1);
                tracing::info!("this replica holds the polling lease");
                poll_while_leased(&state, &handler, lease, lease_seconds).await;
                state.metrics.polling_lease.set(0);
                if let Err(error) = state.db.release_lease(POLLER, &state.instance).await {
                    tracing::warn!(%error, "the polling lease could not be released; it runs out");
                }
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "the polling lease could not be read"),
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tokio::time::sleep(lease / 5) => {}
        }
    }
}

async fn poll_while_leased(
    state: &AppState,
    handler: &UpdateHandler<AnyStore>,
    lease: Duration,
    lease_seconds: i64,
) {
    let lost = state.shutdown.child_token();
    // Aborted when this future is dropped (the service stops without draining, or a test
    // kills it): a detached renewer would hold the lease for a poller that is gone.
    let renewer = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(renew(
        state.clone(),
        lost.clone(),
        lease,
        lease_seconds,
    )));
    let initial = match DbOffsetStore::read(state).await {
        Ok(initial) => initial,
        Err(error) => {
            tracing::warn!(%error, "the polling offset could not be read");
            lost.cancel();
            let _ = renewer.await;
            return;
        }
    };
    let poller = Poller::new(state.client.clone())
        .config(
            PollingConfig::default()
                .timeout_seconds(25)
                .conflict_is_fatal(false)
                .backoff(Duration::from_millis(500), Duration::from_secs(10))
                .max_attempts(10),
        )
        .offset_store(Arc::new(DbOffsetStore {
            state: state.clone(),
            runtime: tokio::runtime::Handle::current(),
            initial,
        }));
    let mut updates = match poller.start() {
        Ok(updates) => updates,
        Err(error) => {
            tracing::error!(%error, "polling could not start");
            lost.cancel();
            let _ = renewer.await;
            return;
        }
    };
    use futures_util::StreamExt as _;
    loop {
        let event = tokio::select! {
            () = lost.cancelled() => break,
            event = updates.next() => event,
        };
        let Some(event) = event else { break };
        match event {
            Ok(Event::Delivery(delivery)) => {
                match handle_once(state, handler, &delivery.update, true).await {
                    Ok(()) => {
                        if let Err(error) = delivery.ack_durably().await {
                            tracing::warn!(%error, "the polling offset could not be saved");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(update_id = delivery.update_id(), %error, "an update could not be handled; it comes again");
                        delivery.nack();
                    }
                }
            }
            Ok(Event::DeadLetter(dead)) => {
                let now = state.now();
                let handled = Handled::DeadLetter {
                    update: Box::new(dead.update.clone()),
                    attempts: dead.attempts(),
                };
                if record(state, handled, now).await.is_ok()
                    && let Err(error) = dead.ack_durably().await
                {
                    tracing::warn!(%error, "the polling offset could not be saved");
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%error, "polling stopped");
                break;
            }
        }
    }
    lost.cancel();
    if let Err(error) = updates.shutdown().await {
        tracing::warn!(%error, "the last offset could not be confirmed to Telegram");
    }
    let _ = renewer.await;
}

/// Renews the lease every fifth of its duration; cancels `lost` when it cannot.
async fn renew(state: AppState, lost: CancellationToken, lease: Duration, lease_seconds: i64) {
    loop {
        tokio::select! {
            () = lost.cancelled() => return,
            () = tokio::time::sleep(lease / 5) => {}
        }
        let now = state.now();
        match state
            .db
            .take_lease(POLLER, &state.instance, now, now.plus(lease_seconds))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the polling lease moved to another replica; polling stops here");
                lost.cancel();
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "the polling lease could not be renewed; polling stops here");
                lost.cancel();
                return;
            }
        }
    }
}

/// Tells Telegram where to deliver (`<public_url>/telegram/webhook/<path>`, the secret token, up to 40
/// connections as Telegram's default), retrying until it answers or the service stops.
pub(crate) async fn register_webhook(state: AppState) {
    let Some(secret) = state
        .config
        .webhook_secret
        .as_ref()
        .and_then(|secret| std::str::from_utf8(secret.expose()).ok())
        .and_then(|secret| tgauth::bot::webhook::SecretToken::new(secret).ok())
    else {
        return;
    };
    let Some(path) = webhook_path(&state.config) else {
        return;
    };
    let mut request = tgauth::bot::requests::SetWebhook::new(format!(
        "{}/telegram/webhook/{path}",
        state.config.public_url
    ));
    request.secret_token = Some(secret);
    request.max_connections = Some(40);
    let mut wait = Duration::from_secs(1);
    loop {
        match state.client.set_webhook(&request).await {
            Ok(_) => {
                tracing::info!("the webhook is registered with Telegram");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "the webhook could not be registered; trying again")
            }
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

/// The secret last segment of the webhook's path: derived from the webhook secret, so that
/// replicas agree on it and nobody who does not know the secret finds the endpoint.
pub(crate) fn webhook_path(config: &crate::Config) -> Option<String> {
    let secret = config.webhook_secret.as_ref()?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose());
    let tag = ring::hmac::sign(&key, b"tgauth webhook path");
    Some(hex::encode(&tag.as_ref()[..16]))
}

/// The webhook endpoint: `POST /telegram/webhook/{path}` with Telegram's secret header; any
/// other last segment is not found.
pub(crate) fn webhook_routes(state: &AppState) -> Option<axum::Router> {
    let secret = state.config.webhook_secret.as_ref()?;
    let secret = std::str::from_utf8(secret.expose()).ok()?;
    let secret = tgauth::bot::webhook::SecretToken::new(secret).ok()?;
    let config = tgauth::bot::webhook::WebhookConfig::with_secret(secret)
        .body_limit(state.config.body_limit);
    let handler = Arc::new(handler(state));
    let state = state.clone();
    let expected = webhook_path(&state.config)?;
    let router =
        tgauth::bot::webhook::router("/telegram/webhook/{path}", config, move |update: Update| {
            let state = state.clone();
            let handler = Arc::clone(&handler);
            async move { handle_once(&state, &handler, &update, false).await }
        });
    Some(router.route_layer(axum::middleware::from_fn(
        move |axum::extract::Path(path): axum::extract::Path<String>,
              request: axum::extract::Request,
              next: axum::middleware::Next| {
            let known = tgauth::constant_time_eq(path.as_bytes(), expected.as_bytes());
            async move {
                if known {
                    next.run(request).await
                } else {
                    axum::response::IntoResponse::into_response(crate::error::HttpError::not_found(
                        "route",
                    ))
                }
            }
        },
    )))
}
