//! The Passport API: a website asks for documents, reads what arrived, tells the person what to
//! fix, and erases it.
//!
//! A request is made for a website user whose Telegram account is linked: the nonce is issued
//! to that Telegram user, so only they can answer it. What arrives is stored sealed (see
//! `crate::passport`); every read of it, each file download, every error sent and the erasure
//! are written to the request's audit log with the API key that did it.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tgauth::link::store::Store as _;
use tgauth::passport::types::errors::PassportElementError;
use tgauth::passport::types::scope::PassportRequest;
use tgauth::passport::types::scope::PassportScope;

use super::api::{ApiJson, ApiKey, ApiPath, account};
use crate::error::HttpError;
use crate::keys::digest;
use crate::passport::{data_context, file_context};
use crate::state::{AppState, PassportSetup};
use crate::store::PassportRequestRow;

/// The Passport routes.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/passport/requests", post(create))
        .route("/api/v1/passport/requests/{id}", get(show).delete(erase))
        .route("/api/v1/passport/requests/{id}/files/{index}", get(file))
        .route("/api/v1/passport/requests/{id}/errors", post(send_errors))
        .route("/api/v1/passport/requests/{id}/audit", get(audit))
}

fn setup(state: &AppState) -> Result<&PassportSetup, HttpError> {
    state.passport.as_ref().ok_or_else(|| {
        HttpError::client(
            StatusCode::NOT_FOUND,
            "passport_disabled",
            "Telegram Passport is not configured (set the Passport key)",
        )
    })
}

/// A request by id (ids are the service's own: anything else is not found).
pub(crate) async fn request(state: &AppState, id: &str) -> Result<PassportRequestRow, HttpError> {
    if id.is_empty() || id.len() > 64 {
        return Err(HttpError::not_found("Passport request"));
    }
    state
        .db
        .passport_request(id)
        .await?
        .ok_or_else(|| HttpError::not_found("Passport request"))
}

async fn record_access(
    state: &AppState,
    request_id: &str,
    key: &ApiKey,
    action: &str,
) -> Result<(), HttpError> {
    write_audit(state, request_id, &format!("api_key:{}", key.id), action).await
}

/// Writes who (`api_key:<id>`, `telegram:<id>`, `admin:<id>`) did what to a request.
pub(crate) async fn write_audit(
    state: &AppState,
    request_id: &str,
    actor: &str,
    action: &str,
) -> Result<(), HttpError> {
    let id = crate::keys::random_id()?;
    state
        .db
        .audit(&id, request_id, actor, action, state.now())
        .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRequest {
    user: String,
    scope: Value,
}

/// `POST /api/v1/passport/requests {"user","scope"}` -> 201 `{"id","nonce","url","expires_at"}`.
async fn create(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiJson(body): ApiJson<NewRequest>,
) -> Result<Response, HttpError> {
    let account = account(&body.user)?;
    let scope: PassportScope = serde_json::from_value(body.scope).map_err(|error| {
        HttpError::bad_request(
            "invalid_scope",
            format!("`scope` is not a PassportScope: {error}"),
        )
    })?;
    let created = create_request(&state, &account, scope, |_| None).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": created.id,
            "nonce": created.nonce,
            "url": created.url,
            "expires_at": created.expires_at,
        })),
    )
        .into_response())
}

/// A Passport request just made.
pub(crate) struct CreatedRequest {
    pub(crate) id: String,
    pub(crate) nonce: String,
    pub(crate) url: String,
    pub(crate) expires_at: tgauth::UnixTime,
}

/// Makes a Passport request for `account`'s linked Telegram user; `callback` gives the
/// `callback_url` the Telegram app returns to, from the request's id.
pub(crate) async fn create_request(
    state: &AppState,
    account: &tgauth::link::AccountId,
    scope: PassportScope,
    callback: impl FnOnce(&str) -> Option<String>,
) -> Result<CreatedRequest, HttpError> {
    let setup = setup(state)?;
    scope.validate().map_err(|error| {
        HttpError::bad_request("invalid_scope", format!("`scope` is not valid: {error}"))
    })?;
    let links = state
        .linker
        .store()
        .links_of_account(account)
        .await
        .map_err(|error| HttpError::unavailable(tgauth::link::Error::from(error)))?;
    let Some(link) = links.first() else {
        return Err(HttpError::conflict(
            "not_linked",
            "this user has no linked Telegram account to send the request to",
        ));
    };
    let telegram = link.telegram.user_id();
    let now = state.now();
    let ttl = i64::try_from(state.config.passport_request_ttl.as_secs()).unwrap_or(3_600);
    let expires_at = now.plus(ttl);
    let mut rng = rand_core::UnwrapErr(rand_core::OsRng);
    let nonce = setup.nonces.issue(telegram, expires_at, &mut rng);
    let id = crate::keys::random_id()?;
    let request = PassportRequest {
        bot_id: state.bot_id,
        scope: scope.clone(),
        public_key: setup.public_key_pem.clone(),
        nonce: nonce.clone(),
        callback_url: callback(&id),
    };
    let url = request.url().map_err(|error| {
        HttpError::bad_request(
            "invalid_scope",
            format!("the request cannot be made: {error}"),
        )
    })?;
    let scope_json = serde_json::to_string(&scope).map_err(HttpError::internal)?;
    state
        .db
        .insert_passport_request(
            &id,
            account.as_str(),
            telegram,
            &digest(nonce.as_bytes()),
            &scope_json,
            now,
            expires_at,
        )
        .await?;
    Ok(CreatedRequest {
        id,
        nonce,
        url,
        expires_at,
    })
}

/// `GET /api/v1/passport/requests/{id}`: where it stands and, once received, the decrypted
/// elements and the URLs of the decrypted files.
async fn show(
    State(state): State<AppState>,
    key: ApiKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, HttpError> {
    let request = request(&state, &id).await?;
    let elements = opened_elements(&state, &request)?;
    let mut files = Vec::new();
    if request.sealed_data.is_some() {
        for file in state.db.passport_files(&request.id).await? {
            let mut link = json!({
                "url": format!("/api/v1/passport/requests/{}/files/{}", request.id, file.index),
                "element": file.element,
                "part": file.part,
            });
            if let Some(file_hash) = file.file_hash {
                link["file_hash"] = json!(file_hash);
            }
            files.push(link);
        }
        record_access(&state, &request.id, &key, "read").await?;
    }
    let missing: Value = request
        .missing
        .as_deref()
        .and_then(|missing| serde_json::from_str(missing).ok())
        .unwrap_or_else(|| json!([]));
    let mut body = json!({
        "id": request.id,
        "user": request.account,
        "status": request.status,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "elements": elements,
        "missing": missing,
        "files": files,
    });
    if let Some(received_at) = request.received_at {
        body["received_at"] = json!(received_at);
    }
    Ok(Json(body).into_response())
}

/// The decrypted elements of a request (an empty array before anything arrived).
pub(crate) fn opened_elements(
    state: &AppState,
    request: &PassportRequestRow,
) -> Result<Value, HttpError> {
    let Some(sealed) = &request.sealed_data else {
        return Ok(Value::Array(Vec::new()));
    };
    let data = state
        .vault
        .open(&data_context(&request.id), sealed)
        .map_err(HttpError::internal)?;
    serde_json::from_slice(&data).map_err(HttpError::internal)
}

/// A decrypted file of a request, by its index.
pub(crate) async fn opened_file(
    state: &AppState,
    request: &PassportRequestRow,
    index: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, HttpError> {
    let index: i64 = index
        .parse()
        .map_err(|_| HttpError::not_found("file of this Passport request"))?;
    let file = state
        .db
        .passport_file(&request.id, index)
        .await?
        .ok_or_else(|| HttpError::not_found("file of this Passport request"))?;
    state
        .vault
        .open(&file_context(&request.id, index), &file.sealed)
        .map_err(HttpError::internal)
}

/// The media type of a decrypted file: Telegram's scans are JPEG; a PNG (the sandbox's
/// generated samples) is named as such from its signature.
pub(crate) fn image_type(contents: &[u8]) -> &'static str {
    if contents.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// `GET /api/v1/passport/requests/{id}/files/{index}`: a decrypted file.
async fn file(
    State(state): State<AppState>,
    key: ApiKey,
    ApiPath((id, index)): ApiPath<(String, String)>,
) -> Result<Response, HttpError> {
    let request = request(&state, &id).await?;
    let contents = opened_file(&state, &request, &index).await?;
    record_access(&state, &request.id, &key, &format!("file {index}")).await?;
    Ok((
        [
            (header::CONTENT_TYPE, image_type(&contents)),
            (header::CACHE_CONTROL, "no-store"),
        ],
        contents.to_vec(),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Errors {
    errors: Vec<Value>,
}

/// `POST /api/v1/passport/requests/{id}/errors {"errors":[...]}`: `setPassportDataErrors` to
/// the person who was asked.
async fn send_errors(
    State(state): State<AppState>,
    key: ApiKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Errors>,
) -> Result<Response, HttpError> {
    setup(&state)?;
    let request = request(&state, &id).await?;
    if body.errors.is_empty() || body.errors.len() > 100 {
        return Err(HttpError::bad_request(
            "invalid_errors",
            "`errors` must hold 1 to 100 PassportElementError objects",
        ));
    }
    let mut errors = Vec::with_capacity(body.errors.len());
    for (index, error) in body.errors.into_iter().enumerate() {
        let error: PassportElementError = serde_json::from_value(error).map_err(|reason| {
            HttpError::bad_request(
                "invalid_errors",
                format!("errors[{index}] is not a PassportElementError: {reason}"),
            )
        })?;
        errors.push(error);
    }
    send_element_errors(&state, &request, &errors).await?;
    record_access(
        &state,
        &request.id,
        &key,
        &format!("errors sent: {}", errors.len()),
    )
    .await?;
    Ok(Json(json!({"sent": errors.len()})).into_response())
}

/// `setPassportDataErrors` to the person a request asked.
pub(crate) async fn send_element_errors(
    state: &AppState,
    request: &PassportRequestRow,
    errors: &[PassportElementError],
) -> Result<(), HttpError> {
    match state
        .client
        .set_passport_data_errors(request.telegram_id, errors)
        .await
    {
        Ok(_) => {}
        Err(error) if error.api_kind() == Some(tgauth::bot::error::ApiErrorKind::BadRequest) => {
            return Err(HttpError::bad_request(
                "refused_by_telegram",
                "Telegram refused the errors (a hash that names no element or file the person sent?)",
            ));
        }
        Err(error) => return Err(HttpError::unavailable(error)),
    }
    Ok(())
}

/// `DELETE /api/v1/passport/requests/{id}`: the data and files are erased.
async fn erase(
    State(state): State<AppState>,
    key: ApiKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, HttpError> {
    let request = request(&state, &id).await?;
    state.db.erase_passport(&request.id).await?;
    record_access(&state, &request.id, &key, "erased").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/passport/requests/{id}/audit`: who read, sent or erased what, oldest first.
async fn audit(
    State(state): State<AppState>,
    _key: ApiKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, HttpError> {
    let request = request(&state, &id).await?;
    let entries: Vec<Value> = state
        .db
        .audit_log(&request.id)
        .await?
        .into_iter()
        .map(|(actor, action, at)| json!({"actor": actor, "action": action, "at": at}))
        .collect();
    Ok(Json(json!({"entries": entries})).into_response())
}
