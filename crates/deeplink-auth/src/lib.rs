//! Deep-link account linking: bind a Telegram chat to a website account through a one-time code
//! in `https://t.me/<bot>?start=<code>`, and send linked people signed one-time login links.
//!
//! - [`code`]: one-time codes from the OS CSPRNG, stored only as their SHA-256.
//! - [`link`]: `t.me` and `tg://` link builders and payload validation.
//! - [`start`]: parsing `/start <code>` and the checked identity of a private chat.
//! - [`store`]: the [`Store`] trait and its backends (memory, SQLite, PostgreSQL, Redis).
//! - [`linker`]: the flow on top: issue, `/start`, confirmation, policies.
//! - [`login`]: signed, expiring, single-use login links (the reverse flow).
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "memory")]
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use deeplink_auth::{
//!     BotUsername, Confirmed, Linker, MemoryStore, StartMessage, StartOutcome, UnixTime, UserId,
//! };
//!
//! let bot = BotUsername::new("tgauth_demo_bot")?;
//! let linker = Linker::new(MemoryStore::default(), bot);
//! let now = UnixTime(1_700_000_000);
//!
//! // The website issues a code for its logged-in user and shows the link.
//! let issued = linker.issue(&UserId::new("alice")?, now).await?;
//! assert!(issued.url.starts_with("https://t.me/tgauth_demo_bot?start="));
//!
//! // The bot receives `/start <code>` in a private chat and asks for confirmation.
//! let message = StartMessage {
//!     chat_id: 42,
//!     chat_type: "private".to_owned(),
//!     user_id: Some(42),
//!     text: format!("/start {}", issued.code.expose()),
//! };
//! let outcome = linker.handle_start(&message, now).await?;
//! assert!(matches!(outcome, StartOutcome::ConfirmationNeeded { .. }));
//!
//! // The person presses "Link": the link is committed.
//! let confirmed = linker.confirm(&issued.code, message.identity()?, now).await?;
//! let Confirmed::Linked(linked) = confirmed else { panic!("{confirmed:?}") };
//! assert_eq!(linked.link.user.as_str(), "alice");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # What the design rules out
//!
//! - **Guessable or reusable codes**: 192 bits from the OS CSPRNG; single use, enforced
//!   atomically by the store (of concurrent consumers exactly one wins).
//! - **Codes in a leaked database or in logs**: stores keep SHA-256 only; [`LinkCode`] has a
//!   redacted `Debug` and no `Display`.
//! - **Binding a chat id the client chose**: identities come from the bot's update through
//!   [`StartMessage::identity`] (private chats only, chat id = user id); numeric ids, never the
//!   mutable, recyclable `@username`.
//! - **A person pressing someone else's code** (an attacker sends a victim the link to the
//!   attacker's account) and **a forwarded or leaked link pressed by the wrong person**: a
//!   claimed code belongs to the first chat that claimed it, and the link waits for
//!   confirmation (on by default). The bot asking the chat "Link to account X?"
//!   ([`StartOutcome::ConfirmationNeeded`], [`Linker::confirm`]) stops the first attack; the
//!   website asking the code's logged-in owner "Link Telegram user Y?"
//!   ([`Linker::code_status`], [`Linker::confirm_on_website`]) stops the second;
//!   [`Confirmation::BotAndWebsite`] asks both and stops both. The default,
//!   [`Confirmation::Bot`], refuses the website's confirmation so that a site owner cannot
//!   link a chat that did not agree.
//! - **Errors on redelivered webhooks**: a `/start` the same chat already consumed reads
//!   "already linked" ([`LinkOutcome::AlreadyLinked`]).
//! - **Silently moving an account**: a Telegram account linked to another website user is
//!   refused by default ([`store::OnConflict`]); several Telegram accounts per website user are
//!   allowed unless [`store::ChatsPerUser::One`].
//!
//! # Durability
//!
//! SQLite (WAL, `synchronous=NORMAL`) survives a crash of the process with every committed link;
//! a power loss can drop the last commits, never consistency. PostgreSQL commits durably. Redis
//! keeps links only as durably as its persistence: run it with `appendonly yes`.
//!
//! # Crate features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `memory` | on | [`MemoryStore`] |
//! | `sqlite` | on | `SqliteStore`: a file, WAL, `synchronous=NORMAL`, migrations applied at open |
//! | `postgres` | off | `PostgresStore`: several servers sharing one database |
//! | `redis` | off | `RedisStore`: codes with native TTL; links durable only with AOF on |

pub mod code;
mod error;
mod ids;
pub mod link;
pub mod linker;
pub mod login;
pub mod start;
pub mod store;

pub use code::{CodeHash, LinkCode};
pub use error::{BoxError, InputError, LinkError, StoreError};
pub use ids::{ChatId, TelegramIdentity, TelegramUserId, Ttl, UnixTime, UserId};
pub use link::BotUsername;
pub use linker::{Confirmation, Confirmed, IssuedLink, Linker, StartOutcome};
pub use login::{LoginClaims, LoginLinkKey};
pub use start::{StartCommand, StartMessage, parse_start};
#[cfg(feature = "memory")]
pub use store::MemoryStore;
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{AnyStore, Claim, CodeStatus, Link, LinkOutcome, LinkPolicy, Linked, Store};
