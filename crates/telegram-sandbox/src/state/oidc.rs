//! What the OpenID Connect provider remembers: who a bot's logins are approved as, and the
//! authorization codes waiting for their token request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tgauth_core::{BotId, UnixTime, UserId};

/// Who a bot's OIDC authorizations are approved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Approval {
    User(UserId),
    Deny,
}

/// An issued authorization code waiting for the token request.
#[derive(Debug, Clone)]
pub(crate) struct PendingCode {
    pub(crate) bot_id: BotId,
    pub(crate) user_id: UserId,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: UnixTime,
}

/// The provider's transient state: codes live only as long as the process.
#[derive(Debug, Default)]
pub(crate) struct Codes {
    pub(crate) pending: BTreeMap<String, PendingCode>,
    /// How many codes and access tokens were issued, numbering the next one.
    pub(crate) issued: u64,
}
