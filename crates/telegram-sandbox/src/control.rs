//! The control API under `/sandbox/`: bots, users, messages, files, what bots did, faults.
//!
//! It plays the Telegram app's and the developer's side. Requests and answers are JSON in the
//! Bot API's envelope (`{"ok":true,"result":...}`, or `{"ok":false,"error_code":N,
//! "description":"..."}` with N 400 for invalid input, 404 for an unknown bot and 409 for a
//! clash). `{username}` is a bot's username, case-insensitive, with or without `@`.
//!
//! The control API has no authentication, so it answers only what a web page cannot send:
//!
//! - every `/sandbox/` request must be addressed to a loopback `Host` (`127.0.0.1`, `[::1]` or
//!   `localhost`, with any port), or it is refused with 403 `Forbidden: the control API
//!   answers only requests whose Host is 127.0.0.1, [::1] or localhost (with any port)`: a page
//!   whose own name is rebound to 127.0.0.1 sends its own name;
//! - a request with a body must be `Content-Type: application/json` (a file upload:
//!   `application/octet-stream`), or it is refused with 415 `Unsupported Media Type: a control
//!   request with a body must be Content-Type: application/json`: an HTML form can post only
//!   `application/x-www-form-urlencoded`, `multipart/form-data` and `text/plain` without a
//!   CORS preflight, which the sandbox never grants.
//!
//! The Bot API and the OIDC provider keep Telegram's behaviour (any host, any body type).
//!
//! | request | body | result |
//! |---|---|---|
//! | `POST /sandbox/bots` | `{"token","username","first_name"?,"passport_public_key_pem"?}` | the bot's `User` |
//! | `GET /sandbox/bots/{username}` | | `{"user","passport_public_key_pem"}`: the bot's `User` and its Passport public key (PEM) or `null` |
//! | `POST /sandbox/users` | `{"id","first_name","last_name"?,"username"?,"language_code"?,"is_premium"?}` | the `User` (created or updated) |
//! | `POST /sandbox/bots/{username}/messages` | `{"user_id","text"}` | the `Update` the bot receives |
//! | `POST /sandbox/bots/{username}/callback_query` | `{"user_id","message_id","data"}` | the `Update` with the `callback_query` the bot receives |
//! | `POST /sandbox/bots/{username}/files?file_name=&mime_type=` | the file's bytes (`application/octet-stream`) | a `Document` whose `file_id` works with `getFile` |
//! | `POST /sandbox/bots/{username}/block` | `{"user_id","blocked"?}` (default true) | `true` |
//! | `POST /sandbox/bots/{username}/login_widget` | `{"user_id","auth_date"?}` | Login Widget data: `{"json","query","hash"}` |
//! | `POST /sandbox/bots/{username}/web_app` | `{"user_id","auth_date"?,"query_id"?,"start_param"?}` | Mini App data: `{"init_data","third_party_public_key"}` |
//! | `POST /sandbox/bots/{username}/passport` | `{"user_id","nonce","elements":[...]}` (see [`crate::passport`]) | the `Update` with `passport_data` |
//! | `POST /sandbox/bots/{username}/oidc` | `{"user_id"}` or `{"deny":true}` | `true`; who OIDC logins to the bot are approved as |
//! | `GET /sandbox/bots/{username}/sent` | | the messages the bot sent, as they are now: `[{"message","parse_mode"?}]` |
//! | `GET /sandbox/bots/{username}/callback_answers` | | the bot's `answerCallbackQuery` calls: `[{"callback_query_id","user_id","text"?,"show_alert","url"?}]` |
//! | `GET /sandbox/bots/{username}/passport_errors` | | `[{"user_id","errors":[...]}]` from `setPassportDataErrors` |
//! | `GET /sandbox/bots/{username}/updates` | | the updates not yet confirmed or delivered |
//! | `GET /sandbox/bots/{username}/waiting_polls` | | how many `getUpdates` calls are holding a long poll now |
//! | `POST /sandbox/faults` | `{"bot"?,"method","count"?,"fault":{"kind",...}}` | `true` |
//! | `DELETE /sandbox/faults` | | `true` |
//!
//! A user who sends a message without having been created is created on the fly with the first
//! name `User <id>`. A message starting with a command such as `/start <payload>` carries a
//! `bot_command` entity. Fault kinds: `{"kind":"too_many_requests","retry_after":K}`,
//! `{"kind":"migrated","migrate_to_chat_id":N}`, `{"kind":"server_error"}`, `{"kind":"bad_gateway"}`, `{"kind":"drop_connection"}`,
//! `{"kind":"drop_connection_after_processing"}`, `{"kind":"delay","millis":N}`; see
//! [`crate::faults`].
//!
//! # Inline buttons
//!
//! A message the bot sent with an inline keyboard keeps it (`"reply_markup"` in `/sent`), and
//! after `editMessageText` `/sent` shows the current text, keyboard and `"edit_date"`. A user
//! presses one of its callback buttons with
//!
//! ```json
//! POST /sandbox/bots/example_bot/callback_query
//! {"user_id": 42, "message_id": 2, "data": "confirm:7"}
//! ```
//!
//! which queues and answers the update the bot receives:
//!
//! ```json
//! {"ok": true, "result": {"update_id": 3, "callback_query": {
//!   "id": "123456000000000001",
//!   "from": {"id": 42, "is_bot": false, "first_name": "Ada"},
//!   "message": {"message_id": 2, "from": {"id": 123456, "is_bot": true, ...},
//!     "chat": {"id": 42, "first_name": "Ada", "type": "private"}, "date": 1700000000,
//!     "text": "Link your account?", "reply_markup": {"inline_keyboard": [[
//!       {"text": "Yes", "callback_data": "confirm:7"}]]}},
//!   "chat_instance": "-1234560000000000000042",
//!   "data": "confirm:7"}}}
//! ```
//!
//! The `id` is unique; the `chat_instance` is the same for every press in that chat; the
//! `message` is the bot's message as the user sees it, keyboard included. As Telegram delivers
//! only presses of buttons that exist, the press is refused with 400 unless `message_id` is a
//! message the bot sent to that user's private chat (`the bot sent no message 2 to the private
//! chat with user 42`) whose current inline keyboard has a button with exactly this
//! `callback_data` (`message 2 has no inline button with this callback_data`); a user who
//! blocked the bot presses nothing (409). The bot answers with `answerCallbackQuery` once;
//! `GET /sandbox/bots/{username}/callback_answers` then lists
//!
//! ```json
//! {"ok": true, "result": [{"callback_query_id": "123456000000000001", "user_id": 42,
//!   "text": "Linked", "show_alert": false}]}
//! ```

use std::fmt;

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use tgauth_core::{REDACTED, UnixTime, UserId};

use crate::types::User;

/// A bot to create (`POST /sandbox/bots`).
#[derive(Clone, Serialize, Deserialize)]
pub struct NewBot {
    /// The bot's token, `<bot id>:<secret>` as @BotFather issues it (checked with
    /// [`tgauth_core::BotToken`]); the bot's user id is the number before the colon.
    pub token: String,
    /// The bot's username, without `@`.
    pub username: String,
    /// The bot's display name; defaults to the username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// The bot's Passport public key (PEM), to seal Passport data submitted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport_public_key_pem: Option<String>,
}

impl NewBot {
    /// A bot with `token` and `username`, named after its username, without a Passport key.
    pub fn new(token: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            username: username.into(),
            first_name: None,
            passport_public_key_pem: None,
        }
    }
}

impl fmt::Debug for NewBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewBot")
            .field("token", &REDACTED)
            .field("username", &self.username)
            .field("first_name", &self.first_name)
            .field(
                "passport_public_key_pem",
                &self.passport_public_key_pem.as_ref().map(|_| "<PEM>"),
            )
            .finish()
    }
}

/// A bot as the control API describes it (`GET /sandbox/bots/{username}`): its user and the
/// Passport public key it registered, to compare with the key a service holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotInfo {
    /// The bot's `User`, as `getMe` describes it.
    pub user: User,
    /// The bot's Passport public key (PEM), if it registered one.
    pub passport_public_key_pem: Option<String>,
}

/// A user to create or update (`POST /sandbox/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// The user's id (positive).
    pub id: UserId,
    /// The user's first name (1 to 64 characters).
    pub first_name: String,
    /// The user's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// The user's username, without `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's language, an IETF language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// Whether the user has Telegram Premium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_premium: Option<bool>,
}

impl NewUser {
    /// A user with `id` and `first_name` and nothing else.
    pub fn new(id: impl Into<UserId>, first_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            first_name: first_name.into(),
            last_name: None,
            username: None,
            language_code: None,
            is_premium: None,
        }
    }
}

/// A file to store for a bot (`POST /sandbox/bots/{username}/files`).
#[derive(Debug, Clone)]
pub(crate) struct NewFile {
    pub(crate) bytes: Bytes,
    pub(crate) file_name: Option<String>,
    pub(crate) mime_type: Option<String>,
}

/// The query string of `POST /sandbox/bots/{username}/files`.
#[derive(Debug, Deserialize)]
pub(crate) struct FileQuery {
    pub(crate) file_name: Option<String>,
    pub(crate) mime_type: Option<String>,
}

/// A user's message to a bot (`POST /sandbox/bots/{username}/messages`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct NewMessage {
    pub(crate) user_id: UserId,
    pub(crate) text: String,
}

/// A user blocks or unblocks a bot (`POST /sandbox/bots/{username}/block`).
#[derive(Debug, Deserialize)]
pub(crate) struct Block {
    pub(crate) user_id: UserId,
    #[serde(default = "yes")]
    pub(crate) blocked: bool,
}

fn yes() -> bool {
    true
}

/// Whom Login Widget data is for (`POST /sandbox/bots/{username}/login_widget`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LoginRequest {
    pub(crate) user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_date: Option<UnixTime>,
}

/// Who the bot's OIDC logins are approved as (`POST /sandbox/bots/{username}/oidc`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OidcApproval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deny: bool,
}

/// A user presses an inline button (`POST /sandbox/bots/{username}/callback_query`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonPress {
    /// The user who presses it, in their private chat with the bot.
    pub user_id: UserId,
    /// The bot's message that carries the button.
    pub message_id: i64,
    /// The button's `callback_data`, exactly.
    pub data: String,
}

/// A bot's answer to a callback query (`answerCallbackQuery`), as
/// `GET /sandbox/bots/{username}/callback_answers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAnswer {
    /// The query answered.
    pub callback_query_id: String,
    /// The user who pressed the button.
    pub user_id: UserId,
    /// The notification shown to the user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the text is shown as an alert rather than a notification.
    pub show_alert: bool,
    /// The URL the user's client opens, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}
