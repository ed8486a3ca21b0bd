//! Telegram Passport data opened with the committed test key: any `passport_data` JSON opens or
//! fails with an error, never a panic. The credentials of the committed sample (decrypted once)
//! also open whatever elements the input carries, so element matching and blob decryption are
//! reached without the fuzzer having to forge RSA-OAEP.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use passport_crypto::key::PrivateKey;
use passport_crypto::open::{open, open_credentials, open_with_credentials};
use passport_types::decrypted::Credentials;
use passport_types::received::PassportData;

static KEY: LazyLock<PrivateKey> = LazyLock::new(|| {
    PrivateKey::from_pem(include_str!(
        "../../crates/passport-crypto/tests/it/data/test-key.pem"
    ))
    .expect("the committed test key loads")
});

static SAMPLE_CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| {
    let message: serde_json::Value = serde_json::from_str(include_str!(
        "../../crates/passport-crypto/tests/it/data/sample-passport.json"
    ))
    .expect("the committed sample is JSON");
    let passport: PassportData = serde_json::from_value(message["passport_data"].clone())
        .expect("the committed sample holds passport_data");
    open_credentials(&KEY, &passport.credentials).expect("the sample opens with the test key")
});

fuzz_target!(|data: &[u8]| {
    let Ok(passport) = serde_json::from_slice::<PassportData>(data) else {
        return;
    };
    if let Ok(opened) = open(&KEY, &passport) {
        let _ = opened.check_nonce("fuzz-nonce");
    }
    if let Ok(opened) = open_with_credentials(&SAMPLE_CREDENTIALS, &passport) {
        let _ = opened.check_nonce("fuzz-nonce");
    }
});
