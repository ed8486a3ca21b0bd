//! The website's side of deep-link linking: issue a code, show where it stands with the
//! claimer's name, confirm, list and remove links.
//!
//! Under the default confirmation (the bot and the website both confirm) the website shows its
//! logged-in user "Link Telegram user Ada (@ada)?" once a chat has claimed the code. The
//! claimer's name and username come from the Bot API's `getChat` at the time of asking, so the
//! person sees who pressed their link, not a bare number, and a forwarded link pressed by a
//! stranger is recognisable as such.

use bot_api_client::Client;
use deeplink_auth::code::LinkCode;
use deeplink_auth::linker::IssuedLink;
use deeplink_auth::store::{CodeStatus, Link, Linked, Store};
use deeplink_auth::{AccountId, Linker, TelegramIdentity};
use tgauth_core::{UnixTime, UserId};

use crate::Error;

/// Who claimed a code, as far as Telegram tells.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claimer {
    /// The Telegram user and chat.
    pub telegram: TelegramIdentity,
    /// First name (`None` when `getChat` could not be asked).
    pub first_name: Option<String>,
    /// Last name, if any.
    pub last_name: Option<String>,
    /// Username without `@`, if any.
    pub username: Option<String>,
}

impl Claimer {
    /// "First Last (@username)", or the numeric id when nothing else is known.
    pub fn display_name(&self) -> String {
        let name = match (&self.first_name, &self.last_name) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (Some(first), None) => Some(first.clone()),
            _ => None,
        };
        match (name, &self.username) {
            (Some(name), Some(username)) => format!("{name} (@{username})"),
            (Some(name), None) => name,
            (None, Some(username)) => format!("@{username}"),
            (None, None) => format!("Telegram user {}", self.telegram.user_id()),
        }
    }
}

/// Where a code stands, as its owner may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkStatus {
    /// No such code for this account (never issued, purged, or another account's).
    Unknown,
    /// Past its expiry before it was used.
    Expired,
    /// Issued; nobody has pressed it yet.
    Waiting,
    /// A chat claimed it. `bot_confirmed` when the chat also confirmed in the bot; the link is
    /// committed when the website's owner confirms ([`WebsiteLinking::confirm`]).
    Claimed {
        /// Who claimed it.
        claimer: Claimer,
        /// Whether the chat confirmed in the bot.
        bot_confirmed: bool,
    },
    /// The claiming chat declined it.
    Declined,
    /// Used: the link was made.
    Linked {
        /// The chat it was linked to.
        telegram: TelegramIdentity,
    },
}

/// The website's side of linking for one bot.
#[derive(Debug, Clone)]
pub struct WebsiteLinking<S> {
    linker: Linker<S>,
    client: Client,
}

impl<S: Store> WebsiteLinking<S> {
    /// The website's side over `linker`, asking `client` for claimers' names.
    pub fn new(linker: Linker<S>, client: Client) -> Self {
        Self { linker, client }
    }

    /// The linker.
    pub fn linker(&self) -> &Linker<S> {
        &self.linker
    }

    /// Issues a code and its links for the logged-in `account`.
    pub async fn issue(&self, account: &AccountId, now: UnixTime) -> Result<IssuedLink, Error> {
        Ok(self
            .linker
            .issue(account, now)
            .await
            .map_err(deeplink_auth::Error::from)?)
    }

    /// Where `code` stands, for its owner `account` only (another account's code reads as
    /// unknown), with the claimer's name when a chat claimed it.
    pub async fn status(
        &self,
        account: &AccountId,
        code: &LinkCode,
        now: UnixTime,
    ) -> Result<LinkStatus, Error> {
        let status = self
            .linker
            .code_status(code, now)
            .await
            .map_err(deeplink_auth::Error::from)?;
        let owned = |owner: &AccountId| owner == account;
        Ok(match status {
            CodeStatus::Expired => LinkStatus::Expired,
            CodeStatus::Issued { account: owner } if owned(&owner) => LinkStatus::Waiting,
            CodeStatus::Pending {
                account: owner,
                telegram,
            } if owned(&owner) => LinkStatus::Claimed {
                claimer: self.claimer(telegram).await,
                bot_confirmed: false,
            },
            CodeStatus::Consented {
                account: owner,
                telegram,
            } if owned(&owner) => LinkStatus::Claimed {
                claimer: self.claimer(telegram).await,
                bot_confirmed: true,
            },
            CodeStatus::Declined { account: owner, .. } if owned(&owner) => LinkStatus::Declined,
            CodeStatus::Used {
                account: owner,
                telegram,
            } if owned(&owner) => LinkStatus::Linked { telegram },
            _ => LinkStatus::Unknown,
        })
    }

    /// Commits the link a chat claimed with `code`, as the logged-in `account` confirms it.
    pub async fn confirm(
        &self,
        account: &AccountId,
        code: &LinkCode,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        Ok(self.linker.confirm_on_website(account, code, now).await?)
    }

    /// The chats linked to `account`.
    pub async fn links(&self, account: &AccountId) -> Result<Vec<Link>, Error> {
        Ok(self
            .linker
            .store()
            .links_of_account(account)
            .await
            .map_err(deeplink_auth::Error::from)?)
    }

    /// Removes the link of Telegram user `telegram_user` if it belongs to `account`; whether
    /// there was one.
    pub async fn unlink(&self, account: &AccountId, telegram_user: UserId) -> Result<bool, Error> {
        let store = self.linker.store();
        let link = store
            .link_of_telegram_user(telegram_user)
            .await
            .map_err(deeplink_auth::Error::from)?;
        match link {
            Some(link) if &link.account == account => Ok(store
                .unlink_telegram_user(telegram_user)
                .await
                .map_err(deeplink_auth::Error::from)?
                .is_some()),
            _ => Ok(false),
        }
    }

    /// The claimer with their name from `getChat`; without it when Telegram cannot say (the
    /// chat blocked the bot, or the Bot API is unreachable: the id still identifies them).
    async fn claimer(&self, telegram: TelegramIdentity) -> Claimer {
        let mut claimer = Claimer {
            telegram,
            first_name: None,
            last_name: None,
            username: None,
        };
        match self.client.chat(telegram.chat_id()).await {
            Ok(chat) => {
                claimer.first_name = chat.first_name;
                claimer.last_name = chat.last_name;
                claimer.username = chat.username;
            }
            Err(error) => {
                tracing::debug!(%error, "getChat for a claimer failed; showing the id only");
            }
        }
        claimer
    }
}
