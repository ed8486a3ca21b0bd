//! A typed client of the control API, for a sandbox running in another process.
//!
//! In-process tests use [`crate::SandboxHandle`]'s methods directly; a sandbox started with
//! `tgauth sandbox --listen ADDR` (or any other process) is driven over HTTP with
//! [`ControlClient`], whose methods mirror the handle's.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use tgauth_core::UserId;

use crate::{
    control::{
        BotInfo, ButtonPress, CallbackAnswer, LoginRequest, NewBot, NewMessage, NewUser,
        OidcApproval,
    },
    error::ControlClientError,
    faults::FaultSpec,
    login::LoginWidgetData,
    passport::PassportSubmission,
    types::{PassportErrors, SentMessage, Update, User},
};

/// Calls the `/sandbox/` control API of a sandbox at a base URL.
#[derive(Debug, Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base_url: String,
}

impl ControlClient {
    /// A client of the sandbox at `base_url` (such as `http://127.0.0.1:8081`).
    ///
    /// It connects directly, ignoring `HTTP_PROXY` and the like: a sandbox runs on loopback
    /// or the local network, where a proxy configured for the internet would only break it.
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            // Building fails only if the TLS backend cannot start, which a plain-HTTP sandbox
            // does not need anyway; reqwest's default client is the same minus `no_proxy`.
            .unwrap_or_default();
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ControlClientError> {
        let url = format!("{}/sandbox/{path}", self.base_url);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| ControlClientError::Transport {
                url: url.clone(),
                reason: error.without_url().to_string(),
            })?;
        let status = response.status().as_u16();
        let envelope: Value =
            response
                .json()
                .await
                .map_err(|error| ControlClientError::Decode {
                    url: url.clone(),
                    reason: error.without_url().to_string(),
                })?;
        if envelope.get("ok") != Some(&Value::Bool(true)) {
            let description = envelope
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            return Err(ControlClientError::Refused {
                url,
                status,
                description,
            });
        }
        let result = envelope.get("result").cloned().unwrap_or(Value::Null);
        serde_json::from_value(result).map_err(|error| ControlClientError::Decode {
            url,
            reason: error.to_string(),
        })
    }

    fn bot_path(username: &str, what: &str) -> String {
        let username: String = form_urlencoded::byte_serialize(username.as_bytes()).collect();
        format!("bots/{username}/{what}")
    }

    /// Creates a bot (`POST /sandbox/bots`).
    pub async fn create_bot(&self, bot: &NewBot) -> Result<User, ControlClientError> {
        self.call(reqwest::Method::POST, "bots", Some(bot)).await
    }

    /// The bot `username`: its `User` and its Passport public key (`GET
    /// /sandbox/bots/{username}`).
    pub async fn bot(&self, username: &str) -> Result<BotInfo, ControlClientError> {
        let username: String = form_urlencoded::byte_serialize(username.as_bytes()).collect();
        let path = format!("bots/{username}");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// Creates or updates a user (`POST /sandbox/users`).
    pub async fn create_user(&self, user: &NewUser) -> Result<User, ControlClientError> {
        self.call(reqwest::Method::POST, "users", Some(user)).await
    }

    /// A user sends `text` to the bot `username`; returns the update the bot will receive.
    pub async fn send_message(
        &self,
        username: &str,
        user_id: impl Into<UserId>,
        text: &str,
    ) -> Result<Update, ControlClientError> {
        let body = NewMessage {
            user_id: user_id.into(),
            text: text.to_owned(),
        };
        let path = Self::bot_path(username, "messages");
        self.call(reqwest::Method::POST, &path, Some(&body)).await
    }

    /// A user submits Passport data to the bot `username`.
    pub async fn submit_passport(
        &self,
        username: &str,
        submission: &PassportSubmission,
    ) -> Result<Update, ControlClientError> {
        let path = Self::bot_path(username, "passport");
        self.call(reqwest::Method::POST, &path, Some(submission))
            .await
    }

    /// Login Widget data of `user_id` for the bot `username`.
    pub async fn login_widget(
        &self,
        username: &str,
        user_id: impl Into<UserId>,
    ) -> Result<LoginWidgetData, ControlClientError> {
        let path = Self::bot_path(username, "login_widget");
        let body = LoginRequest {
            user_id: user_id.into(),
            auth_date: None,
        };
        self.call(reqwest::Method::POST, &path, Some(&body)).await
    }

    /// Approves the bot's OIDC logins as `user_id`, or refuses them with `None`.
    pub async fn approve_oidc(
        &self,
        username: &str,
        user_id: Option<UserId>,
    ) -> Result<(), ControlClientError> {
        let body = OidcApproval {
            user_id,
            deny: user_id.is_none(),
        };
        let path = Self::bot_path(username, "oidc");
        self.call::<bool>(reqwest::Method::POST, &path, Some(&body))
            .await
            .map(drop)
    }

    /// The messages the bot `username` sent, oldest first.
    pub async fn sent(&self, username: &str) -> Result<Vec<SentMessage>, ControlClientError> {
        let path = Self::bot_path(username, "sent");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// The user `user_id` presses the inline button with `callback_data` `data` on the message
    /// `message_id` the bot `username` sent them; returns the `callback_query` update the bot
    /// will receive (see [`crate::SandboxHandle::press_button`]).
    pub async fn press_button(
        &self,
        username: &str,
        user_id: impl Into<UserId>,
        message_id: i64,
        data: &str,
    ) -> Result<Update, ControlClientError> {
        let body = ButtonPress {
            user_id: user_id.into(),
            message_id,
            data: data.to_owned(),
        };
        let path = Self::bot_path(username, "callback_query");
        self.call(reqwest::Method::POST, &path, Some(&body)).await
    }

    /// The bot's answers to callback queries, oldest first.
    pub async fn callback_answers(
        &self,
        username: &str,
    ) -> Result<Vec<CallbackAnswer>, ControlClientError> {
        let path = Self::bot_path(username, "callback_answers");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// The Passport errors the bot `username` set, oldest first.
    pub async fn passport_errors(
        &self,
        username: &str,
    ) -> Result<Vec<PassportErrors>, ControlClientError> {
        let path = Self::bot_path(username, "passport_errors");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// The updates of the bot `username` not yet confirmed or delivered.
    pub async fn pending_updates(&self, username: &str) -> Result<Vec<Update>, ControlClientError> {
        let path = Self::bot_path(username, "updates");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// How many `getUpdates` calls of the bot `username` are holding a long poll right now.
    pub async fn waiting_polls(&self, username: &str) -> Result<usize, ControlClientError> {
        let path = Self::bot_path(username, "waiting_polls");
        self.call(reqwest::Method::GET, &path, None::<&Value>).await
    }

    /// Arms a fault.
    pub async fn inject_fault(&self, fault: &FaultSpec) -> Result<(), ControlClientError> {
        self.call::<bool>(reqwest::Method::POST, "faults", Some(fault))
            .await
            .map(drop)
    }

    /// Disarms every fault.
    pub async fn clear_faults(&self) -> Result<(), ControlClientError> {
        self.call::<bool>(reqwest::Method::DELETE, "faults", None::<&Value>)
            .await
            .map(drop)
    }
}
