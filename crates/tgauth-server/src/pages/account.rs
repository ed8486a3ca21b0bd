//! `/account`: the profile, the sessions, and the bot link (issue, the claim to confirm or
//! refuse, unlink, a test message).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tgauth::LinkStatus;
use tower_sessions::Session;

use super::{
    Layout, account_of, app_link, display_name, method_name, notice, qr_code, render, require_user,
    see_other, when,
};
use crate::error::HttpError;
use crate::http::api::{
    self, ApiQuery, confirm_link, issue_link, pending_code, queue_notification, refuse_link,
    unlink_account,
};
use crate::sessions::{SessionUser, id_hash};
use crate::state::AppState;

/// Where the bot link stands.
enum LinkState {
    /// Linked to a chat, reachable or not.
    Linked {
        name: String,
        active: bool,
    },
    /// Someone pressed the link; the website decides.
    Claimed {
        name: String,
        username: Option<String>,
        confirmed_in_bot: bool,
    },
    /// A link is out, nobody pressed it yet.
    Waiting {
        url: String,
        qr: Option<String>,
        expires: String,
    },
    None,
}

struct SessionLine {
    current: bool,
    method: &'static str,
    created: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    bot: String,
    name: String,
    username: Option<String>,
    photo_url: Option<String>,
    telegram_id: String,
    method: &'static str,
    link: LinkState,
    sessions: Vec<SessionLine>,
}

/// The user view as the API shows it (`GET /api/v1/users/{user}`), for the page.
#[derive(Deserialize)]
struct UserView {
    telegram: Option<TelegramView>,
    status: Option<String>,
    pending: Option<PendingView>,
}

#[derive(Deserialize)]
struct TelegramView {
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    id: i64,
}

impl TelegramView {
    fn name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(first), Some(last)) => format!("{first} {last}"),
            (Some(first), None) => first.clone(),
            _ => self
                .username
                .as_ref()
                .map_or_else(|| self.id.to_string(), |name| format!("@{name}")),
        }
    }
}

#[derive(Deserialize)]
struct PendingView {
    telegram: TelegramView,
    confirmed_in_bot: bool,
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    pub(crate) done: Option<String>,
}

/// `GET /account`.
pub(crate) async fn page(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Response, HttpError> {
    let user = match require_user(&session, "/account").await {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let now = state.now();
    let account = account_of(&user)?;
    let view: UserView = serde_json::from_value(api::user_view(&state, &account, now).await?)
        .map_err(HttpError::internal)?;
    let link = link_state(&state, &account, view, now).await?;
    let current = session.id().map(|id| id_hash(&id));
    let sessions = state
        .db
        .sessions_of(user.telegram_id, now)
        .await?
        .into_iter()
        .map(|row| SessionLine {
            current: current.as_deref() == Some(row.id_hash.as_str()),
            method: method_name(row.method.as_deref().unwrap_or_default()),
            created: when(row.created_at),
            expires: when(row.expires_at),
        })
        .collect();
    let mut layout = Layout::new(&state, "Your account", Some(&user));
    layout.notice = notice(query.done.as_deref());
    // While the page waits for the person in Telegram, it looks again by itself.
    if matches!(
        link,
        LinkState::Waiting { .. }
            | LinkState::Claimed {
                confirmed_in_bot: false,
                ..
            }
    ) {
        layout.refresh_seconds = 3;
    }
    let profile = &user.profile;
    render(&AccountPage {
        layout,
        bot: state.bot_username().to_owned(),
        name: display_name(&user),
        username: profile.username.clone(),
        photo_url: profile
            .photo_url
            .clone()
            .filter(|url| url.starts_with("https://") || url.starts_with("http://")),
        telegram_id: user.telegram_id.to_string(),
        method: method_name(user.method.as_str()),
        link,
        sessions,
    })
}

async fn link_state(
    state: &AppState,
    account: &tgauth::link::AccountId,
    view: UserView,
    now: tgauth::UnixTime,
) -> Result<LinkState, HttpError> {
    if let Some(telegram) = &view.telegram {
        return Ok(LinkState::Linked {
            name: telegram.name(),
            active: view.status.as_deref() == Some("active"),
        });
    }
    if let Some(pending) = view.pending {
        return Ok(LinkState::Claimed {
            name: pending.telegram.name(),
            username: pending.telegram.username,
            confirmed_in_bot: pending.confirmed_in_bot,
        });
    }
    let Some(code) = pending_code(state, account).await? else {
        return Ok(LinkState::None);
    };
    let status = state
        .website
        .status(account, &code, now)
        .await
        .map_err(HttpError::unavailable)?;
    if !matches!(status, LinkStatus::Waiting) {
        return Ok(LinkState::None);
    }
    let url = tgauth::link::link::start_url(&state.bot_username, code.expose())
        .map_err(HttpError::internal)?;
    let expires = state
        .db
        .link_request_expiry(account.as_str())
        .await?
        .map_or_else(String::new, when);
    let url = app_link(state, &url);
    Ok(LinkState::Waiting {
        qr: qr_code(&url),
        url,
        expires,
    })
}

/// Runs a form's action for the logged-in user, then back to the account page with a notice.
async fn act<F, Fut>(state: AppState, session: Session, done: &str, action: F) -> Response
where
    F: FnOnce(AppState, SessionUser) -> Fut,
    Fut: std::future::Future<Output = Result<(), HttpError>>,
{
    let user = match require_user(&session, "/account").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    match action(state, user).await {
        Ok(()) => see_other(&format!("/account?done={done}")),
        Err(error) => error.into_response(),
    }
}

/// `POST /account/link`: a new link code.
pub(crate) async fn issue(State(state): State<AppState>, session: Session) -> Response {
    act(state, session, "link_issued", |state, user| async move {
        issue_link(&state, &account_of(&user)?).await.map(|_| ())
    })
    .await
}

/// `POST /account/confirm`: the claim is the person's own; the link is made.
pub(crate) async fn confirm(State(state): State<AppState>, session: Session) -> Response {
    act(state, session, "confirmed", |state, user| async move {
        confirm_link(&state, &account_of(&user)?).await
    })
    .await
}

/// `POST /account/refuse`: the claim is someone else's; the code dies.
pub(crate) async fn refuse(State(state): State<AppState>, session: Session) -> Response {
    act(state, session, "refused", |state, user| async move {
        refuse_link(&state, &account_of(&user)?).await
    })
    .await
}

/// `POST /account/unlink`.
pub(crate) async fn unlink(State(state): State<AppState>, session: Session) -> Response {
    act(state, session, "unlinked", |state, user| async move {
        unlink_account(&state, &account_of(&user)?).await
    })
    .await
}

/// `POST /account/test-message`: a message through the bot, from the outbox.
pub(crate) async fn test_message(State(state): State<AppState>, session: Session) -> Response {
    act(state, session, "sent", |state, user| async move {
        let text = format!(
            "Test message from {}: the bot reaches you, {}.",
            state.config.public_url,
            display_name(&user)
        );
        queue_notification(&state, &account_of(&user)?, &text, None, None)
            .await
            .map(|_| ())
    })
    .await
}

/// `POST /account/logout-everywhere`: every session of this Telegram user ends, this one too.
pub(crate) async fn log_out_everywhere(
    State(state): State<AppState>,
    session: Session,
) -> Response {
    let user = match require_user(&session, "/account").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    if let Err(error) = state.db.revoke_sessions(user.telegram_id).await {
        return HttpError::from(error).into_response();
    }
    // The record is gone; the cookie goes too.
    if let Err(error) = session.flush().await {
        return HttpError::internal(error).into_response();
    }
    see_other("/login")
}
