//! Fault injection: the next N calls of a method fail in a chosen way.
//!
//! A fault is armed through `POST /sandbox/faults` or [`crate::SandboxHandle::inject_fault`] and
//! consumed by the calls it matches, oldest fault first. The method name matches
//! case-insensitively; the name `file` matches downloads from `/file/bot<token>/<path>`.

use serde::{Deserialize, Serialize};
use tgauth_core::{BotId, ChatId};

use crate::error::ControlError;

/// What an armed fault does to a call it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer 429 `Too Many Requests: retry after K` with `parameters.retry_after` K; the call is
    /// not performed.
    TooManyRequests {
        /// Seconds the client should wait.
        retry_after: u64,
    },
    /// Answer 400 `Bad Request: group chat was upgraded to a supergroup chat` with
    /// `parameters.migrate_to_chat_id`, as the real server does for a group that became a
    /// supergroup (the sandbox has private chats only); the call is not performed.
    Migrated {
        /// The supergroup's id, such as `-1001234567890`.
        migrate_to_chat_id: ChatId,
    },
    /// Answer 500 `Internal Server Error` in Telegram's envelope; the call is not performed.
    ServerError,
    /// Answer 502 with an HTML page, as a failing front proxy does; the call is not performed.
    BadGateway,
    /// Close the connection without an answer; the call is not performed.
    DropConnection,
    /// Perform the call, then close the connection without an answer, so the client cannot know
    /// that it happened.
    DropConnectionAfterProcessing,
    /// Wait `millis` milliseconds, then perform the call normally.
    Delay {
        /// How long to wait.
        millis: u64,
    },
}

/// A fault to arm: which calls it matches and what it does to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// The bot's username; `None` matches every bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    /// The Bot API method, case-insensitive, or `file` for downloads.
    pub method: String,
    /// How many matching calls fail (at least 1).
    #[serde(default = "one")]
    pub count: u32,
    /// What happens to them.
    pub fault: FaultKind,
}

fn one() -> u32 {
    1
}

/// An armed fault inside the sandbox's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ArmedFault {
    pub(crate) bot_id: Option<BotId>,
    pub(crate) method: String,
    pub(crate) remaining: u32,
    pub(crate) fault: FaultKind,
}

impl ArmedFault {
    pub(crate) fn new(spec: FaultSpec, bot_id: Option<BotId>) -> Result<Self, ControlError> {
        if spec.count == 0 {
            return Err(ControlError::InvalidFault {
                reason: "count must be at least 1".to_owned(),
            });
        }
        if spec.method.is_empty() {
            return Err(ControlError::InvalidFault {
                reason: "method must not be empty".to_owned(),
            });
        }
        if let FaultKind::Delay { millis } = spec.fault
            && millis > 600_000
        {
            return Err(ControlError::InvalidFault {
                reason: "a delay is at most 600000 ms".to_owned(),
            });
        }
        Ok(Self {
            bot_id,
            method: spec.method.to_ascii_lowercase(),
            remaining: spec.count,
            fault: spec.fault,
        })
    }
}

/// Takes one use of the first armed fault that matches `bot_id` and `method` (lowercase).
pub(crate) fn take(faults: &mut Vec<ArmedFault>, bot_id: BotId, method: &str) -> Option<FaultKind> {
    let index = faults
        .iter()
        .position(|fault| fault.method == method && fault.bot_id.is_none_or(|id| id == bot_id))?;
    let fault = faults.get_mut(index)?;
    fault.remaining = fault.remaining.saturating_sub(1);
    let kind = fault.fault.clone();
    if fault.remaining == 0 {
        faults.remove(index);
    }
    Some(kind)
}
