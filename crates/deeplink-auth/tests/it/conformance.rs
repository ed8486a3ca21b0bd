//! The conformance suite, written once and run against every backend (rustls's per-provider
//! tests): `conformance_suite!(name, open)` expands to one `#[tokio::test]` per check.

use std::collections::HashSet;

use deeplink_auth::code::{CodeHash, LinkCode};
use deeplink_auth::linker::{Confirmation, Confirmed, StartOutcome};
use deeplink_auth::login::{LoginClaims, LoginLinkKey, redeem};
use deeplink_auth::start::StartMessage;
use deeplink_auth::store::{
    ChatsPerAccount, Claim, CodeStatus, CommittedBy, Declined, Link, LinkOutcome, LinkPolicy,
    Linked, OnConflict, Store, StoreError,
};
use deeplink_auth::tgauth_core::{ChatId, UnixTime, UserId};
use deeplink_auth::{AccountId, BotUsername, Error, Linker, TelegramIdentity, Ttl};

/// How a backend is opened for one test.
pub(crate) trait Harness: Sized + Send + Sync + 'static {
    /// The backend.
    type S: Store + Clone + 'static;
    /// The store under test, empty at the start of the test.
    fn store(&self) -> Self::S;
    /// A second, independent handle on the same data after closing the first (a restart);
    /// `None` for a backend without durability.
    async fn reopen(&self) -> Option<Self::S>;
    /// A store whose server is gone: `Err` if opening already fails, `Ok` with a handle whose
    /// operations fail; `None` when the backend cannot be down (memory).
    async fn down(&self) -> Option<Result<Self::S, StoreError>>;
}

pub(crate) const NOW: UnixTime = UnixTime(1_700_000_000);

pub(crate) fn user(name: &str) -> AccountId {
    AccountId::new(name).unwrap()
}

pub(crate) fn who(id: i64) -> TelegramIdentity {
    TelegramIdentity::new(UserId(id), ChatId(id)).unwrap()
}

fn ttl(seconds: u64) -> Ttl {
    Ttl::from_seconds(seconds).unwrap()
}

const REJECT: LinkPolicy = LinkPolicy {
    on_conflict: OnConflict::Reject,
    chats_per_account: ChatsPerAccount::Many,
};

/// A consume the chat commits alone (the bot's confirmation, or none).
pub(crate) const BOT: CommittedBy = CommittedBy::Chat;
/// A consume the website's logged-in owner confirmed.
pub(crate) const WEBSITE: CommittedBy = CommittedBy::Website;

/// Generates the suite for one backend; `$open` is an async fn taking the test's name and
/// returning `Option<impl Harness>` (`None`: skipped, after saying why).
macro_rules! conformance_suite {
    ($open:path) => {
        conformance_suite!(@tests $open;
            issue_then_consume, expiry, concurrent_consumers_one_winner, claim_then_confirm,
            conflict_rejected_by_default, conflict_move, chats_per_account, unlink,
            purge_expired, login_link_single_use, persistence, bad_input, store_down,
            start_flow, website_confirmation, one_chat_per_user_under_concurrency,
            concurrent_claims_and_login_uses_one_winner, two_party_confirmation,
            bot_confirmation_refuses_the_website, default_confirmation_is_bot_and_website,
            decline, concurrent_declines_and_consents_agree, website_confirmation_is_recorded,
            login_links_need_website_confirmation, unlink_racing_redeem, link_activity,
            relinking_makes_a_link_active, inactive_links_still_log_in,
            concurrent_marks_agree, inactivity_survives_a_reopen);
    };
    (@tests $open:path; $($test:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                if let Some(harness) = $open(stringify!($test)).await {
                    $crate::conformance::$test(harness).await;
                }
            }
        )*
    };
}
pub(crate) use conformance_suite;

pub(crate) async fn issue_then_consume<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let issued = store.issue(&alice, ttl(3600), NOW).await.unwrap();
    assert_eq!(issued.expires_at, NOW.plus(3600));
    let linked = store
        .consume(&issued.code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap();
    assert_eq!(linked.outcome, LinkOutcome::New);
    assert_eq!(linked.link.account, alice);
    assert_eq!(linked.link.telegram, who(42));
    assert_eq!(linked.link.linked_at, NOW);
    assert_eq!(
        store.links_of_account(&alice).await.unwrap(),
        vec![linked.link.clone()]
    );
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(linked.link.clone())
    );
    assert_eq!(store.link_of_telegram_user(UserId(43)).await.unwrap(), None);
    // A redelivered `/start` from the same chat: already linked, not an error.
    let again = store
        .consume(&issued.code, who(42), REJECT, BOT, NOW.plus(5))
        .await
        .unwrap();
    assert_eq!(again.outcome, LinkOutcome::AlreadyLinked);
    assert_eq!(again.link, linked.link);
    // Anyone else: used.
    let other = store.consume(&issued.code, who(43), REJECT, BOT, NOW).await;
    assert!(matches!(other, Err(Error::AlreadyUsed)), "{other:?}");
    let unknown = store
        .consume(&LinkCode::generate().unwrap(), who(43), REJECT, BOT, NOW)
        .await;
    assert!(matches!(unknown, Err(Error::Unknown)), "{unknown:?}");
    assert_eq!(store.link_of_telegram_user(UserId(43)).await.unwrap(), None);
}

pub(crate) async fn expiry<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let late = store.issue(&alice, ttl(60), NOW).await.unwrap();
    let result = store
        .consume(&late.code, who(42), REJECT, BOT, NOW.plus(60))
        .await;
    assert!(matches!(result, Err(Error::Expired)), "{result:?}");
    let result = store.claim(&late.code, who(42), NOW.plus(61)).await;
    assert!(matches!(result, Err(Error::Expired)), "{result:?}");
    let in_time = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store
        .consume(&in_time.code, who(42), REJECT, BOT, NOW.plus(59))
        .await
        .unwrap();
    // A claim waits no longer than the code lives.
    let pending = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store
        .claim(&pending.code, who(43), NOW.plus(10))
        .await
        .unwrap();
    let result = store
        .consume(&pending.code, who(43), REJECT, BOT, NOW.plus(60))
        .await;
    assert!(matches!(result, Err(Error::Expired)), "{result:?}");
    assert_eq!(store.link_of_telegram_user(UserId(43)).await.unwrap(), None);
}

pub(crate) async fn concurrent_consumers_one_winner<H: Harness>(h: H) {
    let store = h.store();
    let issued = store.issue(&user("alice"), ttl(3600), NOW).await.unwrap();
    let mut tasks = Vec::new();
    for id in 1..=100_i64 {
        let store = store.clone();
        let code = issued.code.clone();
        tasks.push(tokio::spawn(async move {
            (
                id,
                store.consume(&code, who(1000 + id), REJECT, BOT, NOW).await,
            )
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (id, result) = task.await.unwrap();
        match result {
            Ok(linked) => winners.push((id, linked)),
            Err(Error::AlreadyUsed) => {}
            Err(other) => panic!("consumer {id}: unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one consumer wins");
    let (id, linked) = &winners[0];
    assert_eq!(linked.link.telegram, who(1000 + id));
    assert_eq!(
        store.links_of_account(&user("alice")).await.unwrap(),
        vec![linked.link.clone()]
    );
}

pub(crate) async fn claim_then_confirm<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let issued = store.issue(&alice, ttl(3600), NOW).await.unwrap();
    let claim = store.claim(&issued.code, who(42), NOW).await.unwrap();
    assert_eq!(
        claim,
        Claim::Pending {
            account: alice.clone(),
            repeated: false
        }
    );
    // Nothing is linked before confirmation.
    assert_eq!(store.link_of_telegram_user(UserId(42)).await.unwrap(), None);
    let claim = store
        .claim(&issued.code, who(42), NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(
        claim,
        Claim::Pending {
            account: alice.clone(),
            repeated: true
        }
    );
    // A forwarded link cannot be taken over by another chat, by claim or by consume.
    assert!(matches!(
        store.claim(&issued.code, who(43), NOW).await,
        Err(Error::AlreadyUsed)
    ));
    assert!(matches!(
        store.consume(&issued.code, who(43), REJECT, BOT, NOW).await,
        Err(Error::AlreadyUsed)
    ));
    let linked = store
        .consume(&issued.code, who(42), REJECT, BOT, NOW.plus(2))
        .await
        .unwrap();
    assert_eq!(linked.outcome, LinkOutcome::New);
    let claim = store
        .claim(&issued.code, who(42), NOW.plus(3))
        .await
        .unwrap();
    assert_eq!(claim, Claim::AlreadyLinked(linked.link));
}

pub(crate) async fn conflict_rejected_by_default<H: Harness>(h: H) {
    let store = h.store();
    let (alice, bob) = (user("alice"), user("bob"));
    let first = store.issue(&alice, ttl(3600), NOW).await.unwrap();
    let alice_link = store
        .consume(&first.code, who(42), LinkPolicy::default(), BOT, NOW)
        .await
        .unwrap()
        .link;
    let second = store.issue(&bob, ttl(3600), NOW).await.unwrap();
    let result = store
        .consume(&second.code, who(42), LinkPolicy::default(), BOT, NOW)
        .await;
    assert!(matches!(result, Err(Error::Conflict)), "{result:?}");
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(alice_link)
    );
    assert_eq!(store.links_of_account(&bob).await.unwrap(), vec![]);
    // The rejected code stays unused: another Telegram account can still take it.
    let linked = store
        .consume(&second.code, who(43), LinkPolicy::default(), BOT, NOW)
        .await
        .unwrap();
    assert_eq!(linked.link.account, bob);
}

pub(crate) async fn conflict_move<H: Harness>(h: H) {
    let store = h.store();
    let (alice, bob) = (user("alice"), user("bob"));
    let first = store.issue(&alice, ttl(3600), NOW).await.unwrap();
    store
        .consume(&first.code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap();
    let second = store.issue(&bob, ttl(3600), NOW).await.unwrap();
    let policy = LinkPolicy {
        on_conflict: OnConflict::Move,
        ..LinkPolicy::default()
    };
    let linked = store
        .consume(&second.code, who(42), policy, BOT, NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(
        linked.outcome,
        LinkOutcome::Moved {
            from: alice.clone()
        }
    );
    assert_eq!(linked.link.linked_at, NOW.plus(1));
    assert_eq!(store.links_of_account(&alice).await.unwrap(), vec![]);
    assert_eq!(
        store.links_of_account(&bob).await.unwrap(),
        vec![linked.link]
    );
}

pub(crate) async fn chats_per_account<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    for id in [42, 43] {
        let issued = store.issue(&alice, ttl(3600), NOW).await.unwrap();
        store
            .consume(&issued.code, who(id), REJECT, BOT, NOW)
            .await
            .unwrap();
    }
    let ids: Vec<_> = store
        .links_of_account(&alice)
        .await
        .unwrap()
        .iter()
        .map(|l| l.telegram)
        .collect();
    assert_eq!(ids, vec![who(42), who(43)]);
    let one = LinkPolicy {
        chats_per_account: ChatsPerAccount::One,
        ..LinkPolicy::default()
    };
    let issued = store.issue(&alice, ttl(3600), NOW).await.unwrap();
    store
        .consume(&issued.code, who(44), one, BOT, NOW)
        .await
        .unwrap();
    let ids: Vec<_> = store
        .links_of_account(&alice)
        .await
        .unwrap()
        .iter()
        .map(|l| l.telegram)
        .collect();
    assert_eq!(ids, vec![who(44)]);
    assert_eq!(store.link_of_telegram_user(UserId(42)).await.unwrap(), None);
}

pub(crate) async fn unlink<H: Harness>(h: H) {
    let store = h.store();
    let (alice, bob) = (user("alice"), user("bob"));
    let code = store.issue(&alice, ttl(3600), NOW).await.unwrap().code;
    let link = store
        .consume(&code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap()
        .link;
    assert_eq!(
        store.unlink_telegram_user(UserId(42)).await.unwrap(),
        Some(link)
    );
    assert_eq!(store.unlink_telegram_user(UserId(42)).await.unwrap(), None);
    // A redelivered `/start` does not bring an unlinked account back.
    let again = store.consume(&code, who(42), REJECT, BOT, NOW).await;
    assert!(matches!(again, Err(Error::AlreadyUsed)), "{again:?}");
    assert_eq!(store.links_of_account(&alice).await.unwrap(), vec![]);
    for id in [50, 51, 52] {
        let code = store.issue(&bob, ttl(3600), NOW).await.unwrap().code;
        store
            .consume(&code, who(id), REJECT, BOT, NOW)
            .await
            .unwrap();
    }
    assert_eq!(store.unlink_account(&bob).await.unwrap(), 3);
    assert_eq!(store.unlink_account(&bob).await.unwrap(), 0);
    assert_eq!(store.link_of_telegram_user(UserId(51)).await.unwrap(), None);
}

pub(crate) async fn purge_expired<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let short = store.issue(&alice, ttl(10), NOW).await.unwrap();
    let long = store.issue(&alice, ttl(1000), NOW).await.unwrap();
    let used = store.issue(&alice, ttl(10), NOW).await.unwrap();
    store
        .consume(&used.code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap();
    let purged = store.purge_expired(NOW.plus(100)).await.unwrap();
    // Redis expires codes natively (its TTL is real time), so it purges nothing by hand.
    assert!(purged == 1 || purged == 0, "{purged}");
    if purged == 1 {
        assert!(matches!(
            store.consume(&short.code, who(43), REJECT, BOT, NOW).await,
            Err(Error::Unknown)
        ));
    }
    store
        .consume(&long.code, who(43), REJECT, BOT, NOW.plus(100))
        .await
        .unwrap();
    // The consumed code is still known, so a redelivery reads "already linked".
    let again = store
        .consume(&used.code, who(42), REJECT, BOT, NOW.plus(100))
        .await
        .unwrap();
    assert_eq!(again.outcome, LinkOutcome::AlreadyLinked);
    // Links are never purged.
    assert_eq!(store.links_of_account(&alice).await.unwrap().len(), 2);
}

/// Links `account` to `telegram` (website-confirmed when `by` says so) and returns the link.
pub(crate) async fn linked<S: Store>(
    store: &S,
    account: &str,
    telegram: i64,
    by: CommittedBy,
) -> deeplink_auth::store::Link {
    let issued = store.issue(&user(account), ttl(3600), NOW).await.unwrap();
    store
        .consume(&issued.code, who(telegram), REJECT, by, NOW)
        .await
        .unwrap()
        .link
}

/// The claims of a login link for `link` with the single-use id `id`.
pub(crate) fn claims_for(link: &deeplink_auth::store::Link, id: u8) -> LoginClaims {
    LoginClaims {
        account: link.account.clone(),
        telegram: link.telegram,
        expires_at: NOW.plus(600),
        id: CodeHash::from_bytes([id; 32]),
        dangerous_unconfirmed: false,
    }
}

pub(crate) async fn login_link_single_use<H: Harness>(h: H) {
    let store = h.store();
    let link = linked(&store, "alice", 42, WEBSITE).await;
    let claims = claims_for(&link, 7);
    assert_eq!(store.redeem_login_link(&claims, NOW).await.unwrap(), link);
    let again = store.redeem_login_link(&claims, NOW.plus(1)).await;
    assert!(matches!(again, Err(Error::LoginLinkUsed)), "{again:?}");
    store
        .redeem_login_link(&claims_for(&link, 8), NOW)
        .await
        .unwrap();
    crate::login::redeem_once(&store).await;
}

pub(crate) async fn persistence<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let linked_code = store.issue(&alice, ttl(3600), NOW).await.unwrap().code;
    let link = store
        .consume(&linked_code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap()
        .link;
    let open_code = store.issue(&alice, ttl(3600), NOW).await.unwrap().code;
    drop(store);
    let Some(reopened) = h.reopen().await else {
        eprintln!("persistence: skipped: this backend keeps nothing across a restart");
        return;
    };
    assert_eq!(reopened.links_of_account(&alice).await.unwrap(), vec![link]);
    let again = reopened
        .consume(&linked_code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap();
    assert_eq!(again.outcome, LinkOutcome::AlreadyLinked);
    reopened
        .consume(&open_code, who(43), REJECT, BOT, NOW)
        .await
        .unwrap();
}

pub(crate) async fn bad_input<H: Harness>(h: H) {
    let store = h.store();
    // Awkward but valid website ids round-trip unchanged.
    let awkward = [
        "o'brien\"; DROP TABLE deeplink_links; --",
        "ünïcødé 🦀",
        "a:b:{c}*?[x]",
        &"x".repeat(128),
    ];
    for (index, name) in awkward.iter().enumerate() {
        let id = 7000 + i64::try_from(index).unwrap();
        let name = user(name);
        let code = store.issue(&name, ttl(3600), NOW).await.unwrap().code;
        let link = store
            .consume(&code, who(id), REJECT, BOT, NOW)
            .await
            .unwrap()
            .link;
        assert_eq!(store.links_of_account(&name).await.unwrap(), vec![link]);
    }
    assert!(
        AccountId::new("").is_err()
            && AccountId::new("a\nb").is_err()
            && AccountId::new(&"x".repeat(129)).is_err()
    );
    // Well-formed codes that were never issued are unknown everywhere.
    let stranger = LinkCode::parse(&"A".repeat(32)).unwrap();
    assert!(matches!(
        store.claim(&stranger, who(1), NOW).await,
        Err(Error::Unknown)
    ));
    assert!(matches!(
        store.consume(&stranger, who(1), REJECT, BOT, NOW).await,
        Err(Error::Unknown)
    ));
}

pub(crate) async fn store_down<H: Harness>(h: H) {
    let Some(down) = h.down().await else {
        eprintln!("store_down: skipped: an in-memory store cannot be down");
        return;
    };
    let store = match down {
        Err(error) => {
            assert!(error.is_unavailable(), "{error:?}");
            return;
        }
        Ok(store) => store,
    };
    let issued = store.issue(&user("alice"), ttl(3600), NOW).await;
    assert!(
        matches!(&issued, Err(e) if e.is_unavailable()),
        "{issued:?}"
    );
    let code = LinkCode::generate().unwrap();
    let consumed = store.consume(&code, who(42), REJECT, BOT, NOW).await;
    assert!(
        matches!(&consumed, Err(Error::Store(e)) if e.is_unavailable()),
        "{consumed:?}"
    );
    let read = store.links_of_account(&user("alice")).await;
    assert!(matches!(&read, Err(e) if e.is_unavailable()), "{read:?}");
    // Messages that carry no well-formed code for this bot in a private chat never reach the
    // store: they are answered even while it is down.
    let linker = Linker::new(store, BotUsername::new("tgauth_test_bot").unwrap());
    let message = |chat_type: &str, text: String| StartMessage {
        chat_id: ChatId(42),
        chat_type: chat_type.to_owned(),
        user_id: Some(UserId(42)),
        text,
    };
    let code = LinkCode::generate().unwrap();
    for (chat_type, text, expected) in [
        ("private", "/start".to_owned(), StartOutcome::Welcome),
        ("private", "/start hello".to_owned(), StartOutcome::Welcome),
        (
            "private",
            format!("/start {}x", code.expose()),
            StartOutcome::Welcome,
        ),
        (
            "private",
            format!("/start@other_bot {}", code.expose()),
            StartOutcome::Ignored,
        ),
        ("private", "hello".to_owned(), StartOutcome::Ignored),
        (
            "group",
            format!("/start {}", code.expose()),
            StartOutcome::NotPrivate,
        ),
    ] {
        assert_eq!(
            linker
                .handle_start(&message(chat_type, text), NOW)
                .await
                .unwrap(),
            expected
        );
    }
    let real = linker
        .handle_start(
            &message("private", format!("/start {}", code.expose())),
            NOW,
        )
        .await;
    assert!(
        matches!(&real, Err(Error::Store(e)) if e.is_unavailable()),
        "{real:?}"
    );
    // The live store saw nothing of it.
    assert_eq!(
        h.store().links_of_account(&user("alice")).await.unwrap(),
        vec![]
    );
}

pub(crate) async fn start_flow<H: Harness>(h: H) {
    let bot = BotUsername::new("tgauth_test_bot").unwrap();
    let linker = Linker::new(h.store(), bot);
    let alice = user("alice");
    let issued = linker.issue(&alice, NOW).await.unwrap();
    assert_eq!(
        issued.url,
        format!(
            "https://t.me/tgauth_test_bot?start={}",
            issued.code.expose()
        )
    );
    let message = |chat_type: &str, chat_id: i64, text: String| StartMessage {
        chat_id: ChatId(chat_id),
        chat_type: chat_type.to_owned(),
        user_id: Some(UserId(42)),
        text,
    };
    let start = format!("/start {}", issued.code.expose());
    // Groups, other bots and malformed payloads never touch the code.
    let group = linker
        .handle_start(&message("group", -100, start.clone()), NOW)
        .await
        .unwrap();
    assert_eq!(group, StartOutcome::NotPrivate);
    let other = format!("/start@other_bot {}", issued.code.expose());
    assert_eq!(
        linker
            .handle_start(&message("private", 42, other), NOW)
            .await
            .unwrap(),
        StartOutcome::Ignored
    );
    let garbage = message("private", 42, "/start '; DROP TABLE x; --".to_owned());
    assert_eq!(
        linker.handle_start(&garbage, NOW).await.unwrap(),
        StartOutcome::Welcome
    );
    let outcome = linker
        .handle_start(&message("private", 42, start.clone()), NOW)
        .await
        .unwrap();
    let StartOutcome::ConfirmationNeeded {
        account: asked,
        code,
        repeated: false,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(asked, alice);
    // By default the chat's confirmation waits for the website's owner, whose confirmation
    // commits.
    assert_eq!(
        linker.confirm(&code, who(42), NOW).await.unwrap(),
        Confirmed::AwaitingWebsite {
            account: alice.clone()
        }
    );
    let linked = linker.confirm_on_website(&alice, &code, NOW).await.unwrap();
    assert!(linked.link.website_confirmed);
    // Webhooks are at-least-once: the same `/start` again reads "already linked".
    let outcome = linker
        .handle_start(&message("private", 42, start), NOW)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        StartOutcome::Linked(Linked {
            link: linked.link,
            outcome: LinkOutcome::AlreadyLinked
        })
    );
    // Without confirmation, `/start` commits at once.
    let direct = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap())
        .dangerous_without_confirmation();
    let issued = direct.issue(&user("bob"), NOW).await.unwrap();
    let mut message = message(
        "private",
        77,
        format!("/start@TGAUTH_TEST_BOT  {}", issued.code.expose()),
    );
    message.user_id = Some(UserId(77));
    let outcome = direct.handle_start(&message, NOW).await.unwrap();
    assert!(
        matches!(outcome, StartOutcome::Linked(ref l)
            if l.outcome == LinkOutcome::New && !l.link.website_confirmed),
        "{outcome:?}"
    );
    let distinct: HashSet<_> = [
        linker
            .issue(&alice, NOW)
            .await
            .unwrap()
            .code
            .expose()
            .to_owned(),
        linker
            .issue(&alice, NOW)
            .await
            .unwrap()
            .code
            .expose()
            .to_owned(),
    ]
    .into_iter()
    .collect();
    assert_eq!(distinct.len(), 2);
}

pub(crate) async fn website_confirmation<H: Harness>(h: H) {
    let linker = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap())
        .with_confirmation(Confirmation::Website);
    let alice = user("alice");
    let issued = linker.issue(&alice, NOW).await.unwrap();
    let status = linker.code_status(&issued.code, NOW).await.unwrap();
    assert_eq!(
        status,
        CodeStatus::Issued {
            account: alice.clone()
        }
    );
    // Nobody claimed it yet: nothing to confirm.
    let early = linker.confirm_on_website(&alice, &issued.code, NOW).await;
    assert!(matches!(early, Err(Error::Unknown)), "{early:?}");
    h.store().claim(&issued.code, who(42), NOW).await.unwrap();
    let status = linker.code_status(&issued.code, NOW).await.unwrap();
    assert_eq!(
        status,
        CodeStatus::Pending {
            account: alice.clone(),
            telegram: who(42)
        }
    );
    // Only the code's owner confirms it: another logged-in user holding the code cannot.
    let intruder = linker
        .confirm_on_website(&user("mallory"), &issued.code, NOW.plus(1))
        .await;
    assert!(matches!(intruder, Err(Error::Unknown)), "{intruder:?}");
    let linked = linker
        .confirm_on_website(&alice, &issued.code, NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(
        (
            linked.link.account.clone(),
            linked.link.telegram,
            linked.outcome
        ),
        (alice.clone(), who(42), LinkOutcome::New)
    );
    let status = linker.code_status(&issued.code, NOW.plus(2)).await.unwrap();
    assert_eq!(
        status,
        CodeStatus::Used {
            account: alice.clone(),
            telegram: who(42)
        }
    );
    // Confirming twice is harmless.
    let again = linker
        .confirm_on_website(&alice, &issued.code, NOW.plus(2))
        .await
        .unwrap();
    assert_eq!(again.outcome, LinkOutcome::AlreadyLinked);
    let stale = linker.issue(&alice, NOW).await.unwrap();
    assert_eq!(
        linker
            .code_status(&stale.code, NOW.plus(3600))
            .await
            .unwrap(),
        CodeStatus::Expired
    );
    let stranger = LinkCode::generate().unwrap();
    assert_eq!(
        linker.code_status(&stranger, NOW).await.unwrap(),
        CodeStatus::Unknown
    );
}

/// With one chat per user, concurrent links of several Telegram accounts to one website user
/// leave exactly one: each consume replaces the others, whatever the interleaving.
pub(crate) async fn one_chat_per_user_under_concurrency<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let one = LinkPolicy {
        chats_per_account: ChatsPerAccount::One,
        ..LinkPolicy::default()
    };
    let mut codes = Vec::new();
    for _ in 0..20 {
        codes.push(store.issue(&alice, ttl(3600), NOW).await.unwrap().code);
    }
    let mut tasks = Vec::new();
    for (id, code) in (2000_i64..).zip(codes) {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.consume(&code, who(id), one, BOT, NOW).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let links = store.links_of_account(&alice).await.unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    for id in 2000..2020 {
        let link = store.link_of_telegram_user(UserId(id)).await.unwrap();
        assert_eq!(link.is_some(), links[0].telegram == who(id), "{id}");
    }
}

/// Claims and login-link redemptions are single-winner too: of 100 chats claiming one code at
/// once exactly one holds it, and of 100 redemptions of one login link exactly one logs in.
pub(crate) async fn concurrent_claims_and_login_uses_one_winner<H: Harness>(h: H) {
    let store = h.store();
    let issued = store.issue(&user("alice"), ttl(3600), NOW).await.unwrap();
    let link = linked(&store, "bob", 77, WEBSITE).await;
    let key = LoginLinkKey::new(&[0x5a; 32]).unwrap();
    let token = key.sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let key = std::sync::Arc::new(key);
    let mut claims = Vec::new();
    let mut uses = Vec::new();
    for id in 1..=100_i64 {
        let (claimer, code) = (store.clone(), issued.code.clone());
        claims.push(tokio::spawn(async move {
            (id, claimer.claim(&code, who(3000 + id), NOW).await)
        }));
        let (store, key, token) = (store.clone(), key.clone(), token.clone());
        uses.push(tokio::spawn(async move {
            redeem(&store, &key, token.expose(), NOW).await
        }));
    }
    let mut holders = Vec::new();
    for task in claims {
        match task.await.unwrap() {
            (
                id,
                Ok(Claim::Pending {
                    repeated: false, ..
                }),
            ) => holders.push(id),
            (_, Err(Error::AlreadyUsed)) => {}
            (id, other) => panic!("claimer {id}: unexpected {other:?}"),
        }
    }
    assert_eq!(holders.len(), 1, "exactly one chat holds the code");
    assert_eq!(
        store.code_status(&issued.code, NOW).await.unwrap(),
        CodeStatus::Pending {
            account: user("alice"),
            telegram: who(3000 + holders[0])
        }
    );
    let mut counted = 0;
    for task in uses {
        match task.await.unwrap() {
            Ok(claims) => {
                assert_eq!(claims.account, link.account);
                counted += 1;
            }
            Err(Error::LoginLinkUsed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(counted, 1, "exactly one redemption logs in");
}

fn start_message(chat: i64, code: &LinkCode) -> StartMessage {
    StartMessage {
        chat_id: ChatId(chat),
        chat_type: "private".to_owned(),
        user_id: Some(UserId(chat)),
        text: format!("/start {}", code.expose()),
    }
}

/// Confirmation by both sides: the chat's consent alone links nothing, the website alone
/// cannot link a chat that did not agree, and the owner's confirmation after the chat's
/// commits; strangers on either side are refused.
pub(crate) async fn two_party_confirmation<H: Harness>(h: H) {
    let linker = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap())
        .with_confirmation(Confirmation::BotAndWebsite);
    let alice = user("alice");
    let issued = linker.issue(&alice, NOW).await.unwrap();
    let outcome = linker
        .handle_start(&start_message(42, &issued.code), NOW)
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            StartOutcome::ConfirmationNeeded {
                repeated: false,
                ..
            }
        ),
        "{outcome:?}"
    );
    // The website's owner cannot commit before the chat agreed (a victim who pressed the
    // owner's link without agreeing stays unlinked).
    let early = linker.confirm_on_website(&alice, &issued.code, NOW).await;
    assert!(matches!(early, Err(Error::NotConfirmed)), "{early:?}");
    // Another chat can neither claim nor consent.
    let stranger = linker.confirm(&issued.code, who(43), NOW).await;
    assert!(matches!(stranger, Err(Error::AlreadyUsed)), "{stranger:?}");
    let consented = linker.confirm(&issued.code, who(42), NOW).await.unwrap();
    assert_eq!(
        consented,
        Confirmed::AwaitingWebsite {
            account: alice.clone()
        }
    );
    assert_eq!(
        linker.code_status(&issued.code, NOW).await.unwrap(),
        CodeStatus::Consented {
            account: alice.clone(),
            telegram: who(42)
        }
    );
    assert_eq!(
        h.store().link_of_telegram_user(UserId(42)).await.unwrap(),
        None,
        "the chat's consent alone links nothing"
    );
    // A redelivered `/start` and a second press change nothing.
    let again = linker
        .handle_start(&start_message(42, &issued.code), NOW)
        .await
        .unwrap();
    assert!(
        matches!(
            again,
            StartOutcome::ConfirmationNeeded { repeated: true, .. }
        ),
        "{again:?}"
    );
    assert_eq!(
        linker.confirm(&issued.code, who(42), NOW).await.unwrap(),
        consented
    );
    let intruder = linker
        .confirm_on_website(&user("mallory"), &issued.code, NOW)
        .await;
    assert!(matches!(intruder, Err(Error::Unknown)), "{intruder:?}");
    let linked = linker
        .confirm_on_website(&alice, &issued.code, NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(
        (
            linked.link.account.clone(),
            linked.link.telegram,
            linked.outcome
        ),
        (alice.clone(), who(42), LinkOutcome::New)
    );
    let redelivered = linker
        .handle_start(&start_message(42, &issued.code), NOW.plus(2))
        .await
        .unwrap();
    assert!(
        matches!(&redelivered, StartOutcome::Linked(l) if l.outcome == LinkOutcome::AlreadyLinked),
        "{redelivered:?}"
    );
    // A consented code expires like a pending one.
    let late = linker.issue(&alice, NOW).await.unwrap();
    linker.confirm(&late.code, who(44), NOW).await.unwrap();
    let expired = linker
        .confirm_on_website(&alice, &late.code, NOW.plus(3600))
        .await;
    assert!(matches!(expired, Err(Error::Expired)), "{expired:?}");
}

/// Under the bot's confirmation alone the chat's button commits, and the website cannot commit
/// a claim: a site owner who got a victim to press the owner's link gains nothing. Such links
/// are not website-confirmed.
pub(crate) async fn bot_confirmation_refuses_the_website<H: Harness>(h: H) {
    let linker = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap())
        .with_confirmation(Confirmation::Bot);
    let owner = user("mallory");
    let issued = linker.issue(&owner, NOW).await.unwrap();
    let outcome = linker
        .handle_start(&start_message(42, &issued.code), NOW)
        .await
        .unwrap();
    assert!(
        matches!(outcome, StartOutcome::ConfirmationNeeded { .. }),
        "{outcome:?}"
    );
    let forced = linker.confirm_on_website(&owner, &issued.code, NOW).await;
    assert!(matches!(forced, Err(Error::NotConfirmed)), "{forced:?}");
    assert_eq!(
        h.store().link_of_telegram_user(UserId(42)).await.unwrap(),
        None
    );
    let Confirmed::Linked(linked) = linker.confirm(&issued.code, who(42), NOW).await.unwrap()
    else {
        panic!("the bot's confirmation commits under Confirmation::Bot")
    };
    assert_eq!(linked.outcome, LinkOutcome::New);
    assert!(!linked.link.website_confirmed);
    // Website-only confirmation: the bot sends the person back to the website, whose
    // confirmation commits a website-confirmed link.
    let website = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap())
        .with_confirmation(Confirmation::Website);
    let alice = user("alice");
    let issued = website.issue(&alice, NOW).await.unwrap();
    let outcome = website
        .handle_start(&start_message(45, &issued.code), NOW)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        StartOutcome::AwaitingWebsite {
            account: alice.clone(),
            repeated: false
        }
    );
    let linked = website
        .confirm_on_website(&alice, &issued.code, NOW)
        .await
        .unwrap();
    assert!(linked.link.website_confirmed);
}

/// The default is the confirmation by both sides: the forwarded link pressed by the wrong
/// person and the attacker's link pressed by a victim both end unlinked.
pub(crate) async fn default_confirmation_is_bot_and_website<H: Harness>(h: H) {
    assert_eq!(Confirmation::default(), Confirmation::BotAndWebsite);
    let linker = Linker::new(h.store(), BotUsername::new("tgauth_test_bot").unwrap());
    // A forwarded link: the wrong person presses it and agrees in the bot, but the website's
    // owner (who sees a stranger's name) never confirms; nothing is linked.
    let alice = user("alice");
    let forwarded = linker.issue(&alice, NOW).await.unwrap();
    linker
        .handle_start(&start_message(66, &forwarded.code), NOW)
        .await
        .unwrap();
    assert_eq!(
        linker.confirm(&forwarded.code, who(66), NOW).await.unwrap(),
        Confirmed::AwaitingWebsite {
            account: alice.clone()
        }
    );
    assert_eq!(
        h.store().link_of_telegram_user(UserId(66)).await.unwrap(),
        None
    );
    // An attacker's link pressed by a victim: the attacker, owner on the website, cannot
    // commit what the victim did not agree to in the bot.
    let mallory = user("mallory");
    let lure = linker.issue(&mallory, NOW).await.unwrap();
    linker
        .handle_start(&start_message(67, &lure.code), NOW)
        .await
        .unwrap();
    let forced = linker.confirm_on_website(&mallory, &lure.code, NOW).await;
    assert!(matches!(forced, Err(Error::NotConfirmed)), "{forced:?}");
    // The victim says no in the bot: the code is dead, and the attacker's site reads so.
    let declined = linker.decline(&lure.code, who(67), NOW).await.unwrap();
    assert_eq!(
        declined,
        Declined {
            account: mallory.clone(),
            repeated: false
        }
    );
    let forced = linker.confirm_on_website(&mallory, &lure.code, NOW).await;
    assert!(matches!(forced, Err(Error::Declined)), "{forced:?}");
    assert_eq!(
        h.store().link_of_telegram_user(UserId(67)).await.unwrap(),
        None
    );
}

/// The chat that claimed a code can decline it in the bot: the code is dead for everyone, the
/// website reads `Declined`, a repeat by the same chat is harmless, and the record outlives the
/// code's expiry like a consumed one.
pub(crate) async fn decline<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let issued = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store.claim(&issued.code, who(42), NOW).await.unwrap();
    // Only the chat that claimed it.
    let stranger = store.decline(&issued.code, who(43), NOW).await;
    assert!(matches!(stranger, Err(Error::AlreadyUsed)), "{stranger:?}");
    assert_eq!(
        store.decline(&issued.code, who(42), NOW).await.unwrap(),
        Declined {
            account: alice.clone(),
            repeated: false
        }
    );
    let declined = CodeStatus::Declined {
        account: alice.clone(),
        telegram: who(42),
    };
    assert_eq!(
        store.code_status(&issued.code, NOW).await.unwrap(),
        declined
    );
    // Idempotent for the same chat, even after the code's expiry.
    for at in [NOW.plus(1), NOW.plus(3600)] {
        assert_eq!(
            store.decline(&issued.code, who(42), at).await.unwrap(),
            Declined {
                account: alice.clone(),
                repeated: true
            }
        );
    }
    // Dead: the chat's own claim, consent or consume reads "declined", anyone else's "used".
    let claim = store.claim(&issued.code, who(42), NOW).await;
    assert!(matches!(claim, Err(Error::Declined)), "{claim:?}");
    let consent = store.consent(&issued.code, who(42), NOW).await;
    assert!(matches!(consent, Err(Error::Declined)), "{consent:?}");
    for by in [BOT, WEBSITE] {
        let consume = store.consume(&issued.code, who(42), REJECT, by, NOW).await;
        assert!(matches!(consume, Err(Error::Declined)), "{consume:?}");
    }
    let other = store.claim(&issued.code, who(43), NOW).await;
    assert!(matches!(other, Err(Error::AlreadyUsed)), "{other:?}");
    let other = store.consume(&issued.code, who(43), REJECT, BOT, NOW).await;
    assert!(matches!(other, Err(Error::AlreadyUsed)), "{other:?}");
    assert_eq!(store.link_of_telegram_user(UserId(42)).await.unwrap(), None);
    // Kept past the code's expiry, so that the website (and a redelivered press) still reads
    // what happened; purged after the retention of used codes (Redis expires it natively).
    assert_eq!(
        store
            .code_status(&issued.code, NOW.plus(3600))
            .await
            .unwrap(),
        declined
    );
    store.purge_expired(NOW.plus(3600)).await.unwrap();
    assert_eq!(
        store
            .code_status(&issued.code, NOW.plus(3600))
            .await
            .unwrap(),
        declined
    );
    let purged = store
        .purge_expired(NOW.plus(61 + deeplink_auth::store::USED_CODE_RETENTION_SECONDS))
        .await
        .unwrap();
    assert!(purged <= 1, "{purged}");

    // A consented chat may still decline; a fresh code is claimed and declined at once.
    let consented = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store.consent(&consented.code, who(44), NOW).await.unwrap();
    assert!(
        !store
            .decline(&consented.code, who(44), NOW)
            .await
            .unwrap()
            .repeated
    );
    let fresh = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store.decline(&fresh.code, who(45), NOW).await.unwrap();
    assert_eq!(
        store.code_status(&fresh.code, NOW).await.unwrap(),
        CodeStatus::Declined {
            account: alice.clone(),
            telegram: who(45)
        }
    );
    // A consumed code cannot be declined (unlink instead), an expired claim cannot either, and
    // unknown codes are unknown.
    let used = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store
        .consume(&used.code, who(46), REJECT, BOT, NOW)
        .await
        .unwrap();
    let late = store.decline(&used.code, who(46), NOW).await;
    assert!(matches!(late, Err(Error::AlreadyUsed)), "{late:?}");
    let stale = store.issue(&alice, ttl(60), NOW).await.unwrap();
    store.claim(&stale.code, who(47), NOW).await.unwrap();
    let expired = store.decline(&stale.code, who(47), NOW.plus(60)).await;
    assert!(matches!(expired, Err(Error::Expired)), "{expired:?}");
    let unknown = store
        .decline(&LinkCode::generate().unwrap(), who(48), NOW)
        .await;
    assert!(matches!(unknown, Err(Error::Unknown)), "{unknown:?}");
}

/// Of concurrent declines and consents of one claimed code by its chat, and claims by others,
/// the code ends in one state that every later read agrees on.
pub(crate) async fn concurrent_declines_and_consents_agree<H: Harness>(h: H) {
    let store = h.store();
    let issued = store.issue(&user("alice"), ttl(3600), NOW).await.unwrap();
    store.claim(&issued.code, who(42), NOW).await.unwrap();
    let mut tasks = Vec::new();
    for round in 0..30_i64 {
        let (store, code) = (store.clone(), issued.code.clone());
        tasks.push(tokio::spawn(async move {
            match round % 3 {
                0 => store.decline(&code, who(42), NOW).await.map(|_| ()),
                1 => store.consent(&code, who(42), NOW).await.map(|_| ()),
                _ => store.claim(&code, who(100 + round), NOW).await.map(|_| ()),
            }
        }));
    }
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) | Err(Error::Declined | Error::AlreadyUsed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    // A decline was among them, and a decline is final.
    assert_eq!(
        store.code_status(&issued.code, NOW).await.unwrap(),
        CodeStatus::Declined {
            account: user("alice"),
            telegram: who(42)
        }
    );
}

/// A link records whether the website's owner confirmed it: the chat's commit alone is not, the
/// website's is, and the same account relinking the same Telegram user keeps a confirmation.
pub(crate) async fn website_confirmation_is_recorded<H: Harness>(h: H) {
    let store = h.store();
    let by_bot = linked(&store, "alice", 42, BOT).await;
    assert!(!by_bot.website_confirmed);
    let by_website = linked(&store, "bob", 43, WEBSITE).await;
    assert!(by_website.website_confirmed);
    for link in [&by_bot, &by_website] {
        assert_eq!(
            store
                .link_of_telegram_user(link.telegram.user_id())
                .await
                .unwrap()
                .as_ref(),
            Some(link)
        );
        assert_eq!(
            store.links_of_account(&link.account).await.unwrap(),
            vec![link.clone()]
        );
    }
    // Relinking: the website's confirmation upgrades a link, the chat's alone keeps it.
    for (by, expected) in [(BOT, false), (WEBSITE, true), (BOT, true)] {
        let code = store
            .issue(&user("alice"), ttl(3600), NOW)
            .await
            .unwrap()
            .code;
        let relinked = store
            .consume(&code, who(42), REJECT, by, NOW.plus(5))
            .await
            .unwrap();
        assert_eq!(relinked.outcome, LinkOutcome::AlreadyLinked);
        assert_eq!(relinked.link.linked_at, NOW);
        assert_eq!(relinked.link.website_confirmed, expected, "{by:?}");
        assert_eq!(
            store
                .link_of_telegram_user(UserId(42))
                .await
                .unwrap()
                .map(|link| link.website_confirmed),
            Some(expected)
        );
    }
    // A repeat of a consume leaves the link as it is.
    let code = store
        .issue(&user("carol"), ttl(3600), NOW)
        .await
        .unwrap()
        .code;
    store
        .consume(&code, who(44), REJECT, BOT, NOW)
        .await
        .unwrap();
    let repeat = store
        .consume(&code, who(44), REJECT, WEBSITE, NOW)
        .await
        .unwrap();
    assert!(!repeat.link.website_confirmed);
    // Moving a Telegram account to another website account takes the new confirmation only
    // (here through the general write path that one chat per account takes), and unlinking
    // returns the link with its confirmation.
    let moved_to = store
        .issue(&user("dave"), ttl(3600), NOW)
        .await
        .unwrap()
        .code;
    let policy = LinkPolicy {
        on_conflict: OnConflict::Move,
        chats_per_account: ChatsPerAccount::One,
    };
    let moved = store
        .consume(&moved_to, who(43), policy, BOT, NOW)
        .await
        .unwrap();
    assert!(!moved.link.website_confirmed);
    let removed = store
        .unlink_telegram_user(UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert!(removed.website_confirmed);
}

/// Login links on this backend: the website's confirmation is required, and an unlink racing
/// redemptions never lets a login through afterwards.
pub(crate) async fn login_links_need_website_confirmation<H: Harness>(h: H) {
    crate::login::login_links_need_website_confirmation(&h.store()).await;
}

pub(crate) async fn unlink_racing_redeem<H: Harness>(h: H) {
    crate::login::unlink_racing_redeem(&h.store()).await;
}

/// A link whose chat the bot cannot reach is marked inactive and reads so through every read;
/// another mark keeps the first time; marking it active clears it; a Telegram account without
/// a link answers `None` and gets no record.
pub(crate) async fn link_activity<H: Harness>(h: H) {
    let store = h.store();
    let alice = user("alice");
    let link = linked(&store, "alice", 42, WEBSITE).await;
    let other = linked(&store, "alice", 43, BOT).await;
    assert!(link.is_active() && other.is_active());
    let inactive = Link {
        inactive_since: Some(NOW.plus(10)),
        ..link.clone()
    };
    assert!(!inactive.is_active());
    assert_eq!(
        store
            .mark_link_inactive(UserId(42), NOW.plus(10))
            .await
            .unwrap(),
        Some(inactive.clone())
    );
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(inactive.clone())
    );
    assert_eq!(
        store.links_of_account(&alice).await.unwrap(),
        vec![inactive.clone(), other.clone()]
    );
    // Another 403 later, or one read from a clock behind, keeps the first time.
    for at in [NOW.plus(20), NOW.plus(5)] {
        assert_eq!(
            store.mark_link_inactive(UserId(42), at).await.unwrap(),
            Some(inactive.clone())
        );
    }
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(inactive.clone())
    );
    assert_eq!(
        store.link_of_telegram_user(UserId(43)).await.unwrap(),
        Some(other.clone()),
        "the account's other link is untouched"
    );
    // The person writes to the bot again: active, and a repeat changes nothing.
    for _ in 0..2 {
        assert_eq!(
            store.mark_link_active(UserId(42)).await.unwrap(),
            Some(link.clone())
        );
    }
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        store.links_of_account(&alice).await.unwrap(),
        vec![link.clone(), other.clone()]
    );
    // Unreachable again later: the new time.
    let again = store
        .mark_link_inactive(UserId(42), NOW.plus(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.inactive_since, Some(NOW.plus(30)));
    // A Telegram account without a link: `None` from both, and no record appears.
    assert_eq!(
        store.mark_link_inactive(UserId(44), NOW).await.unwrap(),
        None
    );
    assert_eq!(store.mark_link_active(UserId(44)).await.unwrap(), None);
    assert_eq!(store.link_of_telegram_user(UserId(44)).await.unwrap(), None);
    assert_eq!(store.links_of_account(&user("bob")).await.unwrap(), vec![]);
    let fresh = linked(&store, "bob", 44, BOT).await;
    assert!(fresh.is_active());
    assert_eq!(
        store.link_of_telegram_user(UserId(44)).await.unwrap(),
        Some(fresh)
    );
    // Unlinking returns the link as it stood, inactive; afterwards the account is unknown.
    assert_eq!(
        store.unlink_telegram_user(UserId(42)).await.unwrap(),
        Some(again)
    );
    assert_eq!(
        store.mark_link_inactive(UserId(42), NOW).await.unwrap(),
        None
    );
    assert_eq!(store.link_of_telegram_user(UserId(42)).await.unwrap(), None);
}

/// Committing a link again through `consume` makes it active: the same account with a new
/// code (either confirmation, either chat policy), or a move to another account. A redelivered
/// `/start` of the code already consumed is no new commit: it answers the link as it stands.
pub(crate) async fn relinking_makes_a_link_active<H: Harness>(h: H) {
    let store = h.store();
    let (alice, bob) = (user("alice"), user("bob"));
    let code = store.issue(&alice, ttl(3600), NOW).await.unwrap().code;
    let link = store
        .consume(&code, who(42), REJECT, BOT, NOW)
        .await
        .unwrap()
        .link;
    let inactive = store
        .mark_link_inactive(UserId(42), NOW.plus(1))
        .await
        .unwrap()
        .unwrap();
    let repeat = store
        .consume(&code, who(42), REJECT, BOT, NOW.plus(2))
        .await
        .unwrap();
    assert_eq!(
        repeat,
        Linked {
            link: inactive.clone(),
            outcome: LinkOutcome::AlreadyLinked
        }
    );
    assert_eq!(
        store.claim(&code, who(42), NOW.plus(2)).await.unwrap(),
        Claim::AlreadyLinked(inactive)
    );
    let one = LinkPolicy {
        chats_per_account: ChatsPerAccount::One,
        ..REJECT
    };
    for (policy, by) in [(REJECT, BOT), (one, BOT), (REJECT, WEBSITE)] {
        store
            .mark_link_inactive(UserId(42), NOW.plus(3))
            .await
            .unwrap();
        let code = store.issue(&alice, ttl(3600), NOW).await.unwrap().code;
        let relinked = store
            .consume(&code, who(42), policy, by, NOW.plus(4))
            .await
            .unwrap();
        let expected = Link {
            website_confirmed: by == WEBSITE,
            ..link.clone()
        };
        assert_eq!(
            relinked,
            Linked {
                link: expected.clone(),
                outcome: LinkOutcome::AlreadyLinked
            },
            "{policy:?} {by:?}"
        );
        assert_eq!(
            store.link_of_telegram_user(UserId(42)).await.unwrap(),
            Some(expected.clone())
        );
        assert_eq!(
            store.links_of_account(&alice).await.unwrap(),
            vec![expected]
        );
    }
    // Moved to another account: a fresh link, active.
    store
        .mark_link_inactive(UserId(42), NOW.plus(5))
        .await
        .unwrap();
    let code = store.issue(&bob, ttl(3600), NOW).await.unwrap().code;
    let policy = LinkPolicy {
        on_conflict: OnConflict::Move,
        ..REJECT
    };
    let moved = store
        .consume(&code, who(42), policy, BOT, NOW.plus(6))
        .await
        .unwrap();
    assert_eq!(moved.outcome, LinkOutcome::Moved { from: alice });
    assert!(moved.link.is_active());
    assert_eq!(moved.link.linked_at, NOW.plus(6));
    assert_eq!(
        store.links_of_account(&bob).await.unwrap(),
        vec![moved.link]
    );
}

/// An inactive link is still a link: a login link for it redeems when the person comes back,
/// and redeeming leaves the mark as it is (only the person writing to the bot clears it).
pub(crate) async fn inactive_links_still_log_in<H: Harness>(h: H) {
    let store = h.store();
    let link = linked(&store, "alice", 42, WEBSITE).await;
    let key = crate::login::key();
    let token = key.sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let inactive = store
        .mark_link_inactive(UserId(42), NOW.plus(1))
        .await
        .unwrap()
        .unwrap();
    let claims = redeem(&store, &key, token.expose(), NOW.plus(2))
        .await
        .unwrap();
    assert_eq!((claims.account, claims.telegram), (user("alice"), who(42)));
    assert_eq!(
        store
            .redeem_login_link(&claims_for(&link, 9), NOW.plus(2))
            .await
            .unwrap(),
        inactive
    );
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(inactive)
    );
}

/// Of concurrent marks of one link with different times, one wins: every caller reads the
/// same time back, and it is the one stored (a read and a write apart would let several
/// callers each see an active link and write their own time).
pub(crate) async fn concurrent_marks_agree<H: Harness>(h: H) {
    let store = h.store();
    linked(&store, "alice", 42, BOT).await;
    for round in 0..3_i64 {
        let mut tasks = Vec::new();
        for offset in 0..40_i64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .mark_link_inactive(UserId(42), NOW.plus(100 * round + offset))
                    .await
                    .unwrap()
                    .unwrap()
                    .inactive_since
            }));
        }
        let mut answers = HashSet::new();
        for task in tasks {
            answers.insert(task.await.unwrap());
        }
        let stored = store
            .link_of_telegram_user(UserId(42))
            .await
            .unwrap()
            .unwrap()
            .inactive_since;
        assert!(stored.is_some());
        assert_eq!(answers, HashSet::from([stored]), "round {round}");
        assert!(
            store
                .mark_link_active(UserId(42))
                .await
                .unwrap()
                .unwrap()
                .is_active()
        );
    }
}

/// Marks survive a restart of the store: inactive links stay inactive with their time, and
/// links marked active again stay active.
pub(crate) async fn inactivity_survives_a_reopen<H: Harness>(h: H) {
    let store = h.store();
    let active = linked(&store, "alice", 42, WEBSITE).await;
    linked(&store, "alice", 43, BOT).await;
    linked(&store, "alice", 44, BOT).await;
    let inactive = store
        .mark_link_inactive(UserId(43), NOW.plus(7))
        .await
        .unwrap()
        .unwrap();
    store
        .mark_link_inactive(UserId(44), NOW.plus(8))
        .await
        .unwrap();
    let reactivated = store.mark_link_active(UserId(44)).await.unwrap().unwrap();
    drop(store);
    let Some(reopened) = h.reopen().await else {
        eprintln!(
            "inactivity_survives_a_reopen: skipped: this backend keeps nothing across a restart"
        );
        return;
    };
    assert_eq!(
        reopened.links_of_account(&user("alice")).await.unwrap(),
        vec![active, inactive.clone(), reactivated]
    );
    assert_eq!(
        reopened.link_of_telegram_user(UserId(43)).await.unwrap(),
        Some(inactive.clone())
    );
    assert_eq!(
        reopened
            .mark_link_inactive(UserId(43), NOW.plus(9))
            .await
            .unwrap(),
        Some(inactive)
    );
}

/// Checks a store opened over links the previous schema (or record format) wrote: alice's
/// Telegram accounts 42 (website-confirmed) and 43 (not). Both read as active through every
/// read, marks work on them, and a new link (44, bob's: the SQL stores' fast consume) and a
/// link made again (43: the general path) are active. Returns 42's link, marked inactive, and
/// 44's, for the caller to read back after a reopen.
pub(crate) async fn links_from_before_read_as_active<S: Store>(store: &S) -> (Link, Link) {
    let links = store.links_of_account(&user("alice")).await.unwrap();
    assert_eq!(
        links.iter().map(|link| link.telegram).collect::<Vec<_>>(),
        vec![who(42), who(43)]
    );
    assert!(links.iter().all(Link::is_active), "{links:?}");
    assert!(links[0].website_confirmed && !links[1].website_confirmed);
    assert_eq!(
        store
            .link_of_telegram_user(UserId(42))
            .await
            .unwrap()
            .as_ref(),
        Some(&links[0])
    );
    let inactive = store
        .mark_link_inactive(UserId(42), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        inactive,
        Link {
            inactive_since: Some(NOW),
            ..links[0].clone()
        }
    );
    assert_eq!(
        store.link_of_telegram_user(UserId(42)).await.unwrap(),
        Some(inactive.clone())
    );
    let fresh = linked(store, "bob", 44, BOT).await;
    assert!(fresh.is_active());
    store.mark_link_inactive(UserId(43), NOW).await.unwrap();
    assert!(linked(store, "alice", 43, BOT).await.is_active());
    assert_eq!(
        store.mark_link_active(UserId(43)).await.unwrap(),
        store.link_of_telegram_user(UserId(43)).await.unwrap()
    );
    (inactive, fresh)
}

/// Checks that every read and mark of the link of `telegram_user`, whose stored inactivity is
/// malformed, and the listing of `account`'s links answer a typed `Corrupt` error.
pub(crate) async fn reads_and_marks_are_corrupt<S: Store>(
    store: &S,
    telegram_user: i64,
    account: &str,
) {
    let telegram_user = UserId(telegram_user);
    for result in [
        store.link_of_telegram_user(telegram_user).await,
        store.mark_link_inactive(telegram_user, NOW).await,
        store.mark_link_active(telegram_user).await,
    ] {
        assert!(
            matches!(result, Err(StoreError::Corrupt { .. })),
            "{telegram_user}: {result:?}"
        );
    }
    let listed = store.links_of_account(&user(account)).await;
    assert!(
        matches!(listed, Err(StoreError::Corrupt { .. })),
        "{account}: {listed:?}"
    );
}

/// Checks that `store` reads each of `links` back as it is, by its Telegram user.
pub(crate) async fn reads_back<S: Store>(store: &S, links: &[Link]) {
    for link in links {
        assert_eq!(
            store
                .link_of_telegram_user(link.telegram.user_id())
                .await
                .unwrap()
                .as_ref(),
            Some(link)
        );
    }
}
