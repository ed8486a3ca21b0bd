//! Login Widget data in each form it arrives in (a query string, a full callback URL, JSON,
//! the `tgAuthResult` fragment, form fields) checked by a widget verifier with a fixed token at
//! a fixed time. The first byte picks the form; none may panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use login_widget::tgauth_core::{BotToken, UnixTime};
use login_widget::widget::{DataFormat, WidgetVerifier};

/// The token of the committed vectors (`@BotFather`'s documentation example).
const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

/// A moment shortly after the vectors' `auth_date`s.
const NOW: UnixTime = UnixTime(1_700_000_100);

static VERIFIER: LazyLock<WidgetVerifier> = LazyLock::new(|| {
    let token = BotToken::new(TOKEN).expect("the vectors' token is well formed");
    WidgetVerifier::new(&token)
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let verifier = &*VERIFIER;
    let _ = match selector % 6 {
        0 => verifier.verify_query(text, NOW),
        1 => verifier.verify_url(text, NOW),
        2 => verifier.verify_json(text, NOW),
        3 => verifier.verify_tg_auth_result(text, NOW),
        4 => {
            // Form fields as a server framework hands them over, already decoded: here one
            // `name=value` a line, so that names and values may hold any other character.
            let pairs = text
                .lines()
                .map(|line| line.split_once('=').unwrap_or((line, "")));
            verifier.verify_pairs(pairs, NOW)
        }
        _ => verifier.verify(text, DataFormat::Auto, NOW),
    };
});
