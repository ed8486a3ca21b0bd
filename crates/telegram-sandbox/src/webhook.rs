//! Webhook delivery: one task per bot posts its updates in order and retries with backoff.
//!
//! An update leaves the queue only after the webhook answered 2xx, so a failing endpoint gets
//! the same update again (at-least-once, like Telegram). A task belongs to one webhook
//! generation; `setWebhook` and `deleteWebhook` start a new generation, which ends the old task.

use std::sync::Arc;

use crate::{sandbox::Shared, types::Update};

/// The header carrying the webhook's secret token.
pub const SECRET_TOKEN_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Starts the delivery task of `bot_id` for webhook `generation`.
pub(crate) fn start(shared: &Arc<Shared>, bot_id: i64, generation: u64) {
    let shared_for_task = Arc::clone(shared);
    shared.spawn(deliver(shared_for_task, bot_id, generation));
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

async fn deliver(shared: Arc<Shared>, bot_id: i64, generation: u64) {
    let initial = shared.config.webhook_retry_initial;
    let mut backoff = initial;
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
        let next = {
            let state = shared.lock();
            match state.bots.get(&bot_id) {
                Some(bot) if bot.runtime.webhook_generation == generation => {
                    match (&bot.webhook, bot.updates.front()) {
                        (None, _) => Next::Stop,
                        (Some(_), None) => Next::Wait,
                        (Some(webhook), Some(update)) => Next::Deliver(Box::new(Delivery {
                            update: update.clone(),
                            url: webhook.url.clone(),
                            secret: webhook
                                .secret_token
                                .as_ref()
                                .map(|secret| secret.expose().to_owned()),
                        })),
                    }
                }
                _ => Next::Stop,
            }
        };
        let delivery = match next {
            Next::Stop => return,
            Next::Wait => {
                notified.await;
                continue;
            }
            Next::Deliver(delivery) => delivery,
        };
        let outcome = post(&shared, &delivery).await;
        let now = shared.now();
        {
            let mut state = shared.lock();
            let Some(bot) = state.bots.get_mut(&bot_id) else {
                return;
            };
            if bot.runtime.webhook_generation != generation {
                return;
            }
            match &outcome {
                Ok(()) => {
                    if bot
                        .updates
                        .front()
                        .is_some_and(|front| front.update_id == delivery.update.update_id)
                    {
                        bot.updates.pop_front();
                    }
                }
                Err(message) => {
                    if let Some(webhook) = &mut bot.webhook {
                        webhook.last_error_date = Some(now);
                        webhook.last_error_message = Some(message.clone());
                    }
                }
            }
        }
        shared.changed();
        match outcome {
            Ok(()) => backoff = initial,
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(shared.config.webhook_retry_max);
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
