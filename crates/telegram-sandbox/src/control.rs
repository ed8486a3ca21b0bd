//! The control API under `/sandbox/`: bots, users, messages, files, what bots did, faults.
//!
//! It plays the Telegram app's and the developer's side. Requests and answers are JSON in the
//! Bot API's envelope (`{"ok":true,"result":...}`, or `{"ok":false,"error_code":N,
//! "description":"..."}` with N 400 for invalid input, 404 for an unknown bot and 409 for a
//! clash). `{username}` is a bot's username, case-insensitive, with or without `@`.
//!
//! | request | body | result |
//! |---|---|---|
//! | `POST /sandbox/bots` | `{"token","username","first_name"?,"passport_public_key_pem"?}` | the bot's `User` |
//! | `POST /sandbox/users` | `{"id","first_name","last_name"?,"username"?,"language_code"?,"is_premium"?}` | the `User` (created or updated) |
//! | `POST /sandbox/bots/{username}/messages` | `{"user_id","text"}` | the `Update` the bot receives |
//! | `POST /sandbox/bots/{username}/files?file_name=&mime_type=` | the file's bytes | a `Document` whose `file_id` works with `getFile` |
//! | `POST /sandbox/bots/{username}/block` | `{"user_id","blocked"?}` (default true) | `true` |
//! | `POST /sandbox/bots/{username}/login_widget` | `{"user_id","auth_date"?}` | Login Widget data: `{"json","query","hash"}` |
//! | `POST /sandbox/bots/{username}/web_app` | `{"user_id","auth_date"?,"query_id"?,"start_param"?}` | Mini App data: `{"init_data","third_party_public_key"}` |
//! | `POST /sandbox/bots/{username}/passport` | `{"user_id","nonce","elements":[...]}` (see [`crate::passport`]) | the `Update` with `passport_data` |
//! | `POST /sandbox/bots/{username}/oidc` | `{"user_id"}` or `{"deny":true}` | `true`; who OIDC logins to the bot are approved as |
//! | `GET /sandbox/bots/{username}/sent` | | the messages the bot sent: `[{"message","parse_mode"?}]` |
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

use std::{fmt, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, Request, State},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{
    bot_api::{ApiError, BODY_LIMIT, Reply},
    error::ControlError,
    faults::{ArmedFault, FaultSpec},
    login::{self, WebAppLaunch},
    passport::PassportSubmission,
    sandbox::Shared,
};

/// A bot to create (`POST /sandbox/bots`).
#[derive(Clone, Serialize, Deserialize)]
pub struct NewBot {
    /// The bot's token, `<bot id>:<secret>`; the bot's user id is the number before the colon.
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
            .field("token", &"<redacted>")
            .field("username", &self.username)
            .field("first_name", &self.first_name)
            .field(
                "passport_public_key_pem",
                &self.passport_public_key_pem.as_ref().map(|_| "<PEM>"),
            )
            .finish()
    }
}

/// A user to create or update (`POST /sandbox/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// The user's id (positive).
    pub id: i64,
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
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        Self {
            id,
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

/// A user's message to a bot (`POST /sandbox/bots/{username}/messages`).
#[derive(Debug, Deserialize)]
struct NewMessage {
    user_id: i64,
    text: String,
}

#[derive(Debug, Deserialize)]
struct Block {
    user_id: i64,
    #[serde(default = "yes")]
    blocked: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct FileQuery {
    file_name: Option<String>,
    mime_type: Option<String>,
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let code = match &self {
            Self::UnknownBot { .. } => 404,
            Self::AlreadyExists { .. } | Self::Blocked { .. } => 409,
            Self::Unavailable { .. } => 501,
            _ => 400,
        };
        ApiError::new(code, self.to_string()).into_response()
    }
}

type ControlResult = Result<Reply, ControlError>;

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|error| ControlError::InvalidRequest {
        reason: error.to_string(),
    })
}

fn reply(value: &impl Serialize) -> ControlResult {
    Reply::of(value).map_err(|error| ControlError::InvalidRequest {
        reason: error.description,
    })
}

/// The `/sandbox/` routes, relative to `/sandbox`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/bots", post(create_bot))
        .route("/users", post(create_user))
        .route("/bots/{username}/messages", post(send_message))
        .route("/bots/{username}/files", post(add_file))
        .route("/bots/{username}/block", post(block))
        .route("/bots/{username}/login_widget", post(login_widget))
        .route("/bots/{username}/web_app", post(web_app))
        .route("/bots/{username}/oidc", post(oidc))
        .route("/bots/{username}/passport", post(submit_passport))
        .route("/bots/{username}/sent", get(sent))
        .route("/bots/{username}/passport_errors", get(passport_errors))
        .route("/bots/{username}/updates", get(updates))
        .route("/bots/{username}/waiting_polls", get(waiting_polls))
        .route("/faults", post(inject_fault).delete(clear_faults))
        .fallback(|| async { ApiError::not_found() })
        // axum's default of 2 MB would cap a Passport submission (scans travel as base64) at
        // about 1.5 MB of files; realistic scans are larger.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn create_bot(State(shared): State<Arc<Shared>>, body: Bytes) -> ControlResult {
    let bot: NewBot = parse(&body)?;
    let user = shared.lock().create_bot(bot)?;
    shared.changed();
    reply(&user)
}

async fn create_user(State(shared): State<Arc<Shared>>, body: Bytes) -> ControlResult {
    let user = shared.lock().create_user(parse(&body)?)?;
    shared.changed();
    reply(&user)
}

async fn send_message(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let message: NewMessage = parse(&body)?;
    let now = shared.now();
    let update = shared
        .lock()
        .user_sends_text(&username, message.user_id, message.text, now)?;
    shared.changed();
    reply(&update)
}

async fn add_file(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    Query(query): Query<FileQuery>,
    request: Request,
) -> ControlResult {
    let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|_| ControlError::InvalidRequest {
            reason: format!("a file is at most {BODY_LIMIT} bytes here"),
        })?;
    let file = NewFile {
        bytes,
        file_name: query.file_name,
        mime_type: query.mime_type,
    };
    let document = shared.lock().add_file(&username, file)?;
    shared.changed();
    reply(&document)
}

async fn block(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let request: Block = parse(&body)?;
    shared
        .lock()
        .set_blocked(&username, request.user_id, request.blocked)?;
    shared.changed();
    reply(&true)
}

#[derive(Debug, Deserialize)]
struct LoginRequest {
    user_id: i64,
    auth_date: Option<i64>,
}

async fn login_widget(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let request: LoginRequest = parse(&body)?;
    let auth_date = request.auth_date.unwrap_or_else(|| shared.now());
    let data = login::login_widget(&mut shared.lock(), &username, request.user_id, auth_date)?;
    reply(&data)
}

async fn web_app(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let launch: WebAppLaunch = parse(&body)?;
    let now = shared.now();
    let data = login::web_app(&mut shared.lock(), &username, launch, now)?;
    reply(&data)
}

#[derive(Debug, Deserialize)]
struct OidcApproval {
    user_id: Option<i64>,
    #[serde(default)]
    deny: bool,
}

async fn oidc(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let approval: OidcApproval = parse(&body)?;
    let user_id = match (approval.user_id, approval.deny) {
        (Some(user_id), false) => Some(user_id),
        (None, true) => None,
        _ => {
            return Err(ControlError::InvalidRequest {
                reason: "give either user_id or \"deny\": true".to_owned(),
            });
        }
    };
    shared.lock().set_oidc_user(&username, user_id)?;
    shared.changed();
    reply(&true)
}

async fn submit_passport(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let submission: PassportSubmission = parse(&body)?;
    let update = shared.submit_passport(&username, submission)?;
    shared.changed();
    reply(&update)
}

async fn sent(State(shared): State<Arc<Shared>>, Path(username): Path<String>) -> ControlResult {
    reply(&shared.lock().bot_mut(&username)?.sent)
}

async fn passport_errors(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
) -> ControlResult {
    reply(&shared.lock().bot_mut(&username)?.passport_errors)
}

async fn updates(State(shared): State<Arc<Shared>>, Path(username): Path<String>) -> ControlResult {
    reply(&shared.lock().bot_mut(&username)?.updates)
}

async fn waiting_polls(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
) -> ControlResult {
    reply(&shared.lock().bot_mut(&username)?.runtime.waiting_polls)
}

async fn inject_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> ControlResult {
    let spec: FaultSpec = parse(&body)?;
    let mut state = shared.lock();
    let bot_id = spec
        .bot
        .as_deref()
        .map(|bot| state.bot_id(bot))
        .transpose()?;
    let armed = ArmedFault::new(spec, bot_id)?;
    state.faults.push(armed);
    reply(&true)
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> ControlResult {
    shared.lock().faults.clear();
    reply(&true)
}
