//! Throughput of `tgauth serve` on SQLite over loopback HTTP, against a bare axum handler.
//!
//! Run with `cargo bench -p tgauth-server --features sandbox --bench serve` (a release build).
//! The service runs in this process in sandbox mode (its own temporary data directory and
//! SQLite file, the login rate limit raised since all load comes from 127.0.0.1), beside a
//! bare axum router on another loopback port. One load generator (`load/mod.rs`, shared with
//! the `oidc` bench) drives both: `TASKS` concurrent tasks, each on its own keep-alive
//! HTTP/1.1 connection (hyper's client, the leanest there is, so that the figures are the
//! server's more than the client's), each sending its next request when the last one was
//! answered. It measures, in one run:
//!
//! - widget logins per second: `GET /auth/telegram/widget?<fields>` answered 303 with a
//!   session cookie, each request with its own signed login data (a used hash is a replay),
//!   which means verify the signature, record the hash, record the profile and write the
//!   session;
//! - `GET /api/v1/me` per second, each task with its own session cookie, answered 200;
//! - the bare reference: `GET /ok` on an axum router with no layer, answering the same JSON
//!   body as `me`, measured before the service and again after it.
//!
//! Every figure is a warm-up of `WARM_UP` and then `MEASURE` of load; only answers with the
//! expected status count, anything else is reported as an error. Latencies are those of each
//! request (sent to last body byte); the percentiles come from all samples, sorted. Both the
//! service and the load generator share this machine's cores, as do the bare reference and
//! its generator, so the ratios compare like with like.

// A bench binary reports its figures on stdout and fails loudly on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod load;

/// The allocator the `tgauth` program runs the service on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::http::StatusCode;
use load::{
    MEASURE, NextRequest, Serving, TASKS, WARM_UP, bare_reference, bare_server, drive, get_request,
    measure,
};

const COMMAND: &str = "cargo bench -p tgauth-server --features sandbox --bench serve";
const BOT: &str = "tgauth_sandbox_bot";
/// Signed login data sets made before timing: enough for the warm-up and the measurement at
/// well above the target rate; should the service be faster still, the run ends when they
/// are used up and the rate is over the shorter time.
const LOGIN_DATA: usize = 100_000;
/// The first Telegram user id of the bench's users.
const FIRST_USER: i64 = 10_000_000;

fn main() {
    load::main(COMMAND, run());
}

async fn run() {
    // All load comes from 127.0.0.1, which the default limit (60 logins a minute) would stop.
    let serving = Serving::start("login_rate_per_minute = 100000000\n").await;
    let addr = serving.addr;

    // Signed login data for distinct users, made before any timing: the sandbox signs
    // `auth_date` with the same clock as the service's.
    let generating = Instant::now();
    let queries: Vec<String> = (0..LOGIN_DATA + TASKS)
        .map(|i| {
            let user = FIRST_USER + i64::try_from(i).unwrap();
            let data = serving.sandbox.login_widget(BOT, user).unwrap();
            format!("/auth/telegram/widget?{}", data.query)
        })
        .collect();
    println!(
        "setup: {} signed widget logins made in {:.0} ms; {TASKS} concurrent connections, \
         {} s warm-up and {} s measured per figure; SQLite in {}",
        queries.len(),
        generating.elapsed().as_secs_f64() * 1000.0,
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        serving.data.path().display(),
    );

    // One session per task for `me`, from the last data sets.
    let cookies = serving.sessions(&queries[LOGIN_DATA..]).await;
    let me_body = serving
        .json(get_request(addr, "/api/v1/me", Some(&cookies[0])))
        .await;
    let bare = bare_server(me_body.clone()).await;
    let (bare_before, bare_next) = bare_reference(bare).await;

    let queries = Arc::new(queries);
    let taken = Arc::new(AtomicUsize::new(0));
    let login_next: Arc<NextRequest> = {
        let queries = Arc::clone(&queries);
        Arc::new(move |_| {
            let index = taken.fetch_add(1, Ordering::Relaxed);
            (index < LOGIN_DATA).then(|| get_request(addr, &queries[index], None))
        })
    };
    let logins = measure(addr, StatusCode::SEE_OTHER, login_next).await;

    let cookies = Arc::new(cookies);
    let me_next: Arc<NextRequest> =
        Arc::new(move |task| Some(get_request(addr, "/api/v1/me", Some(&cookies[task]))));
    let me = measure(addr, StatusCode::OK, me_next).await;

    let bare_after = drive(bare, MEASURE, StatusCode::OK, bare_next).await;

    let reference = (bare_before.rate() + bare_after.rate()) / 2.0;
    println!("me body ({} bytes): {me_body}", me_body.to_string().len());
    bare_before.report("bare axum GET /ok, before", None);
    bare_after.report("bare axum GET /ok, after", None);
    println!("bare reference (mean of both)        {reference:>7.0}/s");
    logins.report("widget login (verify + session)", Some(reference));
    me.report("GET /api/v1/me", Some(reference));
    println!(
        "targets: logins {:.0}/s of 5000 ({}), me {:.0}/s of 20000 ({})",
        logins.rate(),
        if logins.rate() >= 5000.0 {
            "met"
        } else {
            "missed"
        },
        me.rate(),
        if me.rate() >= 20_000.0 {
            "met"
        } else {
            "missed"
        },
    );

    serving.stop().await;
}
