//! The request a website opens: [`PassportRequest`], the `tg://` link the official JS SDK
//! builds from it, and an HTML button for that link.

use std::fmt::Write as _;

use tgauth_core::{BotId, encode_uri_component, escape_html};

use crate::scope::{PassportScope, ScopeError};

/// The shortest nonce [`PassportRequest::validate`] accepts.
///
/// The spec asks for a nonce that is "long enough" and from a cryptographically secure
/// generator, without a number; 16 characters is this crate's floor (e.g. 12 random bytes in
/// base64), so a guessable nonce is caught before it ships.
pub const MIN_NONCE_LEN: usize = 16;

/// The longest nonce [`PassportRequest::validate`] accepts.
///
/// Neither the spec nor the Telegram apps state a limit; the nonce travels in the link and back
/// inside the encrypted credentials, so this crate keeps it to a size every URL handler passes.
pub const MAX_NONCE_LEN: usize = 512;

/// Why a [`PassportRequest`] cannot produce a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The bot id is not a positive integer.
    #[error("bot id must be positive, not {bot_id}")]
    InvalidBotId {
        /// The bot id given.
        bot_id: BotId,
    },
    /// The scope breaks the spec's rules.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The public key is not a PEM public key.
    #[error("public key must be a PEM public key (-----BEGIN PUBLIC KEY-----)")]
    PublicKeyNotPem,
    /// The nonce is shorter than [`MIN_NONCE_LEN`] or longer than [`MAX_NONCE_LEN`].
    #[error("nonce must be {min} to {max} characters, it has {len}")]
    NonceLength {
        /// The nonce length in characters.
        len: usize,
        /// The minimum.
        min: usize,
        /// The maximum.
        max: usize,
    },
    /// The nonce holds a control character or whitespace.
    #[error("nonce must not contain whitespace or control characters")]
    NonceCharacters,
    /// The callback URL is empty or holds whitespace or control characters.
    #[error("callback url must be a non-empty url without whitespace or control characters")]
    InvalidCallbackUrl,
}

/// A Telegram Passport authorization request: what the official JS SDK
/// (`Telegram.Passport.auth`) turns into a `tg://resolve?domain=telegrampassport` link.
///
/// ```
/// use passport_types::element::ElementType;
/// use passport_types::scope::{PassportRequest, PassportScope};
/// use passport_types::tgauth_core::BotId;
///
/// let request = PassportRequest {
///     bot_id: BotId(543260180),
///     scope: PassportScope::new(vec![ElementType::PhoneNumber.into()]),
///     public_key: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n".to_owned(),
///     nonce: "b8e892dc2e0afe63424d101b964f1256".to_owned(),
///     callback_url: None,
/// };
/// assert_eq!(
///     request.url().unwrap(),
///     "tg://resolve?domain=telegrampassport&bot_id=543260180\
///      &scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22pn%22%5D%7D\
///      &public_key=-----BEGIN%20PUBLIC%20KEY-----%0AMIIB%0A-----END%20PUBLIC%20KEY-----%0A\
///      &nonce=b8e892dc2e0afe63424d101b964f1256&payload=nonce",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportRequest {
    /// The bot's user id (the number before the colon in its token).
    pub bot_id: BotId,
    /// The requested data.
    pub scope: PassportScope,
    /// The bot's public key in PEM, as given to BotFather with `/setpublickey`.
    pub public_key: String,
    /// The bot-specified nonce: a cryptographically secure, single-use request identifier.
    pub nonce: String,
    /// Where the Telegram app sends the user when the request is finished (`tg_passport=success`,
    /// `cancel` or `error` are appended by the app).
    pub callback_url: Option<String>,
}

impl PassportRequest {
    /// Checks the bot id, the scope ([`PassportScope::validate`]), the public key, the nonce
    /// ([`MIN_NONCE_LEN`]..=[`MAX_NONCE_LEN`] characters, no whitespace or control characters)
    /// and the callback URL.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.bot_id.get() <= 0 {
            return Err(RequestError::InvalidBotId {
                bot_id: self.bot_id,
            });
        }
        self.scope.validate()?;
        let key = self.public_key.trim();
        if !(key.starts_with("-----BEGIN ")
            && key.contains("PUBLIC KEY-----")
            && key.contains("-----END "))
        {
            return Err(RequestError::PublicKeyNotPem);
        }
        let len = self.nonce.chars().count();
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&len) {
            return Err(RequestError::NonceLength {
                len,
                min: MIN_NONCE_LEN,
                max: MAX_NONCE_LEN,
            });
        }
        if self
            .nonce
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RequestError::NonceCharacters);
        }
        if let Some(url) = &self.callback_url
            && (url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(RequestError::InvalidCallbackUrl);
        }
        Ok(())
    }

    /// The link the official JS SDK opens, after [`validate`](Self::validate):
    ///
    /// `tg://resolve?domain=telegrampassport&bot_id=…&scope=…&public_key=…&nonce=…`, then
    /// `&callback_url=…` when set, then `&payload=nonce`. Values are encoded as JavaScript's
    /// `encodeURIComponent` does, and the scope is packed as
    /// [`PassportScope::to_uri_json`] describes.
    ///
    /// The trailing `payload=nonce` is the SDK's literal "legacy for outdated apps": clients
    /// from before Passport 1.1 read the request id from `payload`, and current ones ignore it
    /// when `nonce` is present (TDLib falls back to `payload` only when `nonce` is empty).
    /// The SDK opens `tg:resolve?...` on Android; this is the `tg://` form it uses elsewhere.
    pub fn url(&self) -> Result<String, RequestError> {
        self.validate()?;
        let scope = self.scope.to_uri_json();
        let mut url = format!(
            "tg://resolve?domain=telegrampassport&bot_id={}&scope={}&public_key={}&nonce={}",
            self.bot_id,
            encode_uri_component(&scope),
            encode_uri_component(&self.public_key),
            encode_uri_component(&self.nonce),
        );
        if let Some(callback_url) = &self.callback_url {
            let _ = write!(url, "&callback_url={}", encode_uri_component(callback_url));
        }
        url.push_str("&payload=nonce");
        Ok(url)
    }

    /// An HTML link styled as a button that opens [`url`](Self::url), with `text` as its
    /// label; the URL and the label are HTML-escaped.
    ///
    /// It works without JavaScript; the class `tgauth-passport-button` is there for styling.
    pub fn html_button(&self, text: &str) -> Result<String, RequestError> {
        let url = self.url()?;
        let html = format!(
            "<a class=\"tgauth-passport-button\" href=\"{}\">{}</a>",
            escape_html(&url),
            escape_html(text),
        );
        Ok(html)
    }
}
