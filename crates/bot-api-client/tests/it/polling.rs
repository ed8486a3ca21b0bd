//! Polling with explicit acknowledgement against the stub's fake `getUpdates`: every update
//! reaches a succeeding handler once, a failed or unacknowledged one comes back, nothing is
//! skipped across restarts, and 401/409 end the stream.

use crate::stub::{Reply, Stub};
use bot_api_client::error::ApiErrorKind;
use bot_api_client::polling::{
    Dedupe, Delivery, Event, FileOffsetStore, MemoryOffsetStore, OffsetStore, Poller,
    PollingConfig, Updates,
};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

fn config() -> PollingConfig {
    PollingConfig::default()
        .timeout_seconds(0)
        .backoff(Duration::from_millis(1), Duration::from_millis(4))
        .redelivery_delay(Duration::from_millis(1))
}

fn start(stub: &Stub, store: Option<Arc<dyn OffsetStore>>) -> Updates {
    let mut poller = Poller::new(stub.client()).config(config());
    if let Some(store) = store {
        poller = poller.offset_store(store);
    }
    poller.start().unwrap()
}

fn push(stub: &Stub, count: usize) -> Vec<i64> {
    let mut fake = stub.fake.lock().unwrap();
    (0..count)
        .map(|i| fake.push_message(&format!("m{i}")))
        .collect()
}

fn offsets_sent(stub: &Stub) -> Vec<Option<i64>> {
    stub.requests()
        .iter()
        .filter(|r| r.method == "getUpdates")
        .map(|r| r.body.get("offset").and_then(serde_json::Value::as_i64))
        .collect()
}

async fn next_event(updates: &mut Updates) -> Event {
    tokio::time::timeout(Duration::from_secs(10), updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

async fn next_id(updates: &mut Updates) -> Delivery {
    match next_event(updates).await {
        Event::Delivery(delivery) => delivery,
        other => panic!("not a delivery: {other:?}"),
    }
}

/// Acknowledges the next `count` deliveries and returns their ids in delivery order.
async fn ack_next(updates: &mut Updates, count: usize) -> Vec<i64> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let delivery = next_id(updates).await;
        seen.push(delivery.update_id());
        delivery.ack();
    }
    seen
}

#[tokio::test]
async fn every_update_once_and_shutdown_confirms() {
    let stub = Stub::start().await;
    let ids = push(&stub, 250);
    let mut updates = start(&stub, None);
    assert_eq!(ack_next(&mut updates, ids.len()).await, ids);
    assert_eq!(updates.offset(), Some(251));
    assert_eq!(updates.shutdown().await.unwrap(), Some(251));
    let last = stub.requests().pop().unwrap();
    assert_eq!(last.body["offset"], 251);
    assert_eq!(last.body["timeout"], 0);
    assert!(
        stub.fake.lock().unwrap().pending.is_empty(),
        "everything acknowledged is confirmed"
    );
    // The first call has no offset: Telegram then starts at its oldest unconfirmed update.
    assert_eq!(offsets_sent(&stub)[0], None);
}

#[tokio::test]
async fn failed_update_is_delivered_again_and_holds_the_offset() {
    let stub = Stub::start().await;
    push(&stub, 5);
    let mut updates = start(&stub, None);
    let mut seen = Vec::new();
    let mut failed_once = false;
    while seen.iter().filter(|&&(_, ok)| ok).count() < 5 {
        let delivery = next_id(&mut updates).await;
        let id = delivery.update_id();
        if id == 3 && !failed_once {
            failed_once = true;
            seen.push((id, false));
            delivery.nack();
        } else {
            seen.push((id, true));
            delivery.ack();
        }
    }
    assert_eq!(
        seen,
        [
            (1, true),
            (2, true),
            (3, false),
            (4, true),
            (5, true),
            (3, true)
        ]
    );
    // While 3 failed, the offset stayed at 3: Telegram kept it.
    assert!(offsets_sent(&stub).contains(&Some(3)));
    assert_eq!(updates.shutdown().await.unwrap(), Some(6));
}

#[tokio::test]
async fn dropped_delivery_counts_as_failure() {
    let stub = Stub::start().await;
    push(&stub, 2);
    let mut updates = start(&stub, None);
    let first = next_id(&mut updates).await;
    assert_eq!(first.update_id(), 1);
    drop(first);
    let second = next_id(&mut updates).await;
    assert_eq!(second.update_id(), 2);
    second.ack();
    let again = next_id(&mut updates).await;
    assert_eq!(again.update_id(), 1);
    again.ack();
    assert_eq!(updates.shutdown().await.unwrap(), Some(3));
}

#[tokio::test]
async fn concurrent_handlers_do_not_get_duplicates() {
    // Handlers running in tasks ack out of order; nothing is delivered twice.
    let stub = Stub::start().await;
    let ids = push(&stub, 300);
    let mut updates = start(&stub, None);
    let mut seen = Vec::new();
    let mut handlers = Vec::new();
    while seen.len() < ids.len() {
        let delivery = next_id(&mut updates).await;
        seen.push(delivery.update_id());
        handlers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((delivery.update_id() % 3) as u64)).await;
            delivery.ack();
        }));
    }
    seen.sort_unstable();
    assert_eq!(seen, ids);
    for handler in handlers {
        handler.await.unwrap();
    }
    assert_eq!(updates.shutdown().await.unwrap(), Some(301));
}

#[tokio::test]
async fn restart_without_shutdown_loses_nothing() {
    let stub = Stub::start().await;
    push(&stub, 4);
    let store: Arc<dyn OffsetStore> = Arc::new(MemoryOffsetStore::default());
    let mut updates = start(&stub, Some(Arc::clone(&store)));
    for _ in 0..2 {
        next_id(&mut updates).await.ack();
    }
    let third = next_id(&mut updates).await;
    assert_eq!(third.update_id(), 3);
    // The process dies while handling 3: no ack, no shutdown.
    drop(third);
    drop(updates);
    let mut updates = start(&stub, Some(store));
    let mut seen = Vec::new();
    while !seen.contains(&4) {
        let delivery = next_id(&mut updates).await;
        seen.push(delivery.update_id());
        delivery.ack();
    }
    // 3 and 4 come back; 1 and 2 may too (acknowledged but not yet confirmed), nothing is lost.
    assert!(seen.ends_with(&[3, 4]), "{seen:?}");
    updates.shutdown().await.unwrap();
}

#[tokio::test]
async fn restart_after_shutdown_resumes_from_the_persisted_offset() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("offset");
    let stub = Stub::start().await;
    push(&stub, 3);
    let mut updates = start(&stub, Some(Arc::new(FileOffsetStore::new(&path))));
    for _ in 0..3 {
        next_id(&mut updates).await.ack();
    }
    assert_eq!(updates.shutdown().await.unwrap(), Some(4));
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(saved.split_whitespace().next(), Some("4"), "{saved}");
    push(&stub, 1);
    let mut updates = start(&stub, Some(Arc::new(FileOffsetStore::new(&path))));
    let delivery = next_id(&mut updates).await;
    assert_eq!(delivery.update_id(), 4);
    delivery.ack();
    assert_eq!(
        offsets_sent(&stub).into_iter().find(Option::is_some),
        Some(Some(4))
    );
    updates.shutdown().await.unwrap();
}

#[tokio::test]
async fn persisted_offset_skips_acknowledged_but_unconfirmed_updates() {
    // Telegram still holds 1 and 2 (never confirmed), but the store says they were handled.
    let stub = Stub::start().await;
    push(&stub, 3);
    let store = Arc::new(MemoryOffsetStore::default());
    store.save(3).unwrap();
    let mut updates = start(&stub, Some(store));
    assert_eq!(next_id(&mut updates).await.update_id(), 3);
}

#[tokio::test]
async fn answers_over_the_response_limit_make_the_poller_ask_for_fewer_updates() {
    let stub = Stub::start().await;
    let ids = push(&stub, 10);
    // Room for a few of the fake's updates (under 200 bytes each), not for six.
    let client = stub.client_builder().response_limit(600).build().unwrap();
    let mut updates = Poller::new(client).config(config()).start().unwrap();
    assert_eq!(ack_next(&mut updates, ids.len()).await, ids);
    let limits: Vec<u64> = stub
        .requests()
        .iter()
        .filter(|r| r.method == "getUpdates")
        .map(|r| r.body["limit"].as_u64().unwrap())
        .collect();
    // Halved until an answer fits, then kept until the backlog is drained.
    assert!(limits.starts_with(&[100, 50, 25, 12, 6]), "{limits:?}");
    let fitting = limits[5];
    assert!(
        fitting < 6 && limits[5..].iter().all(|l| *l == fitting),
        "{limits:?}"
    );
}

#[tokio::test]
async fn conflict_and_unauthorized_are_fatal() {
    for (code, kind) in [
        (409, ApiErrorKind::Conflict),
        (401, ApiErrorKind::Unauthorized),
    ] {
        let stub = Stub::start().await;
        stub.script([Reply::error(
            code,
            "Conflict: terminated by other getUpdates request",
            None,
        )]);
        let mut updates = start(&stub, None);
        let error = updates.next().await.unwrap().unwrap_err();
        assert_eq!(error.api_kind(), Some(kind));
        assert!(
            updates.next().await.is_none(),
            "the stream ends after a fatal error"
        );
    }
}

#[tokio::test]
async fn conflict_can_be_waited_out() {
    let stub = Stub::start().await;
    push(&stub, 1);
    stub.script([
        Reply::error(409, "Conflict", None),
        Reply::error(409, "Conflict", None),
    ]);
    let mut updates = Poller::new(stub.client())
        .config(config().conflict_is_fatal(false))
        .start()
        .unwrap();
    assert_eq!(next_id(&mut updates).await.update_id(), 1);
}

#[tokio::test]
async fn transient_failures_back_off_and_continue() {
    let stub = Stub::start().await;
    push(&stub, 2);
    // More failures than the client's own retries: the poller's backoff takes over.
    stub.script(
        std::iter::repeat_n(Reply::error(500, "Internal Server Error", None), 6)
            .chain([Reply::Drop, Reply::Drop]),
    );
    let mut updates = start(&stub, None);
    let first = next_id(&mut updates).await;
    assert_eq!(first.update_id(), 1);
    first.ack();
    let second = next_id(&mut updates).await;
    assert_eq!(second.update_id(), 2);
    second.ack();
}

#[test]
fn file_offset_store_round_trip_and_errors() {
    let directory = tempfile::tempdir().unwrap();
    let store = FileOffsetStore::new(directory.path().join("offset"));
    assert_eq!(store.load().unwrap(), None);
    store.save(42).unwrap();
    store.save(43).unwrap();
    assert_eq!(store.load().unwrap(), Some(43));
    let names: Vec<_> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["offset"], "no temporary file is left behind");
    std::fs::write(store.path(), "not a number").unwrap();
    assert!(matches!(
        store.load(),
        Err(bot_api_client::Error::OffsetStore { .. })
    ));
    let missing_directory = FileOffsetStore::new(directory.path().join("missing/offset"));
    assert!(missing_directory.save(1).is_err());
}

#[cfg(unix)]
#[test]
fn file_offset_store_does_not_write_through_a_planted_symlink() {
    // Whoever can write to the directory plants `<path>.tmp` pointing at a file the bot may
    // write: a save must neither write into that file nor leave `path` a link to it.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("offset");
    let victim = directory.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, directory.path().join("offset.tmp")).unwrap();
    let store = FileOffsetStore::new(&path);
    store.save(42).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let metadata = std::fs::symlink_metadata(&path).unwrap();
    assert!(metadata.file_type().is_file(), "{metadata:?}");
    assert_eq!(store.load().unwrap(), Some(42));
}

#[test]
fn dedupe_remembers_a_window() {
    let mut dedupe = Dedupe::new(2);
    assert!(dedupe.first_time(1));
    assert!(!dedupe.first_time(1));
    assert!(dedupe.first_time(2));
    assert!(dedupe.first_time(3));
    assert!(dedupe.first_time(1), "1 fell out of the window");
    assert!(!dedupe.first_time(3));
}

#[tokio::test]
async fn a_malformed_update_does_not_stop_the_batch() {
    let stub = Stub::start().await;
    push(&stub, 1);
    stub.fake
        .lock()
        .unwrap()
        .pending
        .push_back(serde_json::json!(
            {"update_id": 2, "message": {"message_id": "not a number", "date": 1}}
        ));
    stub.fake.lock().unwrap().next_update_id = 2;
    push(&stub, 1);
    let mut updates = start(&stub, None);
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let delivery = next_id(&mut updates).await;
        kinds.push((
            delivery.update_id(),
            matches!(
                delivery.update.kind,
                bot_api_client::types::UpdateKind::Other(_)
            ),
        ));
        delivery.ack();
    }
    assert_eq!(kinds, [(1, false), (2, true), (3, false)]);
    assert_eq!(updates.shutdown().await.unwrap(), Some(4));
}

#[tokio::test]
async fn durable_acks_survive_a_crash() {
    let stub = Stub::start().await;
    push(&stub, 3);
    let store: Arc<dyn OffsetStore> = Arc::new(MemoryOffsetStore::default());
    let mut updates = start(&stub, Some(Arc::clone(&store)));
    for expected in [1, 2] {
        let delivery = next_id(&mut updates).await;
        assert_eq!(delivery.update_id(), expected);
        delivery.ack_durably().await.unwrap();
        assert_eq!(store.load().unwrap(), Some(expected + 1));
    }
    let third = next_id(&mut updates).await;
    // Crash while handling 3: nothing is confirmed to Telegram, but the store knows 1 and 2.
    drop(third);
    drop(updates);
    let mut updates = start(&stub, Some(store));
    let delivery = next_id(&mut updates).await;
    assert_eq!(delivery.update_id(), 3, "1 and 2 are not handled twice");
    delivery.ack_durably().await.unwrap();
    assert_eq!(updates.shutdown().await.unwrap(), Some(4));
}

#[tokio::test]
async fn durable_ack_behind_an_update_in_flight_waits_for_it() {
    let stub = Stub::start().await;
    push(&stub, 2);
    let store: Arc<dyn OffsetStore> = Arc::new(MemoryOffsetStore::default());
    let mut updates = start(&stub, Some(Arc::clone(&store)));
    let first = next_id(&mut updates).await;
    let second = next_id(&mut updates).await;
    second.ack_durably().await.unwrap();
    assert_eq!(
        store.load().unwrap(),
        None,
        "the offset cannot pass 1 while it is in flight"
    );
    first.ack_durably().await.unwrap();
    assert_eq!(store.load().unwrap(), Some(3));
}

#[tokio::test]
async fn restarted_update_ids_below_the_offset_are_delivered() {
    // After a week without updates Telegram picks the next update id at random, so it can fall
    // below a persisted offset; a reset server starts over too. The server's answer is what is
    // unconfirmed: it is delivered, and the offset (persisted one included) follows the new ids.
    let stub = Stub::start().await;
    let store = Arc::new(MemoryOffsetStore::default());
    store.save(1000).unwrap();
    let update = |id: i64| {
        serde_json::json!({"update_id": id, "message": {"message_id": id, "date": 1,
            "chat": {"id": 42, "type": "private", "first_name": "Ada"}, "text": "after a week"}})
    };
    stub.script([Reply::ok(serde_json::json!([update(7), update(8)]))]);
    let mut updates = start(&stub, Some(Arc::clone(&store) as Arc<dyn OffsetStore>));
    for expected in [7, 8] {
        let delivery = next_id(&mut updates).await;
        assert_eq!(delivery.update_id(), expected);
        delivery.ack();
    }
    assert_eq!(offsets_sent(&stub)[0], Some(1000));
    assert_eq!(updates.shutdown().await.unwrap(), Some(9));
    assert_eq!(
        store.load().unwrap(),
        Some(9),
        "the stored offset moved back"
    );
}

#[tokio::test]
async fn a_failed_update_the_server_lost_does_not_hold_the_offset_forever() {
    let stub = Stub::start().await;
    push(&stub, 3);
    let mut updates = start(&stub, None);
    let first = next_id(&mut updates).await;
    assert_eq!(first.update_id(), 1);
    first.nack();
    next_id(&mut updates).await.ack();
    next_id(&mut updates).await.ack();
    // Update 1 expires on the server (Telegram keeps updates 24 hours) before it comes back.
    stub.fake
        .lock()
        .unwrap()
        .pending
        .retain(|u| u["update_id"] != 1);
    push(&stub, 2);
    for expected in [4, 5] {
        let delivery = next_id(&mut updates).await;
        assert_eq!(delivery.update_id(), expected);
        delivery.ack();
    }
    assert_eq!(updates.shutdown().await.unwrap(), Some(6));
}

#[tokio::test]
async fn a_cancelled_next_loses_nothing() {
    // `next()` raced against a timeout (as in `tokio::select!`) is dropped mid-request; the
    // request lives in the stream, so the update it brings is delivered by the next `next()`.
    let stub = Stub::start().await;
    let update = serde_json::json!({"update_id": 1, "message": {"message_id": 1, "date": 1,
        "chat": {"id": 42, "type": "private", "first_name": "Ada"}, "text": "slow"}});
    stub.script([Reply::Delay(
        // Long enough that even a stalled test thread sees the timeout fire first.
        Duration::from_secs(2),
        Box::new(Reply::ok(serde_json::json!([update]))),
    )]);
    let mut updates = start(&stub, None);
    let cancelled = tokio::time::timeout(Duration::from_millis(20), updates.next()).await;
    assert!(cancelled.is_err(), "the first next() is cancelled");
    let delivery = next_id(&mut updates).await;
    assert_eq!(delivery.update_id(), 1);
    delivery.ack();
    assert_eq!(offsets_sent(&stub), [None], "one request, not repeated");
    assert_eq!(updates.shutdown().await.unwrap(), Some(2));
}

#[test]
fn file_offset_store_forgets_offsets_older_than_telegram_keeps_updates() {
    use bot_api_client::tgauth_core::{FixedClock, UnixTime};
    const SAVED: i64 = 1_700_000_000;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("offset");
    let clock = FixedClock::new(UnixTime(SAVED));
    FileOffsetStore::new(&path)
        .clock(clock.clone())
        .save(42)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("42 {SAVED}\n")
    );
    let load = |now: i64| {
        FileOffsetStore::new(&path)
            .clock(FixedClock::new(UnixTime(now)))
            .load()
            .unwrap()
    };
    assert_eq!(load(SAVED + 23 * 3600), Some(42));
    assert_eq!(load(SAVED + 24 * 3600), Some(42));
    assert_eq!(
        load(SAVED + 24 * 3600 + 1),
        None,
        "every update it would skip has expired; its ids may have restarted"
    );
    // A clock behind the save time does not make the offset stale.
    assert_eq!(load(SAVED - 10), Some(42));
    // A longer max age keeps it; the store reads the clock it was given at each load.
    let patient = FileOffsetStore::new(&path)
        .clock(clock.clone())
        .max_age(Duration::from_secs(48 * 3600));
    clock.advance(30 * 3600);
    assert_eq!(patient.load().unwrap(), Some(42));
    clock.advance(18 * 3600 + 1);
    assert_eq!(patient.load().unwrap(), None);
    // A file with the offset alone (no save time) is read as it is.
    std::fs::write(&path, "77\n").unwrap();
    assert_eq!(load(SAVED + 1_000_000), Some(77));
    std::fs::write(&path, "77 yesterday\n").unwrap();
    assert!(FileOffsetStore::new(&path).load().is_err());
}

#[tokio::test]
async fn an_update_whose_handler_always_fails_does_not_stall_the_rest() {
    // Update 3 fails every time; 4..=102 are acknowledged behind it, so the limit-100 window
    // from offset 3 holds nothing new. Without a redelivery cap the poller would redeliver 3
    // until Telegram drops it a day later, and 103..=200 would wait as long.
    let stub = Stub::start().await;
    let ids = push(&stub, 200);
    let mut updates = start(&stub, None);
    let mut handled = std::collections::BTreeSet::new();
    let mut attempts_of_3 = Vec::new();
    let mut dead_letters = Vec::new();
    while handled.len() < ids.len() - 1 || dead_letters.is_empty() {
        match next_event(&mut updates).await {
            Event::Delivery(delivery) if delivery.update_id() == 3 => {
                attempts_of_3.push(delivery.attempt());
                assert!(
                    attempts_of_3.len() <= 50,
                    "stalled: {} handled",
                    handled.len()
                );
                delivery.nack();
            }
            Event::Delivery(delivery) => {
                assert!(handled.insert(delivery.update_id()), "delivered twice");
                delivery.ack();
            }
            Event::DeadLetter(dead) => {
                dead_letters.push((dead.update_id(), dead.attempts()));
                // Dropped: the offset moves past it.
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        attempts_of_3,
        [1, 2, 3, 4, 5],
        "the default max_attempts is 5"
    );
    assert_eq!(dead_letters, [(3, 5)], "the dead letter comes exactly once");
    assert_eq!(handled.len(), 199);
    // Nothing more comes: the dead letter is not delivered again in any form.
    let more = tokio::time::timeout(Duration::from_millis(300), updates.next()).await;
    assert!(more.is_err(), "{more:?}");
    assert_eq!(updates.offset(), Some(201));
    assert_eq!(updates.shutdown().await.unwrap(), Some(201));
    assert!(stub.fake.lock().unwrap().pending.is_empty());
}

#[tokio::test]
async fn a_dead_letter_holds_the_offset_until_it_is_dropped_and_can_be_acked_durably() {
    let stub = Stub::start().await;
    push(&stub, 2);
    let store: Arc<dyn OffsetStore> = Arc::new(MemoryOffsetStore::default());
    let mut updates = Poller::new(stub.client())
        .config(config().max_attempts(2))
        .offset_store(Arc::clone(&store))
        .start()
        .unwrap();
    let mut dead = None;
    while dead.is_none() {
        match next_event(&mut updates).await {
            Event::Delivery(delivery) if delivery.update_id() == 1 => delivery.nack(),
            Event::Delivery(delivery) => delivery.ack(),
            Event::DeadLetter(letter) => dead = Some(letter),
            other => panic!("{other:?}"),
        }
    }
    let dead = dead.unwrap();
    assert_eq!((dead.update_id(), dead.attempts()), (1, 2));
    assert_eq!(dead.update.message().unwrap().text.as_deref(), Some("m0"));
    // Held, it keeps the offset from passing it, so a crash now brings it back.
    assert_eq!(updates.offset(), None);
    dead.ack_durably().await.unwrap();
    assert_eq!(store.load().unwrap(), Some(3));
    assert_eq!(updates.shutdown().await.unwrap(), Some(3));
}

#[tokio::test]
async fn a_consumer_that_ends_on_errors_goes_on_past_a_dead_letter() {
    // The shape of the crate docs' loop: `event?` ends only on 401/409.
    async fn consume(updates: &mut Updates) -> Result<Vec<i64>, bot_api_client::Error> {
        let mut handled = Vec::new();
        while let Some(event) = updates.next().await {
            match event? {
                Event::Delivery(delivery) if delivery.update_id() == 1 => delivery.nack(),
                Event::Delivery(delivery) => {
                    handled.push(delivery.update_id());
                    delivery.ack();
                }
                Event::DeadLetter(dead) => handled.push(-dead.update_id()),
                _ => {}
            }
            if handled.len() == 3 {
                break;
            }
        }
        Ok(handled)
    }
    let stub = Stub::start().await;
    push(&stub, 3);
    let mut updates = Poller::new(stub.client())
        .config(config().max_attempts(1))
        .start()
        .unwrap();
    let handled = tokio::time::timeout(Duration::from_secs(10), consume(&mut updates))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(handled, [2, 3, -1]);
    assert_eq!(updates.shutdown().await.unwrap(), Some(4));
}
