//! Arbitrary bytes into every parser and decryptor give errors, never panics.

use passport_crypto::file::{FileKey, decrypt_stream, decrypt_vec};
use passport_crypto::key::{PrivateKey, PublicKey};
use passport_crypto::open::{open, open_credentials};
use passport_crypto::{Backend, Error};
use passport_types::received::{EncryptedCredentials, PassportData};
use proptest::prelude::*;

use crate::common::{b64, ptb_passport, test_key};

fn key() -> &'static PrivateKey {
    &keys()[0]
}

/// The test key in every compiled-in backend, default first.
fn keys() -> &'static [PrivateKey] {
    static KEYS: std::sync::OnceLock<Vec<PrivateKey>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        Backend::all()
            .iter()
            .map(|&backend| test_key(backend))
            .collect()
    })
}

/// The real vector's key in the default backend.
fn ptb_key() -> &'static PrivateKey {
    static KEY: std::sync::OnceLock<PrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| crate::common::ptb_key(Backend::default()))
}

/// The nearest char boundary at or before `index` (`str::floor_char_boundary` needs Rust 1.91).
fn char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

proptest! {
    #![proptest_config(crate::common::proptest_config(256))]

    #[test]
    fn arbitrary_pem_text(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = PrivateKey::from_pem(&text);
        let _ = PublicKey::from_pem(&text);
        for label in ["RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY"] {
            let pem = format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", b64(&bytes));
            let _ = PrivateKey::from_encrypted_pem(&pem, b"password");
            let _ = PublicKey::from_pem(&pem);
        }
        let _ = PublicKey::from_spki_der(&bytes);
        let _ = PrivateKey::from_pkcs8_der_with(&bytes, Backend::default());
        let _ = PrivateKey::from_pkcs1_der_with(&bytes, Backend::default());
    }

    #[test]
    fn arbitrary_file_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000), secret: [u8; 32], hash: [u8; 32]) {
        let key = FileKey::new(&secret, &hash).unwrap();
        let result = decrypt_vec(&key, bytes.clone());
        prop_assert!(result.is_err());
        let mut output = Vec::new();
        let streamed = decrypt_stream(&key, &mut bytes.as_slice(), &mut output);
        prop_assert!(streamed.is_err());
    }

    #[test]
    fn arbitrary_credentials(data in proptest::collection::vec(any::<u8>(), 0..300),
                             hash in proptest::collection::vec(any::<u8>(), 0..40),
                             secret in proptest::collection::vec(any::<u8>(), 0..300),
                             raw in "\\PC{0,40}") {
        // Arbitrary RSA ciphertexts reach every backend's OAEP decoding: none may panic, and all
        // fail the same way.
        for key in keys() {
            for credentials in [
                EncryptedCredentials { data: b64(&data), hash: b64(&hash), secret: b64(&secret) },
                EncryptedCredentials { data: raw.clone(), hash: raw.clone(), secret: raw.clone() },
            ] {
                let result = open_credentials(key, &credentials);
                prop_assert!(matches!(result, Err(Error::CredentialsUndecryptable)));
            }
        }
    }

    #[test]
    fn arbitrary_passport_json(json in "\\PC{0,300}") {
        if let Ok(passport) = serde_json::from_str::<PassportData>(&json) {
            prop_assert!(open(key(), &passport).is_err());
        }
    }

    /// Random text rarely parses as `PassportData`; splicing it into the real vector's JSON
    /// reaches `open` with almost-valid input, which must never panic.
    #[test]
    fn spliced_passport_json(at in 0usize..10_000, cut in 0usize..64, insert in "\\PC{0,24}") {
        let json = serde_json::to_string(&ptb_passport()).unwrap();
        let start = char_boundary(&json, at % json.len());
        let end = char_boundary(&json, (start + cut).min(json.len()));
        let spliced = format!("{}{insert}{}", &json[..start], &json[end..]);
        if let Ok(passport) = serde_json::from_str::<PassportData>(&spliced) {
            let _ = open(ptb_key(), &passport);
        }
    }

    /// Elements with arbitrary data, files and types next to real credentials never panic.
    #[test]
    fn arbitrary_elements_with_real_credentials(
        index in 0usize..5,
        data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        kind in "[a-z_]{1,20}",
    ) {
        let key = crate::common::ptb_key(Backend::default());
        let mut passport = ptb_passport();
        passport.data[index].data = data.map(|data| b64(&data));
        let _ = open(&key, &passport);
        passport.data[index].kind = kind.as_str().into();
        let _ = open(&key, &passport);
    }
}
