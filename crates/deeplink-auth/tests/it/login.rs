//! Login links: signing, verification, expiry, tampering, the website's confirmation and
//! single use.

use deeplink_auth::code::{CodeHash, LinkCode};
use deeplink_auth::login::{LoginClaims, LoginLinkKey, SignError, redeem};
use deeplink_auth::store::{
    Claim, CodeStatus, CommittedBy, Declined, Link, LinkPolicy, Linked, Store, StoreError,
};
use deeplink_auth::tgauth_core::{UnixTime, UserId};
use deeplink_auth::{AccountId, Error, TelegramIdentity, Ttl};

use crate::conformance::{BOT, NOW, WEBSITE, linked, user, who};

pub(crate) fn key() -> LoginLinkKey {
    LoginLinkKey::new(&[0x5a; 32]).unwrap()
}

/// Signs a login link for a fresh website-confirmed link in `store`, redeems it once, then
/// fails the second time; after an unlink a fresh token fails too.
pub(crate) async fn redeem_once<S: Store>(store: &S) {
    let link = linked(store, "login-user", 9001, WEBSITE).await;
    let token = key().sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let claims = redeem(store, &key(), token.expose(), NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(claims.account, link.account);
    assert_eq!(claims.telegram, link.telegram);
    assert_eq!(claims.expires_at, NOW.plus(600));
    assert!(!claims.dangerous_unconfirmed);
    let again = redeem(store, &key(), token.expose(), NOW.plus(2)).await;
    assert!(matches!(again, Err(Error::LoginLinkUsed)), "{again:?}");
    // After unlinking, a fresh token no longer logs in.
    let token = key().sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    store
        .unlink_telegram_user(link.telegram.user_id())
        .await
        .unwrap();
    let unlinked = redeem(store, &key(), token.expose(), NOW.plus(3)).await;
    assert!(matches!(unlinked, Err(Error::NotLinked)), "{unlinked:?}");
}

/// Login links need the website's confirmation: a link the bot committed alone gets none
/// (unless signed through the dangerous opt-out), and a token stops working when its link is
/// no longer website-confirmed (unlinked, then linked again by the bot alone).
pub(crate) async fn login_links_need_website_confirmation<S: Store>(store: &S) {
    let by_bot = linked(store, "bot-only", 9101, BOT).await;
    assert!(!by_bot.website_confirmed);
    assert_eq!(
        key().sign(&by_bot, Ttl::LOGIN_DEFAULT, NOW),
        Err(SignError::NotWebsiteConfirmed)
    );
    // A token made for a link that claims a confirmation the store does not hold is refused
    // at redemption: the store's record decides.
    let forged = Link {
        website_confirmed: true,
        ..by_bot.clone()
    };
    let token = key().sign(&forged, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let refused = redeem(store, &key(), token.expose(), NOW).await;
    assert!(
        matches!(refused, Err(Error::NotWebsiteConfirmed)),
        "{refused:?}"
    );
    // The refusal recorded nothing: the same token still fails the same way, not as used.
    let again = redeem(store, &key(), token.expose(), NOW).await;
    assert!(
        matches!(again, Err(Error::NotWebsiteConfirmed)),
        "{again:?}"
    );
    // The dangerous opt-out logs in once, like any login link.
    let dangerous = key()
        .dangerous_sign_unconfirmed(&by_bot, Ttl::LOGIN_DEFAULT, NOW)
        .unwrap();
    let claims = redeem(store, &key(), dangerous.expose(), NOW)
        .await
        .unwrap();
    assert!(claims.dangerous_unconfirmed);
    let used = redeem(store, &key(), dangerous.expose(), NOW).await;
    assert!(matches!(used, Err(Error::LoginLinkUsed)), "{used:?}");

    // A website-confirmed link: the token works until the link is no longer confirmed.
    let confirmed = linked(store, "confirmed", 9102, WEBSITE).await;
    assert!(confirmed.website_confirmed);
    let token = key().sign(&confirmed, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    store
        .unlink_telegram_user(confirmed.telegram.user_id())
        .await
        .unwrap();
    let relinked = linked(store, "confirmed", 9102, BOT).await;
    assert!(!relinked.website_confirmed);
    let stale = redeem(store, &key(), token.expose(), NOW).await;
    assert!(
        matches!(stale, Err(Error::NotWebsiteConfirmed)),
        "{stale:?}"
    );
}

/// Unlinking races redeeming: of many tokens for one link, redeemed while the link is removed,
/// none that starts after the unlink returned logs in, and every login that was granted was
/// recorded (it counts as used afterwards).
pub(crate) async fn unlink_racing_redeem<S: Store + Clone + 'static>(store: &S) {
    let link = linked(store, "raced", 9201, WEBSITE).await;
    let key = std::sync::Arc::new(key());
    let tokens: Vec<_> = (0..40)
        .map(|_| key.sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap())
        .collect();
    let unlinked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for token in &tokens {
        let (store, key, unlinked) = (store.clone(), key.clone(), unlinked.clone());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let started_after_unlink = unlinked.load(std::sync::atomic::Ordering::SeqCst);
            let result = redeem(&store, &key, token.expose(), NOW).await;
            (started_after_unlink, result)
        }));
    }
    {
        let (store, unlinked) = (store.clone(), unlinked.clone());
        tasks.push(tokio::spawn(async move {
            store
                .unlink_telegram_user(link.telegram.user_id())
                .await
                .unwrap();
            unlinked.store(true, std::sync::atomic::Ordering::SeqCst);
            (false, Err(Error::Unknown))
        }));
    }
    let mut granted = Vec::new();
    for (index, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            (started_after_unlink, Ok(_)) => {
                assert!(!started_after_unlink, "a login after the unlink returned");
                granted.push(index);
            }
            (_, Err(Error::NotLinked | Error::Unknown)) => {}
            (_, Err(other)) => panic!("unexpected {other:?}"),
        }
    }
    // After the unlink, nothing logs in, and the granted tokens were recorded as used.
    for (index, token) in tokens.iter().enumerate() {
        let after = redeem(store, &key, token.expose(), NOW).await;
        assert!(matches!(after, Err(Error::NotLinked)), "{index}: {after:?}");
    }
    let relinked = linked(store, "raced", 9201, WEBSITE).await;
    assert_eq!(relinked.account, user("raced"));
    for index in granted {
        let replay = redeem(store, &key, tokens[index].expose(), NOW).await;
        assert!(matches!(replay, Err(Error::LoginLinkUsed)), "{replay:?}");
    }
}

fn sample_link() -> Link {
    Link {
        account: user("alice"),
        telegram: who(42),
        linked_at: NOW,
        website_confirmed: true,
        inactive_since: None,
    }
}

#[test]
fn verify_checks_signature_expiry_and_key() {
    let token = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    assert!(key().verify(token.expose(), NOW.plus(599)).is_ok());
    assert!(matches!(
        key().verify(token.expose(), NOW.plus(600)),
        Err(Error::LoginLinkExpired)
    ));
    let other = LoginLinkKey::new(&[0x5b; 32]).unwrap();
    assert!(matches!(
        other.verify(token.expose(), NOW),
        Err(Error::InvalidLoginLink)
    ));
    assert!(LoginLinkKey::new(&[1; 31]).is_err());
    assert_eq!(
        format!("{:?} {token:?}", key()),
        "LoginLinkKey(<redacted>) LoginToken(<redacted>)"
    );
}

#[test]
fn the_dangerous_opt_out_is_carried_in_the_signed_token() {
    let confirmed = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let dangerous = key()
        .dangerous_sign_unconfirmed(&sample_link(), Ttl::LOGIN_DEFAULT, NOW)
        .unwrap();
    assert!(
        !key()
            .verify(confirmed.expose(), NOW)
            .unwrap()
            .dangerous_unconfirmed
    );
    assert!(
        key()
            .verify(dangerous.expose(), NOW)
            .unwrap()
            .dangerous_unconfirmed
    );
    // The first byte says which: turning a confirmed token into a dangerous one breaks the
    // signature.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = engine.decode(confirmed.expose()).unwrap();
    assert_eq!(bytes[0], 1);
    bytes[0] = 2;
    let flipped = engine.encode(bytes);
    assert!(matches!(
        key().verify(&flipped, NOW),
        Err(Error::InvalidLoginLink)
    ));
    let unconfirmed = Link {
        website_confirmed: false,
        ..sample_link()
    };
    assert_eq!(
        key().sign(&unconfirmed, Ttl::LOGIN_DEFAULT, NOW),
        Err(SignError::NotWebsiteConfirmed)
    );
}

#[test]
fn every_flipped_character_is_rejected() {
    let token = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let text = token.expose();
    for index in 0..text.len() {
        let mut bytes = text.as_bytes().to_vec();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(key().verify(&tampered, NOW).is_err(), "index {index}");
    }
    assert!(key().verify("", NOW).is_err());
    assert!(key().verify("!!!", NOW).is_err());
}

#[test]
fn token_urls() {
    let token = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let text = token.expose();
    assert_eq!(
        token.url("https://example.com/login"),
        format!("https://example.com/login?token={text}")
    );
    assert_eq!(
        token.url("https://example.com/login?next=/a"),
        format!("https://example.com/login?next=/a&token={text}")
    );
}

#[test]
fn tokens_are_unique() {
    let a = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let b = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    assert_ne!(a, b);
    let (ca, cb) = (
        key().verify(a.expose(), NOW).unwrap(),
        key().verify(b.expose(), NOW).unwrap(),
    );
    assert_ne!(ca.id, cb.id);
}

/// A store that unlinks one Telegram account right after the first operation it serves once
/// armed, and logs the operations in order: it puts an unlink exactly between two steps of
/// anything that takes more than one.
struct UnlinkAfterFirstStep<S> {
    inner: S,
    armed: std::sync::Mutex<Option<UserId>>,
    log: std::sync::Mutex<Vec<&'static str>>,
}

impl<S: Store> UnlinkAfterFirstStep<S> {
    async fn after(&self, operation: &'static str) {
        self.log.lock().unwrap().push(operation);
        let armed = self.armed.lock().unwrap().take();
        if let Some(telegram_user) = armed {
            self.inner
                .unlink_telegram_user(telegram_user)
                .await
                .unwrap();
            self.log.lock().unwrap().push("unlink");
        }
    }
}

impl<S: Store> Store for UnlinkAfterFirstStep<S> {
    async fn insert_code(
        &self,
        hash: &CodeHash,
        account: &AccountId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let result = self.inner.insert_code(hash, account, expires_at, now).await;
        self.after("insert_code").await;
        result
    }

    async fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        let result = self.inner.claim(code, who, now).await;
        self.after("claim").await;
        result
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        let result = self.inner.consent(code, who, now).await;
        self.after("consent").await;
        result
    }

    async fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Declined, Error> {
        let result = self.inner.decline(code, who, now).await;
        self.after("decline").await;
        result
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        let result = self.inner.consume(code, who, policy, by, now).await;
        self.after("consume").await;
        result
    }

    async fn links_of_account(&self, account: &AccountId) -> Result<Vec<Link>, StoreError> {
        let result = self.inner.links_of_account(account).await;
        self.after("links_of_account").await;
        result
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        let result = self.inner.link_of_telegram_user(telegram_user).await;
        self.after("link_of_telegram_user").await;
        result
    }

    async fn mark_link_inactive(
        &self,
        telegram_user: UserId,
        since: UnixTime,
    ) -> Result<Option<Link>, StoreError> {
        let result = self.inner.mark_link_inactive(telegram_user, since).await;
        self.after("mark_link_inactive").await;
        result
    }

    async fn mark_link_active(&self, telegram_user: UserId) -> Result<Option<Link>, StoreError> {
        let result = self.inner.mark_link_active(telegram_user).await;
        self.after("mark_link_active").await;
        result
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        let result = self.inner.unlink_telegram_user(telegram_user).await;
        self.after("unlink_telegram_user").await;
        result
    }

    async fn unlink_account(&self, account: &AccountId) -> Result<u64, StoreError> {
        let result = self.inner.unlink_account(account).await;
        self.after("unlink_account").await;
        result
    }

    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
        let result = self.inner.purge_expired(now).await;
        self.after("purge_expired").await;
        result
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        let result = self.inner.code_status(code, now).await;
        self.after("code_status").await;
        result
    }

    async fn redeem_login_link(&self, claims: &LoginClaims, now: UnixTime) -> Result<Link, Error> {
        let result = self.inner.redeem_login_link(claims, now).await;
        self.after("redeem_login_link").await;
        result
    }
}

/// The website unlinks the account while a login link is being redeemed, at the worst moment:
/// right after the first store step of the redemption. A login must then either be refused or
/// have been decided and recorded in that one step, before the unlink; a use recorded after the
/// unlink is a login for an account that is no longer linked.
#[cfg(feature = "memory")]
#[tokio::test]
async fn redeem_checks_and_records_in_one_store_step() {
    let store = UnlinkAfterFirstStep {
        inner: deeplink_auth::store::MemoryStore::default(),
        armed: std::sync::Mutex::new(None),
        log: std::sync::Mutex::new(Vec::new()),
    };
    let link = linked(&store, "alice", 42, WEBSITE).await;
    let token = key().sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    store.log.lock().unwrap().clear();
    *store.armed.lock().unwrap() = Some(link.telegram.user_id());
    let result = redeem(&store, &key(), token.expose(), NOW.plus(1)).await;
    let log = store.log.lock().unwrap().clone();
    match result {
        Err(Error::NotLinked) => {}
        Ok(_) => assert_eq!(
            log.iter().position(|step| *step == "unlink"),
            Some(log.len() - 1),
            "a login was recorded after the account was unlinked: {log:?}"
        ),
        Err(other) => panic!("unexpected {other:?} ({log:?})"),
    }
    assert_eq!(
        store
            .link_of_telegram_user(link.telegram.user_id())
            .await
            .unwrap(),
        None
    );
}
