//! The sandbox's home page and the phone's main page: who the phone is, the account picker,
//! and the chats.

use std::sync::Arc;

use askama::Template;
use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::HeaderMap,
    response::Response,
};
use tgauth_core::UserId;

use crate::{
    control::NewUser,
    pages::{
        self, Fields, PageError, PageResult, RETURN_FIELD, UserView, local_path, phone_user,
        render, see_other_with,
    },
    shared::Shared,
};

/// A bot as the pages list it.
pub(super) struct BotLink {
    pub(super) name: String,
    pub(super) username: String,
    /// Whether the phone user has a chat with it.
    pub(super) talked: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    bots: Vec<BotLink>,
    current: Option<UserView>,
}

pub(super) async fn home(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let current = phone_user(&shared, &headers);
    let bots = bot_links(&shared, current.as_ref().map(|user| user.id));
    render(&HomePage {
        bots,
        current: current.as_ref().map(UserView::of),
    })
}

/// Every bot, the ones `user` talked to first.
fn bot_links(shared: &Shared, user: Option<UserId>) -> Vec<BotLink> {
    let state = shared.lock();
    let mut bots: Vec<BotLink> = state
        .bots
        .values()
        .map(|bot| BotLink {
            name: bot.user.first_name.clone(),
            username: bot.user.username.clone().unwrap_or_default(),
            talked: user.is_some_and(|user| bot.chats.contains_key(&user)),
        })
        .collect();
    bots.sort_by_key(|bot| !bot.talked);
    bots
}

#[derive(Template)]
#[template(path = "phone.html")]
struct PhonePage {
    current: Option<UserView>,
    users: Vec<UserView>,
    chats: Vec<BotLink>,
    return_to: Option<String>,
}

/// `GET /phone`: the picker and the chats; `?user=<id>` chooses an account.
pub(super) async fn phone(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let return_to = fields.text(RETURN_FIELD).and_then(local_path);
    if let Some(id) = fields.text("user") {
        let user_id = parse_user_id(id)?;
        return choose_existing(&shared, user_id, return_to);
    }
    let current = phone_user(&shared, &headers);
    let users = shared.lock().users.values().map(UserView::of).collect();
    Ok(render(&PhonePage {
        chats: bot_links(&shared, current.as_ref().map(|user| user.id)),
        current: current.as_ref().map(UserView::of),
        users,
        return_to: return_to.map(str::to_owned),
    }))
}

/// `POST /phone/user`: chooses an existing account (`user_id`) or creates one.
pub(super) async fn choose(State(shared): State<Arc<Shared>>, body: Bytes) -> PageResult {
    let fields = Fields::parse(&body);
    let return_to = fields.text(RETURN_FIELD).and_then(local_path);
    if let Some(id) = fields.text("user_id") {
        return choose_existing(&shared, parse_user_id(id)?, return_to);
    }
    let first_name = fields.required("first_name")?.trim().to_owned();
    let optional = |name: &str| {
        fields
            .text(name)
            .map(|value| value.trim().trim_start_matches('@').to_owned())
    };
    let user = {
        let mut state = shared.lock();
        let username = optional("username");
        if let Some(username) = &username
            && (state.bot_id(username).is_ok()
                || state.users.values().any(|user| {
                    user.username
                        .as_deref()
                        .is_some_and(|taken| taken.eq_ignore_ascii_case(username))
                }))
        {
            return Err(PageError::new(
                axum::http::StatusCode::CONFLICT,
                "Username taken",
                format!("Another account or bot already has the username @{username}."),
            )
            .into());
        }
        let id = state.next_free_user_id();
        state.create_user(NewUser {
            last_name: optional("last_name"),
            username,
            ..NewUser::new(id, first_name)
        })?
    };
    shared.changed();
    Ok(see_other_with(
        return_to.unwrap_or("/phone"),
        Some(pages::user_cookie(user.id)),
    ))
}

fn parse_user_id(text: &str) -> Result<UserId, PageError> {
    text.trim().parse::<i64>().map(UserId).map_err(|_| {
        PageError::bad_request(
            "Not a user id",
            "A user id is a whole number, such as 100001.",
        )
    })
}

fn choose_existing(shared: &Shared, user_id: UserId, return_to: Option<&str>) -> PageResult {
    if !shared.lock().users.contains_key(&user_id) {
        return Err(PageError::not_found(
            "No such account",
            format!("The sandbox has no user {user_id}. Choose one from the list or create one."),
        )
        .into());
    }
    Ok(see_other_with(
        return_to.unwrap_or("/phone"),
        Some(pages::user_cookie(user_id)),
    ))
}
