//! `id_token`s checked by an `IdTokenValidator` that trusts a fixed JWKS (the published test
//! keys of `login-widget`'s `sign` feature, one per algorithm) at a fixed time, with and
//! without an expected nonce. Any string validates or fails with an error, never a panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use login_widget::oidc::{IdTokenSigner, IdTokenValidator};
use login_widget::tgauth_core::{BotId, UnixTime};

/// The nonce and time of the committed vectors (`tests/it/vectors/oidc.json`).
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: UnixTime = UnixTime(1_700_000_100);

static VALIDATOR: LazyLock<IdTokenValidator> =
    LazyLock::new(|| IdTokenValidator::for_bot(IdTokenSigner::test_keys().jwks(), BotId(123_456)));

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(token) = std::str::from_utf8(rest) else {
        return;
    };
    let nonce = (selector % 2 == 0).then_some(NONCE);
    let _ = VALIDATOR.validate(token, nonce, NOW);
});
