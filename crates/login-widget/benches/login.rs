//! Throughput of the three checks a website runs on every login: `login/widget_verify` (a
//! typical redirect query, parsing included), `login/webapp_verify` (first-party initData) and
//! `login/webapp3rd_verify` (third-party Ed25519), each next to a bare HMAC-SHA-256 or Ed25519
//! verification of the same check string as the in-run reference.

// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use login_widget::{
    tgauth_core::{BotToken, UnixTime, UserId},
    webapp::{ThirdPartyKey, ThirdPartyVerifier, WebAppSigner, WebAppVerifier},
    widget::{TelegramUser, WidgetSigner, WidgetVerifier, data_check_string},
};
use ring::{digest, hmac, signature};

const AUTH_DATE: UnixTime = UnixTime(1_700_000_000);

fn now() -> UnixTime {
    UnixTime(1_700_000_100)
}

fn widget(c: &mut Criterion) {
    let token = BotToken::new("7342037359:AAFZehRPBRs8Seg40oDjTMIW8uTGPuW1zfQ").expect("token");
    let user = TelegramUser {
        id: UserId(279_058_397),
        first_name: "Vladislav".into(),
        last_name: Some("Kibenko".into()),
        username: Some("vdkfrost".into()),
        photo_url: Some(
            "https://t.me/i/userpic/320/4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.jpg".into(),
        ),
        auth_date: AUTH_DATE,
    };
    let signed = WidgetSigner::new(&token).sign_user(&user);
    let query = signed.query();
    let verifier = WidgetVerifier::new(&token);
    assert_eq!(verifier.verify_query(&query, now()).expect("valid"), user);

    let check_string = data_check_string(signed.fields()).expect("check string");
    let secret = digest::digest(&digest::SHA256, token.dangerous_expose().as_bytes());
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref());

    let mut group = c.benchmark_group("login");
    group.throughput(Throughput::Elements(1));
    group.bench_function("widget_verify", |b| {
        b.iter(|| verifier.verify_query(black_box(&query), now()))
    });
    group.bench_function("reference_hmac_sha256_widget", |b| {
        b.iter(|| hmac::sign(&key, black_box(check_string.as_bytes())))
    });

    let init_fields = [
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
        (
            "user",
            r#"{"id":279058397,"first_name":"Vladislav","last_name":"Kibenko","username":"vdkfrost","language_code":"ru","is_premium":true,"allows_write_to_pm":true}"#,
        ),
        ("auth_date", "1700000000"),
        ("chat_instance", "8134722200314281151"),
        ("chat_type", "private"),
    ];
    let third_party = ThirdPartyKey::from_seed(&[7; 32]).expect("seed");
    let init_data = WebAppSigner::new(&token)
        .sign_with_signature(init_fields, &third_party)
        .expect("sign");
    let webapp = WebAppVerifier::new(&token);
    webapp.verify(&init_data, now()).expect("valid");
    group.bench_function("webapp_verify", |b| {
        b.iter(|| webapp.verify(black_box(&init_data), now()))
    });

    let webapp3rd = ThirdPartyVerifier::with_public_key(token.bot_id(), third_party.public_key());
    webapp3rd.verify(&init_data, now()).expect("valid");
    let message = format!(
        "{}:WebAppData\n{}",
        token.bot_id(),
        data_check_string(init_fields).expect("check string")
    );
    let bare_signature = {
        use base64::Engine as _;
        let signature = third_party
            .signature(token.bot_id(), init_fields)
            .expect("signature");
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .expect("base64")
    };
    let public_key = third_party.public_key();
    group.bench_function("webapp3rd_verify", |b| {
        b.iter(|| webapp3rd.verify(black_box(&init_data), now()))
    });
    group.bench_function("reference_ed25519_verify", |b| {
        b.iter(|| {
            signature::UnparsedPublicKey::new(&signature::ED25519, &public_key)
                .verify(black_box(message.as_bytes()), &bare_signature)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = widget
}
criterion_main!(benches);
