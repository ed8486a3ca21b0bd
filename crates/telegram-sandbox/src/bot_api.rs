//! The Bot API: update ids, offset confirmation, long polling, webhooks, files, Telegram's envelope.
//!
//! Requests arrive at `/bot<token>/<method>` by GET or POST with parameters in the query string,
//! a JSON body, an urlencoded form or a multipart form (text fields), as the real server takes
//! them; method names are case-insensitive. Every answer is Telegram's envelope:
//! `{"ok":true,"result":...}` or `{"ok":false,"error_code":N,"description":"...",
//! "parameters":{...}}` with N as the HTTP status.
//!
//! Implemented methods: `getMe`, `getUpdates`, `setWebhook`, `deleteWebhook`, `getWebhookInfo`,
//! `sendMessage`, `getFile`, `setPassportDataErrors`; files download from
//! `/file/bot<token>/<file_path>`. The semantics follow the real server:
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
//! - `getFile` paths are valid for one hour; files over 20 MB cannot be fetched ("file is too
//!   big").

use std::{collections::BTreeSet, future, sync::Arc, time::Duration};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use passport_types::errors::PassportElementError;
use serde::{Deserialize as _, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, value::RawValue};
use tokio::time::Instant;

use crate::{
    faults::{self, FaultKind},
    sandbox::Shared,
    server::ConnectionKill,
    state::{Bot, DOWNLOAD_LIMIT, Secret, Webhook, utf16_length},
    types::{Chat, File, Message, MessageEntity, PassportErrors, SentMessage, WebhookInfo},
    webhook,
};

/// The longest `getUpdates` timeout the Bot API honours, in seconds.
const LONG_POLL_MAX_SECONDS: i64 = 50;
/// The largest request body the sandbox reads.
pub(crate) const BODY_LIMIT: usize = 64 * 1024 * 1024;
/// How long a `getFile` path stays valid, in seconds.
const FILE_PATH_LIFETIME: i64 = 3600;

const CONFLICT_OTHER_POLLER: &str = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const CONFLICT_WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const CONFLICT_SET_WEBHOOK: &str = "Conflict: terminated by setWebhook request";

/// An error answer in Telegram's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: u16,
    pub(crate) description: String,
    pub(crate) retry_after: Option<u64>,
    pub(crate) migrate_to_chat_id: Option<i64>,
}

impl ApiError {
    pub(crate) fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            migrate_to_chat_id: None,
        }
    }

    pub(crate) fn bad_request(reason: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", reason.as_ref()))
    }

    pub(crate) fn forbidden(reason: &str) -> Self {
        Self::new(403, format!("Forbidden: {reason}"))
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub(crate) fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub(crate) fn too_many_requests(retry_after: u64) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
            migrate_to_chat_id: None,
        }
    }

    /// What the real server answers for a group that became a supergroup.
    pub(crate) fn migrated(migrate_to_chat_id: i64) -> Self {
        Self {
            migrate_to_chat_id: Some(migrate_to_chat_id),
            ..Self::bad_request("group chat was upgraded to a supergroup chat")
        }
    }

    pub(crate) fn internal() -> Self {
        Self::new(500, "Internal Server Error")
    }
}

/// The error envelope, in the field order the real server writes.
#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    ok: bool,
    error_code: u16,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<ResponseParameters>,
}

/// `ResponseParameters`: only the fields that are present, as the real server writes them.
#[derive(Serialize)]
struct ResponseParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    migrate_to_chat_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            ok: false,
            error_code: self.code,
            description: &self.description,
            parameters: (self.retry_after.is_some() || self.migrate_to_chat_id.is_some())
                .then_some(ResponseParameters {
                    migrate_to_chat_id: self.migrate_to_chat_id,
                    retry_after: self.retry_after,
                }),
        };
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// A successful answer: the result, serialized once in its own field order, and the optional
/// `description` some methods add.
#[derive(Debug)]
pub(crate) struct Reply {
    result: Box<RawValue>,
    description: Option<&'static str>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    ok: bool,
    result: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl Reply {
    pub(crate) fn of(result: &(impl Serialize + ?Sized)) -> Result<Self, ApiError> {
        serde_json::value::to_raw_value(result)
            .map(|result| Self {
                result,
                description: None,
            })
            .map_err(|_| ApiError::internal())
    }

    fn described(result: bool, description: &'static str) -> Self {
        let result = if result { "true" } else { "false" };
        Self {
            // A JSON literal always parses.
            result: RawValue::from_string(result.to_owned())
                .unwrap_or_else(|_| RawValue::NULL.to_owned()),
            description: Some(description),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = Envelope {
            ok: true,
            result: &self.result,
            description: self.description,
        };
        (StatusCode::OK, Json(body)).into_response()
    }
}

/// Request parameters merged from the query string and the body.
#[derive(Debug, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::bad_request(format!("field \"{name}\" must be an integer"));
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    pub(crate) fn string(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(Value::Number(number)) => Ok(Some(number.as_i64() != Some(0))),
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "" | "false" | "0" => Ok(Some(false)),
                "true" | "1" => Ok(Some(true)),
                _ => Err(ApiError::bad_request(format!(
                    "field \"{name}\" must be a boolean"
                ))),
            },
            Some(_) => Err(ApiError::bad_request(format!(
                "field \"{name}\" must be a boolean"
            ))),
        }
    }

    /// A structured parameter: a JSON value, or (in forms and query strings) its JSON text.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        name: &str,
        what: &str,
    ) -> Result<Option<T>, ApiError> {
        let parsed = match self.value(name) {
            None => return Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text),
            Some(other) => serde_json::from_value(other.clone()),
        };
        parsed
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("can't parse {what}")))
    }

    fn insert_form(&mut self, bytes: &[u8]) {
        for (name, value) in form_urlencoded::parse(bytes) {
            self.0
                .insert(name.into_owned(), Value::String(value.into_owned()));
        }
    }

    /// Reads the query string and the body of `request`.
    pub(crate) async fn from_request(request: Request) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Some(query) = request.uri().query() {
            params.insert_form(query.as_bytes());
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        match content_type.as_str() {
            "multipart/form-data" => {
                let mut multipart = Multipart::from_request(request, &())
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart form"))?;
                while let Some(field) = multipart
                    .next_field()
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart form"))?
                {
                    let Some(name) = field.name().map(str::to_owned) else {
                        continue;
                    };
                    // Uploaded files are not supported by the implemented methods; only text
                    // fields carry parameters.
                    if field.file_name().is_some() {
                        continue;
                    }
                    let text = field
                        .text()
                        .await
                        .map_err(|_| ApiError::bad_request("can't parse multipart form"))?;
                    params.0.insert(name, Value::String(text));
                }
            }
            "application/json" => {
                let bytes = read_body(request.into_body()).await?;
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    match serde_json::from_slice(&bytes) {
                        Ok(Value::Object(object)) => params.0.extend(object),
                        _ => return Err(ApiError::bad_request("can't parse JSON object")),
                    }
                }
            }
            "application/x-www-form-urlencoded" => {
                let bytes = read_body(request.into_body()).await?;
                params.insert_form(&bytes);
            }
            _ => {}
        }
        Ok(params)
    }
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::new(413, "Request Entity Too Large"))
}

/// Decodes `%XX` escapes in a path segment (a token's `:` may arrive as `%3A`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = |offset: usize| {
            bytes
                .get(index + offset)
                .and_then(|digit| char::from(*digit).to_digit(16))
        };
        if byte == b'%'
            && let (Some(high), Some(low)) = (hex(1), hex(2))
            && let Ok(value) = u8::try_from(high * 16 + low)
        {
            decoded.push(value);
            index += 3;
        } else {
            decoded.push(byte);
            index += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// What an armed fault asks of the current request.
enum FaultAction {
    Proceed,
    DropAfter,
    Answer(Response),
}

async fn apply_fault(
    shared: &Shared,
    kill: Option<&ConnectionKill>,
    bot_id: i64,
    method: &str,
) -> FaultAction {
    let fault = faults::take(&mut shared.lock().faults, bot_id, method);
    match fault {
        None => FaultAction::Proceed,
        Some(FaultKind::TooManyRequests { retry_after }) => {
            FaultAction::Answer(ApiError::too_many_requests(retry_after).into_response())
        }
        Some(FaultKind::ServerError) => FaultAction::Answer(ApiError::internal().into_response()),
        Some(FaultKind::Migrated { migrate_to_chat_id }) => {
            FaultAction::Answer(ApiError::migrated(migrate_to_chat_id).into_response())
        }
        Some(FaultKind::BadGateway) => FaultAction::Answer(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            )
                .into_response(),
        ),
        Some(FaultKind::DropConnection) => drop_connection(kill).await,
        Some(FaultKind::DropConnectionAfterProcessing) => FaultAction::DropAfter,
        Some(FaultKind::Delay { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            FaultAction::Proceed
        }
    }
}

/// Closes the connection and never answers.
async fn drop_connection<T>(kill: Option<&ConnectionKill>) -> T {
    if let Some(kill) = kill {
        kill.fire();
    }
    future::pending().await
}

/// Serves `/bot<token>/<method>`; every other unrouted path answers 404 in the envelope.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, method)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::not_found().into_response();
    };
    let token = percent_decode(token);
    let method = method.to_ascii_lowercase();
    let Some(bot_id) = shared.lock().bot_by_token(&token).map(|bot| bot.user.id) else {
        return ApiError::unauthorized().into_response();
    };
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let drop_after = match apply_fault(&shared, kill.as_ref(), bot_id, &method).await {
        FaultAction::Proceed => false,
        FaultAction::DropAfter => true,
        FaultAction::Answer(response) => return response,
    };
    let result = match Params::from_request(request).await {
        Ok(params) => call(&shared, bot_id, &method, &params).await,
        Err(error) => Err(error),
    };
    if drop_after {
        return drop_connection(kill.as_ref()).await;
    }
    match result {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn call(
    shared: &Arc<Shared>,
    bot_id: i64,
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
    if reply.is_ok() && !matches!(method, "getme" | "getwebhookinfo") {
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
    bot_id: i64,
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
    bot_id: i64,
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

fn send_message(
    bot: &mut Bot,
    users: &std::collections::BTreeMap<i64, crate::types::User>,
    params: &Params,
    now: i64,
) -> Result<Reply, ApiError> {
    let chat_id = match params.value("chat_id") {
        None => return Err(ApiError::bad_request("chat_id is empty")),
        Some(Value::String(name)) if name.starts_with('@') => {
            let name = name.trim_start_matches('@');
            users
                .values()
                .find(|user| {
                    user.username
                        .as_deref()
                        .is_some_and(|username| username.eq_ignore_ascii_case(name))
                })
                .map(|user| user.id)
                .ok_or_else(|| ApiError::bad_request("chat not found"))?
        }
        Some(_) => params
            .integer("chat_id")
            .map_err(|_| ApiError::bad_request("chat not found"))?
            .ok_or_else(|| ApiError::bad_request("chat_id is empty"))?,
    };
    let text = params.string("text").unwrap_or_default();
    let parse_mode = params.string("parse_mode").filter(|mode| !mode.is_empty());
    if let Some(mode) = &parse_mode
        && !["html", "markdown", "markdownv2"].contains(&mode.to_ascii_lowercase().as_str())
    {
        return Err(ApiError::bad_request(format!(
            "unsupported parse_mode \"{mode}\""
        )));
    }
    let entities: Option<Vec<MessageEntity>> = params.json("entities", "entities JSON array")?;
    let reply_markup: Option<Value> =
        params.json("reply_markup", "reply keyboard markup JSON object")?;
    if let Some(markup) = &reply_markup {
        check_reply_markup(markup)?;
    }
    let link_preview_options: Option<Value> =
        params.json("link_preview_options", "link preview options JSON object")?;
    if bots_contains(bot, chat_id) {
        return Err(ApiError::forbidden("bot can't send messages to bots"));
    }
    let Some(user) = users.get(&chat_id) else {
        return Err(ApiError::bad_request("chat not found"));
    };
    let chat = bot.chats.get(&chat_id).cloned().unwrap_or_default();
    if chat.blocked {
        return Err(ApiError::forbidden("bot was blocked by the user"));
    }
    if !chat.started {
        return Err(ApiError::forbidden(
            "bot can't initiate conversation with a user",
        ));
    }
    let length = utf16_length(&text);
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if length > 4096 {
        return Err(ApiError::bad_request("message is too long"));
    }
    let message = Message {
        message_id: bot.next_message_id(chat_id),
        from: Some(bot.user.clone()),
        date: now,
        chat: Chat::private(user),
        text: Some(text),
        entities: entities.filter(|entities| !entities.is_empty()),
        document: None,
        passport_data: None,
        link_preview_options,
        // Only inline keyboards come back in the sent message, as on the real server.
        reply_markup: reply_markup.filter(|markup| markup.get("inline_keyboard").is_some()),
    };
    let reply = Reply::of(&message)?;
    bot.sent.push(SentMessage {
        message,
        parse_mode,
    });
    Ok(reply)
}

fn bots_contains(bot: &Bot, chat_id: i64) -> bool {
    bot.user.id == chat_id
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

fn get_file(bot: &mut Bot, params: &Params, now: i64) -> Result<Reply, ApiError> {
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
    file.path_expires_at = Some(now.saturating_add(FILE_PATH_LIFETIME));
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
    users: &std::collections::BTreeMap<i64, crate::types::User>,
    params: &Params,
) -> Result<Reply, ApiError> {
    let user_id = params
        .integer("user_id")?
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

/// Serves `/file/bot<token>/<file_path>`.
pub(crate) async fn download(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, file_path)) = path
        .strip_prefix("/file/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::not_found().into_response();
    };
    let token = percent_decode(token);
    let file_path = percent_decode(file_path);
    let Some(bot_id) = shared.lock().bot_by_token(&token).map(|bot| bot.user.id) else {
        return ApiError::unauthorized().into_response();
    };
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let drop_after = match apply_fault(&shared, kill.as_ref(), bot_id, "file").await {
        FaultAction::Proceed => false,
        FaultAction::DropAfter => true,
        FaultAction::Answer(response) => return response,
    };
    let now = shared.now();
    let file = {
        let state = shared.lock();
        state
            .bots
            .get(&bot_id)
            .and_then(|bot| bot.file_by_path(&file_path, now))
            .map(|file| {
                (
                    file.bytes.clone(),
                    file.mime_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".to_owned()),
                )
            })
    };
    if drop_after {
        return drop_connection(kill.as_ref()).await;
    }
    match file {
        Some((bytes, mime_type)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime_type)],
            Body::from(bytes),
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
