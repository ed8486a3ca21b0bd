//! `GET /login` and the Mini App page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

use super::{Layout, logged_in, render, with_popup_policy};
use crate::error::HttpError;
use crate::http::api::ApiQuery;
use crate::http::auth::safe_next;
use crate::state::AppState;

/// Telegram's Login Widget script.
const TELEGRAM_WIDGET_SCRIPT: &str = "https://telegram.org/js/telegram-widget.js?22";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    bot: String,
    widget_script: String,
    widget_auth_url: String,
    oidc: bool,
    oidc_url: String,
    mini_app_url: String,
    mini_app_launch: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// `GET /login?next=`: every way to log in, each coming back to `next`.
pub(crate) async fn page(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<LoginQuery>,
) -> Result<Response, HttpError> {
    let next = match query.next.as_deref() {
        None | Some("") => "/account".to_owned(),
        next => safe_next(next)?,
    };
    let user = logged_in(&session).await;
    let encoded_next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let public_url = &state.config.public_url;
    let sandbox = state.config.sandbox_url.as_deref();
    let mini_app_url = format!("{public_url}/miniapp");
    let page = LoginPage {
        layout: Layout::new(&state, "Log in", user.as_ref()),
        bot: state.bot_username().to_owned(),
        widget_script: sandbox.map_or_else(
            || TELEGRAM_WIDGET_SCRIPT.to_owned(),
            |base| format!("{base}/js/telegram-widget.js?22"),
        ),
        widget_auth_url: format!("{public_url}/auth/telegram/widget?next={encoded_next}"),
        oidc: state.oidc.is_some(),
        oidc_url: format!("/auth/telegram/oidc/start?next={encoded_next}"),
        mini_app_launch: sandbox.map(|base| {
            let url: String = form_urlencoded::byte_serialize(mini_app_url.as_bytes()).collect();
            format!("{base}/phone/webapp?bot={}&url={url}", state.bot_username())
        }),
        mini_app_url,
        next,
    };
    Ok(with_popup_policy(render(&page)?))
}

#[derive(Template)]
#[template(path = "miniapp.html")]
struct MiniAppPage {
    layout: Layout,
}

/// `GET /miniapp`: the Mini App's page; its script logs in with Telegram's `initData`.
pub(crate) async fn mini_app(State(state): State<AppState>) -> Result<Response, HttpError> {
    render(&MiniAppPage {
        layout: Layout::new(&state, "Mini App", None),
    })
}
