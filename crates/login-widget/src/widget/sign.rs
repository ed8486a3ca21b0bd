//! The Telegram side of the widget (feature `sign`): data signed as Telegram signs it, for tests
//! and emulators. A website never needs it.

use base64::Engine as _;
use ring::hmac;
use tgauth_core::BotToken;

use super::{TelegramUser, widget_key};
use crate::{
    Malformed,
    fields::{self, SortedFields},
};

/// Signs Login Widget data as Telegram does, for tests and the sandbox.
#[derive(Clone)]
pub struct WidgetSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for WidgetSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetSigner")
            .field("key", &tgauth_core::REDACTED)
            .finish()
    }
}

impl WidgetSigner {
    /// A signer for `token`.
    pub fn new(token: &BotToken) -> Self {
        Self {
            key: widget_key(token),
        }
    }

    /// The hex `hash` of arbitrary fields (a `hash` field among them is left out).
    pub fn hash<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<String, Malformed> {
        let fields = SortedFields::from_pairs(pairs)?;
        Ok(String::from_utf8_lossy(&fields.hex_mac(&self.key, fields::only_hash)).into_owned())
    }

    /// Signs arbitrary fields (unknown ones included) in the order given, appending `hash`.
    pub fn sign_fields<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<SignedLogin, Malformed> {
        let mut fields: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(key, _)| *key != "hash")
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let hash = self.hash(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        fields.push(("hash".to_owned(), hash));
        Ok(SignedLogin { fields })
    }

    /// Signs a user's fields in Telegram's order, absent optional fields left out.
    pub fn sign_user(&self, user: &TelegramUser) -> SignedLogin {
        let id = user.id.to_string();
        let auth_date = user.auth_date.to_string();
        let mut pairs: Vec<(&str, &str)> = vec![("id", &id), ("first_name", &user.first_name)];
        for (key, value) in [
            ("last_name", &user.last_name),
            ("username", &user.username),
            ("photo_url", &user.photo_url),
        ] {
            if let Some(value) = value {
                pairs.push((key, value));
            }
        }
        pairs.push(("auth_date", &auth_date));
        // The keys are distinct and non-empty, so the fields cannot be malformed.
        self.sign_fields(pairs)
            .unwrap_or_else(|_| SignedLogin { fields: Vec::new() })
    }
}

/// Signed widget data, ready to be handed to a verifier in any of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLogin {
    fields: Vec<(String, String)>,
}

impl SignedLogin {
    /// The fields, `hash` last.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `hash` value.
    pub fn hash(&self) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == "hash")
            .map_or("", |(_, v)| v.as_str())
    }

    /// The redirect query string (`application/x-www-form-urlencoded`).
    pub fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.fields.iter())
            .finish()
    }

    /// `base` with the query string appended, as the `data-auth-url` redirect arrives.
    pub fn callback_url(&self, base: &str) -> String {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}{}", self.query())
    }

    /// The JSON object of the `data-onauth` callback: `id` and `auth_date` as numbers when they
    /// are integers, everything else as strings.
    pub fn json(&self) -> String {
        let mut out = String::from("{");
        for (index, (key, value)) in self.fields.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&json_string(key));
            out.push(':');
            let numeric = matches!(key.as_str(), "id" | "auth_date")
                && fields::parse_integer(value).is_some();
            if numeric {
                out.push_str(value);
            } else {
                out.push_str(&json_string(value));
            }
        }
        out.push('}');
        out
    }

    /// The `#tgAuthResult=` fragment value: unpadded base64url of [`SignedLogin::json`].
    pub fn tg_auth_result(&self) -> String {
        fields::TG_AUTH_RESULT.encode(self.json())
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
