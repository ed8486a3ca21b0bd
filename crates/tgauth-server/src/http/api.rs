//! The website backend's JSON API under `/api/v1`, behind `Authorization: Bearer <api key>`.
//!
//! Every refusal is `{"error":{"code","message"}}` with its 4xx, and a refused request stores
//! nothing: bodies and ids are checked before the first write.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tgauth::LinkStatus;
use tgauth::link::AccountId;
use tgauth::link::code::LinkCode;
use tgauth::link::store::Store as _;

use crate::error::HttpError;
use crate::jobs::events::{self, EventKind};
use crate::keys::{api_secret_matches, split_api_key};
use crate::state::AppState;
use crate::store::QueuedNotification;

/// The API routes.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/links", post(create_link))
        .route("/api/v1/users/{user}", get(user))
        .route("/api/v1/users/{user}/telegram", delete(unlink))
        .route("/api/v1/users/{user}/telegram/confirm", post(confirm))
        .route("/api/v1/users/{user}/telegram/refuse", post(refuse))
        .route("/api/v1/notifications", post(notify))
        .route("/api/v1/notifications/{id}", get(notification))
        .route(
            "/api/v1/telegram/{telegram_id}/sessions",
            delete(revoke_sessions),
        )
        .merge(super::passport::routes())
        .route("/api/v1/openapi.json", get(openapi))
}

/// A request authenticated with an API key; holds the key's id (for the audit log).
pub(crate) struct ApiKey {
    pub(crate) id: String,
}

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                HttpError::unauthorized(
                    "missing_api_key",
                    "send an API key as `Authorization: Bearer <key>` (make one with `tgauth apikey create`)",
                )
            })?;
        let invalid = || HttpError::unauthorized("invalid_api_key", "the API key is not valid");
        let (id, secret) = split_api_key(presented.trim()).ok_or_else(invalid)?;
        let record = state.db.api_key(id).await?.ok_or_else(invalid)?;
        if record.revoked_at.is_some() || !api_secret_matches(secret, &record.secret_hash) {
            return Err(invalid());
        }
        Ok(Self { id: record.id })
    }
}

/// JSON bodies with the service's own refusals (400 for bad JSON, 415 for another type).
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(HttpError::client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            )),
            Err(JsonRejection::JsonDataError(error)) => Err(HttpError::bad_request(
                "invalid_body",
                format!("the body does not fit: {}", error.body_text()),
            )),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(HttpError::bad_request(
                "invalid_json",
                "the body is not valid JSON",
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(HttpError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is too large or could not be read",
            )),
            Err(_) => Err(HttpError::bad_request(
                "invalid_body",
                "the body could not be read",
            )),
        }
    }
}

/// A query string with the service's own refusal (400 `invalid_query` with the error object).
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| {
                HttpError::bad_request(
                    "invalid_query",
                    format!("the query string does not fit: {}", rejection.body_text()),
                )
            })
    }
}

/// Path parameters with the service's own refusal (400 `invalid_path`: not UTF-8 after
/// percent-decoding, or not of the expected shape).
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| {
                HttpError::bad_request("invalid_path", "a path parameter is not valid text")
            })
    }
}

/// A website user id from a path or body.
pub(crate) fn account(user: &str) -> Result<AccountId, HttpError> {
    AccountId::new(user).map_err(|_| {
        HttpError::bad_request(
            "invalid_user",
            "`user` must be 1 to 128 bytes of text without control characters",
        )
    })
}

fn link_store_error(error: impl Into<tgauth::link::Error>) -> HttpError {
    let error = error.into();
    match error {
        tgauth::link::Error::Store(_) => HttpError::unavailable(error),
        other => HttpError::internal(other),
    }
}

fn compose_error(error: tgauth::Error) -> HttpError {
    match error {
        tgauth::Error::Link(tgauth::link::Error::Store(_)) | tgauth::Error::Bot(_) => {
            HttpError::unavailable(error)
        }
        other => HttpError::internal(other),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    user: String,
}

/// `POST /api/v1/links {"user"}` -> 201 `{"url","expires_at"}`.
async fn create_link(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiJson(body): ApiJson<NewLink>,
) -> Result<Response, HttpError> {
    let account = account(&body.user)?;
    let (url, expires_at) = issue_link(&state, &account).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"url": url, "expires_at": expires_at})),
    )
        .into_response())
}

/// Issues a link code for `account` and keeps it sealed, so that the website can see and decide
/// the claim by user; the `t.me` URL and when it expires.
pub(crate) async fn issue_link(
    state: &AppState,
    account: &AccountId,
) -> Result<(String, tgauth::UnixTime), HttpError> {
    let now = state.now();
    let issued = state
        .website
        .issue(account, now)
        .await
        .map_err(compose_error)?;
    let sealed = state.vault.seal(
        &format!("link-code:{}", account.as_str()),
        issued.code.expose().as_bytes(),
    )?;
    state
        .db
        .put_link_request(account.as_str(), &sealed, now, issued.expires_at)
        .await?;
    Ok((issued.url, issued.expires_at))
}

/// 409: no claim of this user's link waits for the website.
fn nothing_pending() -> HttpError {
    HttpError::conflict(
        "nothing_pending",
        "no link is waiting for this user's confirmation",
    )
}

/// The code last issued for `account`, if it still opens.
pub(crate) async fn pending_code(
    state: &AppState,
    account: &AccountId,
) -> Result<Option<LinkCode>, HttpError> {
    let Some(sealed) = state.db.link_request(account.as_str()).await? else {
        return Ok(None);
    };
    let Ok(code) = state
        .vault
        .open(&format!("link-code:{}", account.as_str()), &sealed)
    else {
        tracing::warn!("a stored link code does not open with the data key; ignored");
        return Ok(None);
    };
    Ok(std::str::from_utf8(&code).ok().and_then(LinkCode::parse))
}

/// `GET /api/v1/users/{user}`.
async fn user(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(user): ApiPath<String>,
) -> Result<Response, HttpError> {
    let account = account(&user)?;
    Ok(Json(user_view(&state, &account, state.now()).await?).into_response())
}

/// A website user as `GET /api/v1/users/{user}` shows them: the linked Telegram account and
/// whether the bot reaches it, and the claim waiting for the website's confirmation.
pub(crate) async fn user_view(
    state: &AppState,
    account: &AccountId,
    now: tgauth::UnixTime,
) -> Result<Value, HttpError> {
    let links = state
        .linker
        .store()
        .links_of_account(account)
        .await
        .map_err(link_store_error)?;
    let (telegram, status) = match links.first() {
        Some(link) => {
            let profile = state.db.telegram_user(link.telegram.user_id()).await?;
            (
                events::telegram_json(link.telegram.user_id(), profile.as_ref()),
                json!(if link.is_active() {
                    "active"
                } else {
                    "blocked"
                }),
            )
        }
        None => (Value::Null, Value::Null),
    };
    let mut pending = Value::Null;
    if let Some(code) = pending_code(state, account).await? {
        let status = state
            .website
            .status(account, &code, now)
            .await
            .map_err(compose_error)?;
        if let LinkStatus::Claimed {
            claimer,
            bot_confirmed,
        } = status
        {
            let mut telegram = json!({
                "id": claimer.telegram.user_id(),
                "first_name": claimer.first_name.clone().unwrap_or_else(|| claimer.telegram.user_id().to_string()),
            });
            if let Some(username) = &claimer.username {
                telegram["username"] = json!(username);
            }
            pending = json!({"telegram": telegram, "confirmed_in_bot": bot_confirmed});
        }
    }
    Ok(json!({
        "user": account.as_str(),
        "telegram": telegram,
        "status": status,
        "pending": pending,
    }))
}

/// `POST /api/v1/users/{user}/telegram/confirm`.
async fn confirm(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(user): ApiPath<String>,
) -> Result<Response, HttpError> {
    let account = account(&user)?;
    confirm_link(&state, &account).await?;
    Ok(Json(user_view(&state, &account, state.now()).await?).into_response())
}

/// The website confirms the claim of `account`'s link: the link is made.
pub(crate) async fn confirm_link(state: &AppState, account: &AccountId) -> Result<(), HttpError> {
    let now = state.now();
    let code = pending_code(state, account)
        .await?
        .ok_or_else(nothing_pending)?;
    let linked = match state.website.confirm(account, &code, now).await {
        Ok(linked) => linked,
        Err(tgauth::Error::Link(error)) => return Err(confirm_refusal(error)),
        Err(other) => return Err(compose_error(other)),
    };
    state.db.delete_link_request(account.as_str()).await?;
    let telegram_id = linked.link.telegram.user_id();
    let profile = state.db.telegram_user(telegram_id).await?;
    let telegram = events::telegram_json(telegram_id, profile.as_ref());
    events::emit(
        state,
        EventKind::LinkConfirmed,
        json!({"user": account.as_str(), "telegram": telegram}),
        now,
    )
    .await?;
    Ok(())
}

fn confirm_refusal(error: tgauth::link::Error) -> HttpError {
    use tgauth::link::Error;
    match error {
        Error::Expired => {
            HttpError::conflict("link_expired", "the link code expired; issue a new link")
        }
        Error::Unknown => {
            HttpError::conflict("nothing_pending", "nobody has pressed this user's link yet")
        }
        Error::NotConfirmed => HttpError::conflict(
            "not_confirmed_in_bot",
            "the person has not confirmed in the bot yet",
        ),
        Error::AlreadyUsed => HttpError::conflict("already_linked", "the link was made already"),
        Error::Declined => {
            HttpError::conflict("declined", "the person declined the link in the bot")
        }
        Error::Conflict => HttpError::conflict(
            "telegram_linked_elsewhere",
            "this Telegram account is linked to another user",
        ),
        Error::Store(_) => HttpError::unavailable(error),
        other => HttpError::conflict("refused", other.to_string()),
    }
}

/// `POST /api/v1/users/{user}/telegram/refuse`: the pending claim is declined; the code dies.
async fn refuse(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(user): ApiPath<String>,
) -> Result<Response, HttpError> {
    let account = account(&user)?;
    refuse_link(&state, &account).await?;
    Ok(Json(user_view(&state, &account, state.now()).await?).into_response())
}

/// The website refuses the claim of `account`'s link: the code dies.
pub(crate) async fn refuse_link(state: &AppState, account: &AccountId) -> Result<(), HttpError> {
    let now = state.now();
    let code = pending_code(state, account)
        .await?
        .ok_or_else(nothing_pending)?;
    let status = state
        .website
        .status(account, &code, now)
        .await
        .map_err(compose_error)?;
    let LinkStatus::Claimed { claimer, .. } = status else {
        return Err(nothing_pending());
    };
    state
        .linker
        .decline(&code, claimer.telegram, now)
        .await
        .map_err(confirm_refusal)?;
    state.db.delete_link_request(account.as_str()).await?;
    Ok(())
}

/// `DELETE /api/v1/users/{user}/telegram`.
async fn unlink(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(user): ApiPath<String>,
) -> Result<Response, HttpError> {
    let account = account(&user)?;
    unlink_account(&state, &account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes every link of `account`; 404 when there was none.
pub(crate) async fn unlink_account(state: &AppState, account: &AccountId) -> Result<(), HttpError> {
    let now = state.now();
    let links = state.website.links(account).await.map_err(compose_error)?;
    if links.is_empty() {
        return Err(HttpError::not_found(
            "linked Telegram account for this user",
        ));
    }
    for link in links {
        let telegram_id = link.telegram.user_id();
        if state
            .website
            .unlink(account, telegram_id)
            .await
            .map_err(compose_error)?
        {
            events::emit(
                state,
                EventKind::LinkRemoved,
                json!({"user": account.as_str(), "telegram": {"id": telegram_id}}),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNotification {
    user: String,
    text: String,
    #[serde(default)]
    parse_mode: Option<String>,
}

/// `POST /api/v1/notifications {"user","text","parse_mode"?}` -> 202 `{"id"}`.
///
/// With an `Idempotency-Key` header (1 to 255 visible ASCII characters), a retry of a request
/// whose answer was lost finds the notification the first one queued (202 with its id) instead
/// of sending the message twice; the same key with another user or text is 409.
async fn notify(
    State(state): State<AppState>,
    _key: ApiKey,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<NewNotification>,
) -> Result<Response, HttpError> {
    let account = account(&body.user)?;
    let idempotency_key = idempotency_key(&headers)?;
    let id = queue_notification(
        &state,
        &account,
        &body.text,
        body.parse_mode.as_deref(),
        idempotency_key,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id}))).into_response())
}

/// The `Idempotency-Key` header, if any.
fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<&str>, HttpError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|key| (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .map(Some)
        .ok_or_else(|| {
            HttpError::bad_request(
                "invalid_idempotency_key",
                "`Idempotency-Key` must be 1 to 255 visible ASCII characters",
            )
        })
}

/// Queues a message to `account`'s linked chat in the outbox; its id.
pub(crate) async fn queue_notification(
    state: &AppState,
    account: &AccountId,
    text: &str,
    parse_mode: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<String, HttpError> {
    let length = text.chars().count();
    if text.trim().is_empty() || length > 4096 {
        return Err(HttpError::bad_request(
            "invalid_text",
            "`text` must be 1 to 4096 characters (Telegram's limit)",
        ));
    }
    if let Some(mode) = parse_mode
        && !matches!(mode, "HTML" | "MarkdownV2" | "Markdown")
    {
        return Err(HttpError::bad_request(
            "invalid_parse_mode",
            "`parse_mode` must be HTML, MarkdownV2 or Markdown",
        ));
    }
    let links = state
        .linker
        .store()
        .links_of_account(account)
        .await
        .map_err(link_store_error)?;
    if links.is_empty() {
        return Err(HttpError::conflict(
            "not_linked",
            "this user has no linked Telegram account",
        ));
    }
    let now = state.now();
    let id = crate::keys::random_id()?;
    let message = json!({"text": text, "parse_mode": parse_mode}).to_string();
    match state
        .db
        .insert_notification(&id, account.as_str(), &message, idempotency_key, now)
        .await?
    {
        QueuedNotification::Queued => {
            state.outbox_bell.notify_waiters();
            Ok(id)
        }
        QueuedNotification::Existing { id, same: true } => Ok(id),
        QueuedNotification::Existing { same: false, .. } => Err(HttpError::conflict(
            "idempotency_key_reused",
            "this `Idempotency-Key` was used for another user or message",
        )),
    }
}

/// `GET /api/v1/notifications/{id}` -> `{"id","status"}`.
async fn notification(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, HttpError> {
    if id.len() > 64 {
        return Err(HttpError::not_found("notification"));
    }
    let row = state
        .db
        .notification(&id)
        .await?
        .ok_or_else(|| HttpError::not_found("notification"))?;
    let mut body = json!({
        "id": row.id,
        "status": row.status,
        "user": row.account,
        "attempts": row.attempts,
        "created_at": row.created_at,
    });
    if let Some(finished_at) = row.finished_at {
        body["finished_at"] = json!(finished_at);
    }
    if let Some(error) = row.error
        && row.status != "sent"
    {
        body["error"] = json!(error);
    }
    Ok(Json(body).into_response())
}

/// `DELETE /api/v1/telegram/{telegram_id}/sessions`: every browser session of a Telegram user
/// ends (a stolen device, a banned person); `{"revoked": N}`.
async fn revoke_sessions(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(telegram_id): ApiPath<String>,
) -> Result<Response, HttpError> {
    let telegram_id: i64 = telegram_id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            HttpError::bad_request("invalid_telegram_id", "expected a numeric Telegram user id")
        })?;
    let revoked = state
        .db
        .revoke_sessions(tgauth::UserId(telegram_id))
        .await?;
    Ok(Json(json!({"revoked": revoked})).into_response())
}

/// `GET /api/v1/openapi.json`: the API's description.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::OPENAPI).into_response()
}
