//! getUpdates: update ids, offset confirmation, limits, long polling and 409 conflicts.

use serde_json::json;

use crate::common::{BOT, Fixture, answer, assert_error, guard, ids, until_polls_wait};

#[tokio::test]
async fn update_ids_increase_by_one() {
    let fixture = Fixture::start().await;
    let sent: Vec<i64> = (0..3)
        .map(|i| fixture.user_says(&format!("m{i}")))
        .collect();
    assert_eq!(sent, [1, 2, 3]);
    assert_eq!(fixture.update_ids(json!({})).await, [1, 2, 3]);
}

#[tokio::test]
async fn updates_are_forgotten_only_when_a_higher_offset_confirms_them() {
    let fixture = Fixture::start().await;
    for text in ["a", "b", "c"] {
        fixture.user_says(text);
    }
    // Reading does not confirm: the same updates come again.
    assert_eq!(fixture.update_ids(json!({})).await, [1, 2, 3]);
    assert_eq!(fixture.update_ids(json!({"offset": 1})).await, [1, 2, 3]);
    // Offset 3 confirms 1 and 2 only.
    assert_eq!(fixture.update_ids(json!({"offset": 3})).await, [3]);
    assert_eq!(fixture.update_ids(json!({})).await, [3]);
    assert_eq!(fixture.sandbox.pending_updates(BOT).unwrap().len(), 1);
    assert_eq!(
        fixture.update_ids(json!({"offset": 4})).await,
        Vec::<i64>::new()
    );
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
    // Numbering continues after confirmation.
    assert_eq!(fixture.user_says("d"), 4);
}

#[tokio::test]
async fn a_negative_offset_keeps_the_last_updates_and_forgets_the_rest() {
    let fixture = Fixture::start().await;
    for text in ["a", "b", "c", "d"] {
        fixture.user_says(text);
    }
    assert_eq!(fixture.update_ids(json!({"offset": -2})).await, [3, 4]);
    assert_eq!(fixture.update_ids(json!({})).await, [3, 4]);
}

#[tokio::test]
async fn limit_is_clamped_to_1_through_100() {
    let fixture = Fixture::start().await;
    for i in 0..105 {
        fixture.user_says(&format!("m{i}"));
    }
    assert_eq!(fixture.update_ids(json!({"limit": 2})).await, [1, 2]);
    assert_eq!(fixture.update_ids(json!({"limit": 0})).await, [1]);
    assert_eq!(fixture.update_ids(json!({"limit": 1000})).await.len(), 100);
    assert_eq!(fixture.update_ids(json!({})).await.len(), 100);
}

#[tokio::test]
async fn a_long_poll_is_woken_by_an_arriving_update() {
    let fixture = Fixture::start().await;
    let poll = fixture
        .http
        .post(fixture.url("getUpdates"))
        .json(&json!({"timeout": 30}))
        .send();
    let poll = tokio::spawn(poll);
    // The update must arrive while the poll waits, or this would test the immediate answer.
    until_polls_wait(&fixture, 1).await;
    let id = fixture.user_says("wake up");
    // The guard (20 s) is shorter than the poll's 30 s timeout: only a wake-up passes.
    let response = guard(poll).await.unwrap().unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(ids(&body), [id]);
    until_polls_wait(&fixture, 0).await;
}

#[tokio::test]
async fn a_long_poll_whose_client_goes_away_stops_waiting() {
    let fixture = Fixture::start().await;
    let poll = long_poll(&fixture).await;
    poll.abort();
    // A poll whose connection closed no longer counts (its request future is dropped), and
    // the next update is still there for the next poll.
    until_polls_wait(&fixture, 0).await;
    let id = fixture.user_says("after");
    assert_eq!(fixture.update_ids(json!({"timeout": 1})).await, [id]);
}

#[tokio::test]
async fn a_long_poll_without_updates_ends_empty_at_its_timeout() {
    let fixture = Fixture::start().await;
    assert_eq!(
        fixture.update_ids(json!({"timeout": 1})).await,
        Vec::<i64>::new()
    );
}

type Poll = tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>;

/// Starts a 30 s long poll and waits until the sandbox holds it.
async fn long_poll(fixture: &Fixture) -> Poll {
    let request = fixture.http.post(fixture.url("getUpdates"));
    let poll = tokio::spawn(request.json(&json!({"timeout": 30})).send());
    until_polls_wait(fixture, 1).await;
    poll
}

async fn finish(poll: Poll) -> (u16, serde_json::Value) {
    answer(guard(poll).await.unwrap().unwrap()).await
}

#[tokio::test]
async fn a_second_poller_terminates_the_waiting_one_with_409() {
    let fixture = Fixture::start().await;
    let first = long_poll(&fixture).await;
    let second = fixture.update_ids(json!({"timeout": 0})).await;
    assert!(second.is_empty());
    let (status, body) = finish(first).await;
    assert_error(
        status,
        &body,
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
}

#[tokio::test]
async fn get_updates_while_a_webhook_is_set_is_409() {
    let fixture = Fixture::start().await;
    let (status, _) = fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = fixture.call("getUpdates", json!({})).await;
    assert_error(
        status,
        &body,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    fixture.call("deleteWebhook", json!({})).await;
    let (status, _) = fixture.call("getUpdates", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn set_webhook_terminates_a_waiting_poller() {
    let fixture = Fixture::start().await;
    let poll = long_poll(&fixture).await;
    fixture
        .call("setWebhook", json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    let (status, body) = finish(poll).await;
    assert_error(
        status,
        &body,
        409,
        "Conflict: terminated by setWebhook request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_need_not_wait_are_never_terminated() {
    let fixture = Fixture::start().await;
    fixture.user_says("pending");
    // Many concurrent short polls: each answers at once, none is "terminated by other
    // getUpdates request", which only a waiting long poll can be.
    let polls: Vec<_> = (0..32)
        .map(|i| {
            let request = fixture.http.post(fixture.url("getUpdates"));
            let timeout = if i % 2 == 0 { 0 } else { 5 };
            tokio::spawn(request.json(&json!({"timeout": timeout})).send())
        })
        .collect();
    for poll in polls {
        let (status, body) = finish(poll).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(&body), [1]);
    }
}

#[tokio::test]
async fn extreme_numbers_are_clamped_or_refused_never_a_panic() {
    let fixture = Fixture::start().await;
    for text in ["a", "b", "c"] {
        fixture.user_says(text);
    }
    // Updates are pending, so even the largest timeout answers at once.
    for params in [
        json!({"offset": i64::MIN, "limit": i64::MIN, "timeout": i64::MAX}),
        json!({"offset": i64::MIN + 1, "limit": i64::MAX, "timeout": i64::MIN}),
        json!({"offset": "-9223372036854775808", "limit": " 2 ", "timeout": "-1"}),
    ] {
        let ids = fixture.update_ids(params.clone()).await;
        assert!(
            ids.starts_with(&[1]) && !ids.is_empty(),
            "{params}: {ids:?}"
        );
    }
    let query = format!(
        "{}?offset=-9223372036854775808&limit=-9223372036854775808",
        fixture.url("getUpdates")
    );
    let (status, body) = answer(guard(fixture.http.get(query).send()).await.unwrap()).await;
    assert_eq!((status, ids(&body)), (200, vec![1]), "{body}");
    // Numbers beyond i64 and fractions are not integers: 400, not a wrapped value.
    for offset in [
        json!(u64::MAX),
        json!("99999999999999999999"),
        json!(1e300),
        json!(1.5),
    ] {
        let (status, body) = fixture.call("getUpdates", json!({"offset": offset})).await;
        assert_error(
            status,
            &body,
            400,
            "Bad Request: field \"offset\" must be an integer",
        );
    }
    // Nothing was confirmed by any of this; the largest offset confirms everything.
    assert_eq!(fixture.sandbox.pending_updates(BOT).unwrap().len(), 3);
    assert!(
        fixture
            .update_ids(json!({"offset": i64::MAX}))
            .await
            .is_empty()
    );
    assert!(fixture.sandbox.pending_updates(BOT).unwrap().is_empty());
}
