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
                .consume(&code, crate::conformance::who(id), Default::default(), NOW)
                .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => winners += 1,
            Err(deeplink_auth::LinkError::AlreadyUsed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(second.links_of_user(&user("alice")).await.unwrap().len(), 1);
}
