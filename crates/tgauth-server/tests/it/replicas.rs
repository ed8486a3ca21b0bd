//! Replicas that die: two on one PostgreSQL database in polling mode, where the one holding the
//! polling lease dies and the other takes the lease over within the lease's time, every update
//! handled exactly once; and a process that dies halfway through an update, which the next one
//! handles.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::{Sandbox, SandboxHandle};
use tgauth::{SystemClock, UserId};
use tgauth_server::{Config, ServeArgs, Service};

const TOKEN: &str = "700000777:AAReplicas_secret_for_the_lease_test";
const BOT: &str = "replicas_bot";
const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A replica of the service on `database`, talking to `sandbox`.
async fn replica(database: &str, sandbox: &SandboxHandle) -> Service {
    let args = ServeArgs {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        database: Some(database.to_owned()),
        bot_api_url: Some(sandbox.base_url()),
        oidc_provider_url: Some(sandbox.oidc_base_url()),
        ..ServeArgs::default()
    };
    let env = [
        ("TGAUTH_BOT_TOKEN", TOKEN),
        ("TGAUTH_COOKIE_KEY", KEY),
        ("TGAUTH_DATA_KEY", KEY),
    ];
    let config = Config::load_with(args, &env).unwrap();
    Service::start(config, Arc::new(SystemClock)).await.unwrap()
}

/// Who holds the polling lease now, if anyone.
async fn holder(database: &str) -> Option<String> {
    use sqlx::Connection as _;
    let mut connection = sqlx::postgres::PgConnection::connect(database)
        .await
        .unwrap();
    sqlx::query_scalar::<_, String>("SELECT holder FROM bot_lease WHERE name = 'poller'")
        .fetch_optional(&mut connection)
        .await
        .unwrap()
}

/// How many messages the bot sent to each chat.
fn replies(sandbox: &SandboxHandle) -> HashMap<i64, usize> {
    let mut replies = HashMap::new();
    for sent in sandbox.sent(BOT).unwrap() {
        *replies.entry(sent.message.chat.id.get()).or_default() += 1;
    }
    replies
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_moves_to_the_surviving_replica_and_no_update_is_lost() {
    let Some(database) = super::support::postgres_database("replicas_lease").await else {
        return;
    };
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();

    // The first replica takes the lease; the second waits beside it.
    let first = replica(&database, &sandbox).await;
    let first = tokio::spawn(first.run_until(std::future::pending()));
    wait_for(
        "the first replica's lease",
        Duration::from_secs(10),
        async || holder(&database).await.is_some(),
    )
    .await;
    let leased_to = holder(&database).await;
    let second = replica(&database, &sandbox).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(second.run_until(async move {
        let _ = stopped.await;
    }));

    // Twenty chats write; each hears back once.
    for chat in 1..=20_i64 {
        sandbox
            .create_user(NewUser::new(UserId(9000 + chat), format!("Chat {chat}")))
            .unwrap();
        sandbox.send_message(BOT, 9000 + chat, "/start").unwrap();
    }
    wait_for("twenty replies", Duration::from_secs(20), async || {
        replies(&sandbox).len() == 20
    })
    .await;
    assert_eq!(holder(&database).await, leased_to, "the lease stayed");

    // The holder dies without releasing anything; updates keep coming meanwhile.
    first.abort();
    let _ = first.await;
    for chat in 21..=40_i64 {
        sandbox
            .create_user(NewUser::new(UserId(9000 + chat), format!("Chat {chat}")))
            .unwrap();
        sandbox.send_message(BOT, 9000 + chat, "/start").unwrap();
    }
    let took = wait_for(
        "the second replica's lease",
        Duration::from_secs(20),
        async || {
            holder(&database)
                .await
                .is_some_and(|holder| Some(holder) != leased_to)
        },
    )
    .await;
    // The lease lasts ten seconds and is taken over at most a fifth of that later.
    assert!(took <= Duration::from_secs(13), "took over after {took:?}");
    wait_for("forty replies", Duration::from_secs(30), async || {
        replies(&sandbox).len() == 40
    })
    .await;
    let replies = replies(&sandbox);
    assert!(replies.values().all(|count| *count == 1), "{replies:?}");
    assert!(sandbox.pending_updates(BOT).unwrap().is_empty());

    let _ = stop.send(());
    second.await.unwrap().unwrap();
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_half_handled_by_a_process_that_died_is_handled_by_the_next() {
    let directory = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", directory.path().join("tgauth.db").display());
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sandbox.create_bot(NewBot::new(TOKEN, BOT)).unwrap();
    sandbox
        .create_user(NewUser::new(UserId(9001), "Ada"))
        .unwrap();

    // The bot's reply hangs: the first process claims the update and dies while sending.
    let hang: tgauth::sandbox::faults::FaultSpec = serde_json::from_value(serde_json::json!({
        "bot": BOT, "method": "sendMessage", "count": 1,
        "fault": {"kind": "delay", "millis": 60_000}
    }))
    .unwrap();
    sandbox.inject_fault(hang).unwrap();
    let first = replica(&database, &sandbox).await;
    let first = tokio::spawn(first.run_until(std::future::pending()));
    sandbox.send_message(BOT, 9001, "/start").unwrap();
    wait_for("the update claimed", Duration::from_secs(10), async || {
        use sqlx::Connection as _;
        let mut connection = sqlx::sqlite::SqliteConnection::connect(&database)
            .await
            .unwrap();
        let handling: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM handled_updates WHERE state = 'handling'")
                .fetch_one(&mut connection)
                .await
                .unwrap();
        handling == 1
    })
    .await;
    first.abort();
    let _ = first.await;
    sandbox.clear_faults();
    assert!(replies(&sandbox).is_empty());

    // The next process gets the update again and answers it once.
    let second = replica(&database, &sandbox).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(second.run_until(async move {
        let _ = stopped.await;
    }));
    wait_for("the reply", Duration::from_secs(30), async || {
        replies(&sandbox).get(&9001) == Some(&1)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(replies(&sandbox).get(&9001), Some(&1));
    let _ = stop.send(());
    second.await.unwrap().unwrap();
    sandbox.shutdown().await.unwrap();
}
