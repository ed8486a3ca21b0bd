//! Notifications: messages to a website account through the chats linked to it.
//!
//! [`Notifier::notify`] sends one message to every active chat linked to an account. A chat
//! that blocked the bot, or whose user deleted their account, answers 403: the link is marked
//! inactive in the store (it stays, so the person can come back with `/start`), the outcome
//! says so, and later notifications skip it. Flood control (429) is waited out as long as
//! Telegram asks, up to a cap, before the message is tried again.

use std::sync::Arc;
use std::time::Duration;

use bot_api_client::Client;
use bot_api_client::error::ApiErrorKind;
use bot_api_client::requests::SendMessage;
use bot_api_client::types::{InlineKeyboardMarkup, ParseMode};
use deeplink_auth::store::Store;
use deeplink_auth::{AccountId, Error as LinkError, TelegramIdentity};
use tgauth_core::Clock;

use crate::Error;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// The text.
    pub text: String,
    /// How Telegram parses formatting in it.
    pub parse_mode: Option<ParseMode>,
    /// An inline keyboard (links, callbacks).
    pub keyboard: Option<InlineKeyboardMarkup>,
}

impl Notification {
    /// A plain text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            parse_mode: None,
            keyboard: None,
        }
    }

    /// Sets the parse mode.
    pub fn with_parse_mode(mut self, mode: ParseMode) -> Self {
        self.parse_mode = Some(mode);
        self
    }

    /// Attaches an inline keyboard.
    pub fn with_keyboard(mut self, keyboard: InlineKeyboardMarkup) -> Self {
        self.keyboard = Some(keyboard);
        self
    }
}

/// What happened to a notification in one linked chat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyOutcome {
    /// Delivered to Telegram.
    Sent {
        /// The chat.
        telegram: TelegramIdentity,
        /// The message's id in the chat.
        message_id: i64,
    },
    /// Telegram refused with 403 (the bot is blocked, or the user is gone): the link is now
    /// marked inactive.
    Blocked {
        /// The chat.
        telegram: TelegramIdentity,
    },
    /// Skipped: the link was marked inactive earlier.
    Inactive {
        /// The chat.
        telegram: TelegramIdentity,
    },
}

/// Sends messages to website accounts through their linked chats.
#[derive(Debug, Clone)]
pub struct Notifier<S> {
    client: Client,
    store: S,
    clock: Arc<dyn Clock>,
    max_wait: Duration,
    attempts: u32,
}

impl<S: Store> Notifier<S> {
    /// A notifier over the links in `store`, sending through `client`; flood-control waits of
    /// up to five minutes are honoured, three times at most per message.
    pub fn new(client: Client, store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            store,
            clock,
            max_wait: Duration::from_secs(300),
            attempts: 3,
        }
    }

    /// The longest flood-control wait honoured; a longer `retry_after` fails the notification.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Sends `notification` to every chat linked to `account`, one outcome per chat.
    /// [`Error::NotLinked`] when the account has no linked chat at all.
    pub async fn notify(
        &self,
        account: &AccountId,
        notification: &Notification,
    ) -> Result<Vec<NotifyOutcome>, Error> {
        let links = self
            .store
            .links_of_account(account)
            .await
            .map_err(LinkError::from)?;
        if links.is_empty() {
            return Err(Error::NotLinked);
        }
        let mut outcomes = Vec::with_capacity(links.len());
        for link in links {
            let telegram = link.telegram;
            if link.inactive_since.is_some() {
                outcomes.push(NotifyOutcome::Inactive { telegram });
                continue;
            }
            outcomes.push(self.send(telegram, notification).await?);
        }
        Ok(outcomes)
    }

    async fn send(
        &self,
        telegram: TelegramIdentity,
        notification: &Notification,
    ) -> Result<NotifyOutcome, Error> {
        let mut message = SendMessage::new(telegram.chat_id(), notification.text.clone());
        if let Some(mode) = notification.parse_mode {
            message = message.parse_mode(mode);
        }
        if let Some(keyboard) = &notification.keyboard {
            message = message.reply_markup(keyboard.clone());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.client.send_message(&message).await {
                Ok(sent) => {
                    return Ok(NotifyOutcome::Sent {
                        telegram,
                        message_id: sent.message_id,
                    });
                }
                Err(error) => error,
            };
            match error.api_kind() {
                Some(ApiErrorKind::Forbidden) => {
                    let now = self.clock.now();
                    self.store
                        .mark_link_inactive(telegram.user_id(), now)
                        .await
                        .map_err(LinkError::from)?;
                    tracing::info!(
                        user_id = %telegram.user_id(),
                        "telegram refused a notification with 403; the link is marked inactive"
                    );
                    return Ok(NotifyOutcome::Blocked { telegram });
                }
                Some(ApiErrorKind::RetryAfter) if attempt < self.attempts => {
                    let wait = error
                        .api()
                        .and_then(|api| api.retry_after_duration())
                        .unwrap_or(Duration::from_secs(1));
                    if wait > self.max_wait {
                        return Err(Error::Bot(error));
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(Error::Bot(error)),
            }
        }
    }
}
