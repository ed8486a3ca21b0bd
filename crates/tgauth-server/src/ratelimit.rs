//! Per-client rate limits on the login endpoints (GCRA), keyed by the client's address.
//!
//! One process keeps its cells in memory (governor). Replicas behind a load balancer share
//! them in Redis (`redis = "redis://..."`): otherwise each replica would allow the whole
//! limit and three replicas three times it. The Redis cell is the same GCRA as governor's,
//! one Lua script per attempt on Redis's own clock, so replicas whose clocks differ agree.
//! When Redis does not answer, a login is refused with 503 (fail closed: a limit that
//! silently stops limiting is how brute force gets through) and `/readyz` says so; the
//! connection manager reconnects by itself.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// GCRA on Redis's clock: `KEYS[1]` holds the theoretical arrival time in microseconds;
/// `ARGV[1]` is the emission interval and `ARGV[2]` the burst tolerance, both in
/// microseconds. Answers 1 when the attempt is allowed (and records it), 0 otherwise.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - tolerance > now then return 0 end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', math.ceil((next - now) / 1000) + 1000)
return 1
";

/// How long an attempt waits for Redis before the login is refused with 503.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// The login endpoints' limiter.
#[derive(Clone)]
pub(crate) struct RateLimiter {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<DefaultKeyedRateLimiter<IpAddr>>),
    Redis(Arc<SharedCells>),
}

struct SharedCells {
    connection: ConnectionManager,
    script: redis::Script,
    /// Microseconds between two attempts at the sustained rate.
    interval: u64,
    /// Microseconds of burst: `per_minute - 1` attempts may come at once.
    tolerance: u64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Memory(_) => "RateLimiter(memory)",
            Backend::Redis(_) => "RateLimiter(redis)",
        })
    }
}

/// Redis did not answer or refused the script.
#[derive(Debug, thiserror::Error)]
#[error("the shared rate limit store (Redis) is unavailable: {kind}")]
pub(crate) struct LimiterUnavailable {
    /// The driver's error category, never its text (which can hold the URL).
    kind: String,
}

impl LimiterUnavailable {
    fn of(error: &redis::RedisError) -> Self {
        Self {
            kind: format!("{:?}", error.kind()),
        }
    }
}

impl RateLimiter {
    /// `per_minute` attempts per address per minute, in a burst of as many, in this process.
    pub(crate) fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            backend: Backend::Memory(Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                per_minute,
            )))),
        }
    }

    /// The same limit shared by every replica through Redis at `url`; fails when Redis does
    /// not answer now.
    pub(crate) async fn redis(url: &str, per_minute: u32) -> Result<Self, LimiterUnavailable> {
        let client = redis::Client::open(url).map_err(|error| LimiterUnavailable::of(&error))?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT));
        let mut connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|error| LimiterUnavailable::of(&error))?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(|error| LimiterUnavailable::of(&error))?;
        let per_minute = u64::from(per_minute.max(1));
        let interval = 60_000_000 / per_minute;
        Ok(Self {
            backend: Backend::Redis(Arc::new(SharedCells {
                connection,
                script: redis::Script::new(GCRA),
                interval,
                tolerance: interval * (per_minute - 1),
            })),
        })
    }

    /// Whether `client` may try now; an error when the shared store is unavailable.
    pub(crate) async fn check(&self, client: IpAddr) -> Result<bool, LimiterUnavailable> {
        match &self.backend {
            Backend::Memory(limiter) => {
                let allowed = limiter.check_key(&client).is_ok();
                // The table keeps a cell per address: forget the idle ones now and then.
                if limiter.len() > 100_000 {
                    limiter.retain_recent();
                }
                Ok(allowed)
            }
            Backend::Redis(cells) => {
                let mut connection = cells.connection.clone();
                let allowed: i64 = cells
                    .script
                    .key(format!("tgauth:login-rate:{client}"))
                    .arg(cells.interval)
                    .arg(cells.tolerance)
                    .invoke_async(&mut connection)
                    .await
                    .map_err(|error| LimiterUnavailable::of(&error))?;
                Ok(allowed == 1)
            }
        }
    }

    /// Whether the shared store answers (always, in memory).
    pub(crate) async fn ready(&self) -> Option<bool> {
        match &self.backend {
            Backend::Memory(_) => None,
            Backend::Redis(cells) => {
                let mut connection = cells.connection.clone();
                Some(
                    redis::cmd("PING")
                        .query_async::<String>(&mut connection)
                        .await
                        .is_ok(),
                )
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    const ADDRESS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 8));

    #[tokio::test]
    async fn in_memory_the_burst_is_the_limit() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.check(ADDRESS).await.unwrap());
        }
        assert!(!limiter.check(ADDRESS).await.unwrap());
        assert!(limiter.check(OTHER).await.unwrap());
        assert_eq!(limiter.ready().await, None);
    }

    #[tokio::test]
    async fn replicas_on_one_redis_share_one_limit() {
        let Some(url) = tgauth_tests::service_url(
            "TGAUTH_TEST_REDIS_URL",
            "replicas_on_one_redis_share_one_limit",
        ) else {
            return;
        };
        let mut connection = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        for address in [ADDRESS, OTHER] {
            redis::cmd("DEL")
                .arg(format!("tgauth:login-rate:{address}"))
                .query_async::<i64>(&mut connection)
                .await
                .unwrap();
        }
        let first = RateLimiter::redis(&url, 3).await.unwrap();
        let second = RateLimiter::redis(&url, 3).await.unwrap();
        assert!(first.check(ADDRESS).await.unwrap());
        assert!(second.check(ADDRESS).await.unwrap());
        assert!(first.check(ADDRESS).await.unwrap());
        // Three replicas with a limit of three each would have allowed nine.
        assert!(!second.check(ADDRESS).await.unwrap());
        assert!(!first.check(ADDRESS).await.unwrap());
        assert!(second.check(OTHER).await.unwrap());
        assert_eq!(first.ready().await, Some(true));
        assert_eq!(format!("{first:?}"), "RateLimiter(redis)");
    }

    #[tokio::test]
    async fn a_redis_that_does_not_answer_is_an_error_without_its_address() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Nothing listens there now.
        let url = format!("redis://:secret-password@127.0.0.1:{port}/");
        let error = RateLimiter::redis(&url, 3).await.unwrap_err().to_string();
        assert!(error.contains("unavailable"), "{error}");
        assert!(
            !error.contains("secret-password") && !error.contains(&port.to_string()),
            "{error}"
        );
    }
}
