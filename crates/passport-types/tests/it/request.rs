//! `PassportRequest`: the link Telegram's JS SDK opens and the HTML button.

use passport_types::element::ElementType;
use passport_types::scope::{
    MAX_NONCE_LEN, MIN_NONCE_LEN, PassportRequest, PassportScope, RequestError, ScopeElement,
};
use passport_types::tgauth_core::{BotId, encode_uri_component};

const PUBLIC_KEY: &str =
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B+/=\n-----END PUBLIC KEY-----\n";

fn request() -> PassportRequest {
    PassportRequest {
        bot_id: BotId(543260180),
        scope: PassportScope::new(vec![
            ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]).with_selfie(),
            ElementType::Email.into(),
        ]),
        public_key: PUBLIC_KEY.to_owned(),
        nonce: "b8e892dc2e0afe63424d101b964f1256_32858210".to_owned(),
        callback_url: Some("https://example.com/passport?ssid=a+b&x=é".to_owned()),
    }
}

#[test]
fn the_link_matches_the_js_sdk() {
    assert_eq!(
        request().url().unwrap(),
        concat!(
            "tg://resolve?domain=telegrampassport",
            "&bot_id=543260180",
            "&scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%7B%22_%22%3A%5B%22pp%22%2C%22ic%22%5D%2C%22s%22%3A1%7D%2C%22em%22%5D%7D",
            "&public_key=-----BEGIN%20PUBLIC%20KEY-----%0AMIIBIjANBgkqhkiG9w0B%2B%2F%3D%0A-----END%20PUBLIC%20KEY-----%0A",
            "&nonce=b8e892dc2e0afe63424d101b964f1256_32858210",
            "&callback_url=https%3A%2F%2Fexample.com%2Fpassport%3Fssid%3Da%2Bb%26x%3D%C3%A9",
            "&payload=nonce",
        )
    );
    let without_callback = PassportRequest {
        callback_url: None,
        ..request()
    };
    let url = without_callback.url().unwrap();
    assert!(url.ends_with("_32858210&payload=nonce"), "{url}");
}

#[test]
fn encoding_matches_encode_uri_component() {
    // The characters encodeURIComponent leaves alone, and some it does not: the link's values
    // go through tgauth-core's encoder, which must keep the JS SDK's exact encoding.
    let out = encode_uri_component("AZaz09-_.!~*'() \"#$%&+,/:;<=>?@[\\]^`{|}\n€").to_string();
    assert_eq!(
        out,
        "AZaz09-_.!~*'()%20%22%23%24%25%26%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%0A%E2%82%AC"
    );
}

#[test]
fn the_html_button_is_escaped() {
    let html = request()
        .html_button("Log in <with> \"Telegram\" & Ada's co")
        .unwrap();
    assert!(html.starts_with(
        "<a class=\"tgauth-passport-button\" href=\"tg://resolve?domain=telegrampassport&amp;bot_id=543260180&amp;scope="
    ));
    assert!(html.ends_with(
        "&amp;payload=nonce\">Log in &lt;with&gt; &quot;Telegram&quot; &amp; Ada&#x27;s co</a>"
    ));
    assert!(!html.contains("<with>"));
}

/// Checks a request changed by `change` fails validation with `expected`.
fn check(change: impl FnOnce(&mut PassportRequest), expected: &str) {
    let mut request = request();
    change(&mut request);
    let error = request.url().unwrap_err();
    assert_eq!(error.to_string(), expected);
    assert_eq!(request.html_button("x").unwrap_err(), error);
}

#[test]
fn invalid_requests_are_refused() {
    check(|r| r.bot_id = BotId(0), "bot id must be positive, not 0");
    check(|r| r.bot_id = BotId(-5), "bot id must be positive, not -5");
    check(
        |r| {
            r.scope = PassportScope::new(vec![ElementType::Email.into(), ElementType::Email.into()])
        },
        "scope element 1: `email` is requested more than once",
    );
    check(
        |r| r.public_key = "MIIBIjANBgkqhkiG9w0B".to_owned(),
        "public key must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
    );
    check(
        |r| r.public_key = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----".to_owned(),
        "public key must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
    );
    check(
        |r| r.nonce = "short".to_owned(),
        "nonce must be 16 to 512 characters, it has 5",
    );
    check(
        |r| r.nonce = "n".repeat(MAX_NONCE_LEN + 1),
        "nonce must be 16 to 512 characters, it has 513",
    );
    check(
        |r| r.nonce = "0123456789abcdef ghij".to_owned(),
        "nonce must not contain whitespace or control characters",
    );
    check(
        |r| r.callback_url = Some(String::new()),
        "callback url must be a non-empty url without whitespace or control characters",
    );
    check(
        |r| r.callback_url = Some("https://example.com/\n".to_owned()),
        "callback url must be a non-empty url without whitespace or control characters",
    );
}

#[test]
fn nonce_limits_are_inclusive() {
    for len in [MIN_NONCE_LEN, MAX_NONCE_LEN] {
        let request = PassportRequest {
            nonce: "n".repeat(len),
            ..request()
        };
        assert_eq!(request.validate(), Ok(()));
    }
    let error = PassportRequest {
        nonce: String::new(),
        ..request()
    }
    .validate()
    .unwrap_err();
    assert!(matches!(error, RequestError::NonceLength { len: 0, .. }));
}
