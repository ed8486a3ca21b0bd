//! Throughput of the bot's side and the website's side of `tgauth serve` on SQLite, against a
//! bare axum handler measured in the same run.
//!
//! Run with `cargo bench -p tgauth-server --features sandbox --bench flows` (a release build).
//! The service runs in this process in sandbox mode with `updates = "webhook"` and
//! `confirmation = "bot"`, beside the sandbox (which plays Telegram: it delivers updates to the
//! webhook over up to 40 connections and answers the bot's Bot API calls) and the load
//! generator of `load/mod.rs`. It measures, in one run:
//!
//! - **webhook updates, delivered by the sandbox**: `USERS` people press Start at once; the
//!   figure is updates per second from the first one sent to the last reply the bot sent
//!   (each update: claim it, handle `/start`, `sendMessage` to the sandbox, mark it done),
//!   each timed from the press to the reply;
//! - **webhook updates, posted by the load generator**: `POST /telegram/webhook/<path>` with the
//!   secret header, each a new `/start` from one of those people, answered 200 once handled;
//! - **links**: `POST /api/v1/links` (issue) per second; `/start <code>` posted to the webhook
//!   by the code's claimer (the claim: the bot asks to confirm); and the confirmations, each
//!   person pressing the bot's button, delivered by the sandbox, each timed from the press to
//!   the bot's answer; the pair figure is one issue plus one claim plus one confirmation, each
//!   at its measured rate;
//! - **notifications**: `POST /api/v1/notifications` to the linked users per second (queued,
//!   202), and notifications sent to the sandbox per second, from the first post until the
//!   sandbox received the last, with each one's latency from its POST to its arrival (a
//!   watcher polls the sandbox every `POLL`);
//! - the resident memory of this process (service, sandbox and load generator) at rest and
//!   after the load.

// A bench binary reports its figures on stdout and fails loudly on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod load;

/// The allocator the `tgauth` program runs the service on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use load::{
    MEASURE, NextRequest, Outcome, Serving, WARM_UP, bare_reference, bare_server, drive,
    drive_keeping, measure, post_request, resident_mib,
};
use serde_json::{Value, json};
use tgauth::UserId;
use tgauth::sandbox::control::NewUser;

const COMMAND: &str = "cargo bench -p tgauth-server --features sandbox --bench flows";
const BOT: &str = "tgauth_sandbox_bot";
/// The people of the run: each presses Start once in the setup, so that the bot may write to
/// them, and claims at most one link.
const USERS: usize = 30_000;
const FIRST_USER: i64 = 20_000_000;
const NOTE: &str = "Your order shipped";
/// How often the bench asks the sandbox for the messages and answers that arrived.
const POLL: Duration = Duration::from_millis(5);

fn main() {
    load::main(COMMAND, run());
}

async fn run() {
    let serving = Serving::start(
        "login_rate_per_minute = 100000000\nupdates = \"webhook\"\nconfirmation = \"bot\"\n",
    )
    .await;
    let addr = serving.addr;
    let sandbox = &serving.sandbox;
    let at_rest = resident_mib();
    let secret = std::fs::read_to_string(serving.data.path().join("webhook-secret")).unwrap();
    let secret = secret.trim().to_owned();
    let webhook = {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let tag = ring::hmac::sign(&key, b"tgauth webhook path");
        format!("/telegram/webhook/{}", hex::encode(&tag.as_ref()[..16]))
    };
    let users: Vec<i64> = (0..USERS)
        .map(|i| FIRST_USER + i64::try_from(i).unwrap())
        .collect();
    for user in &users {
        sandbox
            .create_user(NewUser::new(UserId(*user), format!("Person {user}")))
            .unwrap();
    }
    println!(
        "setup: {USERS} people; SQLite in {}; {} s warm-up and {} s measured per generator \
         figure; {at_rest:.0} MiB resident at rest",
        serving.data.path().display(),
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
    );

    let bare = bare_server(json!({"ok": true})).await;
    let (bare_before, bare_next) = bare_reference(bare).await;

    // Everyone presses Start; the sandbox delivers to the webhook. Each is timed from the
    // press to the bot's reply in that chat.
    let started = Instant::now();
    let mut started_at = HashMap::new();
    for user in &users {
        sandbox.send_message(BOT, *user, "/start").unwrap();
        started_at.insert(*user, Instant::now());
    }
    let replied_at = arrivals(
        "the replies to Start",
        0,
        |seen| sandbox.sent_since(BOT, seen).unwrap(),
        |sent| Some(sent.message.chat.id.get()),
        || Some(USERS),
    )
    .await;
    let starts = timed(&started_at, &replied_at, started, USERS);

    // New `/start`s posted straight to the webhook.
    let update_ids = Arc::new(AtomicUsize::new(1_000_000));
    let posted = {
        let secret = secret.clone();
        let webhook = webhook.clone();
        let users = users.clone();
        let update_ids = Arc::clone(&update_ids);
        let next: Arc<NextRequest> = Arc::new(move |_| {
            let id = update_ids.fetch_add(1, Ordering::Relaxed);
            let user = users[id % users.len()];
            Some(update_request(addr, &webhook, &secret, id, user, "/start"))
        });
        measure(addr, StatusCode::OK, next).await
    };

    // Links: issued through the API, claimed in the bot, confirmed with the button.
    let authorization = format!("Bearer {}", serving.api_key);
    let issued_count = Arc::new(AtomicUsize::new(0));
    let issue_next: Arc<NextRequest> = {
        let authorization = authorization.clone();
        let issued_count = Arc::clone(&issued_count);
        Arc::new(move |_| {
            let n = issued_count.fetch_add(1, Ordering::Relaxed);
            (n < USERS).then(|| {
                let body = json!({"user": format!("bench-{n}")}).to_string();
                post_request(
                    addr,
                    "/api/v1/links",
                    &[("authorization", &authorization)],
                    body,
                )
            })
        })
    };
    let (issued, links) = drive_keeping(addr, MEASURE, StatusCode::CREATED, issue_next, true).await;
    let codes: Vec<String> = links
        .iter()
        .map(|body| {
            let link: Value = serde_json::from_str(body).unwrap();
            let url = link["url"].as_str().unwrap();
            url.rsplit('=').next().unwrap().to_owned()
        })
        .collect();
    let codes = Arc::new(codes);
    let claim_count = Arc::new(AtomicUsize::new(0));
    let claim_next: Arc<NextRequest> = {
        let codes = Arc::clone(&codes);
        let users = users.clone();
        let update_ids = Arc::clone(&update_ids);
        Arc::new(move |_| {
            let n = claim_count.fetch_add(1, Ordering::Relaxed);
            codes.get(n).map(|code| {
                let id = update_ids.fetch_add(1, Ordering::Relaxed);
                let text = format!("/start {code}");
                update_request(addr, &webhook, &secret, id, users[n], &text)
            })
        })
    };
    let before_claims = sent_count(sandbox);
    let claimed = drive(addr, MEASURE * 4, StatusCode::OK, claim_next).await;
    wait_for("the confirmation prompts", || {
        sent_count(sandbox) >= before_claims + claimed.ok
    })
    .await;
    // Each prompt: its chat, its message, the button's data, and the account it names.
    let prompts: Vec<(i64, i64, String, String)> = sandbox
        .sent(BOT)
        .unwrap()
        .into_iter()
        .filter_map(|sent| {
            let data =
                sent.message.reply_markup.as_ref()?["inline_keyboard"][0][0]["callback_data"]
                    .as_str()?
                    .to_owned();
            let text = sent.message.text.as_deref()?;
            let account: String = text
                .split_once("bench-")?
                .1
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            data.starts_with("tgauth:link:").then(|| {
                (
                    sent.message.chat.id.get(),
                    sent.message.message_id,
                    data,
                    format!("bench-{account}"),
                )
            })
        })
        .collect();
    // Each person presses once, all at once; each press's answer is timed from the press (a
    // watcher polls the sandbox every `POLL`).
    let answers_before = sandbox.callback_answers(BOT).unwrap().len();
    let confirming = Instant::now();
    let mut pressed_at = HashMap::new();
    for (chat, message, data, _) in &prompts {
        sandbox.press_button(BOT, *chat, *message, data).unwrap();
        pressed_at.insert(*chat, Instant::now());
    }
    let answered_at = arrivals(
        "the answers to the presses",
        answers_before,
        |seen| sandbox.callback_answers_since(BOT, seen).unwrap(),
        |answer| Some(answer.user_id.get()),
        || Some(prompts.len()),
    )
    .await;
    let confirmations = timed(&pressed_at, &answered_at, confirming, 0);
    let confirmed = confirmations.rate();
    let linked: Vec<String> = prompts
        .iter()
        .map(|(_, _, _, account)| account.clone())
        .collect();

    // Notifications to the linked users, each numbered in its text: when its POST was sent is
    // kept, and a watcher polling the sandbox every `POLL` notes when it arrived.
    let seen_before = sent_count(sandbox);
    let linked = Arc::new(linked);
    let posted_at: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let note_next: Arc<NextRequest> = {
        let linked = Arc::clone(&linked);
        let posted_at = Arc::clone(&posted_at);
        let counter = AtomicUsize::new(0);
        Arc::new(move |_| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let text = format!("{NOTE} #{n}");
            let body = json!({"user": linked[n % linked.len()], "text": text}).to_string();
            posted_at.lock().unwrap().push((n, Instant::now()));
            Some(post_request(
                addr,
                "/api/v1/notifications",
                &[("authorization", &authorization)],
                body,
            ))
        })
    };
    let notifying = Instant::now();
    let expected = OnceLock::new();
    let posting = async {
        let queued = drive(addr, MEASURE, StatusCode::ACCEPTED, note_next).await;
        expected.set(queued.ok).unwrap();
        queued
    };
    let watching = arrivals(
        "the notifications",
        seen_before,
        |seen| sandbox.sent_since(BOT, seen).unwrap(),
        |sent| {
            let text = sent.message.text.as_deref()?;
            text.strip_prefix(NOTE)?
                .strip_prefix(" #")?
                .parse::<usize>()
                .ok()
        },
        || expected.get().copied(),
    );
    let (queued, arrived) = tokio::join!(posting, watching);
    let posted_at: HashMap<usize, Instant> = posted_at.lock().unwrap().iter().copied().collect();
    let notes_delivered = timed(&posted_at, &arrived, notifying, queued.ok);
    let loaded = resident_mib();

    let bare_after = drive(bare, MEASURE, StatusCode::OK, bare_next).await;
    let reference = (bare_before.rate() + bare_after.rate()) / 2.0;
    bare_before.report("bare axum GET /ok, before", None);
    bare_after.report("bare axum GET /ok, after", None);
    println!("bare reference (mean of both)        {reference:>7.0}/s");
    starts.report("webhook /start, press to reply", Some(reference));
    println!(
        "    (all {USERS} presses at once, delivered by the sandbox over its webhook \
         connections; latency from each press to the bot's reply, polled every {} ms)",
        POLL.as_millis()
    );
    posted.report("webhook update POSTed (/start)", Some(reference));
    issued.report("POST /api/v1/links (issue)", Some(reference));
    claimed.report("webhook /start <code> (claim)", Some(reference));
    confirmations.report("link confirmations, press to answer", None);
    println!(
        "    (all {} presses at once, delivered by the sandbox; latency from each press to the \
         bot's answer, polled every {} ms)",
        prompts.len(),
        POLL.as_millis()
    );
    let pairs = 1.0 / (1.0 / issued.rate() + 1.0 / claimed.rate() + 1.0 / confirmed);
    println!(
        "link issue + claim + confirmation     {pairs:>7.0}/s (one of each in turn at the rates \
         above; {} links)",
        linked.len()
    );
    queued.report("POST /api/v1/notifications (queued)", Some(reference));
    notes_delivered.report("notifications sent, POST to arrival", Some(reference));
    println!(
        "    (first post to last arrival; latency from each POST sent to its arrival at the \
         sandbox, polled every {} ms)",
        POLL.as_millis()
    );
    println!(
        "resident memory (this whole process)  {at_rest:.0} MiB at rest, {loaded:.0} MiB after the load"
    );
    serving.stop().await;
}

/// When each thing arrived, by `key` (things without one are not watched): polls `fetch`
/// (what arrived after the first `seen`) every `POLL` until `expected` (once known) have.
async fn arrivals<T, K: std::hash::Hash + Eq>(
    what: &str,
    mut seen: usize,
    fetch: impl Fn(usize) -> Vec<T>,
    key: impl Fn(&T) -> Option<K>,
    expected: impl Fn() -> Option<usize>,
) -> HashMap<K, Instant> {
    let start = Instant::now();
    let mut arrived = HashMap::new();
    loop {
        let new = fetch(seen);
        let now = Instant::now();
        seen += new.len();
        for item in &new {
            if let Some(key) = key(item) {
                arrived.entry(key).or_insert(now);
            }
        }
        if expected().is_some_and(|expected| arrived.len() >= expected) {
            return arrived;
        }
        assert!(
            start.elapsed() < MEASURE + Duration::from_secs(120),
            "{what} within two minutes"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// What arrived of the things started at `started_at` (by key) when `arrived_at` says: the
/// rate from `start` to the last arrival and each one's latency; `expected` more than arrived
/// count as errors.
fn timed<K: std::hash::Hash + Eq>(
    started_at: &HashMap<K, Instant>,
    arrived_at: &HashMap<K, Instant>,
    start: Instant,
    expected: usize,
) -> Outcome {
    let mut latencies: Vec<Duration> = started_at
        .iter()
        .filter_map(|(key, started)| Some(arrived_at.get(key)?.duration_since(*started)))
        .collect();
    latencies.sort_unstable();
    let last = arrived_at.values().max().copied().unwrap_or(start);
    Outcome {
        ok: latencies.len(),
        errors: expected.saturating_sub(latencies.len()),
        first_error: None,
        elapsed: last.duration_since(start),
        latencies,
    }
}

/// A webhook delivery of a private message `text` from `user` as update `id`.
fn update_request(
    addr: std::net::SocketAddr,
    webhook: &str,
    secret: &str,
    id: usize,
    user: i64,
    text: &str,
) -> axum::http::Request<String> {
    let command = text.split(' ').next().unwrap_or(text).len();
    let update = json!({
        "update_id": id,
        "message": {
            "message_id": id,
            // The service's clock: a date it takes as now.
            "date": tgauth::Clock::now(&tgauth::SystemClock).as_secs(),
            "chat": {"id": user, "type": "private", "first_name": "Person"},
            "from": {"id": user, "is_bot": false, "first_name": "Person"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": command}],
        },
    });
    post_request(
        addr,
        webhook,
        &[("x-telegram-bot-api-secret-token", secret)],
        update.to_string(),
    )
}

fn sent_count(sandbox: &tgauth::sandbox::SandboxHandle) -> usize {
    sandbox.sent(BOT).unwrap().len()
}

/// Polls `done` every 50 ms, for two minutes at most.
async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{what} within two minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
