//! `PassportData` and friends: the exact Bot API JSON in and out, unknown fields kept.

use passport_types::element::ElementType;
use passport_types::received::{EncryptedPassportElement, PassportData, PassportFile};
use serde_json::{Value, json};

/// Parses `input` as `T` and checks it serializes back to the same JSON.
fn check_round_trip<T>(input: &Value) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let parsed: T = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&parsed).unwrap(), input);
    parsed
}

fn file(id: &str) -> Value {
    json!({"file_id": id, "file_unique_id": format!("u-{id}"), "file_size": 28624, "file_date": 1534074942})
}

#[test]
fn an_identity_document_round_trips() {
    let input = json!({
        "type": "driver_license",
        "data": "ZGF0YQ==",
        "front_side": file("f"),
        "reverse_side": file("r"),
        "selfie": file("s"),
        "translation": [file("t1"), file("t2")],
        "hash": "aGFzaA==",
    });
    let element: EncryptedPassportElement = check_round_trip(&input);
    assert_eq!(element.kind, ElementType::DriverLicense);
    assert_eq!(element.selfie.unwrap().file_id, "s");
    assert_eq!(element.translation.unwrap().len(), 2);
    assert_eq!(element.files, None);
    assert_eq!(element.email, None);
}

#[test]
fn plain_and_address_elements_round_trip() {
    let email: EncryptedPassportElement =
        check_round_trip(&json!({"type": "email", "email": "a@example.com", "hash": "aA=="}));
    assert_eq!(email.email.as_deref(), Some("a@example.com"));
    let phone: EncryptedPassportElement = check_round_trip(
        &json!({"type": "phone_number", "phone_number": "15551234567", "hash": "aA=="}),
    );
    assert_eq!(phone.phone_number.as_deref(), Some("15551234567"));
    let bill: EncryptedPassportElement = check_round_trip(
        &json!({"type": "utility_bill", "files": [file("a"), file("b")], "hash": "aA=="}),
    );
    assert_eq!(bill.files.unwrap().len(), 2);
}

#[test]
fn unknown_fields_and_types_survive() {
    let input = json!({
        "data": [{
            "type": "selfie_video",
            "video": {"file_id": "v"},
            "front_side": {"file_id": "f", "file_unique_id": "u", "file_size": 1, "file_date": 2,
                           "thumbnail": "t"},
            "hash": "aA==",
        }],
        "credentials": {"data": "ZA==", "hash": "aA==", "secret": "cw=="},
        "version": 2,
    });
    let passport: PassportData = check_round_trip(&input);
    let element = &passport.data[0];
    assert_eq!(
        element.kind,
        ElementType::Unknown("selfie_video".to_owned())
    );
    assert_eq!(element.extra["video"], json!({"file_id": "v"}));
    let front: &PassportFile = element.front_side.as_ref().unwrap();
    assert_eq!(front.extra["thumbnail"], "t");
    assert_eq!(passport.extra["version"], 2);
}

#[test]
fn missing_required_fields_are_errors() {
    for input in [
        json!({"type": "email", "email": "a@example.com"}),
        json!({"hash": "aA=="}),
        json!({"type": "passport", "front_side": {"file_id": "f"}, "hash": "aA=="}),
    ] {
        assert!(serde_json::from_value::<EncryptedPassportElement>(input).is_err());
    }
}
