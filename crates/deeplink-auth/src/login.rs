//! Login links (the reverse flow): the bot sends a linked person a URL that opens the website
//! logged in. Tokens are HMAC-SHA-256 signed, expire (ten minutes by default), name the website
//! user and the chat, and work once: the store records each use.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::code::{CodeHash, RandomError};
use crate::error::{InputError, LinkError};
use crate::ids::{ChatId, TelegramIdentity, TelegramUserId, Ttl, UnixTime, UserId};
use crate::store::{Link, Store};

/// The token format's version byte.
const VERSION: u8 = 1;
/// Random bytes that make every token unique.
const NONCE_LEN: usize = 16;
/// Version, nonce, expiry, Telegram user, chat.
const FIXED_LEN: usize = 1 + NONCE_LEN + 8 + 8 + 8;
/// HMAC-SHA-256 tag length.
const TAG_LEN: usize = 32;
/// Shortest key accepted: 256 bits.
pub const MIN_KEY_LEN: usize = 32;

/// The HMAC key that signs login links; `Debug` is redacted.
pub struct LoginLinkKey(hmac::Key);

impl std::fmt::Debug for LoginLinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLinkKey(<redacted>)")
    }
}

/// A signed login token, to put in a URL; `Debug` is redacted, equality is constant-time.
#[derive(Clone)]
pub struct LoginToken(String);

impl PartialEq for LoginToken {
    fn eq(&self, other: &Self) -> bool {
        crate::code::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for LoginToken {}

impl std::fmt::Debug for LoginToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginToken(<redacted>)")
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
    /// The website user to log in.
    pub user: UserId,
    /// The Telegram account and chat the link was sent to.
    pub telegram: TelegramIdentity,
    /// When the token stops working.
    pub expires_at: UnixTime,
    /// The token's single-use id (SHA-256 of its signed bytes).
    pub id: CodeHash,
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

    /// Signs a login token for a link, valid for `ttl` from `now`.
    pub fn sign(&self, link: &Link, ttl: Ttl, now: UnixTime) -> Result<LoginToken, RandomError> {
        let mut nonce = [0_u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| RandomError)?;
        let mut bytes = Vec::with_capacity(FIXED_LEN + link.user.as_str().len() + TAG_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&now.plus(ttl.seconds()).0.to_be_bytes());
        bytes.extend_from_slice(&link.telegram.user_id().0.to_be_bytes());
        bytes.extend_from_slice(&link.telegram.chat_id().0.to_be_bytes());
        bytes.extend_from_slice(link.user.as_str().as_bytes());
        let tag = hmac::sign(&self.0, &bytes);
        bytes.extend_from_slice(tag.as_ref());
        Ok(LoginToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Verifies a token's signature (in constant time) and expiry, without using it up; see
    /// [`redeem`] for the single-use check.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<LoginClaims, LinkError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| LinkError::InvalidLoginLink)?;
        let signed_len = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(LinkError::InvalidLoginLink)?;
        let (signed, tag) = bytes.split_at(signed_len);
        hmac::verify(&self.0, signed, tag).map_err(|_| LinkError::InvalidLoginLink)?;
        let (fixed, user) = signed
            .split_at_checked(FIXED_LEN)
            .ok_or(LinkError::InvalidLoginLink)?;
        let field = |start: usize| -> Result<i64, LinkError> {
            let slice = fixed
                .get(start..start + 8)
                .ok_or(LinkError::InvalidLoginLink)?;
            let array: [u8; 8] = slice.try_into().map_err(|_| LinkError::InvalidLoginLink)?;
            Ok(i64::from_be_bytes(array))
        };
        if fixed.first() != Some(&VERSION) {
            return Err(LinkError::InvalidLoginLink);
        }
        let expires_at = UnixTime(field(1 + NONCE_LEN)?);
        let telegram_user = TelegramUserId(field(1 + NONCE_LEN + 8)?);
        let chat = ChatId(field(1 + NONCE_LEN + 16)?);
        let user = std::str::from_utf8(user)
            .ok()
            .and_then(|user| UserId::new(user).ok())
            .ok_or(LinkError::InvalidLoginLink)?;
        let telegram =
            TelegramIdentity::new(telegram_user, chat).map_err(|_| LinkError::InvalidLoginLink)?;
        if expires_at <= now {
            return Err(LinkError::LoginLinkExpired);
        }
        Ok(LoginClaims {
            user,
            telegram,
            expires_at,
            id: CodeHash::of(signed),
        })
    }
}

/// Verifies a login token, checks that its Telegram account is still linked to its website
/// user, and records its single use in `store`. The website logs in the returned user.
pub async fn redeem<S: Store>(
    store: &S,
    key: &LoginLinkKey,
    token: &str,
    now: UnixTime,
) -> Result<LoginClaims, LinkError> {
    let claims = key.verify(token, now)?;
    match store
        .link_of_telegram_user(claims.telegram.user_id())
        .await?
    {
        Some(link) if link.user == claims.user && link.telegram == claims.telegram => {}
        _ => return Err(LinkError::NotLinked),
    }
    match store
        .use_login_link(&claims.id, claims.expires_at, now)
        .await
    {
        Ok(()) => Ok(claims),
        Err(LinkError::AlreadyUsed) => Err(LinkError::LoginLinkUsed),
        Err(other) => Err(other),
    }
}
