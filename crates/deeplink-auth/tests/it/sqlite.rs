//! The conformance suite on SQLite files in a temporary directory, plus crash-safety details.

use deeplink_auth::store::SqliteStore;
use deeplink_auth::store::{AnyStore, Store, StoreError};

use crate::conformance::{BOT, Harness, NOW, conformance_suite, user};

struct Sqlite {
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Sqlite {
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("links.db")
    }
}

impl Harness for Sqlite {
    type S = SqliteStore;

    fn store(&self) -> SqliteStore {
        self.store.clone()
    }

    async fn reopen(&self) -> Option<SqliteStore> {
        self.store.close().await;
        Some(SqliteStore::open_path(&self.path()).await.unwrap())
    }

    async fn down(&self) -> Option<Result<SqliteStore, StoreError>> {
        let down = SqliteStore::open_path(&self.dir.path().join("down.db"))
            .await
            .unwrap();
        down.close().await;
        Some(Ok(down))
    }
}

async fn open(_test: &str) -> Option<Sqlite> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("links.db"))
        .await
        .unwrap();
    Some(Sqlite { dir, store })
}

conformance_suite!(open);

#[tokio::test]
async fn url_opens_a_new_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let store = AnyStore::open(&url).await.unwrap();
    store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    assert!(path.exists());
    assert!(dir.path().join("fresh.db-wal").exists(), "WAL journal");
    // Opening again applies no migration twice.
    drop(store);
    let again = AnyStore::open(&url).await.unwrap();
    assert_eq!(
        again.links_of_account(&user("alice")).await.unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn bad_urls_are_typed_errors() {
    // SQLite URLs without a file would give the writer and the readers different private
    // databases (links written and never read back): refused.
    for url in [
        "nonsense",
        "ftp://x",
        "mysql://localhost/db",
        "sqlite://",
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite://x.db?mode=memory",
    ] {
        let error = AnyStore::open(url).await.unwrap_err();
        assert!(matches!(error, StoreError::Url { .. }), "{url}: {error:?}");
    }
    let missing_dir = AnyStore::open("sqlite:///nonexistent-dir-for-tgauth/x.db")
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing_dir,
            StoreError::Unavailable { .. } | StoreError::Backend { .. }
        ),
        "{missing_dir:?}"
    );
}

#[tokio::test]
async fn a_file_from_elsewhere_is_refused_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db.db");
    std::fs::write(
        &path,
        b"this is not a sqlite database, and it stays as it is",
    )
    .unwrap();
    assert!(SqliteStore::open_path(&path).await.is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a sqlite database, and it stays as it is"
    );
}

/// Where the crash test's child process writes, when it runs as the child.
const CRASH_DB_VAR: &str = "TGAUTH_TEST_CRASH_DB";

/// Issues and consumes pairs, printing a line after each commit: as the crash test's child
/// (with `TGAUTH_TEST_CRASH_DB` set) until it is killed; on its own, 50 pairs checked at once.
#[tokio::test]
async fn crash_writer() {
    let (path, pairs, _dir) = match std::env::var(CRASH_DB_VAR) {
        Ok(path) => (std::path::PathBuf::from(path), u64::MAX, None),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            (dir.path().join("writer.db"), 50, Some(dir))
        }
    };
    let store = SqliteStore::open_path(&path).await.unwrap();
    for n in 0..pairs {
        let id = 1 + i64::try_from(n).unwrap();
        let user = deeplink_auth::AccountId::new(&format!("user-{id}")).unwrap();
        let code = store
            .issue(&user, deeplink_auth::Ttl::CODE_DEFAULT, NOW)
            .await
            .unwrap()
            .code;
        store
            .consume(
                &code,
                crate::conformance::who(id),
                Default::default(),
                BOT,
                NOW,
            )
            .await
            .unwrap();
        println!("committed {id}");
    }
    if pairs != u64::MAX {
        assert_eq!(
            store
                .links_of_account(&user("user-50"))
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

/// A writer killed with SIGKILL mid-stream leaves a database that opens, passes SQLite's
/// integrity check, and holds every pair it reported as committed, each complete.
#[tokio::test]
async fn killed_writer_loses_no_committed_link() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "sqlite::crash_writer",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CRASH_DB_VAR, &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last = 0_i64;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            last = n.parse().unwrap();
            if last >= 300 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(last >= 300, "the writer stopped early at {last}");
    let store = SqliteStore::open_path(&path).await.unwrap();
    for id in 1..=last {
        let link = store
            .link_of_telegram_user(deeplink_auth::tgauth_core::UserId(id))
            .await
            .unwrap();
        assert_eq!(
            link.map(|l| l.account),
            Some(user(&format!("user-{id}"))),
            "pair {id}"
        );
    }
    // Whatever the kill interrupted is either fully there or not at all.
    let next = store
        .link_of_telegram_user(deeplink_auth::tgauth_core::UserId(last + 1))
        .await
        .unwrap();
    if let Some(link) = next {
        assert_eq!(link.account, user(&format!("user-{}", last + 1)));
    }
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

/// Store contents are untrusted too: malformed records read as a typed `Corrupt` error,
/// never a panic, and the rest of the store keeps working.
#[tokio::test]
async fn malformed_records_are_typed_errors() {
    use deeplink_auth::Error;
    use deeplink_auth::tgauth_core::UserId;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.db");
    let store = SqliteStore::open_path(&path).await.unwrap();
    let code = store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap()
        .code;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let link = "INSERT INTO deeplink_links (telegram_user_id, chat_id, user_id, linked_at)";
    for statement in [
        "UPDATE deeplink_codes SET state = 7".to_owned(),
        format!("{link} VALUES (5, 6, 'bob', 0)"),
        format!("{link} VALUES (7, 7, 'with\u{1}control', 0)"),
        format!("{link} VALUES (8, 8, X'00ff', 'yesterday')"),
    ] {
        sqlx::query(&statement).execute(&raw).await.unwrap();
    }
    let consumed = store
        .consume(
            &code,
            crate::conformance::who(42),
            Default::default(),
            BOT,
            NOW,
        )
        .await;
    assert!(
        matches!(consumed, Err(Error::Store(StoreError::Corrupt { .. }))),
        "{consumed:?}"
    );
    for id in [5, 7, 8] {
        let read = store.link_of_telegram_user(UserId(id)).await;
        assert!(matches!(read, Err(StoreError::Corrupt { .. })), "{read:?}");
    }
    let status = store.code_status(&code, NOW).await;
    assert!(
        matches!(status, Err(StoreError::Corrupt { .. })),
        "{status:?}"
    );
    // The rest still works.
    let fresh = store
        .issue(&user("carol"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap()
        .code;
    store
        .consume(
            &fresh,
            crate::conformance::who(43),
            Default::default(),
            BOT,
            NOW,
        )
        .await
        .unwrap();
}

/// Two stores on one file (two processes sharing the database) race for one code: SQLite's
/// locking (`BEGIN IMMEDIATE`, the busy timeout) lets exactly one consumer win across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_have_one_winner() {
    use deeplink_auth::Error;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = SqliteStore::open_path(&path).await.unwrap();
    let second = SqliteStore::open_path(&path).await.unwrap();
    let issued = first
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for id in 1..=60_i64 {
        let store = if id % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let code = issued.code.clone();
        tasks.push(tokio::spawn(async move {
            store
                .consume(
                    &code,
                    crate::conformance::who(id),
                    Default::default(),
                    BOT,
                    NOW,
                )
                .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => winners += 1,
            Err(Error::AlreadyUsed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(
        second.links_of_account(&user("alice")).await.unwrap().len(),
        1
    );
}

/// A database written before links recorded the website's confirmation (schema version 2)
/// opens, gains the column through the forward migration, and its links read as not
/// confirmed: login links for them need the website's confirmation first, or the dangerous
/// opt-out. The fast consume path still works on the upgraded trigger.
#[tokio::test]
async fn links_from_before_the_confirmation_read_as_not_confirmed() {
    use deeplink_auth::Error;
    use deeplink_auth::login::redeem;
    use deeplink_auth::tgauth_core::UserId;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    old_database(
        &path,
        2,
        &["INSERT INTO deeplink_links VALUES (42, 42, 'alice', 1700000000)"],
    )
    .await;

    let store = SqliteStore::open_path(&path).await.unwrap();
    let old = store
        .link_of_telegram_user(UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.account, user("alice"));
    assert!(!old.website_confirmed);
    let key = crate::login::key();
    assert!(
        key.sign(&old, deeplink_auth::Ttl::LOGIN_DEFAULT, NOW)
            .is_err()
    );
    let dangerous = key
        .dangerous_sign_unconfirmed(&old, deeplink_auth::Ttl::LOGIN_DEFAULT, NOW)
        .unwrap();
    redeem(&store, &key, dangerous.expose(), NOW).await.unwrap();
    let forged = deeplink_auth::store::Link {
        website_confirmed: true,
        ..old
    };
    let token = key
        .sign(&forged, deeplink_auth::Ttl::LOGIN_DEFAULT, NOW)
        .unwrap();
    let refused = redeem(&store, &key, token.expose(), NOW).await;
    assert!(
        matches!(refused, Err(Error::NotWebsiteConfirmed)),
        "{refused:?}"
    );
    // The trigger the migration replaced records the website's confirmation on the fast path.
    let linked = crate::conformance::linked(&store, "bob", 43, crate::conformance::WEBSITE).await;
    assert!(linked.website_confirmed);
    assert_eq!(
        store.link_of_telegram_user(UserId(43)).await.unwrap(),
        Some(linked)
    );
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

/// The released migrations, in order, for building databases the previous builds wrote.
const RELEASED: [&str; 4] = [
    include_str!("../../migrations/sqlite/0001_initial.sql"),
    include_str!("../../migrations/sqlite/0002_fast_link_trigger.sql"),
    include_str!("../../migrations/sqlite/0003_website_confirmed.sql"),
    include_str!("../../migrations/sqlite/0004_inactive_since.sql"),
];

/// Writes at `path` the database a build with the first `version` migrations left, with
/// `statements` run on it.
async fn old_database(path: &std::path::Path, version: usize, statements: &[&str]) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    for migration in &RELEASED[..version] {
        sqlx::raw_sql(migration).execute(&raw).await.unwrap();
    }
    sqlx::query("CREATE TABLE deeplink_schema (version BIGINT PRIMARY KEY)")
        .execute(&raw)
        .await
        .unwrap();
    for applied in 1..=i64::try_from(version).unwrap() {
        sqlx::query("INSERT INTO deeplink_schema (version) VALUES ($1)")
            .bind(applied)
            .execute(&raw)
            .await
            .unwrap();
    }
    for statement in statements {
        sqlx::query(statement).execute(&raw).await.unwrap();
    }
    raw.close().await;
}

/// The highest schema version a database records.
async fn schema_version(path: &std::path::Path) -> i64 {
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let version = sqlx::query_scalar("SELECT MAX(version) FROM deeplink_schema")
        .fetch_one(&raw)
        .await
        .unwrap();
    raw.close().await;
    version
}

/// A database written before links recorded their inactivity (schema version 3) opens, gains
/// the column through the forward migration, and its links read as active; marks work on them
/// and survive a reopen, and both write paths (the fast consume's trigger and the general
/// path) write the new column's default.
#[tokio::test]
async fn links_from_before_the_inactivity_read_as_active() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    old_database(
        &path,
        3,
        &[
            "INSERT INTO deeplink_links VALUES (42, 42, 'alice', 1700000000, 1)",
            "INSERT INTO deeplink_links VALUES (43, 43, 'alice', 1700000001, 0)",
        ],
    )
    .await;
    let store = SqliteStore::open_path(&path).await.unwrap();
    let (inactive, fresh) = crate::conformance::links_from_before_read_as_active(&store).await;
    store.close().await;

    let reopened = SqliteStore::open_path(&path).await.unwrap();
    crate::conformance::reads_back(&reopened, &[inactive, fresh]).await;
    assert_eq!(reopened.integrity_check().await.unwrap(), "ok");
    reopened.close().await;
    assert_eq!(schema_version(&path).await, 4);
}

/// A non-integer in a link's `inactive_since` (refused by the column's check, so written by
/// another tool that turned checks off) reads as a typed `Corrupt` error through every
/// operation that meets it, never a panic, and those that write leave it as it was.
#[tokio::test]
async fn malformed_inactivity_is_a_typed_error() {
    use deeplink_auth::Error;
    use sqlx::Connection as _;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.db");
    let store = SqliteStore::open_path(&path).await.unwrap();
    let link = crate::conformance::linked(&store, "alice", 42, crate::conformance::WEBSITE).await;
    crate::conformance::linked(&store, "bob", 43, BOT).await;
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let refused = sqlx::query(
        "UPDATE deeplink_links SET inactive_since = 'yesterday' WHERE telegram_user_id = 42",
    )
    .execute(&mut raw)
    .await;
    assert!(refused.is_err(), "the column's check refuses text");
    for statement in [
        "PRAGMA ignore_check_constraints = ON",
        "UPDATE deeplink_links SET inactive_since = 'yesterday' WHERE telegram_user_id = 42",
        "UPDATE deeplink_links SET inactive_since = 1.5 WHERE telegram_user_id = 43",
    ] {
        sqlx::query(statement).execute(&mut raw).await.unwrap();
    }
    crate::conformance::reads_and_marks_are_corrupt(&store, 42, "alice").await;
    crate::conformance::reads_and_marks_are_corrupt(&store, 43, "bob").await;
    let code = store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap()
        .code;
    let relinked = store
        .consume(
            &code,
            crate::conformance::who(42),
            Default::default(),
            BOT,
            NOW,
        )
        .await;
    assert!(
        matches!(relinked, Err(Error::Store(StoreError::Corrupt { .. }))),
        "{relinked:?}"
    );
    let redeemed = store
        .redeem_login_link(&crate::conformance::claims_for(&link, 5), NOW)
        .await;
    assert!(
        matches!(redeemed, Err(Error::Store(StoreError::Corrupt { .. }))),
        "{redeemed:?}"
    );
    // Nothing was written: the values, the code and the login link are as they were.
    let stored: Vec<(i64, String)> = sqlx::query_as(
        "SELECT telegram_user_id, typeof(inactive_since) || ':' || inactive_since \
         FROM deeplink_links ORDER BY telegram_user_id",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![
            (42, "text:yesterday".to_owned()),
            (43, "real:1.5".to_owned())
        ]
    );
    assert_eq!(
        store.code_status(&code, NOW).await.unwrap(),
        deeplink_auth::store::CodeStatus::Issued {
            account: user("alice")
        }
    );
    let uses: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deeplink_login_uses")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(uses, 0);
    raw.close().await.unwrap();
}

/// Every write of the store waits for its turn at a gate shared with another writer of the
/// file (the service's, in `tgauth serve`), so that the two never meet in SQLite's busy
/// handler; each is done once the turn is given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_take_their_turn_at_a_shared_gate() {
    use deeplink_auth::store::SqliteWriteGate;
    // A write that ignored the turn would be done within a millisecond or two.
    const HELD: std::time::Duration = std::time::Duration::from_millis(300);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gate.db").display());
    let gate = SqliteWriteGate::default();
    let store = AnyStore::open_sharing(&url, gate.clone()).await.unwrap();
    let code = store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap()
        .code;

    let turn = gate.turn().await;
    let mut issuing = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .issue(&user("bob"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
                .await
        }
    });
    // The one-statement claim on the store's own connection.
    let mut consuming = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .consume(
                    &code,
                    crate::conformance::who(1),
                    Default::default(),
                    BOT,
                    NOW,
                )
                .await
        }
    });
    assert!(tokio::time::timeout(HELD, &mut issuing).await.is_err());
    assert!(tokio::time::timeout(HELD, &mut consuming).await.is_err());
    // Reads do not wait.
    assert_eq!(
        store.links_of_account(&user("alice")).await.unwrap(),
        vec![]
    );

    drop(turn);
    issuing.await.unwrap().unwrap();
    consuming.await.unwrap().unwrap();
    assert_eq!(
        store.links_of_account(&user("alice")).await.unwrap().len(),
        1
    );
}
