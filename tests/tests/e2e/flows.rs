//! The three flows of the product through tgauth's composing layer, against the sandbox over
//! loopback HTTP, on every link store (SQLite, PostgreSQL, Redis):
//!
//! - linking: a deep link confirmed in the bot (inline keyboard, callback query, edited
//!   message) and on the website (the claimer's name from getChat), then a login link and
//!   notifications (403 marks the link inactive); a forwarded link pressed by someone else, and
//!   a declined one, link nothing;
//! - Passport: a request answered with every document and file, received and decrypted; and the
//!   errors path (a missing selfie, a broken scan, a nonce issued to someone else);
//! - login: Login Widget, OpenID Connect, Mini App (first- and third-party), a bot update and a
//!   login link, all into one `Identity` of the same numeric user.
//!
//! The bot side runs as a service would: `UpdateHandler::run_polling` in a task, its results
//! reported to the test through a channel.

use std::sync::Arc;
use std::time::Duration;

use rand_core::SeedableRng as _;
use serde_json::{Value, json};
use tgauth::bot::polling::{Poller, PollingConfig};
use tgauth::bot::requests::GetUpdates;
use tgauth::bot::{Client, RetryPolicy};
use tgauth::link::login::{LoginLinkKey, redeem};
use tgauth::link::store::{AnyStore, PostgresStore, RedisStore, SqliteStore, Store};
use tgauth::link::{AccountId, BotUsername, Linker};
use tgauth::login::oidc::client::{ClientSecret, OidcClient};
use tgauth::login::oidc::{AuthorizationParams, IdTokenValidator, PkceVerifier, Provider, Scope};
use tgauth::login::webapp::ThirdPartyVerifier;
use tgauth::passport::key::PrivateKey;
use tgauth::passport::nonce::NonceIssuer;
use tgauth::passport::types::element::ElementType;
use tgauth::passport::types::scope::{PassportScope, ScopeElement};
use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::login::WebAppLaunch;
use tgauth::sandbox::passport::{PassportElementInput, PassportFileInput, PassportSubmission};
use tgauth::sandbox::{Sandbox, SandboxHandle};
use tgauth::{
    BotToken, Clock as _, FixedClock, Handled, Identity, IdentitySource, IdentityVerifier,
    LinkStatus, LoginLinks, Notification, Notifier, NotifyOutcome, PassportReceiver, Reception,
    Rejection, UnixTime, UpdateHandler, UserId, WebsiteLinking,
};
use tokio::sync::{mpsc, oneshot};

const TOKEN: &str = "700000101:AAFlows_e2e_secret_for_the_flow_test";
const BOT: &str = "flows_bot";
const ADA: i64 = 1001;
const MALLORY: i64 = 1002;
const START: i64 = 1_700_000_000;
const LOGIN_URL: &str = "https://site.example/auth/telegram/link";
/// The committed test-only Passport key of passport-crypto's fixtures.
const PASSPORT_KEY: &str =
    include_str!("../../../crates/passport-crypto/tests/it/data/test-key.pem");

/// Runs each flow once per link store: `<flow>::sqlite`, `<flow>::postgres`, `<flow>::redis`.
/// PostgreSQL and Redis come from `.ci/services.sh`; without them the test says it skips,
/// unless CI requires the servers.
macro_rules! on_every_store {
    ($($flow:ident),* $(,)?) => {$(
        mod $flow {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let directory = tempfile::tempdir().unwrap();
                let store = super::sqlite(&directory).await;
                super::$flow(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(store) = super::postgres(concat!(stringify!($flow), "_postgres")).await {
                    super::$flow(store).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if let Some(store) = super::redis(concat!(stringify!($flow), "_redis")).await {
                    super::$flow(store).await;
                }
            }
        }
    )*};
}

on_every_store!(linking, passport, login);

async fn sqlite(directory: &tempfile::TempDir) -> AnyStore {
    let url = format!("sqlite://{}", directory.path().join("links.db").display());
    AnyStore::Sqlite(SqliteStore::open(&url).await.unwrap())
}

async fn postgres(test: &str) -> Option<AnyStore> {
    let url = tgauth_tests::service_url("TGAUTH_TEST_POSTGRES_URL", test)?;
    let schema = format!("e2e_{test}_{}", std::process::id());
    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    Some(AnyStore::Postgres(store))
}

async fn redis(test: &str) -> Option<AnyStore> {
    let url = tgauth_tests::service_url("TGAUTH_TEST_REDIS_URL", test)?;
    let prefix = format!("tgauth-e2e:{test}:{}:", std::process::id());
    let store = RedisStore::open_with_prefix(&url, &prefix).await.unwrap();
    store.clear().await.unwrap();
    Some(AnyStore::Redis(store))
}

fn account(name: &str) -> AccountId {
    AccountId::new(name).unwrap()
}

/// The sandbox with the bot (its Passport key registered) and two people, on a fixed clock.
async fn sandbox(clock: &FixedClock) -> SandboxHandle {
    let sandbox = Sandbox::builder()
        .clock(clock.clone())
        .start(tgauth_tests::any_loopback_port())
        .await
        .unwrap();
    let key = PrivateKey::from_pem(PASSPORT_KEY).unwrap();
    let mut bot = NewBot::new(TOKEN, BOT);
    bot.passport_public_key_pem = Some(key.public_key().to_pem());
    sandbox.create_bot(bot).unwrap();
    let mut ada = NewUser::new(ADA, "Ada");
    ada.last_name = Some("Lovelace".to_owned());
    ada.username = Some("ada".to_owned());
    sandbox.create_user(ada).unwrap();
    let mut mallory = NewUser::new(MALLORY, "Mallory");
    mallory.username = Some("mallory".to_owned());
    sandbox.create_user(mallory).unwrap();
    sandbox
}

fn client(sandbox: &SandboxHandle) -> Client {
    Client::builder(BotToken::new(TOKEN).unwrap())
        .base_url(sandbox.base_url())
        .retry_policy(
            RetryPolicy::default()
                .max_retries(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// The bot side running as a service runs it, and the website side, over one store.
struct Service {
    sandbox: SandboxHandle,
    clock: FixedClock,
    client: Client,
    store: AnyStore,
    key: Arc<LoginLinkKey>,
    linking: WebsiteLinking<AnyStore>,
    events: mpsc::UnboundedReceiver<Handled>,
    stop: Option<oneshot::Sender<()>>,
    runner: Option<tokio::task::JoinHandle<Result<(), tgauth::Error>>>,
}

impl Service {
    async fn start(store: AnyStore, passport: Option<PassportReceiver>) -> Self {
        let clock = FixedClock::new(UnixTime(START));
        let sandbox = sandbox(&clock).await;
        let client = client(&sandbox);
        let key = Arc::new(LoginLinkKey::new(&[42; 32]).unwrap());
        let linker = Linker::new(store.clone(), BotUsername::new(BOT).unwrap());
        let mut handler =
            UpdateHandler::new(client.clone(), linker.clone(), Arc::new(clock.clone()))
                .with_login_links(LoginLinks::new(Arc::clone(&key), LOGIN_URL));
        if let Some(receiver) = passport {
            handler = handler.with_passport(receiver);
        }
        let updates = Poller::new(client.clone())
            .config(
                PollingConfig::default()
                    .timeout_seconds(1)
                    .redelivery_delay(Duration::from_millis(10)),
            )
            .start()
            .unwrap();
        let (sender, events) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let runner = tokio::spawn(async move {
            handler
                .run_polling(
                    updates,
                    async move {
                        let _ = stopped.await;
                    },
                    move |_update_id, handled| {
                        let sent = sender.send(handled).map_err(|_| "the test is gone");
                        async move { sent }
                    },
                )
                .await
        });
        let linking = WebsiteLinking::new(linker, client.clone());
        Self {
            sandbox,
            clock,
            client,
            store,
            key,
            linking,
            events,
            stop: Some(stop),
            runner: Some(runner),
        }
    }

    fn now(&self) -> UnixTime {
        self.clock.now()
    }

    async fn next(&mut self) -> Handled {
        tokio::time::timeout(Duration::from_secs(20), self.events.recv())
            .await
            .expect("the bot handled an update within 20 s")
            .expect("the runner is alive")
    }

    /// The last message the bot sent to `user`, as the sandbox recorded it (edits applied).
    fn last_sent_to(&self, user: i64) -> Value {
        let sent = self.sandbox.sent(BOT).unwrap();
        let last = sent
            .iter()
            .rev()
            .find(|sent| sent.message.chat.id == tgauth::ChatId(user))
            .expect("a message to the user");
        serde_json::to_value(last).unwrap()
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runner) = self.runner.take() {
            runner.await.unwrap().unwrap();
        }
        self.sandbox.shutdown().await.unwrap();
    }
}

/// Links Ada's chat to `account` directly through the linker: her `/start`, her confirmation
/// in the bot, the account's confirmation on the website.
async fn link_through_both_confirmations(
    store: &AnyStore,
    account: &AccountId,
    now: UnixTime,
) -> tgauth::link::store::Linked {
    let linker = Linker::new(store.clone(), BotUsername::new(BOT).unwrap());
    let issued = linker.issue(account, now).await.unwrap();
    let start = tgauth::link::start::StartMessage {
        chat_id: tgauth::ChatId(ADA),
        chat_type: "private".to_owned(),
        user_id: Some(UserId(ADA)),
        text: format!("/start {}", issued.code.expose()),
    };
    linker.handle_start(&start, now).await.unwrap();
    linker
        .confirm(&issued.code, start.identity().unwrap(), now)
        .await
        .unwrap();
    linker
        .confirm_on_website(account, &issued.code, now)
        .await
        .unwrap()
}

fn message_text(sent: &Value) -> &str {
    sent["message"]["text"].as_str().unwrap_or_default()
}

fn buttons(sent: &Value) -> Vec<Value> {
    sent["message"]["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .collect()
}

async fn linking(store: AnyStore) {
    let mut service = Service::start(store, None).await;
    let alice = account("alice");

    // The website issues a code; Ada opens the t.me link.
    let issued = service.linking.issue(&alice, service.now()).await.unwrap();
    assert!(
        issued.url.starts_with("https://t.me/flows_bot?start="),
        "{}",
        issued.url
    );
    let code = issued.code.expose().to_owned();
    service
        .sandbox
        .send_message(BOT, ADA, &format!("/start {code}"))
        .unwrap();
    let Handled::ConfirmationAsked {
        account: asked,
        claimer,
    } = service.next().await
    else {
        panic!("the bot asks for confirmation")
    };
    assert_eq!((asked, claimer.user_id), (alice.clone(), UserId(ADA)));
    let question = service.last_sent_to(ADA);
    assert_eq!(
        message_text(&question),
        "Link this Telegram account to alice?"
    );
    let keyboard = buttons(&question);
    assert_eq!(keyboard.len(), 2, "{question}");
    assert_eq!(keyboard[0]["callback_data"], format!("tgauth:link:{code}"));
    assert_eq!(
        keyboard[1]["callback_data"],
        format!("tgauth:decline:{code}")
    );

    // The website shows who claimed the code, by name (getChat), waiting for the bot's button.
    let status = service
        .linking
        .status(&alice, &issued.code, service.now())
        .await
        .unwrap();
    let LinkStatus::Claimed {
        claimer,
        bot_confirmed: false,
    } = status
    else {
        panic!("claimed: {status:?}")
    };
    assert_eq!(claimer.display_name(), "Ada Lovelace (@ada)");
    // Another account does not see alice's code.
    assert_eq!(
        service
            .linking
            .status(&account("eve"), &issued.code, service.now())
            .await
            .unwrap(),
        LinkStatus::Unknown
    );

    // Ada presses "Link": the query is answered, the message edited to say what is next.
    let message_id = question["message"]["message_id"].as_i64().unwrap();
    service
        .sandbox
        .press_button(BOT, ADA, message_id, &format!("tgauth:link:{code}"))
        .unwrap();
    let Handled::AwaitingWebsite {
        account: waiting, ..
    } = service.next().await
    else {
        panic!("waiting for the website")
    };
    assert_eq!(waiting, alice);
    let edited = service.last_sent_to(ADA);
    assert!(message_text(&edited).starts_with("Almost done"), "{edited}");
    assert!(
        buttons(&edited).is_empty(),
        "the keyboard is gone: {edited}"
    );
    let answers = service.sandbox.callback_answers(BOT).unwrap();
    assert_eq!(answers.len(), 1);
    assert!(
        service
            .store
            .link_of_telegram_user(UserId(ADA))
            .await
            .unwrap()
            .is_none()
    );

    // alice confirms on the website: the link is made, and it is website-confirmed.
    let LinkStatus::Claimed {
        bot_confirmed: true,
        ..
    } = service
        .linking
        .status(&alice, &issued.code, service.now())
        .await
        .unwrap()
    else {
        panic!("confirmed in the bot")
    };
    let linked = service
        .linking
        .confirm(&alice, &issued.code, service.now())
        .await
        .unwrap();
    assert!(linked.link.website_confirmed);
    assert_eq!(linked.link.telegram.user_id(), UserId(ADA));

    // Later Ada asks for a login link; the website redeems it once.
    service.sandbox.send_message(BOT, ADA, "/login").unwrap();
    let Handled::LoginLinkSent { link } = service.next().await else {
        panic!("a login link")
    };
    assert_eq!(link.account, alice);
    let sent = service.last_sent_to(ADA);
    let url = buttons(&sent)[0]["url"].as_str().unwrap().to_owned();
    let token = url.strip_prefix(&format!("{LOGIN_URL}?token=")).unwrap();
    let claims = redeem(&service.store, &service.key, token, service.now())
        .await
        .unwrap();
    let identity = Identity::from_login_link(&claims, service.now());
    assert_eq!(
        (identity.user_id, identity.source),
        (UserId(ADA), IdentitySource::LoginLink)
    );
    assert!(
        redeem(&service.store, &service.key, token, service.now())
            .await
            .is_err()
    );

    // The website notifies alice through her chat; a block marks the link inactive.
    let notifier = Notifier::new(
        service.client.clone(),
        service.store.clone(),
        Arc::new(service.clock.clone()),
    );
    let notice = Notification::text("Your order has shipped.");
    let outcomes = notifier.notify(&alice, &notice).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [NotifyOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    assert_eq!(
        message_text(&service.last_sent_to(ADA)),
        "Your order has shipped."
    );
    service.sandbox.set_blocked(BOT, ADA, true).unwrap();
    let outcomes = notifier.notify(&alice, &notice).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [NotifyOutcome::Blocked { .. }]),
        "{outcomes:?}"
    );
    let link = service
        .store
        .link_of_telegram_user(UserId(ADA))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.inactive_since, Some(service.now()));
    let outcomes = notifier.notify(&alice, &notice).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [NotifyOutcome::Inactive { .. }]),
        "{outcomes:?}"
    );
    // Ada unblocks and writes to the bot again: the link is active again.
    service.sandbox.set_blocked(BOT, ADA, false).unwrap();
    service.sandbox.send_message(BOT, ADA, "/login").unwrap();
    assert!(matches!(
        service.next().await,
        Handled::LoginLinkSent { .. }
    ));
    let outcomes = notifier.notify(&alice, &notice).await.unwrap();
    assert!(
        matches!(outcomes.as_slice(), [NotifyOutcome::Sent { .. }]),
        "{outcomes:?}"
    );

    // A forwarded link pressed by Mallory: the bot asks him, he agrees, but bob's website
    // shows Mallory's name and bob does not confirm, so nothing is linked.
    let bob = account("bob");
    let forwarded = service.linking.issue(&bob, service.now()).await.unwrap();
    let code = forwarded.code.expose().to_owned();
    service
        .sandbox
        .send_message(BOT, MALLORY, &format!("/start {code}"))
        .unwrap();
    assert!(matches!(
        service.next().await,
        Handled::ConfirmationAsked { .. }
    ));
    let question = service.last_sent_to(MALLORY);
    let message_id = question["message"]["message_id"].as_i64().unwrap();
    service
        .sandbox
        .press_button(BOT, MALLORY, message_id, &format!("tgauth:link:{code}"))
        .unwrap();
    assert!(matches!(
        service.next().await,
        Handled::AwaitingWebsite { .. }
    ));
    let LinkStatus::Claimed {
        claimer,
        bot_confirmed: true,
    } = service
        .linking
        .status(&bob, &forwarded.code, service.now())
        .await
        .unwrap()
    else {
        panic!("claimed by Mallory")
    };
    assert_eq!(claimer.display_name(), "Mallory (@mallory)");
    assert!(
        service
            .store
            .link_of_telegram_user(UserId(MALLORY))
            .await
            .unwrap()
            .is_none()
    );
    // Mallory cannot get a login link for a link that does not exist.
    service
        .sandbox
        .send_message(BOT, MALLORY, "/login")
        .unwrap();
    assert!(matches!(service.next().await, Handled::NotLinked { .. }));
    // Nor can he confirm on the website as bob: only the code's owner can.
    assert!(
        service
            .linking
            .confirm(&account("mallory"), &forwarded.code, service.now())
            .await
            .is_err()
    );

    // A code the claimer declines is dead.
    let carol = account("carol");
    let declined = service.linking.issue(&carol, service.now()).await.unwrap();
    let code = declined.code.expose().to_owned();
    service
        .sandbox
        .send_message(BOT, MALLORY, &format!("/start {code}"))
        .unwrap();
    assert!(matches!(
        service.next().await,
        Handled::ConfirmationAsked { .. }
    ));
    let message_id = service.last_sent_to(MALLORY)["message"]["message_id"]
        .as_i64()
        .unwrap();
    service
        .sandbox
        .press_button(BOT, MALLORY, message_id, &format!("tgauth:decline:{code}"))
        .unwrap();
    assert!(matches!(service.next().await, Handled::Declined { .. }));
    assert_eq!(
        service
            .linking
            .status(&carol, &declined.code, service.now())
            .await
            .unwrap(),
        LinkStatus::Declined
    );
    assert!(
        service
            .linking
            .confirm(&carol, &declined.code, service.now())
            .await
            .is_err()
    );

    // An expired code is refused in the chat.
    let late = service.linking.issue(&carol, service.now()).await.unwrap();
    service.clock.advance(2 * 3600);
    service
        .sandbox
        .send_message(BOT, ADA, &format!("/start {}", late.code.expose()))
        .unwrap();
    assert!(matches!(service.next().await, Handled::LinkRefused(_)));
    assert_eq!(
        message_text(&service.last_sent_to(ADA)),
        "This link has expired. Get a new one on the website."
    );
    service.stop().await;
}

fn scope() -> PassportScope {
    PassportScope::new(vec![
        ScopeElement::from(ElementType::PersonalDetails),
        ScopeElement::from(ElementType::Passport).with_selfie(),
    ])
}

fn file(name: &str) -> PassportFileInput {
    PassportFileInput::new(name.as_bytes().repeat(300))
}

fn element(kind: &str, data: Value, files: &[(&str, PassportFileInput)]) -> PassportElementInput {
    let mut element = json!({ "type": kind, "data": data });
    for (part, file) in files {
        element[part] = serde_json::to_value(file).unwrap();
    }
    serde_json::from_value(element).unwrap()
}

fn submission(user: i64, nonce: &str, elements: Vec<PassportElementInput>) -> PassportSubmission {
    serde_json::from_value(json!({
        "user_id": user,
        "nonce": nonce,
        "elements": serde_json::to_value(elements).unwrap(),
    }))
    .unwrap()
}

fn personal_details() -> PassportElementInput {
    element(
        "personal_details",
        json!({"first_name": "Ada", "last_name": "Lovelace", "birth_date": "10.12.1815",
               "gender": "female", "country_code": "GB", "residence_country_code": "GB"}),
        &[],
    )
}

fn passport_document(selfie: Option<PassportFileInput>) -> PassportElementInput {
    let mut files = vec![("front_side", file("front"))];
    if let Some(selfie) = selfie {
        files.push(("selfie", selfie));
    }
    element(
        "passport",
        json!({"document_no": "P1234567", "expiry_date": "01.01.2040"}),
        &files,
    )
}

async fn passport(store: AnyStore) {
    let key = PrivateKey::from_pem(PASSPORT_KEY).unwrap();
    let nonces = Arc::new(NonceIssuer::new(&[7; 32]).unwrap());
    let receiver = PassportReceiver::new(Arc::new(key), Arc::clone(&nonces), Arc::new(scope()));
    let mut service = Service::start(store, Some(receiver)).await;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let expires = service.now().plus(3600);

    // Everything the scope asks for, with every file.
    let nonce = nonces.issue(UserId(ADA), expires, &mut rng);
    let documents = vec![personal_details(), passport_document(Some(file("selfie")))];
    service
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let Handled::Passport(Reception::Received(received)) = service.next().await else {
        panic!("received")
    };
    assert_eq!(received.sender.user_id, UserId(ADA));
    assert_eq!(received.nonce, nonce);
    let details = received
        .passport
        .element(&ElementType::PersonalDetails)
        .and_then(|element| element.data.as_ref())
        .and_then(|data| data.as_personal_details())
        .unwrap();
    assert_eq!(
        (details.first_name.as_str(), details.birth_date.as_str()),
        ("Ada", "10.12.1815")
    );
    let mut files: Vec<(String, Vec<u8>)> = received
        .files
        .iter()
        .map(|file| (format!("{:?}", file.part), file.contents.to_vec()))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ("FrontSide".to_owned(), b"front".repeat(300)),
            ("Selfie".to_owned(), b"selfie".repeat(300)),
        ]
    );
    assert!(
        !format!("{received:?}").contains("Lovelace"),
        "personal data in Debug"
    );
    assert_eq!(
        message_text(&service.last_sent_to(ADA)),
        "Thank you: your documents were received."
    );
    assert!(service.sandbox.passport_errors(BOT).unwrap().is_empty());

    // The selfie is missing: the user is told through setPassportDataErrors.
    let nonce = nonces.issue(UserId(ADA), expires, &mut rng);
    let documents = vec![personal_details(), passport_document(None)];
    service
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let Handled::Passport(Reception::Rejected {
        rejection: Rejection::Fixable { errors, missing },
        ..
    }) = service.next().await
    else {
        panic!("rejected as fixable")
    };
    assert!(missing.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let sent_errors = service.sandbox.passport_errors(BOT).unwrap();
    assert_eq!(sent_errors.len(), 1);
    assert_eq!(sent_errors[0].user_id, UserId(ADA));
    assert_eq!(sent_errors[0].errors[0]["type"], "passport");

    // A broken selfie scan: the file error names the selfie.
    let nonce = nonces.issue(UserId(ADA), expires, &mut rng);
    let broken = PassportFileInput::broken(b"selfie".repeat(300));
    let documents = vec![personal_details(), passport_document(Some(broken))];
    service
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let Handled::Passport(Reception::Rejected {
        rejection: Rejection::Fixable { errors, .. },
        ..
    }) = service.next().await
    else {
        panic!("rejected for the broken file")
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    let sent_errors = service.sandbox.passport_errors(BOT).unwrap();
    assert_eq!(sent_errors.len(), 2);
    assert_eq!(sent_errors[1].errors[0]["source"], "selfie");

    // A requested element not sent at all cannot be named to the Bot API: it is listed.
    let nonce = nonces.issue(UserId(ADA), expires, &mut rng);
    service
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, vec![personal_details()]))
        .unwrap();
    let Handled::Passport(Reception::Rejected {
        rejection: Rejection::Fixable { missing, .. },
        request_nonce,
        ..
    }) = service.next().await
    else {
        panic!("rejected as incomplete")
    };
    assert_eq!(missing, vec![vec![ElementType::Passport]]);
    // The refusal names the request it answered, so the application can record it there.
    assert_eq!(request_nonce.as_deref(), Some(nonce.as_str()));

    // A nonce issued to Mallory does not serve Ada, and nobody is asked to fix anything.
    let nonce = nonces.issue(UserId(MALLORY), expires, &mut rng);
    let documents = vec![personal_details(), passport_document(Some(file("selfie")))];
    service
        .sandbox
        .submit_passport(BOT, submission(ADA, &nonce, documents))
        .unwrap();
    let Handled::Passport(Reception::Rejected {
        rejection: Rejection::Nonce(_),
        request_nonce,
        ..
    }) = service.next().await
    else {
        panic!("rejected for the nonce")
    };
    // A nonce that is not the sender's names no request.
    assert_eq!(request_nonce, None);
    assert_eq!(service.sandbox.passport_errors(BOT).unwrap().len(), 2);
    service.stop().await;
}

async fn login(store: AnyStore) {
    let clock = FixedClock::new(UnixTime(START));
    let sandbox = sandbox(&clock).await;
    let token = BotToken::new(TOKEN).unwrap();
    let bot_id = token.bot_id();
    let provider = Provider::with_base_url(&sandbox.oidc_base_url());
    let app = sandbox.web_app(BOT, WebAppLaunch::new(ADA)).unwrap();
    let third_party_key: [u8; 32] = hex::decode(&app.third_party_public_key)
        .unwrap()
        .try_into()
        .unwrap();
    let verifier = IdentityVerifier::new(&token, Arc::new(clock.clone()))
        .with_third_party(ThirdPartyVerifier::with_public_key(bot_id, third_party_key))
        .with_id_tokens(
            IdTokenValidator::for_bot(sandbox.oidc_jwks(), bot_id).with_issuer(provider.issuer()),
        );
    let mut identities = Vec::new();

    // The Login Widget.
    let widget = sandbox.login_widget(BOT, ADA).unwrap();
    identities.push(verifier.widget_query(&widget.query).unwrap());

    // Mini App initData, by the bot token and by Telegram's signature alone.
    identities.push(verifier.web_app(&app.init_data).unwrap());
    identities.push(verifier.web_app_third_party(&app.init_data).unwrap());

    // OpenID Connect: authorization, the code exchanged server-side, the id_token validated.
    sandbox.approve_oidc(BOT, Some(UserId(ADA))).unwrap();
    let pkce = PkceVerifier::new("v".repeat(43) + "-flows-e2e").unwrap();
    let redirect = "https://site.example/auth/telegram/oidc/callback";
    let url = AuthorizationParams {
        client_id: &bot_id.to_string(),
        redirect_uri: redirect,
        scopes: &[Scope::Profile],
        state: "state-e2e",
        nonce: "nonce-e2e",
        pkce: &pkce,
    }
    .url(&provider);
    let http = tgauth_tests::http::client();
    let answer = http.get(url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let query = location.split_once('?').unwrap().1;
    let code = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap()
        .to_owned();
    assert!(query.contains("state=state-e2e"), "{location}");
    let oidc = OidcClient::for_bot(provider.clone(), bot_id, ClientSecret::new(TOKEN)).unwrap();
    let tokens = oidc.exchange_code(&code, redirect, &pkce).await.unwrap();
    identities.push(
        verifier
            .id_token(&tokens.id_token, Some("nonce-e2e"))
            .unwrap(),
    );

    // A message in the private chat with the bot.
    sandbox.send_message(BOT, ADA, "hello").unwrap();
    let client = client(&sandbox);
    let updates = client.updates(&GetUpdates::default()).await.unwrap();
    let message = updates[0].message().unwrap();
    identities.push(Identity::from_message(message, clock.now()).unwrap());

    // A login link, after linking through both confirmations on this store.
    let linked = link_through_both_confirmations(&store, &account("alice"), clock.now()).await;
    let key = LoginLinkKey::new(&[9; 32]).unwrap();
    let token = key
        .sign(&linked.link, tgauth::link::Ttl::LOGIN_DEFAULT, clock.now())
        .unwrap();
    let claims = redeem(&store, &key, token.expose(), clock.now())
        .await
        .unwrap();
    identities.push(Identity::from_login_link(&claims, clock.now()));

    // One person, six ways in.
    let sources: Vec<IdentitySource> = identities.iter().map(|identity| identity.source).collect();
    assert_eq!(
        sources,
        [
            IdentitySource::LoginWidget,
            IdentitySource::MiniApp,
            IdentitySource::MiniAppThirdParty,
            IdentitySource::Oidc,
            IdentitySource::BotUpdate,
            IdentitySource::LoginLink,
        ]
    );
    for identity in &identities {
        assert_eq!(identity.user_id, UserId(ADA), "{identity:?}");
        assert_eq!(identity.verified_at, UnixTime(START));
    }
    for identity in &identities[..5] {
        assert!(identity.display_name().starts_with("Ada"), "{identity:?}");
    }
    // Forged widget data is refused with the widget's reason.
    let forged = widget.query.replace("first_name=Ada", "first_name=Eve");
    assert!(matches!(
        verifier.widget_query(&forged),
        Err(tgauth::Error::Login(_))
    ));
    sandbox.shutdown().await.unwrap();
}

/// Flood control (429) is waited out as Telegram asks, then the message goes out once; a wait
/// longer than the notifier's cap fails the notification instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_wait_out_flood_control() {
    use tgauth::sandbox::faults::{FaultKind, FaultSpec};

    let directory = tempfile::tempdir().unwrap();
    let store = sqlite(&directory).await;
    let clock = FixedClock::new(UnixTime(START));
    let sandbox = sandbox(&clock).await;
    let client = client(&sandbox);
    // Link Ada to alice through both confirmations.
    let alice = account("alice");
    link_through_both_confirmations(&store, &alice, clock.now()).await;
    // Ada has opened the chat with the bot (a bot cannot start a conversation).
    sandbox.send_message(BOT, ADA, "/start").unwrap();

    // Three 429s: the client's own two retries meet the second and third, then it gives up
    // and the notifier waits the `retry_after` itself before the fourth attempt.
    sandbox
        .inject_fault(FaultSpec {
            bot: Some(BOT.into()),
            method: "sendMessage".into(),
            count: 3,
            fault: FaultKind::TooManyRequests { retry_after: 1 },
        })
        .unwrap();
    let notifier = Notifier::new(client.clone(), store.clone(), Arc::new(clock.clone()));
    let started = std::time::Instant::now();
    let outcomes = notifier
        .notify(&alice, &Notification::text("Hello"))
        .await
        .unwrap();
    assert!(
        matches!(outcomes.as_slice(), [NotifyOutcome::Sent { .. }]),
        "{outcomes:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let sent = sandbox.sent(BOT).unwrap();
    assert_eq!(
        sent.iter()
            .filter(|sent| sent.message.text.as_deref() == Some("Hello"))
            .count(),
        1
    );

    // Telegram asks for more than the notifier will wait: a typed error, at once.
    sandbox
        .inject_fault(FaultSpec {
            bot: Some(BOT.into()),
            method: "sendMessage".into(),
            count: 10,
            fault: FaultKind::TooManyRequests { retry_after: 3600 },
        })
        .unwrap();
    let impatient = Notifier::new(
        Client::builder(BotToken::new(TOKEN).unwrap())
            .base_url(sandbox.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap(),
        store,
        Arc::new(clock.clone()),
    )
    .with_max_wait(Duration::from_secs(5));
    let error = impatient
        .notify(&alice, &Notification::text("Later"))
        .await
        .unwrap_err();
    assert!(matches!(error, tgauth::Error::Bot(_)), "{error:?}");
    sandbox.clear_faults();
    sandbox.shutdown().await.unwrap();
}
