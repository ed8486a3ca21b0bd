//! The retry policy: which failures are worth repeating, after how long, and the jitter that
//! keeps clients stopped by the same failure from coming back in step.

use crate::Error;
use crate::error::{ApiErrorKind, TransportKind};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// When the client repeats a failed call, and how long it waits.
///
/// - 429: always repeated after `retry_after`, cut to [`max_retry_after`](Self::max_retry_after)
///   (a cut wait may meet another 429, which counts as another attempt), plus up to a tenth of
///   jitter.
/// - 5xx, timeouts and dropped connections: repeated only for idempotent calls, with jittered
///   exponential backoff.
/// - Connection failures (the request never reached the server): repeated for every call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts after the first; 0 disables retries.
    pub max_retries: u32,
    /// Backoff before the first retry; doubled on each further one.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// The longest wait honoured for a 429's `retry_after`.
    pub max_retry_after: Duration,
    /// Seed of the jitter; `None` draws one per client. Tests fix it for reproducible delays.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            jitter_seed: None,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`max_retries`](Self::max_retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the backoff range.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Sets [`jitter_seed`](Self::jitter_seed).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// The backoff before retry number `attempt` (0-based), jittered into `[half, full]`.
    fn backoff_delay(&self, attempt: u32, jitter: &Jitter) -> Duration {
        exponential(self.initial_backoff, self.max_backoff, attempt, jitter)
    }

    /// Whether `error` is worth repeating, and after how long.
    pub fn delay_for(
        &self,
        error: &Error,
        idempotent: bool,
        attempt: u32,
        jitter: &Jitter,
    ) -> Option<Duration> {
        let backoff = || Some(self.backoff_delay(attempt, jitter));
        match error {
            Error::Api { error, .. } => match error.kind() {
                ApiErrorKind::RetryAfter => match error.retry_after_duration() {
                    // Up to a tenth more, so that tasks stopped by the same flood wait do not
                    // all come back at the same instant and meet the next 429 together.
                    Some(wait) => {
                        let wait = wait.min(self.max_retry_after);
                        Some(wait.saturating_add(wait.mul_f64(0.1 * jitter.unit())))
                    }
                    None => backoff(),
                },
                ApiErrorKind::ServerError if idempotent => backoff(),
                _ => None,
            },
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            } => backoff(),
            Error::Transport {
                kind: TransportKind::Other,
                ..
            } => None,
            Error::Transport { .. } if idempotent => backoff(),
            Error::Decode { status, .. } if idempotent && *status >= 500 => backoff(),
            _ => None,
        }
    }
}

/// `initial * 2^attempt`, capped at `max`, then jittered into `[half, full]`.
pub(crate) fn exponential(
    initial: Duration,
    max: Duration,
    attempt: u32,
    jitter: &Jitter,
) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    let full = initial.saturating_mul(factor).min(max);
    let half = full / 2;
    half.saturating_add(half.mul_f64(jitter.unit()))
}

/// A small seeded generator (SplitMix64) for backoff jitter: no cryptographic strength needed,
/// only de-synchronized clients and reproducible tests.
#[derive(Debug)]
pub struct Jitter {
    state: AtomicU64,
}

impl Jitter {
    /// A generator from `seed`, or from a per-process random seed.
    pub fn new(seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        Self {
            state: AtomicU64::new(seed),
        }
    }

    /// A uniform value in `[0, 1)`.
    pub fn unit(&self) -> f64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits fill an f64 mantissa exactly.
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
