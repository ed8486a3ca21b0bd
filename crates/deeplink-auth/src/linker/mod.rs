//! The linking flow's settings and answers: who confirms a link ([`Confirmation`]), what the
//! bot answers ([`StartOutcome`], [`Confirmed`]) and what the website shows ([`IssuedLink`]).
//! The flow itself is [`crate::Linker`].

use tgauth_core::UnixTime;

use crate::code::LinkCode;
use crate::ids::AccountId;
use crate::store::Linked;

pub(crate) mod flow;

/// A code issued for a website account, with the links to show. `Debug` redacts the code and
/// both URLs (they carry it).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedLink {
    /// The code (secret; redacted in `Debug`).
    pub code: LinkCode,
    /// `https://t.me/<bot>?start=<code>` (show it, and as a QR code).
    pub url: String,
    /// `tg://resolve?domain=<bot>&start=<code>` (opens the app directly).
    pub app_url: String,
    /// When the code stops working.
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for IssuedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedLink")
            .field("code", &self.code)
            .field("url", &tgauth_core::REDACTED)
            .field("app_url", &tgauth_core::REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What the bot should answer to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartOutcome {
    /// Not a `/start` for this bot: not ours to answer.
    Ignored,
    /// `/start` outside a private chat: links are made in private chats only (no store access).
    NotPrivate,
    /// `/start` without a well-formed code (no store access): greet, offer to link from the site.
    Welcome,
    /// Ask "Link this Telegram account to `account`?" with two buttons carrying the code;
    /// answer "Link" with [`crate::Linker::confirm`] and "Cancel" with [`crate::Linker::decline`].
    /// `repeated` when this chat already saw the question.
    ConfirmationNeeded {
        /// The website account the code belongs to.
        account: AccountId,
        /// The code, for the buttons' callback data (secret).
        code: LinkCode,
        /// Whether this is a redelivered `/start`.
        repeated: bool,
    },
    /// [`Confirmation::Website`]: tell the person to confirm on the website, where `account`
    /// is logged in ([`crate::Linker::confirm_on_website`] commits). `repeated` for a redelivered
    /// `/start`.
    AwaitingWebsite {
        /// The website account the code belongs to.
        account: AccountId,
        /// Whether this is a redelivered `/start`.
        repeated: bool,
    },
    /// Linked (confirmation off), or already linked by this chat (a redelivered `/start`).
    Linked(Linked),
}

/// Who confirms a link before it is committed.
///
/// Two attacks need two different confirmations. A person tricked into pressing someone else's
/// code (the link to an attacker's account) is stopped by the bot asking that person "Link to
/// account X?". A forwarded or leaked link pressed by the wrong person is stopped by the
/// website asking its logged-in owner "Link Telegram user Y?" (show Y's name: see
/// [`crate::store::CodeStatus`]). Only [`Confirmation::BotAndWebsite`], the default, stops both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Confirmation {
    /// The chat confirms in the bot, and that commits; the website cannot commit, so a site
    /// owner cannot link a chat that did not agree. A forwarded link pressed by the wrong
    /// person links them: links made this way are not website-confirmed, and login links are
    /// not signed for them without [`crate::login::LoginLinkKey::dangerous_sign_unconfirmed`].
    Bot,
    /// The website's logged-in owner of the code confirms the chat that claimed it, and that
    /// commits; the bot only tells the person to go back to the website.
    Website,
    /// The chat confirms in the bot, then the website's owner confirms, and that commits (the
    /// default).
    #[default]
    BotAndWebsite,
}

/// What [`crate::Linker::confirm`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Confirmed {
    /// The link is committed (or stood already).
    Linked(Linked),
    /// The chat's consent is recorded; the website's owner `account` confirms next.
    AwaitingWebsite {
        /// The website account the code belongs to.
        account: AccountId,
    },
}
