//! OpenID Connect: id_tokens of each algorithm, every rejection, authorization URLs.

use base64::Engine as _;
use login_widget::{
    oidc::{
        AuthorizationParams, IdTokenClaims, IdTokenError, IdTokenSigner, IdTokenValidator, Jwks,
        LoginAttempt, NoncePolicy, PkceVerifier, Provider, Scope, TELEGRAM_ISSUER,
    },
    tgauth_core::{BotId, UnixTime, UserId},
};
use proptest::prelude::*;

use crate::{at, vectors};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn claims() -> IdTokenClaims {
    let mut claims = IdTokenClaims::new(
        TELEGRAM_ISSUER,
        "sub-1",
        "123456",
        UnixTime(1_700_000_000),
        UnixTime(1_700_003_600),
    )
    .with_nonce("nonce-1");
    claims.id = Some(UserId(42));
    claims.preferred_username = Some("ada".into());
    claims
}

fn kids() -> Vec<&'static str> {
    let mut kids = vec!["test-rs256", "test-es256", "test-eddsa"];
    if cfg!(feature = "es256k") {
        kids.push("test-es256k");
    }
    kids
}

fn validator(signer: &IdTokenSigner) -> IdTokenValidator {
    IdTokenValidator::for_bot(signer.jwks(), BotId(123_456))
}

#[test]
fn tokens_signed_by_another_implementation_validate() {
    let file = vectors("oidc.json");
    let signer = IdTokenSigner::test_keys();
    let cases = file["vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    let mut ran = 0;
    for case in cases {
        if case["alg"] == "ES256K" && !cfg!(feature = "es256k") {
            continue;
        }
        ran += 1;
        let claims = validator(&signer)
            .validate(
                case["token"].as_str().unwrap(),
                Some("n-0S6_WzA2Mj"),
                at(1_700_000_100),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case["alg"]));
        assert_eq!(claims.id, Some(UserId(279_058_397)));
        assert_eq!(claims.preferred_username.as_deref(), Some("vdkfrost"));
        assert_eq!(claims.phone_number.as_deref(), Some("+15550100"));
        assert_eq!(claims.name.as_deref(), Some("Vladislav Kibenko"));
        assert_eq!(claims.sub, "V2hvIHJlYWRzIHRoaXM");
    }
    assert_eq!(ran, if cfg!(feature = "es256k") { 5 } else { 3 });
}

#[test]
fn every_algorithm_signs_and_validates() {
    let signer = IdTokenSigner::test_keys();
    let jwks = signer.jwks();
    assert_eq!(jwks.keys.len(), kids().len());
    // The JWKS round-trips through its JSON form, as the sandbox serves it.
    let jwks: Jwks = serde_json::from_str(&serde_json::to_string(&jwks).unwrap()).unwrap();
    let validator = IdTokenValidator::new(jwks, "123456");
    for kid in kids() {
        let token = signer.sign(kid, &claims()).unwrap();
        let verified = validator
            .validate(&token, Some("nonce-1"), at(1_700_000_010))
            .unwrap();
        assert_eq!(verified, claims(), "{kid}");
    }
}

#[test]
fn rejections() {
    let signer = IdTokenSigner::test_keys();
    let validator = validator(&signer);
    let now = at(1_700_000_010);
    let sign = |claims: &IdTokenClaims| signer.sign("test-es256", claims).unwrap();
    let check = |token: &str, nonce: Option<&str>, now, expected: IdTokenError| {
        assert_eq!(validator.validate(token, nonce, now).unwrap_err(), expected);
    };

    let mut wrong_aud = claims();
    wrong_aud.aud = vec!["654321".into()];
    check(
        &sign(&wrong_aud),
        Some("nonce-1"),
        now,
        IdTokenError::WrongAudience,
    );

    let mut wrong_iss = claims();
    wrong_iss.iss = "https://evil.example".into();
    check(
        &sign(&wrong_iss),
        None,
        now,
        IdTokenError::WrongIssuer {
            found: "https://evil.example".into(),
        },
    );

    check(
        &sign(&claims()),
        Some("nonce-2"),
        now,
        IdTokenError::WrongNonce,
    );
    // Telegram's provider may leave the nonce out (2026): by default a token without one
    // passes (a present one must still match, above); a validator for a provider that always
    // echoes it requires it.
    let mut no_nonce = claims();
    no_nonce.nonce = None;
    assert!(
        validator
            .validate(&sign(&no_nonce), Some("nonce-1"), now)
            .is_ok()
    );
    let strict = validator.clone().with_nonce_policy(NoncePolicy::Required);
    assert_eq!(
        strict
            .validate(&sign(&no_nonce), Some("nonce-1"), now)
            .unwrap_err(),
        IdTokenError::MissingNonce
    );
    assert_eq!(
        strict
            .validate(&sign(&claims()), Some("nonce-2"), now)
            .unwrap_err(),
        IdTokenError::WrongNonce
    );

    // Expiry with the default 60 s skew.
    assert!(
        validator
            .validate(&sign(&claims()), None, at(1_700_003_660))
            .is_ok()
    );
    check(
        &sign(&claims()),
        None,
        at(1_700_003_661),
        IdTokenError::Expired {
            exp: UnixTime(1_700_003_600),
            now: UnixTime(1_700_003_661),
        },
    );
    check(
        &sign(&claims()),
        None,
        at(1_699_999_939),
        IdTokenError::IssuedInFuture {
            iat: UnixTime(1_700_000_000),
            now: UnixTime(1_699_999_939),
        },
    );

    // A key the validator does not know.
    let other = IdTokenSigner::default()
        .add_ed25519_seed("rotated", &[1; 32])
        .unwrap();
    check(
        &other.sign("rotated", &claims()).unwrap(),
        None,
        now,
        IdTokenError::UnknownKeyId {
            kid: "rotated".into(),
        },
    );
    // A known kid with a signature by another key.
    let impostor = IdTokenSigner::default()
        .add_ed25519_seed("test-eddsa", &[1; 32])
        .unwrap();
    check(
        &impostor.sign("test-eddsa", &claims()).unwrap(),
        None,
        now,
        IdTokenError::InvalidSignature,
    );

    // alg none, with or without a signature part.
    let payload = B64.encode(serde_json::to_vec(&claims()).unwrap());
    for header in [r#"{"alg":"none","kid":"test-es256"}"#, r#"{"alg":"None"}"#] {
        let header = B64.encode(header);
        check(
            &format!("{header}.{payload}."),
            None,
            now,
            IdTokenError::AlgorithmNone,
        );
    }
    // The header's algorithm must match the key's: HS256 or RS256 over an EC key are refused.
    let token = sign(&claims());
    let (_, rest) = token.split_once('.').unwrap();
    let hs = format!(
        "{}.{rest}",
        B64.encode(r#"{"alg":"HS256","kid":"test-es256"}"#)
    );
    check(
        &hs,
        None,
        now,
        IdTokenError::UnsupportedAlgorithm {
            alg: "HS256".into(),
        },
    );
    let swapped = format!(
        "{}.{rest}",
        B64.encode(r#"{"alg":"RS256","kid":"test-es256"}"#)
    );
    check(
        &swapped,
        None,
        now,
        IdTokenError::KeyMismatch {
            kid: "test-es256".into(),
        },
    );
    let no_kid = format!("{}.{rest}", B64.encode(r#"{"alg":"ES256"}"#));
    check(&no_kid, None, now, IdTokenError::MissingKeyId);

    // A changed payload breaks the signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged.sub = "sub-2".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(serde_json::to_vec(&forged).unwrap()),
        parts[2]
    );
    check(&forged, None, now, IdTokenError::InvalidSignature);

    for malformed in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
        assert!(
            matches!(
                validator.validate(malformed, None, now),
                Err(IdTokenError::Malformed { .. })
            ),
            "{malformed}"
        );
    }
}

#[test]
fn several_audiences_need_an_authorized_party_that_is_this_client() {
    // OpenID Connect Core 1.0 section 3.1.3.7: with several audiences, `azp` must be present
    // and be the client id.
    let signer = IdTokenSigner::test_keys();
    let validator = validator(&signer);
    let now = at(1_700_000_010);
    let with = |aud: &[&str], azp: Option<&str>| {
        let mut claims = claims();
        claims.aud = aud.iter().map(|party| (*party).to_owned()).collect();
        claims.azp = azp.map(str::to_owned);
        validator.validate(&signer.sign("test-es256", &claims).unwrap(), None, now)
    };
    assert_eq!(
        with(&["other", "123456"], None).unwrap_err(),
        IdTokenError::MissingAuthorizedParty
    );
    assert_eq!(
        with(&["other", "123456"], Some("other")).unwrap_err(),
        IdTokenError::WrongAudience
    );
    assert!(with(&["other", "123456"], Some("123456")).is_ok());
    // One audience needs no `azp`; if there is one, it must be this client.
    assert!(with(&["123456"], None).is_ok());
    assert!(with(&["123456"], Some("123456")).is_ok());
    assert_eq!(
        with(&["123456"], Some("other")).unwrap_err(),
        IdTokenError::WrongAudience
    );
    // A repeated entry counts as several audiences: nothing legitimate sends one.
    assert_eq!(
        with(&["123456", "123456"], None).unwrap_err(),
        IdTokenError::MissingAuthorizedParty
    );
}

/// A compact JWS over `header` and `claims`, signed by `signer`'s key `kid` whatever the header
/// says: for headers the signer would never write.
fn with_header(signer: &IdTokenSigner, kid: &str, header: &str, claims: &IdTokenClaims) -> String {
    let honest = signer.sign(kid, claims).unwrap();
    let mut parts = honest.split('.');
    let (_, payload, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    format!("{}.{payload}.{signature}", B64.encode(header))
}

#[test]
fn not_before_azp_and_critical_headers() {
    let signer = IdTokenSigner::test_keys();
    let validator = validator(&signer);
    let now = at(1_700_000_010);
    let mut later = claims();
    later.nbf = Some(UnixTime(1_700_000_100));
    let token = signer.sign("test-eddsa", &later).unwrap();
    assert_eq!(
        validator.validate(&token, None, now).unwrap_err(),
        IdTokenError::NotYetValid {
            nbf: UnixTime(1_700_000_100),
            now: UnixTime(1_700_000_010)
        }
    );
    // Within the 60 s skew it is accepted.
    assert!(validator.validate(&token, None, at(1_700_000_040)).is_ok());

    let mut other_party = claims();
    other_party.azp = Some("654321".into());
    let token = signer.sign("test-eddsa", &other_party).unwrap();
    assert_eq!(
        validator.validate(&token, None, now).unwrap_err(),
        IdTokenError::WrongAudience
    );
    let mut this_party = claims();
    this_party.azp = Some("123456".into());
    let token = signer.sign("test-eddsa", &this_party).unwrap();
    assert!(validator.validate(&token, None, now).is_ok());

    // A header naming critical extensions is refused even with a valid signature (made here
    // with the published EdDSA test seed, since the signer writes only plain headers).
    let key =
        ring::signature::Ed25519KeyPair::from_seed_unchecked(b"tgauth login-widget ed25519 test")
            .unwrap();
    let sign = |header: &str| {
        let input = format!(
            "{}.{}",
            B64.encode(header),
            B64.encode(serde_json::to_vec(&claims()).unwrap())
        );
        format!("{input}.{}", B64.encode(key.sign(input.as_bytes())))
    };
    let plain = sign(r#"{"alg":"EdDSA","kid":"test-eddsa"}"#);
    assert!(validator.validate(&plain, None, now).is_ok());
    let critical = sign(r#"{"alg":"EdDSA","kid":"test-eddsa","crit":["exp"],"exp":1}"#);
    assert_eq!(
        validator.validate(&critical, None, now).unwrap_err(),
        IdTokenError::Malformed {
            what: "header names critical extensions"
        }
    );
}

#[test]
fn key_confusion_is_refused() {
    let signer = IdTokenSigner::test_keys();
    let now = at(1_700_000_010);
    let mut jwks = signer.jwks();
    // Every key under another key's kid: an RS256 header over the EdDSA key and so on.
    let rsa = jwks.keys.iter().find(|k| k.kty == "RSA").unwrap().clone();
    let ed = jwks.keys.iter().find(|k| k.kty == "OKP").unwrap().clone();
    for (header_alg, key) in [
        ("RS256", &ed),
        ("EdDSA", &rsa),
        ("ES256", &rsa),
        ("ES256", &ed),
    ] {
        let kid = key.kid.clone().unwrap();
        let token = with_header(
            &signer,
            &kid,
            &format!(r#"{{"alg":"{header_alg}","kid":"{kid}"}}"#),
            &claims(),
        );
        assert_eq!(
            IdTokenValidator::new(jwks.clone(), "123456")
                .validate(&token, None, now)
                .unwrap_err(),
            IdTokenError::KeyMismatch { kid },
            "{header_alg} over {}",
            key.kty
        );
    }
    // A key published for encryption, or for another algorithm, is no candidate.
    let token = signer.sign("test-eddsa", &claims()).unwrap();
    for tweak in [
        |key: &mut login_widget::oidc::Jwk| key.key_use = Some("enc".into()),
        |key: &mut login_widget::oidc::Jwk| key.alg = Some("ES256".into()),
        |key: &mut login_widget::oidc::Jwk| key.crv = Some("X25519".into()),
    ] {
        let mut jwks = signer.jwks();
        for key in &mut jwks.keys {
            tweak(key);
        }
        assert_eq!(
            IdTokenValidator::new(jwks, "123456")
                .validate(&token, None, now)
                .unwrap_err(),
            IdTokenError::KeyMismatch {
                kid: "test-eddsa".into()
            }
        );
    }
    // Duplicate kids: the key that fits the algorithm is found wherever it is listed, and
    // among several fitting keys any one that verifies is enough.
    let mut shadowed = rsa.clone();
    shadowed.kid = Some("test-eddsa".into());
    let impostor_ed = signer_public_key("test-eddsa", [1; 32]);
    jwks.keys.insert(0, shadowed);
    jwks.keys.insert(1, impostor_ed.clone());
    let validator = IdTokenValidator::new(jwks.clone(), "123456");
    assert!(validator.validate(&token, None, now).is_ok());
    // With only the impostor under that kid, the signature fails.
    let only_impostor = Jwks {
        keys: vec![rsa.clone(), impostor_ed],
    };
    assert_eq!(
        IdTokenValidator::new(only_impostor, "123456")
            .validate(&token, None, now)
            .unwrap_err(),
        IdTokenError::InvalidSignature
    );
}

/// The public JWK of an Ed25519 key from `seed`, under `kid`.
fn signer_public_key(kid: &str, seed: [u8; 32]) -> login_widget::oidc::Jwk {
    IdTokenSigner::default()
        .add_ed25519_seed(kid, &seed)
        .unwrap()
        .jwks()
        .keys
        .remove(0)
}

#[test]
fn extreme_times_do_not_overflow() {
    let signer = IdTokenSigner::test_keys();
    let validator = validator(&signer).with_skew(std::time::Duration::from_secs(u64::MAX));
    for (iat, exp, nbf) in [
        (i64::MIN, i64::MAX, Some(i64::MAX)),
        (i64::MAX, i64::MIN, Some(i64::MIN)),
        (0, 0, None),
    ] {
        let mut claims = claims();
        claims.iat = UnixTime(iat);
        claims.exp = UnixTime(exp);
        claims.nbf = nbf.map(UnixTime);
        let token = signer.sign("test-eddsa", &claims).unwrap();
        for now in [at(i64::MIN), at(0), at(i64::MAX)] {
            let _ = validator.validate(&token, None, now);
            let _ = IdTokenValidator::new(signer.jwks(), "123456").validate(&token, None, now);
        }
    }
}

#[test]
fn authorization_url_carries_pkce_state_nonce_and_scopes() {
    // RFC 7636 appendix B.
    let pkce = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(
        pkce.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert!(!format!("{pkce:?}").contains("dBjft"));
    let url = AuthorizationParams {
        client_id: "123456",
        redirect_uri: "https://example.com/cb",
        scopes: &[Scope::Profile, Scope::Phone, Scope::BotAccess],
        state: "st",
        nonce: "nn",
        pkce: &pkce,
    }
    .url(&Provider::telegram());
    assert_eq!(
        url,
        "https://oauth.telegram.org/auth?response_type=code&client_id=123456\
         &redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=openid+profile+phone+telegram%3Abot_access\
         &state=st&nonce=nn&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let sandbox = Provider::with_base_url("http://127.0.0.1:8080/");
    assert_eq!(sandbox.token_endpoint(), "http://127.0.0.1:8080/token");
    assert_eq!(
        sandbox.jwks_uri(),
        "http://127.0.0.1:8080/.well-known/jwks.json"
    );
    assert_eq!(sandbox.issuer(), "http://127.0.0.1:8080");
    assert!(PkceVerifier::new("short").is_err());
}

#[test]
fn signers_can_live_in_shared_state() {
    // The sandbox keeps them in an axum state shared across threads.
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<IdTokenSigner>();
    shareable::<login_widget::webapp::ThirdPartyKey>();
    shareable::<login_widget::webapp::WebAppSigner>();
    shareable::<login_widget::widget::WidgetSigner>();
    shareable::<IdTokenValidator>();
}

#[test]
fn login_attempts_are_fresh_and_well_formed() {
    let rng = ring::rand::SystemRandom::new();
    let one = LoginAttempt::generate(&rng).unwrap();
    let two = LoginAttempt::generate(&rng).unwrap();
    assert_ne!(one.state, two.state);
    assert_ne!(one.nonce, two.nonce);
    assert_eq!(one.pkce.dangerous_expose().len(), 43);
    // The verifier passes its own shape check.
    assert!(PkceVerifier::new(one.pkce.dangerous_expose()).is_ok());
    let url = one.url(
        &Provider::telegram(),
        "123456",
        "https://example.com/cb",
        &[Scope::Profile],
    );
    assert!(url.contains(&format!("state={}", one.state)), "{url}");
    assert!(
        url.contains(&format!("code_challenge={}", one.pkce.challenge())),
        "{url}"
    );
}

#[test]
fn login_attempt_debug_shows_no_secret() {
    let rng = ring::rand::SystemRandom::new();
    let attempt = LoginAttempt::generate(&rng).unwrap();
    for shown in [format!("{attempt:?}"), format!("{attempt:#?}")] {
        for secret in [
            attempt.state.as_str(),
            attempt.nonce.as_str(),
            attempt.pkce.dangerous_expose(),
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(64))]

    #[test]
    fn arbitrary_tokens_never_panic(token in any::<String>(), parts in proptest::collection::vec("[A-Za-z0-9_-]{0,40}", 0..5)) {
        let signer = IdTokenSigner::test_keys();
        let validator = validator(&signer);
        let _ = validator.validate(&token, Some("n"), at(0));
        let _ = validator.validate(&parts.join("."), None, at(0));
    }
}
