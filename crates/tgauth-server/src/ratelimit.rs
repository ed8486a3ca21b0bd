//! Per-client rate limits on the login endpoints (GCRA through governor), keyed by the
//! client's address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota};

/// The login endpoints' limiter.
#[derive(Clone)]
pub(crate) struct RateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimiter")
    }
}

impl RateLimiter {
    /// `per_minute` attempts per address per minute, in a burst of as many.
    pub(crate) fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                per_minute,
            ))),
        }
    }

    /// Whether `client` may try now.
    pub(crate) fn check(&self, client: IpAddr) -> bool {
        let allowed = self.limiter.check_key(&client).is_ok();
        // The table keeps a cell per address: forget the idle ones now and then.
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        allowed
    }
}
