//! The linking flow on top of a [`Store`]: issue a code and its link, handle `/start`, ask for
//! confirmation (by the bot and the website by default), take a decline, apply the conflict
//! policy.

use tgauth_core::UnixTime;

use super::{Confirmation, Confirmed, IssuedLink, StartOutcome};
use crate::code::LinkCode;
use crate::error::{Error, StoreError};
use crate::ids::{AccountId, BotUsername, TelegramIdentity, Ttl};
use crate::link::{code_url, tg_code_url};
use crate::start::{StartCommand, StartMessage, parse_start};
use crate::store::{
    Claim, CodeStatus, CommittedBy, Declined, LinkOutcome, LinkPolicy, Linked, Store,
};

/// The linking flow for one bot over a store.
#[derive(Debug, Clone)]
pub struct Linker<S> {
    store: S,
    bot: BotUsername,
    policy: LinkPolicy,
    code_ttl: Ttl,
    /// `None`: commits on `/start` (dangerous).
    confirmation: Option<Confirmation>,
}

impl<S: Store> Linker<S> {
    /// A linker with the defaults: codes live an hour, the chat confirms in the bot and then
    /// the website's logged-in owner confirms the chat ([`Confirmation::BotAndWebsite`]: a
    /// forwarded link pressed by the wrong person and a person tricked into pressing someone
    /// else's link both end unlinked), conflicts are rejected.
    pub fn new(store: S, bot: BotUsername) -> Self {
        Self {
            store,
            bot,
            policy: LinkPolicy::default(),
            code_ttl: Ttl::CODE_DEFAULT,
            confirmation: Some(Confirmation::default()),
        }
    }

    /// Sets who confirms a link before it is committed.
    pub fn with_confirmation(mut self, confirmation: Confirmation) -> Self {
        self.confirmation = Some(confirmation);
        self
    }

    /// Sets the conflict and chats-per-account policy.
    pub fn with_policy(mut self, policy: LinkPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets how long codes live.
    pub fn with_code_ttl(mut self, ttl: Ttl) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// Commits links on `/start` without asking anyone. This gives up both defences: a person
    /// tricked into pressing someone else's link, and whoever presses a forwarded or leaked
    /// link first, are linked at once (and not website-confirmed).
    pub fn dangerous_without_confirmation(mut self) -> Self {
        self.confirmation = None;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The bot.
    pub fn bot(&self) -> &BotUsername {
        &self.bot
    }

    /// Issues a code for a logged-in website account.
    pub async fn issue(
        &self,
        account: &AccountId,
        now: UnixTime,
    ) -> Result<IssuedLink, StoreError> {
        let issued = self.store.issue(account, self.code_ttl, now).await?;
        Ok(IssuedLink {
            url: code_url(&self.bot, &issued.code),
            app_url: tg_code_url(&self.bot, &issued.code),
            code: issued.code,
            expires_at: issued.expires_at,
        })
    }

    /// Handles a message the bot received. Only a `/start <code>` from a private chat reaches
    /// the store; the identity comes from the update, never from the website's client.
    pub async fn handle_start(
        &self,
        message: &StartMessage,
        now: UnixTime,
    ) -> Result<StartOutcome, Error> {
        let code = match parse_start(&message.text, &self.bot) {
            StartCommand::NotStart | StartCommand::NotForUs => return Ok(StartOutcome::Ignored),
            StartCommand::NoCode => return Ok(StartOutcome::Welcome),
            StartCommand::Code(code) => code,
        };
        let Ok(who) = message.identity() else {
            return Ok(StartOutcome::NotPrivate);
        };
        let Some(confirmation) = self.confirmation else {
            let linked = self
                .store
                .consume(&code, who, self.policy, CommittedBy::Chat, now)
                .await?;
            return Ok(StartOutcome::Linked(linked));
        };
        match self.store.claim(&code, who, now).await? {
            Claim::Pending { account, repeated } if confirmation == Confirmation::Website => {
                Ok(StartOutcome::AwaitingWebsite { account, repeated })
            }
            Claim::Pending { account, repeated } => Ok(StartOutcome::ConfirmationNeeded {
                account,
                code,
                repeated,
            }),
            Claim::AlreadyLinked(link) => Ok(StartOutcome::Linked(Linked {
                link,
                outcome: LinkOutcome::AlreadyLinked,
            })),
        }
    }

    /// The website's side of the confirmation: where the code it issued (kept in its user's
    /// session) stands. While it is [`CodeStatus::Consented`] ([`Confirmation::BotAndWebsite`])
    /// or [`CodeStatus::Pending`] ([`Confirmation::Website`]), show "Link Telegram user Y?"
    /// with Y's name and `@username` (the Bot API's `getChat` on the claimer's chat id) and
    /// commit with [`Linker::confirm_on_website`]; [`CodeStatus::Declined`] means the chat
    /// said no.
    pub async fn code_status(
        &self,
        code: &LinkCode,
        now: UnixTime,
    ) -> Result<CodeStatus, StoreError> {
        self.store.code_status(code, now).await
    }

    /// Commits the link a chat claimed with `code`, when the website's logged-in `account`
    /// confirms "Link Telegram user Y?". This is the step that defeats a forwarded or leaked
    /// link: whoever pressed Start with it cannot answer on the website as `account`. The
    /// link is recorded as website-confirmed ([`crate::store::Link::website_confirmed`]).
    ///
    /// [`Error::Unknown`] if no chat has claimed the code yet, or if it was issued to another
    /// website account (the code's owner alone confirms it); [`Error::Declined`] if the chat
    /// declined; [`Error::NotConfirmed`] when the chat has not confirmed in the bot yet
    /// ([`Confirmation::BotAndWebsite`]), and always under [`Confirmation::Bot`] (there the
    /// chat's confirmation commits, and a site owner must not link a chat that did not agree).
    pub async fn confirm_on_website(
        &self,
        account: &AccountId,
        code: &LinkCode,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        let status = self.store.code_status(code, now).await?;
        let (owner, telegram, chat_confirmed) = match status {
            CodeStatus::Pending { account, telegram } => (account, telegram, false),
            CodeStatus::Consented { account, telegram }
            | CodeStatus::Used { account, telegram } => (account, telegram, true),
            CodeStatus::Declined { account: owner, .. } if &owner == account => {
                return Err(Error::Declined);
            }
            CodeStatus::Expired => return Err(Error::Expired),
            _ => return Err(Error::Unknown),
        };
        if &owner != account {
            return Err(Error::Unknown);
        }
        match self.confirmation {
            Some(Confirmation::Website) | None => {}
            Some(Confirmation::BotAndWebsite) if chat_confirmed => {}
            _ => return Err(Error::NotConfirmed),
        }
        self.store
            .consume(code, telegram, self.policy, CommittedBy::Website, now)
            .await
    }

    /// Answers the "Link" button the bot showed for [`StartOutcome::ConfirmationNeeded`]
    /// (`who` from the callback query: only the chat that claimed the code gets through).
    /// Under [`Confirmation::Bot`] this commits the link; otherwise it records the chat's
    /// consent and the website's confirmation commits.
    pub async fn confirm(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Confirmed, Error> {
        match self.confirmation {
            Some(Confirmation::Bot) | None => self
                .store
                .consume(code, who, self.policy, CommittedBy::Chat, now)
                .await
                .map(Confirmed::Linked),
            Some(_) => match self.store.consent(code, who, now).await? {
                Claim::Pending { account, .. } => Ok(Confirmed::AwaitingWebsite { account }),
                Claim::AlreadyLinked(link) => Ok(Confirmed::Linked(Linked {
                    link,
                    outcome: LinkOutcome::AlreadyLinked,
                })),
            },
        }
    }

    /// Answers the "Cancel" button the bot showed for [`StartOutcome::ConfirmationNeeded`]
    /// (`who` from the callback query: only the chat that claimed the code gets through). The
    /// code is dead afterwards, for that chat and everyone else, and the website reads
    /// [`CodeStatus::Declined`]. A repeat by the same chat answers `repeated`; a code already
    /// consumed cannot be declined ([`Error::AlreadyUsed`]: unlink instead).
    pub async fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Declined, Error> {
        self.store.decline(code, who, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_code_and_the_urls_that_carry_it() {
        let Ok(code) = LinkCode::generate() else {
            panic!("the OS random generator failed")
        };
        let Ok(bot) = BotUsername::new("tgauth_test_bot") else {
            panic!("a valid bot name")
        };
        let issued = IssuedLink {
            url: code_url(&bot, &code),
            app_url: tg_code_url(&bot, &code),
            code: code.clone(),
            expires_at: UnixTime(1),
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains(code.expose()), "{shown}");
    }
}
