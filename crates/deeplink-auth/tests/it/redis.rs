//! The conformance suite on a real Redis (`TGAUTH_TEST_REDIS_URL`, started by `.ci/run` with
//! AOF on); each test works under its own key prefix so tests run in parallel.

use std::time::Duration;

use deeplink_auth::store::RedisStore;
use deeplink_auth::store::{Store, StoreError};
use deeplink_auth::{Error, Ttl};

use crate::conformance::{BOT, Harness, WEBSITE, conformance_suite, user, who};

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
        .consume(&short.code, who(42), Default::default(), BOT, now)
        .await;
    assert!(matches!(gone, Err(Error::Unknown)), "{gone:?}");
    let link = store
        .consume(&kept.code, who(42), Default::default(), WEBSITE, now)
        .await
        .unwrap()
        .link;
    // Login-link records expire the same way.
    let claims = deeplink_auth::login::LoginClaims {
        account: link.account.clone(),
        telegram: link.telegram,
        expires_at: now.plus(1),
        id: deeplink_auth::code::CodeHash::from_bytes([3; 32]),
        dangerous_unconfirmed: false,
    };
    store.redeem_login_link(&claims, now).await.unwrap();
    let used = store.redeem_login_link(&claims, now).await;
    assert!(matches!(used, Err(Error::LoginLinkUsed)), "{used:?}");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    store.redeem_login_link(&claims, now).await.unwrap();
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
        .consume(&issued.code, who(42), Default::default(), BOT, now)
        .await
        .unwrap()
        .link;
    drop(store);
    redis.crash();
    redis.spawn().await;
    let store = RedisStore::open(&redis.url()).await.unwrap();
    assert_eq!(
        store.links_of_account(&user("alice")).await.unwrap(),
        vec![link]
    );
    let again = store
        .consume(&issued.code, who(42), Default::default(), BOT, now)
        .await
        .unwrap();
    assert_eq!(
        again.outcome,
        deeplink_auth::store::LinkOutcome::AlreadyLinked
    );
}

/// Store contents are untrusted: a consume over malformed records answers a typed `Corrupt`
/// error and writes nothing (Redis does not roll a failed script back, so the script checks
/// before its first write).
#[tokio::test]
async fn malformed_records_are_typed_errors_and_nothing_is_written() {
    use deeplink_auth::tgauth_core::UserId;
    let Some(redis) = open("malformed_records_are_typed_errors_and_nothing_is_written").await
    else {
        return;
    };
    let store = redis.store();
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let code_key = |code: &deeplink_auth::code::LinkCode| {
        format!("{}code:{}", redis.prefix, code.hash().to_hex())
    };
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
            .consume(
                code,
                who(id),
                Default::default(),
                BOT,
                crate::conformance::NOW,
            )
            .await;
        assert!(
            matches!(consumed, Err(Error::Store(StoreError::Corrupt { .. }))),
            "{consumed:?}"
        );
        assert_eq!(
            store.link_of_telegram_user(UserId(id)).await.unwrap(),
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
            BOT,
            crate::conformance::NOW,
        )
        .await
        .unwrap();
}

/// Link records written before links recorded the website's confirmation have no `wc` field:
/// they read as not confirmed everywhere, a relink by the same account keeps them so unless
/// the website confirms, and a malformed `wc` is a typed `Corrupt` error that writes nothing.
#[tokio::test]
async fn links_from_before_the_confirmation_read_as_not_confirmed() {
    use deeplink_auth::login::redeem;
    use deeplink_auth::tgauth_core::UserId;
    let Some(redis) = open("links_from_before_the_confirmation_read_as_not_confirmed").await else {
        return;
    };
    let store = redis.store();
    let now = crate::conformance::NOW;
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    for (telegram_user, account) in [(42, "alice"), (43, "bob")] {
        let _: () = ::redis::cmd("HSET")
            .arg(format!("{}link:{telegram_user}", redis.prefix))
            .arg(&[
                "user",
                account,
                "chat",
                &telegram_user.to_string(),
                "at",
                "1700000000",
            ])
            .query_async(&mut raw)
            .await
            .unwrap();
        let _: () = ::redis::cmd("SADD")
            .arg(format!("{}user:{account}", redis.prefix))
            .arg(telegram_user)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    let old = store
        .link_of_telegram_user(UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert!(!old.website_confirmed);
    assert_eq!(
        store.links_of_account(&user("alice")).await.unwrap(),
        vec![old.clone()]
    );
    let key = crate::login::key();
    let forged = deeplink_auth::store::Link {
        website_confirmed: true,
        ..old.clone()
    };
    let token = key.sign(&forged, Ttl::LOGIN_DEFAULT, now).unwrap();
    let refused = redeem(&store, &key, token.expose(), now).await;
    assert!(
        matches!(refused, Err(Error::NotWebsiteConfirmed)),
        "{refused:?}"
    );
    let dangerous = key
        .dangerous_sign_unconfirmed(&old, Ttl::LOGIN_DEFAULT, now)
        .unwrap();
    redeem(&store, &key, dangerous.expose(), now).await.unwrap();
    // The same account relinking by the bot alone stays unconfirmed; the website confirms it.
    for (by, expected) in [(BOT, false), (WEBSITE, true)] {
        let code = store
            .issue(&user("alice"), Ttl::CODE_DEFAULT, now)
            .await
            .unwrap()
            .code;
        let relinked = store
            .consume(&code, who(42), Default::default(), by, now)
            .await
            .unwrap();
        assert_eq!(relinked.link.website_confirmed, expected);
    }
    redeem(&store, &key, token.expose(), now).await.unwrap();
    // A malformed confirmation field: a consume that would rewrite the link refuses before
    // writing anything, and reads are typed errors.
    let _: () = ::redis::cmd("HSET")
        .arg(format!("{}link:43", redis.prefix))
        .arg("wc")
        .arg("yes")
        .query_async(&mut raw)
        .await
        .unwrap();
    let read = store.link_of_telegram_user(UserId(43)).await;
    assert!(matches!(read, Err(StoreError::Corrupt { .. })), "{read:?}");
    let code = store
        .issue(&user("bob"), Ttl::CODE_DEFAULT, now)
        .await
        .unwrap();
    let consumed = store
        .consume(&code.code, who(43), Default::default(), WEBSITE, now)
        .await;
    assert!(
        matches!(consumed, Err(Error::Store(StoreError::Corrupt { .. }))),
        "{consumed:?}"
    );
    let wc: Option<String> = ::redis::cmd("HGET")
        .arg(format!("{}link:43", redis.prefix))
        .arg("wc")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(wc.as_deref(), Some("yes"), "nothing was written");
    let state: Option<String> = ::redis::cmd("HGET")
        .arg(format!(
            "{}code:{}",
            redis.prefix,
            code.code.hash().to_hex()
        ))
        .arg("state")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(state.as_deref(), Some("0"), "the code stays unused");
}

/// Link records written before links recorded their inactivity have no `inactive` field: they
/// read as active through every read, marks add and remove the field, a mark of a Telegram
/// account without a link creates no key, and a consume that links again removes the field.
#[tokio::test]
async fn links_from_before_the_inactivity_read_as_active() {
    use deeplink_auth::tgauth_core::UserId;
    let Some(redis) = open("links_from_before_the_inactivity_read_as_active").await else {
        return;
    };
    let store = redis.store();
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let link_key = |telegram_user: i64| format!("{}link:{telegram_user}", redis.prefix);
    for (telegram_user, confirmed) in [(42, "1"), (43, "0")] {
        let _: () = ::redis::cmd("HSET")
            .arg(link_key(telegram_user))
            .arg(&[
                "user",
                "alice",
                "chat",
                &telegram_user.to_string(),
                "at",
                "1700000000",
                "wc",
                confirmed,
            ])
            .query_async(&mut raw)
            .await
            .unwrap();
        let _: () = ::redis::cmd("SADD")
            .arg(format!("{}user:alice", redis.prefix))
            .arg(telegram_user)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    let (inactive, fresh) = crate::conformance::links_from_before_read_as_active(&store).await;
    let reopened = redis.reopen().await.unwrap();
    crate::conformance::reads_back(&reopened, &[inactive, fresh]).await;
    // The field as stored: the mark's time, and gone where the link is active again.
    let mut fields = Vec::new();
    for telegram_user in [42, 43, 44] {
        let field: Option<String> = ::redis::cmd("HGET")
            .arg(link_key(telegram_user))
            .arg("inactive")
            .query_async(&mut raw)
            .await
            .unwrap();
        fields.push(field);
    }
    assert_eq!(fields, [Some("1700000000".to_owned()), None, None]);
    // A Telegram account without a link: no key appears.
    let now = crate::conformance::NOW;
    assert_eq!(
        store.mark_link_inactive(UserId(45), now).await.unwrap(),
        None
    );
    assert_eq!(store.mark_link_active(UserId(45)).await.unwrap(), None);
    let exists: i64 = ::redis::cmd("EXISTS")
        .arg(link_key(45))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 0);
}

/// A malformed `inactive` field (not an integer, or empty) is a typed `Corrupt` error through
/// every operation that meets it, never a panic, and the scripts that would write refuse
/// before writing anything.
#[tokio::test]
async fn malformed_inactivity_is_a_typed_error_and_nothing_is_written() {
    let Some(redis) = open("malformed_inactivity_is_a_typed_error_and_nothing_is_written").await
    else {
        return;
    };
    let store = redis.store();
    let now = crate::conformance::NOW;
    let client = ::redis::Client::open(redis.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    for (telegram_user, account, malformed) in [(42, "alice", "yesterday"), (43, "bob", "")] {
        let code = store
            .issue(&user(account), Ttl::CODE_DEFAULT, now)
            .await
            .unwrap()
            .code;
        let link = store
            .consume(&code, who(telegram_user), Default::default(), WEBSITE, now)
            .await
            .unwrap()
            .link;
        let link_key = format!("{}link:{telegram_user}", redis.prefix);
        let _: () = ::redis::cmd("HSET")
            .arg(&link_key)
            .arg("inactive")
            .arg(malformed)
            .query_async(&mut raw)
            .await
            .unwrap();
        crate::conformance::reads_and_marks_are_corrupt(&store, telegram_user, account).await;
        // The consumed code's repeats answer the link as stored: malformed.
        let repeat = store
            .consume(&code, who(telegram_user), Default::default(), BOT, now)
            .await;
        assert!(
            matches!(repeat, Err(Error::Store(StoreError::Corrupt { .. }))),
            "{malformed:?}: {repeat:?}"
        );
        let claim = store.claim(&code, who(telegram_user), now).await;
        assert!(
            matches!(claim, Err(Error::Store(StoreError::Corrupt { .. }))),
            "{malformed:?}: {claim:?}"
        );
        // A new code of the same account would rewrite the link: refused, the code unused.
        let fresh = store
            .issue(&user(account), Ttl::CODE_DEFAULT, now)
            .await
            .unwrap()
            .code;
        let relinked = store
            .consume(&fresh, who(telegram_user), Default::default(), BOT, now)
            .await;
        assert!(
            matches!(relinked, Err(Error::Store(StoreError::Corrupt { .. }))),
            "{malformed:?}: {relinked:?}"
        );
        let state: Option<String> = ::redis::cmd("HGET")
            .arg(format!("{}code:{}", redis.prefix, fresh.hash().to_hex()))
            .arg("state")
            .query_async(&mut raw)
            .await
            .unwrap();
        assert_eq!(state.as_deref(), Some("0"), "the code stays unused");
        // A login link for it: refused, and its use not recorded.
        let claims = crate::conformance::claims_for(&link, 6);
        let redeemed = store.redeem_login_link(&claims, now).await;
        assert!(
            matches!(redeemed, Err(Error::Store(StoreError::Corrupt { .. }))),
            "{malformed:?}: {redeemed:?}"
        );
        let used: i64 = ::redis::cmd("EXISTS")
            .arg(format!("{}login:{}", redis.prefix, claims.id.to_hex()))
            .query_async(&mut raw)
            .await
            .unwrap();
        assert_eq!(used, 0, "no login use was recorded");
        let stored: Option<String> = ::redis::cmd("HGET")
            .arg(&link_key)
            .arg("inactive")
            .query_async(&mut raw)
            .await
            .unwrap();
        assert_eq!(stored.as_deref(), Some(malformed), "nothing was written");
    }
}
