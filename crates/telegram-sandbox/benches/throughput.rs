//! Update throughput of the sandbox: polling in batches of 100, and webhook delivery in order
//! and in parallel.
//!
//! The reference, measured in the same run, is the same number of sequential JSON POSTs from
//! reqwest straight to the same loopback receiver: the floor for in-order, one-at-a-time
//! webhook delivery. Run with `cargo bench -p telegram-sandbox --bench throughput`.

// Bench code: a failed setup should stop the run with its message; criterion's macros generate
// undocumented functions.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::State, routing::post};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use telegram_sandbox::{
    Sandbox, SandboxHandle,
    control::{NewBot, NewUser},
    tgauth_core::{FixedClock, UnixTime},
};
use tokio::{runtime::Runtime, sync::Notify};

const UPDATES: usize = 1000;
const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const BOT: &str = "bench_bot";

#[derive(Clone, Default)]
struct Counter {
    received: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

async fn receive(State(counter): State<Counter>, _body: String) {
    counter.received.fetch_add(1, Ordering::SeqCst);
    counter.changed.notify_one();
}

impl Counter {
    async fn wait_for(&self, total: usize) {
        while self.received.load(Ordering::SeqCst) < total {
            self.changed.notified().await;
        }
    }
}

async fn receiver() -> (String, Counter) {
    let counter = Counter::default();
    let router = Router::new()
        .route("/hook", post(receive))
        .with_state(counter.clone());
    let listener = tokio::net::TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, counter)
}

async fn start_sandbox(parallel_webhooks: bool) -> SandboxHandle {
    let sandbox = Sandbox::builder()
        .clock(FixedClock::new(UnixTime(1_700_000_000)))
        .parallel_webhooks(parallel_webhooks)
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
    sandbox.create_user(NewUser::new(7, "Bench")).unwrap();
    sandbox
}

fn inject(sandbox: &SandboxHandle, count: usize) {
    for _ in 0..count {
        sandbox.send_message(BOT, 7, "/start bench").unwrap();
    }
}

fn throughput(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    // Loopback only: never through a proxy the environment may name.
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let (url, counter) = runtime.block_on(receiver());
    let sandbox = runtime.block_on(start_sandbox(false));
    let parallel = runtime.block_on(start_sandbox(true));
    let update = json!({"update_id": 1, "message": {"message_id": 1, "date": 0,
        "chat": {"id": 7, "type": "private"}, "text": "/start bench"}});

    let mut group = c.benchmark_group("updates");
    group.throughput(Throughput::Elements(UPDATES as u64));
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("reference: sequential reqwest POSTs", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..UPDATES {
                    http.post(&url).json(&update).send().await.unwrap();
                }
            });
        });
    });

    group.bench_function("polling, batches of 100", |b| {
        let get_updates = format!("{}/getUpdates", sandbox.bot_api_url(TOKEN));
        let mut offset = 0;
        b.iter(|| {
            inject(&sandbox, UPDATES);
            runtime.block_on(async {
                let mut received = 0;
                while received < UPDATES {
                    let body: Value = http
                        .post(&get_updates)
                        .json(&json!({"offset": offset, "limit": 100}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let updates = body["result"].as_array().unwrap();
                    received += updates.len();
                    if let Some(last) = updates.last() {
                        offset = last["update_id"].as_i64().unwrap() + 1;
                    }
                }
            });
        });
    });

    for (name, sandbox) in [
        ("webhook delivery, in order", &sandbox),
        ("webhook delivery, parallel (max_connections 40)", &parallel),
    ] {
        runtime.block_on(async {
            let set_webhook = format!("{}/setWebhook", sandbox.bot_api_url(TOKEN));
            let body = json!({"url": url, "drop_pending_updates": true});
            http.post(set_webhook).json(&body).send().await.unwrap();
        });
        group.bench_function(name, |b| {
            b.iter(|| {
                let target = counter.received.load(Ordering::SeqCst) + UPDATES;
                inject(sandbox, UPDATES);
                runtime.block_on(counter.wait_for(target));
            });
        });
        runtime.block_on(async {
            let delete_webhook = format!("{}/deleteWebhook", sandbox.bot_api_url(TOKEN));
            http.post(delete_webhook).send().await.unwrap();
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
