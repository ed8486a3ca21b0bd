//! One verified Telegram identity, whichever way the person came in.
//!
//! A website meets a Telegram user through the Login Widget, Telegram's OpenID Connect login, a
//! Mini App's `initData` (checked first-party with the bot token or third-party with Telegram's
//! Ed25519 key), a private-chat message the bot received, or a login link the bot sent. Each
//! verifier has its own result type; [`Identity`] is what they all mean: the numeric Telegram
//! user id (never the mutable `@username`, never OIDC's opaque `sub`), the profile as far as the
//! source tells it, the source, and when it was verified. [`IdentityVerifier`] holds the
//! verifiers a site configures and turns raw login data into an `Identity`.

use std::sync::Arc;

use login_widget::oidc::{IdTokenClaims, IdTokenValidator};
use login_widget::webapp::{ThirdPartyVerifier, WebAppInitData, WebAppVerifier};
use login_widget::widget::{TelegramUser, WidgetVerifier};
use tgauth_core::{BotToken, Clock, UnixTime, UserId};

use crate::Error;

/// How an [`Identity`] was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentitySource {
    /// Login Widget data, HMAC-checked with the bot token.
    LoginWidget,
    /// An OpenID Connect `id_token` from oauth.telegram.org, signature-checked against its JWKS.
    Oidc,
    /// Mini App `initData`, HMAC-checked with the bot token.
    MiniApp,
    /// Mini App `initData`, checked by Telegram's third-party Ed25519 signature.
    MiniAppThirdParty,
    /// A message the bot received in its private chat with the user.
    BotUpdate,
    /// A single-use login link the bot sent to a linked chat.
    LoginLink,
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl IdentitySource {
    /// The snake-case name (`login_widget`, `oidc`, ...), as it serializes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginWidget => "login_widget",
            Self::Oidc => "oidc",
            Self::MiniApp => "mini_app",
            Self::MiniAppThirdParty => "mini_app_third_party",
            Self::BotUpdate => "bot_update",
            Self::LoginLink => "login_link",
        }
    }
}

/// A verified Telegram identity, keyed by the numeric user id.
///
/// The profile fields are what the source said at `verified_at`; they change over time (names,
/// usernames and photos are the user's to edit), the id does not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The Telegram user.
    pub user_id: UserId,
    /// First name, when the source tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name, when the source tells it and the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username without `@`, when the source tells it and the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Profile photo URL, when the source tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// A phone number Telegram verified (OIDC with the `phone` scope only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// How the identity was verified.
    pub source: IdentitySource,
    /// When Telegram says the user authorized (`auth_date`, the token's `auth_time` or `iat`,
    /// the message date); `None` for a login link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<UnixTime>,
    /// When this process verified it.
    pub verified_at: UnixTime,
}

impl Identity {
    /// A bare identity: the id and the source, no profile.
    pub fn new(user_id: UserId, source: IdentitySource, verified_at: UnixTime) -> Self {
        Self {
            user_id,
            first_name: None,
            last_name: None,
            username: None,
            photo_url: None,
            phone_number: None,
            source,
            authorized_at: None,
            verified_at,
        }
    }

    /// The identity verified Login Widget data describe.
    pub fn from_widget(user: TelegramUser, verified_at: UnixTime) -> Self {
        Self {
            first_name: Some(user.first_name),
            last_name: user.last_name,
            username: user.username,
            photo_url: user.photo_url,
            authorized_at: Some(user.auth_date),
            ..Self::new(user.id, IdentitySource::LoginWidget, verified_at)
        }
    }

    /// The identity a validated Telegram `id_token` describes: the user is its numeric `id`
    /// claim; `sub` is opaque and never taken for the user id.
    pub fn from_id_token(claims: &IdTokenClaims, verified_at: UnixTime) -> Result<Self, Error> {
        let user_id = claims.id.ok_or(Error::NoTelegramId {
            origin: IdentitySource::Oidc,
        })?;
        // OIDC gives one display `name`; where the widget's first and last names split in it
        // is not known, so the whole name stands as the first name.
        let first_name = claims
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        Ok(Self {
            first_name,
            username: claims.preferred_username.clone(),
            photo_url: claims.picture.clone(),
            phone_number: claims.phone_number.clone(),
            authorized_at: Some(claims.auth_time.unwrap_or(claims.iat)),
            ..Self::new(user_id, IdentitySource::Oidc, verified_at)
        })
    }

    /// The identity verified Mini App `initData` describes; `third_party` says which check
    /// verified it. Data without a `user` (opened from an inline query result) has no identity.
    pub fn from_web_app(
        data: &WebAppInitData,
        third_party: bool,
        verified_at: UnixTime,
    ) -> Result<Self, Error> {
        let source = if third_party {
            IdentitySource::MiniAppThirdParty
        } else {
            IdentitySource::MiniApp
        };
        let user = data
            .user
            .as_ref()
            .ok_or(Error::NoTelegramId { origin: source })?;
        Ok(Self {
            first_name: Some(user.first_name.clone()),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            photo_url: user.photo_url.clone(),
            authorized_at: Some(data.auth_date),
            ..Self::new(user.id, source, verified_at)
        })
    }

    /// The identity of the sender of a message the bot received, from a private chat only (a
    /// private chat's id is its user's id; groups and channels identify nobody).
    pub fn from_message(
        message: &bot_api_client::types::Message,
        verified_at: UnixTime,
    ) -> Result<Self, Error> {
        let source = IdentitySource::BotUpdate;
        let from = message
            .from
            .as_ref()
            .filter(|from| {
                message.chat.kind == bot_api_client::types::ChatType::Private
                    && !from.is_bot
                    && from.id.get() == message.chat.id.get()
            })
            .ok_or(Error::NoTelegramId { origin: source })?;
        Ok(Self {
            first_name: Some(from.first_name.clone()),
            last_name: from.last_name.clone(),
            username: from.username.clone(),
            authorized_at: Some(message.date),
            ..Self::new(from.id, source, verified_at)
        })
    }

    /// The identity a redeemed login link names.
    pub fn from_login_link(
        claims: &deeplink_auth::login::LoginClaims,
        verified_at: UnixTime,
    ) -> Self {
        Self::new(
            claims.telegram.user_id(),
            IdentitySource::LoginLink,
            verified_at,
        )
    }

    /// The name to show: first and last name, else the username, else the id.
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name, &self.username) {
            (Some(first), Some(last), _) => format!("{first} {last}"),
            (Some(first), None, _) => first.clone(),
            (None, _, Some(username)) => format!("@{username}"),
            _ => self.user_id.to_string(),
        }
    }
}

/// The login verifiers a site configures, turning raw login data into an [`Identity`] at the
/// time its clock reads.
///
/// ```
/// use std::sync::Arc;
/// use tgauth::{BotToken, FixedClock, IdentityVerifier, UnixTime};
///
/// let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
/// let verifier = IdentityVerifier::new(&token, Arc::new(FixedClock::new(UnixTime(1_700_000_060))));
/// // Forged widget data is refused with the widget verifier's own reason.
/// assert!(verifier.widget_query("id=42&first_name=Ada&auth_date=1700000000&hash=00").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IdentityVerifier {
    widget: WidgetVerifier,
    web_app: WebAppVerifier,
    third_party: Option<ThirdPartyVerifier>,
    id_tokens: Option<IdTokenValidator>,
    clock: Arc<dyn Clock>,
}

impl IdentityVerifier {
    /// The Login Widget and first-party Mini App checks for `token`, with their default
    /// freshness policies, at the time `clock` reads.
    pub fn new(token: &BotToken, clock: Arc<dyn Clock>) -> Self {
        Self {
            widget: WidgetVerifier::new(token),
            web_app: WebAppVerifier::new(token),
            third_party: None,
            id_tokens: None,
            clock,
        }
    }

    /// Replaces the widget verifier (another freshness policy, the site's own parameters).
    pub fn with_widget(mut self, widget: WidgetVerifier) -> Self {
        self.widget = widget;
        self
    }

    /// Replaces the first-party Mini App verifier.
    pub fn with_web_app(mut self, web_app: WebAppVerifier) -> Self {
        self.web_app = web_app;
        self
    }

    /// Also accepts Mini App data by Telegram's third-party signature.
    pub fn with_third_party(mut self, verifier: ThirdPartyVerifier) -> Self {
        self.third_party = Some(verifier);
        self
    }

    /// Also accepts OpenID Connect `id_token`s validated by `validator`.
    pub fn with_id_tokens(mut self, validator: IdTokenValidator) -> Self {
        self.id_tokens = Some(validator);
        self
    }

    /// The clock the checks read.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Verifies the `data-auth-url` redirect's query string.
    pub fn widget_query(&self, query: &str) -> Result<Identity, Error> {
        let now = self.clock.now();
        let user = self.widget.verify_query(query, now)?;
        Ok(Identity::from_widget(user, now))
    }

    /// Verifies the `data-onauth` callback's JSON object.
    pub fn widget_json(&self, json: &str) -> Result<Identity, Error> {
        let now = self.clock.now();
        let user = self.widget.verify_json(json, now)?;
        Ok(Identity::from_widget(user, now))
    }

    /// Verifies Mini App `initData` by its first-party `hash`.
    pub fn web_app(&self, init_data: &str) -> Result<Identity, Error> {
        let now = self.clock.now();
        let data = self.web_app.verify(init_data, now)?;
        Identity::from_web_app(&data, false, now)
    }

    /// Verifies Mini App `initData` by Telegram's third-party signature
    /// ([`Error::NotConfigured`] unless [`with_third_party`](Self::with_third_party) was given).
    pub fn web_app_third_party(&self, init_data: &str) -> Result<Identity, Error> {
        let verifier = self.third_party.as_ref().ok_or(Error::NotConfigured {
            what: "third-party Mini App verification",
        })?;
        let now = self.clock.now();
        let data = verifier.verify(init_data, now)?;
        Identity::from_web_app(&data, true, now)
    }

    /// Validates an `id_token` from the code exchange, with the nonce the authorization request
    /// sent ([`Error::NotConfigured`] unless [`with_id_tokens`](Self::with_id_tokens) was given).
    pub fn id_token(
        &self,
        id_token: &str,
        expected_nonce: Option<&str>,
    ) -> Result<Identity, Error> {
        let validator = self.id_tokens.as_ref().ok_or(Error::NotConfigured {
            what: "OpenID Connect id_token validation",
        })?;
        let now = self.clock.now();
        let claims = validator.validate(id_token, expected_nonce, now)?;
        Identity::from_id_token(&claims, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_api_client::types::Message;

    fn message(chat: serde_json::Value, from: serde_json::Value) -> Message {
        serde_json::from_value(serde_json::json!({
            "message_id": 1, "date": 1_700_000_000, "text": "hi", "chat": chat, "from": from,
        }))
        .unwrap_or_else(|error| panic!("a message: {error}"))
    }

    #[test]
    fn only_a_person_in_their_private_chat_is_identified() {
        let ada =
            serde_json::json!({"id": 42, "is_bot": false, "first_name": "Ada", "username": "ada"});
        let private = serde_json::json!({"id": 42, "type": "private", "first_name": "Ada"});
        let identity = Identity::from_message(&message(private.clone(), ada.clone()), UnixTime(5));
        let identity = identity.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(identity.user_id, UserId(42));
        assert_eq!(identity.source, IdentitySource::BotUpdate);
        assert_eq!(identity.authorized_at, Some(UnixTime(1_700_000_000)));
        assert_eq!(identity.display_name(), "Ada");

        let group = serde_json::json!({"id": -100, "type": "supergroup", "title": "G"});
        let other_chat = serde_json::json!({"id": 43, "type": "private", "first_name": "Bob"});
        let bot = serde_json::json!({"id": 42, "is_bot": true, "first_name": "Bot"});
        for (chat, from) in [(group, ada.clone()), (other_chat, ada), (private, bot)] {
            assert!(matches!(
                Identity::from_message(&message(chat, from), UnixTime(5)),
                Err(Error::NoTelegramId {
                    origin: IdentitySource::BotUpdate
                })
            ));
        }
    }

    #[test]
    fn an_id_token_without_the_numeric_id_names_nobody() {
        let claims: IdTokenClaims = serde_json::from_value(serde_json::json!({
            "iss": "https://oauth.telegram.org", "sub": "opaque", "aud": "1",
            "iat": 1, "exp": 2, "name": "Ada Lovelace",
        }))
        .unwrap_or_else(|error| panic!("claims: {error}"));
        assert!(matches!(
            Identity::from_id_token(&claims, UnixTime(1)),
            Err(Error::NoTelegramId {
                origin: IdentitySource::Oidc
            })
        ));
        let mut with_id = claims;
        with_id.id = Some(UserId(42));
        let identity = Identity::from_id_token(&with_id, UnixTime(1))
            .unwrap_or_else(|error| panic!("{error}"));
        // `sub` is opaque: the user is the `id` claim.
        assert_eq!(identity.user_id, UserId(42));
        assert_eq!(identity.display_name(), "Ada Lovelace");
    }
}
