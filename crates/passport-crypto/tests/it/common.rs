//! Shared helpers: test data, keys per backend, raw blob encryption and the `per_backend!`
//! macro that runs one test function once per compiled-in backend (as rustls does per provider).

use std::path::PathBuf;
use std::sync::OnceLock;

use aes::Aes256;
use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use passport_crypto::Backend;
use passport_crypto::key::PrivateKey;
use passport_types::received::PassportData;
use sha2::{Digest, Sha256, Sha512};

/// Generates one `#[test]` per backend for each listed function taking a [`Backend`].
macro_rules! per_backend {
    ($($test:ident),* $(,)?) => {
        #[cfg(feature = "aws-lc-rs")]
        mod aws_lc_rs {
            $(#[test] fn $test() { super::$test(passport_crypto::Backend::AwsLcRs) })*
        }
        #[cfg(feature = "rsa-backend")]
        mod rsa {
            $(#[test] fn $test() { super::$test(passport_crypto::Backend::RustCrypto) })*
        }
    };
}

pub(crate) fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data")
        .join(name)
}

pub(crate) fn read_text(name: &str) -> String {
    std::fs::read_to_string(data_path(name)).unwrap()
}

/// The real python-telegram-bot vector file.
pub(crate) fn ptb() -> &'static serde_json::Value {
    static PTB: OnceLock<serde_json::Value> = OnceLock::new();
    PTB.get_or_init(|| serde_json::from_str(&read_text("ptb-passport.json")).unwrap())
}

pub(crate) fn ptb_passport() -> PassportData {
    serde_json::from_value(ptb()["passport_data"].clone()).unwrap()
}

pub(crate) fn ptb_key(backend: Backend) -> PrivateKey {
    let pem = ptb()["private_key_pem"].as_str().unwrap();
    PrivateKey::from_pem(pem)
        .unwrap()
        .with_backend(backend)
        .unwrap()
}

/// The committed 2048-bit test key.
pub(crate) fn test_key(backend: Backend) -> PrivateKey {
    PrivateKey::from_pem(&read_text("test-key.pem"))
        .unwrap()
        .with_backend(backend)
        .unwrap()
}

/// The committed 4096-bit test key.
pub(crate) fn test_key_4096(backend: Backend) -> PrivateKey {
    PrivateKey::from_pem(&read_text("test-key-4096.pem"))
        .unwrap()
        .with_backend(backend)
        .unwrap()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn unb64(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

/// Encrypts an already padded plaintext exactly as the spec says, with no checks, so tests
/// can build blobs with invalid padding. Returns `(ciphertext, hash)`.
pub(crate) fn encrypt_raw(secret: &[u8], plaintext: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let hash: [u8; 32] = Sha256::digest(plaintext).into();
    let digest = Sha512::new()
        .chain_update(secret)
        .chain_update(hash)
        .finalize();
    let encryptor = cbc::Encryptor::<Aes256>::new((&digest[..32]).into(), (&digest[32..48]).into());
    let mut buffer = plaintext.to_vec();
    let length = buffer.len();
    encryptor
        .encrypt_padded_mut::<NoPadding>(&mut buffer, length)
        .unwrap();
    (buffer, hash)
}

/// A seeded ChaCha RNG.
pub(crate) fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_core::SeedableRng::seed_from_u64(seed)
}

/// The shared seeded proptest configuration, with this crate's own seed so that every run
/// checks the same cases as before the shared support existed.
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    tgauth_tests::proptest_config_with_seed(cases, 0x7061_7373_706f_7274)
}
