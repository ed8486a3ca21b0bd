//! Login data as Telegram hands it to a website: Login Widget fields and Mini App `initData`.
//!
//! Both are signed with login-widget's signers under the bot's token, so they verify exactly
//! as real data would. Mini App data also carries a third-party Ed25519 `signature` by the
//! sandbox's own key, whose public key [`WebAppData::third_party_public_key`] gives (Telegram's
//! real key cannot sign here).

use login_widget::{
    BotToken,
    webapp::{ThirdPartyKey, WebAppSigner},
    widget::{TelegramUser, WidgetSigner},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{error::ControlError, state::State};

/// The seed of the sandbox's third-party Mini App signing key (public, like every test key).
pub(crate) const THIRD_PARTY_SEED: [u8; 32] = *b"tgauth telegram-sandbox ed25519!";

/// What a user's Login Widget login hands the website, in each form it can arrive in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginWidgetData {
    /// The signed fields as a JSON object (`id` and `auth_date` as numbers), as the
    /// `data-onauth` callback receives them.
    pub json: Value,
    /// The same fields as the query string of the `data-auth-url` redirect.
    pub query: String,
    /// The `hash` field.
    pub hash: String,
}

/// A Mini App's `initData` for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppData {
    /// The `initData` query string (with `user`, `auth_date`, `signature` and `hash`).
    pub init_data: String,
    /// The hex Ed25519 public key that verifies the third-party `signature`.
    pub third_party_public_key: String,
}

/// Options of a Mini App launch (`POST /sandbox/bots/{username}/web_app`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppLaunch {
    /// The user who opens the Mini App.
    pub user_id: i64,
    /// The `auth_date`; defaults to the sandbox clock's now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_date: Option<i64>,
    /// The `query_id`, for Mini Apps opened from an inline button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// The `start_param` of a direct link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_param: Option<String>,
}

fn bot_token(state: &mut State, username: &str) -> Result<BotToken, ControlError> {
    let bot = state.bot_mut(username)?;
    BotToken::new(bot.token.expose()).map_err(|_| ControlError::InvalidToken)
}

/// Signs the Login Widget fields of `user_id` for the bot `username`.
pub(crate) fn login_widget(
    state: &mut State,
    username: &str,
    user_id: i64,
    auth_date: i64,
) -> Result<LoginWidgetData, ControlError> {
    let token = bot_token(state, username)?;
    let user = state.user_or_create(user_id)?;
    let signed = WidgetSigner::new(&token).sign_user(&TelegramUser {
        id: user.id,
        first_name: user.first_name,
        last_name: user.last_name,
        username: user.username,
        photo_url: None,
        auth_date,
    });
    let json =
        serde_json::from_str(&signed.json()).map_err(|error| ControlError::InvalidRequest {
            reason: error.to_string(),
        })?;
    Ok(LoginWidgetData {
        json,
        query: signed.query(),
        hash: signed.hash().to_owned(),
    })
}

/// Signs the Mini App `initData` of a launch for the bot `username`.
pub(crate) fn web_app(
    state: &mut State,
    username: &str,
    launch: WebAppLaunch,
    now: i64,
) -> Result<WebAppData, ControlError> {
    let token = bot_token(state, username)?;
    let user = state.user_or_create(launch.user_id)?;
    let mut user_json = Map::new();
    user_json.insert("id".to_owned(), Value::from(user.id));
    user_json.insert("first_name".to_owned(), Value::from(user.first_name));
    for (key, value) in [
        ("last_name", user.last_name),
        ("username", user.username),
        ("language_code", user.language_code),
    ] {
        if let Some(value) = value {
            user_json.insert(key.to_owned(), Value::from(value));
        }
    }
    if user.is_premium == Some(true) {
        user_json.insert("is_premium".to_owned(), Value::Bool(true));
    }
    user_json.insert("allows_write_to_pm".to_owned(), Value::Bool(true));
    let user_json = Value::Object(user_json).to_string();
    let auth_date = launch.auth_date.unwrap_or(now).to_string();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(query_id) = &launch.query_id {
        pairs.push(("query_id", query_id));
    }
    pairs.push(("user", &user_json));
    pairs.push(("auth_date", &auth_date));
    if let Some(start_param) = &launch.start_param {
        pairs.push(("start_param", start_param));
    }
    let key =
        ThirdPartyKey::from_seed(&THIRD_PARTY_SEED).map_err(|_| ControlError::Unavailable {
            reason: "the third-party signing key did not load".to_owned(),
        })?;
    let init_data = WebAppSigner::new(&token)
        .sign_with_signature(pairs, &key)
        .map_err(|error| ControlError::InvalidRequest {
            reason: error.to_string(),
        })?;
    let third_party_public_key = key
        .public_key()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(WebAppData {
        init_data,
        third_party_public_key,
    })
}
