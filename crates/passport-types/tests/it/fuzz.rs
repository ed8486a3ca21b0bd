//! Property tests: parsers never panic on arbitrary bytes, and scopes round-trip.

use passport_types::decrypted::{Credentials, ElementData};
use passport_types::element::ElementType;
use passport_types::errors::PassportElementError;
use passport_types::received::PassportData;
use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne, ScopeElementOneOf};
use proptest::prelude::*;

fn element_type() -> impl Strategy<Value = ElementType> {
    prop_oneof![
        4 => proptest::sample::select(ElementType::KNOWN.to_vec()),
        1 => "[a-z_]{1,12}".prop_map(|text| ElementType::parse(&text)),
    ]
}

fn scope_element_one() -> impl Strategy<Value = ScopeElementOne> {
    (element_type(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(kind, selfie, translation, native_names)| ScopeElementOne {
            kind,
            selfie,
            translation,
            native_names,
        },
    )
}

fn scope_element() -> impl Strategy<Value = ScopeElement> {
    prop_oneof![
        scope_element_one().prop_map(ScopeElement::One),
        (
            proptest::collection::vec(scope_element_one(), 0..5),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(one_of, selfie, translation)| ScopeElement::OneOf(
                ScopeElementOneOf {
                    one_of,
                    selfie,
                    translation,
                }
            )),
    ]
}

fn scope() -> impl Strategy<Value = PassportScope> {
    (proptest::collection::vec(scope_element(), 0..8), 0u32..3)
        .prop_map(|(data, v)| PassportScope { data, v })
}

/// Bytes that are often close to JSON: arbitrary bytes, or mutated valid inputs.
fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
    let seeds = vec![
        br#"{"nonce":"n","secure_data":{"passport":{"data":{"data_hash":"a","secret":"b"},"files":[{"file_hash":"c","secret":"d"}]}}}"#.to_vec(),
        br#"{"first_name":"A","last_name":"B","middle_name":null,"document_no":"1","street_line2":"x"}"#.to_vec(),
        br#"{"data":[{"type":"email","email":"e","hash":"h","front_side":{"file_id":"f","file_unique_id":"u","file_size":1,"file_date":2}}],"credentials":{"data":"d","hash":"h","secret":"s"}}"#.to_vec(),
        br#"{"data":[{"one_of":["passport",{"type":"identity_card","selfie":true}],"translation":true},"email"],"v":1}"#.to_vec(),
        br#"{"source":"files","type":"utility_bill","file_hashes":["a"],"message":"m"}"#.to_vec(),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (
            proptest::sample::select(seeds),
            proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
        )
            .prop_map(|(mut bytes, edits)| {
                for (index, byte) in edits {
                    let at = index.index(bytes.len());
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                }
                bytes
            }),
    ]
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(512))]

    #[test]
    fn parsers_never_panic(bytes in input_bytes(), kind in element_type()) {
        let _ = ElementData::parse(&kind, &bytes);
        let _ = Credentials::parse(&bytes);
        let _ = serde_json::from_slice::<PassportData>(&bytes);
        let _ = serde_json::from_slice::<PassportElementError>(&bytes);
        if let Ok(scope) = serde_json::from_slice::<PassportScope>(&bytes) {
            let _ = scope.validate();
            let _ = scope.to_uri_json();
        }
    }

    #[test]
    fn scope_parse_of_serialize_is_identity(scope in scope()) {
        let json = serde_json::to_string(&scope).unwrap();
        let parsed: PassportScope = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&parsed, &scope);
        // Validation is a function of the value, so it agrees on both.
        prop_assert_eq!(parsed.validate(), scope.validate());
    }

    #[test]
    fn element_types_round_trip(kind in element_type()) {
        let json = serde_json::to_string(&kind).unwrap();
        prop_assert_eq!(serde_json::from_str::<ElementType>(&json).unwrap(), kind);
    }

    #[test]
    fn data_round_trips_through_element_data(
        document_no in ".{0,12}",
        expiry in proptest::option::of("[0-9.]{0,10}"),
        extra_key in "[a-z]{1,8}",
    ) {
        let mut object = serde_json::json!({"document_no": document_no});
        if let Some(expiry) = &expiry {
            object["expiry_date"] = expiry.clone().into();
        }
        if extra_key != "document_no" && extra_key != "expiry_date" {
            object[extra_key.as_str()] = serde_json::json!([1, {"a": null}]);
        }
        let bytes = serde_json::to_vec(&object).unwrap();
        let data = ElementData::parse(&ElementType::Passport, &bytes).unwrap();
        prop_assert_eq!(serde_json::to_value(&data).unwrap(), object);
    }
}

/// Any element error the constructors accept, from arbitrary inputs.
fn element_error() -> impl Strategy<Value = PassportElementError> {
    (
        0usize..9,
        element_type(),
        ".{0,16}",
        ".{0,16}",
        proptest::collection::vec("[A-Za-z0-9+/=]{0,12}", 1..4),
    )
        .prop_filter_map(
            "type not allowed for this source",
            |(source, kind, hash, message, hashes)| {
                let built = match source {
                    0 => PassportElementError::data(kind, "field", hash, message),
                    1 => PassportElementError::front_side(kind, hash, message),
                    2 => PassportElementError::reverse_side(kind, hash, message),
                    3 => PassportElementError::selfie(kind, hash, message),
                    4 => PassportElementError::file(kind, hash, message),
                    5 => PassportElementError::files(kind, hashes, message),
                    6 => PassportElementError::translation_file(kind, hash, message),
                    7 => PassportElementError::translation_files(kind, hashes, message),
                    _ => Ok(PassportElementError::unspecified(kind, hash, message)),
                };
                built.ok()
            },
        )
}

fn optional_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(".{0,10}")
}

proptest! {
    #![proptest_config(tgauth_tests::proptest_config(256))]

    #[test]
    fn element_errors_round_trip(error in element_error()) {
        let json = serde_json::to_string(&error).unwrap();
        let parsed: PassportElementError = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(parsed, error);
    }

    #[test]
    fn personal_details_round_trip(
        names in (".{0,10}", ".{0,10}", optional_text()),
        natives in (optional_text(), optional_text(), optional_text()),
    ) {
        let mut object = serde_json::json!({
            "first_name": names.0, "last_name": names.1, "birth_date": "01.01.2001",
            "gender": "female", "country_code": "DK", "residence_country_code": "DK",
        });
        for (key, value) in [
            ("middle_name", names.2),
            ("first_name_native", natives.0),
            ("last_name_native", natives.1),
            ("middle_name_native", natives.2),
        ] {
            if let Some(value) = value {
                object[key] = value.into();
            }
        }
        let bytes = serde_json::to_vec(&object).unwrap();
        let data = ElementData::parse(&ElementType::PersonalDetails, &bytes).unwrap();
        prop_assert_eq!(serde_json::to_value(&data).unwrap(), object);
    }
}
