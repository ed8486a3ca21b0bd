//! The service's own pages: log in, the account (profile, sessions, the bot link), Passport
//! requests, the administrator's view, and an HTML page for every refusal a browser meets.
//!
//! The pages are server-rendered with askama (templates in `templates/`, checked at compile
//! time, HTML-escaped by default) and one small stylesheet; no script except the Mini App
//! page's few lines that hand `initData` to the login endpoint. They call the same functions
//! as the JSON API, so a page shows what the API would answer. A person's website account is
//! `telegram:<id>`: the service acts as its own website.
//!
//! In sandbox mode the Login Widget script comes from the sandbox and Telegram links
//! (`https://t.me/...`, `tg://...`) open on the sandbox's phone; otherwise they are Telegram's.

mod account;
mod admin;
mod login;
mod passport;

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tgauth::UnixTime;
use tgauth::link::AccountId;
use tower_sessions::Session;

use crate::error::HttpError;
use crate::sessions::{SessionUser, USER_KEY};
use crate::state::AppState;

/// The pages that only read (no CSRF check needed).
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login::page))
        .route("/miniapp", get(login::mini_app))
        .route("/account", get(account::page))
        .route("/passport", get(passport::new_request))
        .route("/passport/{id}", get(passport::show))
        .route("/passport/{id}/files/{index}", get(passport::file))
        .route("/admin", get(admin::page))
}

/// The forms that change state with the session cookie: behind the CSRF layer.
pub(crate) fn form_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/account/link", post(account::issue))
        .route("/account/confirm", post(account::confirm))
        .route("/account/refuse", post(account::refuse))
        .route("/account/unlink", post(account::unlink))
        .route("/account/test-message", post(account::test_message))
        .route(
            "/account/logout-everywhere",
            post(account::log_out_everywhere),
        )
        .route("/passport", post(passport::create))
        .route("/passport/{id}/errors", post(passport::send_errors))
        .route("/admin/api-keys", post(admin::create_key))
        .route("/admin/api-keys/{id}/revoke", post(admin::revoke_key))
}

/// The stylesheet and the Mini App script: no session, cacheable.
pub(crate) fn asset_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/static/tgauth.css", get(stylesheet))
        .route("/static/miniapp.js", get(mini_app_script))
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/tgauth.css"),
    )
}

async fn mini_app_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/miniapp.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the account when logged in, else the login page.
async fn home(session: Session) -> Response {
    match logged_in(&session).await {
        Some(_) => Redirect::to("/account").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// What every page's frame shows.
pub(crate) struct Layout {
    pub(crate) title: String,
    pub(crate) user_name: Option<String>,
    pub(crate) admin: bool,
    pub(crate) sandbox_phone: Option<String>,
    pub(crate) notice: Option<&'static str>,
    /// Reload the page after this many seconds (0: never), while it waits for something.
    pub(crate) refresh_seconds: u32,
}

impl Layout {
    pub(crate) fn new(
        state: &AppState,
        title: impl Into<String>,
        user: Option<&SessionUser>,
    ) -> Self {
        Self {
            title: title.into(),
            user_name: user.map(display_name),
            admin: user.is_some_and(|user| is_admin(state, user)),
            sandbox_phone: state
                .config
                .sandbox_url
                .as_ref()
                .map(|base| format!("{base}/phone")),
            notice: None,
            refresh_seconds: 0,
        }
    }
}

/// A rendered page, or 500 when a template fails (it cannot with askama's checked templates,
/// but a formatting error must not panic).
pub(crate) fn render(page: &impl Template) -> Result<Response, HttpError> {
    let html = page.render().map_err(HttpError::internal)?;
    Ok(Html(html).into_response())
}

/// The logged-in user of a session.
pub(crate) async fn logged_in(session: &Session) -> Option<SessionUser> {
    session.get::<SessionUser>(USER_KEY).await.ok().flatten()
}

/// The logged-in user, or a redirect to the login page that comes back to `path`.
pub(crate) async fn require_user(session: &Session, path: &str) -> Result<SessionUser, Response> {
    match logged_in(session).await {
        Some(user) => Ok(user),
        None => {
            let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
            Err(Redirect::to(&format!("/login?next={next}")).into_response())
        }
    }
}

/// The website account the service's pages use for a Telegram user.
pub(crate) fn account_of(user: &SessionUser) -> Result<AccountId, HttpError> {
    AccountId::new(&format!("telegram:{}", user.telegram_id)).map_err(HttpError::internal)
}

pub(crate) fn is_admin(state: &AppState, user: &SessionUser) -> bool {
    state.config.admins.contains(&user.telegram_id)
}

pub(crate) fn display_name(user: &SessionUser) -> String {
    let profile = &user.profile;
    match (&profile.first_name, &profile.last_name) {
        (Some(first), Some(last)) => format!("{first} {last}"),
        (Some(first), None) => first.clone(),
        _ => profile
            .username
            .as_ref()
            .map_or_else(|| user.telegram_id.to_string(), |name| format!("@{name}")),
    }
}

/// A Telegram link as the page offers it: Telegram's own, or opened on the sandbox's phone.
pub(crate) fn app_link(state: &AppState, link: &str) -> String {
    match &state.config.sandbox_url {
        Some(base) => {
            let link: String = form_urlencoded::byte_serialize(link.as_bytes()).collect();
            format!("{base}/phone/open?link={link}")
        }
        None => link.to_owned(),
    }
}

/// A QR code of `text` as an SVG `data:` URL for an `<img>`.
pub(crate) fn qr_code(text: &str) -> Option<String> {
    use base64::Engine as _;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// A time as people read it, in UTC.
pub(crate) fn when(time: UnixTime) -> String {
    match time::OffsetDateTime::from_unix_timestamp(time.as_secs()) {
        Ok(at) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        ),
        Err(_) => time.as_secs().to_string(),
    }
}

/// How a session logged in, in words.
pub(crate) fn method_name(method: &str) -> &'static str {
    match method {
        "login_widget" => "the Telegram Login Widget",
        "oidc" => "Log in with Telegram (OpenID Connect)",
        "mini_app" => "the Mini App",
        "login_link" => "a login link from the bot",
        _ => "Telegram",
    }
}

/// The notice a page shows after a form, by a fixed key (never text from the request).
pub(crate) fn notice(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "link_issued" => "A new link is ready: open it in Telegram and press Start.",
        "confirmed" => "Done: the bot is connected to your account.",
        "refused" => "The claim was refused; that link no longer works.",
        "unlinked" => "The bot is no longer connected to your account.",
        "sent" => "The test message is on its way to your Telegram chat with the bot.",
        "errors_sent" => "The errors were sent: the person sees them in Telegram Passport.",
        "key_revoked" => "The API key was revoked.",
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
    advice: &'static str,
    action_href: &'static str,
    action_text: &'static str,
}

/// What a person can do about a refusal, by its code.
fn advice(code: &str) -> (&'static str, &'static str, &'static str) {
    match code {
        "login_expired" | "login_replayed" | "invalid_login" | "login_denied" | "invalid_state"
        | "invalid_code" | "login_link_used" | "missing_init_data" => (
            "Logins work once and only for a while. Start the login again.",
            "/login",
            "Log in again",
        ),
        "not_logged_in" => ("Log in to continue.", "/login", "Log in"),
        "rate_limited" => (
            "Too many attempts came from your address. Wait a minute, then try again.",
            "/login",
            "Back to the login page",
        ),
        "cross_site_request" => (
            "The form was sent from another site or an old page. Reload the page and try again.",
            "/account",
            "Back to your account",
        ),
        "nothing_pending"
        | "link_expired"
        | "declined"
        | "already_linked"
        | "not_confirmed_in_bot"
        | "telegram_linked_elsewhere"
        | "not_linked"
        | "blocked" => (
            "Check the bot link on your account page; you can get a new link there.",
            "/account",
            "Back to your account",
        ),
        "passport_disabled" | "invalid_scope" | "invalid_errors" | "refused_by_telegram" => (
            "Check the Passport request and try again.",
            "/passport",
            "Back to Passport",
        ),
        "forbidden" => (
            "This page is for the service's administrators.",
            "/account",
            "Back to your account",
        ),
        "oidc_disabled" => (
            "Use another way to log in.",
            "/login",
            "Back to the login page",
        ),
        "unavailable" | "timeout" => (
            "The service could not finish this just now. Try again in a moment.",
            "/",
            "Back to the start",
        ),
        _ => ("", "/", "Back to the start"),
    }
}

/// Browsers get a page, not JSON: a refusal answered to a request that accepts `text/html`
/// (outside the JSON API and the webhook) is rendered as a page that says what happened and
/// what to do, with the same status. The JSON body is the service's own error object, so its
/// message is already fit to show; a 5xx shows only the fixed message.
pub(crate) async fn html_errors(
    state: axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let path = request.uri().path();
    let api = path.starts_with("/api/") || path.starts_with("/telegram/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !wants_html || api || !(status.is_client_error() || status.is_server_error()) || !is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (parts.status, "error").into_response();
    };
    let error: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let code = error["error"]["code"].as_str().unwrap_or("error");
    let message = error["error"]["message"]
        .as_str()
        .unwrap_or("something went wrong")
        .to_owned();
    let (advice, action_href, action_text) = advice(code);
    let page = ErrorPage {
        layout: Layout::new(&state, title_of(status), None),
        status: status.as_u16(),
        message: capitalised(&message),
        advice,
        action_href,
        action_text,
    };
    let html = page.render().unwrap_or_else(|_| message.clone());
    let mut response = (parts.status, Html(html)).into_response();
    // Keep the request id, the cookie changes and the failure's cause for the log.
    for name in [
        header::SET_COOKIE,
        header::HeaderName::from_static("x-request-id"),
    ] {
        for value in parts.headers.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    *response.extensions_mut() = parts.extensions;
    response
}

fn title_of(status: StatusCode) -> String {
    match status.as_u16() {
        401 => "Not logged in".to_owned(),
        403 => "Not allowed".to_owned(),
        404 => "Not found".to_owned(),
        409 => "That did not work".to_owned(),
        429 => "Too many attempts".to_owned(),
        500..=599 => "Something went wrong".to_owned(),
        _ => "That did not work".to_owned(),
    }
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// 403 for a page only administrators see.
pub(crate) fn forbidden() -> HttpError {
    HttpError::client(
        StatusCode::FORBIDDEN,
        "forbidden",
        "only the service's administrators see this page",
    )
}

/// The response headers the login page needs: Telegram's widget reports back from a popup,
/// which a `Cross-Origin-Opener-Policy` of `same-origin` would cut off.
pub(crate) fn with_popup_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin-allow-popups"),
    );
    response
}

/// Sets a `Content-Security-Policy` on every HTML page: scripts from this site and the Login
/// Widget's origin only (Telegram's, or the sandbox's), no inline script or style attribute,
/// forms posting only here, no plugin, no `<base>`, and no framing of the pages (but the Mini
/// App's, which Telegram's web version shows in a frame).
pub(crate) async fn content_security_policy(
    state: axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mini_app = request.uri().path() == "/miniapp";
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if !html {
        return response;
    }
    let (widget, images) = match state.config.sandbox_url.as_deref() {
        Some(sandbox) => (sandbox.to_owned(), format!("data: https: {sandbox}")),
        None => ("https://telegram.org".to_owned(), "data: https:".to_owned()),
    };
    // A form whose answer redirects to another site (the consent page's, to the client) needs
    // that site in `form-action`: browsers check redirects after a form post against it.
    let form_targets = response
        .extensions()
        .get::<FormTarget>()
        .map(|target| format!(" {}", target.0))
        .unwrap_or_default();
    let framing = if mini_app {
        "frame-ancestors https://web.telegram.org"
    } else {
        "frame-ancestors 'none'"
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' {widget}; img-src 'self' {images}; \
         style-src 'self'; frame-src https://oauth.telegram.org; connect-src 'self'; \
         form-action 'self'{form_targets}; object-src 'none'; base-uri 'none'; {framing}"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// An origin a page's form may end up at after a redirect (a response extension read by
/// [`content_security_policy`]).
#[derive(Debug, Clone)]
pub(crate) struct FormTarget(pub(crate) String);

/// The body of a form post, as pairs (repeated names kept: checkboxes).
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The first value of `name` in form pairs.
pub(crate) fn form_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// A response with no body that sends the browser to `to` (303 after a form).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
