//! Throughput of `tgauth serve` on SQLite over loopback HTTP, against a bare axum handler.
//!
//! Run with `cargo bench -p tgauth-server --features sandbox --bench serve` (a release build).
//! The service runs in this process in sandbox mode (its own temporary data directory and
//! SQLite file, the login rate limit raised since all load comes from 127.0.0.1), beside a
//! bare axum router on another loopback port. One load generator drives both: `TASKS`
//! concurrent tasks, each on its own keep-alive HTTP/1.1 connection (hyper's client, the
//! leanest there is, so that the figures are the server's more than the client's), each
//! sending its next request when the last one was answered. It measures, in one run:
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

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::{Request, Response, StatusCode, header};
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tgauth_server::{SandboxService, ServeArgs};
use tokio::sync::{Barrier, oneshot};

const COMMAND: &str = "cargo bench -p tgauth-server --features sandbox --bench serve";
const BOT: &str = "tgauth_sandbox_bot";
/// Concurrent requests in flight, each task on its own connection.
const TASKS: usize = 64;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
/// Signed login data sets made before timing: enough for the warm-up and the measurement at
/// well above the target rate; should the service be faster still, the run ends when they
/// are used up and the rate is over the shorter time.
const LOGIN_DATA: usize = 100_000;
/// The first Telegram user id of the bench's users.
const FIRST_USER: i64 = 10_000_000;

/// One request of a task: its path and the cookie to send, if any.
type NextRequest = dyn Fn(usize) -> Option<(String, Option<String>)> + Send + Sync;

/// What one measured run did.
struct Outcome {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
    /// Latencies of the answered requests with the expected status, sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The nearest-rank percentile `p` (0..=1).
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn report(&self, name: &str, reference: Option<f64>) {
        let ratio = reference.map_or_else(String::new, |bare| {
            format!("  ratio to bare {:.3}", self.rate() / bare)
        });
        println!(
            "{name:<36} {:>7} in {:>6.0} ms = {:>7.0}/s  p50 {:>6.0} µs  p99 {:>6.0} µs  errors {}{ratio}",
            self.ok,
            self.elapsed.as_secs_f64() * 1000.0,
            self.rate(),
            micros(self.percentile(0.50)),
            micros(self.percentile(0.99)),
            self.errors,
        );
        if let Some(error) = &self.first_error {
            println!("    first error: {error}");
        }
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A keep-alive HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> SendRequest<String> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        // The connection ends when its sender is dropped or the server closes it.
        let _ = connection.await;
    });
    sender
}

/// Reads a body to its end, keeping its bytes in `keep` if given.
async fn drain(mut body: Incoming, mut keep: Option<&mut Vec<u8>>) -> Result<(), hyper::Error> {
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let (Ok(data), Some(keep)) = (frame?.into_data(), keep.as_deref_mut()) {
            keep.extend_from_slice(&data);
        }
    }
    Ok(())
}

/// Sends one GET on `sender`; the answer with its body not read yet.
async fn send(
    sender: &mut SendRequest<String>,
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Result<Response<Incoming>, hyper::Error> {
    let mut request = Request::get(path).header(header::HOST, addr.to_string());
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    sender.ready().await?;
    sender
        .send_request(request.body(String::new()).unwrap())
        .await
}

/// One GET on `sender`: the status, after reading the whole body.
async fn get(
    sender: &mut SendRequest<String>,
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Result<StatusCode, hyper::Error> {
    let response = send(sender, addr, path, cookie).await?;
    let status = response.status();
    drain(response.into_body(), None).await?;
    Ok(status)
}

/// Drives `TASKS` connections to `addr` for `duration`, each sending `next(task)` until the
/// time is up or `next` has nothing left, and counts the answers with status `expected`.
async fn drive(
    addr: SocketAddr,
    duration: Duration,
    expected: StatusCode,
    next: Arc<NextRequest>,
) -> Outcome {
    let barrier = Arc::new(Barrier::new(TASKS + 1));
    let mut handles = Vec::with_capacity(TASKS);
    for task in 0..TASKS {
        let barrier = Arc::clone(&barrier);
        let next = Arc::clone(&next);
        handles.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::with_capacity(65_536);
            let mut errors = 0;
            let mut first_error = None;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let Some((path, cookie)) = next(task) else {
                    break;
                };
                let sent = Instant::now();
                match get(&mut sender, addr, &path, cookie.as_deref()).await {
                    Ok(status) if status == expected => latencies.push(sent.elapsed()),
                    Ok(status) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("status {status}"));
                    }
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| error.to_string());
                        sender = connect(addr).await;
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let mut outcome = Outcome {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for handle in handles {
        let (latencies, errors, first_error) = handle.await.unwrap();
        outcome.latencies.extend(latencies);
        outcome.errors += errors;
        if outcome.first_error.is_none() {
            outcome.first_error = first_error;
        }
    }
    outcome.elapsed = started.elapsed();
    outcome.ok = outcome.latencies.len();
    outcome.latencies.sort_unstable();
    outcome
}

/// A warm-up, then the measured run.
async fn measure(addr: SocketAddr, expected: StatusCode, next: Arc<NextRequest>) -> Outcome {
    drive(addr, WARM_UP, expected, Arc::clone(&next)).await;
    drive(addr, MEASURE, expected, next).await
}

/// The bare reference: an axum router with one route and no layer, answering `body` as JSON
/// (serialized per request, as the service's `me` does).
async fn bare_server(body: Value) -> SocketAddr {
    let app = axum::Router::new().route(
        "/ok",
        axum::routing::get(move || {
            let body = body.clone();
            async move { axum::Json(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The `name=value` part of a `set-cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("command: {COMMAND}");
    runtime.block_on(run());
}

async fn run() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("bench.toml");
    // All load comes from 127.0.0.1, which the default limit (60 logins a minute) would stop.
    std::fs::write(&config, "login_rate_per_minute = 100000000\n").unwrap();
    let args = ServeArgs {
        data: Some(data.path().to_owned()),
        sandbox: true,
        config: Some(config),
        ..ServeArgs::default()
    };
    let started = SandboxService::start(args, Arc::new(tgauth::SystemClock))
        .await
        .unwrap();
    let addr = started.service.local_addr();
    let SandboxService {
        service, sandbox, ..
    } = started;
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        service
            .run_until(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });

    // Signed login data for distinct users, made before any timing: the sandbox signs
    // `auth_date` with the same clock as the service's.
    let generating = Instant::now();
    let queries: Vec<String> = (0..LOGIN_DATA + TASKS)
        .map(|i| {
            let user = FIRST_USER + i64::try_from(i).unwrap();
            let data = sandbox.login_widget(BOT, user).unwrap();
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
        data.path().display(),
    );

    // One session per task for `me`, from the last data sets.
    let mut sender = connect(addr).await;
    let mut cookies = Vec::with_capacity(TASKS);
    for query in &queries[LOGIN_DATA..] {
        let response = send(&mut sender, addr, query, None).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "a login of the setup failed"
        );
        let set_cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .expect("a login sets the session cookie")
            .to_str()
            .unwrap();
        cookies.push(cookie_pair(set_cookie));
        drain(response.into_body(), None).await.unwrap();
    }
    let me_body: Value = {
        let response = send(&mut sender, addr, "/api/v1/me", Some(&cookies[0]))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut bytes = Vec::new();
        drain(response.into_body(), Some(&mut bytes)).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    drop(sender);
    let bare = bare_server(me_body.clone()).await;

    let bare_next: Arc<NextRequest> = Arc::new(|_| Some(("/ok".to_owned(), None)));
    let bare_before = measure(bare, StatusCode::OK, Arc::clone(&bare_next)).await;

    let queries = Arc::new(queries);
    let taken = Arc::new(AtomicUsize::new(0));
    let login_next: Arc<NextRequest> = {
        let queries = Arc::clone(&queries);
        Arc::new(move |_| {
            let index = taken.fetch_add(1, Ordering::Relaxed);
            (index < LOGIN_DATA).then(|| (queries[index].clone(), None))
        })
    };
    let logins = measure(addr, StatusCode::SEE_OTHER, login_next).await;

    let cookies = Arc::new(cookies);
    let me_next: Arc<NextRequest> =
        Arc::new(move |task| Some(("/api/v1/me".to_owned(), Some(cookies[task].clone()))));
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

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), served)
        .await
        .unwrap()
        .unwrap();
    sandbox.shutdown().await.unwrap();
}
