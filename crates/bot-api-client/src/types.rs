//! Bot API types: Update, Message, User, Chat, ChatFullInfo, File, WebhookInfo, keyboards, and
//! the [`Recipient`] of a message.
//!
//! Every type tolerates fields it does not know (serde ignores them), so a newer Bot API never
//! makes an older bot fail to parse. An update of a kind this crate does not model arrives as
//! [`UpdateKind::Other`] with its raw JSON. Ids are [`UserId`] and [`ChatId`], dates
//! [`UnixTime`], all serialized as Telegram's plain integers.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use tgauth_core::{ChatId, UnixTime, UserId};

/// An incoming update: its id and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Telegram's sequential update id; `getUpdates` confirms every id below its `offset`.
    pub update_id: i64,
    /// What the update carries.
    pub kind: UpdateKind,
}

/// What an [`Update`] carries, named after its JSON field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateKind {
    /// `message`: a new incoming message.
    Message(Box<Message>),
    /// `edited_message`: a new version of a message the bot already knows.
    EditedMessage(Box<Message>),
    /// `channel_post`: a new channel post.
    ChannelPost(Box<Message>),
    /// `edited_channel_post`: a new version of a channel post.
    EditedChannelPost(Box<Message>),
    /// `callback_query`: a press on an inline keyboard button.
    CallbackQuery(Box<CallbackQuery>),
    /// Any other kind, or a known kind whose body this crate could not parse: the update object
    /// without `update_id`, as received. Delivery never stops on an update the crate does not
    /// understand.
    Other(Value),
}

impl UpdateKind {
    fn field_name(&self) -> Option<&'static str> {
        match self {
            Self::Message(_) => Some("message"),
            Self::EditedMessage(_) => Some("edited_message"),
            Self::ChannelPost(_) => Some("channel_post"),
            Self::EditedChannelPost(_) => Some("edited_channel_post"),
            Self::CallbackQuery(_) => Some("callback_query"),
            Self::Other(_) => None,
        }
    }
}

impl Update {
    /// The message this update carries, if it is a (new or edited) message or channel post.
    pub fn message(&self) -> Option<&Message> {
        match &self.kind {
            UpdateKind::Message(m)
            | UpdateKind::EditedMessage(m)
            | UpdateKind::ChannelPost(m)
            | UpdateKind::EditedChannelPost(m) => Some(m),
            _ => None,
        }
    }
}

/// Deserializing is strict about the kinds this crate models (a `message` that is not a Message
/// is an error) and tolerant of every other kind. The crate's own entry points
/// ([`crate::webhook::parse_update`], `getUpdates`) retry a failed update with
/// [`Update::from_value_lenient`], so one malformed update never stops delivery.
impl<'de> Deserialize<'de> for Update {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(UpdateVisitor)
    }
}

/// Reads an update in one pass: known kinds straight into their types, without an intermediate
/// `serde_json::Value` (measured in `benches/parse.rs`).
struct UpdateVisitor;

impl<'de> serde::de::Visitor<'de> for UpdateVisitor {
    type Value = Update;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Telegram update object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Update, A::Error> {
        let mut update_id = None;
        let mut kind = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match (key.as_ref(), &kind) {
                ("update_id", _) => update_id = Some(map.next_value::<i64>()?),
                ("message", None) => kind = Some(UpdateKind::Message(map.next_value()?)),
                ("edited_message", None) => {
                    kind = Some(UpdateKind::EditedMessage(map.next_value()?))
                }
                ("channel_post", None) => kind = Some(UpdateKind::ChannelPost(map.next_value()?)),
                ("edited_channel_post", None) => {
                    kind = Some(UpdateKind::EditedChannelPost(map.next_value()?));
                }
                ("callback_query", None) => {
                    kind = Some(UpdateKind::CallbackQuery(map.next_value()?))
                }
                _ => {
                    rest.insert(key.into_owned(), map.next_value::<Value>()?);
                }
            }
        }
        let update_id = update_id.ok_or_else(|| A::Error::missing_field("update_id"))?;
        let kind = kind.unwrap_or(UpdateKind::Other(Value::Object(rest)));
        Ok(Update { update_id, kind })
    }
}

impl Update {
    /// Reads an update the tolerant way: a known kind whose body does not parse becomes
    /// [`UpdateKind::Other`] with its raw JSON instead of an error. Fails only without an
    /// integer `update_id`.
    pub fn from_value_lenient(value: Value) -> Result<Self, serde_json::Error> {
        let Value::Object(mut object) = value else {
            return Err(serde_json::Error::custom("an update must be a JSON object"));
        };
        let update_id = object
            .remove("update_id")
            .ok_or_else(|| serde_json::Error::missing_field("update_id"))?;
        let update_id = update_id
            .as_i64()
            .ok_or_else(|| serde_json::Error::custom("update_id is not an integer"))?;
        Ok(Self {
            update_id,
            kind: kind_from_object(object),
        })
    }
}

fn kind_from_object(object: Map<String, Value>) -> UpdateKind {
    fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Option<Box<T>> {
        T::deserialize(value).ok().map(Box::new)
    }
    let known = object.iter().find_map(|(key, value)| match key.as_str() {
        "message" => Some(parse(value).map(UpdateKind::Message)),
        "edited_message" => Some(parse(value).map(UpdateKind::EditedMessage)),
        "channel_post" => Some(parse(value).map(UpdateKind::ChannelPost)),
        "edited_channel_post" => Some(parse(value).map(UpdateKind::EditedChannelPost)),
        "callback_query" => Some(parse(value).map(UpdateKind::CallbackQuery)),
        _ => None,
    });
    match known {
        Some(Some(kind)) => kind,
        _ => UpdateKind::Other(Value::Object(object)),
    }
}

impl Serialize for Update {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut object = Map::new();
        object.insert("update_id".to_owned(), Value::from(self.update_id));
        let body = match &self.kind {
            UpdateKind::Message(m)
            | UpdateKind::EditedMessage(m)
            | UpdateKind::ChannelPost(m)
            | UpdateKind::EditedChannelPost(m) => serde_json::to_value(m),
            UpdateKind::CallbackQuery(q) => serde_json::to_value(q),
            UpdateKind::Other(Value::Object(rest)) => {
                for (key, value) in rest {
                    object.insert(key.clone(), value.clone());
                }
                return object.serialize(serializer);
            }
            UpdateKind::Other(_) => {
                return Err(S::Error::custom("an Other update must be an object"));
            }
        }
        .map_err(S::Error::custom)?;
        if let Some(name) = self.kind.field_name() {
            object.insert(name.to_owned(), body);
        }
        object.serialize(serializer)
    }
}

/// A Telegram user or bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique identifier.
    pub id: UserId,
    /// True for bots.
    #[serde(default)]
    pub is_bot: bool,
    /// First name.
    pub first_name: String,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username, without `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// IETF language tag of the user's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// True for Telegram Premium users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_premium: Option<bool>,
    /// `getMe` only: true if the bot can be invited to groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_join_groups: Option<bool>,
    /// `getMe` only: true if privacy mode is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_read_all_group_messages: Option<bool>,
    /// `getMe` only: true if the bot supports inline queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_inline_queries: Option<bool>,
}

/// The type of a chat, with Telegram's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChatType {
    /// `private`: a one-to-one chat with a user.
    Private,
    /// `group`.
    Group,
    /// `supergroup`.
    Supergroup,
    /// `channel`.
    Channel,
    /// A type this crate does not know yet (serializes as `unknown`).
    #[serde(other)]
    Unknown,
}

/// A chat, as messages carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    /// Unique identifier (negative for groups and channels; a private chat's is its user's id).
    pub id: ChatId,
    /// The chat's type.
    #[serde(rename = "type")]
    pub kind: ChatType,
    /// Title of groups, supergroups and channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Username, without `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// First name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Identifier unique inside the chat.
    pub message_id: i64,
    /// When the message was sent (0 for a message the bot can no longer access).
    pub date: UnixTime,
    /// The chat it belongs to.
    pub chat: Chat,
    /// The sender; absent in channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    /// The UTF-8 text of a text message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Special entities (commands, links, formatting) in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<MessageEntity>>,
    /// Telegram Passport data the user shared with the bot (encrypted; open it with
    /// `passport-crypto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport_data: Option<passport_types::received::PassportData>,
    /// Data sent by a Web App.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_app_data: Option<WebAppData>,
    /// The inline keyboard attached to the message: the one the bot sent with it, as
    /// `sendMessage` and `editMessageText` return it and callback queries carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

/// A special entity in a text: a command, a link, formatting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEntity {
    /// The entity's type as Telegram spells it (`bot_command`, `url`, `bold`, `text_link`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Offset in UTF-16 code units.
    pub offset: u32,
    /// Length in UTF-16 code units.
    pub length: u32,
    /// `text_link` only: the URL opened on tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `text_mention` only: the mentioned user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// `pre` only: the programming language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `custom_emoji` only: the custom emoji's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_emoji_id: Option<String>,
}

impl MessageEntity {
    /// An entity of `kind` covering `length` UTF-16 units from `offset`.
    pub fn new(kind: impl Into<String>, offset: u32, length: u32) -> Self {
        Self {
            kind: kind.into(),
            offset,
            length,
            url: None,
            user: None,
            language: None,
            custom_emoji_id: None,
        }
    }
}

/// Data a Web App sent to the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppData {
    /// The data; untrusted, as any user input.
    pub data: String,
    /// Text of the keyboard button that opened the Web App.
    pub button_text: String,
}

/// A press on an inline keyboard button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackQuery {
    /// Unique identifier of the query.
    pub id: String,
    /// Who pressed.
    pub from: User,
    /// The message with the button, when it is not too old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Message>>,
    /// The button's `callback_data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Global identifier of the chat the message was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_instance: Option<String>,
}

/// A file ready to be downloaded with [`Client::download_file`](crate::Client::download_file).
///
/// Its `Debug` redacts the token from `file_path`: a local Bot API server in `--local` mode
/// answers with paths such as `/var/lib/telegram-bot-api/<token>/documents/file_1.pdf`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// Identifier to download or reuse the file.
    pub file_id: String,
    /// Identifier stable over time and across bots; cannot be used to download.
    pub file_unique_id: String,
    /// Size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Path for `/file/bot<token>/<file_path>`, or an absolute local path when the bot talks to
    /// a local Bot API server in `--local` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("file_id", &self.file_id)
            .field("file_unique_id", &self.file_unique_id)
            .field("file_size", &self.file_size)
            .field(
                "file_path",
                &self.file_path.as_deref().map(crate::redact::redact),
            )
            .finish()
    }
}

/// The state of the bot's webhook (`getWebhookInfo`). Its `Debug` redacts anything
/// token-shaped in `url` and `last_error_message` (some bots put their token in the webhook
/// path).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    /// The webhook URL; empty when none is set.
    pub url: String,
    /// True if a custom certificate was provided.
    #[serde(default)]
    pub has_custom_certificate: bool,
    /// Updates waiting for delivery.
    #[serde(default)]
    pub pending_update_count: u64,
    /// The IP address Telegram resolved the webhook to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// When the latest delivery error happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_date: Option<UnixTime>,
    /// The latest delivery error, in human-readable form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_message: Option<String>,
    /// When the latest error synchronizing with Telegram's datacenters happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synchronization_error_date: Option<UnixTime>,
    /// Maximum simultaneous HTTPS connections for delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// The update kinds the bot is subscribed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

impl std::fmt::Debug for WebhookInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookInfo")
            .field("url", &crate::redact::redact(&self.url))
            .field("has_custom_certificate", &self.has_custom_certificate)
            .field("pending_update_count", &self.pending_update_count)
            .field("ip_address", &self.ip_address)
            .field("last_error_date", &self.last_error_date)
            .field(
                "last_error_message",
                &self
                    .last_error_message
                    .as_deref()
                    .map(crate::redact::redact),
            )
            .field(
                "last_synchronization_error_date",
                &self.last_synchronization_error_date,
            )
            .field("max_connections", &self.max_connections)
            .field("allowed_updates", &self.allowed_updates)
            .finish()
    }
}

/// Where a message goes (the `chat_id` parameter of the Bot API): a numeric chat id or the
/// `@username` of a public channel or supergroup. A user's id is the id of the bot's private
/// chat with them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Recipient {
    /// A numeric chat id.
    Id(ChatId),
    /// `@username` of a public channel or supergroup, with the `@`.
    Username(String),
}

impl From<ChatId> for Recipient {
    fn from(id: ChatId) -> Self {
        Self::Id(id)
    }
}

impl From<UserId> for Recipient {
    fn from(id: UserId) -> Self {
        Self::Id(ChatId::from(id))
    }
}

impl From<i64> for Recipient {
    fn from(id: i64) -> Self {
        Self::Id(ChatId(id))
    }
}

/// Up-to-date information about a chat, as `getChat` returns it.
///
/// Only the fields a login service shows are modelled; the Bot API's many others are ignored.
/// For a private chat the id is the user's id and the names are the user's as they are now,
/// not as some earlier message carried them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFullInfo {
    /// Unique identifier (negative for groups and channels; a private chat's is its user's id).
    pub id: ChatId,
    /// The chat's type.
    #[serde(rename = "type")]
    pub kind: ChatType,
    /// Title of groups, supergroups and channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Username, without `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// First name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Every active username of the chat, without `@` (collectible ones included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_usernames: Option<Vec<String>>,
    /// Bio of the other party in a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// Description of groups, supergroups and channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// How Telegram parses formatting in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ParseMode {
    /// `MarkdownV2`.
    MarkdownV2,
    /// `HTML`.
    #[serde(rename = "HTML")]
    Html,
    /// `Markdown`: the legacy mode.
    Markdown,
}

/// How the link preview of a message is generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPreviewOptions {
    /// True to disable the preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
    /// The URL to preview instead of the first one in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// True to shrink the media in the preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer_small_media: Option<bool>,
    /// True to enlarge the media in the preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer_large_media: Option<bool>,
    /// True to show the preview above the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_above_text: Option<bool>,
}

/// An inline keyboard attached to a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineKeyboardMarkup {
    /// Rows of buttons.
    pub inline_keyboard: Vec<Vec<InlineKeyboardButton>>,
}

impl InlineKeyboardMarkup {
    /// A keyboard from rows of buttons.
    pub fn new(rows: Vec<Vec<InlineKeyboardButton>>) -> Self {
        Self {
            inline_keyboard: rows,
        }
    }
}

/// A button of an inline keyboard: its label and exactly one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineKeyboardButton {
    /// The label.
    pub text: String,
    /// What a press does.
    #[serde(flatten)]
    pub action: InlineKeyboardAction,
}

impl InlineKeyboardButton {
    /// A button that opens `url`.
    pub fn url(text: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            action: InlineKeyboardAction::Url(url.into()),
        }
    }
    /// A button that logs the user in to a website (Telegram Login over a button).
    pub fn login_url(text: impl Into<String>, login_url: LoginUrl) -> Self {
        Self {
            text: text.into(),
            action: InlineKeyboardAction::LoginUrl(login_url),
        }
    }
    /// A button that sends `data` back to the bot in a callback query.
    pub fn callback(text: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            action: InlineKeyboardAction::CallbackData(data.into()),
        }
    }
}

/// The action of an [`InlineKeyboardButton`], serialized as Telegram's field of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InlineKeyboardAction {
    /// `url`: open a link (`http(s)://` or `tg://`).
    Url(String),
    /// `callback_data`: send 1-64 bytes back to the bot.
    CallbackData(String),
    /// `web_app`: open a Web App.
    WebApp(WebAppInfo),
    /// `login_url`: log the user in to a website.
    LoginUrl(LoginUrl),
}

/// A Web App to open from a button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppInfo {
    /// The HTTPS URL of the Web App.
    pub url: String,
}

/// A login button's parameters: Telegram appends the user's signed Login Widget data to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginUrl {
    /// The HTTPS URL that receives the user's authorization data as query parameters.
    pub url: String,
    /// New label of the button in forwarded messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_text: Option<String>,
    /// Username of the bot that authorizes the user; the bot itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_username: Option<String>,
    /// True to request permission for the bot to message the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_write_access: Option<bool>,
}

impl LoginUrl {
    /// A login URL with no optional parameters.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            forward_text: None,
            bot_username: None,
            request_write_access: None,
        }
    }
}
