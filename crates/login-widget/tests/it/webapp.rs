//! Mini App initData: known-answer vectors, real strings signed by Telegram, third-party Ed25519.

use std::time::Duration;

use login_widget::{
    Error, ErrorKind, Malformed, Policy,
    tgauth_core::{BotId, BotToken, ChatId, UnixTime, UserId},
    webapp::{
        TELEGRAM_PUBLIC_KEY, ThirdPartyKey, ThirdPartyVerifier, WebAppInitData, WebAppSigner,
        WebAppVerifier,
    },
};
use proptest::prelude::*;

use crate::{at, vectors};

#[test]
fn known_answer_vectors() {
    let file = vectors("webapp.json");
    let cases = file["vectors"].as_array().unwrap();
    assert!(cases.len() >= 6, "the vectors ran");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = BotToken::new(case["token"].as_str().unwrap()).unwrap();
        let policy =
            Policy::default().with_max_age(case["max_age"].as_u64().map(Duration::from_secs));
        let verifier = WebAppVerifier::new(&token).with_policy(policy);
        let outcome = verifier.verify(
            case["data"].as_str().unwrap(),
            at(case["now"].as_i64().unwrap()),
        );
        let expected = &case["expected"];
        if expected["valid"].as_bool().unwrap() {
            let data = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                data.user.unwrap().id,
                UserId(expected["user_id"].as_i64().unwrap()),
                "{name}"
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

#[test]
fn real_init_data_signed_by_telegram() {
    let file = vectors("real_webapp.json");
    let cases = file["vectors"].as_array().unwrap();
    let mut third_party_checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = case["data"].as_str().unwrap();
        let auth_date = case["auth_date"].as_i64().unwrap();
        let token = BotToken::new(case["token"].as_str().unwrap()).unwrap();
        let verifier = WebAppVerifier::new(&token);
        let verified = verifier
            .verify(data, at(auth_date + 60))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            verified.user.as_ref().unwrap().id,
            UserId(case["user_id"].as_i64().unwrap()),
            "{name}"
        );
        assert_eq!(verified.auth_date, UnixTime(auth_date));
        // A day and a second later the same data has expired.
        assert_eq!(
            verifier
                .verify(data, at(auth_date + 86_401))
                .unwrap_err()
                .kind(),
            ErrorKind::Expired,
            "{name}"
        );
        if case["third_party"].as_str() == Some("production") {
            let bot_id = BotId(case["bot_id"].as_i64().unwrap());
            let third = ThirdPartyVerifier::production(bot_id);
            // The same data, without the hash the third party cannot check.
            assert_eq!(
                third.verify(data, at(auth_date)).unwrap(),
                WebAppInitData {
                    hash: None,
                    ..verified.clone()
                },
                "{name}"
            );
            assert!(verified.hash.is_some(), "{name}");
            // The same signature for another bot, or under the test key, is refused.
            assert_eq!(
                ThirdPartyVerifier::production(BotId(bot_id.get() + 1))
                    .verify(data, at(auth_date))
                    .unwrap_err(),
                Error::InvalidSignature
            );
            assert_eq!(
                ThirdPartyVerifier::test_environment(bot_id)
                    .verify(data, at(auth_date))
                    .unwrap_err(),
                Error::InvalidSignature
            );
            third_party_checked += 1;
        }
    }
    assert_eq!(
        third_party_checked, 2,
        "both real third-party signatures ran"
    );
}

#[test]
fn typed_fields_are_parsed_from_their_raw_text() {
    let file = vectors("real_webapp.json");
    let case = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == "init_data_node_sign_all_fields")
        .unwrap();
    let token = BotToken::new(case["token"].as_str().unwrap()).unwrap();
    let data = WebAppVerifier::new(&token)
        .verify(case["data"].as_str().unwrap(), at(100))
        .unwrap();
    assert_eq!(data.query_id.as_deref(), Some("QUERY"));
    assert_eq!(data.can_send_after, Some(10_000));
    assert_eq!(data.chat_type.as_deref(), Some("sender"));
    assert_eq!(data.chat_instance.as_deref(), Some("888"));
    assert_eq!(data.start_param.as_deref(), Some("debug"));
    assert_eq!(data.signature.as_deref(), Some("abc"));
    let chat = data.chat.unwrap();
    assert_eq!(
        (chat.id, chat.kind.as_str(), chat.title.as_str()),
        (ChatId(1), "group", "chat-title")
    );
    let receiver = data.receiver.unwrap();
    assert_eq!(
        (receiver.id, receiver.is_bot, receiver.is_premium),
        (UserId(991), Some(false), Some(true))
    );
    let user = data.user.unwrap();
    assert_eq!(user.username.as_deref(), Some("user-username"));
    assert_eq!(user.language_code.as_deref(), Some("en"));
}

fn token() -> BotToken {
    BotToken::new("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11").unwrap()
}

#[test]
fn third_party_signature_rules() {
    let key = ThirdPartyKey::from_seed(&[9; 32]).unwrap();
    let signer = WebAppSigner::new(&token());
    let fields = [
        ("user", r#"{"id":1,"first_name":"A"}"#),
        ("auth_date", "1700000000"),
    ];
    let data = signer.sign_with_signature(fields, &key).unwrap();
    let verifier = ThirdPartyVerifier::with_public_key(BotId(123_456), key.public_key());
    let now = at(1_700_000_000);
    assert!(verifier.verify(&data, now).is_ok());
    assert!(WebAppVerifier::new(&token()).verify(&data, now).is_ok());
    // Telegram's production key did not sign it.
    assert_eq!(
        ThirdPartyVerifier::production(BotId(123_456))
            .verify(&data, now)
            .unwrap_err(),
        Error::InvalidSignature
    );
    assert_ne!(key.public_key(), TELEGRAM_PUBLIC_KEY);
    // No signature, padded or short signatures are malformed.
    let unsigned = signer.sign(fields).unwrap();
    assert_eq!(
        verifier.verify(&unsigned, now).unwrap_err(),
        Error::Malformed(Malformed::MissingSignature)
    );
    let signature = key.signature(BotId(123_456), fields).unwrap();
    for bad in [
        format!("{signature}=="),
        signature[..signature.len() - 4].to_owned(),
        format!("{signature}AAAA"),
    ] {
        let mut pairs = fields.to_vec();
        pairs.push(("signature", &bad));
        let data = signer.sign(pairs).unwrap();
        assert_eq!(
            verifier.verify(&data, now).unwrap_err(),
            Error::Malformed(Malformed::InvalidSignatureEncoding),
            "{bad}"
        );
    }
}

#[test]
fn third_party_mode_neither_needs_nor_reports_the_hash() {
    // Telegram's signature does not cover `hash`: a third party cannot check it, so it must
    // not need it (aiogram and @telegram-apps/init-data-node accept initData without one) and
    // must not hand it back as if it were verified.
    let key = ThirdPartyKey::from_seed(&[9; 32]).unwrap();
    let fields = [
        ("user", r#"{"id":1,"first_name":"A"}"#),
        ("auth_date", "1700000000"),
    ];
    let data = WebAppSigner::new(&token())
        .sign_with_signature(fields, &key)
        .unwrap();
    let verifier = ThirdPartyVerifier::with_public_key(BotId(123_456), key.public_key());
    let now = at(1_700_000_000);

    let without_hash = data.split("&hash=").next().unwrap();
    let verified = verifier.verify(without_hash, now).unwrap();
    assert_eq!(verified.user.unwrap().id, UserId(1));

    let forged_hash = format!("{without_hash}&hash={}", "0".repeat(64));
    let verified = verifier.verify(&forged_hash, now).unwrap();
    let shown = serde_json::to_value(&verified).unwrap();
    assert!(
        shown["hash"].is_null(),
        "an unverified hash is reported: {shown}"
    );
    // The signature still decides: a changed field fails with or without a hash.
    let changed = without_hash.replace("1700000000", "1700000001");
    assert_eq!(
        verifier.verify(&changed, now).unwrap_err(),
        Error::InvalidSignature
    );
    // First-party verification still needs the hash, and reports the one it verified.
    let first_party = WebAppVerifier::new(&token());
    assert_eq!(
        first_party.verify(without_hash, now).unwrap_err(),
        Error::Malformed(Malformed::MissingHash)
    );
    let shown = serde_json::to_value(first_party.verify(&data, now).unwrap()).unwrap();
    let hash = data.rsplit("hash=").next().unwrap();
    assert_eq!(shown["hash"], hash);
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(128))]

    #[test]
    fn sign_then_verify_first_and_third_party(
        // Any text but a line feed (which would make the check string ambiguous).
        start_param in any::<String>().prop_map(|text| text.replace('\n', " ")),
        query_id in "\\PC{0,16}",
        first_name in any::<String>(),
        auth_date in 0i64..4_000_000_000,
        seed in any::<[u8; 32]>(),
    ) {
        let user = serde_json::json!({ "id": 5, "first_name": first_name }).to_string();
        let auth = auth_date.to_string();
        let fields = [("start_param", start_param.as_str()), ("query_id", query_id.as_str()), ("user", user.as_str()), ("auth_date", auth.as_str())];
        let key = ThirdPartyKey::from_seed(&seed).unwrap();
        let data = WebAppSigner::new(&token()).sign_with_signature(fields, &key).unwrap();
        let now = at(auth_date);
        let first = WebAppVerifier::new(&token()).verify(&data, now).unwrap();
        let third = ThirdPartyVerifier::with_public_key(BotId(123_456), key.public_key()).verify(&data, now).unwrap();
        prop_assert!(first.hash.is_some());
        prop_assert_eq!(&WebAppInitData { hash: None, ..first.clone() }, &third);
        prop_assert_eq!(first.user.unwrap().first_name, first_name);
        prop_assert_eq!(first.start_param.as_deref(), Some(start_param.as_str()));
    }

    #[test]
    fn changing_any_byte_fails_both_checks(
        first_name in "\\PC{1,12}",
        auth_date in 0i64..4_000_000_000,
        field in any::<prop::sample::Index>(),
        in_key in any::<bool>(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let user = serde_json::json!({ "id": 5, "first_name": first_name }).to_string();
        let auth = auth_date.to_string();
        let key = ThirdPartyKey::from_seed(&[5; 32]).unwrap();
        let data = WebAppSigner::new(&token())
            .sign_with_signature([("user", user.as_str()), ("auth_date", auth.as_str())], &key)
            .unwrap();
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = form_urlencoded::parse(data.as_bytes())
            .map(|(k, v)| (k.into_owned().into_bytes(), v.into_owned().into_bytes()))
            .collect();
        let received = pairs.len();
        let target = field.index(pairs.len());
        let hash_changed = pairs[target].0 == b"hash";
        let bytes = if in_key { &mut pairs[target].0 } else { &mut pairs[target].1 };
        let at_byte = position.index(bytes.len().max(1));
        match bytes.get_mut(at_byte) {
            Some(byte) => *byte ^= flip,
            None => bytes.push(flip),
        }
        let changed: Vec<(String, String)> = pairs
            .into_iter()
            .filter_map(|(k, v)| Some((String::from_utf8(k).ok()?, String::from_utf8(v).ok()?)))
            .collect();
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&changed).finish();
        let now = at(auth_date);
        let policy = Policy::default().with_max_age(None);
        prop_assert!(WebAppVerifier::new(&token()).with_policy(policy).verify(&query, now).is_err());
        prop_assert!(
            ThirdPartyVerifier::with_public_key(BotId(123_456), key.public_key())
                .with_policy(policy)
                .verify(&query, now)
                .is_err()
                // The third-party signature does not cover the hash: changing its value, or
                // dropping it (a changed key that is no longer UTF-8), leaves it intact. A key
                // changed into another name is a new signed field, and fails.
                || (hash_changed && (!in_key || changed.len() < received))
        );
    }

    #[test]
    fn arbitrary_input_never_panics(data in any::<String>()) {
        let now = at(1_700_000_000);
        let _ = WebAppVerifier::new(&token()).verify(&data, now);
        let _ = ThirdPartyVerifier::production(BotId(1)).verify(&data, now);
    }
}
