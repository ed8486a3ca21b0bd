//! The Bot API objects the sandbox serves, serialized as the real server writes them.
//!
//! Optional fields are omitted when absent, and fields come in the order api.telegram.org writes
//! them (a message's `chat` before its `date`, a chat's `type` after its names, an entity's
//! `type` after its span), as the real server does. These are the sandbox's own types so that
//! it can be written and tested independently of the client under test: the emulator must not
//! share the client's mistakes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tgauth_core::{ChatId, UnixTime, UserId};

/// A Telegram user or bot (`User` in the Bot API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique identifier of the user or bot.
    pub id: UserId,
    /// True if this user is a bot.
    pub is_bot: bool,
    /// First name of the user or bot.
    pub first_name: String,
    /// Last name of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username of the user or bot, without the `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// IETF language tag of the user's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// True if the user has Telegram Premium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_premium: Option<bool>,
    /// True if the bot can be invited to groups; only in `getMe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_join_groups: Option<bool>,
    /// True if privacy mode is disabled for the bot; only in `getMe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_read_all_group_messages: Option<bool>,
    /// True if the bot supports inline queries; only in `getMe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_inline_queries: Option<bool>,
    /// True if the bot can be connected to a Telegram Business account; only in `getMe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_connect_to_business: Option<bool>,
    /// True if the bot has a main Web App; only in `getMe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_main_web_app: Option<bool>,
}

/// A chat (`Chat` in the Bot API); the sandbox has private chats only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    /// Unique identifier of the chat; for a private chat, the user's id.
    pub id: ChatId,
    /// First name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Type of the chat: `private` in the sandbox.
    #[serde(rename = "type")]
    pub kind: String,
}

impl Chat {
    /// The private chat with `user`.
    pub fn private(user: &User) -> Self {
        Self {
            id: ChatId::from(user.id),
            first_name: Some(user.first_name.clone()),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            kind: "private".to_owned(),
        }
    }
}

/// Up-to-date information about a chat, as `getChat` answers it (`ChatFullInfo` in the Bot
/// API), with the fields the real server writes for a private chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFullInfo {
    /// What a message's `chat` says: the id, the names and the type, in that order.
    #[serde(flatten)]
    pub chat: Chat,
    /// Every active username of the chat; present when it has a username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_usernames: Option<Vec<String>>,
    /// The largest number of reactions that can be set on a message in the chat.
    pub max_reaction_count: u32,
    /// Identifier of the accent color for the chat name and backgrounds.
    pub accent_color_id: u32,
}

impl ChatFullInfo {
    /// The private chat with `user`, as `getChat` describes it.
    pub fn private(user: &User) -> Self {
        Self {
            chat: Chat::private(user),
            active_usernames: user.username.clone().map(|username| vec![username]),
            // What the real server answers for a private chat.
            max_reaction_count: 11,
            // One of the seven default colors, chosen by the id as clients choose it for a
            // user who set none.
            accent_color_id: u32::try_from(user.id.get().rem_euclid(7)).unwrap_or_default(),
        }
    }
}

/// A special entity in a text message (`MessageEntity` in the Bot API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEntity {
    /// Offset in UTF-16 code units to the start of the entity.
    pub offset: i64,
    /// Length of the entity in UTF-16 code units.
    pub length: i64,
    /// Type of the entity, such as `bot_command` or `url`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `text_link` only: the URL opened on tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `text_mention` only: the mentioned user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// For `pre` only: the programming language of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// For `custom_emoji` only: the custom emoji's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_emoji_id: Option<String>,
}

/// A general file (`Document` in the Bot API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Identifier for downloading or reusing the file.
    pub file_id: String,
    /// Unique identifier of the file, the same for every bot.
    pub file_unique_id: String,
    /// Original file name as defined by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// MIME type of the file as defined by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// File size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
}

/// A message (`Message` in the Bot API), with the fields the sandbox produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Unique message identifier inside its chat.
    pub message_id: i64,
    /// Sender of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    /// Chat the message belongs to.
    pub chat: Chat,
    /// Date the message was sent.
    pub date: UnixTime,
    /// Date the message was last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_date: Option<UnixTime>,
    /// The UTF-8 text of a text message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Special entities in the text, such as a `bot_command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<MessageEntity>>,
    /// A general file attached to the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    /// Telegram Passport data submitted by the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport_data: Option<Value>,
    /// Options used for link preview generation, as the bot sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<Value>,
    /// Inline keyboard attached to the message, as the bot sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<Value>,
}

/// An incoming update (`Update` in the Bot API); the sandbox produces `message` and
/// `callback_query` updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// The update's unique identifier, increasing by one per update of a bot.
    pub update_id: i64,
    /// New incoming message of any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// New incoming callback query: a press on an inline button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_query: Option<CallbackQuery>,
}

impl Update {
    /// The update kind as named in `allowed_updates`, such as `message`.
    pub fn kind(&self) -> &'static str {
        if self.message.is_some() {
            "message"
        } else if self.callback_query.is_some() {
            "callback_query"
        } else {
            "unknown"
        }
    }
}

/// A press on a callback button of an inline keyboard (`CallbackQuery` in the Bot API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackQuery {
    /// Unique identifier of the query, for `answerCallbackQuery`.
    pub id: String,
    /// The user who pressed the button.
    pub from: User,
    /// The message with the button, as the user saw it (its keyboard included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// Identifier of the chat the message with the button is in, the same for every press in
    /// that chat.
    pub chat_instance: String,
    /// The button's `callback_data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A file ready to be downloaded (`File` in the Bot API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// Identifier for downloading or reusing the file.
    pub file_id: String,
    /// Unique identifier of the file, the same for every bot.
    pub file_unique_id: String,
    /// File size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Path to download the file from `/file/bot<token>/<file_path>`, valid for one hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
}

/// The current webhook status (`WebhookInfo` in the Bot API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    /// Webhook URL, empty if no webhook is set.
    pub url: String,
    /// True if a custom certificate was provided; always false in the sandbox.
    pub has_custom_certificate: bool,
    /// Number of updates awaiting delivery.
    pub pending_update_count: u64,
    /// Currently used webhook IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Time of the most recent error that happened when delivering an update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_date: Option<UnixTime>,
    /// Error message of the most recent delivery error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_message: Option<String>,
    /// Maximum allowed number of simultaneous connections for delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Update types the bot is subscribed to, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

/// A message a bot sent, as recorded by the sandbox and listed by `GET /sandbox/bots/{username}/sent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The message as the user sees it now: as `sendMessage` returned it, or as the last
    /// `editMessageText` left it (its current text and `reply_markup`, with `edit_date`).
    pub message: Message,
    /// The `parse_mode` the bot asked for (in the last edit, if any); the sandbox does not
    /// render markup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<String>,
}

/// Passport element errors a bot set for a user with `setPassportDataErrors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassportErrors {
    /// The user whose Passport data the errors are about.
    pub user_id: UserId,
    /// The `PassportElementError` objects as the bot sent them.
    pub errors: Vec<Value>,
}
