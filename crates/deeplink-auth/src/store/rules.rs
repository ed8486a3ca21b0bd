//! The linking rules the memory and SQL stores apply in Rust to records read under a lock (the
//! Redis store runs the same rules in its Lua scripts; the differential test checks that both
//! answer alike).

use tgauth_core::UnixTime;

use super::{
    ClaimTarget, CodeRecord, CodeState, CommittedBy, Link, LinkOutcome, LinkPolicy, Linked, Mark,
    OnConflict,
};
use crate::error::Error;
use crate::ids::{AccountId, TelegramIdentity};
use crate::login::LoginClaims;

/// What a consume must do after reading the code.
#[derive(Debug)]
pub(crate) enum ConsumeStep {
    /// Link the code's account (then mark the code used).
    Link,
    /// The chat already consumed it: answer with the current link if it stands.
    Repeat,
}

/// The consume rules over a code read under lock.
pub(crate) fn decide_consume(
    record: Option<&CodeRecord>,
    who: TelegramIdentity,
    now: UnixTime,
) -> Result<ConsumeStep, Error> {
    let record = record.ok_or(Error::Unknown)?;
    match record.state {
        CodeState::Issued if record.expires_at <= now => Err(Error::Expired),
        CodeState::Issued => Ok(ConsumeStep::Link),
        CodeState::Pending(by) | CodeState::Consented(by) if by != who => Err(Error::AlreadyUsed),
        CodeState::Pending(_) | CodeState::Consented(_) if record.expires_at <= now => {
            Err(Error::Expired)
        }
        CodeState::Pending(_) | CodeState::Consented(_) => Ok(ConsumeStep::Link),
        CodeState::Declined(by) if by == who => Err(Error::Declined),
        CodeState::Declined(_) => Err(Error::AlreadyUsed),
        CodeState::Used(by) if by == who => Ok(ConsumeStep::Repeat),
        CodeState::Used(_) => Err(Error::AlreadyUsed),
    }
}

/// The answer to a repeated consume, given the current link of the chat's Telegram user.
pub(crate) fn repeat_answer(
    record_account: &AccountId,
    current: Option<Link>,
) -> Result<Linked, Error> {
    match current {
        Some(link) if &link.account == record_account => Ok(Linked {
            link,
            outcome: LinkOutcome::AlreadyLinked,
        }),
        // Unlinked (or moved) since: the code does not resurrect the old link.
        _ => Err(Error::AlreadyUsed),
    }
}

/// What a claim (or a consent, or a decline) must do after reading the code.
#[derive(Debug)]
pub(crate) enum ClaimStep {
    /// Set the code's state to the target for the chat.
    Mark(CodeState),
    /// Already at (or past) the target for this chat.
    AlreadyThere,
    /// Already consumed by this chat: answer with the link if it stands.
    Repeat,
}

/// The claim rules over a code read under lock, for the chat moving the code to `target`.
pub(crate) fn decide_claim(
    record: Option<&CodeRecord>,
    who: TelegramIdentity,
    now: UnixTime,
    target: ClaimTarget,
) -> Result<ClaimStep, Error> {
    let record = record.ok_or(Error::Unknown)?;
    let mark = Ok(ClaimStep::Mark(target.state(who)));
    match record.state {
        // A decline is final and answers the same to every repeat, expired or not.
        CodeState::Declined(by) if by != who => Err(Error::AlreadyUsed),
        CodeState::Declined(_) if target == ClaimTarget::Declined => Ok(ClaimStep::AlreadyThere),
        CodeState::Declined(_) => Err(Error::Declined),
        CodeState::Used(_) if target == ClaimTarget::Declined => Err(Error::AlreadyUsed),
        CodeState::Used(by) if by == who => Ok(ClaimStep::Repeat),
        CodeState::Used(_) => Err(Error::AlreadyUsed),
        CodeState::Issued if record.expires_at <= now => Err(Error::Expired),
        CodeState::Issued => mark,
        CodeState::Pending(by) | CodeState::Consented(by) if by != who => Err(Error::AlreadyUsed),
        CodeState::Pending(_) | CodeState::Consented(_) if record.expires_at <= now => {
            Err(Error::Expired)
        }
        CodeState::Pending(_) if target != ClaimTarget::Pending => mark,
        CodeState::Consented(_) if target == ClaimTarget::Declined => mark,
        CodeState::Pending(_) | CodeState::Consented(_) => Ok(ClaimStep::AlreadyThere),
    }
}

/// What writing a link must do, given the Telegram account's current link.
#[derive(Debug)]
pub(crate) enum PutStep {
    /// Insert a new link.
    Insert,
    /// The same account already holds it: refresh the chat id, keep `linked_at`.
    Same(Link),
    /// Move it from another account.
    Move(AccountId),
}

/// The conflict rules.
pub(crate) fn decide_put(
    existing: Option<Link>,
    account: &AccountId,
    policy: LinkPolicy,
) -> Result<PutStep, Error> {
    match existing {
        None => Ok(PutStep::Insert),
        Some(link) if &link.account == account => Ok(PutStep::Same(link)),
        Some(link) => match policy.on_conflict {
            OnConflict::Reject => Err(Error::Conflict),
            OnConflict::Move => Ok(PutStep::Move(link.account)),
        },
    }
}

/// The link and outcome a [`PutStep`] produces. The same account relinking keeps a website
/// confirmation it had: the owner confirmed this very Telegram user for this very account. The
/// link is active either way: the person just pressed a code in the chat.
pub(crate) fn put_result(
    step: PutStep,
    account: &AccountId,
    who: TelegramIdentity,
    by: CommittedBy,
    now: UnixTime,
) -> Linked {
    let website_confirmed = by == CommittedBy::Website;
    let fresh = |outcome| Linked {
        link: Link {
            account: account.clone(),
            telegram: who,
            linked_at: now,
            website_confirmed,
            inactive_since: None,
        },
        outcome,
    };
    match step {
        PutStep::Insert => fresh(LinkOutcome::New),
        PutStep::Same(link) => Linked {
            link: Link {
                telegram: who,
                website_confirmed: link.website_confirmed || website_confirmed,
                inactive_since: None,
                ..link
            },
            outcome: LinkOutcome::AlreadyLinked,
        },
        PutStep::Move(from) => fresh(LinkOutcome::Moved { from }),
    }
}

/// The redemption rules over the Telegram account's current link, read under lock.
pub(crate) fn decide_redeem(current: Option<Link>, claims: &LoginClaims) -> Result<Link, Error> {
    match current {
        Some(link) if link.account == claims.account && link.telegram == claims.telegram => {
            if link.website_confirmed || claims.dangerous_unconfirmed {
                Ok(link)
            } else {
                Err(Error::NotWebsiteConfirmed)
            }
        }
        _ => Err(Error::NotLinked),
    }
}

/// The link a mark leaves, read under lock: `None` when the link stays as it is (already
/// active, or already inactive, which keeps the time of the first mark), so that nothing is
/// written.
pub(crate) fn decide_mark(current: &Link, mark: Mark) -> Option<Link> {
    let inactive_since = match mark {
        Mark::Inactive(since) => Some(current.inactive_since.unwrap_or(since)),
        Mark::Active => None,
    };
    (inactive_since != current.inactive_since).then(|| Link {
        inactive_since,
        ..current.clone()
    })
}
