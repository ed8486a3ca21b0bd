//! Freshness policy: how old and how far in the future `auth_date` may be.

use std::time::Duration;

use tgauth_core::UnixTime;

use crate::Error;

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

    /// Checks `auth_date` against `now`.
    pub fn check(&self, auth_date: UnixTime, now: UnixTime) -> Result<(), Error> {
        let age = now.seconds_since(auth_date);
        if let Some(max_age) = self.max_age {
            let max_age = max_age.as_secs();
            if age > 0 && age.unsigned_abs() > max_age {
                return Err(Error::Expired {
                    auth_date,
                    age,
                    max_age,
                });
            }
        }
        let ahead = auth_date.seconds_since(now);
        let skew = self.future_skew.as_secs();
        if ahead > 0 && ahead.unsigned_abs() > skew {
            return Err(Error::FromTheFuture {
                auth_date,
                ahead,
                skew,
            });
        }
        Ok(())
    }
}
