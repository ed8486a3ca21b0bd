//! The conformance suite on a real Redis (`TGAUTH_TEST_REDIS_URL`, started by `.ci/run` with
//! AOF on); each test works under its own key prefix so tests run in parallel.

use std::time::Duration;

use deeplink_auth::store::RedisStore;
use deeplink_auth::{LinkError, Store, StoreError, Ttl, UnixTime};

use crate::conformance::{Harness, conformance_suite, user, who};

const VAR: &str = "TGAUTH_TEST_REDIS_URL";

struct Redis {
    url: String,
    prefix: String,
    store: RedisStore,
}

impl Harness for Redis {
    type S = RedisStore;

    fn store(&self) -> RedisStore {
        self.store.clone()
    }

    async fn reopen(&self) -> Option<RedisStore> {
        Some(
            RedisStore::open_with_prefix(&self.url, &self.prefix)
                .await
                .unwrap(),
        )
    }

    async fn down(&self) -> Option<Result<RedisStore, StoreError>> {
        // Port 1 on loopback: nothing listens there.
        Some(RedisStore::open("redis://127.0.0.1:1/").await)
    }
}

/// Opens the test's own, emptied key prefix.
async fn open(test: &str) -> Option<Redis> {
    let url = crate::server_url(VAR, test)?;
    let prefix = format!("tgauth-test:{test}:");
    let store = RedisStore::open_with_prefix(&url, &prefix).await;
    let store = store.unwrap_or_else(|e| panic!("{test}: cannot open {VAR}: {e:?}"));
    store.clear().await.unwrap();
    Some(Redis { url, prefix, store })
}

conformance_suite!(open);

/// Redis expires codes in real time: a one-second code is gone after its TTL, whatever the
/// injected clock says.
#[tokio::test]
async fn codes_expire_natively() {
    let Some(redis) = open("codes_expire_natively").await else {
        return;
    };
    let store = redis.store();
    let now = UnixTime::now();
    let short = store
        .issue(&user("alice"), Ttl::from_seconds(1).unwrap(), now)
        .await
        .unwrap();
    let kept = store
        .issue(&user("alice"), Ttl::from_seconds(600).unwrap(), now)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let gone = store
        .consume(&short.code, who(42), Default::default(), now)
        .await;
    assert!(matches!(gone, Err(LinkError::Unknown)), "{gone:?}");
    store
        .consume(&kept.code, who(42), Default::default(), now)
        .await
        .unwrap();
    // Login-link records expire the same way.
    let id = deeplink_auth::CodeHash::from_bytes([3; 32]);
    store.use_login_link(&id, now.plus(1), now).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    store.use_login_link(&id, now.plus(1), now).await.unwrap();
}
