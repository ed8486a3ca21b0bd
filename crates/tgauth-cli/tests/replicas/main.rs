//! Replicas behind a real load balancer: three `tgauth serve` processes on one PostgreSQL and
//! one Redis, Debian's haproxy in front, the sandbox's webhook pointed at haproxy and
//! delivering over 40 connections, the website's side calling the API through haproxy.
//!
//! - [`webhook_replicas_survive_a_kill_and_a_graceful_restart`]: 10,000 updates (`/start`
//!   codes raced by two people each, button presses, `/start`, `/login`, Passport
//!   submissions) while the website links, confirms and notifies; one replica is killed with
//!   SIGKILL and restarted mid-run, another restarted gracefully.
//! - [`the_polling_lease_moves_when_its_holder_is_killed`].
//! - [`postgres_restart_and_redis_outage_are_503_and_recover`].
//! - [`webhook_throughput_behind_haproxy`]: the figures of docs/PERFORMANCE.md in release,
//!   and every update answered once when two of three replicas stop gracefully.
//!
//! The tests share the machine's cores with nothing else of theirs: they take turns.

// The harness reports what it measured.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod website;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tgauth::UserId;
use tgauth::passport::key::{KeySize, PrivateKey};
use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::passport::{PassportElementInput, PassportSubmission};
use tgauth::sandbox::{Sandbox, SandboxHandle};

use cluster::{Haproxy, Postgres, Programs, Redis, Replica, ReplicaSettings, free_port};
use website::{Receiver, Website};

const TOKEN: &str = "700000999:AAReplicas_behind_haproxy_secret_token";
const BOT: &str = "replicas_bot";
const COOKIE_KEY: &str = "101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f";
const DATA_KEY: &str = "202122232425262728292a2b2c2d2e2f000102030405060708090a0b0c0d0e0f";
const WEBHOOK_SECRET: &str = "replicas-webhook-secret";
const EVENTS_SECRET: &str = "replicas-events-secret";

/// One test at a time: each starts its own servers and three replicas.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Blocking work (process control, waiting) off the runtime's worker.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Everything a scenario runs: servers, the sandbox, the replicas, haproxy, the website.
struct Deployment {
    _directory: tempfile::TempDir,
    postgres: Postgres,
    redis: Redis,
    sandbox: SandboxHandle,
    replicas: Vec<Replica>,
    haproxy: Haproxy,
    website: Website,
    receiver: Receiver,
    /// The chat of every update sent: an update's effect is counted in its chat.
    chats: std::sync::Mutex<HashMap<i64, i64>>,
}

impl Deployment {
    async fn start(programs: &Programs, updates: &'static str) -> Self {
        let directory = tempfile::tempdir().unwrap();
        let postgres = blocking(|| Postgres::start(programs, directory.path()));
        let redis = blocking(|| Redis::start(programs));
        let sandbox = Sandbox::builder()
            .seed(13)
            .parallel_webhooks(true)
            .webhook_retry(Duration::from_millis(200), Duration::from_secs(1))
            .start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let passport = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let mut bot = NewBot::new(TOKEN, BOT);
        bot.passport_public_key_pem = Some(passport.public_key().to_pem());
        sandbox.create_bot(bot).unwrap();
        let receiver = Receiver::start().await;

        // The API key goes into the database before any replica runs, as an operator does.
        let database = postgres.url();
        let api_key = blocking(|| {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_tgauth"))
                .args(["apikey", "create", "--database", &database])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        });

        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let haproxy = blocking(|| Haproxy::start(programs, directory.path(), &ports));
        let settings = ReplicaSettings {
            database,
            redis: redis.url(),
            public_url: haproxy.url(),
            bot_api_url: sandbox.base_url(),
            oidc_provider_url: sandbox.oidc_base_url(),
            updates,
            events_url: receiver.url.clone(),
            secrets: vec![
                ("TGAUTH_BOT_TOKEN", TOKEN.to_owned()),
                ("TGAUTH_COOKIE_KEY", COOKIE_KEY.to_owned()),
                ("TGAUTH_DATA_KEY", DATA_KEY.to_owned()),
                ("TGAUTH_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
                ("TGAUTH_EVENTS_SECRET", EVENTS_SECRET.to_owned()),
                (
                    "TGAUTH_PASSPORT_KEY",
                    passport.to_pkcs8_pem().unwrap().to_string(),
                ),
            ],
            directory: directory.path().to_owned(),
        };
        let replicas = blocking(|| {
            ports
                .iter()
                .map(|port| Replica::start(&settings, *port))
                .collect()
        });
        let website = Website::new(haproxy.url(), api_key);
        website.wait_ready().await;
        Self {
            _directory: directory,
            postgres,
            redis,
            sandbox,
            replicas,
            haproxy,
            website,
            receiver,
            chats: std::sync::Mutex::default(),
        }
    }

    /// A person in `chat` writes `text` to the bot.
    fn say(&self, chat: i64, text: &str) {
        let update = self.sandbox.send_message(BOT, chat, text).unwrap();
        self.note(update.update_id, chat);
    }

    fn note(&self, update: i64, chat: i64) {
        self.chats.lock().unwrap().insert(update, chat);
    }

    fn create_users(&self, ids: impl IntoIterator<Item = i64>) {
        for id in ids {
            self.sandbox
                .create_user(NewUser::new(UserId(id), format!("Person {id}")))
                .unwrap();
        }
    }

    /// The replica that holds the polling lease (its gauge is 1), once exactly one does.
    fn lease_holder(&self, limit: Duration) -> usize {
        let start = Instant::now();
        loop {
            let holders: Vec<usize> = (0..self.replicas.len())
                .filter(|index| self.replicas[*index].metric("tgauth_polling_lease") == Some(1.0))
                .collect();
            if let [holder] = holders[..] {
                return holder;
            }
            assert!(
                start.elapsed() < limit,
                "one lease holder within {limit:?}: {holders:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until no update is pending and every chat of `chats` got a message: the bot's
    /// messages by chat.
    async fn wait_answered(
        &self,
        chats: std::ops::RangeInclusive<i64>,
    ) -> HashMap<i64, Vec<tgauth::sandbox::types::SentMessage>> {
        let settle = Instant::now();
        loop {
            let sent = self.sent_by_chat();
            let pending = self.sandbox.pending_updates(BOT).unwrap().len();
            let unanswered = chats
                .clone()
                .filter(|chat| !sent.contains_key(chat))
                .count();
            if pending == 0 && unanswered == 0 {
                return sent;
            }
            assert!(
                settle.elapsed() < Duration::from_secs(120),
                "{pending} updates pending and {unanswered} chats unanswered"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The bot's messages so far, by chat.
    fn sent_by_chat(&self) -> HashMap<i64, Vec<tgauth::sandbox::types::SentMessage>> {
        let mut by_chat: HashMap<i64, Vec<_>> = HashMap::new();
        for sent in self.sandbox.sent(BOT).unwrap() {
            by_chat
                .entry(sent.message.chat.id.get())
                .or_default()
                .push(sent);
        }
        by_chat
    }

    /// Sum of a metric over the replicas that answer.
    fn metric_sum(&self, name: &str) -> f64 {
        self.replicas
            .iter()
            .filter_map(|replica| replica.metric(name))
            .sum()
    }
}

/// The chats of the run: each kind of update has its own, so that every update's effect is
/// one message in one chat (or one callback answer) and can be counted.
const LINKS: i64 = 1_000;
const PASSPORTS: i64 = 200;
const OWNER: i64 = 100_000;
const STRANGER: i64 = 200_000;
const FILLER: i64 = 300_000;
/// Updates in all: two `/start <code>` and one button press per link, one Passport
/// submission each for the first `PASSPORTS` links, and the rest `/start` or `/login` from
/// chats of their own.
const UPDATES: i64 = 10_000;
const FILLERS: i64 = UPDATES - 3 * LINKS - PASSPORTS;

fn passport_elements() -> Vec<PassportElementInput> {
    vec![
        serde_json::from_value(json!({
            "type": "personal_details",
            "data": {"first_name": "Augusta", "last_name": "Byron", "birth_date": "10.12.1815",
                     "gender": "female", "country_code": "GB", "residence_country_code": "GB"}
        }))
        .unwrap(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_replicas_survive_a_kill_and_a_graceful_restart() {
    let _turn = TURN.lock().await;
    let Some(programs) = Programs::find() else {
        return;
    };
    let started = Instant::now();
    let deployment = Deployment::start(&programs, "webhook").await;
    deployment.create_users((1..=LINKS).flat_map(|i| [OWNER + i, STRANGER + i]));
    deployment.create_users((1..=FILLERS).map(|i| FILLER + i));
    // Browser sessions made before the run: each is used throughout it.
    let sessions = deployment
        .website
        .log_in(&deployment.sandbox, BOT, 20)
        .await;
    eprintln!("replicas: ready after {:?}", started.elapsed());

    // The website's side: one task per link, 24 at a time.
    let deployment = Arc::new(tokio::sync::RwLock::new(deployment));
    let gate = Arc::new(tokio::sync::Semaphore::new(24));
    let mut flows = tokio::task::JoinSet::new();
    for i in 1..=LINKS {
        let deployment = Arc::clone(&deployment);
        let gate = Arc::clone(&gate);
        flows.spawn(async move {
            let _slot = gate.acquire_owned().await.unwrap();
            link_flow(&deployment, i).await
        });
    }
    // The fillers, spread over the run.
    let fillers = {
        let deployment = Arc::clone(&deployment);
        tokio::spawn(async move {
            for i in 1..=FILLERS {
                let text = if i % 2 == 0 { "/start" } else { "/login" };
                deployment.read().await.say(FILLER + i, text);
                if i % 100 == 0 {
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            }
        })
    };
    // The sessions keep asking who they are.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let session_checks = {
        let deployment = Arc::clone(&deployment);
        let done = Arc::clone(&done);
        let sessions = sessions.clone();
        tokio::spawn(async move {
            let mut checked = 0_u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for session in &sessions {
                    deployment.read().await.website.me(session).await;
                    checked += 1;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            checked
        })
    };

    // A third of the way: replica 0 dies (SIGKILL) and comes back two seconds later.
    wait_for_handled(&deployment, (UPDATES / 3) as f64).await;
    let killed_at = Instant::now();
    {
        let mut deployment = deployment.write().await;
        blocking(|| deployment.replicas[0].kill());
    }
    eprintln!("replicas: replica 0 killed at {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_secs(2)).await;
    // What the dead replica was handling: its claims stay until they run out.
    let in_flight = in_flight_at_kill(&*deployment.read().await).await;
    {
        let mut deployment = deployment.write().await;
        blocking(|| deployment.replicas[0].restart());
    }
    eprintln!(
        "replicas: replica 0 restarted at {:?}; {} updates and {} notifications were in flight on it",
        started.elapsed(),
        in_flight.updates.len(),
        in_flight.notifications.len()
    );

    // Two thirds of the way: replica 1 is restarted gracefully (SIGTERM, drain, start).
    wait_for_handled(&deployment, (2 * UPDATES / 3) as f64).await;
    let graceful_from = Instant::now();
    {
        let mut deployment = deployment.write().await;
        let status = blocking(|| deployment.replicas[1].terminate());
        assert!(status.success(), "a graceful stop exits 0: {status}");
        blocking(|| deployment.replicas[1].restart());
    }
    let graceful_until = Instant::now();
    eprintln!(
        "replicas: replica 1 restarted gracefully in {:?}",
        graceful_until - graceful_from
    );

    let mut winners = BTreeMap::new();
    while let Some(flow) = flows.join_next().await {
        let (i, winner) = flow.unwrap();
        winners.insert(i, winner);
    }
    fillers.await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let sessions_checked = session_checks.await.unwrap();
    let deployment = Arc::into_inner(deployment).unwrap().into_inner();

    // Everything settles: every update handled, nothing left queued.
    let settle = Instant::now();
    loop {
        let pending = deployment.sandbox.pending_updates(BOT).unwrap().len();
        let queued = deployment.metric_sum("tgauth_notifications_queued")
            + deployment.metric_sum("tgauth_events_queued");
        if pending == 0 && queued == 0.0 {
            break;
        }
        assert!(
            settle.elapsed() < Duration::from_secs(120),
            "{pending} updates still pending and {queued} notifications or events queued"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "replicas: {UPDATES} updates settled after {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Every code has exactly one winner: the chat asked to confirm, the other refused.
    let sent = deployment.sent_by_chat();
    let allowed =
        |chat: i64| in_flight.updates.contains(&chat) || in_flight.notifications.contains(&chat);
    let mut duplicates = 0;
    for (i, (winner, prompt)) in &winners {
        let loser = if *winner == OWNER + i {
            STRANGER + i
        } else {
            OWNER + i
        };
        let won = &sent[winner];
        // The prompt loses its buttons when pressed (the bot edits it): it is known by its id.
        let prompts = won
            .iter()
            .filter(|sent| {
                sent.message.message_id == *prompt || sent.message.reply_markup.is_some()
            })
            .count();
        let notes = won
            .iter()
            .filter(|sent| sent.message.text.as_deref() == Some(&note_text(*i)))
            .count();
        let passports = won.len() - prompts - notes;
        let expected_passports = usize::from(*i <= PASSPORTS);
        let exact = prompts == 1 && notes == 1 && passports == expected_passports;
        if !exact {
            assert!(
                allowed(*winner)
                    && prompts <= 2
                    && notes <= 2
                    && passports <= 2 * expected_passports
                    && prompts >= 1
                    && notes >= 1
                    && passports >= expected_passports,
                "link {i}: the winner {winner} got {prompts} prompts, {notes} notifications, {passports} Passport answers"
            );
            duplicates += 1;
        }
        let lost = sent.get(&loser).map_or(0, Vec::len);
        if lost != 1 {
            assert!(
                allowed(loser) && lost == 2,
                "link {i}: the loser {loser} got {lost} messages"
            );
            duplicates += 1;
        }
    }
    for i in 1..=FILLERS {
        let got = sent.get(&(FILLER + i)).map_or(0, Vec::len);
        if got != 1 {
            assert!(
                allowed(FILLER + i) && got == 2,
                "filler chat {} got {got} messages",
                FILLER + i
            );
            duplicates += 1;
        }
    }
    // Every button press was answered.
    let answers = deployment.sandbox.callback_answers(BOT).unwrap();
    let mut answered: HashMap<String, usize> = HashMap::new();
    for answer in &answers {
        *answered
            .entry(answer.callback_query_id.clone())
            .or_default() += 1;
    }
    assert_eq!(
        answered.len(),
        LINKS as usize,
        "one answer per button press"
    );

    // Every event reached the website at least once, each id once per event.
    let events = deployment.receiver.events();
    let mut ids: HashMap<String, (String, usize)> = HashMap::new();
    for (id, kind) in &events {
        let entry = ids.entry(id.clone()).or_insert_with(|| (kind.clone(), 0));
        assert_eq!(&entry.0, kind, "event id {id} names two events");
        entry.1 += 1;
    }
    let confirmed = ids
        .values()
        .filter(|(kind, _)| kind == "link.confirmed")
        .count();
    let received = ids
        .values()
        .filter(|(kind, _)| kind == "passport.received")
        .count();
    assert_eq!(confirmed, LINKS as usize, "one link.confirmed per link");
    assert_eq!(
        received, PASSPORTS as usize,
        "one passport.received per Passport"
    );

    // No API call or session failed outside the seconds after the kill.
    let failures = deployment.website.failures();
    let outside: Vec<_> = failures
        .iter()
        .filter(|failure| {
            !(failure.at >= killed_at && failure.at <= killed_at + Duration::from_secs(5))
        })
        .map(|failure| (failure.at - started, &failure.what))
        .collect();
    assert!(
        outside.is_empty(),
        "calls failed outside the kill (the graceful restart ran from {:?} to {:?} after the \
         start; haproxy's rotation changes: {:#?}): {outside:#?}",
        graceful_from - started,
        graceful_until - started,
        deployment.haproxy.state_changes(),
    );
    eprintln!(
        "replicas: {} API calls and {sessions_checked} session checks; {} failed, all in flight \
         on the killed replica and retried; {} events delivered ({} distinct); {duplicates} \
         chats got a second message for an update or notification in flight on the killed \
         replica; {:?} in all",
        deployment.website.calls(),
        failures.len(),
        events.len(),
        ids.len(),
        started.elapsed()
    );
    eprintln!(
        "replicas: haproxy's rotation changes: {:#?}",
        deployment.haproxy.state_changes()
    );
    drop(deployment);
}

/// Polling: one replica holds the lease and polls; when it is killed, another takes the lease
/// once it runs out and goes on from the saved offset, and no update is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_polling_lease_moves_when_its_holder_is_killed() {
    let _turn = TURN.lock().await;
    let Some(programs) = Programs::find() else {
        return;
    };
    const CHATS: i64 = 3_000;
    let deployment = Deployment::start(&programs, "polling").await;
    deployment.create_users((1..=CHATS).map(|i| FILLER + i));
    let holder = blocking(|| deployment.lease_holder(Duration::from_secs(30)));

    // Half the updates; the holder dies while it works through them.
    for i in 1..=CHATS / 2 {
        deployment.say(FILLER + i, if i % 2 == 0 { "/start" } else { "/login" });
    }
    let deployment = tokio::sync::RwLock::new(deployment);
    wait_for_handled(&deployment, (CHATS / 6) as f64).await;
    let mut deployment = deployment.into_inner();
    blocking(|| deployment.replicas[holder].kill());
    let killed_at = Instant::now();
    // Nobody else polls while the lease stands: what is claimed now, the dead holder held.
    let in_flight = in_flight_at_kill(&deployment).await;
    let successor = blocking(|| deployment.lease_holder(Duration::from_secs(30)));
    let moved_after = killed_at.elapsed();
    assert_ne!(successor, holder);
    // The lease lasts 10 s; the others try for it every 2 s.
    assert!(
        moved_after <= Duration::from_secs(13),
        "the lease moved after {moved_after:?}"
    );
    blocking(|| deployment.replicas[holder].restart());
    for i in CHATS / 2 + 1..=CHATS {
        deployment.say(FILLER + i, if i % 2 == 0 { "/start" } else { "/login" });
    }

    // Every update answered once (twice at most where the dead holder was handling it).
    let sent = deployment.wait_answered(FILLER + 1..=FILLER + CHATS).await;
    let mut duplicates = 0;
    for i in 1..=CHATS {
        let got = sent[&(FILLER + i)].len();
        if got != 1 {
            assert!(
                in_flight.updates.contains(&(FILLER + i)) && got == 2,
                "chat {} got {got} messages",
                FILLER + i
            );
            duplicates += 1;
        }
    }
    eprintln!(
        "replicas: polling lease moved from replica {holder} to {successor} {moved_after:?} after \
         the kill; {CHATS} updates answered, {duplicates} twice ({} were in flight on the \
         killed holder)",
        in_flight.updates.len()
    );
}

/// PostgreSQL restarts (an immediate stop, like a crash) and Redis is down for 10 s: the
/// replicas say so on `/readyz` and answer 503 with a reason, the webhook's updates wait in
/// Telegram's retries, and everything comes back by itself with nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_and_redis_outage_are_503_and_recover() {
    let _turn = TURN.lock().await;
    let Some(programs) = Programs::find() else {
        return;
    };
    const CHATS: i64 = 300;
    let mut deployment = Deployment::start(&programs, "webhook").await;
    deployment.create_users((1..=CHATS).map(|i| FILLER + i));
    deployment.create_users([OWNER + 1, OWNER + 2, OWNER + 3]);
    let ports: Vec<u16> = deployment
        .replicas
        .iter()
        .map(|replica| replica.port)
        .collect();
    let all_ready = |ports: &[u16]| {
        ports
            .iter()
            .all(|port| cluster::http_status(*port, "/readyz") == Some(200))
    };
    // Before: a link issued.
    deployment.website.issue_link("before").await;

    // PostgreSQL goes down.
    blocking(|| deployment.postgres.stop_server());
    let down_at = Instant::now();
    for port in &ports {
        blocking(|| wait_unready(*port, r#""database":"unavailable""#));
        let base = format!("http://127.0.0.1:{port}");
        let (status, body) = deployment
            .website
            .once(
                &base,
                "POST",
                "/api/v1/links",
                Some(json!({"user": "during"})),
            )
            .await
            .unwrap();
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
    // Updates sent meanwhile wait in the webhook's retries.
    for i in 1..=CHATS / 2 {
        deployment.say(FILLER + i, "/start");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    blocking(|| deployment.postgres.start_server());
    let postgres_down_for = down_at.elapsed();
    let postgres_up_at = Instant::now();
    blocking(|| {
        cluster::wait_until("readyz green again", Duration::from_secs(30), || {
            all_ready(&ports)
        })
    });
    let recovered_after = postgres_up_at.elapsed();
    deployment.website.issue_link("after").await;

    // Redis goes down for 10 s: the shared login limit cannot be counted, so logins are
    // refused (503) rather than let through unlimited; the rest of the API still answers.
    blocking(|| deployment.redis.stop());
    let redis_down_at = Instant::now();
    for port in &ports {
        blocking(|| wait_unready(*port, r#""redis":"unavailable""#));
        let base = format!("http://127.0.0.1:{port}");
        let (status, body) = deployment
            .website
            .widget_once(&base, &deployment.sandbox, BOT, OWNER + 1)
            .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        let (status, body) = deployment
            .website
            .once(&base, "GET", "/api/v1/users/before", None)
            .await
            .unwrap();
        assert!(status == 200 || status == 404, "{status} {body}");
    }
    for i in CHATS / 2 + 1..=CHATS {
        deployment.say(FILLER + i, "/login");
    }
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(redis_down_at.elapsed())).await;
    blocking(|| deployment.redis.restart());
    blocking(|| {
        cluster::wait_until("readyz green after Redis", Duration::from_secs(30), || {
            all_ready(&ports)
        })
    });
    let redis_recovered_after = redis_down_at.elapsed();
    // A visitor each: the same login data twice would be a replay.
    for (visitor, port) in (OWNER + 1..).zip(&ports) {
        let base = format!("http://127.0.0.1:{port}");
        let (status, body) = deployment
            .website
            .widget_once(&base, &deployment.sandbox, BOT, visitor)
            .await;
        assert!(status == 303 || status == 200, "{status} {body}");
    }

    // Nothing lost: every update of the outages answered exactly once.
    let sent = deployment.wait_answered(FILLER + 1..=FILLER + CHATS).await;
    for i in 1..=CHATS {
        assert_eq!(sent[&(FILLER + i)].len(), 1, "chat {}", FILLER + i);
    }
    eprintln!(
        "replicas: PostgreSQL down {postgres_down_for:?}, every replica ready \
         {recovered_after:?} after it was back; Redis down 10 s, every replica ready \
         {redis_recovered_after:?} after it stopped; {CHATS} updates sent during the outages, \
         each answered once"
    );
}

/// Updates per second that the sandbox's webhook delivers through haproxy to three replicas on
/// PostgreSQL, then, with two of them stopped gracefully, to the one left; each replica's
/// resident memory at rest and after the load; and every update of both rounds answered once.
/// The figures mean something in release (docs/PERFORMANCE.md):
/// `cargo test --release -p tgauth-cli --test replicas -- --nocapture throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_throughput_behind_haproxy() {
    let _turn = TURN.lock().await;
    let Some(programs) = Programs::find() else {
        return;
    };
    // A debug build (the test suite) checks the same with fewer updates.
    const ROUND: i64 = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    let mut deployment = Deployment::start(&programs, "webhook").await;
    deployment.create_users((1..=2 * ROUND).map(|i| FILLER + i));
    let at_rest: Vec<f64> = deployment
        .replicas
        .iter()
        .filter_map(Replica::resident_mib)
        .collect();
    // A round: everyone presses Start at once; each reply is timed from its press (the
    // sandbox polled every 5 ms); the rate is from the first press to the last reply.
    let round = async |deployment: &Deployment, first: i64| {
        let mut seen = deployment.sandbox.sent(BOT).unwrap().len();
        let started = Instant::now();
        let mut pressed = HashMap::new();
        for i in first..first + ROUND {
            deployment.say(FILLER + i, "/start");
            pressed.insert(FILLER + i, Instant::now());
        }
        let mut replied = HashMap::new();
        while replied.len() < pressed.len() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{} of {ROUND} replies within 120 s",
                replied.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
            let new = deployment.sandbox.sent_since(BOT, seen).unwrap();
            let now = Instant::now();
            seen += new.len();
            for sent in new {
                let chat = sent.message.chat.id.get();
                if pressed.contains_key(&chat) {
                    replied.entry(chat).or_insert(now);
                }
            }
        }
        let last = replied.values().max().copied().unwrap_or(started);
        let rate = ROUND as f64 / last.duration_since(started).as_secs_f64();
        let mut latencies: Vec<Duration> = replied
            .iter()
            .map(|(chat, at)| at.duration_since(pressed[chat]))
            .collect();
        latencies.sort_unstable();
        let chats = FILLER + first..=FILLER + first + ROUND - 1;
        let sent = deployment.wait_answered(chats.clone()).await;
        for chat in chats {
            assert_eq!(sent[&chat].len(), 1, "chat {chat}");
        }
        (
            rate,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
        )
    };
    let (three, three_p50, three_p99) = round(&deployment, 1).await;
    let loaded: Vec<f64> = deployment
        .replicas
        .iter()
        .filter_map(Replica::resident_mib)
        .collect();
    for replica in &mut deployment.replicas[1..] {
        let status = blocking(|| replica.terminate());
        assert!(status.success(), "a graceful stop exits 0: {status}");
    }
    let (one, one_p50, one_p99) = round(&deployment, ROUND + 1).await;
    eprintln!(
        "throughput: {ROUND} /start updates each, sandbox webhook (40 connections) -> haproxy -> \
         PostgreSQL: three replicas {three:.0}/s, one replica {one:.0}/s ({:.2}x); resident \
         memory per replica at rest {at_rest:.0?} MiB, after the three-replica round \
         {loaded:.0?} MiB",
        three / one
    );
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    eprintln!(
        "throughput: press to reply, all {ROUND} at once: three replicas p50 {:.0} ms p99 {:.0} \
         ms, one replica p50 {:.0} ms p99 {:.0} ms",
        ms(three_p50),
        ms(three_p99),
        ms(one_p50),
        ms(one_p99),
    );
}

/// The nearest-rank percentile `p` (0..=1) of `sorted`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len().max(1)) - 1)
        .copied()
        .unwrap_or_default()
}

/// Waits until the replica on `port` is out of rotation (503 on `/readyz`) for the reason
/// `reason` (a piece of its body).
fn wait_unready(port: u16, reason: &str) {
    cluster::wait_until(
        &format!("readyz red with {reason}"),
        Duration::from_secs(15),
        || {
            cluster::http_answer(port, "/readyz")
                .is_some_and(|(status, body)| status == 503 && body.contains(reason))
        },
    );
}

/// Waits until the replicas have handled `count` updates (their metrics, summed).
async fn wait_for_handled(deployment: &tokio::sync::RwLock<Deployment>, count: f64) {
    let start = Instant::now();
    loop {
        let handled = {
            let deployment = deployment.read().await;
            blocking(|| deployment.metric_sum(HANDLED))
        };
        if handled >= count {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "{count} updates handled within 300 s (now {handled})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The series of handled updates (a restarted replica counts from 0 again, so the sum is a
/// lower bound of the updates handled).
const HANDLED: &str = "tgauth_updates_total{outcome=\"handled\"}";

fn note_text(i: i64) -> String {
    format!("Notification number {i}")
}

/// One link, as the website and two people do it: the website issues a code, two people
/// press Start with it at once, the one the bot asks confirms, the website confirms and
/// notifies, and for the first links asks for a Passport that the winner sends. The winner.
/// Runs link `i` to its end; returns the winning chat and the id of the prompt it got.
async fn link_flow(deployment: &tokio::sync::RwLock<Deployment>, i: i64) -> (i64, (i64, i64)) {
    let user = format!("site-{i}");
    let link = deployment.read().await.website.issue_link(&user).await;
    let code = link["url"]
        .as_str()
        .and_then(|url| url.rsplit('=').next())
        .unwrap()
        .to_owned();
    {
        let deployment = deployment.read().await;
        let (first, second) = if i % 2 == 0 {
            (OWNER + i, STRANGER + i)
        } else {
            (STRANGER + i, OWNER + i)
        };
        for chat in [first, second] {
            deployment.say(chat, &format!("/start {code}"));
        }
    }
    // The prompt: a message with buttons to one of the two.
    let (winner, message_id, confirm) = loop {
        let found = {
            let deployment = deployment.read().await;
            deployment
                .sandbox
                .sent(BOT)
                .unwrap()
                .into_iter()
                .find(|sent| {
                    let chat = sent.message.chat.id.get();
                    (chat == OWNER + i || chat == STRANGER + i)
                        && sent.message.reply_markup.is_some()
                })
        };
        if let Some(sent) = found {
            let keyboard = sent.message.reply_markup.unwrap();
            let confirm = keyboard["inline_keyboard"][0][0]["callback_data"]
                .as_str()
                .unwrap()
                .to_owned();
            break (sent.message.chat.id.get(), sent.message.message_id, confirm);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    {
        let deployment = deployment.read().await;
        let update = deployment
            .sandbox
            .press_button(BOT, winner, message_id, &confirm)
            .unwrap();
        deployment.note(update.update_id, winner);
    }
    // The website confirms once the bot has (409 until then).
    let path = format!("/api/v1/users/{user}/telegram/confirm");
    deployment
        .read()
        .await
        .website
        .call_until("POST", &path, None, 200)
        .await;
    let key = format!("note-{i}");
    deployment
        .read()
        .await
        .website
        .call(
            "POST",
            "/api/v1/notifications",
            Some(json!({"user": user, "text": note_text(i)})),
            Some(&key),
            &[202],
        )
        .await;
    if i <= PASSPORTS {
        let request = deployment
            .read()
            .await
            .website
            .call(
                "POST",
                "/api/v1/passport/requests",
                Some(json!({"user": user, "scope": {"v": 1, "data": ["personal_details"]}})),
                None,
                &[201],
            )
            .await;
        let nonce = request["nonce"].as_str().unwrap().to_owned();
        let id = request["id"].as_str().unwrap().to_owned();
        let submission: PassportSubmission = serde_json::from_value(json!({
            "user_id": winner,
            "nonce": nonce,
            "elements": serde_json::to_value(passport_elements()).unwrap(),
        }))
        .unwrap();
        {
            let deployment = deployment.read().await;
            let update = deployment.sandbox.submit_passport(BOT, submission).unwrap();
            deployment.note(update.update_id, winner);
        }
        let path = format!("/api/v1/passport/requests/{id}");
        loop {
            let status = deployment
                .read()
                .await
                .website
                .call("GET", &path, None, None, &[200])
                .await;
            if status["status"] == "received" {
                break;
            }
            assert_eq!(status["status"], "pending", "Passport {i}: {status}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    (i, (winner, message_id))
}

/// The chats whose update or notification the killed replica held when it died.
struct InFlight {
    updates: BTreeSet<i64>,
    notifications: BTreeSet<i64>,
}

/// Claims held by a process that is gone stay until they run out (a minute for an update);
/// the live replicas finish theirs in milliseconds, so two seconds after the kill what is
/// still claimed is what the killed replica held.
async fn in_flight_at_kill(deployment: &Deployment) -> InFlight {
    use sqlx::Connection as _;
    let mut connection = sqlx::postgres::PgConnection::connect(&deployment.postgres.url())
        .await
        .unwrap();
    let updates: Vec<i64> =
        sqlx::query_scalar("SELECT update_id FROM handled_updates WHERE state = 'handling'")
            .fetch_all(&mut connection)
            .await
            .unwrap();
    let accounts: Vec<String> = sqlx::query_scalar(
        "SELECT account FROM notifications WHERE status = 'queued' AND lease_until IS NOT NULL",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    let chats = deployment.chats.lock().unwrap();
    InFlight {
        updates: updates
            .iter()
            .filter_map(|update| chats.get(update).copied())
            .collect(),
        notifications: accounts
            .iter()
            .filter_map(|account| account.strip_prefix("site-")?.parse::<i64>().ok())
            .flat_map(|i| [OWNER + i, STRANGER + i])
            .collect(),
    }
}
