//! The Login Widget: check string, HMAC-SHA-256 under SHA256(bot token), freshness policy, signer and embed code.
//!
//! Telegram hands the website the user's fields and a `hash`: the hex HMAC-SHA-256, keyed with
//! SHA-256 of the bot token, of the *check string*: every received field except `hash`, sorted
//! bytewise by key, written `key=value` and joined by `\n`. [`WidgetVerifier`] reads the data in
//! each form it arrives in, checks it in the order malformed, hash, freshness, and yields a
//! [`TelegramUser`]. [`WidgetSigner`] produces such data (for tests and the sandbox), and
//! [`WidgetEmbed`] writes the `<script>` tag that shows the button.
//!
//! Every received field is in the check string, unknown ones included, so the `data-auth-url`
//! must not carry a query of its own: Telegram appends its fields to it, and the site's own
//! parameters would then be checked too and fail the hash.

use std::{borrow::Cow, time::SystemTime};

use ring::{digest, hmac};
use serde::{Deserialize, Serialize};

use crate::{
    BotToken, LoginError, Malformed, Policy,
    fields::{self, Field, SortedFields},
};

/// The form in which widget data arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataFormat {
    /// The `data-auth-url` redirect query string (`id=1&first_name=...&hash=...`).
    Query,
    /// A full callback URL: its `tgAuthResult` fragment if it has one, else its query.
    Url,
    /// The JSON object given to the `data-onauth` callback.
    Json,
    /// The value of the `#tgAuthResult=` fragment: base64url of the JSON object.
    TgAuthResult,
    /// Guess from the text: JSON object, URL, `tgAuthResult` value, else query string.
    Auto,
}

impl DataFormat {
    /// The form `Auto` takes for `data`.
    pub fn detect(data: &str) -> DataFormat {
        let data = data.trim_start();
        if data.starts_with('{') {
            DataFormat::Json
        } else if data.starts_with("http://")
            || data.starts_with("https://")
            || data.starts_with('/')
            || data
                .split_once('?')
                .is_some_and(|(before, _)| !before.contains(['=', '&']))
        {
            DataFormat::Url
        } else if data.starts_with("#tgAuthResult=")
            || data.starts_with("tgAuthResult=")
            || !data.trim_end_matches('=').contains(['=', '&'])
        {
            DataFormat::TgAuthResult
        } else {
            DataFormat::Query
        }
    }
}

/// A Telegram user as the Login Widget reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramUser {
    /// The user's Telegram id.
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Last name, if the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username, if the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Profile photo URL, if the user has one and shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// When the user authorized, in Unix seconds.
    pub auth_date: i64,
}

/// Checks Login Widget data for one bot.
///
/// Build it once per bot token: the HMAC key is derived here, not per check.
#[derive(Clone)]
pub struct WidgetVerifier {
    key: hmac::Key,
    policy: Policy,
}

impl std::fmt::Debug for WidgetVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetVerifier")
            .field("key", &"<redacted>")
            .field("policy", &self.policy)
            .finish()
    }
}

impl WidgetVerifier {
    /// A verifier for `token` with the default [`Policy`].
    pub fn new(token: &BotToken) -> Self {
        Self {
            key: widget_key(token),
            policy: Policy::default(),
        }
    }

    /// Replaces the freshness policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The freshness policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verifies data in the given form.
    pub fn verify(
        &self,
        data: &str,
        format: DataFormat,
        now: SystemTime,
    ) -> Result<TelegramUser, LoginError> {
        match format {
            DataFormat::Query => self.verify_query(data, now),
            DataFormat::Url => self.verify_url(data, now),
            DataFormat::Json => self.verify_json(data, now),
            DataFormat::TgAuthResult => self.verify_tg_auth_result(data, now),
            DataFormat::Auto => self.verify(data, DataFormat::detect(data), now),
        }
    }

    /// Verifies the `data-auth-url` redirect query string (without the leading `?`).
    pub fn verify_query(&self, query: &str, now: SystemTime) -> Result<TelegramUser, LoginError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        self.verify_fields(fields::parse_query(query)?, now)
    }

    /// Verifies a full callback URL (its `tgAuthResult` fragment, else its query string).
    pub fn verify_url(&self, url: &str, now: SystemTime) -> Result<TelegramUser, LoginError> {
        self.verify_fields(fields::parse_url(url)?, now)
    }

    /// Verifies the JSON object given to the `data-onauth` callback.
    pub fn verify_json(&self, json: &str, now: SystemTime) -> Result<TelegramUser, LoginError> {
        self.verify_fields(fields::parse_json(json)?, now)
    }

    /// Verifies the value of the `#tgAuthResult=` fragment (base64url JSON).
    pub fn verify_tg_auth_result(
        &self,
        value: &str,
        now: SystemTime,
    ) -> Result<TelegramUser, LoginError> {
        self.verify_fields(fields::parse_tg_auth_result(value)?, now)
    }

    /// Verifies already decoded `(key, value)` pairs, as web frameworks hand them over. Pass
    /// every pair received, duplicates included: a repeated key is refused as malformed.
    pub fn verify_pairs<'a, I>(&self, pairs: I, now: SystemTime) -> Result<TelegramUser, LoginError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.check(SortedFields::from_pairs(pairs)?, now)
    }

    fn verify_fields(
        &self,
        fields: Vec<Field<'_>>,
        now: SystemTime,
    ) -> Result<TelegramUser, LoginError> {
        self.check(SortedFields::new(fields)?, now)
    }

    fn check(
        &self,
        mut fields: SortedFields<'_>,
        now: SystemTime,
    ) -> Result<TelegramUser, LoginError> {
        fields.check_unambiguous()?;
        // One walk finds every field the check needs (cheaper than a search per field).
        let mut known = KnownFields::default();
        for (index, key) in fields.keys().enumerate() {
            let slot = match key {
                "hash" => &mut known.hash,
                "auth_date" => &mut known.auth_date,
                "id" => &mut known.id,
                "first_name" => &mut known.first_name,
                "last_name" => &mut known.last_name,
                "username" => &mut known.username,
                "photo_url" => &mut known.photo_url,
                _ => continue,
            };
            *slot = Some(index);
        }
        let hash = fields::hash_value(fields.value_at(known.hash))?;
        let auth_date = fields::auth_date_value(fields.value_at(known.auth_date))?;
        let id = fields
            .value_at(known.id)
            .ok_or(Malformed::MissingField { field: "id" })?;
        let id = fields::parse_integer(id).ok_or(Malformed::InvalidField { field: "id" })?;
        if known.first_name.is_none() {
            return Err(Malformed::MissingField {
                field: "first_name",
            }
            .into());
        }
        if !fields.mac_matches(&self.key, hash) {
            return Err(LoginError::InvalidHash);
        }
        self.policy.check(auth_date, now)?;
        // The values move out of the fields: no copy when they were decoded.
        Ok(TelegramUser {
            id,
            first_name: fields.take_at(known.first_name).unwrap_or_default(),
            last_name: fields.take_at(known.last_name),
            username: fields.take_at(known.username),
            photo_url: fields.take_at(known.photo_url),
            auth_date,
        })
    }
}

/// Where the widget's fields sit among the sorted fields.
#[derive(Default)]
struct KnownFields {
    hash: Option<usize>,
    auth_date: Option<usize>,
    id: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    username: Option<usize>,
    photo_url: Option<usize>,
}

fn widget_key(token: &BotToken) -> hmac::Key {
    let secret = digest::digest(&digest::SHA256, token.dangerous_expose().as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref())
}

/// The check string of `pairs` (every pair but `hash`, sorted by key, `key=value` joined by
/// `\n`), for display and debugging; the verifier never builds it as one string.
pub fn data_check_string<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, Malformed> {
    let fields = SortedFields::from_pairs(pairs)?;
    let mut out = Vec::new();
    fields.feed_check_string(&["hash"], |piece| out.extend_from_slice(piece));
    String::from_utf8(out).map_err(|_| Malformed::InvalidUtf8)
}

/// Signs Login Widget data as Telegram does, for tests and the sandbox.
#[derive(Clone)]
pub struct WidgetSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for WidgetSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetSigner")
            .field("key", &"<redacted>")
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
        Ok(String::from_utf8_lossy(&fields.hex_mac(&self.key)).into_owned())
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
        use base64::Engine as _;
        fields::TG_AUTH_RESULT.encode(self.json())
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The size of the Login Widget button (`data-size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ButtonSize {
    /// `large`, the widget's default.
    #[default]
    Large,
    /// `medium`.
    Medium,
    /// `small`.
    Small,
}

impl ButtonSize {
    fn as_str(self) -> &'static str {
        match self {
            Self::Large => "large",
            Self::Medium => "medium",
            Self::Small => "small",
        }
    }
}

/// Where the widget delivers the user's data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthTarget {
    /// Redirect to this URL with the fields in the query string (`data-auth-url`).
    Redirect(String),
    /// Call this JavaScript function with the user object (`data-onauth="name(user)"`).
    Callback(String),
}

/// The `<script>` tag that shows the Login Widget button.
///
/// ```
/// use login_widget::widget::{AuthTarget, WidgetEmbed};
///
/// let html = WidgetEmbed::new("my_bot", AuthTarget::Redirect("https://example.com/login?a=1&b=2".into()))
///     .with_request_access(true)
///     .html();
/// assert_eq!(
///     html,
///     "<script async src=\"https://telegram.org/js/telegram-widget.js?22\" \
///      data-telegram-login=\"my_bot\" data-size=\"large\" data-request-access=\"write\" \
///      data-auth-url=\"https://example.com/login?a=1&amp;b=2\"></script>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetEmbed {
    bot_username: String,
    target: AuthTarget,
    size: ButtonSize,
    radius: Option<u32>,
    userpic: bool,
    request_access: bool,
    lang: Option<String>,
}

/// The widget script Telegram publishes on core.telegram.org/widgets/login.
pub const WIDGET_SCRIPT_URL: &str = "https://telegram.org/js/telegram-widget.js?22";

impl WidgetEmbed {
    /// The button for the bot `bot_username`, large, with the user's photo, without asking for
    /// permission to message the user.
    pub fn new(bot_username: impl Into<String>, target: AuthTarget) -> Self {
        Self {
            bot_username: bot_username.into(),
            target,
            size: ButtonSize::Large,
            radius: None,
            userpic: true,
            request_access: false,
            lang: None,
        }
    }

    /// Sets the button size (`data-size`).
    pub fn with_size(mut self, size: ButtonSize) -> Self {
        self.size = size;
        self
    }

    /// Sets the corner radius in pixels (`data-radius`).
    pub fn with_radius(mut self, radius: u32) -> Self {
        self.radius = Some(radius);
        self
    }

    /// Shows or hides the user's photo (`data-userpic="false"` hides it).
    pub fn with_userpic(mut self, userpic: bool) -> Self {
        self.userpic = userpic;
        self
    }

    /// Asks the user to let the bot message them (`data-request-access="write"`).
    pub fn with_request_access(mut self, request_access: bool) -> Self {
        self.request_access = request_access;
        self
    }

    /// Sets the widget language (`data-lang`, e.g. `en`, `ru`).
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The HTML, every attribute value escaped.
    pub fn html(&self) -> String {
        let mut out = format!("<script async src=\"{WIDGET_SCRIPT_URL}\"");
        let mut attribute = |name: &str, value: &str| {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(&escape_html(value));
            out.push('"');
        };
        attribute("data-telegram-login", &self.bot_username);
        attribute("data-size", self.size.as_str());
        if let Some(radius) = self.radius {
            attribute("data-radius", &radius.to_string());
        }
        if !self.userpic {
            attribute("data-userpic", "false");
        }
        if self.request_access {
            attribute("data-request-access", "write");
        }
        match &self.target {
            AuthTarget::Redirect(url) => attribute("data-auth-url", url),
            AuthTarget::Callback(function) => {
                attribute("data-onauth", &format!("{function}(user)"))
            }
        }
        if let Some(lang) = &self.lang {
            attribute("data-lang", lang);
        }
        out.push_str("></script>");
        out
    }
}

/// Escapes text for an HTML attribute value or element content.
pub fn escape_html(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}
