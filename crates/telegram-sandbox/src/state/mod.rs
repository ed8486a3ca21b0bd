//! The sandbox's state: bots, users, update queues, files, sent messages and armed faults.
//!
//! Everything lives behind one mutex in the shared handle; the functions here are synchronous
//! and never wait, so the lock is held only for short, bounded work. The serializable part is
//! what a state file keeps across a sandbox restart; the runtime part (wake-ups, poller
//! generations) is rebuilt on start.
//!
//! The state sits above the model (the Bot API objects, the control API's requests, the errors)
//! and below everything that serves HTTP: it never sees a request, a handler or the router.

mod callbacks;
mod oidc;
mod sealing;
mod signing;

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    fmt,
    sync::Arc,
};

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use tgauth_core::{BotId, BotToken, REDACTED, UnixTime, UserId, constant_time_eq};
use tokio::sync::Notify;

pub(crate) use self::oidc::{Approval, Codes, PendingCode};
use crate::{
    control::{BotInfo, CallbackAnswer, NewBot, NewFile, NewUser},
    error::ControlError,
    faults::{ArmedFault, FaultSpec},
    types::{Chat, Document, Message, MessageEntity, PassportErrors, SentMessage, Update, User},
};

/// The largest file the Bot API lets a bot download (20 MB).
pub(crate) const DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

/// A webhook secret or an OIDC access token: kept out of `Debug` output.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Secret(String);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for Secret {}

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so response timing reveals nothing about the secret.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

/// Everything the sandbox knows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) bots: BTreeMap<BotId, Bot>,
    pub(crate) users: BTreeMap<UserId, User>,
    pub(crate) faults: Vec<ArmedFault>,
    pub(crate) next_file: u64,
    /// How many callback queries were made, numbering the next one.
    #[serde(default)]
    pub(crate) next_callback_query: u64,
    #[serde(skip)]
    pub(crate) oidc_codes: Codes,
}

/// One bot and what happened to it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Bot {
    #[serde(with = "token_text")]
    pub(crate) token: BotToken,
    pub(crate) user: User,
    pub(crate) passport_public_key_pem: Option<String>,
    pub(crate) next_update_id: i64,
    pub(crate) updates: VecDeque<Update>,
    pub(crate) allowed_updates: Option<Vec<String>>,
    pub(crate) webhook: Option<Webhook>,
    pub(crate) chats: BTreeMap<UserId, ChatState>,
    pub(crate) sent: Vec<SentMessage>,
    /// What users sent the bot, as the phone shows it in their chat (updates leave the queue
    /// once confirmed; this record stays).
    #[serde(default)]
    pub(crate) received: Vec<ReceivedMessage>,
    pub(crate) passport_errors: Vec<PassportErrors>,
    /// The callback queries not answered yet, by id: who pressed the button.
    #[serde(default)]
    pub(crate) callback_queries: BTreeMap<String, UserId>,
    #[serde(default)]
    pub(crate) callback_answers: Vec<CallbackAnswer>,
    pub(crate) files: BTreeMap<String, StoredFile>,
    pub(crate) file_paths: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) oidc_approval: Option<Approval>,
    #[serde(skip)]
    pub(crate) runtime: BotRuntime,
}

/// The private chat between a bot and one user.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct ChatState {
    pub(crate) last_message_id: i64,
    pub(crate) started: bool,
    pub(crate) blocked: bool,
}

/// A message a user sent a bot, as the phone shows it: its text, or that it carried Passport
/// data (whose sealed contents are not kept here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReceivedMessage {
    pub(crate) user_id: UserId,
    pub(crate) message_id: i64,
    pub(crate) date: UnixTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) passport: bool,
}

/// A bot's webhook and the last delivery error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Webhook {
    pub(crate) url: String,
    pub(crate) secret_token: Option<Secret>,
    pub(crate) max_connections: u32,
    pub(crate) ip_address: Option<String>,
    pub(crate) last_error_date: Option<UnixTime>,
    pub(crate) last_error_message: Option<String>,
}

/// A file a bot can fetch with `getFile`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredFile {
    pub(crate) unique_id: String,
    pub(crate) file_name: Option<String>,
    pub(crate) mime_type: Option<String>,
    #[serde(with = "base64_bytes")]
    pub(crate) bytes: Bytes,
    pub(crate) path: String,
    pub(crate) path_expires_at: Option<UnixTime>,
}

/// A file to store, under ids from [`State::allocate_file_id`].
#[derive(Debug)]
pub(crate) struct StoredFileParts {
    pub(crate) unique_id: String,
    pub(crate) path: String,
    pub(crate) bytes: Bytes,
    pub(crate) file_name: Option<String>,
    pub(crate) mime_type: Option<String>,
}

/// Wake-ups and poller bookkeeping; rebuilt on start, never persisted.
#[derive(Debug, Default)]
pub(crate) struct BotRuntime {
    /// Woken whenever an update is queued or the polling/webhook situation changes.
    pub(crate) notify: Arc<Notify>,
    /// Bumped by each getUpdates and by setWebhook; a waiting poller that sees a newer value
    /// was terminated by that request.
    pub(crate) poll_generation: u64,
    pub(crate) poll_preempted_by: &'static str,
    /// The getUpdates requests holding a long poll right now.
    pub(crate) waiting_polls: usize,
    /// Bumped by each setWebhook and deleteWebhook; a delivery task of an older generation ends.
    pub(crate) webhook_generation: u64,
    /// The updates a delivery task of the current generation is posting.
    pub(crate) claimed: BTreeSet<i64>,
}

impl Bot {
    /// Queues a `message` update (see [`Bot::push`]).
    pub(crate) fn push_message(&mut self, message: Message) -> Update {
        self.push(|update| update.message = Some(message))
    }

    /// Queues an update made by `fill` unless `allowed_updates` excludes its kind, and wakes
    /// pollers and the webhook delivery task.
    fn push(&mut self, fill: impl FnOnce(&mut Update)) -> Update {
        let mut update = Update {
            update_id: self.next_update_id,
            message: None,
            callback_query: None,
        };
        fill(&mut update);
        self.next_update_id = self.next_update_id.saturating_add(1);
        let allowed = self.allowed_updates.as_ref().is_none_or(|allowed| {
            allowed.is_empty() || allowed.iter().any(|kind| kind == update.kind())
        });
        if allowed {
            self.updates.push_back(update.clone());
            self.runtime.notify.notify_waiters();
        }
        update
    }

    /// The next message id in the private chat with `user_id` (shared by both directions, as in
    /// a real private chat).
    pub(crate) fn next_message_id(&mut self, user_id: UserId) -> i64 {
        let chat = self.chats.entry(user_id).or_default();
        chat.last_message_id = chat.last_message_id.saturating_add(1);
        chat.last_message_id
    }

    /// Ends the wait of a long-polling getUpdates, which then answers 409 with `reason`.
    pub(crate) fn preempt_poller(&mut self, reason: &'static str) {
        self.runtime.poll_generation = self.runtime.poll_generation.wrapping_add(1);
        self.runtime.poll_preempted_by = reason;
        self.runtime.notify.notify_waiters();
    }

    /// Ends the current webhook delivery task, if any.
    pub(crate) fn bump_webhook_generation(&mut self) -> u64 {
        self.runtime.webhook_generation = self.runtime.webhook_generation.wrapping_add(1);
        self.runtime.claimed.clear();
        self.runtime.notify.notify_waiters();
        self.runtime.webhook_generation
    }

    /// Finds the file a download path refers to, if the path is still valid at `now`.
    pub(crate) fn file_by_path(&self, path: &str, now: UnixTime) -> Option<&StoredFile> {
        let file_id = self.file_paths.get(path)?;
        let file = self.files.get(file_id)?;
        match file.path_expires_at {
            Some(expires_at) if now < expires_at => Some(file),
            _ => None,
        }
    }
}

fn valid_username(username: &str) -> bool {
    (1..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The length Telegram counts for text limits and entity offsets: UTF-16 code units.
pub(crate) fn utf16_length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The `bot_command` entity of a message that starts with `/command` or `/command@bot`.
fn command_entity(text: &str) -> Option<MessageEntity> {
    let rest = text.strip_prefix('/')?;
    let token = rest.split(char::is_whitespace).next().unwrap_or_default();
    let (command, bot) = match token.split_once('@') {
        Some((command, bot)) => (command, Some(bot)),
        None => (token, None),
    };
    let word = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if command.is_empty() || command.len() > 32 || !word(command) {
        return None;
    }
    if let Some(bot) = bot
        && (bot.is_empty() || !word(bot))
    {
        return None;
    }
    let length = i64::try_from(utf16_length(token).saturating_add(1)).ok()?;
    Some(MessageEntity {
        kind: "bot_command".to_owned(),
        offset: 0,
        length,
        url: None,
        user: None,
        language: None,
        custom_emoji_id: None,
    })
}

impl State {
    /// The bot a token belongs to, compared in constant time.
    pub(crate) fn bot_by_token(&mut self, token: &str) -> Option<&mut Bot> {
        let token = BotToken::new(token).ok()?;
        self.bots
            .get_mut(&token.bot_id())
            .filter(|bot| bot.token == token)
    }

    /// The id of the bot with `username` (case-insensitive, an `@` prefix allowed).
    pub(crate) fn bot_id(&self, username: &str) -> Result<BotId, ControlError> {
        let wanted = username.strip_prefix('@').unwrap_or(username);
        self.bots
            .iter()
            .find(|(_, bot)| {
                bot.user
                    .username
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(wanted))
            })
            .map(|(id, _)| *id)
            .ok_or_else(|| ControlError::UnknownBot {
                username: username.to_owned(),
            })
    }

    /// The bot with `username` and the Passport key it registered.
    pub(crate) fn bot_info(&self, username: &str) -> Result<BotInfo, ControlError> {
        let id = self.bot_id(username)?;
        let bot = self.bots.get(&id).ok_or_else(|| ControlError::UnknownBot {
            username: username.to_owned(),
        })?;
        Ok(BotInfo {
            user: bot.user.clone(),
            passport_public_key_pem: bot.passport_public_key_pem.clone(),
        })
    }

    pub(crate) fn bot_mut(&mut self, username: &str) -> Result<&mut Bot, ControlError> {
        let id = self.bot_id(username)?;
        self.bots
            .get_mut(&id)
            .ok_or_else(|| ControlError::UnknownBot {
                username: username.to_owned(),
            })
    }

    /// Creates a bot; creating the same bot again (same token and username) is a no-op.
    pub(crate) fn create_bot(&mut self, new: NewBot) -> Result<User, ControlError> {
        let token =
            BotToken::new(new.token).map_err(|reason| ControlError::InvalidToken { reason })?;
        let id = token.bot_id();
        let username = new
            .username
            .strip_prefix('@')
            .unwrap_or(&new.username)
            .to_owned();
        if !valid_username(&username) {
            return Err(ControlError::InvalidUsername { username });
        }
        if let Some(pem) = &new.passport_public_key_pem
            && let Err(error) = passport_crypto::key::PublicKey::from_pem(pem)
        {
            return Err(ControlError::InvalidRequest {
                reason: format!("passport_public_key_pem: {error}"),
            });
        }
        if let Some(existing) = self.bots.get(&id) {
            let same_username = existing.user.username.as_deref() == Some(username.as_str());
            if existing.token == token && same_username {
                return Ok(existing.user.clone());
            }
            return Err(ControlError::AlreadyExists {
                what: format!("bot {id}"),
            });
        }
        if self.bot_id(&username).is_ok()
            || self.users.values().any(|user| {
                user.username
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(&username))
            })
        {
            return Err(ControlError::AlreadyExists {
                what: format!("username @{username}"),
            });
        }
        let user = User {
            id: UserId::from(id),
            is_bot: true,
            first_name: new.first_name.unwrap_or_else(|| username.clone()),
            last_name: None,
            username: Some(username),
            language_code: None,
            is_premium: None,
            can_join_groups: None,
            can_read_all_group_messages: None,
            supports_inline_queries: None,
            can_connect_to_business: None,
            has_main_web_app: None,
        };
        self.bots.insert(
            id,
            Bot {
                token,
                user: user.clone(),
                passport_public_key_pem: new.passport_public_key_pem,
                next_update_id: 1,
                updates: VecDeque::new(),
                allowed_updates: None,
                webhook: None,
                chats: BTreeMap::new(),
                sent: Vec::new(),
                received: Vec::new(),
                passport_errors: Vec::new(),
                callback_queries: BTreeMap::new(),
                callback_answers: Vec::new(),
                files: BTreeMap::new(),
                file_paths: BTreeMap::new(),
                oidc_approval: None,
                runtime: BotRuntime::default(),
            },
        );
        Ok(user)
    }

    /// Creates a user, or updates the user with that id.
    pub(crate) fn create_user(&mut self, new: NewUser) -> Result<User, ControlError> {
        if new.id.get() <= 0 {
            return Err(ControlError::InvalidUserId { id: new.id });
        }
        if self.bots.contains_key(&BotId(new.id.get())) {
            return Err(ControlError::AlreadyExists {
                what: format!("bot {}", new.id),
            });
        }
        if new.first_name.is_empty() || new.first_name.chars().count() > 64 {
            return Err(ControlError::InvalidFirstName);
        }
        if let Some(username) = &new.username
            && !valid_username(username)
        {
            return Err(ControlError::InvalidUsername {
                username: username.clone(),
            });
        }
        let user = User {
            id: new.id,
            is_bot: false,
            first_name: new.first_name,
            last_name: new.last_name,
            username: new.username,
            language_code: new.language_code,
            is_premium: new.is_premium.filter(|premium| *premium),
            can_join_groups: None,
            can_read_all_group_messages: None,
            supports_inline_queries: None,
            can_connect_to_business: None,
            has_main_web_app: None,
        };
        self.users.insert(user.id, user.clone());
        Ok(user)
    }

    /// The user with `user_id`, created on the fly (first name `User <id>`) if unknown.
    pub(crate) fn user_or_create(&mut self, user_id: UserId) -> Result<User, ControlError> {
        if let Some(user) = self.users.get(&user_id) {
            return Ok(user.clone());
        }
        self.create_user(NewUser {
            id: user_id,
            first_name: format!("User {user_id}"),
            last_name: None,
            username: None,
            language_code: None,
            is_premium: None,
        })
    }

    /// A user sends `text` to a bot in their private chat; returns the queued update.
    pub(crate) fn user_sends_text(
        &mut self,
        username: &str,
        user_id: UserId,
        text: String,
        now: UnixTime,
    ) -> Result<Update, ControlError> {
        let length = utf16_length(&text);
        if !(1..=4096).contains(&length) {
            return Err(ControlError::InvalidText { length });
        }
        let entities = command_entity(&text).map(|entity| vec![entity]);
        self.user_sends(username, user_id, now, |message| {
            message.text = Some(text);
            message.entities = entities;
        })
    }

    /// A user sends a message to a bot, shaped by `fill`; returns the queued update.
    pub(crate) fn user_sends(
        &mut self,
        username: &str,
        user_id: UserId,
        now: UnixTime,
        fill: impl FnOnce(&mut Message),
    ) -> Result<Update, ControlError> {
        // An unknown bot is refused before a user is created on the fly.
        self.bot_id(username)?;
        let user = self.user_or_create(user_id)?;
        let bot = self.bot_mut(username)?;
        if bot.chats.get(&user_id).is_some_and(|chat| chat.blocked) {
            return Err(ControlError::Blocked { user_id });
        }
        let message_id = bot.next_message_id(user_id);
        bot.chats.entry(user_id).or_default().started = true;
        let mut message = Message {
            message_id,
            from: Some(user.clone()),
            chat: Chat::private(&user),
            date: now,
            edit_date: None,
            text: None,
            entities: None,
            document: None,
            passport_data: None,
            link_preview_options: None,
            reply_markup: None,
        };
        fill(&mut message);
        bot.received.push(ReceivedMessage {
            user_id,
            message_id,
            date: now,
            text: message.text.clone(),
            passport: message.passport_data.is_some(),
        });
        Ok(bot.push_message(message))
    }

    /// The id the phone gives a new account: the first free one from 100001 up (below that
    /// are the ids tests pick by hand).
    pub(crate) fn next_free_user_id(&self) -> UserId {
        (100_001..)
            .map(UserId)
            .find(|id| !self.users.contains_key(id) && !self.bots.contains_key(&BotId(id.get())))
            .unwrap_or(UserId(i64::MAX))
    }

    /// Arms a fault (see [`crate::faults`]).
    pub(crate) fn inject_fault(&mut self, spec: FaultSpec) -> Result<(), ControlError> {
        let bot_id = spec
            .bot
            .as_deref()
            .map(|bot| self.bot_id(bot))
            .transpose()?;
        self.faults.push(ArmedFault::new(spec, bot_id)?);
        Ok(())
    }

    /// A user blocks (or unblocks) a bot: the bot's messages to them then fail with 403.
    pub(crate) fn set_blocked(
        &mut self,
        username: &str,
        user_id: UserId,
        blocked: bool,
    ) -> Result<(), ControlError> {
        self.user_or_create(user_id)?;
        let bot = self.bot_mut(username)?;
        bot.chats.entry(user_id).or_default().blocked = blocked;
        Ok(())
    }

    /// Chooses who the bot's OIDC authorizations are approved as (`None`: refused).
    pub(crate) fn set_oidc_user(
        &mut self,
        username: &str,
        user_id: Option<UserId>,
    ) -> Result<(), ControlError> {
        if let Some(user_id) = user_id {
            self.user_or_create(user_id)?;
        }
        let bot = self.bot_mut(username)?;
        bot.oidc_approval = Some(user_id.map_or(Approval::Deny, Approval::User));
        Ok(())
    }

    /// A new file id, unique id and sequence number for a file of bot `bot_id`.
    pub(crate) fn allocate_file_id(&mut self, bot_id: BotId) -> (String, String, u64) {
        self.next_file = self.next_file.saturating_add(1);
        let number = self.next_file;
        (
            format!("BQACAgIAAxkBAAI{:x}F{number:08x}", bot_id.get()),
            format!("AgAD{number:08x}"),
            number,
        )
    }

    /// Stores a file under an id from [`State::allocate_file_id`].
    pub(crate) fn store_file(&mut self, bot_id: BotId, file_id: String, parts: StoredFileParts) {
        if let Some(bot) = self.bots.get_mut(&bot_id) {
            bot.files.insert(
                file_id,
                StoredFile {
                    unique_id: parts.unique_id,
                    file_name: parts.file_name,
                    mime_type: parts.mime_type,
                    bytes: parts.bytes,
                    path: parts.path,
                    path_expires_at: None,
                },
            );
        }
    }

    /// Stores a file a bot can fetch with `getFile`.
    pub(crate) fn add_file(
        &mut self,
        username: &str,
        new: NewFile,
    ) -> Result<Document, ControlError> {
        let bot_id = self.bot_id(username)?;
        let (file_id, unique_id, number) = self.allocate_file_id(bot_id);
        let extension = new
            .file_name
            .as_deref()
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, extension)| extension)
            .filter(|extension| {
                !extension.is_empty()
                    && extension.len() <= 8
                    && extension.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        let path = match extension {
            Some(extension) => format!("documents/file_{number}.{extension}"),
            None => format!("documents/file_{number}"),
        };
        let document = Document {
            file_id: file_id.clone(),
            file_unique_id: unique_id.clone(),
            file_name: new.file_name.clone(),
            mime_type: new.mime_type.clone(),
            file_size: u64::try_from(new.bytes.len()).ok(),
        };
        self.store_file(
            bot_id,
            file_id,
            StoredFileParts {
                unique_id,
                path,
                bytes: new.bytes,
                file_name: new.file_name,
                mime_type: new.mime_type,
            },
        );
        Ok(document)
    }
}

/// Serializes file contents as standard base64 in the state file.
mod base64_bytes {
    use axum::body::Bytes;
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        bytes: &Bytes,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(serde::de::Error::custom)
    }
}

/// Keeps a bot token in the state file as its text, checked again on load.
mod token_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use tgauth_core::BotToken;

    pub(super) fn serialize<S: Serializer>(
        token: &BotToken,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(token.dangerous_expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BotToken, D::Error> {
        let text = String::deserialize(deserializer)?;
        BotToken::new(text).map_err(serde::de::Error::custom)
    }
}
