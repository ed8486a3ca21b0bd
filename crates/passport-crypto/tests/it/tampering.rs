//! Every tampering gives the right error and never panics: flipped bits in secret, hash and
//! ciphertext, truncation, bad padding, wrong key, and mismatches between elements and their
//! credentials. All messages are snapshotted.

use passport_crypto::open::{open, open_credentials, open_with_credentials};
use passport_crypto::seal::{ElementToSeal, FileToSeal, SealedPassport, seal};
use passport_crypto::tgauth_core::UnixTime;
use passport_crypto::{Backend, Error, Location, Part};
use passport_types::decrypted::{Credentials, FileCredentials, SecureValue};
use passport_types::element::ElementType;
use passport_types::received::PassportData;
use proptest::prelude::*;
use tgauth_tests::cause_chain;

use crate::common::{b64, encrypt_raw, ptb_key, ptb_passport, rng, test_key, unb64};

/// A sealed passport with every element kind and a few files, from the 2048-bit test key.
fn sample(backend: Backend) -> (SealedPassport, Credentials) {
    let key = test_key(backend);
    let file =
        |id: &str| FileToSeal::new(id, format!("u-{id}"), UnixTime(1), id.as_bytes().repeat(40));
    let mut personal = ElementToSeal::new(ElementType::PersonalDetails);
    personal.data = Some(br#"{"first_name":"A","last_name":"B"}"#.to_vec());
    let mut passport = ElementToSeal::new(ElementType::Passport);
    passport.data = Some(br#"{"document_no":"X"}"#.to_vec());
    passport.front_side = Some(file("front"));
    passport.selfie = Some(file("selfie"));
    passport.translation = Some(vec![file("t1"), file("t2")]);
    let mut bill = ElementToSeal::new(ElementType::UtilityBill);
    bill.files = Some(vec![file("f1"), file("f2")]);
    let mut email = ElementToSeal::new(ElementType::Email);
    email.email = Some("a@example.com".to_owned());
    let sealed = seal(
        key.public_key(),
        "nonce",
        &[personal, passport, bill, email],
        &mut rng(3),
    )
    .unwrap();
    let credentials = open_credentials(&key, &sealed.passport_data.credentials).unwrap();
    (sealed, credentials)
}

fn flip(text: &str, bit: usize) -> String {
    let mut bytes = unb64(text);
    let length = bytes.len();
    bytes[(bit / 8) % length] ^= 1 << (bit % 8);
    b64(&bytes)
}

fn is_undecryptable(result: Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::CredentialsUndecryptable))
}

/// Collects error messages (with their cause chains) for the snapshot.
struct Messages(Vec<String>);

impl Messages {
    fn push(&mut self, case: &str, error: &Error) {
        self.0.push(format!("{case}:\n  {}", cause_chain(error)));
    }
}

fn credential_tampering(backend: Backend) {
    let (sealed, _) = sample(backend);
    let key = test_key(backend);
    let original = &sealed.passport_data;
    for bit in [0, 7, 100, 2047] {
        let mut passport = original.clone();
        passport.credentials.secret = flip(&passport.credentials.secret, bit);
        assert!(is_undecryptable(open(&key, &passport)), "secret bit {bit}");
        let mut passport = original.clone();
        passport.credentials.hash = flip(&passport.credentials.hash, bit);
        assert!(is_undecryptable(open(&key, &passport)), "hash bit {bit}");
        let mut passport = original.clone();
        passport.credentials.data = flip(&passport.credentials.data, bit);
        assert!(is_undecryptable(open(&key, &passport)), "data bit {bit}");
    }
    for cut in [1, 16, 32] {
        let mut passport = original.clone();
        let data = unb64(&passport.credentials.data);
        passport.credentials.data = b64(&data[..data.len() - cut]);
        assert!(
            is_undecryptable(open(&key, &passport)),
            "truncated by {cut}"
        );
    }
    let mut passport = original.clone();
    passport.credentials.secret = "not base64".to_owned();
    assert!(is_undecryptable(open(&key, &passport)));
    // Wrong key, both directions.
    assert!(is_undecryptable(open(&ptb_key(backend), original)));
    assert!(is_undecryptable(open(&key, &ptb_passport())));
}

/// The length of the padding prefix [`with_credentials_json`] puts before `json`.
fn prefix_length(json: &[u8]) -> usize {
    64 - json.len() % 16
}

/// `passport` with its credentials replaced by `json` behind a padding prefix of
/// [`prefix_length`] bytes whose first byte is `padding` (right or not), encrypted exactly as the
/// spec says.
fn with_credentials_json(
    key: &passport_crypto::key::PrivateKey,
    mut passport: PassportData,
    json: &[u8],
    padding: u8,
) -> PassportData {
    let mut plaintext = vec![padding; prefix_length(json)];
    plaintext.extend_from_slice(json);
    let secret = [5u8; 32];
    let (ciphertext, hash) = encrypt_raw(&secret, &plaintext);
    let encrypted_secret =
        passport_crypto::seal::encrypt_secret(key.public_key(), &secret, &mut rng(1)).unwrap();
    passport.credentials.data = b64(&ciphertext);
    passport.credentials.hash = b64(&hash);
    passport.credentials.secret = b64(&encrypted_secret);
    passport
}

fn credentials_with_bad_padding(backend: Backend) {
    // Credentials that decrypt and verify but whose padding is bad still read the same.
    let key = test_key(backend);
    let (sealed, _) = sample(backend);
    let json = br#"{"secure_data":{},"nonce":"n"}"#;
    let right = u8::try_from(prefix_length(json)).unwrap();
    let good = with_credentials_json(&key, sealed.passport_data.clone(), json, right);
    let credentials = open_credentials(&key, &good.credentials).unwrap();
    assert_eq!(credentials.nonce, "n");
    for padding in [16u8, 31, 255] {
        let passport = with_credentials_json(&key, sealed.passport_data.clone(), json, padding);
        assert!(is_undecryptable(open(&key, &passport)), "padding {padding}");
    }
}

fn legacy_payload_nonce(backend: Backend) {
    // Clients before Passport 1.1 send the nonce as `payload`; everything else opens the same.
    let key = test_key(backend);
    let (sealed, credentials) = sample(backend);
    let mut json = serde_json::to_value(&credentials).unwrap();
    let object = json.as_object_mut().unwrap();
    let nonce = object.remove("nonce").unwrap();
    object.insert("payload".to_owned(), nonce);
    let json = serde_json::to_vec(&json).unwrap();
    let padding = u8::try_from(prefix_length(&json)).unwrap();
    let passport = with_credentials_json(&key, sealed.passport_data.clone(), &json, padding);
    let opened = open(&key, &passport).unwrap();
    opened.check_nonce("nonce").unwrap();
    assert_eq!(opened, open(&key, &sealed.passport_data).unwrap());
}

fn element_tampering(backend: Backend) {
    let (sealed, credentials) = sample(backend);
    let original = &sealed.passport_data;
    let mut messages = Messages(Vec::new());
    let data_location = Location::element(&ElementType::PersonalDetails, Part::Data);

    let mut passport = original.clone();
    let data = passport.data[0].data.as_mut().unwrap();
    *data = flip(data, 77);
    let error = open_with_credentials(&credentials, &passport).unwrap_err();
    assert!(matches!(&error, Error::HashMismatch { location } if *location == data_location));
    messages.push("flipped data bit", &error);

    let mut passport = original.clone();
    let data = passport.data[0].data.as_mut().unwrap();
    let bytes = unb64(data);
    *data = b64(&bytes[..bytes.len() - 1]);
    let error = open_with_credentials(&credentials, &passport).unwrap_err();
    assert!(matches!(error, Error::CiphertextLength { .. }));
    messages.push("data truncated by one byte", &error);

    let mut passport = original.clone();
    passport.data[0].data = Some("!!".to_owned());
    let error = open_with_credentials(&credentials, &passport).unwrap_err();
    messages.push("data not base64", &error);

    let tweak = |change: &dyn Fn(&mut SecureValue)| {
        let mut credentials = credentials.clone();
        let mut value = credentials
            .secure_data
            .remove(&ElementType::PersonalDetails)
            .unwrap();
        change(&mut value);
        credentials
            .secure_data
            .insert(ElementType::PersonalDetails, value);
        open_with_credentials(&credentials, original)
    };
    let error = tweak(&|value| {
        let data = value.data.as_mut().unwrap();
        data.secret = flip(&data.secret, 3);
    })
    .unwrap_err();
    assert!(matches!(error, Error::HashMismatch { .. }));
    messages.push("flipped data secret bit", &error);
    let error = tweak(&|value| {
        let data = value.data.as_mut().unwrap();
        data.data_hash = flip(&data.data_hash, 200);
    })
    .unwrap_err();
    assert!(matches!(error, Error::HashMismatch { .. }));
    messages.push("flipped data hash bit", &error);
    let error = tweak(&|value| value.data.as_mut().unwrap().data_hash = b64(&[1; 20])).unwrap_err();
    messages.push("short data hash", &error);
    let error = tweak(&|value| value.data = None).unwrap_err();
    messages.push("data credentials missing", &error);

    // Element/credentials mismatches.
    let with = |change: &dyn Fn(&mut Credentials, &mut PassportData)| {
        let mut credentials = credentials.clone();
        let mut passport = original.clone();
        change(&mut credentials, &mut passport);
        open_with_credentials(&credentials, &passport).unwrap_err()
    };
    let error = with(&|credentials, _| {
        credentials.secure_data.remove(&ElementType::Passport);
    });
    assert!(matches!(error, Error::MissingCredentials { .. }));
    messages.push("credentials entry missing", &error);
    let error = with(&|credentials, _| {
        credentials
            .secure_data
            .insert(ElementType::IdentityCard, SecureValue::default());
    });
    assert!(matches!(error, Error::SurplusCredentials { .. }));
    messages.push("surplus credentials entry", &error);
    let error = with(&|credentials, _| {
        let mut value = credentials
            .secure_data
            .remove(&ElementType::UtilityBill)
            .unwrap();
        value.files.as_mut().unwrap().pop();
        credentials
            .secure_data
            .insert(ElementType::UtilityBill, value);
    });
    assert!(matches!(
        error,
        Error::FileCount {
            files: 2,
            credentials: 1,
            ..
        }
    ));
    messages.push("fewer file credentials than files", &error);
    let error = with(&|credentials, _| {
        let mut value = credentials
            .secure_data
            .remove(&ElementType::Passport)
            .unwrap();
        value.translation.as_mut().unwrap().push(FileCredentials {
            file_hash: b64(&[0; 32]),
            secret: b64(&[0; 32]),
        });
        credentials.secure_data.insert(ElementType::Passport, value);
    });
    assert!(matches!(
        error,
        Error::FileCount {
            files: 2,
            credentials: 3,
            ..
        }
    ));
    messages.push("more translation credentials than files", &error);
    let error = with(&|credentials, _| {
        let mut value = credentials
            .secure_data
            .remove(&ElementType::Passport)
            .unwrap();
        value.selfie = None;
        credentials.secure_data.insert(ElementType::Passport, value);
    });
    assert!(matches!(error, Error::PartMismatch { .. }));
    messages.push("selfie without credentials", &error);
    let error = with(&|_, passport| passport.data[1].selfie = None);
    messages.push("selfie credentials without selfie", &error);
    let error = with(&|_, passport| passport.data[3].data = Some(b64(&[0; 32])));
    assert!(matches!(error, Error::ElementShape { .. }));
    messages.push("email with data", &error);
    let error = with(&|_, passport| passport.data[0].data = None);
    messages.push("personal details without data", &error);
    let error = with(&|_, passport| passport.data[3].email = None);
    messages.push("email element without email", &error);
    let error = with(&|_, passport| {
        let copy = passport.data[3].clone();
        passport.data.push(copy);
    });
    assert!(matches!(error, Error::DuplicateElement { .. }));
    messages.push("element sent twice", &error);
    let error = with(&|_, passport| {
        let front = passport.data[1].front_side.clone();
        passport.data[2].front_side = front;
    });
    messages.push("front side on a utility bill", &error);

    // Tampered file bytes after download.
    let opened = open_with_credentials(&credentials, original).unwrap();
    let front = opened.elements[1].front_side.as_ref().unwrap();
    let mut bytes = sealed.files["front"].clone();
    bytes[5] ^= 0x80;
    let error = front.decrypt_vec(bytes).unwrap_err();
    messages.push("downloaded file tampered", &error);
    let error = opened.elements[2].files.as_ref().unwrap()[1]
        .decrypt_vec(sealed.files["f2"][..32].to_vec())
        .unwrap_err();
    messages.push("downloaded file truncated", &error);

    // The credentials failure itself.
    let mut passport = original.clone();
    passport.credentials.hash = flip(&passport.credentials.hash, 1);
    messages.push(
        "credentials tampered",
        &open(&test_key(backend), &passport).unwrap_err(),
    );
    let error = Credentials::parse(b"{\"secure_data\":{}}").unwrap_err();
    messages.push(
        "credentials without nonce",
        &Error::CredentialsInvalid(error),
    );

    insta::assert_snapshot!("tampering_errors", messages.0.join("\n"));
}

per_backend!(
    credential_tampering,
    credentials_with_bad_padding,
    legacy_payload_nonce,
    element_tampering
);

#[test]
fn streamed_file_errors_name_the_file() {
    use passport_crypto::file::decrypt_stream;

    let (sealed, credentials) = sample(Backend::default());
    let opened = open_with_credentials(&credentials, &sealed.passport_data).unwrap();
    let selfie = opened.elements[1].selfie.as_ref().unwrap();
    let key = selfie.key().unwrap();
    let mut plain = Vec::new();
    decrypt_stream(&key, &mut sealed.files["selfie"].as_slice(), &mut plain).unwrap();
    assert_eq!(plain, b"selfie".repeat(40));
    let mut bytes = sealed.files["selfie"].clone();
    bytes[0] ^= 1;
    let error = decrypt_stream(&key, &mut bytes.as_slice(), &mut std::io::sink()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "passport selfie: hash of the decrypted data does not match its credentials"
    );
}

#[test]
fn unknown_element_types_pass_through() {
    let (sealed, credentials) = sample(Backend::default());
    let mut passport = sealed.passport_data.clone();
    passport
        .data
        .push(serde_json::from_str(r#"{"type":"future_thing","hash":"aA=="}"#).unwrap());
    let opened = open_with_credentials(&credentials, &passport).unwrap();
    assert_eq!(
        opened.elements.last().unwrap().kind.as_str(),
        "future_thing"
    );
}

proptest! {
    #![proptest_config(crate::common::proptest_config(32))]

    /// A flipped bit anywhere in an element's data or a file gives a typed error, never a panic,
    /// and the credentials failure always reads the same.
    #[test]
    fn any_flipped_bit_is_detected(bit in 0usize..100_000, part in 0usize..5) {
        let (sealed, credentials) = sample(Backend::default());
        let mut passport = sealed.passport_data.clone();
        match part {
            0 => passport.credentials.secret = flip(&passport.credentials.secret, bit),
            1 => passport.credentials.hash = flip(&passport.credentials.hash, bit),
            2 => passport.credentials.data = flip(&passport.credentials.data, bit),
            3 => {
                let data = passport.data[1].data.as_mut().unwrap();
                *data = flip(data, bit);
                let error = open_with_credentials(&credentials, &passport).unwrap_err();
                let is_hash_mismatch = matches!(error, Error::HashMismatch { .. });
                prop_assert!(is_hash_mismatch);
                return Ok(());
            }
            _ => {
                let opened = open_with_credentials(&credentials, &passport).unwrap();
                let file = &opened.elements[2].files.as_ref().unwrap()[0];
                let mut bytes = sealed.files["f1"].clone();
                let length = bytes.len();
                bytes[(bit / 8) % length] ^= 1 << (bit % 8);
                let is_hash_mismatch = matches!(file.decrypt_vec(bytes), Err(Error::HashMismatch { .. }));
                prop_assert!(is_hash_mismatch);
                return Ok(());
            }
        }
        // The credentials failure reads the same in every backend.
        for &backend in Backend::all() {
            prop_assert!(is_undecryptable(open(&test_key(backend), &passport)), "{}", backend.name());
        }
    }
}
