//! Webhook delivery: tasks post a bot's updates and retry each with backoff until it is taken.
//!
//! An update leaves the queue only after the webhook answered 2xx, so a failing endpoint gets
//! the same update again (at-least-once, like Telegram). By default one task per bot delivers
//! one update at a time, in update order. With [`crate::SandboxBuilder::parallel_webhooks`],
//! `max_connections` tasks deliver concurrently as the real server does, and order is no longer
//! guaranteed. Tasks belong to one webhook generation; `setWebhook` and `deleteWebhook` start a
//! new generation, which ends the old tasks.

use std::sync::Arc;

use tgauth_core::BotId;

use crate::{shared::Shared, types::Update};

/// The header carrying the webhook's secret token.
pub const SECRET_TOKEN_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Starts the delivery tasks of `bot_id` for webhook `generation`.
pub(crate) fn start(shared: &Arc<Shared>, bot_id: BotId, generation: u64) {
    let workers = if shared.config.parallel_webhooks {
        let state = shared.lock();
        state
            .bots
            .get(&bot_id)
            .and_then(|bot| bot.webhook.as_ref())
            .map_or(1, |webhook| webhook.max_connections.max(1))
    } else {
        1
    };
    for _ in 0..workers {
        shared.spawn(deliver(Arc::clone(shared), bot_id, generation));
    }
}

struct Delivery {
    update: Update,
    url: String,
    secret: Option<String>,
}

enum Next {
    Deliver(Box<Delivery>),
    Wait,
    Stop,
}

/// Claims the oldest queued update no other task is delivering.
fn claim(shared: &Shared, bot_id: BotId, generation: u64) -> Next {
    let mut state = shared.lock();
    let Some(bot) = state.bots.get_mut(&bot_id) else {
        return Next::Stop;
    };
    if bot.runtime.webhook_generation != generation {
        return Next::Stop;
    }
    let Some(webhook) = &bot.webhook else {
        return Next::Stop;
    };
    let claimed = &bot.runtime.claimed;
    let Some(update) = bot
        .updates
        .iter()
        .find(|update| !claimed.contains(&update.update_id))
    else {
        return Next::Wait;
    };
    let delivery = Delivery {
        update: update.clone(),
        url: webhook.url.clone(),
        secret: webhook
            .secret_token
            .as_ref()
            .map(|secret| secret.expose().to_owned()),
    };
    bot.runtime.claimed.insert(delivery.update.update_id);
    Next::Deliver(Box::new(delivery))
}

/// Whether webhook `generation` is still the bot's current one.
fn current(shared: &Shared, bot_id: BotId, generation: u64) -> bool {
    shared
        .lock()
        .bots
        .get(&bot_id)
        .is_some_and(|bot| bot.webhook.is_some() && bot.runtime.webhook_generation == generation)
}

/// What to do after one attempt.
enum After {
    Done,
    Retry,
    Stop,
}

/// Records the outcome of one attempt: a delivered update leaves the queue, a failure is
/// reported by `getWebhookInfo`.
fn record(
    shared: &Shared,
    bot_id: BotId,
    generation: u64,
    update_id: i64,
    outcome: Result<(), String>,
) -> After {
    let now = shared.now();
    let mut state = shared.lock();
    let Some(bot) = state.bots.get_mut(&bot_id) else {
        return After::Stop;
    };
    if bot.runtime.webhook_generation != generation {
        return After::Stop;
    }
    let position = bot
        .updates
        .iter()
        .position(|update| update.update_id == update_id);
    match (outcome, position) {
        (Ok(()), Some(position)) => {
            bot.updates.remove(position);
            bot.runtime.claimed.remove(&update_id);
            After::Done
        }
        // Dropped meanwhile (drop_pending_updates): nothing left to deliver.
        (_, None) => {
            bot.runtime.claimed.remove(&update_id);
            After::Done
        }
        (Err(message), Some(_)) => {
            if let Some(webhook) = &mut bot.webhook {
                webhook.last_error_date = Some(now);
                webhook.last_error_message = Some(message);
            }
            After::Retry
        }
    }
}

async fn deliver(shared: Arc<Shared>, bot_id: BotId, generation: u64) {
    loop {
        let notify = {
            let state = shared.lock();
            match state.bots.get(&bot_id) {
                Some(bot) => Arc::clone(&bot.runtime.notify),
                None => return,
            }
        };
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let delivery = match claim(&shared, bot_id, generation) {
            Next::Stop => return,
            Next::Wait => {
                notified.await;
                continue;
            }
            Next::Deliver(delivery) => delivery,
        };
        let mut backoff = shared.config.webhook_retry_initial;
        loop {
            // A retry follows a wait during which the webhook may have been deleted or
            // replaced: never post to a URL that is no longer the bot's webhook.
            if !current(&shared, bot_id, generation) {
                return;
            }
            let outcome = post(&shared, &delivery).await;
            let after = record(
                &shared,
                bot_id,
                generation,
                delivery.update.update_id,
                outcome,
            );
            shared.changed();
            match after {
                After::Done => break,
                After::Stop => return,
                After::Retry => {
                    tokio::time::sleep(backoff).await;
                    backoff = backoff
                        .saturating_mul(2)
                        .min(shared.config.webhook_retry_max);
                }
            }
        }
    }
}

/// Posts one update; the error is the message `getWebhookInfo` reports.
async fn post(shared: &Shared, delivery: &Delivery) -> Result<(), String> {
    let mut request = shared.http.post(&delivery.url).json(&delivery.update);
    if let Some(secret) = &delivery.secret {
        request = request.header(SECRET_TOKEN_HEADER, secret);
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => {
            // Read the answer so the connection can be reused; its content does not matter.
            let _ = response.bytes().await;
            Ok(())
        }
        Ok(response) => {
            let status = response.status();
            Err(format!(
                "Wrong response from the webhook: {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned())
        }
        Err(error) if error.is_timeout() => Err("Read timeout expired".to_owned()),
        Err(error) if error.is_connect() => Err("Connection refused".to_owned()),
        Err(_) => Err("Connection reset by peer".to_owned()),
    }
}
