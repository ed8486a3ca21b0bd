//! Login links: signing, verification, expiry, tampering and single use.

use deeplink_auth::login::{LoginLinkKey, redeem};
use deeplink_auth::store::LinkPolicy;
use deeplink_auth::{LinkError, Store, Ttl, UnixTime};

use crate::conformance::{NOW, user, who};

fn key() -> LoginLinkKey {
    LoginLinkKey::new(&[0x5a; 32]).unwrap()
}

/// Signs a login link for a fresh link in `store`, redeems it once, then fails the second time.
pub(crate) async fn redeem_once<S: Store>(store: &S) {
    let issued = store
        .issue(&user("login-user"), Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    let link = store
        .consume(&issued.code, who(9001), LinkPolicy::default(), NOW)
        .await
        .unwrap()
        .link;
    let token = key().sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    let claims = redeem(store, &key(), token.expose(), NOW.plus(1))
        .await
        .unwrap();
    assert_eq!(claims.user, link.user);
    assert_eq!(claims.telegram, link.telegram);
    assert_eq!(claims.expires_at, NOW.plus(600));
    let again = redeem(store, &key(), token.expose(), NOW.plus(2)).await;
    assert!(matches!(again, Err(LinkError::LoginLinkUsed)), "{again:?}");
    // After unlinking, a fresh token no longer logs in.
    let token = key().sign(&link, Ttl::LOGIN_DEFAULT, NOW).unwrap();
    store
        .unlink_telegram_user(link.telegram.user_id())
        .await
        .unwrap();
    let unlinked = redeem(store, &key(), token.expose(), NOW.plus(3)).await;
    assert!(
        matches!(unlinked, Err(LinkError::NotLinked)),
        "{unlinked:?}"
    );
}

fn sample_link() -> deeplink_auth::Link {
    deeplink_auth::Link {
        user: user("alice"),
        telegram: who(42),
        linked_at: NOW,
    }
}

#[test]
fn verify_checks_signature_expiry_and_key() {
    let token = key().sign(&sample_link(), Ttl::LOGIN_DEFAULT, NOW).unwrap();
    assert!(key().verify(token.expose(), NOW.plus(599)).is_ok());
    assert!(matches!(
        key().verify(token.expose(), NOW.plus(600)),
        Err(LinkError::LoginLinkExpired)
    ));
    let other = LoginLinkKey::new(&[0x5b; 32]).unwrap();
    assert!(matches!(
        other.verify(token.expose(), NOW),
        Err(LinkError::InvalidLoginLink)
    ));
    assert!(LoginLinkKey::new(&[1; 31]).is_err());
    assert_eq!(
        format!("{:?} {token:?}", key()),
        "LoginLinkKey(<redacted>) LoginToken(<redacted>)"
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
    let _ = UnixTime(0);
}
