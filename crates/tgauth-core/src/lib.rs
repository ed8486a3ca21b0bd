//! The shared vocabulary of tgauth: what every other crate of the workspace says the same way.
//!
//! - [`BotToken`]: the one validation of a token as @BotFather issues it, redacted in `Debug`
//!   and `Display`, zeroized on drop, compared in constant time.
//! - [`UserId`], [`ChatId`], [`BotId`]: Telegram's numeric ids, one integer type each.
//! - [`UnixTime`] and [`Clock`]: the one form of time, and the one place the wall clock is read
//!   ([`SystemClock`]); tests use a [`FixedClock`].
//! - [`constant_time_eq`]: the one comparison of MACs and secrets.
//! - [`escape_html`], [`encode_uri_component`] and [`decode_form_component`]: the one HTML
//!   escaper and URI codec, on `html-escape` and `percent-encoding`.
//!
//! It depends on no other crate of the workspace, and nothing here does I/O. Think twice before
//! adding anything: every crate compiles it.
//!
//! ```
//! use tgauth_core::{BotId, BotToken, Clock, FixedClock, UnixTime};
//!
//! let token = BotToken::new("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")?;
//! assert_eq!(token.bot_id(), BotId(123456));
//! assert_eq!(format!("{token:?}"), "BotToken(123456:<redacted>)");
//!
//! let clock = FixedClock::new(UnixTime(1_700_000_000));
//! clock.advance(60);
//! assert_eq!(clock.now(), UnixTime(1_700_000_060));
//! # Ok::<(), tgauth_core::Error>(())
//! ```

mod compare;
mod error;
mod id;
mod text;
mod time;
mod token;

pub use compare::constant_time_eq;
pub use error::Error;
pub use id::{BotId, ChatId, UserId};
pub use text::{decode_form_component, encode_uri_component, escape_html};
pub use time::{Clock, FixedClock, SystemClock, UnixTime};
pub use token::BotToken;

/// What redacted values print as, everywhere in the workspace.
pub const REDACTED: &str = "<redacted>";
