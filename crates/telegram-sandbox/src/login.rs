//! Login data as Telegram hands it to a website: Login Widget fields and Mini App `initData`.
//!
//! `POST /sandbox/bots/{username}/login_widget` and `/web_app` (or
//! [`crate::SandboxHandle::login_widget`] and [`crate::SandboxHandle::web_app`]) sign the data
//! with login-widget's signers under the bot's token, so it verifies exactly as real data would.
//! Mini App data also carries a third-party Ed25519 `signature` by the sandbox's own key, whose
//! public key [`WebAppData::third_party_public_key`] gives (Telegram's real key cannot sign
//! here).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tgauth_core::{UnixTime, UserId};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAppLaunch {
    /// The user who opens the Mini App.
    pub user_id: UserId,
    /// The `auth_date`; defaults to the sandbox clock's now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_date: Option<UnixTime>,
    /// The `query_id`, for Mini Apps opened from an inline button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// The `start_param` of a direct link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_param: Option<String>,
}

impl WebAppLaunch {
    /// A launch by `user_id` now, without `query_id` or `start_param`.
    pub fn new(user_id: impl Into<UserId>) -> Self {
        Self {
            user_id: user_id.into(),
            auth_date: None,
            query_id: None,
            start_param: None,
        }
    }
}
