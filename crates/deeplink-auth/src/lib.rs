//! Deep-link account linking: bind a Telegram chat to a website account through a one-time code
//! in `https://t.me/<bot>?start=<code>`.
//!
//! - [`code`]: one-time codes from the OS CSPRNG, stored only as their SHA-256.
//! - [`link`]: `t.me` and `tg://` link builders and payload validation.
//! - [`start`]: parsing `/start <code>` from a message.
//! - [`store`]: the `Store` trait and its backends (memory, SQLite, PostgreSQL, Redis).

pub mod code;
pub mod link;
pub mod start;
pub mod store;
