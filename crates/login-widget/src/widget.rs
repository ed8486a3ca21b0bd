//! The Login Widget: check string, HMAC-SHA-256 under SHA256(bot token), freshness policy and embed code.
//!
//! Telegram hands the website the user's fields and a `hash`: the hex HMAC-SHA-256, keyed with
//! SHA-256 of the bot token, of the *check string*: every received field except `hash`, sorted
//! bytewise by key, written `key=value` and joined by `\n`. [`WidgetVerifier`] reads the data in
//! each form it arrives in, checks it in the order malformed, hash, freshness, and yields a
//! [`TelegramUser`]. [`WidgetEmbed`] writes the `<script>` tag that shows the button. With the
//! `sign` feature, `WidgetSigner` produces such data as Telegram does (for tests and emulators).
//!
//! # The site's own parameters
//!
//! Every received field is in the check string, unknown ones included: a field Telegram did
//! not send is a forgery. But the `data-auth-url` may carry a query of the site's own (a
//! `next`, a `state`), and Telegram appends its fields to that URL, so the site's parameters
//! arrive together with Telegram's and are not signed. Name them with
//! [`WidgetVerifier::with_site_parameters`]: they are then left out of the check string (and
//! stay unverified: read them from the request and treat them as browser input). A name
//! Telegram signs cannot be named. Without it, they are checked like any other field and the
//! hash does not match.
//!
//! ```
//! use login_widget::{tgauth_core::{BotToken, UnixTime, UserId}, widget::WidgetVerifier};
//!
//! let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
//! let verifier = WidgetVerifier::new(&token).with_site_parameters(["next"])?;
//! // `data-auth-url="https://example.com/login?next=%2Finbox"`, after Telegram's redirect:
//! let url = "https://example.com/login?next=%2Finbox&id=42&first_name=Ada&username=ada\
//!            &auth_date=1700000000\
//!            &hash=9f7aef9abf7b779d9bfd5f1ead0d224ecdf30e8a75b30f9f437927736485ef4b";
//! let user = verifier.verify_url(url, UnixTime(1_700_000_060))?;
//! assert_eq!(user.id, UserId(42));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "sign")]
mod sign;

use std::sync::Arc;

use ring::{digest, hmac};
use serde::{Deserialize, Serialize};
use tgauth_core::{BotToken, UnixTime, UserId};

use crate::{
    ConfigError, Error, Malformed, Policy,
    fields::{self, Field, SortedFields},
};

#[cfg(feature = "sign")]
pub use sign::{SignedLogin, WidgetSigner};

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
    pub id: UserId,
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
    /// When the user authorized.
    pub auth_date: UnixTime,
}

/// The fields Telegram signs in widget data: never a site parameter.
const TELEGRAM_FIELDS: [&str; 7] = [
    "id",
    "first_name",
    "last_name",
    "username",
    "photo_url",
    "auth_date",
    "hash",
];

/// Checks Login Widget data for one bot.
///
/// Build it once per bot token: the HMAC key is derived here, not per check.
#[derive(Clone)]
pub struct WidgetVerifier {
    key: hmac::Key,
    policy: Policy,
    /// The site's own parameters, left out of the check string (shared: extractors clone the
    /// verifier per request).
    site_parameters: Arc<[String]>,
}

impl std::fmt::Debug for WidgetVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetVerifier")
            .field("key", &tgauth_core::REDACTED)
            .field("policy", &self.policy)
            .field("site_parameters", &self.site_parameters)
            .finish()
    }
}

impl WidgetVerifier {
    /// A verifier for `token` with the default [`Policy`] and no site parameters.
    pub fn new(token: &BotToken) -> Self {
        Self {
            key: widget_key(token),
            policy: Policy::default(),
            site_parameters: Arc::from(Vec::new()),
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

    /// Names the site's own query parameters of the `data-auth-url` (see the [module
    /// docs](self)): fields with these names are left out of the check string and are not
    /// verified. Replaces any names set before. Refuses an empty name and every name Telegram
    /// signs (`id`, `first_name`, `last_name`, `username`, `photo_url`, `auth_date`, `hash`).
    pub fn with_site_parameters<I, S>(mut self, names: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if let Some(name) = names
            .iter()
            .find(|name| name.is_empty() || TELEGRAM_FIELDS.contains(&name.as_str()))
        {
            return Err(ConfigError::SignedFieldAsSiteParameter {
                name: name.chars().take(64).collect(),
            });
        }
        self.site_parameters = Arc::from(names);
        Ok(self)
    }

    /// The site parameters left out of the check string.
    pub fn site_parameters(&self) -> impl Iterator<Item = &str> {
        self.site_parameters.iter().map(String::as_str)
    }

    /// Verifies data in the given form.
    pub fn verify(
        &self,
        data: &str,
        format: DataFormat,
        now: UnixTime,
    ) -> Result<TelegramUser, Error> {
        match format {
            DataFormat::Query => self.verify_query(data, now),
            DataFormat::Url => self.verify_url(data, now),
            DataFormat::Json => self.verify_json(data, now),
            DataFormat::TgAuthResult => self.verify_tg_auth_result(data, now),
            DataFormat::Auto => self.verify(data, DataFormat::detect(data), now),
        }
    }

    /// Verifies the `data-auth-url` redirect query string (without the leading `?`).
    pub fn verify_query(&self, query: &str, now: UnixTime) -> Result<TelegramUser, Error> {
        let query = query.strip_prefix('?').unwrap_or(query);
        self.verify_fields(fields::parse_query(query)?, now)
    }

    /// Verifies a full callback URL (its `tgAuthResult` fragment, else its query string).
    pub fn verify_url(&self, url: &str, now: UnixTime) -> Result<TelegramUser, Error> {
        self.verify_fields(fields::parse_url(url)?, now)
    }

    /// Verifies the JSON object given to the `data-onauth` callback.
    pub fn verify_json(&self, json: &str, now: UnixTime) -> Result<TelegramUser, Error> {
        self.verify_fields(fields::parse_json(json)?, now)
    }

    /// Verifies the value of the `#tgAuthResult=` fragment (base64url JSON).
    pub fn verify_tg_auth_result(&self, value: &str, now: UnixTime) -> Result<TelegramUser, Error> {
        self.verify_fields(fields::parse_tg_auth_result(value)?, now)
    }

    /// Verifies already decoded `(key, value)` pairs, as web frameworks hand them over. Pass
    /// every pair received, duplicates included: a repeated key is refused as malformed.
    pub fn verify_pairs<'a, I>(&self, pairs: I, now: UnixTime) -> Result<TelegramUser, Error>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.check(SortedFields::from_pairs(pairs)?, now)
    }

    fn verify_fields(&self, fields: Vec<Field<'_>>, now: UnixTime) -> Result<TelegramUser, Error> {
        self.check(SortedFields::new(fields)?, now)
    }

    /// Whether `key` names one of the site's own parameters.
    fn is_site_parameter(&self, key: &str) -> bool {
        self.site_parameters.iter().any(|name| name == key)
    }

    fn check(&self, mut fields: SortedFields<'_>, now: UnixTime) -> Result<TelegramUser, Error> {
        // The check string holds every field but `hash` and the site's own parameters.
        let skip = |key: &str| fields::only_hash(key) || self.is_site_parameter(key);
        fields.check_unambiguous(|key| self.is_site_parameter(key))?;
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
        if !fields.mac_matches(&self.key, skip, hash) {
            return Err(Error::InvalidHash);
        }
        self.policy.check(auth_date, now)?;
        // The values move out of the fields: no copy when they were decoded.
        Ok(TelegramUser {
            id: UserId(id),
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
    fields.feed_check_string(fields::only_hash, |piece| out.extend_from_slice(piece));
    String::from_utf8(out).map_err(|_| Malformed::InvalidUtf8)
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
            out.push_str(&tgauth_core::escape_html(value));
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
