//! The real passport data of python-telegram-bot's test suite (see `data/README.md`).

use passport_types::decrypted::{Credentials, ElementData};
use passport_types::element::ElementType;
use passport_types::received::PassportData;
use serde_json::Value;

use crate::fixture;

#[test]
fn received_json_parses_and_reserializes_losslessly() {
    let vectors = fixture("ptb-passport.json");
    let original = &vectors["passport_data"];
    let passport: PassportData = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&passport).unwrap(), original);

    let types: Vec<&str> = passport.data.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "personal_details",
            "driver_license",
            "utility_bill",
            "address",
            "email"
        ]
    );
    for (element, expected) in passport
        .data
        .iter()
        .zip(vectors["elements"].as_array().unwrap())
    {
        assert_eq!(
            element.hash,
            expected["element_hash_field"].as_str().unwrap()
        );
        assert!(element.extra.is_empty(), "{}", element.kind);
    }
    let email = &passport.data[4];
    assert_eq!(email.email.as_deref(), Some("fb3e3i47zt@dispostable.com"));
    let license = &passport.data[1];
    assert_eq!(license.reverse_side.as_ref().unwrap().file_size, 32424112);
}

#[test]
fn decrypted_credentials_parse_into_the_typed_structs() {
    let vectors = fixture("ptb-passport.json");
    let plaintext = vectors["credentials_plaintext_json"].as_str().unwrap();
    let credentials = Credentials::parse(plaintext.as_bytes()).unwrap();
    assert_eq!(credentials.nonce, "thisisatest");
    assert_eq!(credentials.nonce, vectors["nonce"]);

    let types: Vec<&str> = credentials
        .secure_data
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "personal_details",
            "driver_license",
            "address",
            "utility_bill"
        ]
    );
    let license = credentials
        .secure_data
        .get(&ElementType::DriverLicense)
        .unwrap();
    assert_eq!(
        license.selfie.as_ref().unwrap().file_hash,
        "Cila/qLXSBH7DpZFbb5bRZIRxeFW2uv/ulL0u0JNsYI="
    );
    assert_eq!(
        license.selfie.as_ref().unwrap().secret,
        "tivdId6RNYNsvXYPppdzrbxOBuBOr9wXRPDcCvnXU7E="
    );
    assert_eq!(license.translation.as_ref().unwrap().len(), 2);
    let bill = credentials
        .secure_data
        .get(&ElementType::UtilityBill)
        .unwrap();
    assert_eq!(bill.files.as_ref().unwrap().len(), 2);
    assert!(bill.data.is_none());

    // Serializing gives back the object as decrypted (every key is known).
    let original: Value = serde_json::from_str(plaintext).unwrap();
    assert_eq!(serde_json::to_value(&credentials).unwrap(), original);

    // No secret reaches Debug output.
    let debug = format!("{credentials:?}");
    for (_, value) in &credentials.secure_data {
        if let Some(data) = &value.data {
            assert!(!debug.contains(&data.secret));
        }
        for file in value.files.iter().chain(&value.translation).flatten() {
            assert!(!debug.contains(&file.secret));
        }
    }
}

#[test]
fn decrypted_element_data_parses_into_the_typed_structs() {
    let vectors = fixture("ptb-passport.json");
    let mut parsed = 0;
    for element in vectors["elements"].as_array().unwrap() {
        let Some(plaintext) = element["data_plaintext_json"].as_str() else {
            continue;
        };
        let kind = ElementType::parse(element["type"].as_str().unwrap());
        let data = ElementData::parse(&kind, plaintext.as_bytes()).unwrap();
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            element["data"],
            "{kind}"
        );
        parsed += 1;
        match data {
            ElementData::PersonalDetails(details) => {
                assert_eq!(details.first_name, "FIRSTNAME");
                assert_eq!(details.middle_name.as_deref(), Some("MIDDLENAME"));
                assert_eq!(
                    details.middle_name_native.as_deref(),
                    Some("MIDDLENAMENATIVE")
                );
                assert_eq!(details.birth_date, "01.01.2001");
                assert_eq!(details.gender, "female");
                assert_eq!(details.residence_country_code, "DK");
                assert!(details.extra.is_empty());
            }
            ElementData::IdDocument(document) => {
                assert_eq!(document.document_no, "DOCUMENT_NO");
                assert_eq!(document.expiry_date.as_deref(), Some("01.01.2001"));
            }
            ElementData::Address(address) => {
                assert_eq!(address.street_line1, "STREET_LINE1");
                assert_eq!(address.street_line2.as_deref(), Some("STREET_LINE2"));
                assert_eq!(address.state.as_deref(), Some("STATE"));
                assert_eq!(address.post_code, "POSTCODE");
            }
        }
    }
    // Guard: the fixture really held the three data elements.
    assert_eq!(parsed, 3);
}
