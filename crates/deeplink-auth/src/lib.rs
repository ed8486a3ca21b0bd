//! Deep-link account linking: bind a Telegram chat to a website account through a one-time code
//! in `https://t.me/<bot>?start=<code>`, and send linked people signed one-time login links.
//!
//! The crate root holds the flow ([`Linker`]), the names it joins ([`AccountId`],
//! [`TelegramIdentity`], [`BotUsername`], [`Ttl`]) and the errors; the modules hold the rest:
//!
//! - [`linker`]: the flow's settings and answers (who confirms, what the bot and the website
//!   show).
//! - [`code`]: one-time codes from the OS CSPRNG, stored only as their SHA-256.
//! - [`link`]: `t.me` and `tg://` link builders and payload validation.
//! - [`start`]: parsing `/start <code>` and the checked identity of a private chat.
//! - [`store`]: the [`store::Store`] trait and its backends (memory, SQLite, PostgreSQL,
//!   Redis), links (active, or inactive since the bot learned it cannot reach the chat) and
//!   code states.
//! - [`login`]: signed, expiring, single-use login links (the reverse flow).
//!
//! Telegram's ids and time are [`tgauth_core`]'s ([`tgauth_core::UserId`],
//! [`tgauth_core::ChatId`], [`tgauth_core::UnixTime`]); every operation takes `now` as a
//! parameter (read it from a [`tgauth_core::Clock`]).
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "memory")]
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use deeplink_auth::store::{CodeStatus, MemoryStore};
//! use deeplink_auth::start::StartMessage;
//! use deeplink_auth::tgauth_core::{ChatId, UnixTime, UserId};
//! use deeplink_auth::linker::{Confirmed, StartOutcome};
//! use deeplink_auth::{AccountId, BotUsername, Linker};
//!
//! let bot = BotUsername::new("tgauth_demo_bot")?;
//! let linker = Linker::new(MemoryStore::default(), bot);
//! let now = UnixTime(1_700_000_000);
//! let alice = AccountId::new("alice")?;
//!
//! // The website issues a code for its logged-in account and shows the link.
//! let issued = linker.issue(&alice, now).await?;
//! assert!(issued.url.starts_with("https://t.me/tgauth_demo_bot?start="));
//!
//! // The bot receives `/start <code>` in a private chat and asks for confirmation.
//! let message = StartMessage {
//!     chat_id: ChatId(42),
//!     chat_type: "private".to_owned(),
//!     user_id: Some(UserId(42)),
//!     text: format!("/start {}", issued.code.expose()),
//! };
//! let outcome = linker.handle_start(&message, now).await?;
//! assert!(matches!(outcome, StartOutcome::ConfirmationNeeded { .. }));
//!
//! // The person presses "Link": the chat's consent is recorded.
//! let confirmed = linker.confirm(&issued.code, message.identity()?, now).await?;
//! assert_eq!(confirmed, Confirmed::AwaitingWebsite { account: alice.clone() });
//!
//! // The website shows its logged-in owner who claimed the code, and the owner confirms.
//! let CodeStatus::Consented { telegram, .. } = linker.code_status(&issued.code, now).await?
//! else {
//!     panic!("the chat consented")
//! };
//! assert_eq!(telegram.user_id(), UserId(42));
//! let linked = linker.confirm_on_website(&alice, &issued.code, now).await?;
//! assert_eq!(linked.link.account, alice);
//! assert!(linked.link.website_confirmed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # What the design rules out
//!
//! - **Guessable or reusable codes**: 192 bits from the OS CSPRNG; single use, enforced
//!   atomically by the store (of concurrent consumers exactly one wins).
//! - **Codes in a leaked database or in logs**: stores keep SHA-256 only; [`code::LinkCode`]
//!   has a redacted `Debug` and no `Display`, and [`start::StartMessage`]'s `Debug` shows no
//!   more of the text than a command word.
//! - **Binding a chat id the client chose**: identities come from the bot's update through
//!   [`start::StartMessage::identity`] (private chats only, chat id = user id); numeric ids,
//!   never the mutable, recyclable `@username`.
//! - **A person pressing someone else's code** (an attacker sends a victim the link to the
//!   attacker's account) and **a forwarded or leaked link pressed by the wrong person**: a
//!   claimed code belongs to the first chat that claimed it, and by default the link waits
//!   for two confirmations ([`linker::Confirmation::BotAndWebsite`]). The bot asking the chat "Link
//!   to account X?" ([`linker::StartOutcome::ConfirmationNeeded`], [`Linker::confirm`], or
//!   [`Linker::decline`]) stops the first attack; the website asking the code's logged-in
//!   owner "Link Telegram user Y?", with Y's name ([`Linker::code_status`],
//!   [`Linker::confirm_on_website`]), stops the second. [`linker::Confirmation::Bot`] and
//!   [`linker::Confirmation::Website`] each stop one of them only.
//! - **Account takeover through a login link**: [`login::LoginLinkKey::sign`] signs only for
//!   links the website's owner confirmed ([`store::Link::website_confirmed`]), and
//!   [`login::redeem`] checks, in one atomic store step with recording the single use, that
//!   the link still stands and is still confirmed; a link the bot committed alone gets login
//!   links only through [`login::LoginLinkKey::dangerous_sign_unconfirmed`].
//! - **Errors on redelivered webhooks**: a `/start` the same chat already consumed reads
//!   "already linked" ([`store::LinkOutcome::AlreadyLinked`]); a repeated decline reads
//!   `repeated`.
//! - **Silently moving an account**: a Telegram account linked to another website account is
//!   refused by default ([`store::OnConflict`]); several Telegram accounts per website
//!   account are allowed unless [`store::ChatsPerAccount::One`].
//!
//! # Durability
//!
//! SQLite (WAL, `synchronous=NORMAL`) survives a crash of the process with every committed link;
//! a power loss can drop the last commits, never consistency. PostgreSQL commits durably. Redis
//! keeps links only as durably as its persistence: run it with `appendonly yes`. The SQL
//! schemas change only by forward migrations (`migrations/sqlite`, `migrations/postgres`),
//! applied at open.
//!
//! # Crate features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `memory` | on | `store::MemoryStore` |
//! | `sqlite` | on | `store::SqliteStore`: a file, WAL, `synchronous=NORMAL`, migrations applied at open |
//! | `postgres` | off | `store::PostgresStore`: several servers sharing one database |
//! | `redis` | off | `store::RedisStore`: codes with native TTL; links durable only with AOF on |

pub mod code;
mod error;
mod ids;
pub mod link;
pub mod linker;
pub mod login;
pub mod start;
pub mod store;

pub use error::{Error, InputError};
pub use ids::{AccountId, BotUsername, TelegramIdentity, Ttl};
pub use linker::flow::Linker;
pub use tgauth_core;
