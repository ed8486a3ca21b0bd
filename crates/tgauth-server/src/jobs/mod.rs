//! Background work: the notification and event outboxes and the housekeeping of expired rows.
//! Each loop selects on the service's cancellation token and stops with it.

pub(crate) mod events;
pub(crate) mod notifications;

use std::time::Duration;

use crate::state::AppState;

/// Deletes expired sessions, replay records, OIDC flows and old handled updates, and erases
/// Passport data past its retention, every minute.
pub(crate) async fn housekeeping(state: AppState) {
    loop {
        let now = state.now();
        match state.db.purge(now).await {
            Ok(purged) if purged > 0 => tracing::debug!(purged, "expired rows deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "housekeeping failed; trying again later"),
        }
        match crate::passport::erase_expired(&state, now).await {
            Ok(erased) if erased > 0 => {
                tracing::info!(erased, "Passport data past its retention erased");
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "Passport retention could not run; trying again later");
            }
        }
        if let Err(error) = state
            .provider_keys
            .refresh(&state.db, &state.vault, &state.config.provider, now)
            .await
        {
            tracing::warn!(%error, "the signing keys could not be refreshed; trying again later");
        }
        if let Err(error) =
            tgauth::link::store::Store::purge_expired(state.linker.store(), now).await
        {
            tracing::warn!(%error, "link store housekeeping failed; trying again later");
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

/// Checkpoints SQLite's write-ahead log every second (the connections do not checkpoint
/// themselves, so no request pays for it); a no-op on PostgreSQL.
pub(crate) async fn checkpoints(state: AppState) {
    if state.db.dialect() != crate::store::Dialect::Sqlite {
        return;
    }
    loop {
        if let Err(error) = state.db.checkpoint().await {
            tracing::warn!(%error, "the SQLite checkpoint failed; trying again");
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// The delay before attempt `attempts + 1`: 5 s doubling to an hour.
pub(crate) fn backoff(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    (5_i64 << exponent).min(3_600)
}
