//! Snapshots of decrypted fixtures and of scope checks.

use passport_crypto::Backend;
use passport_crypto::open::open;
use passport_crypto::scope_check::check_scope;
use passport_types::element::ElementType;
use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne};

use crate::common::{ptb_key, ptb_passport};

/// 2026-11-21 00:00:00 UTC.
const NOW: u64 = 1_795_219_200;

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
    assert!(check_scope(&scope, &opened, 978_220_800).is_satisfied());
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
