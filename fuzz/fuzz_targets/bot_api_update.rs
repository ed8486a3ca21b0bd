//! Bot API update JSON, as a webhook or `getUpdates` delivers it: any bytes deserialize into an
//! `Update` or fail with an error, never a panic.
#![no_main]

use bot_api_client::types::Update;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(update) = serde_json::from_slice::<Update>(data) {
        // What parsed is used: its `Debug` form (logged at trace level) must not panic either.
        let _ = format!("{update:?}");
    }
});
