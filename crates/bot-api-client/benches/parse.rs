//! Update parsing throughput: a typed `Update` from a webhook body or a `getUpdates` answer,
//! against parsing the same bytes into an untyped `serde_json::Value` as the reference.
//!
//! Run with `cargo bench -p bot-api-client --bench parse`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const UPDATE: &str = r#"{"update_id":861240185,"message":{"message_id":1371,"from":{"id":123456789,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada","language_code":"en"},"chat":{"id":123456789,"first_name":"Ada","last_name":"Lovelace","username":"ada","type":"private"},"date":1716112233,"text":"/start Zx9_-abc","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}"#;

fn batch() -> String {
    let updates: Vec<&str> = std::iter::repeat_n(UPDATE, 100).collect();
    format!(r#"{{"ok":true,"result":[{}]}}"#, updates.join(","))
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    group.throughput(Throughput::Elements(1));
    group.bench_function("typed Update (webhook body)", |b| {
        b.iter(|| bot_api_client::webhook::parse_update(black_box(UPDATE.as_bytes())))
    });
    group.bench_function("serde_json::Value (reference)", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(UPDATE)))
    });
    group.finish();

    #[derive(serde::Deserialize)]
    struct Envelope {
        #[allow(dead_code, reason = "parsed for the measurement only")]
        result: Vec<bot_api_client::types::Update>,
    }
    let answer = batch();
    let mut group = c.benchmark_group("getUpdates answer of 100");
    group.throughput(Throughput::Elements(100));
    group.bench_function("typed", |b| {
        b.iter(|| serde_json::from_str::<Envelope>(black_box(&answer)))
    });
    group.bench_function("serde_json::Value (reference)", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&answer)))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
