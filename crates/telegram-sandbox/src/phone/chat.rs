//! The chat with a bot: the conversation, inline keyboards, Start, the text box, blocking,
//! and opening Telegram links.

use std::sync::Arc;

use askama::Template;
use axum::{
    Json,
    body::Bytes,
    extract::{RawQuery, State},
    http::HeaderMap,
};
use serde_json::{Value, json};
use tgauth_core::{UnixTime, UserId, encode_uri_component};

use crate::{
    control::ButtonPress,
    pages::{
        Fields, PageError, PageResult, PathName, Picker, UserView, fingerprint, phone_user,
        phone_user_or_picker, render, see_other,
    },
    shared::Shared,
    state::{Bot, State as SandboxState},
    types::User,
};

/// Whether `payload` is a start parameter Telegram accepts: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub(super) fn valid_payload(payload: &str) -> bool {
    (1..=64).contains(&payload.len())
        && payload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn invalid_payload() -> PageError {
    PageError::bad_request(
        "Not a start parameter",
        "A start parameter is 1 to 64 characters of A-Z, a-z, 0-9, _ and -, as Telegram \
         accepts them.",
    )
}

/// Whether `username` can name a bot: 1 to 32 of `A-Z a-z 0-9 _`.
fn valid_username(username: &str) -> bool {
    (1..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The bot `name` names, with its canonical username.
fn bot_of<'a>(state: &'a SandboxState, name: &str) -> Result<&'a Bot, PageError> {
    let id = state.bot_id(name)?;
    state.bots.get(&id).ok_or_else(|| {
        PageError::not_found("No such bot", format!("The sandbox has no bot @{name}."))
    })
}

fn username_of(bot: &Bot) -> String {
    bot.user.username.clone().unwrap_or_default()
}

/// A run of message text: plain, or a link.
pub(super) struct Segment {
    text: String,
    href: Option<String>,
}

/// An inline keyboard button as the chat shows it.
pub(super) struct ButtonView {
    text: String,
    /// `callback` (a form that presses it), `link` (an `href`), or `inert`.
    kind: &'static str,
    data: String,
    href: String,
}

/// One message of the conversation.
pub(super) struct Entry {
    message_id: i64,
    from: &'static str,
    segments: Vec<Segment>,
    keyboard: Vec<Vec<ButtonView>>,
    time: String,
    edited: bool,
    passport: bool,
}

/// The bot's answer to the button press the chat came back from.
pub(super) struct Notice {
    text: Option<String>,
    alert: bool,
    url: Option<String>,
    waiting: bool,
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    bot_name: String,
    bot_username: String,
    user: UserView,
    entries: Vec<Entry>,
    blocked: bool,
    start: Option<String>,
    never_started: bool,
    notice: Option<Notice>,
    version: String,
    version_url: String,
}

/// Where a link in the phone goes: Telegram links through `/phone/open`, web links as they
/// are; anything else (`javascript:`, ...) is not a link.
pub(super) fn link_target(link: &str) -> Option<String> {
    let lower = link.to_ascii_lowercase();
    let telegram = [
        "https://t.me/",
        "http://t.me/",
        "t.me/",
        "tg:",
        "https://telegram.me/",
    ]
    .iter()
    .any(|prefix| lower.starts_with(prefix));
    if telegram {
        return Some(format!("/phone/open?link={}", encode_uri_component(link)));
    }
    let web = (lower.starts_with("https://") || lower.starts_with("http://"))
        && reqwest::Url::parse(link).is_ok();
    web.then(|| link.to_owned())
}

/// Splits message text into plain runs and the links in it (`https://...`, `t.me/...`,
/// `tg://...`), as Telegram apps make links of them.
fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut plain = String::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        match link_target(core) {
            Some(href) if !core.is_empty() => {
                if !plain.is_empty() {
                    out.push(Segment {
                        text: std::mem::take(&mut plain),
                        href: None,
                    });
                }
                out.push(Segment {
                    text: core.to_owned(),
                    href: Some(href),
                });
                plain.push_str(piece.get(core.len()..).unwrap_or_default());
            }
            _ => plain.push_str(piece),
        }
    }
    if !plain.is_empty() {
        out.push(Segment {
            text: plain,
            href: None,
        });
    }
    out
}

/// The inline keyboard of a message, as buttons the phone can press or follow.
fn keyboard(markup: Option<&Value>, bot: &str) -> Vec<Vec<ButtonView>> {
    let rows = markup
        .and_then(|markup| markup.get("inline_keyboard"))
        .and_then(Value::as_array);
    let button = |button: &Value| {
        let text = button
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let url_of = |key: &str| {
            button
                .get(key)
                .and_then(|value| value.get("url").or(Some(value)))
                .and_then(Value::as_str)
        };
        let mut view = ButtonView {
            text,
            kind: "inert",
            data: String::new(),
            href: String::new(),
        };
        if let Some(data) = button.get("callback_data").and_then(Value::as_str) {
            view.kind = "callback";
            view.data = data.to_owned();
        } else if let Some(url) = button.get("url").and_then(Value::as_str) {
            if let Some(href) = link_target(url) {
                view.kind = "link";
                view.href = href;
            }
        } else if let Some(url) = url_of("login_url") {
            // Telegram asks the user, then opens the URL with the Login Widget fields added:
            // the widget's consent screen does the same.
            if let Ok(parsed) = reqwest::Url::parse(url)
                && matches!(parsed.scheme(), "http" | "https")
            {
                view.kind = "link";
                view.href = format!(
                    "/phone/widget?bot={bot}&origin={}&return_to={}",
                    encode_uri_component(&parsed.origin().ascii_serialization()),
                    encode_uri_component(url),
                );
            }
        } else if let Some(url) = url_of("web_app") {
            view.kind = "link";
            view.href = format!("/phone/webapp?bot={bot}&url={}", encode_uri_component(url));
        }
        view
    };
    rows.into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .map(|row| row.iter().map(button).collect())
        .collect()
}

/// `HH:MM` (UTC) of a date.
fn clock_time(date: UnixTime) -> String {
    let seconds = date.as_secs().rem_euclid(86_400);
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// The conversation between `user_id` and the bot, in order.
fn entries(bot: &Bot, user_id: UserId) -> Vec<Entry> {
    let username = username_of(bot);
    let chat = tgauth_core::ChatId::from(user_id);
    let mut entries: Vec<Entry> = bot
        .received
        .iter()
        .filter(|received| received.user_id == user_id)
        .map(|received| Entry {
            message_id: received.message_id,
            from: "user",
            segments: segments(received.text.as_deref().unwrap_or_default()),
            keyboard: Vec::new(),
            time: clock_time(received.date),
            edited: false,
            passport: received.passport,
        })
        .collect();
    entries.extend(
        bot.sent
            .iter()
            .filter(|sent| sent.message.chat.id == chat)
            .map(|sent| Entry {
                message_id: sent.message.message_id,
                from: "bot",
                // HTML or Markdown is shown as the text the bot wrote, never interpreted.
                segments: segments(sent.message.text.as_deref().unwrap_or_default()),
                keyboard: keyboard(sent.message.reply_markup.as_ref(), &username),
                time: clock_time(sent.message.date),
                edited: sent.message.edit_date.is_some(),
                passport: false,
            }),
    );
    entries.sort_by_key(|entry| entry.message_id);
    entries
}

/// What the chat page shows, as text to fingerprint: the messages as they are now, whether the
/// bot is blocked, and the answer to the press the page came back from.
fn chat_fingerprint(bot: &Bot, user_id: UserId, pressed: Option<&str>) -> String {
    let chat = tgauth_core::ChatId::from(user_id);
    let mut parts: Vec<String> = vec![format!(
        "{:?}",
        bot.chats
            .get(&user_id)
            .map(|chat| (chat.blocked, chat.last_message_id))
    )];
    parts.extend(
        bot.received
            .iter()
            .filter(|received| received.user_id == user_id)
            .map(|received| format!("u{}", received.message_id)),
    );
    parts.extend(
        bot.sent
            .iter()
            .filter(|sent| sent.message.chat.id == chat)
            .map(|sent| {
                json!([
                    sent.message.message_id,
                    sent.message.text,
                    sent.message.edit_date,
                    sent.message.reply_markup,
                ])
                .to_string()
            }),
    );
    if let Some(pressed) = pressed {
        parts.push(format!("{:?}", answer_to(bot, user_id, pressed).is_some()));
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    fingerprint(&parts)
}

fn answer_to<'a>(
    bot: &'a Bot,
    user_id: UserId,
    pressed: &str,
) -> Option<&'a crate::control::CallbackAnswer> {
    bot.callback_answers
        .iter()
        .find(|answer| answer.callback_query_id == pressed && answer.user_id == user_id)
}

/// `GET /phone/chat/<bot>`.
pub(super) async fn chat(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let start = match fields.get("start") {
        Some(payload) if valid_payload(payload) => Some(payload.to_owned()),
        Some(_) => return Err(invalid_payload().into()),
        None => None,
    };
    let username = username_of(bot_of(&shared.lock(), &name)?);
    let here = match &query {
        Some(query) => format!("/phone/chat/{username}?{query}"),
        None => format!("/phone/chat/{username}"),
    };
    let user = phone_user_or_picker(&shared, &headers, &here)?;
    let pressed = fields.text("pressed");
    let state = shared.lock();
    let bot = bot_of(&state, &username)?;
    let chat = bot.chats.get(&user.id);
    let notice = pressed.map(|pressed| match answer_to(bot, user.id, pressed) {
        Some(answer) => Notice {
            text: answer.text.clone(),
            alert: answer.show_alert,
            url: answer.url.as_deref().and_then(link_target),
            waiting: false,
        },
        None => Notice {
            text: None,
            alert: false,
            url: None,
            waiting: bot.callback_queries.contains_key(pressed),
        },
    });
    let page = ChatPage {
        bot_name: bot.user.first_name.clone(),
        bot_username: username.clone(),
        user: UserView::of(&user),
        entries: entries(bot, user.id),
        blocked: chat.is_some_and(|chat| chat.blocked),
        start,
        never_started: !chat.is_some_and(|chat| chat.started),
        notice,
        version: chat_fingerprint(bot, user.id, pressed),
        version_url: match pressed {
            Some(pressed) => format!(
                "/phone/chat/{username}/version?pressed={}",
                encode_uri_component(pressed)
            ),
            None => format!("/phone/chat/{username}/version"),
        },
    };
    drop(state);
    Ok(render(&page))
}

/// `GET /phone/chat/<bot>/version`: the fingerprint the chat page polls.
pub(super) async fn version(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, PageError> {
    let fields = Fields::of_query(query.as_deref());
    let user = phone_user(&shared, &headers);
    let state = shared.lock();
    let bot = bot_of(&state, &name)?;
    let version = match user {
        Some(user) => chat_fingerprint(bot, user.id, fields.text("pressed")),
        None => String::new(),
    };
    Ok(Json(json!({ "version": version })))
}

/// The phone user for a form post to a chat, or the picker (which returns to the chat).
fn poster(shared: &Shared, headers: &HeaderMap, username: &str) -> Result<User, Picker> {
    phone_user_or_picker(shared, headers, &format!("/phone/chat/{username}"))
}

/// Sends `text` as the phone user and goes back to the chat.
fn send_text(shared: &Shared, headers: &HeaderMap, name: &str, text: String) -> PageResult {
    let username = username_of(bot_of(&shared.lock(), name)?);
    let user = poster(shared, headers, &username)?;
    let now = shared.now();
    shared
        .lock()
        .user_sends_text(&username, user.id, text, now)?;
    shared.changed();
    Ok(see_other(&format!("/phone/chat/{username}")))
}

/// `POST /phone/chat/<bot>/start`: `/start <payload>` (or `/start`) as the user.
pub(super) async fn start(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let text = match fields.text("payload") {
        Some(payload) if valid_payload(payload) => format!("/start {payload}"),
        Some(_) => return Err(invalid_payload().into()),
        None => "/start".to_owned(),
    };
    send_text(&shared, &headers, &name, text)
}

/// `POST /phone/chat/<bot>/send`: any text as the user.
pub(super) async fn send(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let text = fields.required("text")?.to_owned();
    send_text(&shared, &headers, &name, text)
}

/// `POST /phone/chat/<bot>/press`: presses a callback button through the control API's path.
pub(super) async fn press(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let username = username_of(bot_of(&shared.lock(), &name)?);
    let user = poster(&shared, &headers, &username)?;
    let message_id = fields
        .required("message_id")?
        .trim()
        .parse::<i64>()
        .map_err(|_| PageError::bad_request("Not a message", "The message id is not a number."))?;
    let data = fields
        .get("data")
        .ok_or_else(|| PageError::missing("data"))?;
    let update = shared.lock().press_button(
        &username,
        ButtonPress {
            user_id: user.id,
            message_id,
            data: data.to_owned(),
        },
    )?;
    shared.changed();
    let query_id = update
        .callback_query
        .map(|query| query.id)
        .unwrap_or_default();
    Ok(see_other(&format!(
        "/phone/chat/{username}?pressed={}",
        encode_uri_component(&query_id)
    )))
}

/// `POST /phone/chat/<bot>/block`: blocks (`blocked=true`) or unblocks the bot.
pub(super) async fn block(
    State(shared): State<Arc<Shared>>,
    PathName(name): PathName,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let blocked = match fields.get("blocked") {
        Some("true") => true,
        Some("false") => false,
        _ => {
            return Err(PageError::bad_request(
                "Block or unblock?",
                "The form must say blocked=true or blocked=false.",
            )
            .into());
        }
    };
    let username = username_of(bot_of(&shared.lock(), &name)?);
    let user = poster(&shared, &headers, &username)?;
    shared.lock().set_blocked(&username, user.id, blocked)?;
    shared.changed();
    Ok(see_other(&format!("/phone/chat/{username}")))
}

const LINKS_OPENED: &str = "The phone opens https://t.me/<bot>, https://t.me/<bot>?start=<payload>, \
     tg://resolve?domain=<bot>&start=<payload>, tg://resolve?domain=telegrampassport&... and \
     tg://passport?... links.";

fn unsupported_link() -> PageError {
    PageError::bad_request("The phone cannot open this link", LINKS_OPENED)
}

/// The chat a bot link opens, with its start payload.
fn chat_location(username: &str, start: Option<&str>) -> Result<String, PageError> {
    if !valid_username(username) {
        return Err(unsupported_link());
    }
    match start {
        Some(payload) if valid_payload(payload) => {
            Ok(format!("/phone/chat/{username}?start={payload}"))
        }
        Some(_) => Err(invalid_payload()),
        None => Ok(format!("/phone/chat/{username}")),
    }
}

/// Where the phone goes for a Telegram link.
pub(super) fn open_location(link: &str) -> Result<String, PageError> {
    let link = link.trim();
    let lower = link.to_ascii_lowercase();
    let absolute = if lower.starts_with("t.me/") || lower.starts_with("telegram.me/") {
        format!("https://{link}")
    } else {
        link.to_owned()
    };
    let url = reqwest::Url::parse(&absolute).map_err(|_| unsupported_link())?;
    let parameter = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    match url.scheme() {
        "https" | "http" => {
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            if host != "t.me" && host != "telegram.me" {
                return Err(unsupported_link());
            }
            let mut segments = url.path_segments().into_iter().flatten();
            let username = segments.next().unwrap_or_default();
            if segments.any(|segment| !segment.is_empty()) {
                return Err(unsupported_link());
            }
            chat_location(username, parameter("start").as_deref())
        }
        "tg" => {
            let action = url
                .host_str()
                .filter(|host| !host.is_empty())
                .unwrap_or_else(|| url.path());
            let passport = || format!("/phone/passport?{}", url.query().unwrap_or_default());
            match action.to_ascii_lowercase().as_str() {
                "passport" => Ok(passport()),
                "resolve" => match parameter("domain") {
                    Some(domain) if domain.eq_ignore_ascii_case("telegrampassport") => {
                        Ok(passport())
                    }
                    Some(domain) => chat_location(&domain, parameter("start").as_deref()),
                    None => Err(unsupported_link()),
                },
                _ => Err(unsupported_link()),
            }
        }
        _ => Err(unsupported_link()),
    }
}

/// `GET /phone/open?link=<url>`.
pub(super) async fn open(RawQuery(query): RawQuery) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let link = fields.required("link")?;
    Ok(see_other(&open_location(link)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_open(link: &str, expected: Option<&str>) {
        assert_eq!(open_location(link).ok().as_deref(), expected, "{link}");
    }

    #[test]
    fn telegram_links_open_chats_and_passport_forms() {
        check_open(
            "https://t.me/some_bot?start=abc-1_2",
            Some("/phone/chat/some_bot?start=abc-1_2"),
        );
        check_open("https://t.me/some_bot", Some("/phone/chat/some_bot"));
        check_open(
            "t.me/some_bot?start=x",
            Some("/phone/chat/some_bot?start=x"),
        );
        check_open(
            "tg://resolve?domain=some_bot&start=x",
            Some("/phone/chat/some_bot?start=x"),
        );
        check_open(
            "tg://resolve?domain=telegrampassport&bot_id=1&nonce=n%20x",
            Some("/phone/passport?domain=telegrampassport&bot_id=1&nonce=n%20x"),
        );
        check_open(
            "tg://passport?bot_id=1&scope=x",
            Some("/phone/passport?bot_id=1&scope=x"),
        );
        check_open("https://t.me/some_bot?start=bad%20payload", None);
        check_open(&format!("https://t.me/b?start={}", "a".repeat(65)), None);
        check_open("https://example.com/some_bot?start=x", None);
        check_open("https://t.me/some_bot/123", None);
        check_open("javascript:alert(1)", None);
        check_open("tg://msg?text=x", None);
        check_open("", None);
    }

    #[test]
    fn text_links_are_found_and_only_web_and_telegram_links_are_links() {
        let found =
            segments("Open https://example.com/a?b=1. Or t.me/bot?start=x, not javascript:x");
        let links: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|segment| (segment.text.as_str(), segment.href.as_deref()))
            .collect();
        assert_eq!(
            links,
            [
                ("Open ", None),
                (
                    "https://example.com/a?b=1",
                    Some("https://example.com/a?b=1")
                ),
                (". Or ", None),
                (
                    "t.me/bot?start=x",
                    Some("/phone/open?link=t.me%2Fbot%3Fstart%3Dx")
                ),
                (", not javascript:x", None),
            ]
        );
    }
}
