//! Telegram Passport's JSON shapes: a requested scope (the `{"data":[...],"v":1}` form and
//! each element's short and long forms), decrypted credentials, decrypted element data of each
//! type, and element errors. The first byte picks the parser; none may panic, and a scope that
//! parses and validates must survive its own JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passport_types::decrypted::{Credentials, ElementData};
use passport_types::element::ElementType;
use passport_types::errors::PassportElementError;
use passport_types::scope::PassportScope;

/// Every element type Telegram names, and one it does not.
const TYPES: &[&str] = &[
    "personal_details",
    "passport",
    "driver_license",
    "identity_card",
    "internal_passport",
    "address",
    "utility_bill",
    "bank_statement",
    "rental_agreement",
    "passport_registration",
    "temporary_registration",
    "phone_number",
    "email",
    "not_a_type",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            if let Ok(scope) = serde_json::from_slice::<PassportScope>(rest) {
                let _ = scope.to_uri_json();
                let _ = scope.to_string();
                if scope.validate().is_ok() {
                    let json = serde_json::to_string(&scope).expect("a scope serializes");
                    let again: PassportScope =
                        serde_json::from_str(&json).expect("a scope reads back its own JSON");
                    assert_eq!(again, scope);
                }
            }
        }
        1 => {
            let _ = Credentials::parse(rest);
        }
        2 => {
            let Some((&index, json)) = rest.split_first() else {
                return;
            };
            let kind = ElementType::parse(TYPES[usize::from(index) % TYPES.len()]);
            let _ = ElementData::parse(&kind, json);
        }
        3 => {
            if let Ok(error) = serde_json::from_slice::<PassportElementError>(rest) {
                let _ = (error.source(), error.kind(), error.message());
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = ElementType::parse(text);
            }
        }
    }
});
