//! The Bot API: update ids, offset confirmation, long polling, webhooks, files, Telegram's envelope.
//!
//! Requests arrive at `/bot<token>/<method>` by GET or POST with parameters in the query string,
//! a JSON body, an urlencoded form or a multipart form (text fields), as the real server takes
//! them; method names are case-insensitive. Every answer is Telegram's envelope:
//! `{"ok":true,"result":...}` or `{"ok":false,"error_code":N,"description":"...",
//! "parameters":{...}}` with N as the HTTP status.
//!
//! Implemented methods: `getMe`, `getUpdates`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`,
//! `sendMessage`, `editMessageText`, `answerCallbackQuery`, `getChat`, `getFile`,
//! `setPassportDataErrors`; files download from `/file/bot<token>/<file_path>`. The semantics
//! follow the real server:
//!
//! - update ids increase by one per bot; `getUpdates` forgets the updates below `offset` only
//!   when called with it (a negative offset keeps the last `-offset` updates); `limit` is clamped
//!   to 1-100 and `timeout` to 0-50 s;
//! - a long poll waits until an update arrives or `timeout` passes; a newer `getUpdates`
//!   terminates a waiting one with 409 `Conflict: terminated by other getUpdates request; make
//!   sure that only one bot instance is running`, and `getUpdates` while a webhook is set answers
//!   409 `Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to
//!   delete the webhook first`;
//! - a webhook receives each update as a JSON POST with `X-Telegram-Bot-Api-Secret-Token` when a
//!   secret is set, one at a time in update order (or over `max_connections` concurrent requests
//!   with [`crate::SandboxBuilder::parallel_webhooks`]); a non-2xx answer or a connection failure
//!   is retried with exponential backoff and reported by `getWebhookInfo`;
//! - `sendMessage` reaches only a user who messaged the bot (403 `Forbidden: bot can't initiate
//!   conversation with a user`) and has not blocked it (403 `Forbidden: bot was blocked by the
//!   user`, for `editMessageText` too); an inline keyboard in `reply_markup` stays on the
//!   message;
//! - `editMessageText` (`chat_id`, `message_id`, `text`, and optionally `parse_mode`,
//!   `entities`, `link_preview_options`, `reply_markup`) replaces the text of a message the bot
//!   sent and returns the message with `edit_date`; an edit without `reply_markup` removes the
//!   keyboard. The same text and keyboard again answer 400 `Bad Request: message is not
//!   modified: specified new message content and reply markup are exactly the same as a
//!   current content and reply markup of the message`, an unknown message 400 `Bad Request:
//!   message to edit not found`, a message of the user's 400 `Bad Request: message can't be
//!   edited`;
//! - `answerCallbackQuery` (`callback_query_id`, and optionally `text`, `show_alert`, `url`)
//!   answers a press on an inline button once; an unknown, another bot's or an answered query
//!   answers 400 `Bad Request: query is too old and response timeout expired or query ID is
//!   invalid` (the sandbox does not expire queries);
//! - `getChat` of a user who talked to the bot answers the private chat's `ChatFullInfo`
//!   (`id`, `first_name`, `last_name`, `username`, `type`, `active_usernames`,
//!   `max_reaction_count`, `accent_color_id`, in that order); any other chat 400 `Bad Request:
//!   chat not found`;
//! - `getFile` paths are valid for one hour; files over 20 MB cannot be fetched ("file is too
//!   big").

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use axum::{
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use passport_types::errors::PassportElementError;
use serde::Deserialize as _;
use serde_json::Value;
use tgauth_core::{BotId, ChatId, UnixTime, UserId};
use tokio::time::Instant;

use crate::{
    http::{self, ApiError, Params, Reply},
    server::ConnectionKill,
    shared::Shared,
    state::{Bot, ChatState, DOWNLOAD_LIMIT, Secret, Webhook, utf16_length},
    types::{
        Chat, ChatFullInfo, File, Message, MessageEntity, PassportErrors, SentMessage, User,
        WebhookInfo,
    },
    webhook,
};

/// The longest `getUpdates` timeout the Bot API honours, in seconds.
const LONG_POLL_MAX_SECONDS: i64 = 50;
/// How long a `getFile` path stays valid, in seconds.
const FILE_PATH_LIFETIME: i64 = 3600;

const CONFLICT_OTHER_POLLER: &str = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const CONFLICT_WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const CONFLICT_SET_WEBHOOK: &str = "Conflict: terminated by setWebhook request";

/// Serves `/bot<token>/<method>`; every other unrouted path answers 404 in the envelope.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, method)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::not_found().into_response();
    };
    let method = method.to_ascii_lowercase();
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let (bot_id, drop_after) = match http::bot_call(&shared, token, kill.as_ref(), &method).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let result = match Params::from_request(request).await {
        Ok(params) => call(&shared, bot_id, &method, &params).await,
        Err(error) => Err(error),
    };
    if drop_after {
        return http::drop_connection(kill.as_ref()).await;
    }
    match result {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn call(
    shared: &Arc<Shared>,
    bot_id: BotId,
    method: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    if method == "getupdates" {
        return get_updates(shared, bot_id, params).await;
    }
    let now = shared.now();
    let mut state = shared.lock();
    let crate::state::State { bots, users, .. } = &mut *state;
    let bot = bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
    let reply = match method {
        "getme" => get_me(bot),
        "sendmessage" => send_message(bot, users, params, now),
        "editmessagetext" => edit_message_text(bot, users, params, now),
        "answercallbackquery" => answer_callback_query(bot, params),
        "getchat" => get_chat(bot, users, params),
        "getfile" => get_file(bot, params, now),
        "setpassportdataerrors" => set_passport_data_errors(bot, users, params),
        "getwebhookinfo" => Reply::of(&webhook_info(bot)),
        "setwebhook" => {
            let (reply, generation) = set_webhook(bot, params)?;
            drop(state);
            if let Some(generation) = generation {
                webhook::start(shared, bot_id, generation);
            }
            shared.changed();
            return Ok(reply);
        }
        "deletewebhook" => delete_webhook(bot, params),
        _ => Err(ApiError::not_found()),
    };
    drop(state);
    if reply.is_ok() && !matches!(method, "getme" | "getwebhookinfo" | "getchat") {
        shared.changed();
    }
    reply
}

fn get_me(bot: &Bot) -> Result<Reply, ApiError> {
    let mut user = bot.user.clone();
    user.can_join_groups = Some(true);
    user.can_read_all_group_messages = Some(false);
    user.supports_inline_queries = Some(false);
    user.can_connect_to_business = Some(false);
    user.has_main_web_app = Some(false);
    Reply::of(&user)
}

/// Forgets the updates `offset` confirms: those below a positive offset, or all but the last
/// `-offset` for a negative one.
fn confirm(bot: &mut Bot, offset: i64) -> bool {
    let before = bot.updates.len();
    if offset > 0 {
        while bot
            .updates
            .front()
            .is_some_and(|update| update.update_id < offset)
        {
            bot.updates.pop_front();
        }
    } else if offset < 0 {
        let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
        let excess = bot.updates.len().saturating_sub(keep);
        bot.updates.drain(..excess);
    }
    bot.updates.len() != before
}

async fn get_updates(
    shared: &Arc<Shared>,
    bot_id: BotId,
    params: &Params,
) -> Result<Reply, ApiError> {
    let offset = params.integer("offset")?.unwrap_or(0);
    let limit = params.integer("limit")?.unwrap_or(100).clamp(1, 100);
    let limit = usize::try_from(limit).unwrap_or(100);
    let timeout = params
        .integer("timeout")?
        .unwrap_or(0)
        .clamp(0, LONG_POLL_MAX_SECONDS);
    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    let allowed_updates: Option<Vec<String>> =
        params.json("allowed_updates", "allowed_updates JSON array")?;

    let (generation, notify, (confirmed, immediate)) = {
        let mut state = shared.lock();
        let bot = state
            .bots
            .get_mut(&bot_id)
            .ok_or_else(ApiError::unauthorized)?;
        if bot.webhook.is_some() {
            return Err(ApiError::new(409, CONFLICT_WEBHOOK_ACTIVE));
        }
        if let Some(allowed) = allowed_updates {
            bot.allowed_updates = Some(allowed);
        }
        bot.preempt_poller(CONFLICT_OTHER_POLLER);
        let confirmed = confirm(bot, offset);
        // A request that need not wait answers under the same lock, so a newer request can
        // only terminate requests that are really waiting.
        let immediate = (!bot.updates.is_empty() || timeout == 0).then(|| {
            let updates: Vec<_> = bot.updates.iter().take(limit).collect();
            Reply::of(&updates)
        });
        if immediate.is_none() {
            // Counted in the same critical section that registers the poll, so an observer
            // that sees the count also sees the generation this request waits under.
            bot.runtime.waiting_polls = bot.runtime.waiting_polls.saturating_add(1);
        }
        (
            bot.runtime.poll_generation,
            Arc::clone(&bot.runtime.notify),
            (confirmed, immediate),
        )
    };
    if confirmed {
        shared.changed();
    }
    if let Some(reply) = immediate {
        return reply;
    }
    let _waiting = WaitingPoll { shared, bot_id };
    loop {
        // Registered before looking at the queue, so an update queued right after the look
        // still wakes this poller.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let state = shared.lock();
            let bot = state.bots.get(&bot_id).ok_or_else(ApiError::unauthorized)?;
            if bot.runtime.poll_generation != generation {
                return Err(ApiError::new(409, bot.runtime.poll_preempted_by));
            }
            if !bot.updates.is_empty() || Instant::now() >= deadline {
                let updates: Vec<_> = bot.updates.iter().take(limit).collect();
                return Reply::of(&updates);
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// A long poll in progress; uncounted when the request ends in any way, including when its
/// connection closes and the request is dropped.
struct WaitingPoll<'a> {
    shared: &'a Shared,
    bot_id: BotId,
}

impl Drop for WaitingPoll<'_> {
    fn drop(&mut self) {
        if let Some(bot) = self.shared.lock().bots.get_mut(&self.bot_id) {
            bot.runtime.waiting_polls = bot.runtime.waiting_polls.saturating_sub(1);
        }
    }
}

fn webhook_info(bot: &Bot) -> WebhookInfo {
    let pending = u64::try_from(bot.updates.len()).unwrap_or(u64::MAX);
    match &bot.webhook {
        Some(webhook) => WebhookInfo {
            url: webhook.url.clone(),
            has_custom_certificate: false,
            pending_update_count: pending,
            ip_address: webhook.ip_address.clone(),
            last_error_date: webhook.last_error_date,
            last_error_message: webhook.last_error_message.clone(),
            max_connections: Some(webhook.max_connections),
            allowed_updates: bot.allowed_updates.clone(),
        },
        None => WebhookInfo {
            url: String::new(),
            has_custom_certificate: false,
            pending_update_count: pending,
            ip_address: None,
            last_error_date: None,
            last_error_message: None,
            max_connections: None,
            allowed_updates: bot.allowed_updates.clone(),
        },
    }
}

/// Sets the webhook; returns the generation of the delivery task to start, if one is needed.
fn set_webhook(bot: &mut Bot, params: &Params) -> Result<(Reply, Option<u64>), ApiError> {
    let url = params.string("url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(bot, params).map(|reply| (reply, None));
    }
    let parsed = reqwest::Url::parse(&url)
        .map_err(|_| ApiError::bad_request("bad webhook: failed to parse URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::bad_request(
            "bad webhook: an HTTP or HTTPS URL must be provided for webhook",
        ));
    }
    let secret_token = match params
        .string("secret_token")
        .filter(|secret| !secret.is_empty())
    {
        Some(secret) if secret.len() > 256 => {
            return Err(ApiError::bad_request("secret token is too long"));
        }
        Some(secret)
            if !secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            return Err(ApiError::bad_request(
                "secret token contains unallowed characters",
            ));
        }
        Some(secret) => Some(Secret::new(secret)),
        None => None,
    };
    let max_connections = params
        .integer("max_connections")?
        .unwrap_or(40)
        .clamp(1, 100);
    let max_connections = u32::try_from(max_connections).unwrap_or(40);
    let allowed_updates: Option<Vec<String>> =
        params.json("allowed_updates", "allowed_updates JSON array")?;
    if params.boolean("drop_pending_updates")?.unwrap_or(false) {
        bot.updates.clear();
    }
    if let Some(allowed) = allowed_updates {
        let known: BTreeSet<&str> = allowed.iter().map(String::as_str).collect();
        bot.allowed_updates = Some(known.into_iter().map(str::to_owned).collect());
    }
    let ip_address = params.string("ip_address").filter(|ip| !ip.is_empty());
    let unchanged = bot.webhook.as_ref().is_some_and(|webhook| {
        webhook.url == url
            && webhook.secret_token == secret_token
            && webhook.max_connections == max_connections
            && webhook.ip_address == ip_address
    });
    if unchanged {
        return Ok((Reply::described(true, "Webhook is already set"), None));
    }
    bot.webhook = Some(Webhook {
        url,
        secret_token,
        max_connections,
        ip_address,
        last_error_date: None,
        last_error_message: None,
    });
    bot.preempt_poller(CONFLICT_SET_WEBHOOK);
    let generation = bot.bump_webhook_generation();
    Ok((Reply::described(true, "Webhook was set"), Some(generation)))
}

fn delete_webhook(bot: &mut Bot, params: &Params) -> Result<Reply, ApiError> {
    if params.boolean("drop_pending_updates")?.unwrap_or(false) {
        bot.updates.clear();
    }
    if bot.webhook.take().is_some() {
        bot.bump_webhook_generation();
        Ok(Reply::described(true, "Webhook was deleted"))
    } else {
        Ok(Reply::described(true, "Webhook is already deleted"))
    }
}

/// What `sendMessage` and `editMessageText` set: the text and how it shows.
#[derive(Debug, PartialEq)]
struct Content {
    text: String,
    parse_mode: Option<String>,
    entities: Option<Vec<MessageEntity>>,
    link_preview_options: Option<Value>,
    /// Only inline keyboards come back in the message, as on the real server.
    reply_markup: Option<Value>,
}

impl Content {
    fn of(params: &Params) -> Result<Self, ApiError> {
        let text = params.string("text").unwrap_or_default();
        let parse_mode = params.string("parse_mode").filter(|mode| !mode.is_empty());
        if let Some(mode) = &parse_mode
            && !["html", "markdown", "markdownv2"].contains(&mode.to_ascii_lowercase().as_str())
        {
            return Err(ApiError::bad_request(format!(
                "unsupported parse_mode \"{mode}\""
            )));
        }
        let entities: Option<Vec<MessageEntity>> =
            params.json("entities", "entities JSON array")?;
        let reply_markup: Option<Value> =
            params.json("reply_markup", "reply keyboard markup JSON object")?;
        if let Some(markup) = &reply_markup {
            check_reply_markup(markup)?;
        }
        let link_preview_options: Option<Value> =
            params.json("link_preview_options", "link preview options JSON object")?;
        Ok(Self {
            text,
            parse_mode,
            entities: entities.filter(|entities| !entities.is_empty()),
            link_preview_options,
            reply_markup: reply_markup.filter(|markup| markup.get("inline_keyboard").is_some()),
        })
    }

    /// Telegram's limits on the text: not blank, at most 4096 UTF-16 code units.
    fn check_text(&self) -> Result<(), ApiError> {
        if self.text.trim().is_empty() {
            return Err(ApiError::bad_request("message text is empty"));
        }
        if utf16_length(&self.text) > 4096 {
            return Err(ApiError::bad_request("message is too long"));
        }
        Ok(())
    }

    /// Whether `sent` already shows this content: the same text, formatting and keyboard.
    fn shown_by(&self, sent: &SentMessage) -> bool {
        let message = &sent.message;
        message.text.as_deref() == Some(self.text.as_str())
            && sent.parse_mode == self.parse_mode
            && message.entities == self.entities
            && message.reply_markup == self.reply_markup
    }
}

/// The user of a private chat and the chat's state, unless the user blocked the bot (403) or
/// is unknown (400 `chat not found`).
fn unblocked_chat<'a>(
    bot: &Bot,
    users: &'a BTreeMap<UserId, User>,
    chat_id: UserId,
) -> Result<(&'a User, ChatState), ApiError> {
    let user = users
        .get(&chat_id)
        .ok_or_else(|| ApiError::bad_request("chat not found"))?;
    let chat = bot.chats.get(&chat_id).cloned().unwrap_or_default();
    if chat.blocked {
        return Err(ApiError::forbidden("bot was blocked by the user"));
    }
    Ok((user, chat))
}

fn send_message(
    bot: &mut Bot,
    users: &BTreeMap<UserId, User>,
    params: &Params,
    now: UnixTime,
) -> Result<Reply, ApiError> {
    let chat_id = private_chat(bot, users, params)?;
    let content = Content::of(params)?;
    let (user, chat) = unblocked_chat(bot, users, chat_id)?;
    if !chat.started {
        return Err(ApiError::forbidden(
            "bot can't initiate conversation with a user",
        ));
    }
    content.check_text()?;
    let message = Message {
        message_id: bot.next_message_id(chat_id),
        from: Some(bot.user.clone()),
        chat: Chat::private(user),
        date: now,
        edit_date: None,
        text: Some(content.text),
        entities: content.entities,
        document: None,
        passport_data: None,
        link_preview_options: content.link_preview_options,
        reply_markup: content.reply_markup,
    };
    let reply = Reply::of(&message)?;
    bot.sent.push(SentMessage {
        message,
        parse_mode: content.parse_mode,
    });
    Ok(reply)
}

/// `editMessageText` of a message the bot sent to a private chat; an edit without
/// `reply_markup` removes the keyboard, as on the real server.
fn edit_message_text(
    bot: &mut Bot,
    users: &BTreeMap<UserId, User>,
    params: &Params,
    now: UnixTime,
) -> Result<Reply, ApiError> {
    let chat_id = private_chat(bot, users, params)?;
    let message_id = params
        .integer("message_id")?
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    let content = Content::of(params)?;
    let (_, chat) = unblocked_chat(bot, users, chat_id)?;
    content.check_text()?;
    let Some(sent) = bot.sent_message_mut(chat_id, message_id) else {
        // The user's own messages exist but are not the bot's to edit.
        let exists = (1..=chat.last_message_id).contains(&message_id);
        return Err(ApiError::bad_request(if exists {
            "message can't be edited"
        } else {
            "message to edit not found"
        }));
    };
    if content.shown_by(sent) {
        return Err(ApiError::bad_request(NOT_MODIFIED));
    }
    let message = &mut sent.message;
    message.edit_date = Some(now);
    message.text = Some(content.text);
    message.entities = content.entities;
    message.link_preview_options = content.link_preview_options;
    message.reply_markup = content.reply_markup;
    sent.parse_mode = content.parse_mode;
    Reply::of(&sent.message)
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup \
                            of the message";

/// `answerCallbackQuery`: a query can be answered once, by the bot it was sent to.
fn answer_callback_query(bot: &mut Bot, params: &Params) -> Result<Reply, ApiError> {
    let id = params.string("callback_query_id").unwrap_or_default();
    let text = params.string("text").filter(|text| !text.is_empty());
    let show_alert = params.boolean("show_alert")?.unwrap_or(false);
    let url = params.string("url").filter(|url| !url.is_empty());
    if bot.answer_callback_query(id, text, show_alert, url) {
        Reply::of(&true)
    } else {
        Err(ApiError::bad_request(
            "query is too old and response timeout expired or query ID is invalid",
        ))
    }
}

/// `getChat` of the private chat with a user who has talked to the bot.
fn get_chat(bot: &Bot, users: &BTreeMap<UserId, User>, params: &Params) -> Result<Reply, ApiError> {
    let not_found = || ApiError::bad_request("chat not found");
    let chat_id = chat_id(users, params)?;
    let user = users
        .get(&UserId(chat_id.get()))
        .filter(|user| bot.chats.contains_key(&user.id))
        .ok_or_else(not_found)?;
    Reply::of(&ChatFullInfo::private(user))
}

/// The chat `chat_id` names: a numeric id, or a user's `@username`.
fn chat_id(users: &BTreeMap<UserId, User>, params: &Params) -> Result<ChatId, ApiError> {
    match params.value("chat_id") {
        None => Err(ApiError::bad_request("chat_id is empty")),
        Some(Value::String(name)) if name.starts_with('@') => {
            let name = name.trim_start_matches('@');
            users
                .values()
                .find(|user| {
                    user.username
                        .as_deref()
                        .is_some_and(|username| username.eq_ignore_ascii_case(name))
                })
                .map(|user| ChatId::from(user.id))
                .ok_or_else(|| ApiError::bad_request("chat not found"))
        }
        Some(_) => params
            .integer("chat_id")
            .map_err(|_| ApiError::bad_request("chat not found"))?
            .map(ChatId)
            .ok_or_else(|| ApiError::bad_request("chat_id is empty")),
    }
}

/// The user whose private chat `chat_id` names, for a message from the bot; the bot's own
/// chat is refused as Telegram refuses a bot writing to a bot.
fn private_chat(
    bot: &Bot,
    users: &BTreeMap<UserId, User>,
    params: &Params,
) -> Result<UserId, ApiError> {
    let chat_id = chat_id(users, params)?;
    if chat_id == ChatId::from(bot.user.id) {
        return Err(ApiError::forbidden("bot can't send messages to bots"));
    }
    // In the sandbox every chat is private: its id is its user's id.
    Ok(UserId(chat_id.get()))
}

/// Checks the shape of an inline keyboard: rows of buttons that each have a `text`.
fn check_reply_markup(markup: &Value) -> Result<(), ApiError> {
    let Some(object) = markup.as_object() else {
        return Err(ApiError::bad_request(
            "can't parse reply keyboard markup JSON object",
        ));
    };
    let Some(keyboard) = object.get("inline_keyboard") else {
        return Ok(());
    };
    let rows = keyboard
        .as_array()
        .ok_or_else(|| ApiError::bad_request("field \"inline_keyboard\" must be an Array"))?;
    for row in rows {
        let buttons = row.as_array().ok_or_else(|| {
            ApiError::bad_request("field \"inline_keyboard\" must be an Array of Arrays")
        })?;
        for button in buttons {
            if !button.get("text").is_some_and(Value::is_string) {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
        }
    }
    Ok(())
}

fn get_file(bot: &mut Bot, params: &Params, now: UnixTime) -> Result<Reply, ApiError> {
    let file_id = params
        .string("file_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_request("file_id is empty"))?;
    let file = bot
        .files
        .get_mut(&file_id)
        .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
    let size = u64::try_from(file.bytes.len()).unwrap_or(u64::MAX);
    if size > DOWNLOAD_LIMIT {
        return Err(ApiError::bad_request("file is too big"));
    }
    file.path_expires_at = Some(now.plus(FILE_PATH_LIFETIME));
    let result = File {
        file_id: file_id.clone(),
        file_unique_id: file.unique_id.clone(),
        file_size: Some(size),
        file_path: Some(file.path.clone()),
    };
    let path = file.path.clone();
    bot.file_paths.insert(path, file_id);
    Reply::of(&result)
}

fn set_passport_data_errors(
    bot: &mut Bot,
    users: &BTreeMap<UserId, User>,
    params: &Params,
) -> Result<Reply, ApiError> {
    let user_id = params
        .integer("user_id")?
        .map(UserId)
        .ok_or_else(|| ApiError::bad_request("user_id is empty"))?;
    if !users.contains_key(&user_id) {
        return Err(ApiError::bad_request("USER_ID_INVALID"));
    }
    let errors: Vec<Value> = params
        .json("errors", "errors JSON array")?
        .ok_or_else(|| ApiError::bad_request("errors is empty"))?;
    if errors.is_empty() {
        return Err(ApiError::bad_request("errors is empty"));
    }
    // Checked with passport-types, the definition the client sends from; the record keeps the
    // JSON exactly as received.
    for error in &errors {
        if let Err(reason) = PassportElementError::deserialize(error) {
            return Err(ApiError::bad_request(format!(
                "can't parse PassportElementError: {reason}"
            )));
        }
    }
    bot.passport_errors.push(PassportErrors { user_id, errors });
    Reply::of(&true)
}
