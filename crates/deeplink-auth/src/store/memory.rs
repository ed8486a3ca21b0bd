//! The in-memory store: one mutex over maps, for tests and single-process demos (no durability).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    ChatsPerUser, Claim, ClaimStep, CodeRecord, CodeState, CodeStatus, ConsumeStep, Link,
    LinkPolicy, Linked, Store, USED_CODE_RETENTION_SECONDS, decide_claim, decide_consume,
    decide_put, put_result, repeat_answer, status_of,
};
use crate::code::{CodeHash, LinkCode};
use crate::error::{LinkError, StoreError};
use crate::ids::{TelegramIdentity, TelegramUserId, UnixTime, UserId};

/// An in-memory [`Store`]; clones share the same maps.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    codes: HashMap<CodeHash, CodeRecord>,
    /// Links by Telegram user id.
    links: BTreeMap<TelegramUserId, Link>,
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
}

impl MemoryStore {
    /// A claim, or with `consent` a claim and the chat's confirmation, in one critical section.
    fn claim_as(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
        consent: bool,
    ) -> Result<Claim, LinkError> {
        let mut state = self.lock()?;
        let hash = code.hash();
        let record = state.codes.get(&hash).cloned();
        let step = decide_claim(record.as_ref(), who, now, consent)?;
        let record = record.ok_or(LinkError::Unknown)?;
        match step {
            ClaimStep::Mark(target) => {
                let user = record.user.clone();
                state.codes.insert(
                    hash,
                    CodeRecord {
                        state: target,
                        ..record
                    },
                );
                Ok(Claim::Pending {
                    user,
                    repeated: false,
                })
            }
            ClaimStep::AlreadyPending => Ok(Claim::Pending {
                user: record.user,
                repeated: true,
            }),
            ClaimStep::Repeat => {
                let current = state.links.get(&who.user_id()).cloned();
                repeat_answer(&record.user, current).map(|linked| Claim::AlreadyLinked(linked.link))
            }
        }
    }
}

impl State {
    fn put_link(
        &mut self,
        user: &UserId,
        who: TelegramIdentity,
        policy: LinkPolicy,
        now: UnixTime,
    ) -> Result<Linked, LinkError> {
        let existing = self.links.get(&who.user_id()).cloned();
        let step = decide_put(existing, user, policy)?;
        if policy.chats_per_user == ChatsPerUser::One {
            self.links
                .retain(|id, link| *id == who.user_id() || &link.user != user);
        }
        let linked = put_result(step, user, who, now);
        self.links.insert(who.user_id(), linked.link.clone());
        Ok(linked)
    }
}

impl Store for MemoryStore {
    async fn insert_code(
        &self,
        hash: &CodeHash,
        user: &UserId,
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
                user: user.clone(),
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
    ) -> Result<Claim, LinkError> {
        self.claim_as(code, who, now, false)
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, LinkError> {
        self.claim_as(code, who, now, true)
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        now: UnixTime,
    ) -> Result<Linked, LinkError> {
        let mut state = self.lock()?;
        let hash = code.hash();
        let record = state.codes.get(&hash).cloned();
        let step = decide_consume(record.as_ref(), who, now)?;
        let record = record.ok_or(LinkError::Unknown)?;
        match step {
            ConsumeStep::Repeat => {
                let current = state.links.get(&who.user_id()).cloned();
                repeat_answer(&record.user, current)
            }
            ConsumeStep::Link => {
                let linked = state.put_link(&record.user, who, policy, now)?;
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

    async fn links_of_user(&self, user: &UserId) -> Result<Vec<Link>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .links
            .values()
            .filter(|link| &link.user == user)
            .cloned()
            .collect())
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> Result<Option<Link>, StoreError> {
        Ok(self.lock()?.links.get(&telegram_user).cloned())
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: TelegramUserId,
    ) -> Result<Option<Link>, StoreError> {
        Ok(self.lock()?.links.remove(&telegram_user))
    }

    async fn unlink_user(&self, user: &UserId) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let before = state.links.len();
        state.links.retain(|_, link| &link.user != user);
        Ok(u64::try_from(before - state.links.len()).unwrap_or(u64::MAX))
    }

    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let before = state.codes.len() + state.login_uses.len();
        state.codes.retain(|_, record| match record.state {
            CodeState::Used(_) => record.expires_at.plus(USED_CODE_RETENTION_SECONDS) > now,
            _ => record.expires_at > now,
        });
        state.login_uses.retain(|_, expires_at| *expires_at > now);
        let after = state.codes.len() + state.login_uses.len();
        Ok(u64::try_from(before - after).unwrap_or(u64::MAX))
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        let record = self.lock()?.codes.get(&code.hash()).cloned();
        Ok(status_of(record, now))
    }

    async fn use_login_link(
        &self,
        id: &CodeHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), LinkError> {
        let mut state = self.lock()?;
        match state.login_uses.get(id) {
            Some(kept_until) if *kept_until > now => Err(LinkError::AlreadyUsed),
            _ => {
                state.login_uses.insert(*id, expires_at);
                Ok(())
            }
        }
    }
}
