//! The `Store` trait: issue and atomically consume codes, links by website and Telegram user,
//! unlink, purge, and single use of login links; with one backend per cargo feature.
//!
//! | URL | backend | feature |
//! |---|---|---|
//! | `memory://` | [`MemoryStore`] | `memory` |
//! | `sqlite://path` (default `sqlite://tgauth.db`) | [`SqliteStore`] | `sqlite` (default) |
//! | `postgres://...` | [`PostgresStore`] | `postgres` |
//! | `redis://...` | [`RedisStore`] | `redis` |
//!
//! Every backend runs the same conformance suite (`tests/it/conformance.rs`).

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

use crate::code::{CodeHash, LinkCode};
use crate::error::{LinkError, StoreError};
use crate::ids::{TelegramIdentity, TelegramUserId, Ttl, UnixTime, UserId};

#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
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
pub use sqlite::SqliteStore;

/// How long a consumed code's record is kept after its expiry, so that a redelivered `/start`
/// still reads "already linked": one day, longer than Telegram retries a webhook.
pub const USED_CODE_RETENTION_SECONDS: i64 = 86_400;

/// A link between a website user and a Telegram private chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The website account.
    pub user: UserId,
    /// The Telegram user and their private chat with the bot.
    pub telegram: TelegramIdentity,
    /// When the link was made.
    pub linked_at: UnixTime,
}

/// How a successful consume changed the links.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkOutcome {
    /// A new link.
    New,
    /// The same link already existed (a redelivered `/start`, or the same person linking again).
    AlreadyLinked,
    /// The Telegram account moved from another website user ([`OnConflict::Move`]).
    Moved {
        /// The website user it was linked to before.
        from: UserId,
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
        /// The website user the code was issued to.
        user: UserId,
        /// Whether this chat had already claimed it (a redelivered `/start`).
        repeated: bool,
    },
    /// This chat already consumed the code and the link stands.
    AlreadyLinked(Link),
}

/// What happens when a Telegram account already linked to another website user consumes a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Refuse with [`LinkError::Conflict`]; the code stays unused (the default).
    #[default]
    Reject,
    /// Move the Telegram account to the new website user.
    Move,
}

/// How many Telegram accounts one website user may link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatsPerUser {
    /// Any number (the default).
    #[default]
    Many,
    /// One: a new link replaces the user's others.
    One,
}

/// The rules a consume applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkPolicy {
    /// A Telegram account linked to someone else.
    pub on_conflict: OnConflict,
    /// Several Telegram accounts per website user.
    pub chats_per_user: ChatsPerUser,
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
/// Implementations make [`Store::claim`], [`Store::consume`] and [`Store::use_login_link`]
/// atomic: of concurrent callers with one code, exactly one wins. Failures leave nothing
/// half-written. Stores are cheap to clone and share one backend connection pool.
pub trait Store: Send + Sync {
    /// Issues a fresh code for `user`, valid for `ttl` from `now`.
    fn issue(
        &self,
        user: &UserId,
        ttl: Ttl,
        now: UnixTime,
    ) -> impl Future<Output = Result<IssuedCode, StoreError>> + Send {
        async move {
            let code = LinkCode::generate().map_err(|_| StoreError::Random)?;
            let expires_at = now.plus(ttl.seconds());
            self.insert_code(&code.hash(), user, expires_at, now)
                .await?;
            Ok(IssuedCode { code, expires_at })
        }
    }

    /// Stores a code's hash for `user` until `expires_at` (`now` sets real TTLs where the
    /// backend has them).
    fn insert_code(
        &self,
        hash: &CodeHash,
        user: &UserId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Claims a code for `who` pending confirmation: no other chat can use it afterwards.
    fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> impl Future<Output = Result<Claim, LinkError>> + Send;

    /// Records that `who` confirmed the link in Telegram (claiming the code first if nobody
    /// has): [`CodeStatus::Consented`], waiting for the website's confirmation. Answers like
    /// [`Store::claim`]; `repeated` when `who` had already consented.
    fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> impl Future<Output = Result<Claim, LinkError>> + Send;

    /// Consumes a code (fresh, or claimed by `who`) and commits the link under `policy`, in
    /// one atomic step. A repeat by the chat that consumed it answers
    /// [`LinkOutcome::AlreadyLinked`]; on [`LinkError::Conflict`] the code stays as it was.
    fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        now: UnixTime,
    ) -> impl Future<Output = Result<Linked, LinkError>> + Send;

    /// The Telegram accounts linked to `user`, ordered by Telegram user id.
    fn links_of_user(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Vec<Link>, StoreError>> + Send;

    /// The link of a Telegram account, if any.
    fn link_of_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Removes the link of a Telegram account, returning it.
    fn unlink_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> impl Future<Output = Result<Option<Link>, StoreError>> + Send;

    /// Removes every link of a website user, returning how many there were.
    fn unlink_user(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes expired codes (consumed ones after [`USED_CODE_RETENTION_SECONDS`]) and expired
    /// login-link records, returning how many records went. Redis expires them natively.
    fn purge_expired(&self, now: UnixTime) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Where a code stands, for the website's side of the confirmation: the site keeps the
    /// code it issued in its user's session, shows "Link Telegram user Y?" while the code is
    /// [`CodeStatus::Pending`], and commits with [`Store::consume`].
    fn code_status(
        &self,
        code: &LinkCode,
        now: UnixTime,
    ) -> impl Future<Output = Result<CodeStatus, StoreError>> + Send;

    /// Records the single use of a login link identified by `id`, kept until `expires_at`;
    /// [`LinkError::AlreadyUsed`] if it was used before.
    fn use_login_link(
        &self,
        id: &CodeHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), LinkError>> + Send;
}

/// Where a code stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeStatus {
    /// Never issued, or purged.
    Unknown,
    /// Past its expiry without being consumed.
    Expired,
    /// Issued, waiting for a `/start`.
    Issued {
        /// The website user it was issued to.
        user: UserId,
    },
    /// Claimed by a chat, waiting for confirmation.
    Pending {
        /// The website user it was issued to.
        user: UserId,
        /// The chat that claimed it.
        telegram: TelegramIdentity,
    },
    /// Claimed by a chat that confirmed in Telegram, waiting for the website's confirmation.
    Consented {
        /// The website user it was issued to.
        user: UserId,
        /// The chat that claimed it and confirmed.
        telegram: TelegramIdentity,
    },
    /// Consumed by a chat.
    Used {
        /// The website user it was issued to.
        user: UserId,
        /// The chat that consumed it.
        telegram: TelegramIdentity,
    },
}

/// The status a stored code reads as at `now`.
pub(crate) fn status_of(record: Option<CodeRecord>, now: UnixTime) -> CodeStatus {
    let Some(record) = record else {
        return CodeStatus::Unknown;
    };
    match record.state {
        CodeState::Used(telegram) => CodeStatus::Used {
            user: record.user,
            telegram,
        },
        _ if record.expires_at <= now => CodeStatus::Expired,
        CodeState::Issued => CodeStatus::Issued { user: record.user },
        CodeState::Pending(telegram) => CodeStatus::Pending {
            user: record.user,
            telegram,
        },
        CodeState::Consented(telegram) => CodeStatus::Consented {
            user: record.user,
            telegram,
        },
    }
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
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
impl CodeState {
    /// The column encoding: state number and the identity's ids.
    pub(crate) fn columns(self) -> (i16, Option<i64>, Option<i64>) {
        match self {
            Self::Issued => (0, None, None),
            Self::Pending(who) => (1, Some(who.user_id().0), Some(who.chat_id().0)),
            Self::Used(who) => (2, Some(who.user_id().0), Some(who.chat_id().0)),
            Self::Consented(who) => (3, Some(who.user_id().0), Some(who.chat_id().0)),
        }
    }

    /// Decodes the column encoding; `None` if it is not one this crate writes.
    pub(crate) fn from_columns(state: i64, user: Option<i64>, chat: Option<i64>) -> Option<Self> {
        let who = || TelegramIdentity::new(TelegramUserId(user?), crate::ids::ChatId(chat?)).ok();
        match state {
            0 => Some(Self::Issued),
            1 => Some(Self::Pending(who()?)),
            2 => Some(Self::Used(who()?)),
            3 => Some(Self::Consented(who()?)),
            _ => None,
        }
    }
}

/// A stored code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeRecord {
    pub(crate) user: UserId,
    pub(crate) expires_at: UnixTime,
    pub(crate) state: CodeState,
}

/// What a consume must do after reading the code.
#[derive(Debug)]
pub(crate) enum ConsumeStep {
    /// Link the code's user (then mark the code used).
    Link,
    /// The chat already consumed it: answer with the current link if it stands.
    Repeat,
}

/// The consume rules over a code read under lock.
pub(crate) fn decide_consume(
    record: Option<&CodeRecord>,
    who: TelegramIdentity,
    now: UnixTime,
) -> Result<ConsumeStep, LinkError> {
    let record = record.ok_or(LinkError::Unknown)?;
    match record.state {
        CodeState::Issued if record.expires_at <= now => Err(LinkError::Expired),
        CodeState::Issued => Ok(ConsumeStep::Link),
        CodeState::Pending(by) | CodeState::Consented(by) if by != who => {
            Err(LinkError::AlreadyUsed)
        }
        CodeState::Pending(_) | CodeState::Consented(_) if record.expires_at <= now => {
            Err(LinkError::Expired)
        }
        CodeState::Pending(_) | CodeState::Consented(_) => Ok(ConsumeStep::Link),
        CodeState::Used(by) if by == who => Ok(ConsumeStep::Repeat),
        CodeState::Used(_) => Err(LinkError::AlreadyUsed),
    }
}

/// The answer to a repeated consume, given the current link of the chat's Telegram user.
pub(crate) fn repeat_answer(
    record_user: &UserId,
    current: Option<Link>,
) -> Result<Linked, LinkError> {
    match current {
        Some(link) if &link.user == record_user => Ok(Linked {
            link,
            outcome: LinkOutcome::AlreadyLinked,
        }),
        // Unlinked (or moved) since: the code does not resurrect the old link.
        _ => Err(LinkError::AlreadyUsed),
    }
}

/// What a claim (or a consent) must do after reading the code.
#[derive(Debug)]
pub(crate) enum ClaimStep {
    /// Set the code's state to the target (pending, or consented) for the chat.
    Mark(CodeState),
    /// Already pending (or consented) for this chat.
    AlreadyPending,
    /// Already consumed by this chat: answer with the link if it stands.
    Repeat,
}

/// The claim rules over a code read under lock; with `consent`, the chat also confirms (the
/// code moves on to [`CodeState::Consented`]).
pub(crate) fn decide_claim(
    record: Option<&CodeRecord>,
    who: TelegramIdentity,
    now: UnixTime,
    consent: bool,
) -> Result<ClaimStep, LinkError> {
    let record = record.ok_or(LinkError::Unknown)?;
    let target = if consent {
        CodeState::Consented(who)
    } else {
        CodeState::Pending(who)
    };
    match record.state {
        CodeState::Issued if record.expires_at <= now => Err(LinkError::Expired),
        CodeState::Issued => Ok(ClaimStep::Mark(target)),
        CodeState::Pending(by) | CodeState::Consented(by) if by != who => {
            Err(LinkError::AlreadyUsed)
        }
        CodeState::Pending(_) | CodeState::Consented(_) if record.expires_at <= now => {
            Err(LinkError::Expired)
        }
        CodeState::Pending(_) if consent => Ok(ClaimStep::Mark(target)),
        CodeState::Pending(_) | CodeState::Consented(_) => Ok(ClaimStep::AlreadyPending),
        CodeState::Used(by) if by == who => Ok(ClaimStep::Repeat),
        CodeState::Used(_) => Err(LinkError::AlreadyUsed),
    }
}

/// What writing a link must do, given the Telegram account's current link.
#[derive(Debug)]
pub(crate) enum PutStep {
    /// Insert a new link.
    Insert,
    /// The same user already holds it: refresh the chat id, keep `linked_at`.
    Same(Link),
    /// Move it from another user.
    Move(UserId),
}

/// The conflict rules.
pub(crate) fn decide_put(
    existing: Option<Link>,
    user: &UserId,
    policy: LinkPolicy,
) -> Result<PutStep, LinkError> {
    match existing {
        None => Ok(PutStep::Insert),
        Some(link) if &link.user == user => Ok(PutStep::Same(link)),
        Some(link) => match policy.on_conflict {
            OnConflict::Reject => Err(LinkError::Conflict),
            OnConflict::Move => Ok(PutStep::Move(link.user)),
        },
    }
}

/// The link and outcome a [`PutStep`] produces.
pub(crate) fn put_result(
    step: PutStep,
    user: &UserId,
    who: TelegramIdentity,
    now: UnixTime,
) -> Linked {
    match step {
        PutStep::Insert => Linked {
            link: Link {
                user: user.clone(),
                telegram: who,
                linked_at: now,
            },
            outcome: LinkOutcome::New,
        },
        PutStep::Same(link) => Linked {
            link: Link {
                telegram: who,
                ..link
            },
            outcome: LinkOutcome::AlreadyLinked,
        },
        PutStep::Move(from) => Linked {
            link: Link {
                user: user.clone(),
                telegram: who,
                linked_at: now,
            },
            outcome: LinkOutcome::Moved { from },
        },
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
        user: &UserId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        any_store_dispatch!(self, s => s.insert_code(hash, user, expires_at, now).await)
    }

    async fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, LinkError> {
        any_store_dispatch!(self, s => s.claim(code, who, now).await)
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, LinkError> {
        any_store_dispatch!(self, s => s.consent(code, who, now).await)
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        now: UnixTime,
    ) -> Result<Linked, LinkError> {
        any_store_dispatch!(self, s => s.consume(code, who, policy, now).await)
    }

    async fn links_of_user(&self, user: &UserId) -> Result<Vec<Link>, StoreError> {
        any_store_dispatch!(self, s => s.links_of_user(user).await)
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.link_of_telegram_user(telegram_user).await)
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> Result<Option<Link>, StoreError> {
        any_store_dispatch!(self, s => s.unlink_telegram_user(telegram_user).await)
    }

    async fn unlink_user(&self, user: &UserId) -> Result<u64, StoreError> {
        any_store_dispatch!(self, s => s.unlink_user(user).await)
    }

    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        any_store_dispatch!(self, s => s.purge_expired(now).await)
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        any_store_dispatch!(self, s => s.code_status(code, now).await)
    }

    async fn use_login_link(
        &self,
        id: &CodeHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), LinkError> {
        any_store_dispatch!(self, s => s.use_login_link(id, expires_at, now).await)
    }
}
