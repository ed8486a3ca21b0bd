//! Login links (the reverse flow): the bot sends a linked person a URL that opens the website
//! logged in. Tokens are HMAC-SHA-256 signed, expire (ten minutes by default), name the website
//! account and the chat, and work once: the store checks the link and records the use in one
//! atomic step.
//!
//! A login link logs in whoever holds the Telegram account, so it is signed only for a link the
//! website's logged-in owner confirmed ([`Link::website_confirmed`]): a link committed by the
//! bot alone may have been made by whoever pressed a forwarded `t.me` link, and a login link
//! for it would hand them the account. [`LoginLinkKey::dangerous_sign_unconfirmed`] is the
//! opt-out for applications that accept that.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};
use tgauth_core::{ChatId, UnixTime, UserId};

use crate::code::{CodeHash, RandomError};
use crate::error::{Error, InputError};
use crate::ids::{AccountId, TelegramIdentity, Ttl};
use crate::store::{Link, Store};

/// The token format's first byte for a link the website confirmed: redeeming it requires the
/// link to be website-confirmed still.
const FORMAT_CONFIRMED: u8 = 1;
/// The token format's first byte for a token signed through
/// [`LoginLinkKey::dangerous_sign_unconfirmed`]: redeeming it does not require the website's
/// confirmation. The byte is signed, so a holder cannot turn one format into the other.
const FORMAT_DANGEROUS_UNCONFIRMED: u8 = 2;
/// Random bytes that make every token unique.
const NONCE_LEN: usize = 16;
/// Format, nonce, expiry, Telegram user, chat.
const FIXED_LEN: usize = 1 + NONCE_LEN + 8 + 8 + 8;
/// HMAC-SHA-256 tag length.
const TAG_LEN: usize = 32;
/// Shortest key accepted: 256 bits.
pub const MIN_KEY_LEN: usize = 32;

/// The HMAC key that signs login links; `Debug` is redacted.
pub struct LoginLinkKey(hmac::Key);

impl std::fmt::Debug for LoginLinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginLinkKey({})", tgauth_core::REDACTED)
    }
}

/// Why no login link was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The link was committed without the website's logged-in owner confirming it
    /// ([`Link::website_confirmed`] is false); sign with
    /// [`LoginLinkKey::dangerous_sign_unconfirmed`] to accept that.
    #[error("no login link signed: the link was not confirmed on the website")]
    NotWebsiteConfirmed,
    /// The operating system's random generator failed.
    #[error("no login link signed: the operating system's random generator failed")]
    Random,
}

impl From<RandomError> for SignError {
    fn from(_: RandomError) -> Self {
        Self::Random
    }
}

/// A signed login token, to put in a URL; `Debug` is redacted, equality is constant-time.
#[derive(Clone)]
pub struct LoginToken(String);

impl PartialEq for LoginToken {
    fn eq(&self, other: &Self) -> bool {
        tgauth_core::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for LoginToken {}

impl std::fmt::Debug for LoginToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginToken({})", tgauth_core::REDACTED)
    }
}

impl LoginToken {
    /// The token's text (base64url), for a URL. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The website URL the bot sends: `base` with `token=<token>` appended to its query
    /// (base64url needs no escaping).
    pub fn url(&self, base: &str) -> String {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}token={}", self.0)
    }
}

/// What a verified login token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginClaims {
    /// The website account to log in.
    pub account: AccountId,
    /// The Telegram account and chat the link was sent to.
    pub telegram: TelegramIdentity,
    /// When the token stops working.
    pub expires_at: UnixTime,
    /// The token's single-use id (SHA-256 of its signed bytes).
    pub id: CodeHash,
    /// Signed through [`LoginLinkKey::dangerous_sign_unconfirmed`]: redeeming it does not
    /// require the link to be website-confirmed.
    pub dangerous_unconfirmed: bool,
}

impl LoginLinkKey {
    /// A key from at least 32 secret bytes.
    pub fn new(secret: &[u8]) -> Result<Self, InputError> {
        if secret.len() < MIN_KEY_LEN {
            return Err(InputError::Key {
                reason: "needs at least 32 bytes",
            });
        }
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    /// A fresh random key (it lasts as long as the process: links die with it).
    pub fn generate() -> Result<Self, RandomError> {
        let mut secret = [0_u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| RandomError)?;
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, &secret)))
    }

    /// Signs a login token for a link the website's owner confirmed, valid for `ttl` from
    /// `now`; [`SignError::NotWebsiteConfirmed`] for any other link. Redeeming the token
    /// requires the link to be website-confirmed still.
    pub fn sign(&self, link: &Link, ttl: Ttl, now: UnixTime) -> Result<LoginToken, SignError> {
        if !link.website_confirmed {
            return Err(SignError::NotWebsiteConfirmed);
        }
        self.sign_as(FORMAT_CONFIRMED, link, ttl, now)
    }

    /// Signs a login token for any link, website-confirmed or not, and its redemption will not
    /// ask. This weakens the defence against a forwarded or leaked `t.me` link: whoever
    /// pressed it first and confirmed in the bot gets logged in to the account.
    pub fn dangerous_sign_unconfirmed(
        &self,
        link: &Link,
        ttl: Ttl,
        now: UnixTime,
    ) -> Result<LoginToken, SignError> {
        self.sign_as(FORMAT_DANGEROUS_UNCONFIRMED, link, ttl, now)
    }

    fn sign_as(
        &self,
        format: u8,
        link: &Link,
        ttl: Ttl,
        now: UnixTime,
    ) -> Result<LoginToken, SignError> {
        let mut nonce = [0_u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SignError::Random)?;
        let account = link.account.as_str();
        let mut bytes = Vec::with_capacity(FIXED_LEN + account.len() + TAG_LEN);
        bytes.push(format);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&now.plus(ttl.seconds()).0.to_be_bytes());
        bytes.extend_from_slice(&link.telegram.user_id().0.to_be_bytes());
        bytes.extend_from_slice(&link.telegram.chat_id().0.to_be_bytes());
        bytes.extend_from_slice(account.as_bytes());
        let tag = hmac::sign(&self.0, &bytes);
        bytes.extend_from_slice(tag.as_ref());
        Ok(LoginToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Verifies a token's signature (in constant time) and expiry, without using it up; see
    /// [`redeem`] for the link and single-use checks.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<LoginClaims, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| Error::InvalidLoginLink)?;
        let signed_len = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::InvalidLoginLink)?;
        let (signed, tag) = bytes.split_at(signed_len);
        hmac::verify(&self.0, signed, tag).map_err(|_| Error::InvalidLoginLink)?;
        let (fixed, account) = signed
            .split_at_checked(FIXED_LEN)
            .ok_or(Error::InvalidLoginLink)?;
        let field = |start: usize| -> Result<i64, Error> {
            let slice = fixed.get(start..start + 8).ok_or(Error::InvalidLoginLink)?;
            let array: [u8; 8] = slice.try_into().map_err(|_| Error::InvalidLoginLink)?;
            Ok(i64::from_be_bytes(array))
        };
        let dangerous_unconfirmed = match fixed.first() {
            Some(&FORMAT_CONFIRMED) => false,
            Some(&FORMAT_DANGEROUS_UNCONFIRMED) => true,
            _ => return Err(Error::InvalidLoginLink),
        };
        let expires_at = UnixTime(field(1 + NONCE_LEN)?);
        let telegram_user = UserId(field(1 + NONCE_LEN + 8)?);
        let chat = ChatId(field(1 + NONCE_LEN + 16)?);
        let account = std::str::from_utf8(account)
            .ok()
            .and_then(|account| AccountId::new(account).ok())
            .ok_or(Error::InvalidLoginLink)?;
        let telegram =
            TelegramIdentity::new(telegram_user, chat).map_err(|_| Error::InvalidLoginLink)?;
        if expires_at <= now {
            return Err(Error::LoginLinkExpired);
        }
        Ok(LoginClaims {
            account,
            telegram,
            expires_at,
            id: CodeHash::of(signed),
            dangerous_unconfirmed,
        })
    }
}

/// Verifies a login token, then in one atomic store step checks that its Telegram account is
/// still linked to its website account and chat, and website-confirmed (unless the token was
/// signed with [`LoginLinkKey::dangerous_sign_unconfirmed`]), and records its single use. The
/// website logs in the returned account.
pub async fn redeem<S: Store>(
    store: &S,
    key: &LoginLinkKey,
    token: &str,
    now: UnixTime,
) -> Result<LoginClaims, Error> {
    let claims = key.verify(token, now)?;
    store.redeem_login_link(&claims, now).await?;
    Ok(claims)
}
