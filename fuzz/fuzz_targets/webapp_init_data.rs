//! Mini App `initData` checked by the first-party verifier (HMAC under a fixed bot token) and
//! the third-party verifier (Telegram's published Ed25519 key for a fixed bot id), each at a
//! fixed time just after its committed vectors were signed. The first byte picks the
//! verifier; none may panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use login_widget::tgauth_core::{BotId, BotToken, UnixTime};
use login_widget::webapp::{ThirdPartyVerifier, WebAppVerifier};

/// The token of the generated vectors (`@BotFather`'s documentation example).
const GENERATED_TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
const GENERATED_NOW: UnixTime = UnixTime(1_700_000_100);

/// The bot of the real-world vectors signed by Telegram (init-data-node's test suite).
const REAL_TOKEN: &str = "7342037359:AAFZehRPBRs8Seg40oDjTMIW8uTGPuW1zfQ";
const REAL_BOT: BotId = BotId(7_342_037_359);
const REAL_NOW: UnixTime = UnixTime(1_733_584_887);

static GENERATED: LazyLock<WebAppVerifier> = LazyLock::new(|| {
    WebAppVerifier::new(&BotToken::new(GENERATED_TOKEN).expect("a well-formed token"))
});

static REAL: LazyLock<WebAppVerifier> =
    LazyLock::new(|| WebAppVerifier::new(&BotToken::new(REAL_TOKEN).expect("a well-formed token")));

static THIRD_PARTY: LazyLock<ThirdPartyVerifier> =
    LazyLock::new(|| ThirdPartyVerifier::production(REAL_BOT));

static THIRD_PARTY_TEST: LazyLock<ThirdPartyVerifier> =
    LazyLock::new(|| ThirdPartyVerifier::test_environment(REAL_BOT));

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(init_data) = std::str::from_utf8(rest) else {
        return;
    };
    let _ = match selector % 4 {
        0 => GENERATED.verify(init_data, GENERATED_NOW),
        1 => REAL.verify(init_data, REAL_NOW),
        2 => THIRD_PARTY.verify(init_data, REAL_NOW),
        _ => THIRD_PARTY_TEST.verify(init_data, REAL_NOW),
    };
});
