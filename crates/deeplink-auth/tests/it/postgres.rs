//! The conformance suite on a real PostgreSQL (`TGAUTH_TEST_POSTGRES_URL`, started by
//! `.ci/run`); each test works in its own schema so tests run in parallel.

use deeplink_auth::store::PostgresStore;
use deeplink_auth::store::{Store, StoreError};

use crate::conformance::{BOT, Harness, NOW, conformance_suite, user};

const VAR: &str = "TGAUTH_TEST_POSTGRES_URL";

struct Postgres {
    url: String,
    schema: String,
    store: PostgresStore,
}

impl Harness for Postgres {
    type S = PostgresStore;

    fn store(&self) -> PostgresStore {
        self.store.clone()
    }

    async fn reopen(&self) -> Option<PostgresStore> {
        self.store.close().await;
        Some(
            PostgresStore::open_in_schema(&self.url, &self.schema)
                .await
                .unwrap(),
        )
    }

    async fn down(&self) -> Option<Result<PostgresStore, StoreError>> {
        // Port 1 on loopback: nothing listens there.
        Some(PostgresStore::open("postgres://tgauth@127.0.0.1:1/tgauth").await)
    }
}

/// Opens a fresh schema of the test's own (a random suffix keeps runs apart).
async fn open(test: &str) -> Option<Postgres> {
    let url = crate::server_url(VAR, test)?;
    let suffix = deeplink_auth::code::LinkCode::generate()
        .unwrap()
        .hash()
        .to_hex();
    let schema = format!("t_{test}_{}", &suffix[..8]);
    let store = PostgresStore::open_in_schema(&url, &schema).await;
    let store = store.unwrap_or_else(|e| panic!("{test}: cannot open {VAR}: {e:?}"));
    Some(Postgres { url, schema, store })
}

conformance_suite!(open);

/// Two servers (two stores, each with its own pool of connections) race 100 consumers for one
/// code: the row lock lets exactly one win across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_database() {
    let Some(first) = open("two_servers_share_one_database").await else {
        return;
    };
    let second = PostgresStore::open_in_schema(&first.url, &first.schema)
        .await
        .unwrap();
    let issued = first
        .store()
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for id in 1..=100_i64 {
        let store = if id % 2 == 0 {
            first.store()
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
            Err(deeplink_auth::Error::AlreadyUsed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(
        second.links_of_account(&user("alice")).await.unwrap().len(),
        1
    );
}

/// The server drops the store's connection in the middle of a consume (blocked on the code's
/// row): a clear `Unavailable` error, nothing written, and the store works again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_lost_mid_consume_writes_nothing() {
    use deeplink_auth::Error;
    use deeplink_auth::store::CodeStatus;
    use deeplink_auth::tgauth_core::UserId;
    let Some(pg) = open("a_connection_lost_mid_consume_writes_nothing").await else {
        return;
    };
    let store = pg.store();
    let issued = store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    let raw = sqlx::PgPool::connect(&pg.url).await.unwrap();
    let mut blocker = raw.begin().await.unwrap();
    sqlx::query(&format!(
        "SELECT 1 FROM {}.deeplink_codes WHERE hash = $1 FOR UPDATE",
        pg.schema
    ))
    .bind(issued.code.hash().as_bytes().as_slice())
    .execute(&mut *blocker)
    .await
    .unwrap();
    let consumer = {
        let (store, code) = (store.clone(), issued.code.clone());
        tokio::spawn(async move {
            store
                .consume(
                    &code,
                    crate::conformance::who(42),
                    Default::default(),
                    BOT,
                    NOW,
                )
                .await
        })
    };
    // Wait (bounded) until the consume waits for the row lock, then cut its connection.
    let mut terminated = 0_i64;
    for _ in 0..600 {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE wait_event_type = 'Lock' AND query LIKE '%deeplink_codes%' \
             AND pid <> pg_backend_pid()",
        )
        .fetch_one(&raw)
        .await
        .unwrap();
        if count > 0 {
            terminated = count;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(terminated > 0, "the consume never waited for the row lock");
    let result = consumer.await.unwrap();
    assert!(
        matches!(&result, Err(Error::Store(e)) if e.is_unavailable()),
        "{result:?}"
    );
    blocker.rollback().await.unwrap();
    assert_eq!(store.link_of_telegram_user(UserId(42)).await.unwrap(), None);
    assert_eq!(
        store.code_status(&issued.code, NOW).await.unwrap(),
        CodeStatus::Issued {
            account: user("alice")
        }
    );
    store
        .consume(
            &issued.code,
            crate::conformance::who(42),
            Default::default(),
            BOT,
            NOW,
        )
        .await
        .unwrap();
    raw.close().await;
}

/// A database written before links recorded the website's confirmation (schema version 1)
/// opens, gains the column through the forward migration, and its links read as not
/// confirmed.
#[tokio::test]
async fn links_from_before_the_confirmation_read_as_not_confirmed() {
    use deeplink_auth::tgauth_core::UserId;
    let Some(url) = crate::server_url(VAR, "links_from_before_the_confirmation") else {
        return;
    };
    let schema = old_schema(
        &url,
        1,
        "INSERT INTO deeplink_links VALUES (42, 42, 'alice', 1700000000);",
    )
    .await;

    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    let old = store
        .link_of_telegram_user(UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.account, user("alice"));
    assert!(!old.website_confirmed);
    let linked = crate::conformance::linked(&store, "bob", 43, crate::conformance::WEBSITE).await;
    assert!(linked.website_confirmed);
    // Opening again applies nothing twice.
    store.close().await;
    let again = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    assert_eq!(
        again.link_of_telegram_user(UserId(43)).await.unwrap(),
        Some(linked)
    );
}

/// The released migrations, in order, for building databases the previous builds wrote.
const RELEASED: [&str; 3] = [
    include_str!("../../migrations/postgres/0001_initial.sql"),
    include_str!("../../migrations/postgres/0002_website_confirmed.sql"),
    include_str!("../../migrations/postgres/0003_inactive_since.sql"),
];

/// Creates a schema of its own holding what a build with the first `version` migrations left,
/// with `statements` run in it, and returns its name.
async fn old_schema(url: &str, version: usize, statements: &str) -> String {
    let suffix = deeplink_auth::code::LinkCode::generate()
        .unwrap()
        .hash()
        .to_hex();
    let schema = format!("old_{}", &suffix[..12]);
    let raw = sqlx::PgPool::connect(url).await.unwrap();
    let mut setup = raw.begin().await.unwrap();
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA {schema}; SET LOCAL search_path TO {schema};"
    ))
    .execute(&mut *setup)
    .await
    .unwrap();
    for migration in &RELEASED[..version] {
        sqlx::raw_sql(migration).execute(&mut *setup).await.unwrap();
    }
    sqlx::raw_sql("CREATE TABLE deeplink_schema (version BIGINT PRIMARY KEY)")
        .execute(&mut *setup)
        .await
        .unwrap();
    for applied in 1..=i64::try_from(version).unwrap() {
        sqlx::query("INSERT INTO deeplink_schema (version) VALUES ($1)")
            .bind(applied)
            .execute(&mut *setup)
            .await
            .unwrap();
    }
    sqlx::raw_sql(statements)
        .execute(&mut *setup)
        .await
        .unwrap();
    setup.commit().await.unwrap();
    raw.close().await;
    schema
}

/// A database written before links recorded their inactivity (schema version 2) opens, gains
/// the column through the forward migration, and its links read as active; marks work on them
/// and survive a reopen, and new links (the fast consume) and links made again (the general
/// path) are active.
#[tokio::test]
async fn links_from_before_the_inactivity_read_as_active() {
    let Some(url) = crate::server_url(VAR, "links_from_before_the_inactivity_read_as_active")
    else {
        return;
    };
    let schema = old_schema(
        &url,
        2,
        "INSERT INTO deeplink_links VALUES (42, 42, 'alice', 1700000000, TRUE); \
         INSERT INTO deeplink_links VALUES (43, 43, 'alice', 1700000001, FALSE);",
    )
    .await;
    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    let (inactive, fresh) = crate::conformance::links_from_before_read_as_active(&store).await;
    store.close().await;

    let again = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    crate::conformance::reads_back(&again, &[inactive, fresh]).await;
    again.close().await;
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    let version: i64 = sqlx::query_scalar(&format!(
        "SELECT MAX(version) FROM {schema}.deeplink_schema"
    ))
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(version, 3);
    raw.close().await;
}

/// PostgreSQL's BIGINT column holds only integers; a schema someone changed so that it holds
/// text (here a non-integer time) reads as a typed `Corrupt` error through every operation
/// that meets it, never a panic, and the marks write nothing.
#[tokio::test]
async fn a_non_integer_inactivity_is_a_typed_error() {
    let Some(pg) = open("a_non_integer_inactivity_is_a_typed_error").await else {
        return;
    };
    let store = pg.store();
    crate::conformance::linked(&store, "alice", 42, BOT).await;
    let raw = sqlx::PgPool::connect(&pg.url).await.unwrap();
    sqlx::raw_sql(&format!(
        "ALTER TABLE {schema}.deeplink_links ALTER COLUMN inactive_since TYPE TEXT; \
         UPDATE {schema}.deeplink_links SET inactive_since = 'yesterday';",
        schema = pg.schema
    ))
    .execute(&raw)
    .await
    .unwrap();
    crate::conformance::reads_and_marks_are_corrupt(&store, 42, "alice").await;
    let stored: Option<String> = sqlx::query_scalar(&format!(
        "SELECT inactive_since FROM {}.deeplink_links WHERE telegram_user_id = 42",
        pg.schema
    ))
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(stored.as_deref(), Some("yesterday"), "nothing was written");
    raw.close().await;
}
