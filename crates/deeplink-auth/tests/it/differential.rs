//! Differential test: random sequences of operations run against the in-memory store and
//! every other backend available, which must answer every step identically. The memory store
//! and the SQL stores share their rules in Rust; the SQL fast paths, the SQLite trigger and
//! the Redis scripts are separate implementations, and this is where they meet.

use deeplink_auth::store::{ChatsPerUser, LinkPolicy, OnConflict};
use deeplink_auth::{LinkCode, Store, TelegramUserId, Ttl, UnixTime};
use proptest::prelude::*;

use crate::conformance::{NOW, user, who};

#[derive(Debug, Clone)]
enum Op {
    Issue {
        user: u8,
        ttl: u8,
    },
    Claim {
        code: u8,
        who: u8,
    },
    Consume {
        code: u8,
        who: u8,
        move_on_conflict: bool,
        one_chat: bool,
    },
    Status {
        code: u8,
    },
    Links {
        user: u8,
    },
    UnlinkTelegram {
        who: u8,
    },
    UnlinkUser {
        user: u8,
    },
    Advance {
        seconds: u8,
    },
    Purge,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3_u8, 1..120_u8).prop_map(|(user, ttl)| Op::Issue { user, ttl }),
        2 => (0..4_u8, 0..3_u8).prop_map(|(code, who)| Op::Claim { code, who }),
        4 => (0..4_u8, 0..3_u8, any::<bool>(), any::<bool>()).prop_map(|(code, who, m, o)| Op::Consume {
            code,
            who,
            move_on_conflict: m,
            one_chat: o,
        }),
        1 => (0..4_u8).prop_map(|code| Op::Status { code }),
        1 => (0..3_u8).prop_map(|user| Op::Links { user }),
        1 => (0..3_u8).prop_map(|who| Op::UnlinkTelegram { who }),
        1 => (0..3_u8).prop_map(|user| Op::UnlinkUser { user }),
        2 => (1..90_u8).prop_map(|seconds| Op::Advance { seconds }),
        1 => Just(Op::Purge),
    ]
}

/// Runs the operations and returns one line per step.
async fn run<S: Store>(store: &S, ops: &[Op]) -> Vec<String> {
    let mut codes: Vec<LinkCode> = Vec::new();
    let mut now = NOW;
    let mut lines = Vec::new();
    let code_at = |codes: &[LinkCode], index: u8| {
        // Index past the issued codes: a well-formed code nobody issued.
        codes
            .get(usize::from(index))
            .cloned()
            .unwrap_or_else(|| LinkCode::parse(&"Z".repeat(32)).unwrap())
    };
    let name = |index: u8| user(&format!("user-{index}"));
    let chat = |index: u8| who(100 + i64::from(index));
    for op in ops {
        let line = match *op {
            Op::Issue { user, ttl } => {
                let ttl = Ttl::from_seconds(u64::from(ttl)).unwrap();
                let issued = store.issue(&name(user), ttl, now).await.unwrap();
                codes.push(issued.code);
                format!("issued until {}", issued.expires_at.0)
            }
            Op::Claim { code, who } => format!(
                "{:?}",
                store.claim(&code_at(&codes, code), chat(who), now).await
            ),
            Op::Consume {
                code,
                who,
                move_on_conflict,
                one_chat,
            } => {
                let policy = LinkPolicy {
                    on_conflict: if move_on_conflict {
                        OnConflict::Move
                    } else {
                        OnConflict::Reject
                    },
                    chats_per_user: if one_chat {
                        ChatsPerUser::One
                    } else {
                        ChatsPerUser::Many
                    },
                };
                format!(
                    "{:?}",
                    store
                        .consume(&code_at(&codes, code), chat(who), policy, now)
                        .await
                )
            }
            Op::Status { code } => format!(
                "{:?}",
                store
                    .code_status(&code_at(&codes, code), now)
                    .await
                    .unwrap()
            ),
            Op::Links { user } => format!("{:?}", store.links_of_user(&name(user)).await.unwrap()),
            Op::UnlinkTelegram { who } => {
                format!(
                    "{:?}",
                    store
                        .unlink_telegram_user(TelegramUserId(100 + i64::from(who)))
                        .await
                        .unwrap()
                )
            }
            Op::UnlinkUser { user } => {
                format!("{:?}", store.unlink_user(&name(user)).await.unwrap())
            }
            Op::Advance { seconds } => {
                now = UnixTime(now.0 + i64::from(seconds));
                format!("now {}", now.0)
            }
            Op::Purge => format!("purged {}", store.purge_expired(now).await.unwrap()),
        };
        lines.push(line);
    }
    lines
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(crate::proptest_config(48))]

    #[test]
    fn sqlite_answers_like_memory(ops in proptest::collection::vec(op(), 1..60)) {
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let sqlite = deeplink_auth::SqliteStore::open_path(&dir.path().join("d.db")).await.unwrap();
            let expected = run(&deeplink_auth::MemoryStore::default(), &ops).await;
            let got = run(&sqlite, &ops).await;
            sqlite.close().await;
            (expected, got)
        });
        prop_assert_eq!(expected, got);
    }
}

#[cfg(feature = "postgres")]
proptest! {
    #![proptest_config(crate::proptest_config(16))]

    #[test]
    fn postgres_answers_like_memory(ops in proptest::collection::vec(op(), 1..60)) {
        let Some(url) = crate::server_url("TGAUTH_TEST_POSTGRES_URL", "postgres_answers_like_memory") else {
            return Ok(());
        };
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let suffix = LinkCode::generate().unwrap().hash().to_hex();
            let store = deeplink_auth::PostgresStore::open_in_schema(&url, &format!("d_{}", &suffix[..12])).await.unwrap();
            let expected = run(&deeplink_auth::MemoryStore::default(), &ops).await;
            let got = run(&store, &ops).await;
            store.close().await;
            (expected, got)
        });
        prop_assert_eq!(expected, got);
    }
}

#[cfg(feature = "redis")]
proptest! {
    #![proptest_config(crate::proptest_config(48))]

    /// Without `Purge`: Redis expires records natively instead.
    #[test]
    fn redis_answers_like_memory(ops in proptest::collection::vec(op(), 1..60)) {
        let Some(url) = crate::server_url("TGAUTH_TEST_REDIS_URL", "redis_answers_like_memory") else {
            return Ok(());
        };
        let ops: Vec<Op> = ops.into_iter().filter(|op| !matches!(op, Op::Purge)).collect();
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let suffix = LinkCode::generate().unwrap().hash().to_hex();
            let store = deeplink_auth::RedisStore::open_with_prefix(&url, &format!("tgauth-diff:{}:", &suffix[..12])).await.unwrap();
            let expected = run(&deeplink_auth::MemoryStore::default(), &ops).await;
            let got = run(&store, &ops).await;
            store.clear().await.unwrap();
            (expected, got)
        });
        prop_assert_eq!(expected, got);
    }
}
