//! Logins on the phone: the Login Widget's script and consent screen, the avatars its
//! `photo_url` points at, and Mini App launches with signed `initData`.

use std::sync::Arc;

use askama::Template;
use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use reqwest::Url;
use tgauth_core::{UserId, encode_uri_component};

use crate::{
    login::WebAppLaunch,
    pages::{
        Fields, PageError, PageResult, PathName, UserView, phone_user_or_picker, public_base,
        render, render_status, see_other, switch_href,
    },
    shared::Shared,
};

/// `GET /js/telegram-widget.js` (any query, such as `?22`).
pub(super) async fn widget_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/telegram-widget.js"),
    )
        .into_response()
}

/// An absolute `http` or `https` URL, or a page saying what `field` must be.
fn web_url(text: Option<&str>, field: &str) -> Result<Url, PageError> {
    text.and_then(|text| Url::parse(text.trim()).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .ok_or_else(|| {
            PageError::bad_request(
                "Not a web address",
                format!("The {field} must be an absolute http or https URL."),
            )
        })
}

/// The bot `name` names: its display name and canonical username.
fn bot_names(shared: &Shared, name: &str) -> Result<(String, String), PageError> {
    let state = shared.lock();
    let id = state.bot_id(name)?;
    let bot = state
        .bots
        .get(&id)
        .ok_or_else(|| PageError::not_found("No such bot", format!("No bot @{name}.")))?;
    Ok((
        bot.user.first_name.clone(),
        bot.user.username.clone().unwrap_or_default(),
    ))
}

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetConsent {
    origin: String,
    bot_name: String,
    bot_username: String,
    user: UserView,
    return_to: String,
    request_access: String,
    switch_href: String,
}

/// The widget request a consent screen or its answer carries.
struct WidgetRequest {
    bot_name: String,
    bot_username: String,
    origin: Url,
    return_to: Url,
    request_access: Option<String>,
}

impl WidgetRequest {
    fn of(shared: &Shared, fields: &Fields) -> Result<Self, PageError> {
        let (bot_name, bot_username) = bot_names(shared, fields.required("bot")?)?;
        if fields.text("return_to").is_none() {
            return Err(PageError::bad_request(
                "No address to log in to",
                "The sandbox's widget needs data-auth-url: the page the login goes to.",
            ));
        }
        Ok(Self {
            bot_name,
            bot_username,
            origin: web_url(fields.text("origin"), "origin")?,
            return_to: web_url(fields.text("return_to"), "return_to")?,
            request_access: fields.text("request_access").map(str::to_owned),
        })
    }

    /// This request's consent screen address, for the picker to come back to.
    fn consent_path(&self) -> String {
        let mut path = format!(
            "/phone/widget?bot={}&origin={}&return_to={}",
            self.bot_username,
            encode_uri_component(&origin_text(&self.origin)),
            encode_uri_component(self.return_to.as_str()),
        );
        if let Some(access) = &self.request_access {
            path.push_str("&request_access=");
            path.push_str(&encode_uri_component(access).to_string());
        }
        path
    }
}

/// The origin of a URL as a site names itself (`https://example.com`).
fn origin_text(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// `GET /phone/widget`: "<origin> wants to log you in with <bot>".
pub(super) async fn widget(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let request = WidgetRequest::of(&shared, &fields)?;
    let here = request.consent_path();
    let user = phone_user_or_picker(&shared, &headers, &here)?;
    Ok(render(&WidgetConsent {
        switch_href: switch_href(&here),
        origin: origin_text(&request.origin),
        bot_name: request.bot_name,
        bot_username: request.bot_username,
        user: UserView::of(&user),
        return_to: request.return_to.to_string(),
        request_access: request.request_access.unwrap_or_default(),
    }))
}

/// `POST /phone/widget`: "Log in" goes to `return_to` with the signed fields appended to its
/// own query; "Cancel" goes back to the site.
pub(super) async fn widget_answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let request = WidgetRequest::of(&shared, &fields)?;
    let user = phone_user_or_picker(&shared, &headers, &request.consent_path())?;
    match fields.get("action") {
        Some("login") => {}
        Some("cancel") => return Ok(see_other(request.origin.as_str())),
        _ => {
            return Err(PageError::bad_request(
                "Log in or cancel?",
                "The form must say action=login or action=cancel.",
            )
            .into());
        }
    }
    let photo_url = format!(
        "{}/phone/avatar/{}.svg",
        public_base(&shared, &headers),
        user.id
    );
    let now = shared.now();
    let data = shared
        .lock()
        .login_widget(&request.bot_username, user.id, now, Some(photo_url))?;
    let mut target = request.return_to;
    {
        let mut query = target.query_pairs_mut();
        for (key, value) in form_urlencoded::parse(data.query.as_bytes()) {
            query.append_pair(&key, &value);
        }
    }
    Ok(see_other(target.as_str()))
}

#[derive(Template)]
#[template(path = "avatar.svg")]
struct Avatar {
    initials: String,
    background: &'static str,
}

/// Telegram's seven default avatar colours.
const AVATAR_COLORS: [&str; 7] = [
    "#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae",
];

/// `GET /phone/avatar/<id>.svg`: the user's initials on a colour chosen by the id.
pub(super) async fn avatar(
    State(shared): State<Arc<Shared>>,
    PathName(file): PathName,
) -> PageResult {
    let not_found = || PageError::not_found("No such avatar", "The sandbox has no such user.");
    let id = file
        .strip_suffix(".svg")
        .and_then(|id| id.parse::<i64>().ok())
        .map(UserId)
        .ok_or_else(not_found)?;
    let user = shared
        .lock()
        .users
        .get(&id)
        .cloned()
        .ok_or_else(not_found)?;
    let initials: String = std::iter::once(user.first_name.as_str())
        .chain(user.last_name.as_deref())
        .filter_map(|name| name.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let slot = usize::try_from(id.get().rem_euclid(7)).unwrap_or_default();
    let svg = Avatar {
        initials,
        background: AVATAR_COLORS[slot % AVATAR_COLORS.len()],
    };
    let mut response = render_status(StatusCode::OK, &svg);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("image/svg+xml"),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "webapp.html")]
struct WebAppForm {
    bot_name: String,
    bot_username: String,
    user: UserView,
}

/// `GET /phone/webapp?bot=&url=`: opens the Mini App at `url` with signed `initData` in its
/// fragment, as Telegram's web client does; without `url`, a form asks for it.
pub(super) async fn web_app(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let (bot_name, bot_username) = bot_names(&shared, fields.required("bot")?)?;
    let here = match &query {
        Some(query) => format!("/phone/webapp?{query}"),
        None => "/phone/webapp".to_owned(),
    };
    let user = phone_user_or_picker(&shared, &headers, &here)?;
    if fields.text("url").is_none() {
        return Ok(render(&WebAppForm {
            bot_name,
            bot_username,
            user: UserView::of(&user),
        }));
    }
    let mut target = web_url(fields.text("url"), "Mini App url")?;
    let start_param = fields.text("start_param").map(str::to_owned);
    let launch = WebAppLaunch {
        start_param: start_param.clone(),
        ..WebAppLaunch::new(user.id)
    };
    let now = shared.now();
    let data = shared.lock().web_app(&bot_username, launch, now)?;
    let mut fragment = format!(
        "tgWebAppData={}&tgWebAppVersion=8.0&tgWebAppPlatform=web",
        encode_uri_component(&data.init_data)
    );
    if let Some(start_param) = start_param {
        fragment.push_str("&tgWebAppStartParam=");
        fragment.push_str(&encode_uri_component(&start_param).to_string());
    }
    target.set_fragment(Some(&fragment));
    Ok(see_other(target.as_str()))
}
