//! The conformance suite on a real Redis (`TGAUTH_TEST_REDIS_URL`, started by `.ci/run` with
//! AOF on); each test works under its own key prefix so tests run in parallel.

use std::time::Duration;

use deeplink_auth::store::RedisStore;
use deeplink_auth::{LinkError, Store, StoreError, Ttl};

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
/// injected clock says (a fixed `now`: the key's TTL is the code's remaining life as of it).
#[tokio::test]
async fn codes_expire_natively() {
    let Some(redis) = open("codes_expire_natively").await else {
        return;
    };
    let store = redis.store();
    let now = crate::conformance::NOW;
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

/// A private `redis-server` on a Unix socket in a temporary directory, killed on drop.
struct PrivateRedis {
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    /// Starts one with the append-only file on and fsynced at every write, or `None` (after
    /// saying why) when `redis-server` is not installed; with `CI=true` that is a failure.
    async fn start(test: &str) -> Option<Self> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .output();
        if found.is_err() {
            assert!(
                !crate::servers_required(),
                "{test}: redis-server is not installed, and CI requires it"
            );
            crate::skip(&format!("{test}: skipped: redis-server is not installed"));
            return None;
        }
        let mut redis = Self {
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        redis.spawn().await;
        Some(redis)
    }

    fn url(&self) -> String {
        format!(
            "redis+unix://{}",
            self.dir.path().join("redis.sock").display()
        )
    }

    async fn spawn(&mut self) {
        let socket = self.dir.path().join("redis.sock");
        let _ = std::fs::remove_file(&socket);
        let child = std::process::Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Up to 30 s: a cold start (and the AOF replay) on a loaded 2-core runner; the bound
        // only stops hangs.
        for _ in 0..1200 {
            if socket.exists() && RedisStore::open(&self.url()).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server did not start");
    }

    /// Kills the server without letting it save anything (a crash).
    fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.crash();
    }
}

/// With the append-only file on, links survive a crash of the server (SIGKILL) and a
/// restart; a redelivered `/start` still reads "already linked".
#[tokio::test]
async fn links_survive_a_server_crash_with_aof() {
    let Some(mut redis) = PrivateRedis::start("links_survive_a_server_crash_with_aof").await else {
        return;
    };
    let now = crate::conformance::NOW;
    let store = RedisStore::open(&redis.url()).await.unwrap();
    let issued = store
        .issue(&user("alice"), Ttl::CODE_DEFAULT, now)
        .await
        .unwrap();
    let link = store
        .consume(&issued.code, who(42), Default::default(), now)
        .await
        .unwrap()
        .link;
    drop(store);
    redis.crash();
    redis.spawn().await;
    let store = RedisStore::open(&redis.url()).await.unwrap();
    assert_eq!(
        store.links_of_user(&user("alice")).await.unwrap(),
        vec![link]
    );
    let again = store
        .consume(&issued.code, who(42), Default::default(), now)
        .await
        .unwrap();
    assert_eq!(again.outcome, deeplink_auth::LinkOutcome::AlreadyLinked);
}

/// Store contents are untrusted: a consume over malformed records answers a typed `Corrupt`
/// error and writes nothing (Redis does not roll a failed script back, so the script checks
/// before its first write).
#[tokio::test]
async fn malformed_records_are_typed_errors_and_nothing_is_written() {
    use deeplink_auth::TelegramUserId;
    let Some(redis) = open("malformed_records_are_typed_errors_and_nothing_is_written").await
    else {
        return;
    };
    let store = redis.store();
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let code_key =
        |code: &deeplink_auth::LinkCode| format!("{}code:{}", redis.prefix, code.hash().to_hex());
    // The website user's index is not a set: the link would be written, then SADD would fail.
    let first = store
        .issue(&user("alice"), Ttl::CODE_DEFAULT, crate::conformance::NOW)
        .await
        .unwrap();
    let _: () = ::redis::cmd("SET")
        .arg(format!("{}user:alice", redis.prefix))
        .arg("not a set")
        .query_async(&mut raw)
        .await
        .unwrap();
    // An expiry that is not an integer: EXPIRE would fail after every other write.
    let second = store
        .issue(&user("bob"), Ttl::CODE_DEFAULT, crate::conformance::NOW)
        .await
        .unwrap();
    let _: () = ::redis::cmd("HSET")
        .arg(code_key(&second.code))
        .arg("exp")
        .arg("1e400")
        .query_async(&mut raw)
        .await
        .unwrap();
    // A website user id with a control character.
    let third = store
        .issue(&user("carol"), Ttl::CODE_DEFAULT, crate::conformance::NOW)
        .await
        .unwrap();
    let _: () = ::redis::cmd("HSET")
        .arg(code_key(&third.code))
        .arg("user")
        .arg("ca\u{1}rol")
        .query_async(&mut raw)
        .await
        .unwrap();
    for (code, id) in [(&first.code, 42), (&second.code, 43), (&third.code, 44)] {
        let consumed = store
            .consume(code, who(id), Default::default(), crate::conformance::NOW)
            .await;
        assert!(
            matches!(consumed, Err(LinkError::Store(StoreError::Corrupt { .. }))),
            "{consumed:?}"
        );
        assert_eq!(
            store
                .link_of_telegram_user(TelegramUserId(id))
                .await
                .unwrap(),
            None,
            "no link was written for {id}"
        );
        let state: Option<String> = ::redis::cmd("HGET")
            .arg(code_key(code))
            .arg("state")
            .query_async(&mut raw)
            .await
            .unwrap();
        assert_eq!(state.as_deref(), Some("0"), "the code stays unused");
    }
    // Repaired, the first code links as usual.
    let _: () = ::redis::cmd("DEL")
        .arg(format!("{}user:alice", redis.prefix))
        .query_async(&mut raw)
        .await
        .unwrap();
    store
        .consume(
            &first.code,
            who(42),
            Default::default(),
            crate::conformance::NOW,
        )
        .await
        .unwrap();
}
