//! The phone: HTML pages that play the Telegram app for a chosen sandbox user, so that a person
//! with two browser windows (a website and the phone) can run every Telegram flow offline.
//!
//! The phone acts as the user its cookie names (`tgsandbox_phone_user=<user id>`, `Path=/`, a
//! year's `Max-Age`, `HttpOnly`, `SameSite=Lax`). It is a thin layer of pages over the
//! operations the control API offers (users sending text and pressing buttons, Login Widget and
//! Mini App signing, Passport sealing, OIDC codes), and like the control API it has no
//! authentication: whoever reaches it acts as any user. Keep the sandbox on loopback. Its forms
//! are ordinary browser forms (`application/x-www-form-urlencoded`) on paths outside
//! `/sandbox/`, so the control API's rules (loopback `Host`, JSON bodies) neither apply to them
//! nor are weakened by them; the `SameSite=Lax` cookie is not sent with another site's form
//! posts, which then reach the account picker instead of acting.
//!
//! `cargo run -p telegram-sandbox --example phone` starts a sandbox with a demo bot and prints
//! the phone's addresses to open.
//!
//! | request | what it does |
//! |---|---|
//! | `GET /` | the sandbox's home: the phone, the bots, where the control API is described |
//! | `GET /phone` (`?user=<id>`, `?return=<path>`) | the phone user and the account picker (each user with a "Use this account" button, a "New account" form), and the chats; `user` chooses an account and 303s to `return` |
//! | `POST /phone/user` (`user_id`, or `first_name`, `last_name`?, `username`?; `return`?) | chooses or creates the account (new ids from 100001 up), sets the cookie, 303 to `return` (a path on the sandbox; default `/phone`) |
//! | `GET /phone/open?link=<url>` | opens a Telegram link: `https://t.me/<bot>[?start=<payload>]`, `tg://resolve?domain=<bot>[&start=<payload>]` 303 to the chat; `tg://resolve?domain=telegrampassport&...` and `tg://passport?...` 303 to `/phone/passport?<same query>`; anything else 400 |
//! | `GET /phone/chat/<bot>` (`?start=<payload>`, `?pressed=<callback query id>`) | the conversation (`class="message"`, `data-from="user"` or `"bot"`), inline keyboards, a Start button, a text box; polls `/version` and reloads when the chat changes |
//! | `GET /phone/chat/<bot>/version` | `{"version":"<fingerprint>"}` of what the chat page shows |
//! | `POST /phone/chat/<bot>/start` (`payload`?) | sends `/start <payload>` (or `/start`) as the user |
//! | `POST /phone/chat/<bot>/send` (`text`) | sends the text as the user |
//! | `POST /phone/chat/<bot>/press` (`message_id`, `data`) | presses the callback button, 303 to the chat with `pressed=<query id>` (which shows the bot's answer) |
//! | `POST /phone/chat/<bot>/block` (`blocked` `true` or `false`) | blocks or unblocks the bot |
//! | `GET /js/telegram-widget.js` | the Login Widget script a site embeds as Telegram's; it inserts a "Log in with Telegram" link (`id="telegram-login-<bot>"`) to `/phone/widget` |
//! | `GET /phone/widget?bot=&origin=&return_to=&request_access=` | the widget's consent screen |
//! | `POST /phone/widget` (`action` `login` or `cancel`, `bot`, `origin`, `return_to`) | "Log in" 303s to `return_to` with the signed Login Widget fields appended to its query; "Cancel" 303s to `origin` |
//! | `GET /phone/avatar/<id>.svg` | a user's generated avatar (initials), the widget's `photo_url` |
//! | `GET /phone/webapp?bot=&url=` (`start_param`?) | signs Mini App `initData` and 303s to `<url>#tgWebAppData=...&tgWebAppVersion=8.0&tgWebAppPlatform=web`; without `url`, a form asks for it |
//! | `GET /phone/passport?domain=telegrampassport&bot_id=&scope=&public_key=&nonce=&callback_url=` (`payload` for a missing `nonce`) | the Passport form for exactly what the scope asks, prefilled with sample data and generated pictures |
//! | `POST /phone/passport` | seals the kept elements to the bot, 303 to `/phone/passport/sent` |
//! | `GET /phone/passport/sent?bot=<username>` (`since`?, `callback_url`?) | "Sent to" the bot, a link back to the site, the errors the bot set (`class="passport-error"`); polls `/phone/passport/sent/version` |
//! | `GET /phone/passport/sample/<type>-<part>.png` | a generated sample picture |
//! | `GET /phone/style.css`, `GET /phone/poll.js` | the stylesheet and the polling script of the pages |
//!
//! The OpenID Connect consent screen is served by the provider itself (see [`crate::oidc`]).

mod chat;
mod login;
mod passport;
mod users;

use std::sync::Arc;

use axum::{
    Router,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{pages::PageError, shared::Shared};

/// The phone's routes, at their full paths.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(users::home))
        .route("/phone/style.css", get(style))
        .route("/phone/poll.js", get(poll_script))
        .route("/js/telegram-widget.js", get(login::widget_script))
        .route("/phone", get(users::phone))
        .route("/phone/user", get(users::phone).post(users::choose))
        .route("/phone/open", get(chat::open))
        .route("/phone/chat/{bot}", get(chat::chat))
        .route("/phone/chat/{bot}/version", get(chat::version))
        .route("/phone/chat/{bot}/start", axum::routing::post(chat::start))
        .route("/phone/chat/{bot}/send", axum::routing::post(chat::send))
        .route("/phone/chat/{bot}/press", axum::routing::post(chat::press))
        .route("/phone/chat/{bot}/block", axum::routing::post(chat::block))
        .route(
            "/phone/widget",
            get(login::widget).post(login::widget_answer),
        )
        .route("/phone/avatar/{file}", get(login::avatar))
        .route("/phone/webapp", get(login::web_app))
        .route(
            "/phone/passport",
            get(passport::form).post(passport::submit),
        )
        .route("/phone/passport/sent", get(passport::sent))
        .route("/phone/passport/sent/version", get(passport::sent_version))
        .route("/phone/passport/sample/{file}", get(passport::sample))
        .route("/phone/{*rest}", get(not_found).post(not_found))
}

async fn not_found() -> PageError {
    PageError::not_found(
        "Nothing here",
        "The phone has no page at this address. Start from the phone's main page.",
    )
}

/// A static asset: revalidated on every use, as the sandbox may be a newer build.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn style() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
}

async fn poll_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/poll.js"),
    )
}
