//! Every refusal's message, snapshotted: what a log line or an API answer shows.

use login_widget::{
    ConfigError, Error, Malformed,
    oidc::{IdTokenError, IdTokenSigner, IdTokenValidator},
    tgauth_core::{BotToken, UnixTime},
    webapp::WebAppVerifier,
    widget::WidgetVerifier,
};

use crate::at;

#[test]
fn error_messages() {
    let token = BotToken::new("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11").unwrap();
    let widget = WidgetVerifier::new(&token);
    let webapp = WebAppVerifier::new(&token);
    let now = at(1_700_000_000);
    let mut lines = Vec::new();
    let mut show = |input: &str, error: String| lines.push(format!("{input:<40} -> {error}"));
    for query in [
        "",
        "id=1&id=1",
        "=1",
        "id=%zz",
        "id=%ff",
        "id=1&auth_date=1",
        "id=1&auth_date=1&hash=",
        "id=1&hash=ab",
        "id=1&auth_date=x&hash=ab",
        "auth_date=1&hash=ab",
        "id=x&auth_date=1&hash=ab",
        "id=1&auth_date=1&hash=ab",
        "id=1&first_name=A&auth_date=1&hash=ab",
        "id=1&first_name=A%0Aid=2&auth_date=1&hash=ab",
    ] {
        show(
            query,
            widget.verify_query(query, now).unwrap_err().to_string(),
        );
    }
    show(
        "tgAuthResult !!!",
        widget
            .verify_tg_auth_result("!!!", now)
            .unwrap_err()
            .to_string(),
    );
    show(
        "json [1]",
        widget.verify_json("[1]", now).unwrap_err().to_string(),
    );
    show(
        "url without data",
        widget
            .verify_url("https://a.example/", now)
            .unwrap_err()
            .to_string(),
    );
    show(
        "initData user={",
        webapp
            .verify("user=%7B&auth_date=1&hash=a", now)
            .unwrap_err()
            .to_string(),
    );
    for error in [
        Error::InvalidSignature,
        Error::Expired {
            auth_date: UnixTime(1),
            age: 100,
            max_age: 60,
        },
        Error::FromTheFuture {
            auth_date: UnixTime(100),
            ahead: 40,
            skew: 30,
        },
        Error::Malformed(Malformed::MissingSignature),
        Error::Malformed(Malformed::InvalidSignatureEncoding),
    ] {
        show("(constructed)", error.to_string());
    }
    let validator = IdTokenValidator::new(IdTokenSigner::test_keys().jwks(), "1");
    show(
        "id_token a.b",
        validator
            .validate("a.b", None, now)
            .unwrap_err()
            .to_string(),
    );
    for error in [
        IdTokenError::AlgorithmNone,
        IdTokenError::UnsupportedAlgorithm {
            alg: "HS256".into(),
        },
        IdTokenError::MissingKeyId,
        IdTokenError::UnknownKeyId { kid: "k1".into() },
        IdTokenError::KeyMismatch { kid: "k1".into() },
        IdTokenError::InvalidSignature,
        IdTokenError::WrongIssuer {
            found: "https://evil.example".into(),
        },
        IdTokenError::WrongAudience,
        IdTokenError::MissingAuthorizedParty,
        IdTokenError::MissingNonce,
        IdTokenError::WrongNonce,
        IdTokenError::Expired {
            exp: UnixTime(1),
            now: UnixTime(2),
        },
        IdTokenError::IssuedInFuture {
            iat: UnixTime(3),
            now: UnixTime(2),
        },
        IdTokenError::NotYetValid {
            nbf: UnixTime(3),
            now: UnixTime(2),
        },
    ] {
        show("(constructed)", error.to_string());
    }
    for error in [
        ConfigError::InvalidKey {
            what: "not an Ed25519 seed",
        },
        ConfigError::UnknownKeyId { kid: "k2".into() },
        ConfigError::SigningFailed {
            what: "the signing primitive failed",
        },
        ConfigError::InvalidPkceVerifier,
        ConfigError::RandomUnavailable,
        ConfigError::SignedFieldAsSiteParameter { name: "id".into() },
    ] {
        show("(configuration)", error.to_string());
    }
    let all = lines.join("\n");
    assert!(!all.contains("ABC-DEF1234"), "no message carries the token");
    insta::assert_snapshot!(all);
}
