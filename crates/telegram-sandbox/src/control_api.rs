//! The control API's handlers: each parses its request (see [`crate::control`] for the
//! endpoints and their JSON), makes one state change and answers in the envelope.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, Request, State},
    middleware,
    routing::{get, post},
};

use crate::{
    control::{
        Block, ButtonPress, FileQuery, LoginRequest, NewBot, NewFile, NewMessage, OidcApproval,
    },
    error::ControlError,
    faults::FaultSpec,
    http::{self, ApiError, BODY_LIMIT, ControlResult, parse, reply},
    login::WebAppLaunch,
    passport::PassportSubmission,
    shared::Shared,
};

/// The `/sandbox/` routes, relative to `/sandbox`.
///
/// Layers, outermost first: the loopback `Host` check (on every route, the fallback included),
/// the body limit, then the body's type (JSON, or raw bytes for file uploads).
pub(crate) fn router() -> Router<Arc<Shared>> {
    let files = Router::new()
        .route("/bots/{username}/files", post(add_file))
        .layer(middleware::from_fn(http::octet_stream_body_only));
    Router::new()
        .route("/bots", post(create_bot))
        .route("/users", post(create_user))
        .route("/bots/{username}", get(bot))
        .route("/bots/{username}/messages", post(send_message))
        .route("/bots/{username}/block", post(block))
        .route("/bots/{username}/login_widget", post(login_widget))
        .route("/bots/{username}/web_app", post(web_app))
        .route("/bots/{username}/oidc", post(oidc))
        .route("/bots/{username}/passport", post(submit_passport))
        .route("/bots/{username}/callback_query", post(press_button))
        .route("/bots/{username}/callback_answers", get(callback_answers))
        .route("/bots/{username}/sent", get(sent))
        .route("/bots/{username}/passport_errors", get(passport_errors))
        .route("/bots/{username}/updates", get(updates))
        .route("/bots/{username}/waiting_polls", get(waiting_polls))
        .route("/faults", post(inject_fault).delete(clear_faults))
        .layer(middleware::from_fn(http::json_body_only))
        .merge(files)
        .fallback(|| async { ApiError::not_found() })
        // axum's default of 2 MB would cap a Passport submission (scans travel as base64) at
        // about 1.5 MB of files; realistic scans are larger.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(http::loopback_host_only))
}

async fn create_bot(State(shared): State<Arc<Shared>>, body: Bytes) -> ControlResult {
    let bot: NewBot = parse(&body)?;
    let user = shared.lock().create_bot(bot)?;
    shared.changed();
    reply(&user)
}

async fn bot(State(shared): State<Arc<Shared>>, Path(username): Path<String>) -> ControlResult {
    reply(&shared.lock().bot_info(&username)?)
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

async fn login_widget(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let request: LoginRequest = parse(&body)?;
    let auth_date = request.auth_date.unwrap_or_else(|| shared.now());
    let data = shared
        .lock()
        .login_widget(&username, request.user_id, auth_date, None)?;
    reply(&data)
}

async fn web_app(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let launch: WebAppLaunch = parse(&body)?;
    let now = shared.now();
    let data = shared.lock().web_app(&username, launch, now)?;
    reply(&data)
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

async fn press_button(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> ControlResult {
    let press: ButtonPress = parse(&body)?;
    let update = shared.lock().press_button(&username, press)?;
    shared.changed();
    reply(&update)
}

async fn callback_answers(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
) -> ControlResult {
    reply(&shared.lock().bot_mut(&username)?.callback_answers)
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
    shared.lock().inject_fault(spec)?;
    reply(&true)
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> ControlResult {
    shared.lock().faults.clear();
    reply(&true)
}
