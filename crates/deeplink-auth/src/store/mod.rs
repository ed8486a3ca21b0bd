//! The `Store` trait: issue and atomically consume codes, links by website account and
//! Telegram user, marking a link inactive (the bot cannot reach its chat) and active again,
//! unlink, purge, and the atomic redemption of login links; with one backend per cargo feature.
//!
//! | URL | backend | feature |
//! |---|---|---|
//! | `memory://` | `MemoryStore` | `memory` |
//! | `sqlite://path` (default `sqlite://tgauth.db`) | `SqliteStore` | `sqlite` (default) |
//! | `postgres://...` | `PostgresStore` | `postgres` |
//! | `redis://...` | `RedisStore` | `redis` |
//!
//! [`AnyStore::open`] opens whichever a URL names. Every backend runs the same conformance
//! suite (`tests/it/conformance.rs`).
//!
//! A link is active, or inactive since the bot learned that its chat cannot receive messages
//! ([`Link::inactive_since`]): a notifier that gets a 403 from the Bot API (the person blocked
//! the bot or deleted their account) calls [`Store::mark_link_inactive`], and the bot calls
//! [`Store::mark_link_active`] when the person writes to it again. Each is one atomic step on
//! every backend, and an inactive link stays a link: it is listed, a login link for it
//! redeems, and consuming a new code for the same Telegram account makes it active again.
//! Schemas and records from before this was recorded read as active: the SQL backends gain a
//! nullable column through a forward migration, Redis link records an optional field.

// Without any backend feature only the trait remains, and the shared rules go unused.
#![cfg_attr(
    not(any(
        feature = "memory",
        feature = "sqlite",
        feature = "postgres",
        feature = "redis"
    )),
    allow(unused_variables, dead_code, unused_imports)
)]

use std::future::Future;

use tgauth_core::{UnixTime, UserId};

use crate::code::{CodeHash, LinkCode};
use crate::error::Error;
use crate::ids::{AccountId, TelegramIdentity, Ttl};
use crate::login::LoginClaims;

pub use crate::error::{BoxError, StoreError};

#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(feature = "memory", feature = "sqlite", feature = "postgres"))]
mod rules;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "memory")]
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteStore, SqliteWriteGate, SqliteWriteTurn};

/// How long a consumed (or declined) code's record is kept after its expiry, so that a
/// redelivered `/start` still reads "already linked" (or "declined"): one day, longer than
/// Telegram retries a webhook.
pub const USED_CODE_RETENTION_SECONDS: i64 = 86_400;

/// A link between a website account and a Telegram private chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The website account.
    pub account: AccountId,
    /// The Telegram user and their private chat with the bot.
    pub telegram: TelegramIdentity,
    /// When the link was made.
    pub linked_at: UnixTime,
    /// Whether the website's logged-in owner of the code confirmed this chat
    /// ([`crate::Linker::confirm_on_website`]). A link the bot committed alone
    /// ([`crate::linker::Confirmation::Bot`], or no confirmation) is not, and neither is a
    /// link stored before this was recorded. [`crate::login::LoginLinkKey::sign`] signs login
    /// links for website-confirmed links only.
    pub website_confirmed: bool,
    /// Since when the bot cannot reach the chat, or `None` while it can (an active link).
    ///
    /// Set by [`Store::mark_link_inactive`] when sending to the chat failed because the person
    /// blocked the bot or deleted their account (the Bot API's 403), kept at that first time
    /// by later marks, and cleared by [`Store::mark_link_active`] (the person wrote to the bot
    /// again) and by consuming a new code for the same Telegram account. An inactive link is
    /// still a link: the account stays linked, it is listed and unlinked as usual, and login
    /// links for it still redeem when the person comes back; only messages to its chat are
    /// pointless until then. Links stored before this was recorded read as active.
    pub inactive_since: Option<UnixTime>,
}

impl Link {
    /// Whether the bot can reach the chat as far as it knows: no 403 since the link was made
    /// or the person last wrote ([`Link::inactive_since`] is `None`).
    pub fn is_active(&self) -> bool {
        self.inactive_since.is_none()
    }
}

/// How a successful consume changed the links.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkOutcome {
    /// A new link.
    New,
    /// The same link already existed (a redelivered `/start`, or the same person linking again).
    AlreadyLinked,
    /// The Telegram account moved from another website account ([`OnConflict::Move`]).
    Moved {
        /// The website account it was linked to before.
        from: AccountId,
    },
}

/// A consumed code: the link and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The link as stored now.
    pub link: Link,
    /// What changed.
    pub outcome: LinkOutcome,
}

/// A claimed code waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The code now waits for confirmation by this chat; `repeated` when it already did.
    Pending {
        /// The website account the code was issued to.
        account: AccountId,
        /// Whether this chat had already claimed it (a redelivered `/start`).
        repeated: bool,
    },
    /// This chat already consumed the code and the link stands.
    AlreadyLinked(Link),
}

/// A code the chat that claimed it declined: dead for everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    /// The website account the code was issued to.
    pub account: AccountId,
    /// Whether this chat had already declined it (a redelivered button press).
    pub repeated: bool,
}

/// Who confirmed the link a consume commits: recorded as [`Link::website_confirmed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommittedBy {
    /// The chat alone: its confirmation in the bot, or its `/start` without confirmation.
    Chat,
    /// The website's logged-in owner of the code, confirming the chat that claimed it.
    Website,
}

/// What happens when a Telegram account already linked to another website account consumes a
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnConflict {
    /// Refuse with [`Error::Conflict`]; the code stays unused (the default).
    #[default]
    Reject,
    /// Move the Telegram account to the new website account.
    Move,
}

/// How many Telegram accounts one website account may link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ChatsPerAccount {
    /// Any number (the default).
    #[default]
    Many,
    /// One: a new link replaces the account's others.
    One,
}

/// The rules a consume applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkPolicy {
    /// A Telegram account linked to someone else.
    pub on_conflict: OnConflict,
    /// Several Telegram accounts per website account.
    pub chats_per_account: ChatsPerAccount,
}

/// A freshly issued code and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The code to put in the link (secret; redacted in `Debug`).
    pub code: LinkCode,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// A durable home for codes, links and used login links.
///
/// Implementations make [`Store::claim`], [`Store::consent`], [`Store::decline`],
/// [`Store::consume`] and [`Store::redeem_login_link`] atomic: of concurrent callers with one
/// code (or one login link), exactly one wins. Failures leave nothing half-written. Stores are
/// cheap to clone and share one backend connection pool.
pub trait Store: Send + Sync {
    /// Issues a fresh code for `account`, valid for `ttl` from `now`.
    fn issue(
        &self,
        account: &AccountId,
        ttl: Ttl,
        now: UnixTime,
    ) -> impl Future<Output = Result<IssuedCode, StoreError>> + Send {
        async move {
            let code = LinkCode::generate().map_err(|_| StoreError::Random)?;
            let expires_at = now.plus(ttl.seconds());
            self.insert_code(&code.hash(), account, expires_at, now)
                .await?;
            Ok(IssuedCode { code, expires_at })
        }
    }

    /// Stores a code's hash for `account` until `expires_at` (`now` sets real TTLs where the
    /// backend has them).
    fn insert_code(
        &self,
        hash: &CodeHash,
        account: &AccountId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Claims a code for `who` pending confirmation: no other chat can use it afterwards.
    fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Records that `who` confirmed the link in Telegram (claiming the code first if nobody
    /// has): [`CodeStatus::Consented`], waiting for the website's confirmation. Answers like
    /// [`Store::claim`]; `repeated` when `who` had already consented.
    fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Records that `who` declined the link in Telegram (claiming the code first if nobody
    /// has): [`CodeStatus::Declined`], and the code is dead. Only the chat that claimed the
    /// code can decline it; a repeat by that chat answers `repeated`. A consumed code cannot be
    /// declined ([`Error::AlreadyUsed`]).
    fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> impl Future<Output = Result<Declined, Error>> + Send;

    /// Consumes a code (fresh, or claimed by `who`) and commits the link under `policy`, in
    /// one atomic step, recording `by` as [`Link::website_confirmed`] (a link that stood
    /// website-confirmed already stays so). The link it commits is active
    /// ([`Link::inactive_since`] cleared), a new link or the same account's link made again. A
    /// repeat by the chat that consumed it answers [`LinkOutcome::AlreadyLinked`] with the
    /// link unchanged; on [`Error::Conflict`] the code stays as it was.
    fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> impl Future<Output = Result<Linked, Error>> + Send;

    /// The Telegram accounts linked to `account`, ordered by Telegram user id.
    fn links_of_account(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = Result<Vec<Link>, StoreError>> + Send;

    /// The link of a Telegram account, if any.
    fn link_of_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Marks the link of a Telegram account inactive since `since`, in one atomic step: the bot
    /// learned that the chat cannot receive messages (a 403 from the Bot API: the person
    /// blocked the bot or deleted their account). A link already inactive keeps the time of
    /// its first mark and is not written. Answers the link as stored now, or `None` (and writes
    /// nothing) when the Telegram account has no link. See [`Link::inactive_since`].
    fn mark_link_inactive(
        &self,
        telegram_user: UserId,
        since: UnixTime,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Marks the link of a Telegram account active, in one atomic step: the person wrote to the
    /// bot again, so it can reach them. A link already active is not written. Answers the link
    /// as stored now, or `None` (and writes nothing) when the Telegram account has no link.
    fn mark_link_active(
        &self,
        telegram_user: UserId,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Removes the link of a Telegram account, returning it.
    fn unlink_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Removes every link of a website account, returning how many there were.
    fn unlink_account(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes expired codes (consumed and declined ones after
    /// [`USED_CODE_RETENTION_SECONDS`]) and expired login-link records, returning how many
    /// records went. Redis expires them natively.
    fn purge_expired(&self, now: UnixTime) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Where a code stands, for the website's side of the confirmation: the site keeps the
    /// code it issued in its user's session, shows "Link Telegram user Y?" while the code is
    /// [`CodeStatus::Pending`] or [`CodeStatus::Consented`], and commits with
    /// [`Store::consume`].
    fn code_status(
        &self,
        code: &LinkCode,
        now: UnixTime,
    ) -> impl Future<Output = Result<CodeStatus, StoreError>> + Send;

    /// Redeems a verified login link in one atomic step: checks that its Telegram account is
    /// still linked to its website account and chat (and website-confirmed, unless the link
    /// was signed with [`crate::login::LoginLinkKey::dangerous_sign_unconfirmed`]), and records
    /// its single use until it expires; or does neither. Answers the link as stored, or
    /// [`Error::NotLinked`], [`Error::NotWebsiteConfirmed`] or [`Error::LoginLinkUsed`].
    fn redeem_login_link(
        &self,
        claims: &LoginClaims,
        now: UnixTime,
    ) -> impl Future<Output = Result<Link, Error>> + Send;
}

/// Where a code stands.
///
/// While it is [`CodeStatus::Pending`] or [`CodeStatus::Consented`], the website asks its
/// logged-in owner "Link Telegram user Y?". Show Y's name and `@username` next to that
/// question, not only the numeric id: fetch them with the Bot API's `getChat` on
/// `telegram.chat_id()` (the claimer's private chat with the bot). A number tells the owner
/// nothing, and an owner who cannot tell their own Telegram account from a stranger's will
/// confirm the stranger who pressed a forwarded link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeStatus {
    /// Never issued, or purged.
    Unknown,
    /// Past its expiry without being consumed.
    Expired,
    /// Issued, waiting for a `/start`.
    Issued {
        /// The website account it was issued to.
        account: AccountId,
    },
    /// Claimed by a chat, waiting for confirmation.
    Pending {
        /// The website account it was issued to.
        account: AccountId,
        /// The chat that claimed it: show its name (Bot API `getChat`) to the website's owner.
        telegram: TelegramIdentity,
    },
    /// Claimed by a chat that confirmed in Telegram, waiting for the website's confirmation.
    Consented {
        /// The website account it was issued to.
        account: AccountId,
        /// The chat that claimed it and confirmed: show its name (Bot API `getChat`) to the
        /// website's owner.
        telegram: TelegramIdentity,
    },
    /// Declined in the bot by the chat that claimed it: dead.
    Declined {
        /// The website account it was issued to.
        account: AccountId,
        /// The chat that claimed and declined it.
        telegram: TelegramIdentity,
    },
    /// Consumed by a chat.
    Used {
        /// The website account it was issued to.
        account: AccountId,
        /// The chat that consumed it.
        telegram: TelegramIdentity,
    },
}

/// The status a stored code reads as at `now`.
pub(crate) fn status_of(record: Option<CodeRecord>, now: UnixTime) -> CodeStatus {
    let Some(record) = record else {
        return CodeStatus::Unknown;
    };
    let account = record.account;
    match record.state {
        CodeState::Used(telegram) => CodeStatus::Used { account, telegram },
        CodeState::Declined(telegram) => CodeStatus::Declined { account, telegram },
        _ if record.expires_at <= now => CodeStatus::Expired,
        CodeState::Issued => CodeStatus::Issued { account },
        CodeState::Pending(telegram) => CodeStatus::Pending { account, telegram },
        CodeState::Consented(telegram) => CodeStatus::Consented { account, telegram },
    }
}

/// What a mark does to a link's [`Link::inactive_since`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The bot cannot reach the chat since this time.
    Inactive(UnixTime),
    /// The bot can reach the chat again.
    Active,
}

/// The state of a stored code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeState {
    /// Issued, not yet claimed.
    Issued,
    /// Claimed by a chat, waiting for confirmation.
    Pending(TelegramIdentity),
    /// Consumed by a chat.
    Used(TelegramIdentity),
    /// Claimed by a chat that confirmed in Telegram, waiting for the website.
    Consented(TelegramIdentity),
    /// Declined by the chat that claimed it.
    Declined(TelegramIdentity),
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
impl CodeState {
    /// The column encoding: state number and the identity's ids. The numbers are stored:
    /// never renumber them.
    pub(crate) fn columns(self) -> (i16, Option<i64>, Option<i64>) {
        let ids = |who: TelegramIdentity| (Some(who.user_id().0), Some(who.chat_id().0));
        match self {
            Self::Issued => (0, None, None),
            Self::Pending(who) => (1, ids(who).0, ids(who).1),
            Self::Used(who) => (2, ids(who).0, ids(who).1),
            Self::Consented(who) => (3, ids(who).0, ids(who).1),
            Self::Declined(who) => (4, ids(who).0, ids(who).1),
        }
    }

    /// Decodes the column encoding; `None` if it is not one this crate writes.
    pub(crate) fn from_columns(state: i64, user: Option<i64>, chat: Option<i64>) -> Option<Self> {
        let who = || TelegramIdentity::new(UserId(user?), tgauth_core::ChatId(chat?)).ok();
        match state {
            0 => Some(Self::Issued),
            1 => Some(Self::Pending(who()?)),
            2 => Some(Self::Used(who()?)),
            3 => Some(Self::Consented(who()?)),
            4 => Some(Self::Declined(who()?)),
            _ => None,
        }
    }
}

/// A stored code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeRecord {
    pub(crate) account: AccountId,
    pub(crate) expires_at: UnixTime,
    pub(crate) state: CodeState,
}

/// What the chat does to a code with a claim, a consent or a decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimTarget {
    /// Claim it, pending confirmation.
    Pending,
    /// Claim it and confirm in Telegram.
    Consented,
    /// Claim it and decline.
    Declined,
}

impl ClaimTarget {
    /// The code's state once `who` reached this target.
    pub(crate) fn state(self, who: TelegramIdentity) -> CodeState {
        match self {
            Self::Pending => CodeState::Pending(who),
            Self::Consented => CodeState::Consented(who),
            Self::Declined => CodeState::Declined(who),
        }
    }
}

/// The answer to a decline, from what the shared claim path answered: a decline never meets
/// a consumed code there (the claim rules refuse it first).
pub(crate) fn declined(claim: Claim) -> Result<Declined, Error> {
    match claim {
        Claim::Pending { account, repeated } => Ok(Declined { account, repeated }),
        Claim::AlreadyLinked(_) => Err(Error::AlreadyUsed),
    }
}

/// Any backend, chosen at run time from a store URL.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyStore {
    /// `memory://`.
    #[cfg(feature = "memory")]
    Memory(MemoryStore),
    /// `sqlite://path`.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// `postgres://...`.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
    /// `redis://...`.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

/// The default store URL: a SQLite file in the working directory.
pub const DEFAULT_STORE_URL: &str = "sqlite://tgauth.db";

impl AnyStore {
    /// Opens the store a URL names: `memory://`, `sqlite://path`, `postgres://...` or
    /// `redis://...` (also `postgresql://`, `rediss://`).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme)
            .ok_or_else(|| StoreError::Url {
                reason: "expected <scheme>://...".to_owned(),
            })?;
        match scheme {
            "memory" => {
                #[cfg(feature = "memory")]
                return Ok(Self::Memory(MemoryStore::default()));
                #[cfg(not(feature = "memory"))]
                return Err(StoreError::Disabled { backend: "memory" });
            }
            "sqlite" => {
                #[cfg(feature = "sqlite")]
                return Ok(Self::Sqlite(SqliteStore::open(url).await?));
                #[cfg(not(feature = "sqlite"))]
                return Err(StoreError::Disabled { backend: "sqlite" });
            }
            "postgres" | "postgresql" => {
                #[cfg(feature = "postgres")]
                return Ok(Self::Postgres(PostgresStore::open(url).await?));
                #[cfg(not(feature = "postgres"))]
                return Err(StoreError::Disabled {
                    backend: "postgres",
                });
            }
            "redis" | "rediss" => {
                #[cfg(feature = "redis")]
                return Ok(Self::Redis(RedisStore::open(url).await?));
                #[cfg(not(feature = "redis"))]
                return Err(StoreError::Disabled { backend: "redis" });
            }
            other => Err(StoreError::Url {
                reason: format!("unknown scheme `{other}`"),
            }),
        }
    }

    /// Opens the store a URL names, as [`AnyStore::open`] does; a SQLite store's writers take
    /// their turns at `gate`, which the other writers of this process to the same file share
    /// (see [`SqliteWriteGate`]). The other backends do not use it.
    #[cfg(feature = "sqlite")]
    pub async fn open_sharing(url: &str, gate: SqliteWriteGate) -> Result<Self, StoreError> {
        if url.starts_with("sqlite://") {
            Ok(Self::Sqlite(SqliteStore::open_sharing(url, gate).await?))
        } else {
            Self::open(url).await
        }
    }
}

/// Forwards a call to whichever backend an [`AnyStore`] holds.
macro_rules! any_store_dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        // `*self` with `ref` bindings stays exhaustive when no backend feature is on.
        match *$self {
            #[cfg(feature = "memory")]
            AnyStore::Memory(ref $store) => $call,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(ref $store) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(ref $store) => $call,
            #[cfg(feature = "redis")]
            AnyStore::Redis(ref $store) => $call,
        }
    };
}

impl Store for AnyStore {
    async fn insert_code(
        &self,
        hash: &CodeHash,
        account: &AccountId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        any_store_dispatch!(self, s => s.insert_code(hash, account, expires_at, now).await)
    }

    async fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        any_store_dispatch!(self, s => s.claim(code, who, now).await)
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        any_store_dispatch!(self, s => s.consent(code, who, now).await)
    }

    async fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Declined, Error> {
        any_store_dispatch!(self, s => s.decline(code, who, now).await)
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        any_store_dispatch!(self, s => s.consume(code, who, policy, by, now).await)
    }

    async fn links_of_account(&self, account: &AccountId) -> Result<Vec<Link>, StoreError> {
        any_store_dispatch!(self, s => s.links_of_account(account).await)
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.link_of_telegram_user(telegram_user).await)
    }

    async fn mark_link_inactive(
        &self,
        telegram_user: UserId,
        since: UnixTime,
    ) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.mark_link_inactive(telegram_user, since).await)
    }

    async fn mark_link_active(&self, telegram_user: UserId) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.mark_link_active(telegram_user).await)
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.unlink_telegram_user(telegram_user).await)
    }

    async fn unlink_account(&self, account: &AccountId) -> Result<u64, StoreError> {
        any_store_dispatch!(self, s => s.unlink_account(account).await)
    }

    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        any_store_dispatch!(self, s => s.purge_expired(now).await)
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        any_store_dispatch!(self, s => s.code_status(code, now).await)
    }

    async fn redeem_login_link(&self, claims: &LoginClaims, now: UnixTime) -> Result<Link, Error> {
        any_store_dispatch!(self, s => s.redeem_login_link(claims, now).await)
    }
}
