//! `/admin`, for the Telegram ids the configuration names: people and their links,
//! notifications, Passport submissions with their audit logs, API keys.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use tgauth::link::store::Store as _;
use tower_sessions::Session;

use super::account::NoticeQuery;
use super::{
    Layout, forbidden, form_pairs, form_value, is_admin, notice, render, require_user, see_other,
    when,
};
use crate::error::HttpError;
use crate::http::api::{ApiPath, ApiQuery};
use crate::sessions::SessionUser;
use crate::state::AppState;

struct Person {
    id: String,
    name: String,
    account: String,
    reach: &'static str,
}

struct NotificationLine {
    created: String,
    account: String,
    status: String,
    attempts: i64,
    error: String,
}

struct Submission {
    id: String,
    account: String,
    status: String,
    created: String,
    audit: Vec<(String, String, String)>,
}

/// A "log in with tgauth" client as the administrator sees it (never its secret).
struct ClientLine {
    id: String,
    name: String,
    kind: &'static str,
    source: &'static str,
    redirect_uris: String,
}

struct KeyLine {
    id: String,
    name: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    new_key: Option<String>,
    new_key_name: String,
    people: Vec<Person>,
    notifications: Vec<NotificationLine>,
    submissions: Vec<Submission>,
    keys: Vec<KeyLine>,
    clients: Vec<ClientLine>,
}

async fn require_admin(state: &AppState, session: &Session) -> Result<SessionUser, Response> {
    let user = require_user(session, "/admin").await?;
    if is_admin(state, &user) {
        Ok(user)
    } else {
        Err(axum::response::IntoResponse::into_response(forbidden()))
    }
}

/// `GET /admin`.
pub(crate) async fn page(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Response, HttpError> {
    let user = match require_admin(&state, &session).await {
        Ok(user) => user,
        Err(response) => return Ok(response),
    };
    let mut page = admin_page(&state, &user).await?;
    page.layout.notice = notice(query.done.as_deref());
    render(&page)
}

async fn admin_page(state: &AppState, user: &SessionUser) -> Result<AdminPage, HttpError> {
    let mut people = Vec::new();
    for row in state.db.recent_telegram_users().await? {
        let link = state
            .linker
            .store()
            .link_of_telegram_user(row.telegram_id)
            .await
            .map_err(|error| HttpError::unavailable(tgauth::link::Error::from(error)))?;
        let name = [row.first_name.as_deref(), row.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let name = match &row.username {
            Some(username) => format!("{name} (@{username})"),
            None => name,
        };
        people.push(Person {
            id: row.telegram_id.to_string(),
            name,
            account: link
                .as_ref()
                .map_or_else(|| "—".to_owned(), |link| link.account.as_str().to_owned()),
            reach: match &link {
                Some(link) if link.is_active() => "yes",
                Some(_) => "no (blocked)",
                None => "—",
            },
        });
    }
    let notifications = state
        .db
        .recent_notifications()
        .await?
        .into_iter()
        .map(|row| NotificationLine {
            created: when(row.created_at),
            account: row.account,
            status: row.status,
            attempts: row.attempts,
            error: row.error.unwrap_or_default(),
        })
        .collect();
    let mut submissions = Vec::new();
    for request in state.db.recent_passport_requests(None).await? {
        let audit = state
            .db
            .audit_log(&request.id)
            .await?
            .into_iter()
            .map(|(actor, action, at)| (actor, action, when(at)))
            .collect();
        submissions.push(Submission {
            id: request.id,
            account: request.account,
            status: request.status,
            created: when(request.created_at),
            audit,
        });
    }
    let keys = state
        .db
        .api_keys()
        .await?
        .into_iter()
        .map(|key| KeyLine {
            id: key.id,
            name: key.name,
            created: when(key.created_at),
            revoked: key.revoked_at.map(when),
        })
        .collect();
    let line = |client: crate::provider::Client, source| ClientLine {
        kind: match (client.public, client.trusted) {
            (true, true) => "public, trusted",
            (true, false) => "public",
            (false, true) => "confidential, trusted",
            (false, false) => "confidential",
        },
        source,
        redirect_uris: client.redirect_uris.join(" "),
        id: client.id,
        name: client.name,
    };
    let mut clients: Vec<ClientLine> = state
        .config
        .provider
        .clients
        .iter()
        .cloned()
        .map(|client| line(client, "configuration"))
        .collect();
    clients.extend(
        crate::provider::database_clients(state)
            .await?
            .into_iter()
            .map(|client| line(client, "tgauth oidc client add")),
    );
    Ok(AdminPage {
        layout: Layout::new(state, "Administration", Some(user)),
        clients,
        new_key: None,
        new_key_name: String::new(),
        people,
        notifications,
        submissions,
        keys,
    })
}

/// `POST /admin/api-keys`: a new key, shown once on the page this answers with (never in a
/// URL or a redirect).
pub(crate) async fn create_key(
    State(state): State<AppState>,
    session: Session,
    body: Bytes,
) -> Result<Response, HttpError> {
    let user = match require_admin(&state, &session).await {
        Ok(user) => user,
        Err(response) => return Ok(response),
    };
    let pairs = form_pairs(&body);
    let name = form_value(&pairs, "name")
        .map(str::trim)
        .filter(|name| !name.is_empty() && name.chars().count() <= 64)
        .ok_or_else(|| {
            HttpError::bad_request("invalid_name", "give the key a name of 1 to 64 characters")
        })?
        .to_owned();
    let key = crate::new_api_key(&state.db, &name, state.now())
        .await
        .map_err(HttpError::internal)?;
    let mut page = admin_page(&state, &user).await?;
    page.new_key = Some(key);
    page.new_key_name = name;
    render(&page)
}

/// `POST /admin/api-keys/{id}/revoke`.
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, HttpError> {
    if let Err(response) = require_admin(&state, &session).await {
        return Ok(response);
    }
    if id.len() > 64 || !state.db.revoke_api_key(&id, state.now()).await? {
        return Err(HttpError::not_found("live API key"));
    }
    Ok(see_other("/admin?done=key_revoked"))
}
