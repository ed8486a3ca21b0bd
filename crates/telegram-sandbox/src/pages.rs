//! HTML page helpers shared by the phone and the OpenID Connect consent screen: rendering,
//! error pages, the phone user's cookie, form and query fields, and safe redirects.
//!
//! Pages are askama templates (HTML-escaped by default); a page that cannot render answers a
//! fixed 500 text, never the template engine's message. Every page is `Cache-Control:
//! no-store`: it shows the sandbox's state as it is now.

use std::{collections::hash_map::DefaultHasher, hash::Hasher};

use askama::Template;
use axum::{
    extract::{FromRequestParts, Path},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Response},
};
use tgauth_core::{UserId, encode_uri_component};

use crate::{error::ControlError, shared::Shared, types::User};

/// The cookie that says which sandbox user the phone acts as.
pub(crate) const USER_COOKIE: &str = "tgsandbox_phone_user";

/// The field of a form or query that names where to go after choosing a user.
pub(crate) const RETURN_FIELD: &str = "return";

/// Renders a page with `status`; a template that fails to render answers a fixed 500.
pub(crate) fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: the page could not be rendered",
        )
            .into_response(),
    }
}

/// Renders a page with 200 OK.
pub(crate) fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

/// A 303 See Other to `location`, as a page answers a form it handled.
pub(crate) fn see_other(location: &str) -> Response {
    see_other_with(location, None)
}

/// A 303 See Other to `location` that also sets a cookie.
pub(crate) fn see_other_with(location: &str, cookie: Option<String>) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        return PageError::bad_request(
            "This address cannot be opened",
            "The address to continue to holds characters a redirect cannot carry.",
        )
        .into_response();
    };
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// A failure a page explains: its status, a title, what happened and a way on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) title: String,
    pub(crate) message: String,
}

impl PageError {
    pub(crate) fn new(
        status: StatusCode,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            title: title.into(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, title, message)
    }

    pub(crate) fn not_found(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, title, message)
    }

    /// A field a form or link must carry is missing or empty.
    pub(crate) fn missing(field: &str) -> Self {
        Self::bad_request(
            "Something is missing",
            format!("The request has no {field}."),
        )
    }
}

impl From<ControlError> for PageError {
    fn from(error: ControlError) -> Self {
        let (status, title) = match &error {
            ControlError::UnknownBot { .. } => (StatusCode::NOT_FOUND, "No such bot"),
            ControlError::Blocked { .. } => (StatusCode::CONFLICT, "You blocked this bot"),
            ControlError::AlreadyExists { .. } => (StatusCode::CONFLICT, "Already taken"),
            ControlError::Unavailable { .. } => (StatusCode::NOT_IMPLEMENTED, "Not available here"),
            _ => (StatusCode::BAD_REQUEST, "The sandbox refused this"),
        };
        // Control errors never quote secrets (button data, tokens), so they can be shown.
        let mut message = error.to_string();
        if let Some(first) = message.get(..1) {
            message = first.to_uppercase() + message.get(1..).unwrap_or_default();
        }
        Self::new(status, title, message + ".")
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        render_status(
            self.status,
            &ErrorPage {
                title: &self.title,
                message: &self.message,
                status: self.status.as_u16(),
            },
        )
    }
}

/// The fields of a query string or an `application/x-www-form-urlencoded` body, in order.
///
/// Invalid percent-encoding or UTF-8 is read leniently (as browsers send only valid forms, a
/// broken one is someone's hand-made request, answered by the page's own checks).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        Self(form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub(crate) fn of_query(query: Option<&str>) -> Self {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    /// The first value of `name`, if any.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name` unless it is missing or blank.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.trim().is_empty())
    }

    /// The first value of `name`, required.
    pub(crate) fn required(&self, name: &str) -> Result<&str, PageError> {
        self.text(name).ok_or_else(|| PageError::missing(name))
    }

    /// Whether a checkbox `name` was checked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// A path parameter, with a page for one that cannot be read instead of axum's plain text.
#[derive(Debug)]
pub(crate) struct PathName(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for PathName {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(name)| Self(name))
            .map_err(|_| {
                PageError::bad_request(
                    "This address cannot be read",
                    "A part of the address is not valid UTF-8 text.",
                )
            })
    }
}

/// The `Set-Cookie` value that makes the phone act as `user_id`; it lasts a year, so that the
/// phone's window keeps its account across browser restarts as an app does.
pub(crate) fn user_cookie(user_id: UserId) -> String {
    format!("{USER_COOKIE}={user_id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax")
}

/// The user the phone acts as: the cookie's user, if the sandbox knows them.
pub(crate) fn phone_user(shared: &Shared, headers: &HeaderMap) -> Option<User> {
    let id = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == USER_COOKIE)
        .and_then(|(_, value)| value.trim().parse::<i64>().ok())?;
    shared.lock().users.get(&UserId(id)).cloned()
}

/// The answer to a page that needs a phone user and has none: the account picker, which
/// comes back to the page once an account is chosen.
#[derive(Debug)]
pub(crate) struct Picker {
    here: String,
}

impl IntoResponse for Picker {
    fn into_response(self) -> Response {
        see_other(&switch_href(&self.here))
    }
}

/// What a page answers instead of itself: an explanation, or the account picker.
#[derive(Debug)]
pub(crate) enum Detour {
    Error(PageError),
    Picker(Picker),
}

impl From<PageError> for Detour {
    fn from(error: PageError) -> Self {
        Self::Error(error)
    }
}

impl From<ControlError> for Detour {
    fn from(error: ControlError) -> Self {
        Self::Error(error.into())
    }
}

impl From<Picker> for Detour {
    fn from(picker: Picker) -> Self {
        Self::Picker(picker)
    }
}

impl IntoResponse for Detour {
    fn into_response(self) -> Response {
        match self {
            Self::Error(error) => error.into_response(),
            Self::Picker(picker) => picker.into_response(),
        }
    }
}

/// What a page handler answers.
pub(crate) type PageResult = Result<Response, Detour>;

/// The phone user, or the picker that comes back to `here` (a path with its query).
pub(crate) fn phone_user_or_picker(
    shared: &Shared,
    headers: &HeaderMap,
    here: &str,
) -> Result<User, Picker> {
    phone_user(shared, headers).ok_or_else(|| Picker {
        here: here.to_owned(),
    })
}

/// The account picker's address that comes back to `here` once an account is chosen.
pub(crate) fn switch_href(here: &str) -> String {
    format!("/phone?{RETURN_FIELD}={}", encode_uri_component(here))
}

/// `path` if it is a path on the sandbox itself (`/...`, not `//host` or `/\host`, which
/// browsers read as another host), without whitespace or control characters.
pub(crate) fn local_path(path: &str) -> Option<&str> {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_whitespace() || c.is_control());
    local.then_some(path)
}

/// The sandbox's root URL as the browser reached it (`http://<Host>`), for absolute URLs in
/// what the phone hands to other sites; the listening address when `Host` is unusable.
pub(crate) fn public_base(shared: &Shared, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            reqwest::Url::parse(&format!("http://{host}/"))
                .is_ok_and(|url| url.path() == "/" && url.query().is_none())
        });
    match host {
        Some(host) => format!("http://{host}"),
        None => shared.base_url().to_owned(),
    }
}

/// A short fingerprint of what a page shows, so that it can poll and reload when it changes.
/// It lives only as long as the page: never persisted or compared across versions.
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = DefaultHasher::new();
    for part in parts {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    format!("{:016x}", hasher.finish())
}

/// How a page shows a user: names, username, initials and avatar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserView {
    pub(crate) id: UserId,
    pub(crate) name: String,
    pub(crate) username: Option<String>,
    pub(crate) avatar_url: String,
}

impl UserView {
    pub(crate) fn of(user: &User) -> Self {
        Self {
            id: user.id,
            name: full_name(user),
            username: user.username.clone(),
            avatar_url: format!("/phone/avatar/{}.svg", user.id),
        }
    }
}

/// A user's first and last name.
pub(crate) fn full_name(user: &User) -> String {
    match &user.last_name {
        Some(last) if !last.is_empty() => format!("{} {last}", user.first_name),
        _ => user.first_name.clone(),
    }
}
