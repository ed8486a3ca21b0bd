//! Freshness policy: how old and how far in the future `auth_date` may be.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::LoginError;

/// How old (`max_age`) and how far ahead of `now` (`future_skew`) an `auth_date` may be.
///
/// The default accepts data up to 24 hours old and up to 30 seconds in the future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    max_age: Option<Duration>,
    future_skew: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_age: Some(Duration::from_secs(24 * 60 * 60)),
            future_skew: Duration::from_secs(30),
        }
    }
}

impl Policy {
    /// Sets the maximum age; `None` accepts data of any age (only the hash is checked).
    pub fn with_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets how far in the future `auth_date` may lie, for clocks that run behind Telegram's.
    pub fn with_future_skew(mut self, future_skew: Duration) -> Self {
        self.future_skew = future_skew;
        self
    }

    /// The maximum age, if any.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// The accepted future skew.
    pub fn future_skew(&self) -> Duration {
        self.future_skew
    }

    /// Checks `auth_date` (Unix seconds) against `now`.
    pub fn check(&self, auth_date: i64, now: SystemTime) -> Result<(), LoginError> {
        let now = unix_seconds(now);
        let age = now.saturating_sub(auth_date);
        if let Some(max_age) = self.max_age {
            let max_age = max_age.as_secs();
            if age > 0 && u64::try_from(age).unwrap_or(u64::MAX) > max_age {
                return Err(LoginError::Expired {
                    auth_date,
                    age,
                    max_age,
                });
            }
        }
        let ahead = auth_date.saturating_sub(now);
        let skew = self.future_skew.as_secs();
        if ahead > 0 && u64::try_from(ahead).unwrap_or(u64::MAX) > skew {
            return Err(LoginError::FromTheFuture {
                auth_date,
                ahead,
                skew,
            });
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch, negative before it, saturating at the `i64` range.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs())
            .map(|secs| -secs)
            .unwrap_or(i64::MIN),
    }
}
