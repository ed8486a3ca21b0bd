//! The one form of time, whole seconds since the Unix epoch, and the one way to read it.
//!
//! Everything that checks a date (login freshness, code expiry, token lifetimes) takes a
//! [`UnixTime`] as a parameter, and programs read it from a [`Clock`]. Only [`SystemClock`]
//! reads the wall clock; clippy's `disallowed-methods` (in the workspace's `clippy.toml`)
//! refuses `SystemTime::now` everywhere else. Waits (timeouts, backoff) are durations on tokio's
//! timer, not dates, and do not go through a clock.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Whole seconds since the Unix epoch, as Telegram writes every date (`auth_date`, `date`,
/// `exp`); negative before 1970.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// The time `seconds` after the epoch.
    pub const fn from_secs(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// This time plus `seconds` (minus, when negative), saturating at the ends of `i64`.
    #[must_use]
    pub const fn plus(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// This time plus `duration`, saturating.
    #[must_use]
    pub fn plus_duration(self, duration: Duration) -> Self {
        self.plus(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    /// Seconds from `earlier` to this time (negative when `earlier` is later), saturating.
    pub const fn seconds_since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The same instant as a [`SystemTime`] (saturating at what the platform can represent).
    pub fn to_system_time(self) -> SystemTime {
        let magnitude = Duration::from_secs(self.0.unsigned_abs());
        let time = if self.0 >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        };
        time.unwrap_or(UNIX_EPOCH)
    }
}

impl From<SystemTime> for UnixTime {
    /// Whole seconds, rounded toward the epoch; saturating at the ends of `i64`.
    fn from(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Self(i64::try_from(after.as_secs()).unwrap_or(i64::MAX)),
            Err(before) => Self(
                i64::try_from(before.duration().as_secs())
                    .map(|seconds| -seconds)
                    .unwrap_or(i64::MIN),
            ),
        }
    }
}

impl From<UnixTime> for SystemTime {
    fn from(time: UnixTime) -> Self {
        time.to_system_time()
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Where a program reads the current time.
///
/// Production code holds a [`SystemClock`]; tests hold a [`FixedClock`] and move it by hand, so
/// no test depends on the wall clock.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> UnixTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> UnixTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> UnixTime {
        (**self).now()
    }
}

/// The operating system's wall clock: the only reader of `SystemTime::now` in the workspace.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        // The one sanctioned reading of the wall clock (see the module docs).
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now();
        UnixTime::from(now)
    }
}

/// A clock that stands still until told to move; clones share one time.
///
/// ```
/// use tgauth_core::{Clock, FixedClock, UnixTime};
///
/// let clock = FixedClock::new(UnixTime(1_700_000_000));
/// let shared = clock.clone();
/// shared.advance(3600);
/// assert_eq!(clock.now(), UnixTime(1_700_003_600));
/// clock.set(UnixTime(5));
/// assert_eq!(shared.now(), UnixTime(5));
/// ```
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<AtomicI64>);

impl FixedClock {
    /// A clock standing at `at`.
    pub fn new(at: UnixTime) -> Self {
        Self(Arc::new(AtomicI64::new(at.0)))
    }

    /// Moves the clock by `seconds` (back, when negative), saturating.
    pub fn advance(&self, seconds: i64) {
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(seconds))
            });
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: UnixTime) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_converts_both_ways_around_the_epoch() {
        for seconds in [0, 1, 1_700_000_000, -1, -86_400] {
            let time = UnixTime(seconds);
            assert_eq!(UnixTime::from(time.to_system_time()), time, "{seconds}");
        }
        let half_second = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(UnixTime::from(half_second), UnixTime(1));
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixTime(i64::MAX).plus(1), UnixTime(i64::MAX));
        assert_eq!(UnixTime(i64::MIN).plus(-1), UnixTime(i64::MIN));
        assert_eq!(
            UnixTime(0).plus_duration(Duration::from_secs(u64::MAX)),
            UnixTime(i64::MAX)
        );
        assert_eq!(UnixTime(10).seconds_since(UnixTime(4)), 6);
        assert_eq!(UnixTime(4).seconds_since(UnixTime(10)), -6);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(UnixTime(100));
        assert_eq!(clock.now(), UnixTime(100));
        clock.advance(-200);
        assert_eq!(clock.now(), UnixTime(-100));
        clock.advance(i64::MAX);
        clock.advance(i64::MAX);
        assert_eq!(clock.now(), UnixTime(i64::MAX));
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.set(UnixTime(7));
        assert_eq!(shared.now(), UnixTime(7));
    }

    #[test]
    fn system_clock_reads_a_plausible_time() {
        // Any machine running this test lives after 2020-01-01.
        assert!(SystemClock.now() > UnixTime(1_577_836_800));
    }
}
