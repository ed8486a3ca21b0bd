//! The in-memory store: one mutex over maps, for tests and single-process demos (no durability).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tgauth_core::{UnixTime, UserId};

use super::rules::{
    ClaimStep, ConsumeStep, decide_claim, decide_consume, decide_mark, decide_put, decide_redeem,
    put_result, repeat_answer,
};
use super::{
    ChatsPerAccount, Claim, ClaimTarget, CodeRecord, CodeState, CodeStatus, CommittedBy, Declined,
    Link, LinkPolicy, Linked, Mark, Store, USED_CODE_RETENTION_SECONDS, declined, status_of,
};
use crate::code::{CodeHash, LinkCode};
use crate::error::{Error, StoreError};
use crate::ids::{AccountId, TelegramIdentity};
use crate::login::LoginClaims;

/// An in-memory [`Store`]; clones share the same maps.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    codes: HashMap<CodeHash, CodeRecord>,
    /// Links by Telegram user id.
    links: BTreeMap<UserId, Link>,
    login_uses: HashMap<CodeHash, UnixTime>,
}

impl MemoryStore {
    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        // Every critical section below finishes its checks before its first write, so a panic
        // elsewhere cannot leave the maps half-updated: the poisoned state is still consistent.
        Ok(self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// A claim, a consent or a decline, in one critical section.
    fn claim_as(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
        target: ClaimTarget,
    ) -> Result<Claim, Error> {
        let mut state = self.lock()?;
        let hash = code.hash();
        let record = state.codes.get(&hash).cloned();
        let step = decide_claim(record.as_ref(), who, now, target)?;
        let record = record.ok_or(Error::Unknown)?;
        match step {
            ClaimStep::Mark(target) => {
                let account = record.account.clone();
                state.codes.insert(
                    hash,
                    CodeRecord {
                        state: target,
                        ..record
                    },
                );
                Ok(Claim::Pending {
                    account,
                    repeated: false,
                })
            }
            ClaimStep::AlreadyThere => Ok(Claim::Pending {
                account: record.account,
                repeated: true,
            }),
            ClaimStep::Repeat => {
                let current = state.links.get(&who.user_id()).cloned();
                repeat_answer(&record.account, current)
                    .map(|linked| Claim::AlreadyLinked(linked.link))
            }
        }
    }

    /// Marks a link inactive or active in one critical section.
    fn mark(&self, telegram_user: UserId, mark: Mark) -> Result<Option<Link>, StoreError> {
        let mut state = self.lock()?;
        let Some(link) = state.links.get_mut(&telegram_user) else {
            return Ok(None);
        };
        if let Some(marked) = decide_mark(link, mark) {
            *link = marked;
        }
        Ok(Some(link.clone()))
    }
}

impl State {
    fn put_link(
        &mut self,
        account: &AccountId,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        let existing = self.links.get(&who.user_id()).cloned();
        let step = decide_put(existing, account, policy)?;
        if policy.chats_per_account == ChatsPerAccount::One {
            self.links
                .retain(|id, link| *id == who.user_id() || &link.account != account);
        }
        let linked = put_result(step, account, who, by, now);
        self.links.insert(who.user_id(), linked.link.clone());
        Ok(linked)
    }
}

impl Store for MemoryStore {
    async fn insert_code(
        &self,
        hash: &CodeHash,
        account: &AccountId,
        expires_at: UnixTime,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.codes.contains_key(hash) {
            return Err(StoreError::Corrupt {
                backend: "memory",
                what: "a code hash issued twice".to_owned(),
            });
        }
        state.codes.insert(
            *hash,
            CodeRecord {
                account: account.clone(),
                expires_at,
                state: CodeState::Issued,
            },
        );
        Ok(())
    }

    async fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        self.claim_as(code, who, now, ClaimTarget::Pending)
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        self.claim_as(code, who, now, ClaimTarget::Consented)
    }

    async fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Declined, Error> {
        declined(self.claim_as(code, who, now, ClaimTarget::Declined)?)
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        let mut state = self.lock()?;
        let hash = code.hash();
        let record = state.codes.get(&hash).cloned();
        let step = decide_consume(record.as_ref(), who, now)?;
        let record = record.ok_or(Error::Unknown)?;
        match step {
            ConsumeStep::Repeat => {
                let current = state.links.get(&who.user_id()).cloned();
                repeat_answer(&record.account, current)
            }
            ConsumeStep::Link => {
                let linked = state.put_link(&record.account, who, policy, by, now)?;
                state.codes.insert(
                    hash,
                    CodeRecord {
                        state: CodeState::Used(who),
                        ..record
                    },
                );
                Ok(linked)
            }
        }
    }

    async fn links_of_account(&self, account: &AccountId) -> Result<Vec<Link>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .links
            .values()
            .filter(|link| &link.account == account)
            .cloned()
            .collect())
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        Ok(self.lock()?.links.get(&telegram_user).cloned())
    }

    async fn mark_link_inactive(
        &self,
        telegram_user: UserId,
        since: UnixTime,
    ) -> Result<Option<Link>, StoreError> {
        self.mark(telegram_user, Mark::Inactive(since))
    }

    async fn mark_link_active(&self, telegram_user: UserId) -> Result<Option<Link>, StoreError> {
        self.mark(telegram_user, Mark::Active)
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        Ok(self.lock()?.links.remove(&telegram_user))
    }

    async fn unlink_account(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let before = state.links.len();
        state.links.retain(|_, link| &link.account != account);
        Ok(u64::try_from(before - state.links.len()).unwrap_or(u64::MAX))
    }

    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let before = state.codes.len() + state.login_uses.len();
        state.codes.retain(|_, record| {
            // Used and declined codes are kept past their expiry, so that a redelivered
            // `/start` or button press still reads what happened.
            if matches!(record.state, CodeState::Used(_) | CodeState::Declined(_)) {
                record.expires_at.plus(USED_CODE_RETENTION_SECONDS) > now
            } else {
                record.expires_at > now
            }
        });
        state.login_uses.retain(|_, expires_at| *expires_at > now);
        let after = state.codes.len() + state.login_uses.len();
        Ok(u64::try_from(before - after).unwrap_or(u64::MAX))
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        let record = self.lock()?.codes.get(&code.hash()).cloned();
        Ok(status_of(record, now))
    }

    async fn redeem_login_link(&self, claims: &LoginClaims, now: UnixTime) -> Result<Link, Error> {
        let mut state = self.lock()?;
        let current = state.links.get(&claims.telegram.user_id()).cloned();
        let link = decide_redeem(current, claims)?;
        match state.login_uses.get(&claims.id) {
            Some(kept_until) if *kept_until > now => Err(Error::LoginLinkUsed),
            _ => {
                state.login_uses.insert(claims.id, claims.expires_at);
                Ok(link)
            }
        }
    }
}
