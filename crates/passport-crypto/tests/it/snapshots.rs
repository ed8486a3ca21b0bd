//! Snapshots of decrypted fixtures and of scope checks.

use passport_crypto::Backend;
use passport_crypto::open::open;
use passport_crypto::scope_check::check_scope;
use passport_crypto::tgauth_core::{UnixTime, UserId};
use passport_types::element::ElementType;
use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne};
use tgauth_tests::cause_chain;

use crate::common::{ptb_key, ptb_passport};

/// 2026-11-21 00:00:00 UTC.
const NOW: UnixTime = UnixTime(1_795_219_200);

#[test]
fn decrypted_real_vector() {
    for &backend in Backend::all() {
        let opened = open(&ptb_key(backend), &ptb_passport()).unwrap();
        insta::assert_json_snapshot!("ptb_passport_opened", opened);
    }
}

#[test]
fn scope_check_of_real_vector() {
    let opened = open(&ptb_key(Backend::default()), &ptb_passport()).unwrap();
    let scope = PassportScope::new(vec![
        ScopeElementOne::new(ElementType::PersonalDetails)
            .with_native_names()
            .into(),
        ScopeElement::from(ElementType::DriverLicense)
            .with_selfie()
            .with_translation(),
        ScopeElement::one_of([ElementType::BankStatement, ElementType::UtilityBill])
            .with_translation(),
        ElementType::Address.into(),
        ElementType::Email.into(),
        ElementType::PhoneNumber.into(),
        ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]),
    ]);
    scope.validate().unwrap();
    let check = check_scope(&scope, &opened, NOW);
    assert!(!check.is_satisfied());
    // The only problem with what was sent: the driver licence expired on 01.01.2001.
    insta::assert_json_snapshot!("ptb_scope_errors", check.errors);
    insta::assert_debug_snapshot!("ptb_scope_missing", check.missing);

    // Before the expiry date, and without the absent elements, the passport satisfies it.
    let scope = PassportScope::new(scope.data[..5].to_vec());
    assert!(check_scope(&scope, &opened, UnixTime(978_220_800)).is_satisfied());
}

#[test]
fn scope_check_finds_empty_fields_and_missing_parts() {
    let mut opened = open(&ptb_key(Backend::default()), &ptb_passport()).unwrap();
    for element in &mut opened.elements {
        match &mut element.data {
            Some(passport_types::decrypted::ElementData::PersonalDetails(details)) => {
                details.first_name.clear();
                details.gender = " ".to_owned();
            }
            Some(passport_types::decrypted::ElementData::Address(address)) => {
                address.post_code.clear();
            }
            Some(passport_types::decrypted::ElementData::IdDocument(document)) => {
                document.expiry_date = Some("31.02.20x1".to_owned());
            }
            None => {}
        }
        element.selfie = None;
        element.reverse_side = None;
        element.files = element.files.take().map(|_| Vec::new());
    }
    let scope = PassportScope::new(vec![
        ElementType::PersonalDetails.into(),
        ScopeElement::from(ElementType::DriverLicense).with_selfie(),
        ElementType::UtilityBill.into(),
        ElementType::Address.into(),
    ]);
    let check = check_scope(&scope, &opened, NOW);
    assert!(check.missing.is_empty());
    insta::assert_json_snapshot!("scope_errors_fields_and_parts", check.errors);
}

/// Telegram apps (TDLib) send a document without an expiry date as `"expiry_date": ""`: that is
/// no expiry, not an invalid date.
#[test]
fn scope_check_treats_an_empty_expiry_date_as_none() {
    let mut opened = open(&ptb_key(Backend::default()), &ptb_passport()).unwrap();
    let scope = PassportScope::new(vec![ElementType::DriverLicense.into()]);
    // The real vector's licence expired on 01.01.2001: one error before the change.
    assert_eq!(check_scope(&scope, &opened, NOW).errors.len(), 1);
    for element in &mut opened.elements {
        if let Some(passport_types::decrypted::ElementData::IdDocument(document)) =
            &mut element.data
        {
            document.expiry_date = Some(String::new());
        }
    }
    let check = check_scope(&scope, &opened, NOW);
    assert!(check.errors.is_empty(), "{:?}", check.errors);
}

/// The messages of the key, file and nonce errors, one per variant reachable from the API.
#[test]
fn other_error_messages() {
    use passport_crypto::file::{FileKey, decrypt_vec};
    use passport_crypto::key::PrivateKey;
    use passport_crypto::nonce::NonceIssuer;

    use crate::common::{read_text, rng};

    let mut messages = Vec::new();
    let mut push = |case: &str, error: &dyn std::error::Error| {
        messages.push(format!("{case}:\n  {}", cause_chain(error)));
    };
    push(
        "1024-bit key",
        &PrivateKey::from_pem(&read_text("small-key-1024.pem")).unwrap_err(),
    );
    let encrypted = read_text("test-key-encrypted.pem");
    push(
        "encrypted key without password",
        &PrivateKey::from_pem(&encrypted).unwrap_err(),
    );
    push(
        "encrypted key, wrong password",
        &PrivateKey::from_encrypted_pem(&encrypted, b"nope").unwrap_err(),
    );
    push(
        "legacy encrypted PEM",
        &PrivateKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err(),
    );
    push(
        "public key given as private key",
        &PrivateKey::from_pem(&read_text("test-key.pub.pem")).unwrap_err(),
    );
    let key = FileKey::new(&[1; 32], &[2; 32]).unwrap();
    push(
        "file of 20 bytes",
        &decrypt_vec(&key, vec![0; 20]).unwrap_err(),
    );
    push(
        "file with wrong hash",
        &decrypt_vec(&key, vec![0; 32]).unwrap_err(),
    );
    push(
        "nonce secret of 8 bytes",
        &NonceIssuer::new(b"12345678").unwrap_err(),
    );
    let issuer = NonceIssuer::new(&[7; 32]).unwrap();
    let nonce = issuer.issue(UserId(1), UnixTime(100), &mut rng(1));
    push(
        "nonce garbage",
        &issuer
            .verify("garbage", UserId(1), UnixTime(0))
            .unwrap_err(),
    );
    push(
        "nonce of another user",
        &issuer.verify(&nonce, UserId(2), UnixTime(0)).unwrap_err(),
    );
    push(
        "nonce expired",
        &issuer.verify(&nonce, UserId(1), UnixTime(101)).unwrap_err(),
    );
    let other = NonceIssuer::new(&[8; 32]).unwrap();
    push(
        "nonce from another secret",
        &other.verify(&nonce, UserId(1), UnixTime(0)).unwrap_err(),
    );
    insta::assert_snapshot!("other_error_messages", messages.join("\n"));
}
