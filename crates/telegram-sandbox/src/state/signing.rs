//! Signing login data as Telegram does: Login Widget fields and Mini App `initData` under the
//! bot's token, with login-widget's signers (its `sign` feature).

use login_widget::{
    webapp::{ThirdPartyKey, WebAppSigner},
    widget::{TelegramUser, WidgetSigner},
};
use serde_json::{Map, Value};
use tgauth_core::{BotToken, UnixTime, UserId};

use super::State;
use crate::{
    error::ControlError,
    login::{LoginWidgetData, WebAppData, WebAppLaunch},
};

/// The seed of the sandbox's third-party Mini App signing key (public, like every test key).
const THIRD_PARTY_SEED: [u8; 32] = *b"tgauth telegram-sandbox ed25519!";

fn bot_token(state: &mut State, username: &str) -> Result<BotToken, ControlError> {
    Ok(state.bot_mut(username)?.token.clone())
}

impl State {
    /// Signs the Login Widget fields of `user_id` for the bot `username`, with `photo_url`
    /// among them when given (the phone gives its avatar's URL).
    pub(crate) fn login_widget(
        &mut self,
        username: &str,
        user_id: UserId,
        auth_date: UnixTime,
        photo_url: Option<String>,
    ) -> Result<LoginWidgetData, ControlError> {
        let token = bot_token(self, username)?;
        let user = self.user_or_create(user_id)?;
        let signed = WidgetSigner::new(&token).sign_user(&TelegramUser {
            id: user.id,
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
            photo_url,
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
        &mut self,
        username: &str,
        launch: WebAppLaunch,
        now: UnixTime,
    ) -> Result<WebAppData, ControlError> {
        let token = bot_token(self, username)?;
        let user = self.user_or_create(launch.user_id)?;
        let mut user_json = Map::new();
        user_json.insert("id".to_owned(), Value::from(user.id.get()));
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
        Ok(WebAppData {
            init_data,
            third_party_public_key: hex::encode(key.public_key()),
        })
    }
}
