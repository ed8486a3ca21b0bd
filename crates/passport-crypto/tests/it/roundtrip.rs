//! proptest: open(seal(x)) == x over arbitrary element sets, files of 0..256 KiB, 2048- and
//! 4096-bit keys, for every backend.

use std::sync::OnceLock;

use passport_crypto::Backend;
use passport_crypto::key::PrivateKey;
use passport_crypto::open::open;
use passport_crypto::seal::{ElementToSeal, FileToSeal, SealedPassport, seal};
use passport_crypto::tgauth_core::UnixTime;
use passport_types::decrypted::ElementData;
use passport_types::element::ElementType;
use proptest::prelude::*;
use rand_core::RngCore as _;

use crate::common::{rng, test_key, test_key_4096};

/// The committed keys, loaded once per backend (key generation is slow at 4096 bits).
fn keys(bits: usize) -> &'static [PrivateKey] {
    static KEYS_2048: OnceLock<Vec<PrivateKey>> = OnceLock::new();
    static KEYS_4096: OnceLock<Vec<PrivateKey>> = OnceLock::new();
    let (cell, load): (_, fn(Backend) -> PrivateKey) = match bits {
        2048 => (&KEYS_2048, test_key),
        _ => (&KEYS_4096, test_key_4096),
    };
    cell.get_or_init(|| {
        Backend::all()
            .iter()
            .map(|&backend| load(backend))
            .collect()
    })
}

/// Everything needed to build an element set deterministically.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    mask: Vec<bool>,
    text: Vec<String>,
    flags: Vec<bool>,
    sizes: Vec<usize>,
    seed: u64,
}

pub(crate) fn spec(max_file: usize) -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(any::<bool>(), 13),
        proptest::collection::vec("\\PC{0,16}", 8),
        proptest::collection::vec(any::<bool>(), 8),
        proptest::collection::vec(prop_oneof![4 => 0usize..600, 1 => 0usize..=max_file], 8),
        any::<u64>(),
    )
        .prop_map(|(mask, text, flags, sizes, seed)| Spec {
            mask,
            text,
            flags,
            sizes,
            seed,
        })
}

pub(crate) fn build(spec: &Spec) -> Vec<ElementToSeal> {
    let mut random = rng(spec.seed);
    let mut counter = 0usize;
    let mut file = |random: &mut rand_chacha::ChaCha20Rng| {
        let mut contents = vec![0u8; spec.sizes[counter % spec.sizes.len()]];
        random.fill_bytes(&mut contents);
        counter += 1;
        FileToSeal::new(
            format!("file-{counter}"),
            format!("unique-{counter}"),
            UnixTime(1_700_000_000),
            contents,
        )
    };
    let text = |index: usize| spec.text[index % spec.text.len()].clone();
    let flag = |index: usize| spec.flags[index % spec.flags.len()];
    let mut elements = Vec::new();
    for (index, kind) in ElementType::KNOWN.iter().enumerate() {
        if !spec.mask[index] {
            continue;
        }
        let mut element = ElementToSeal::new(kind.clone());
        if *kind == ElementType::PersonalDetails {
            let mut details = serde_json::json!({
                "first_name": text(0), "last_name": text(1), "birth_date": "01.02.1990",
                "gender": "female", "country_code": "DE", "residence_country_code": "FR",
            });
            if flag(0) {
                details["middle_name_native"] = text(2).into();
            }
            element.data = Some(serde_json::to_vec(&details).unwrap());
        } else if kind.is_identity_document() {
            let mut document = serde_json::json!({ "document_no": text(index) });
            if flag(index) {
                document["expiry_date"] = "31.12.2030".into();
            }
            element.data = Some(serde_json::to_vec(&document).unwrap());
            element.front_side = Some(file(&mut random));
            if kind.has_reverse_side() {
                element.reverse_side = Some(file(&mut random));
            }
            if flag(index + 1) {
                element.selfie = Some(file(&mut random));
            }
        } else if *kind == ElementType::Address {
            let address = serde_json::json!({
                "street_line1": text(3), "city": text(4), "country_code": "NL", "post_code": text(5),
            });
            element.data = Some(serde_json::to_vec(&address).unwrap());
        } else if kind.is_address_document() {
            let count = 1 + usize::from(flag(index));
            element.files = Some((0..count).map(|_| file(&mut random)).collect());
        } else if *kind == ElementType::PhoneNumber {
            element.phone_number = Some(text(6));
        } else {
            element.email = Some(text(7));
        }
        if kind.is_document() && flag(index + 2) {
            let count = 1 + usize::from(flag(index + 3));
            element.translation = Some((0..count).map(|_| file(&mut random)).collect());
        }
        elements.push(element);
    }
    elements
}

/// Opens `sealed` and checks that it gives back exactly `elements` and `nonce`.
pub(crate) fn assert_round_trip(
    key: &PrivateKey,
    nonce: &str,
    elements: &[ElementToSeal],
    sealed: &SealedPassport,
) {
    // The Bot API JSON survives serialization unchanged, as a bot would receive it.
    let json = serde_json::to_string(&sealed.passport_data).unwrap();
    let received = serde_json::from_str(&json).unwrap();
    let opened = open(key, &received).unwrap();
    assert_eq!(opened.nonce, nonce);
    assert_eq!(opened.elements.len(), elements.len());
    for (opened, input) in opened.elements.iter().zip(elements) {
        assert_eq!(opened.kind, input.kind);
        let expected_data = input
            .data
            .as_ref()
            .map(|json| ElementData::parse(&input.kind, json).unwrap());
        assert_eq!(opened.data, expected_data);
        assert_eq!(opened.phone_number, input.phone_number);
        assert_eq!(opened.email, input.email);
        let pairs = [
            (
                opened.front_side.iter().collect::<Vec<_>>(),
                input.front_side.iter().collect::<Vec<_>>(),
            ),
            (
                opened.reverse_side.iter().collect(),
                input.reverse_side.iter().collect(),
            ),
            (
                opened.selfie.iter().collect(),
                input.selfie.iter().collect(),
            ),
            (
                opened.files.iter().flatten().collect(),
                input.files.iter().flatten().collect(),
            ),
            (
                opened.translation.iter().flatten().collect(),
                input.translation.iter().flatten().collect(),
            ),
        ];
        for (opened_files, input_files) in pairs {
            assert_eq!(opened_files.len(), input_files.len());
            for (opened_file, input_file) in opened_files.into_iter().zip(input_files) {
                assert_eq!(opened_file.file.file_id, input_file.file_id);
                let ciphertext = sealed.files[&input_file.file_id].clone();
                assert_eq!(opened_file.file.file_size, ciphertext.len() as i64);
                assert_eq!(
                    opened_file.decrypt_vec(ciphertext).unwrap(),
                    input_file.contents
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(crate::common::proptest_config(24))]

    #[test]
    fn open_of_seal_is_identity_2048(spec in spec(256 * 1024), nonce in "\\PC{0,40}", seed: u64) {
        let elements = build(&spec);
        for key in keys(2048) {
            let sealed = seal(key.public_key(), &nonce, &elements, &mut rng(seed)).unwrap();
            assert_round_trip(key, &nonce, &elements, &sealed);
        }
    }
}

proptest! {
    // 4096-bit RSA is slow in the pure-Rust backend: few cases, small files.
    #![proptest_config(crate::common::proptest_config(4))]

    #[test]
    fn open_of_seal_is_identity_4096(spec in spec(4096), nonce in "[a-zA-Z0-9_-]{1,64}", seed: u64) {
        let elements = build(&spec);
        for key in keys(4096) {
            let sealed = seal(key.public_key(), &nonce, &elements, &mut rng(seed)).unwrap();
            assert_round_trip(key, &nonce, &elements, &sealed);
        }
    }
}

#[test]
fn sealing_is_reproducible_with_a_seeded_rng() {
    let spec = Spec {
        mask: vec![true; 13],
        text: vec!["a".to_owned()],
        flags: vec![true, false, true],
        sizes: vec![10, 100, 1000],
        seed: 5,
    };
    let elements = build(&spec);
    let key = &keys(2048)[0];
    let first = seal(key.public_key(), "n", &elements, &mut rng(1)).unwrap();
    let mut second = seal(key.public_key(), "n", &elements, &mut rng(1)).unwrap();
    if cfg!(not(feature = "rsa-backend")) {
        // aws-lc-rs draws its own OAEP seed: only the encrypted secret differs, and it opens
        // to the same secret.
        assert_ne!(
            first.passport_data.credentials.secret,
            second.passport_data.credentials.secret
        );
        assert_round_trip(key, "n", &elements, &second);
        second.passport_data.credentials.secret = first.passport_data.credentials.secret.clone();
    }
    assert_eq!(first, second);
    let third = seal(key.public_key(), "n", &elements, &mut rng(2)).unwrap();
    assert_ne!(first.passport_data, third.passport_data);
}
