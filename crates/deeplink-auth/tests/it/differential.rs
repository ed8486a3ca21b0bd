//! Differential test: random sequences of operations run against the in-memory store and
//! every other backend available, which must answer every step identically. The memory store
//! and the SQL stores share their rules in Rust; the SQL fast paths, the SQLite trigger and
//! the Redis scripts are separate implementations, and this is where they meet.

use deeplink_auth::Ttl;
use deeplink_auth::code::LinkCode;
use deeplink_auth::login::{LoginToken, redeem};
use deeplink_auth::store::{ChatsPerAccount, LinkPolicy, OnConflict};
use deeplink_auth::store::{CommittedBy, Link, MemoryStore, Store};
use deeplink_auth::tgauth_core::{UnixTime, UserId};
use proptest::prelude::*;

use crate::conformance::{NOW, user, who};
use crate::login::key;

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
    Consent {
        code: u8,
        who: u8,
    },
    Decline {
        code: u8,
        who: u8,
    },
    Consume {
        code: u8,
        who: u8,
        move_on_conflict: bool,
        one_chat: bool,
        website: bool,
    },
    Sign {
        user: u8,
        who: u8,
        dangerous: bool,
        current: bool,
    },
    Redeem {
        token: u8,
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
    MarkInactive {
        who: u8,
    },
    MarkActive {
        who: u8,
    },
    Advance {
        seconds: u8,
    },
    Purge,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3_u8, 1..120_u8).prop_map(|(user, ttl)| Op::Issue { user, ttl }),
        2 => (0..5_u8, 0..3_u8).prop_map(|(code, who)| Op::Claim { code, who }),
        1 => (0..5_u8, 0..3_u8).prop_map(|(code, who)| Op::Consent { code, who }),
        1 => (0..5_u8, 0..3_u8).prop_map(|(code, who)| Op::Decline { code, who }),
        4 => (0..5_u8, 0..3_u8, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(code, who, m, o, website)| Op::Consume {
                code,
                who,
                move_on_conflict: m,
                one_chat: o,
                website,
            }
        ),
        2 => (0..3_u8, 0..3_u8, proptest::bool::weighted(0.2), proptest::bool::weighted(0.7))
            .prop_map(|(user, who, dangerous, current)| Op::Sign { user, who, dangerous, current }),
        3 => (0..4_u8).prop_map(|token| Op::Redeem { token }),
        1 => (0..5_u8).prop_map(|code| Op::Status { code }),
        1 => (0..3_u8).prop_map(|user| Op::Links { user }),
        1 => (0..3_u8).prop_map(|who| Op::UnlinkTelegram { who }),
        1 => (0..3_u8).prop_map(|user| Op::UnlinkUser { user }),
        // Index 3 is a Telegram account that never links.
        2 => (0..4_u8).prop_map(|who| Op::MarkInactive { who }),
        1 => (0..4_u8).prop_map(|who| Op::MarkActive { who }),
        2 => (1..90_u8).prop_map(|seconds| Op::Advance { seconds }),
        1 => Just(Op::Purge),
    ]
}

/// Operations around login links: long-lived codes, links made and removed, tokens signed for
/// the links that stand (or that the application wrongly believes in) and redeemed, so that
/// redemptions meet links confirmed, unconfirmed, moved and gone.
fn login_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3_u8, 120..=255_u8).prop_map(|(user, ttl)| Op::Issue { user, ttl }),
        1 => (0..2_u8, 0..3_u8).prop_map(|(code, who)| Op::Claim { code, who }),
        1 => (0..2_u8, 0..3_u8).prop_map(|(code, who)| Op::Consent { code, who }),
        1 => (0..2_u8, 0..3_u8).prop_map(|(code, who)| Op::Decline { code, who }),
        4 => (0..2_u8, 0..3_u8, any::<bool>(), any::<bool>()).prop_map(
            |(code, who, m, website)| Op::Consume {
                code,
                who,
                move_on_conflict: m,
                one_chat: false,
                website,
            }
        ),
        3 => (0..3_u8, 0..3_u8, proptest::bool::weighted(0.2), proptest::bool::weighted(0.9))
            .prop_map(|(user, who, dangerous, current)| Op::Sign { user, who, dangerous, current }),
        4 => (0..3_u8).prop_map(|token| Op::Redeem { token }),
        1 => (0..3_u8).prop_map(|user| Op::Links { user }),
        1 => (0..3_u8).prop_map(|who| Op::UnlinkTelegram { who }),
        1 => (0..3_u8).prop_map(|user| Op::UnlinkUser { user }),
        1 => (0..3_u8).prop_map(|who| Op::MarkInactive { who }),
        1 => (0..3_u8).prop_map(|who| Op::MarkActive { who }),
        1 => (1..30_u8).prop_map(|seconds| Op::Advance { seconds }),
    ]
}

/// Sequences of either kind: general ones, and ones around login links.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![
        proptest::collection::vec(op(), 1..60),
        proptest::collection::vec(login_op(), 1..60),
    ]
}

/// Runs the operations and returns one line per step.
async fn run<S: Store>(store: &S, ops: &[Op]) -> Vec<String> {
    let mut codes: Vec<LinkCode> = Vec::new();
    let mut tokens: Vec<LoginToken> = Vec::new();
    let mut now = NOW;
    let mut lines = Vec::new();
    let code_at = |codes: &[LinkCode], index: u8| {
        // Counted back from the latest code, so that operations meet codes in every state;
        // past the issued codes (and always for index 4): a well-formed code nobody issued.
        codes
            .len()
            .checked_sub(1 + usize::from(index))
            .filter(|_| index < 4)
            .and_then(|at| codes.get(at))
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
            Op::Consent { code, who } => format!(
                "{:?}",
                store.consent(&code_at(&codes, code), chat(who), now).await
            ),
            Op::Decline { code, who } => format!(
                "{:?}",
                store.decline(&code_at(&codes, code), chat(who), now).await
            ),
            Op::Consume {
                code,
                who,
                move_on_conflict,
                one_chat,
                website,
            } => {
                let policy = LinkPolicy {
                    on_conflict: if move_on_conflict {
                        OnConflict::Move
                    } else {
                        OnConflict::Reject
                    },
                    chats_per_account: if one_chat {
                        ChatsPerAccount::One
                    } else {
                        ChatsPerAccount::Many
                    },
                };
                format!(
                    "{:?}",
                    store
                        .consume(
                            &code_at(&codes, code),
                            chat(who),
                            policy,
                            if website {
                                CommittedBy::Website
                            } else {
                                CommittedBy::Chat
                            },
                            now
                        )
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
            Op::Links { user } => {
                format!("{:?}", store.links_of_account(&name(user)).await.unwrap())
            }
            Op::UnlinkTelegram { who } => {
                format!(
                    "{:?}",
                    store
                        .unlink_telegram_user(UserId(100 + i64::from(who)))
                        .await
                        .unwrap()
                )
            }
            Op::UnlinkUser { user } => {
                format!("{:?}", store.unlink_account(&name(user)).await.unwrap())
            }
            Op::MarkInactive { who } => format!(
                "{:?}",
                store
                    .mark_link_inactive(UserId(100 + i64::from(who)), now)
                    .await
                    .unwrap()
            ),
            Op::MarkActive { who } => format!(
                "{:?}",
                store
                    .mark_link_active(UserId(100 + i64::from(who)))
                    .await
                    .unwrap()
            ),
            Op::Advance { seconds } => {
                now = UnixTime(now.0 + i64::from(seconds));
                format!("now {}", now.0)
            }
            Op::Purge => format!("purged {}", store.purge_expired(now).await.unwrap()),
            Op::Sign {
                user,
                who,
                dangerous,
                current,
            } => {
                // The chat's current link (when `current` and it has one), or a link the
                // application wrongly believes in; either way claiming the website's
                // confirmation: whether the link stands, and is confirmed, is the store's to
                // check at redemption.
                let mut stored = None;
                for offset in 0..3 {
                    if !current || stored.is_some() {
                        break;
                    }
                    let telegram_user = chat((who + offset) % 3).user_id();
                    stored = store.link_of_telegram_user(telegram_user).await.unwrap();
                }
                let link = Link {
                    website_confirmed: true,
                    ..stored.unwrap_or_else(|| Link {
                        account: name(user),
                        telegram: chat(who),
                        linked_at: now,
                        website_confirmed: true,
                        inactive_since: None,
                    })
                };
                let token = if dangerous {
                    key().dangerous_sign_unconfirmed(&link, Ttl::LOGIN_DEFAULT, now)
                } else {
                    key().sign(&link, Ttl::LOGIN_DEFAULT, now)
                };
                tokens.push(token.unwrap());
                format!("signed {}", tokens.len())
            }
            // Counted from the latest token, so that most redemptions follow their signing.
            Op::Redeem { token } => match tokens
                .len()
                .checked_sub(1 + usize::from(token))
                .and_then(|index| tokens.get(index))
            {
                None => "no token".to_owned(),
                // The claims' id is random per run: compare what the login says.
                Some(token) => match redeem(store, &key(), token.expose(), now).await {
                    Ok(claims) => format!(
                        "login {} {:?} {}",
                        claims.account.as_str(),
                        claims.telegram,
                        claims.dangerous_unconfirmed
                    ),
                    Err(error) => format!("{error:?}"),
                },
            },
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
    fn sqlite_answers_like_memory(ops in ops()) {
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let sqlite = deeplink_auth::store::SqliteStore::open_path(&dir.path().join("d.db")).await.unwrap();
            let expected = run(&MemoryStore::default(), &ops).await;
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
    fn postgres_answers_like_memory(ops in ops()) {
        let Some(url) = crate::server_url("TGAUTH_TEST_POSTGRES_URL", "postgres_answers_like_memory") else {
            return Ok(());
        };
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let suffix = LinkCode::generate().unwrap().hash().to_hex();
            let store = deeplink_auth::store::PostgresStore::open_in_schema(&url, &format!("d_{}", &suffix[..12])).await.unwrap();
            let expected = run(&MemoryStore::default(), &ops).await;
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
    fn redis_answers_like_memory(ops in ops()) {
        let Some(url) = crate::server_url("TGAUTH_TEST_REDIS_URL", "redis_answers_like_memory") else {
            return Ok(());
        };
        let ops: Vec<Op> = ops.into_iter().filter(|op| !matches!(op, Op::Purge)).collect();
        let runtime = runtime();
        let (expected, got) = runtime.block_on(async {
            let suffix = LinkCode::generate().unwrap().hash().to_hex();
            let store = deeplink_auth::store::RedisStore::open_with_prefix(&url, &format!("tgauth-diff:{}:", &suffix[..12])).await.unwrap();
            let expected = run(&MemoryStore::default(), &ops).await;
            let got = run(&store, &ops).await;
            store.clear().await.unwrap();
            (expected, got)
        });
        prop_assert_eq!(expected, got);
    }
}
