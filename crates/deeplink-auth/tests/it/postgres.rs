//! The conformance suite on a real PostgreSQL (`TGAUTH_TEST_POSTGRES_URL`, started by
//! `.ci/run`); each test works in its own schema so tests run in parallel.

use deeplink_auth::store::PostgresStore;
use deeplink_auth::{Store, StoreError};

use crate::conformance::{Harness, NOW, conformance_suite, user};

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
    let suffix = deeplink_auth::LinkCode::generate().unwrap().hash().to_hex();
    let schema = format!("t_{test}_{}", &suffix[..8]);
    let store = PostgresStore::open_in_schema(&url, &schema).await;
    let store = store.unwrap_or_else(|e| panic!("{test}: cannot open {VAR}: {e:?}"));
    Some(Postgres { url, schema, store })
}

conformance_suite!(open);

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
    let one = first.store();
    let (a, b) = tokio::join!(
        one.consume(
            &issued.code,
            crate::conformance::who(1),
            Default::default(),
            NOW
        ),
        second.consume(
            &issued.code,
            crate::conformance::who(2),
            Default::default(),
            NOW
        ),
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "{a:?} {b:?}"
    );
}
