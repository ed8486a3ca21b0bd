//! The parameters of the Bot API methods, serialized to Telegram's exact field names.
//!
//! Each has a `new` with the required fields and a setter per optional one. The typed methods
//! of [`Client`](crate::Client) take them by reference, so a request can be kept and sent again.

use crate::types::{InlineKeyboardMarkup, LinkPreviewOptions, MessageEntity, ParseMode, Recipient};
use crate::webhook::SecretToken;
use serde::Serialize;

/// The longest long-poll timeout Telegram honours, in seconds.
pub const MAX_POLL_TIMEOUT_SECONDS: u32 = 50;

/// Parameters of `getUpdates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetUpdates {
    /// The first update to return; every update below it is confirmed and forgotten by Telegram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// At most this many updates, 1-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Long-poll timeout in seconds, at most [`MAX_POLL_TIMEOUT_SECONDS`]; 0 is a short poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Update kinds to receive (`message`, `callback_query`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

/// Parameters of `setWebhook`. Its `Debug` redacts anything token-shaped in `url` (some bots
/// put their token in the webhook path).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SetWebhook {
    /// The HTTPS URL updates are posted to.
    pub url: String,
    /// Sent back in `X-Telegram-Bot-Api-Secret-Token` with every delivery (1-256 characters of
    /// `A-Z a-z 0-9 _ -`). Redacted in `Debug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<SecretToken>,
    /// Update kinds to receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
    /// True to discard the queued updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_pending_updates: Option<bool>,
    /// Maximum simultaneous connections for delivery, 1-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

impl std::fmt::Debug for SetWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetWebhook")
            .field("url", &crate::redact::redact(&self.url))
            .field("secret_token", &self.secret_token)
            .field("allowed_updates", &self.allowed_updates)
            .field("drop_pending_updates", &self.drop_pending_updates)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl SetWebhook {
    /// A webhook at `url` with no optional parameters.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret_token: None,
            allowed_updates: None,
            drop_pending_updates: None,
            max_connections: None,
        }
    }

    /// Sets the secret token.
    pub fn secret_token(mut self, secret: SecretToken) -> Self {
        self.secret_token = Some(secret);
        self
    }

    /// Sets the allowed update kinds.
    pub fn allowed_updates(mut self, kinds: Vec<String>) -> Self {
        self.allowed_updates = Some(kinds);
        self
    }

    /// Sets `drop_pending_updates`.
    pub fn drop_pending_updates(mut self, drop: bool) -> Self {
        self.drop_pending_updates = Some(drop);
        self
    }

    /// Sets `max_connections`.
    pub fn max_connections(mut self, connections: u32) -> Self {
        self.max_connections = Some(connections);
        self
    }
}

/// The setters of a message text's optional parts, shared by [`SendMessage`] and
/// [`EditMessageText`] (the same fields with the same meaning).
macro_rules! text_setters {
    ($request:ty) => {
        impl $request {
            /// Sets how Telegram parses formatting in the text.
            pub fn parse_mode(mut self, mode: ParseMode) -> Self {
                self.parse_mode = Some(mode);
                self
            }

            /// Sets explicit entities, instead of a parse mode.
            pub fn entities(mut self, entities: Vec<MessageEntity>) -> Self {
                self.entities = Some(entities);
                self
            }

            /// Sets the link preview options.
            pub fn link_preview_options(mut self, options: LinkPreviewOptions) -> Self {
                self.link_preview_options = Some(options);
                self
            }

            /// Attaches an inline keyboard.
            pub fn reply_markup(mut self, keyboard: InlineKeyboardMarkup) -> Self {
                self.reply_markup = Some(keyboard);
                self
            }
        }
    };
}

/// Parameters of `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendMessage {
    /// The target chat.
    pub chat_id: Recipient,
    /// The text, 1-4096 characters after entity parsing.
    pub text: String,
    /// How to parse formatting in `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    /// Explicit entities, instead of `parse_mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<MessageEntity>>,
    /// Link preview generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<LinkPreviewOptions>,
    /// An inline keyboard (URL, callback, Web App and login buttons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
    /// True to deliver without a sound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_notification: Option<bool>,
}

impl SendMessage {
    /// A plain text message to `chat_id`.
    pub fn new(chat_id: impl Into<Recipient>, text: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            text: text.into(),
            parse_mode: None,
            entities: None,
            link_preview_options: None,
            reply_markup: None,
            disable_notification: None,
        }
    }

    /// Sets `disable_notification`.
    pub fn disable_notification(mut self, silent: bool) -> Self {
        self.disable_notification = Some(silent);
        self
    }
}

text_setters!(SendMessage);

/// Parameters of `editMessageText` for a message the bot sent to a chat.
///
/// Telegram replaces the whole message: an edit without `reply_markup` removes the inline
/// keyboard, which is how a bot retires the buttons of a question once it is answered. An edit
/// that changes nothing is refused with 400 "message is not modified"
/// ([`ApiError::is_not_modified`](crate::error::ApiError::is_not_modified)), which a caller
/// repeating an edit can treat as success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditMessageText {
    /// The chat of the message.
    pub chat_id: Recipient,
    /// The message to edit.
    pub message_id: i64,
    /// The new text, 1-4096 characters after entity parsing.
    pub text: String,
    /// How to parse formatting in `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    /// Explicit entities, instead of `parse_mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<MessageEntity>>,
    /// Link preview generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<LinkPreviewOptions>,
    /// The inline keyboard after the edit; none removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

impl EditMessageText {
    /// Replaces the text of message `message_id` in `chat_id` (and removes its keyboard unless
    /// one is set with [`reply_markup`](Self::reply_markup)).
    pub fn new(chat_id: impl Into<Recipient>, message_id: i64, text: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            message_id,
            text: text.into(),
            parse_mode: None,
            entities: None,
            link_preview_options: None,
            reply_markup: None,
        }
    }
}

text_setters!(EditMessageText);

/// Parameters of `answerCallbackQuery`: the answer to a press on an inline button, which stops
/// the button's progress indicator and may show a notification or an alert.
///
/// Telegram expects it promptly (the client shows a spinner until then) and refuses an answer
/// to a query older than about 15 minutes, or answered already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerCallbackQuery {
    /// The query's `id` ([`CallbackQuery::id`](crate::types::CallbackQuery::id)).
    pub callback_query_id: String,
    /// A notification shown to the user, 0-200 characters; none shows nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// True to show `text` as an alert that must be dismissed, instead of a passing
    /// notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_alert: Option<bool>,
    /// A URL the user's client opens (a game, or `t.me/<bot>?start=<parameter>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Seconds the client may cache the answer (0 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_time: Option<u32>,
}

impl AnswerCallbackQuery {
    /// A silent answer to the query `callback_query_id`.
    pub fn new(callback_query_id: impl Into<String>) -> Self {
        Self {
            callback_query_id: callback_query_id.into(),
            text: None,
            show_alert: None,
            url: None,
            cache_time: None,
        }
    }

    /// Sets the notification text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets `show_alert`.
    pub fn show_alert(mut self, alert: bool) -> Self {
        self.show_alert = Some(alert);
        self
    }

    /// Sets the URL to open.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets `cache_time` in seconds.
    pub fn cache_time(mut self, seconds: u32) -> Self {
        self.cache_time = Some(seconds);
        self
    }
}

/// Whether a call may be repeated after it possibly reached the server, for
/// [`Client::call`](crate::Client::call) (the typed methods know their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Idempotency {
    /// Repeating it has no further effect (reads, setting a state).
    Idempotent,
    /// Repeating it may act twice (sending a message): repeated only on 429 or when the request
    /// provably never reached the server.
    NotIdempotent,
}
