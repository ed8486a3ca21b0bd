//! The load generator the throughput benches share, and their bare axum reference.
//!
//! `TASKS` concurrent tasks, each on its own keep-alive HTTP/1.1 connection (hyper's client,
//! the leanest there is, so that the figures are the server's more than the client's), each
//! sending its next request when the last one was answered. Only answers with the expected
//! status count; anything else is reported as an error. Latencies are those of each request
//! (sent to last body byte); the percentiles come from all samples, sorted.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Request, Response, StatusCode, header};
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::Barrier;

/// A bench's `main`: prints the command that runs it, then runs `bench` on a multi-threaded
/// runtime.
pub(crate) fn main(command: &str, bench: impl Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("command: {command}");
    runtime.block_on(bench);
}

/// Concurrent requests in flight, each task on its own connection.
pub(crate) const TASKS: usize = 64;
pub(crate) const WARM_UP: Duration = Duration::from_secs(1);
pub(crate) const MEASURE: Duration = Duration::from_secs(5);

/// The next request of a task (`None`: nothing left to send).
pub(crate) type NextRequest = dyn Fn(usize) -> Option<Request<String>> + Send + Sync;

/// What one measured run did.
pub(crate) struct Outcome {
    pub(crate) ok: usize,
    pub(crate) errors: usize,
    pub(crate) first_error: Option<String>,
    pub(crate) elapsed: Duration,
    /// Latencies of the answered requests with the expected status, sorted.
    pub(crate) latencies: Vec<Duration>,
}

impl Outcome {
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The nearest-rank percentile `p` (0..=1).
    pub(crate) fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    pub(crate) fn report(&self, name: &str, reference: Option<f64>) {
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

pub(crate) fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A keep-alive HTTP/1.1 connection to `addr`.
pub(crate) async fn connect(addr: SocketAddr) -> SendRequest<String> {
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
pub(crate) async fn drain(
    mut body: Incoming,
    mut keep: Option<&mut Vec<u8>>,
) -> Result<(), hyper::Error> {
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let (Ok(data), Some(keep)) = (frame?.into_data(), keep.as_deref_mut()) {
            keep.extend_from_slice(&data);
        }
    }
    Ok(())
}

/// A GET of `path` on `addr`, with `cookie` if given.
pub(crate) fn get_request(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Request<String> {
    let mut request = Request::get(path).header(header::HOST, addr.to_string());
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(String::new()).unwrap()
}

/// A POST of the JSON `body` to `path` on `addr`, with `headers`.
#[allow(
    dead_code,
    reason = "each bench compiles this module; not all of them post"
)]
pub(crate) fn post_request(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Request<String> {
    let mut request = Request::post(path)
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).unwrap()
}

/// The resident memory of this process (`VmRSS`), in MiB.
#[allow(
    dead_code,
    reason = "each bench compiles this module; not all of them report memory"
)]
pub(crate) fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| {
                    value
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Sends `request` on `sender`; the answer with its body not read yet.
pub(crate) async fn send(
    sender: &mut SendRequest<String>,
    request: Request<String>,
) -> Result<Response<Incoming>, hyper::Error> {
    sender.ready().await?;
    sender.send_request(request).await
}

/// `request` on `sender`: the status and the `location` header (or, when `keep` and there is
/// none, the body), after reading the whole body.
async fn status_of(
    sender: &mut SendRequest<String>,
    request: Request<String>,
    keep: bool,
) -> Result<(StatusCode, Option<String>), hyper::Error> {
    let response = send(sender, request).await?;
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if keep && location.is_none() {
        let mut body = Vec::new();
        drain(response.into_body(), Some(&mut body)).await?;
        return Ok((status, Some(String::from_utf8_lossy(&body).into_owned())));
    }
    drain(response.into_body(), None).await?;
    Ok((status, location))
}

/// Drives `TASKS` connections to `addr` for `duration`, each sending `next(task)` until the
/// time is up or `next` has nothing left, and counts the answers with status `expected`.
pub(crate) async fn drive(
    addr: SocketAddr,
    duration: Duration,
    expected: StatusCode,
    next: Arc<NextRequest>,
) -> Outcome {
    drive_keeping(addr, duration, expected, next, false).await.0
}

/// [`drive`], also keeping the `location` (or, without one, the body) of every answer with
/// status `expected` (when `keep`).
pub(crate) async fn drive_keeping(
    addr: SocketAddr,
    duration: Duration,
    expected: StatusCode,
    next: Arc<NextRequest>,
    keep: bool,
) -> (Outcome, Vec<String>) {
    let barrier = Arc::new(Barrier::new(TASKS + 1));
    let mut handles = Vec::with_capacity(TASKS);
    for task in 0..TASKS {
        let barrier = Arc::clone(&barrier);
        let next = Arc::clone(&next);
        handles.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::with_capacity(65_536);
            let mut locations = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let Some(request) = next(task) else {
                    break;
                };
                let sent = Instant::now();
                match status_of(&mut sender, request, keep).await {
                    Ok((status, location)) if status == expected => {
                        latencies.push(sent.elapsed());
                        if keep && let Some(location) = location {
                            locations.push(location);
                        }
                    }
                    Ok((status, _)) => {
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
            (latencies, locations, errors, first_error)
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
    let mut kept = Vec::new();
    for handle in handles {
        let (latencies, locations, errors, first_error) = handle.await.unwrap();
        outcome.latencies.extend(latencies);
        kept.extend(locations);
        outcome.errors += errors;
        if outcome.first_error.is_none() {
            outcome.first_error = first_error;
        }
    }
    outcome.elapsed = started.elapsed();
    outcome.ok = outcome.latencies.len();
    outcome.latencies.sort_unstable();
    (outcome, kept)
}

/// A warm-up, then the measured run.
pub(crate) async fn measure(
    addr: SocketAddr,
    expected: StatusCode,
    next: Arc<NextRequest>,
) -> Outcome {
    drive(addr, WARM_UP, expected, Arc::clone(&next)).await;
    drive(addr, MEASURE, expected, next).await
}

/// The bare reference: an axum router with one route and no layer, answering `body` as JSON
/// (serialized per request, as the service's handlers do).
pub(crate) async fn bare_server(body: Value) -> SocketAddr {
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

/// The bare reference measured (warmed up), as a request source for `drive` again later.
pub(crate) async fn bare_reference(bare: SocketAddr) -> (Outcome, Arc<NextRequest>) {
    let next: Arc<NextRequest> = Arc::new(move |_| Some(get_request(bare, "/ok", None)));
    (measure(bare, StatusCode::OK, Arc::clone(&next)).await, next)
}

/// The `name=value` part of a `set-cookie` header.
#[allow(
    dead_code,
    reason = "each bench compiles this module; not all of them log in"
)]
pub(crate) fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// `tgauth serve --sandbox` in this process on SQLite in a temporary data directory, with
/// `settings` as its configuration file and the system clock, serving.
pub(crate) struct Serving {
    pub(crate) addr: SocketAddr,
    pub(crate) sandbox: tgauth::sandbox::SandboxHandle,
    pub(crate) data: tempfile::TempDir,
    /// The website's API key.
    #[allow(
        dead_code,
        reason = "each bench compiles this module; not all of them call the API"
    )]
    pub(crate) api_key: String,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

impl Serving {
    pub(crate) async fn start(settings: &str) -> Self {
        use tgauth_server::{SandboxService, ServeArgs};
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("bench.toml");
        std::fs::write(&config, settings).unwrap();
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
            service,
            sandbox,
            api_key,
            ..
        } = started;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            service
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            sandbox,
            data,
            api_key,
            stop,
            served,
        }
    }

    #[allow(
        dead_code,
        reason = "each bench compiles this module; not all of them log in"
    )]
    /// A session cookie for each widget login path in `logins` (each answered 303).
    pub(crate) async fn sessions(&self, logins: &[String]) -> Vec<String> {
        let mut sender = connect(self.addr).await;
        let mut cookies = Vec::with_capacity(logins.len());
        for path in logins {
            let response = send(&mut sender, get_request(self.addr, path, None))
                .await
                .unwrap();
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
        cookies
    }

    #[allow(
        dead_code,
        reason = "each bench compiles this module; not all of them read JSON"
    )]
    /// The JSON body of `request`, which must be answered 200.
    pub(crate) async fn json(&self, request: Request<String>) -> Value {
        let mut sender = connect(self.addr).await;
        let response = send(&mut sender, request).await.unwrap();
        let status = response.status();
        let mut bytes = Vec::new();
        drain(response.into_body(), Some(&mut bytes)).await.unwrap();
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).unwrap()
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(20), self.served)
            .await
            .unwrap()
            .unwrap();
        self.sandbox.shutdown().await.unwrap();
    }
}
