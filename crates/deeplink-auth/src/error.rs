//! The crate's errors: what its operations answer ([`Error`]), malformed configuration and
//! input ([`InputError`]), and store failures ([`StoreError`]), one enum per area.

/// A value from outside (a bot username, a payload, a website account id, a key, a time to
/// live) is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A bot username breaks Telegram's rule (5 to 32 of `A-Za-z0-9_`, a letter first, ending in `bot`).
    #[error("invalid bot username: {reason}")]
    BotUsername {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A deep-link payload is not 1 to 64 characters of `A-Za-z0-9_-`.
    #[error("invalid start payload: {reason}")]
    Payload {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A website account id is empty, too long or holds control characters.
    #[error("invalid website account id: {reason}")]
    AccountId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A Telegram identity is not a private chat of a real user.
    #[error("invalid telegram identity: {reason}")]
    Identity {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A login-link key is too short.
    #[error("invalid login-link key: {reason}")]
    Key {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A time to live is zero or too long to represent.
    #[error("invalid time to live: {reason}")]
    Ttl {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Boxed source error of a backend driver.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The store could not do what was asked; nothing was half-written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached (connection refused, dropped, timed out, pool closed).
    #[error("{backend} store is unavailable")]
    Unavailable {
        /// The backend: `memory`, `sqlite`, `postgres` or `redis`.
        backend: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The store answered with an error (a failed statement or command).
    #[error("{backend} store failed")]
    Backend {
        /// The backend: `memory`, `sqlite`, `postgres` or `redis`.
        backend: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A stored record does not have the shape this crate writes.
    #[error("{backend} store holds a malformed record: {what}")]
    Corrupt {
        /// The backend: `memory`, `sqlite`, `postgres` or `redis`.
        backend: &'static str,
        /// Which record or field.
        what: String,
    },
    /// A store URL is not `memory://`, `sqlite://...`, `postgres://...` or `redis://...`.
    #[error("invalid store url: {reason}")]
    Url {
        /// What is wrong with it.
        reason: String,
    },
    /// The operating system's random generator failed: no code was issued.
    #[error("no code issued: the operating system's random generator failed")]
    Random,
    /// The URL names a backend whose cargo feature is off.
    #[error("store backend `{backend}` is not compiled in (enable the `{backend}` feature)")]
    Disabled {
        /// The backend's feature name.
        backend: &'static str,
    },
}

impl StoreError {
    /// Whether the store could not be reached at all (as opposed to refusing a statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Why a code, a confirmation, a decline or a login link was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No such code (never issued, purged, or malformed).
    #[error("unknown link code")]
    Unknown,
    /// The code is past its expiry.
    #[error("link code expired")]
    Expired,
    /// The code was already used by someone else (or the link it made is gone since).
    #[error("link code already used")]
    AlreadyUsed,
    /// The chat that claimed the code declined the link in the bot: the code is dead.
    #[error("the telegram chat declined the link")]
    Declined,
    /// The Telegram account is linked to another website account and the policy rejects
    /// moving it.
    #[error("telegram account is linked to another account")]
    Conflict,
    /// The website confirmed a link the Telegram chat has not confirmed in the bot (or the
    /// linker lets only the chat's confirmation commit).
    #[error("the telegram chat has not confirmed the link")]
    NotConfirmed,
    /// A login link past its expiry.
    #[error("login link expired")]
    LoginLinkExpired,
    /// A login link that was already used.
    #[error("login link already used")]
    LoginLinkUsed,
    /// A login link whose signature, format or binding does not verify.
    #[error("invalid login link")]
    InvalidLoginLink,
    /// The login link's Telegram account is no longer linked to its website account.
    #[error("login link's account is no longer linked")]
    NotLinked,
    /// The login link's account link was committed without the website's logged-in owner
    /// confirming it, and the login link was not signed with
    /// [`crate::login::LoginLinkKey::dangerous_sign_unconfirmed`].
    #[error("login link's telegram account was not confirmed on the website")]
    NotWebsiteConfirmed,
    /// The store failed; the operation had no effect.
    #[error("link store failed")]
    Store(#[from] StoreError),
}
