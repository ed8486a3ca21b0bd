//! Throughput of `tgauth serve`'s OpenID Connect provider on SQLite over loopback HTTP: the
//! code exchange at the token endpoint and userinfo, against a bare axum handler.
//!
//! Run with `cargo bench -p tgauth-server --features sandbox --bench oidc` (a release build).
//! The service runs in this process in sandbox mode (its own temporary data directory and
//! SQLite file) with one trusted confidential client, beside a bare axum router on another
//! loopback port; the load generator is `serve`'s (`load/mod.rs`): `TASKS` keep-alive HTTP/1.1
//! connections, each sending its next request when the last one was answered. In one run:
//!
//! - setup: one widget login per task (a session each, so codes belong to `TASKS` people),
//!   then `CODES` codes minted with `GET /oauth2/authorize` (the client is trusted, so each
//!   answer is a 303 to the client with a fresh code), all concurrent; its rate is printed too;
//! - code exchanges per second: `POST /oauth2/token` with `client_secret_basic`, the code, the
//!   redirect URI and the PKCE verifier, each code once, answered 200 with an ES256-signed ID
//!   token, an access token and a refresh token (use the code, read the person's claims, sign,
//!   store both tokens);
//! - userinfo per second: `GET /oauth2/userinfo` with one access token (scope `openid
//!   profile`), answered 200 with the claims;
//! - the bare reference: `GET /ok` answering the userinfo body, before and after.
//!
//! Every figure is a warm-up of `WARM_UP` and then `MEASURE` of load (the exchange stops
//! early if the codes run out; its rate is then over the shorter time). The service and the
//! load generator share this machine's cores, as do the bare reference and its generator.

// A bench binary reports its figures on stdout and fails loudly on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod load;

/// The allocator the `tgauth` program runs the service on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use load::{
    MEASURE, NextRequest, Outcome, Serving, TASKS, WARM_UP, bare_reference, bare_server, drive,
    drive_keeping, get_request, measure,
};

const COMMAND: &str = "cargo bench -p tgauth-server --features sandbox --bench oidc";
const BOT: &str = "tgauth_sandbox_bot";
const CLIENT: &str = "bench";
const SECRET: &str = "bench-client-secret-0123456789abcdef";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// The PKCE verifier of every code (RFC 7636's example); codes differ, verifiers need not.
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9XTnjVzcW-kJCn9VJjyLgAEIwz";
/// Codes minted before timing: enough for the warm-up and the measurement.
const CODES: usize = 30_000;
/// The first Telegram user id of the bench's people.
const FIRST_USER: i64 = 20_000_000;
/// Keycloak's published sizing: token requests per second per vCPU.
const KEYCLOAK_PER_VCPU: f64 = 120.0;
/// Zitadel's published userinfo run (requests per second, on a cluster).
const ZITADEL_USERINFO: f64 = 2_653.0;

fn settings() -> String {
    let hash = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        SECRET.as_bytes(),
    ));
    format!(
        r#"# All load comes from 127.0.0.1, which the default login limit would stop.
login_rate_per_minute = 100000000

[[oidc.clients]]
id = "{CLIENT}"
name = "Bench"
secret_hash = "{hash}"
redirect_uris = ["{REDIRECT}"]
trusted = true
"#
    )
}

/// The authorization request every code is minted with.
fn authorize_path() -> String {
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        VERIFIER.as_bytes(),
    ));
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile")
        .append_pair("state", "bench-state")
        .append_pair("nonce", "bench-nonce")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth2/authorize?{query}")
}

/// The code a redirect back to the client carries.
fn code_of(location: &str) -> String {
    let query = location.split_once('?').expect("a query").1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code")
}

/// The token request exchanging `code`, with `client_secret_basic`.
fn exchange(addr: std::net::SocketAddr, body: &str) -> Request<String> {
    let basic = STANDARD.encode(format!("{CLIENT}:{SECRET}"));
    Request::post("/oauth2/token")
        .header(header::HOST, addr.to_string())
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .unwrap()
}

fn exchange_body(code: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_verifier", VERIFIER)
        .finish()
}

fn userinfo(addr: std::net::SocketAddr, access_token: &str) -> Request<String> {
    Request::get("/oauth2/userinfo")
        .header(header::HOST, addr.to_string())
        .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
        .body(String::new())
        .unwrap()
}

/// The one line per figure the issue asks for.
fn summary(name: &str, outcome: &Outcome) {
    println!(
        "{name}: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        outcome.rate(),
        outcome.percentile(0.50).as_secs_f64() * 1000.0,
        outcome.percentile(0.99).as_secs_f64() * 1000.0,
    );
}

fn main() {
    load::main(COMMAND, run());
}

async fn run() {
    let serving = Serving::start(&settings()).await;
    let addr = serving.addr;

    // One session per task.
    let logins: Vec<String> = (0..TASKS)
        .map(|task| {
            let user = FIRST_USER + i64::try_from(task).unwrap();
            let data = serving.sandbox.login_widget(BOT, user).unwrap();
            format!("/auth/telegram/widget?{}", data.query)
        })
        .collect();
    let cookies = Arc::new(serving.sessions(&logins).await);

    // The codes, each task minting with its own session until `CODES` (and one more, for
    // userinfo's access token) are asked for.
    let path = Arc::new(authorize_path());
    let asked = Arc::new(AtomicUsize::new(0));
    let mint_next: Arc<NextRequest> = {
        let cookies = Arc::clone(&cookies);
        Arc::new(move |task| {
            (asked.fetch_add(1, Ordering::Relaxed) <= CODES)
                .then(|| get_request(addr, &path, Some(&cookies[task])))
        })
    };
    let (minting, locations) = drive_keeping(
        addr,
        Duration::from_secs(300),
        StatusCode::SEE_OTHER,
        mint_next,
        true,
    )
    .await;
    assert_eq!(minting.errors, 0, "{:?}", minting.first_error);
    let mut codes: Vec<String> = locations.iter().map(|location| code_of(location)).collect();
    assert_eq!(codes.len(), CODES + 1);
    println!(
        "setup: {TASKS} sessions, {} codes minted; {TASKS} concurrent connections, {} s warm-up \
         and {} s measured per figure; SQLite in {}",
        codes.len(),
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        serving.data.path().display(),
    );

    // Userinfo's access token, and the body the bare reference answers.
    let tokens = serving
        .json(exchange(addr, &exchange_body(&codes.pop().unwrap())))
        .await;
    let access_token = Arc::new(tokens["access_token"].as_str().unwrap().to_owned());
    let claims = serving.json(userinfo(addr, &access_token)).await;
    let bare = bare_server(claims.clone()).await;
    let (bare_before, bare_next) = bare_reference(bare).await;

    let bodies: Arc<Vec<String>> = Arc::new(codes.iter().map(|code| exchange_body(code)).collect());
    let taken = Arc::new(AtomicUsize::new(0));
    let exchange_next: Arc<NextRequest> = Arc::new(move |_| {
        let index = taken.fetch_add(1, Ordering::Relaxed);
        bodies.get(index).map(|body| exchange(addr, body))
    });
    let started = Instant::now();
    let exchanges = measure(addr, StatusCode::OK, exchange_next).await;
    let exchanging = started.elapsed();

    let userinfo_next: Arc<NextRequest> = Arc::new(move |_| Some(userinfo(addr, &access_token)));
    let userinfos = measure(addr, StatusCode::OK, userinfo_next).await;

    let bare_after = drive(bare, MEASURE, StatusCode::OK, bare_next).await;

    let reference = (bare_before.rate() + bare_after.rate()) / 2.0;
    println!(
        "userinfo body ({} bytes): {claims}",
        claims.to_string().len()
    );
    bare_before.report("bare axum GET /ok, before", None);
    bare_after.report("bare axum GET /ok, after", None);
    println!("bare reference (mean of both)        {reference:>7.0}/s");
    minting.report("authorize (trusted, code minted)", Some(reference));
    exchanges.report("POST /oauth2/token (code exchange)", Some(reference));
    userinfos.report("GET /oauth2/userinfo", Some(reference));
    if exchanges.ok + exchanges.errors + 1 >= CODES {
        println!(
            "    the codes ran out: warm-up and measurement took {:.1} s",
            exchanging.as_secs_f64()
        );
    }
    summary("oidc code exchange", &exchanges);
    summary("oidc userinfo", &userinfos);
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    println!(
        "beside: Keycloak's sizing, {KEYCLOAK_PER_VCPU:.0} token requests/s per vCPU ({:.0}/s for \
         this machine's {cores} cores, here shared with the load generator): code exchange \
         {:.1}x; Zitadel's userinfo run, {ZITADEL_USERINFO:.0}/s on a cluster: userinfo {:.1}x",
        KEYCLOAK_PER_VCPU * cores as f64,
        exchanges.rate() / (KEYCLOAK_PER_VCPU * cores as f64),
        userinfos.rate() / ZITADEL_USERINFO,
    );

    serving.stop().await;
}
