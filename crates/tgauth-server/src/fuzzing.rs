//! Entry points for the libFuzzer targets in `fuzz/` (feature `fuzzing`, off by default and
//! hidden from the docs): what the service reads back from its own store, reached without a
//! database. Not an API; nothing else may depend on it.

use std::collections::HashMap;

use serde_json::Value;

use crate::config::Key32;
use crate::keys::Vault;
use crate::sessions::{SessionUser, USER_KEY};

/// The purposes the service seals records for, each with a fixed row id.
const CONTEXTS: &[&str] = &[
    "passport-data:fuzz",
    "oidc:fuzz",
    "link-code:fuzz",
    "passport-link:fuzz",
    "provider-key:fuzz",
];

/// Opens `sealed` as the vault does under a fixed data key, for the purpose `purpose` picks;
/// whether it opened.
pub fn open_sealed(purpose: u8, sealed: &[u8]) -> bool {
    let vault = Vault::new(&Key32::from_bytes([7; 32]));
    let context = CONTEXTS[usize::from(purpose) % CONTEXTS.len()];
    vault.open(context, sealed).is_ok()
}

/// Decodes a stored session row's data as the session store does (a JSON object of values),
/// then the logged-in user in it as the handlers do; whether a user was found.
pub fn session_record(data: &str) -> bool {
    let Ok(data) = serde_json::from_str::<HashMap<String, Value>>(data) else {
        return false;
    };
    data.get(USER_KEY)
        .and_then(|user| serde_json::from_value::<SessionUser>(user.clone()).ok())
        .is_some()
}

/// Decodes a stored client's URI list (a JSON array of strings) as the provider's store does.
pub fn client_uri_list(text: &str) -> Option<Vec<String>> {
    serde_json::from_str(text).ok()
}
