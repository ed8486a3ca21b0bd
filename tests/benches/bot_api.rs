//! Throughput of the Bot API client against the sandbox over loopback HTTP.
//!
//! Run with `cargo bench -p tgauth-tests --bench bot_api`. It measures, in one run:
//!
//! - updates per second from injection (the sandbox's control call) to the acknowledged handler,
//!   via polling (batches of 100) and via webhook (the sandbox posting to the client's axum
//!   endpoint), once one update at a time and once over up to `max_connections` concurrent
//!   requests, as Telegram delivers;
//! - `sendMessage` calls per second with 64 concurrent tasks through the client, and the same
//!   calls through a bare `reqwest` client as the reference for the client's own overhead.

// A bench binary reports its figures on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tgauth::BotToken;
use tgauth::bot::polling::{Poller, PollingConfig};
use tgauth::bot::requests::{SendMessage, SetWebhook};
use tgauth::bot::types::Update;
use tgauth::bot::webhook::{SecretToken, WebhookConfig, router};
use tgauth::bot::{Client, RetryPolicy};
use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::{Sandbox, SandboxHandle};

const TOKEN: &str = "700000009:AAbench_secret_for_throughput_runs_0";
const BOT: &str = "bench_bot";
const USER: i64 = 777;

async fn sandbox() -> SandboxHandle {
    sandbox_with(false).await
}

/// A sandbox with the bench's bot and user; `parallel` makes it deliver webhooks over up to
/// `max_connections` concurrent requests instead of one at a time.
async fn sandbox_with(parallel: bool) -> SandboxHandle {
    let sandbox = Sandbox::builder()
        .parallel_webhooks(parallel)
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
    sandbox.create_user(NewUser::new(USER, "Bench")).unwrap();
    sandbox
}

fn client(sandbox: &SandboxHandle) -> Client {
    Client::builder(BotToken::new(TOKEN).unwrap())
        .base_url(sandbox.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

fn report(name: &str, count: u64, elapsed: Duration) -> f64 {
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<44} {count:>7} in {:>8.1} ms = {rate:>10.0}/s",
        elapsed.as_secs_f64() * 1000.0
    );
    rate
}

async fn polling(count: u64) -> f64 {
    let sandbox = Arc::new(sandbox().await);
    let client = client(&sandbox);
    let started = Instant::now();
    let injector = {
        let sandbox = Arc::clone(&sandbox);
        tokio::spawn(async move {
            for i in 0..count {
                sandbox.send_message(BOT, USER, &format!("u{i}")).unwrap();
                if i % 100 == 99 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let config = PollingConfig::default().limit(100).timeout_seconds(1);
    let mut updates = Poller::new(client).config(config).start().unwrap();
    let mut handled = 0;
    while handled < count {
        let tgauth::bot::polling::Event::Delivery(delivery) =
            updates.next().await.unwrap().unwrap()
        else {
            panic!("a dead letter in the bench");
        };
        std::hint::black_box(&delivery.update);
        delivery.ack();
        handled += 1;
    }
    updates.shutdown().await.unwrap();
    let elapsed = started.elapsed();
    injector.await.unwrap();
    assert!(sandbox.pending_updates(BOT).unwrap().is_empty());
    report("updates via polling (batches of 100)", count, elapsed)
}

/// Serves the webhook endpoint on loopback; returns its URL, the handled count and a signal
/// raised when `count` updates were handled.
async fn endpoint(count: u64) -> (String, Arc<tokio::sync::Notify>) {
    let handled = Arc::new(AtomicU64::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    let app = {
        let handled = Arc::clone(&handled);
        let done = Arc::clone(&done);
        router(
            "/hook",
            WebhookConfig::with_secret(SecretToken::new("bench").unwrap()),
            move |update: Update| {
                let handled = Arc::clone(&handled);
                let done = Arc::clone(&done);
                async move {
                    std::hint::black_box(&update);
                    if handled.fetch_add(1, Ordering::Relaxed) + 1 == count {
                        done.notify_one();
                    }
                    Ok::<(), &str>(())
                }
            },
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, done)
}

async fn webhook(count: u64, parallel: bool) -> f64 {
    let sandbox = Arc::new(sandbox_with(parallel).await);
    let client = client(&sandbox);
    let (url, done) = endpoint(count).await;
    let hook = SetWebhook::new(url)
        .secret_token(SecretToken::new("bench").unwrap())
        .max_connections(40);
    client.set_webhook(&hook).await.unwrap();
    let started = Instant::now();
    for i in 0..count {
        sandbox.send_message(BOT, USER, &format!("u{i}")).unwrap();
        if i % 100 == 99 {
            tokio::task::yield_now().await;
        }
    }
    done.notified().await;
    let name = if parallel {
        "updates via webhook, 40 connections"
    } else {
        "updates via webhook, one at a time"
    };
    report(name, count, started.elapsed())
}

/// The reference for the webhook figure: the same endpoint fed by one bare reqwest sender, one
/// update at a time as the sandbox delivers them, with no sandbox in the loop.
async fn webhook_endpoint_alone(count: u64) -> f64 {
    let (url, done) = endpoint(count).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    for i in 0..count {
        let body = format!(
            r#"{{"update_id":{i},"message":{{"message_id":{i},"date":1,"text":"u{i}","chat":{{"id":{USER},"type":"private","first_name":"Bench"}},"from":{{"id":{USER},"is_bot":false,"first_name":"Bench"}}}}}}"#
        );
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .header("X-Telegram-Bot-Api-Secret-Token", "bench")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    done.notified().await;
    report(
        "webhook endpoint alone, one sender (reference)",
        count,
        started.elapsed(),
    )
}

async fn send_messages(tasks: u64, per_task: u64) -> (f64, f64) {
    let sandbox = sandbox().await;
    sandbox.send_message(BOT, USER, "/start").unwrap();
    let client = client(&sandbox);
    let run = |bare: bool| {
        let client = client.clone();
        let http = reqwest::Client::new();
        let url = format!("{}/sendMessage", sandbox.bot_api_url(TOKEN));
        async move {
            let started = Instant::now();
            let mut handles = Vec::new();
            for task in 0..tasks {
                let client = client.clone();
                let http = http.clone();
                let url = url.clone();
                handles.push(tokio::spawn(async move {
                    for i in 0..per_task {
                        let request = SendMessage::new(USER, format!("t{task} m{i}"));
                        if bare {
                            let answer: serde_json::Value = http
                                .post(&url)
                                .json(&request)
                                .send()
                                .await
                                .unwrap()
                                .json()
                                .await
                                .unwrap();
                            assert_eq!(answer["ok"], true);
                        } else {
                            client.send_message(&request).await.unwrap();
                        }
                    }
                }));
            }
            for handle in handles {
                handle.await.unwrap();
            }
            started.elapsed()
        }
    };
    let count = tasks * per_task;
    // Warm-up of both paths (connection pools), then the measured runs in alternating order.
    run(true).await;
    run(false).await;
    let bare = report(
        "sendMessage, 64 tasks, bare reqwest (reference)",
        count,
        run(true).await,
    );
    let ours = report(
        "sendMessage, 64 tasks, bot-api-client",
        count,
        run(false).await,
    );
    (ours, bare)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Warm-up: connections, allocator, page cache.
        polling(2_000).await;
        let polling_rate = polling(50_000).await;
        let webhook_rate = webhook(50_000, false).await;
        let parallel_rate = webhook(50_000, true).await;
        let endpoint_rate = webhook_endpoint_alone(50_000).await;
        let (ours, bare) = send_messages(64, 300).await;
        println!();
        println!(
            "polling {polling_rate:.0}/s (target 5000), webhook {webhook_rate:.0}/s one at a time, \
             {parallel_rate:.0}/s over 40 connections (target 20000)"
        );
        println!(
            "webhook via sandbox / endpoint alone: {:.2}",
            webhook_rate / endpoint_rate
        );
        println!("sendMessage client/bare reqwest ratio: {:.2}", ours / bare);
    });
}
