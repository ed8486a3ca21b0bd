//! Criterion benchmarks of passport-crypto, with references measured in the same run.
//!
//! - `passport_open/rsa2048_5_elements/<backend>`, `passport_open/rsa4096_5_elements/<backend>`:
//!   open PassportData holding credentials and 5 data elements;
//!   `passport_open/elements_only_5_elements`: the same without the RSA step and credentials.
//! - `file_decrypt/1MiB`, `file_decrypt/16MiB`: decrypt and verify a file in memory, in place.
//! - `file_decrypt_stream/16MiB`: the streaming path, into `io::sink()`.
//! - `reference/rsa_oaep_decrypt/<bits>/<backend>`: the RSA step alone;
//!   `reference/sha256/16MiB`: SHA-256 alone (the crate's `sha2`), the bound on file decryption;
//!   `reference/sha256_aws_lc/16MiB`: the same with AWS-LC; `reference/aes256cbc_decrypt/16MiB`:
//!   AES-256-CBC decryption alone.
//!
//! Compare with `openssl speed rsa2048` and `openssl speed -evp sha256` run on the same machine.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use passport_crypto::Backend;
use passport_crypto::file::{FileKey, decrypt_in_place, decrypt_stream};
use passport_crypto::key::PrivateKey;
use passport_crypto::open::{open, open_credentials, open_with_credentials};
use passport_crypto::seal::{ElementToSeal, seal, seal_file};
use passport_types::element::ElementType;
use rand_core::SeedableRng as _;
use sha2::{Digest, Sha256};

const KEY_2048: &str = include_str!("../tests/it/data/test-key.pem");
const KEY_4096: &str = include_str!("../tests/it/data/test-key-4096.pem");
const MIB: usize = 1024 * 1024;

fn five_elements() -> Vec<ElementToSeal> {
    let data = |kind: ElementType, json: &str| {
        let mut element = ElementToSeal::new(kind);
        element.data = Some(json.as_bytes().to_vec());
        element
    };
    vec![
        data(
            ElementType::PersonalDetails,
            r#"{"first_name":"Ada","last_name":"Lovelace","birth_date":"10.12.1815","gender":"female","country_code":"GB","residence_country_code":"GB"}"#,
        ),
        data(
            ElementType::Passport,
            r#"{"document_no":"P1234567","expiry_date":"01.01.2030"}"#,
        ),
        data(ElementType::DriverLicense, r#"{"document_no":"D7654321"}"#),
        data(ElementType::IdentityCard, r#"{"document_no":"I0000001"}"#),
        data(
            ElementType::Address,
            r#"{"street_line1":"1 Main St","city":"London","country_code":"GB","post_code":"N1"}"#,
        ),
    ]
}

fn passport_open(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("passport_open");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    for (name, pem) in [
        ("rsa2048_5_elements", KEY_2048),
        ("rsa4096_5_elements", KEY_4096),
    ] {
        let base = PrivateKey::from_pem(pem).expect("committed test key");
        let sealed = seal(base.public_key(), "nonce", &five_elements(), &mut rng).expect("seal");
        for &backend in Backend::all() {
            let key = base.with_backend(backend).expect("backend");
            group.bench_function(BenchmarkId::new(name, backend.name()), |bench| {
                bench.iter(|| open(&key, black_box(&sealed.passport_data)).expect("open"));
            });
        }
        if name == "rsa2048_5_elements" {
            // Everything but the RSA step: the credentials blob is decrypted once, outside.
            let credentials =
                open_credentials(&base, &sealed.passport_data.credentials).expect("credentials");
            group.bench_function("elements_only_5_elements", |bench| {
                bench.iter(|| {
                    open_with_credentials(&credentials, black_box(&sealed.passport_data))
                        .expect("open")
                });
            });
        }
    }
    group.finish();
}

fn file_decrypt(criterion: &mut Criterion) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let mut group = criterion.benchmark_group("file_decrypt");
    for (name, size) in [("1MiB", MIB), ("16MiB", 16 * MIB)] {
        let (credentials, ciphertext) = seal_file(&vec![7u8; size], &mut rng);
        let key = FileKey::from_base64(&credentials.secret, &credentials.file_hash).expect("key");
        group.throughput(Throughput::Bytes(ciphertext.len() as u64));
        group.bench_function(name, |bench| {
            bench.iter_batched_ref(
                || ciphertext.clone(),
                |buffer| {
                    decrypt_in_place(&key, buffer)
                        .map(|payload| payload.len())
                        .expect("open")
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();

    let (credentials, ciphertext) = seal_file(&vec![7u8; 16 * MIB], &mut rng);

    let key = FileKey::from_base64(&credentials.secret, &credentials.file_hash).expect("key");
    let mut group = criterion.benchmark_group("file_decrypt_stream");
    group.throughput(Throughput::Bytes(ciphertext.len() as u64));
    group.bench_function("16MiB", |bench| {
        bench.iter(|| {
            decrypt_stream(&key, &mut ciphertext.as_slice(), &mut std::io::sink()).expect("open")
        });
    });
    group.finish();

    let mut group = criterion.benchmark_group("reference");
    group.throughput(Throughput::Bytes(ciphertext.len() as u64));
    group.bench_function("sha256/16MiB", |bench| {
        bench.iter(|| Sha256::digest(black_box(&ciphertext)));
    });
    #[cfg(feature = "aws-lc-rs")]
    group.bench_function("sha256_aws_lc/16MiB", |bench| {
        bench
            .iter(|| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, black_box(&ciphertext)));
    });
    group.bench_function("aes256cbc_decrypt/16MiB", |bench| {
        use aes::cipher::{BlockDecryptMut as _, KeyIvInit as _, block_padding::NoPadding};
        bench.iter_batched_ref(
            || ciphertext.clone(),
            |buffer| {
                cbc::Decryptor::<aes::Aes256>::new(&[1; 32].into(), &[2; 16].into())
                    .decrypt_padded_mut::<NoPadding>(buffer)
                    .map(<[u8]>::len)
                    .expect("whole blocks")
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn rsa_reference(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("reference");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    for (bits, pem) in [("2048", KEY_2048), ("4096", KEY_4096)] {
        let base = PrivateKey::from_pem(pem).expect("committed test key");
        // An empty passport: what is left is the RSA step and one small blob.
        let sealed = seal(base.public_key(), "n", &[], &mut rng).expect("seal");
        for &backend in Backend::all() {
            let key = base.with_backend(backend).expect("backend");
            let id = BenchmarkId::new(format!("rsa_oaep_decrypt/{bits}"), backend.name());
            group.bench_function(id, |bench| {
                bench.iter(|| open(&key, black_box(&sealed.passport_data)).expect("open"));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, passport_open, file_decrypt, rsa_reference);
criterion_main!(benches);
