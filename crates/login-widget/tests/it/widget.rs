//! Login Widget: known-answer vectors in every input form, policy, precedence and properties.

use std::time::Duration;

use login_widget::{
    ConfigError, Error, ErrorKind, Malformed, Policy,
    tgauth_core::{BotToken, UnixTime, UserId},
    widget::{
        AuthTarget, ButtonSize, DataFormat, SignedLogin, TelegramUser, WidgetEmbed, WidgetSigner,
        WidgetVerifier, data_check_string,
    },
};
use proptest::prelude::*;

use crate::{at, vectors};

fn format(name: &str) -> DataFormat {
    match name {
        "query" => DataFormat::Query,
        "url" => DataFormat::Url,
        "json" => DataFormat::Json,
        "tg-auth-result" => DataFormat::TgAuthResult,
        other => panic!("unknown format {other}"),
    }
}

#[test]
fn known_answer_vectors() {
    let file = vectors("widget.json");
    let cases = file["vectors"].as_array().unwrap();
    assert!(cases.len() >= 25, "the vectors ran");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = BotToken::new(case["token"].as_str().unwrap()).unwrap();
        let policy =
            Policy::default().with_max_age(case["max_age"].as_u64().map(Duration::from_secs));
        let verifier = WidgetVerifier::new(&token).with_policy(policy);
        let data = case["data"].as_str().unwrap();
        let now = at(case["now"].as_i64().unwrap());
        let format = format(case["format"].as_str().unwrap());
        let outcome = verifier.verify(data, format, now);
        let expected = &case["expected"];
        if expected["valid"].as_bool().unwrap() {
            let user = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            let expected: TelegramUser = serde_json::from_value(expected["user"].clone()).unwrap();
            assert_eq!(user, expected, "{name}");
            // Auto detection finds the same form.
            assert_eq!(
                verifier.verify(data, DataFormat::Auto, now).unwrap(),
                user,
                "{name} auto"
            );
        } else {
            let error = outcome.expect_err(name);
            assert_eq!(
                error.kind().as_str(),
                expected["reason"].as_str().unwrap(),
                "{name}: {error}"
            );
        }
    }
}

fn token() -> BotToken {
    BotToken::new("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11").unwrap()
}

fn ada() -> TelegramUser {
    TelegramUser {
        id: UserId(7),
        first_name: "Ada".into(),
        last_name: None,
        username: Some("ada".into()),
        photo_url: None,
        auth_date: UnixTime(1_700_000_000),
    }
}

#[test]
fn every_form_of_one_login_verifies_to_the_same_user() {
    let signed = WidgetSigner::new(&token()).sign_user(&ada());
    let verifier = WidgetVerifier::new(&token());
    let now = at(1_700_000_001);
    let pairs: Vec<(&str, &str)> = signed.fields().collect();
    for outcome in [
        verifier.verify_query(&signed.query(), now),
        verifier.verify_query(&format!("?{}", signed.query()), now),
        verifier.verify_url(&signed.callback_url("https://example.com/cb"), now),
        verifier.verify_json(&signed.json(), now),
        verifier.verify_tg_auth_result(&signed.tg_auth_result(), now),
        verifier.verify_tg_auth_result(&format!("#tgAuthResult={}", signed.tg_auth_result()), now),
        verifier.verify_pairs(pairs.iter().copied(), now),
    ] {
        assert_eq!(outcome.unwrap(), ada());
    }
}

#[test]
fn a_callback_url_with_its_own_parameters_signs_them_too() {
    // Every received field is in the check string, so parameters of the site's own auth URL
    // make the hash fail unless the verifier names them (see the next test).
    let signed = WidgetSigner::new(&token()).sign_user(&ada());
    let url = signed.callback_url("https://example.com/cb?next=%2F");
    let verifier = WidgetVerifier::new(&token());
    assert_eq!(
        verifier.verify_url(&url, at(1_700_000_001)).unwrap_err(),
        Error::InvalidHash
    );
}

#[test]
fn named_site_parameters_stay_out_of_the_check_string() {
    // `data-auth-url="https://example.com/cb?next=%2Finbox&state=abc"`: Telegram appends its
    // fields to the site's own query.
    let signed = WidgetSigner::new(&token()).sign_user(&ada());
    let url = signed.callback_url("https://example.com/cb?next=%2Finbox&state=abc");
    let query = url.split_once('?').unwrap().1;
    let now = at(1_700_000_001);
    let verifier = WidgetVerifier::new(&token())
        .with_site_parameters(["next", "state"])
        .unwrap();
    assert_eq!(
        verifier.site_parameters().collect::<Vec<_>>(),
        ["next", "state"]
    );
    // Every form the site parameters arrive in.
    assert_eq!(verifier.verify_url(&url, now).unwrap(), ada());
    assert_eq!(verifier.verify_query(query, now).unwrap(), ada());
    // A line feed in a site parameter is no ambiguity: it is in no check string.
    let line_feed = query.replace("state=abc", "state=a%0Ab");
    assert_eq!(verifier.verify_query(&line_feed, now).unwrap(), ada());
    let mut pairs: Vec<(&str, &str)> = signed.fields().collect();
    pairs.push(("next", "/inbox"));
    assert_eq!(verifier.verify_pairs(pairs, now).unwrap(), ada());
    // The site parameters are optional.
    assert_eq!(verifier.verify_query(&signed.query(), now).unwrap(), ada());
    // Without naming them they are checked, and the hash fails.
    assert_eq!(
        WidgetVerifier::new(&token())
            .verify_url(&url, now)
            .unwrap_err(),
        Error::InvalidHash
    );
    // Only the named ones are left out: another unsigned field still fails, and so does a
    // changed Telegram field.
    assert_eq!(
        verifier
            .verify_query(&format!("{query}&ref=ad"), now)
            .unwrap_err(),
        Error::InvalidHash
    );
    assert_eq!(
        verifier
            .verify_query(&query.replace("Ada", "Eve"), now)
            .unwrap_err(),
        Error::InvalidHash
    );
    // A repeated site parameter is still a repeated field.
    assert_eq!(
        verifier
            .verify_query(&format!("{query}&next=%2F"), now)
            .unwrap_err(),
        Error::Malformed(Malformed::DuplicateKey { key: "next".into() })
    );
}

#[test]
fn a_field_telegram_signs_cannot_be_a_site_parameter() {
    for name in [
        "id",
        "first_name",
        "last_name",
        "username",
        "photo_url",
        "auth_date",
        "hash",
        "",
    ] {
        assert_eq!(
            WidgetVerifier::new(&token())
                .with_site_parameters(["next", name])
                .unwrap_err(),
            ConfigError::SignedFieldAsSiteParameter { name: name.into() },
            "{name}"
        );
    }
}

#[test]
fn format_detection() {
    for (data, expected) in [
        ("id=1&hash=2", DataFormat::Query),
        (
            "id=1&photo_url=https://x.example/a?b=c&hash=2",
            DataFormat::Query,
        ),
        ("https://example.com/cb?id=1", DataFormat::Url),
        ("/cb?id=1", DataFormat::Url),
        ("example.com/cb?id=1", DataFormat::Url),
        ("{\"id\":1}", DataFormat::Json),
        ("eyJpZCI6MX0", DataFormat::TgAuthResult),
        ("eyJpZCI6MX0=", DataFormat::TgAuthResult),
        ("#tgAuthResult=eyJpZCI6MX0", DataFormat::TgAuthResult),
    ] {
        assert_eq!(DataFormat::detect(data), expected, "{data}");
    }
}

#[test]
fn check_string_is_sorted_and_leaves_out_the_hash() {
    let check = data_check_string([
        ("username", "ada"),
        ("hash", "ff"),
        ("auth_date", "1"),
        ("id", "7"),
        ("first_name", "Ada"),
    ])
    .unwrap();
    assert_eq!(check, "auth_date=1\nfirst_name=Ada\nid=7\nusername=ada");
}

#[test]
fn precedence_malformed_then_hash_then_freshness() {
    let verifier = WidgetVerifier::new(&token());
    let signed = WidgetSigner::new(&token()).sign_user(&ada());
    let late = at(1_800_000_000);
    // Valid hash, too old: expired.
    assert_eq!(
        verifier
            .verify_query(&signed.query(), late)
            .unwrap_err()
            .kind(),
        ErrorKind::Expired
    );
    // Bad hash and too old: the hash is reported.
    let forged = signed.query().replace("Ada", "Eve");
    assert_eq!(
        verifier.verify_query(&forged, late).unwrap_err(),
        Error::InvalidHash
    );
    // Duplicate key, bad hash and too old: malformed.
    let duplicated = format!("{forged}&id=8");
    assert_eq!(
        verifier.verify_query(&duplicated, late).unwrap_err(),
        Error::Malformed(Malformed::DuplicateKey { key: "id".into() })
    );
}

#[test]
fn malformed_reasons_are_specific() {
    let verifier = WidgetVerifier::new(&token());
    let now = at(1_700_000_000);
    let check = |data: &str, expected: Malformed| {
        assert_eq!(
            verifier.verify_query(data, now).unwrap_err(),
            Error::Malformed(expected),
            "{data}"
        );
    };
    check("", Malformed::Empty);
    check("&&", Malformed::Empty);
    check("id=1&auth_date=1", Malformed::MissingHash);
    check("id=1&auth_date=1&hash=", Malformed::EmptyHash);
    check("id=1&hash=ab", Malformed::MissingAuthDate);
    check("id=1&auth_date=+1&hash=ab", Malformed::InvalidAuthDate);
    check("id=1&auth_date=1.5&hash=ab", Malformed::InvalidAuthDate);
    check(
        "id=x&first_name=a&auth_date=1&hash=ab",
        Malformed::InvalidField { field: "id" },
    );
    check(
        "first_name=a&auth_date=1&hash=ab",
        Malformed::MissingField { field: "id" },
    );
    check(
        "id=1&auth_date=1&hash=ab",
        Malformed::MissingField {
            field: "first_name",
        },
    );
    check(
        "id=1&auth_date=1&hash=a%G0",
        Malformed::InvalidPercentEncoding,
    );
    check("id=1&auth_date=1&hash=%ff", Malformed::InvalidUtf8);
    check("=1&auth_date=1&hash=ab", Malformed::EmptyKey);
    check(
        "hash=a&hash=a&auth_date=1",
        Malformed::DuplicateKey { key: "hash".into() },
    );
    assert_eq!(
        verifier
            .verify_url("https://example.com/login", now)
            .unwrap_err(),
        Error::Malformed(Malformed::NoDataInUrl)
    );
    assert_eq!(
        verifier.verify_tg_auth_result("!!!", now).unwrap_err(),
        Error::Malformed(Malformed::InvalidBase64)
    );
    assert_eq!(
        verifier.verify_json("[1]", now).unwrap_err(),
        Error::Malformed(Malformed::InvalidJson)
    );
}

#[test]
fn policy_is_configurable() {
    let signed = WidgetSigner::new(&token()).sign_user(&ada());
    let query = signed.query();
    let strict = WidgetVerifier::new(&token()).with_policy(
        Policy::default()
            .with_max_age(Some(Duration::from_secs(60)))
            .with_future_skew(Duration::ZERO),
    );
    assert!(strict.verify_query(&query, at(1_700_000_060)).is_ok());
    assert!(matches!(
        strict.verify_query(&query, at(1_700_000_061)),
        Err(Error::Expired {
            age: 61,
            max_age: 60,
            ..
        })
    ));
    assert!(matches!(
        strict.verify_query(&query, at(1_699_999_999)),
        Err(Error::FromTheFuture {
            ahead: 1,
            skew: 0,
            ..
        })
    ));
    let forever = WidgetVerifier::new(&token()).with_policy(Policy::default().with_max_age(None));
    assert!(forever.verify_query(&query, at(4_000_000_000)).is_ok());
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let token = token();
    let secret = "ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
    for text in [
        format!("{token:?}"),
        format!("{:?}", WidgetVerifier::new(&token)),
        format!("{:?}", WidgetSigner::new(&token)),
        format!("{:?}", login_widget::webapp::WebAppVerifier::new(&token)),
        format!("{:?}", login_widget::webapp::WebAppSigner::new(&token)),
        format!("{:?}", Error::InvalidHash),
        format!(
            "{:?}",
            BotToken::new(format!("{}x", token.dangerous_expose()))
        ),
        format!(
            "{:?}",
            BotToken::new(format!("{} x", token.dangerous_expose()))
        ),
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(token.bot_id(), login_widget::tgauth_core::BotId(123_456));
    for bad in ["", "123456", "abc:def", "123:", "123:a b", ":abc"] {
        assert_eq!(
            BotToken::new(bad).unwrap_err(),
            login_widget::tgauth_core::Error::InvalidBotToken,
            "{bad}"
        );
    }
}

#[test]
fn embed_code_escapes_and_names_every_attribute() {
    let html = WidgetEmbed::new(
        "my_bot\"><script>",
        AuthTarget::Callback("onTelegramAuth".into()),
    )
    .with_size(ButtonSize::Medium)
    .with_radius(10)
    .with_userpic(false)
    .with_request_access(true)
    .with_lang("en")
    .html();
    assert_eq!(
        html,
        "<script async src=\"https://telegram.org/js/telegram-widget.js?22\" \
         data-telegram-login=\"my_bot&quot;&gt;&lt;script&gt;\" data-size=\"medium\" data-radius=\"10\" \
         data-userpic=\"false\" data-request-access=\"write\" data-onauth=\"onTelegramAuth(user)\" \
         data-lang=\"en\"></script>"
    );
}

#[test]
fn a_login_recut_into_other_fields_is_malformed() {
    // `last_name=L` and `username=ada` are adjacent lines of the check string; folding the
    // second into the first's value leaves the check string, and so the hash, unchanged.
    let user = TelegramUser {
        last_name: Some("L".into()),
        ..ada()
    };
    let signed = WidgetSigner::new(&token()).sign_user(&user);
    let recut: Vec<(&str, &str)> = signed
        .fields()
        .filter(|(key, _)| *key != "username")
        .map(|(key, value)| match key {
            "last_name" => (key, "L\nusername=ada"),
            _ => (key, value),
        })
        .collect();
    assert_eq!(
        data_check_string(recut.iter().copied()).unwrap(),
        data_check_string(signed.fields()).unwrap()
    );
    let verifier = WidgetVerifier::new(&token());
    let now = at(1_700_000_001);
    assert_eq!(verifier.verify_pairs(signed.fields(), now).unwrap(), user);
    assert_eq!(
        verifier.verify_pairs(recut, now).unwrap_err(),
        Error::Malformed(Malformed::AmbiguousField {
            key: "last_name".into()
        })
    );
    // The same through a query string, and `=` or a line feed in a name.
    for query in [
        "id=7&first_name=Ada&auth_date=1&hash=ab&x=a%0Ab",
        "id=7&first_name=Ada&auth_date=1&hash=ab&x%3Dy=1",
        "id=7&first_name=Ada&auth_date=1&hash=ab&x%0Ay=1",
    ] {
        assert!(
            matches!(
                verifier.verify_query(query, now),
                Err(Error::Malformed(Malformed::AmbiguousField { .. }))
            ),
            "{query}"
        );
    }
}

#[test]
fn extreme_auth_dates_and_clocks_do_not_overflow() {
    let signer = WidgetSigner::new(&token());
    let extremes = [i64::MIN, i64::MIN + 1, -1, 0, 1_700_000_000, i64::MAX];
    for auth_date in extremes {
        let user = TelegramUser {
            auth_date: UnixTime(auth_date),
            ..ada()
        };
        let query = signer.sign_user(&user).query();
        for now in extremes {
            for max_age in [None, Some(0), Some(86_400), Some(u64::MAX)] {
                for skew in [0, 30, u64::MAX] {
                    let policy = Policy::default()
                        .with_max_age(max_age.map(Duration::from_secs))
                        .with_future_skew(Duration::from_secs(skew));
                    let outcome = WidgetVerifier::new(&token())
                        .with_policy(policy)
                        .verify_query(&query, at(now));
                    // The same rule in 128-bit arithmetic, where nothing saturates.
                    let age = i128::from(now) - i128::from(auth_date);
                    let fresh = max_age.is_none_or(|max| age <= i128::from(max))
                        && -age <= i128::from(skew);
                    match outcome {
                        Ok(verified) => {
                            assert!(fresh, "{auth_date} at {now}: accepted");
                            assert_eq!(verified, user);
                        }
                        Err(error) => {
                            assert!(!fresh, "{auth_date} at {now}: {error}");
                            assert_eq!(error.kind(), ErrorKind::Expired);
                        }
                    }
                }
            }
        }
    }
}

/// Any text Telegram could send as a value: anything but a line feed, which no check string
/// can carry unambiguously (see `a_login_recut_into_other_fields_is_malformed`).
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|text| text.replace('\n', " ")),
        "[ -~]{0,20}",
        "\\PC{0,12}"
    ]
}

prop_compose! {
    fn login()(
        id in any::<i64>(),
        first_name in field_value(),
        last_name in proptest::option::of(field_value()),
        username in proptest::option::of("[a-zA-Z0-9_]{5,32}"),
        photo_url in proptest::option::of(field_value()),
        auth_date in 0i64..4_000_000_000,
        extra in proptest::collection::btree_map("x_[a-z_]{1,8}", field_value(), 0..3),
    ) -> (TelegramUser, Vec<(String, String)>) {
        (TelegramUser { id: UserId(id), first_name, last_name, username, photo_url, auth_date: UnixTime(auth_date) }, extra.into_iter().collect())
    }
}

fn signed_with_extra(
    user: &TelegramUser,
    extra: &[(String, String)],
    order: &[usize],
) -> SignedLogin {
    let base = WidgetSigner::new(&token()).sign_user(user);
    let mut pairs: Vec<(&str, &str)> = base.fields().filter(|(k, _)| *k != "hash").collect();
    pairs.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // Apply a permutation: the order of fields must not matter.
    let mut permuted: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    let mut remaining = pairs;
    for &index in order {
        if remaining.is_empty() {
            break;
        }
        permuted.push(remaining.remove(index % remaining.len()));
    }
    permuted.extend(remaining);
    WidgetSigner::new(&token()).sign_fields(permuted).unwrap()
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(256))]

    #[test]
    fn sign_then_verify_holds_in_every_form_and_order(
        (user, extra) in login(),
        order in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let signed = signed_with_extra(&user, &extra, &order);
        let verifier = WidgetVerifier::new(&token()).with_policy(Policy::default().with_max_age(None));
        let now = user.auth_date;
        prop_assert_eq!(verifier.verify_query(&signed.query(), now).unwrap(), user.clone());
        prop_assert_eq!(verifier.verify_json(&signed.json(), now).unwrap(), user.clone());
        prop_assert_eq!(verifier.verify_tg_auth_result(&signed.tg_auth_result(), now).unwrap(), user.clone());
        prop_assert_eq!(verifier.verify_pairs(signed.fields(), now).unwrap(), user);
    }

    #[test]
    fn changing_any_byte_of_any_field_or_the_hash_fails(
        (user, extra) in login(),
        field in any::<prop::sample::Index>(),
        in_key in any::<bool>(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let signed = signed_with_extra(&user, &extra, &[]);
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = signed
            .fields()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        let target = field.index(pairs.len());
        // A byte of the key or of the value (keys are never empty; an empty value gains one).
        let bytes = if in_key { &mut pairs[target].0 } else { &mut pairs[target].1 };
        if bytes.is_empty() {
            bytes.push(flip);
        } else {
            let at_byte = position.index(bytes.len());
            bytes[at_byte] ^= flip;
        }
        // A change that is not UTF-8 cannot be handed over as a `&str` pair: that field is
        // then missing, which must fail too.
        let changed: Vec<(String, String)> = pairs
            .into_iter()
            .filter_map(|(k, v)| Some((String::from_utf8(k).ok()?, String::from_utf8(v).ok()?)))
            .collect();
        let verifier = WidgetVerifier::new(&token()).with_policy(Policy::default().with_max_age(None));
        let outcome = verifier.verify_pairs(changed.iter().map(|(k, v)| (k.as_str(), v.as_str())), user.auth_date);
        prop_assert!(outcome.is_err(), "a changed login verified: {:?}", changed);
    }

    #[test]
    fn arbitrary_input_never_panics(data in any::<String>(), bytes in any::<Vec<u8>>()) {
        let verifier = WidgetVerifier::new(&token());
        let now = at(1_700_000_000);
        for format in [DataFormat::Query, DataFormat::Url, DataFormat::Json, DataFormat::TgAuthResult, DataFormat::Auto] {
            let _ = verifier.verify(&data, format, now);
        }
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = verifier.verify(&lossy, DataFormat::Auto, now);
    }

    #[test]
    fn any_duplicated_key_is_malformed((user, extra) in login(), which in any::<prop::sample::Index>()) {
        let signed = signed_with_extra(&user, &extra, &[]);
        let pairs: Vec<(&str, &str)> = signed.fields().collect();
        let (key, value) = pairs[which.index(pairs.len())];
        let query = format!("{}&{}", signed.query(), form_urlencoded::Serializer::new(String::new()).append_pair(key, value).finish());
        let verifier = WidgetVerifier::new(&token());
        prop_assert_eq!(
            verifier.verify_query(&query, user.auth_date).unwrap_err(),
            Error::Malformed(Malformed::DuplicateKey { key: key.to_owned() })
        );
    }
}
