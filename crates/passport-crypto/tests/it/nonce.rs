//! `NonceIssuer`: issue, verify, tamper, expire, other users, other secrets, arbitrary input.

use passport_crypto::Error;
use passport_crypto::nonce::NonceIssuer;
use passport_crypto::tgauth_core::{UnixTime, UserId};
use proptest::prelude::*;

use crate::common::rng;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW: UnixTime = UnixTime(1_700_000_000);
const USER: UserId = UserId(-1_001_234);

#[test]
fn issue_and_verify() {
    let issuer = NonceIssuer::new(SECRET).unwrap();
    let nonce = issuer.issue(USER, NOW.plus(60), &mut rng(1));
    assert_eq!(nonce.len(), 54);
    assert!(
        nonce
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    );
    let verified = issuer.verify(&nonce, USER, NOW).unwrap();
    assert_eq!(
        (verified.user_id, verified.expires_at),
        (USER, NOW.plus(60))
    );
    // Valid up to and including the expiry second.
    issuer.verify(&nonce, USER, NOW.plus(60)).unwrap();
    assert!(matches!(
        issuer.verify(&nonce, USER, NOW.plus(61)),
        Err(Error::NonceExpired { expires_at }) if expires_at == NOW.plus(60)
    ));
    assert!(matches!(
        issuer.verify(&nonce, UserId(5), NOW),
        Err(Error::NonceUser)
    ));
    let other = NonceIssuer::new(b"another secret, also 32 bytes long").unwrap();
    assert!(matches!(
        other.verify(&nonce, USER, NOW),
        Err(Error::NonceSignature)
    ));
    // Two nonces for the same user and expiry still differ.
    assert_ne!(nonce, issuer.issue(USER, NOW.plus(60), &mut rng(2)));
    assert_eq!(format!("{issuer:?}"), "NonceIssuer(<redacted>)");
}

#[test]
fn short_secrets_are_refused() {
    assert!(NonceIssuer::new(&SECRET[..31]).is_err());
}

#[test]
fn every_altered_character_is_caught() {
    let issuer = NonceIssuer::new(SECRET).unwrap();
    let nonce = issuer.issue(UserId(42), NOW.plus(60), &mut rng(3));
    for index in 0..nonce.len() {
        let mut bytes = nonce.clone().into_bytes();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        let result = issuer.verify(&altered, UserId(42), NOW);
        assert!(
            matches!(result, Err(Error::NonceSignature | Error::NonceMalformed)),
            "index {index}: {result:?}"
        );
    }
    assert!(matches!(
        issuer.verify("", UserId(42), NOW),
        Err(Error::NonceMalformed)
    ));
    assert!(matches!(
        issuer.verify(&nonce[..53], UserId(42), NOW),
        Err(Error::NonceMalformed)
    ));
}

proptest! {
    #![proptest_config(crate::common::proptest_config(256))]

    #[test]
    fn arbitrary_nonces_never_panic_or_verify(text in "\\PC{0,80}", user: i64, now: i64) {
        let issuer = NonceIssuer::new(SECRET).unwrap();
        prop_assert!(issuer.verify(&text, UserId(user), UnixTime(now)).is_err());
    }

    #[test]
    fn issued_nonces_verify(user: i64, expires_at: i64, seed: u64) {
        let issuer = NonceIssuer::new(SECRET).unwrap();
        let (user, expires_at) = (UserId(user), UnixTime(expires_at));
        let nonce = issuer.issue(user, expires_at, &mut rng(seed));
        prop_assert_eq!(issuer.verify(&nonce, user, expires_at).unwrap().user_id, user);
    }
}
