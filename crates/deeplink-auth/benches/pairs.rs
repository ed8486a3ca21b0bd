//! Issue+consume pairs per second per backend, with 1 and 32 concurrent tasks.
//!
//! The in-memory store is the reference measured in the same run. SQLite runs on a file in a
//! temporary directory with its durable settings (WAL, `synchronous=NORMAL`). PostgreSQL and
//! Redis run when `TGAUTH_TEST_POSTGRES_URL` / `TGAUTH_TEST_REDIS_URL` are set and the
//! `postgres` / `redis` features are on:
//!
//! ```text
//! cargo bench -p deeplink-auth --all-features --bench pairs
//! ```

// A bench binary reports what it skips and stops at the first failure; criterion's macros
// generate undocumented functions.
#![allow(
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deeplink_auth::store::{CommittedBy, LinkPolicy, MemoryStore, SqliteStore, Store};
use deeplink_auth::tgauth_core::{ChatId, UnixTime, UserId};
use deeplink_auth::{AccountId, TelegramIdentity, Ttl};

const NOW: UnixTime = UnixTime(1_700_000_000);

/// Runs `pairs` issue+consume pairs spread over `tasks` tasks and returns the elapsed time.
async fn run_pairs<S: Store + Clone + 'static>(
    store: &S,
    tasks: u64,
    pairs: u64,
    next_id: &Arc<AtomicI64>,
) -> Duration {
    let start = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let share = pairs / tasks + u64::from(task < pairs % tasks);
        let store = store.clone();
        let next_id = Arc::clone(next_id);
        handles.push(tokio::spawn(async move {
            let user = AccountId::new(&format!("bench-user-{task}")).unwrap();
            for _ in 0..share {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let who = TelegramIdentity::new(UserId(id), ChatId(id)).unwrap();
                let issued = store.issue(&user, Ttl::CODE_DEFAULT, NOW).await.unwrap();
                store
                    .consume(
                        &issued.code,
                        who,
                        LinkPolicy::default(),
                        CommittedBy::Chat,
                        NOW,
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    start.elapsed()
}

fn bench_store<S: Store + Clone + 'static>(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
) {
    let mut group = c.benchmark_group(format!("pairs/{name}"));
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    let next_id = Arc::new(AtomicI64::new(1));
    for tasks in [1_u64, 32] {
        group.bench_function(format!("{tasks}_tasks"), |b| {
            b.iter_custom(|iters| runtime.block_on(run_pairs(store, tasks, iters, &next_id)));
        });
    }
    group.finish();
}

fn pairs(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let memory = MemoryStore::default();
    bench_store(c, &runtime, "memory", &memory);

    let dir = tempfile::tempdir().unwrap();
    let sqlite = runtime
        .block_on(SqliteStore::open_path(&dir.path().join("bench.db")))
        .unwrap();
    bench_store(c, &runtime, "sqlite", &sqlite);

    #[cfg(feature = "postgres")]
    match std::env::var("TGAUTH_TEST_POSTGRES_URL") {
        Ok(url) => {
            let schema = format!("bench_{}", std::process::id());
            let store = runtime
                .block_on(deeplink_auth::store::PostgresStore::open_in_schema(
                    &url, &schema,
                ))
                .unwrap();
            bench_store(c, &runtime, "postgres", &store);
        }
        Err(_) => eprintln!("pairs/postgres: skipped: TGAUTH_TEST_POSTGRES_URL is not set"),
    }

    #[cfg(feature = "redis")]
    match std::env::var("TGAUTH_TEST_REDIS_URL") {
        Ok(url) => {
            let prefix = format!("tgauth-bench:{}:", std::process::id());
            let store = runtime
                .block_on(deeplink_auth::store::RedisStore::open_with_prefix(
                    &url, &prefix,
                ))
                .unwrap();
            bench_store(c, &runtime, "redis", &store);
            runtime.block_on(store.clear()).unwrap();
        }
        Err(_) => eprintln!("pairs/redis: skipped: TGAUTH_TEST_REDIS_URL is not set"),
    }
}

criterion_group!(benches, pairs);
criterion_main!(benches);
