//! Decrypted credentials and element data: leniency, legacy keys, errors that quote nothing.

use passport_types::decrypted::{
    Credentials, DataCredentials, DataError, ElementData, FileCredentials, IdDocumentData,
    ResidentialAddress, SecureValue,
};
use passport_types::element::ElementType;
use serde_json::{Value, json};

fn credentials(json: &str) -> Result<Credentials, DataError> {
    Credentials::parse(json.as_bytes())
}

#[test]
fn the_legacy_payload_key_is_read_as_the_nonce() {
    let parsed = credentials(r#"{"secure_data":{},"payload":"old-client"}"#).unwrap();
    assert_eq!(parsed.nonce, "old-client");
    // It serializes with the current key.
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        json!({"secure_data": {}, "nonce": "old-client"})
    );
}

#[test]
fn nonce_wins_over_payload() {
    let parsed = credentials(r#"{"secure_data":{},"payload":"nonce","nonce":"n-2"}"#).unwrap();
    assert_eq!(parsed.nonce, "n-2");
    let parsed = credentials(r#"{"nonce":"n-3","payload":"p","secure_data":{}}"#).unwrap();
    assert_eq!(parsed.nonce, "n-3");
}

#[test]
fn credentials_errors_say_what_is_wrong() {
    let check = |input: &[u8], expected: &str| {
        let error = Credentials::parse(input).unwrap_err();
        assert_eq!(error.to_string(), expected);
    };
    check(
        br#"{"secure_data":{}}"#,
        "credentials are not valid: missing field `nonce` (or legacy `payload`)",
    );
    check(
        br#"{"nonce":"n","secure_data":{"passport":{},"passport":{}}}"#,
        "credentials are not valid: duplicate credentials for element type `passport` at line 1 column 56",
    );
    check(
        b"{\"nonce\":\"\xff\"}",
        "credentials are not valid UTF-8 (valid up to byte 10)",
    );
    check(
        b"",
        "credentials are not valid: EOF while parsing a value at line 1 column 0",
    );
}

#[test]
fn errors_never_quote_secrets() {
    // A secret where a map belongs: serde_json would quote it in its message.
    let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
    let input = format!(r#"{{"nonce":"n","secure_data":{{"passport":{{"data":"{secret}"}}}}}}"#);
    let error = credentials(&input).unwrap_err();
    let message = error.to_string();
    assert!(!message.contains(secret), "{message}");
    assert!(
        message.contains("invalid type: string, expected"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains(secret));

    let error = ElementData::parse(&ElementType::PersonalDetails, br#"{"first_name":"Alice"}x"#)
        .unwrap_err();
    assert!(!error.to_string().contains("Alice"));
    let error = ElementData::parse(&ElementType::PersonalDetails, br#"{"first_name":12345678}"#)
        .unwrap_err();
    assert!(!error.to_string().contains("12345678"), "{error}");
}

#[test]
fn values_that_look_like_messages_are_not_quoted_either() {
    let input = br#"{"nonce":"n","secure_data":{"passport":{"data":"x, expected leaked"}}}"#;
    let message = Credentials::parse(input).unwrap_err().to_string();
    assert!(!message.contains("leaked"), "{message}");
    let input = br#"{"document_no":{"a, expected leaked":1}}"#;
    let message = ElementData::parse(&ElementType::Passport, input)
        .unwrap_err()
        .to_string();
    assert!(!message.contains("leaked"), "{message}");
}

#[test]
fn secrets_are_redacted_and_compared_by_value() {
    let data = DataCredentials {
        data_hash: "ZGg=".to_owned(),
        secret: "super-secret".to_owned(),
    };
    let file = FileCredentials {
        file_hash: "Zmg=".to_owned(),
        secret: "super-secret".to_owned(),
    };
    let value = SecureValue {
        data: Some(data.clone()),
        selfie: Some(file.clone()),
        ..SecureValue::default()
    };
    for debug in [
        format!("{data:?}"),
        format!("{file:?}"),
        format!("{value:?}"),
    ] {
        assert!(!debug.contains("super-secret"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }
    assert_eq!(data, data.clone());
    let other = DataCredentials {
        data_hash: data.data_hash.clone(),
        secret: "super-secreT".to_owned(),
    };
    assert_ne!(data, other);
    let shorter = FileCredentials {
        file_hash: file.file_hash.clone(),
        secret: "short".to_owned(),
    };
    assert_ne!(file, shorter);
}

/// Parses `input` as data of `kind` and checks it serializes back unchanged.
fn check_data(kind: ElementType, input: Value) -> ElementData {
    let bytes = serde_json::to_vec(&input).unwrap();
    let data = ElementData::parse(&kind, &bytes).unwrap();
    assert_eq!(serde_json::to_value(&data).unwrap(), input, "{kind}");
    data
}

#[test]
fn optional_fields_may_be_absent() {
    let data = check_data(ElementType::Passport, json!({"document_no": "X1"}));
    assert_eq!(
        data.as_id_document(),
        Some(&IdDocumentData {
            document_no: "X1".to_owned(),
            ..IdDocumentData::default()
        })
    );
    let data = check_data(
        ElementType::Address,
        json!({"street_line1": "1 Main St", "city": "Springfield", "country_code": "US",
               "post_code": "12345"}),
    );
    let address = data.as_address().unwrap();
    assert_eq!(address.street_line2, None);
    assert_eq!(address.state, None);
    let data = check_data(
        ElementType::PersonalDetails,
        json!({"first_name": "A", "last_name": "B", "birth_date": "01.01.2001", "gender": "male",
               "country_code": "DK", "residence_country_code": "DK"}),
    );
    let details = data.as_personal_details().unwrap();
    assert_eq!(details.middle_name, None);
    assert_eq!(details.first_name_native, None);
}

#[test]
fn an_empty_expiry_date_means_no_expiry() {
    // TDLib (tdlib/td, td/telegram/SecureValue.cpp, get_identity_document) writes
    // `"expiry_date": ""` for a document without an expiry date; it is kept as sent and read
    // as "does not expire".
    for (input, expiry) in [
        (json!({"document_no": "X1", "expiry_date": ""}), None),
        (json!({"document_no": "X1"}), None),
        (json!({"document_no": "X1", "expiry_date": null}), None),
        (
            json!({"document_no": "X1", "expiry_date": "31.12.2030"}),
            Some("31.12.2030"),
        ),
    ] {
        let bytes = serde_json::to_vec(&input).unwrap();
        let data = ElementData::parse(&ElementType::IdentityCard, &bytes).unwrap();
        let document = data.as_id_document().unwrap();
        assert_eq!(document.expiry(), expiry, "{input}");
    }
    let data = check_data(
        ElementType::Passport,
        json!({"document_no": "X1", "expiry_date": ""}),
    );
    assert_eq!(
        data.as_id_document().unwrap().expiry_date.as_deref(),
        Some("")
    );
}

#[test]
fn missing_required_fields_read_as_empty() {
    let data = ElementData::parse(&ElementType::Address, br#"{"city":null}"#).unwrap();
    assert_eq!(data.as_address(), Some(&ResidentialAddress::default()));
    let data = ElementData::parse(&ElementType::IdentityCard, b"{}").unwrap();
    assert_eq!(data.as_id_document().unwrap().document_no, "");
    let data = ElementData::parse(&ElementType::PersonalDetails, b"{}").unwrap();
    let details = data.as_personal_details().unwrap();
    assert!(details.first_name.is_empty() && details.gender.is_empty());
}

#[test]
fn unknown_fields_are_kept() {
    let data = check_data(
        ElementType::InternalPassport,
        json!({"document_no": "X1", "expiry_date": "", "issue_date": "01.01.2020",
               "nested": {"a": [1, 2]}}),
    );
    let document = data.as_id_document().unwrap();
    assert_eq!(document.expiry_date.as_deref(), Some(""));
    assert_eq!(document.extra["issue_date"], "01.01.2020");
}

#[test]
fn each_data_type_maps_to_its_struct() {
    let check = |kind: ElementType, expected: Result<&str, &str>| {
        let expected = expected.map(str::to_owned).map_err(str::to_owned);
        let actual = ElementData::parse(&kind, b"{}").map(|data| match data {
            ElementData::PersonalDetails(_) => "personal details",
            ElementData::IdDocument(_) => "id document",
            ElementData::Address(_) => "address",
        });
        assert_eq!(
            actual.map(str::to_owned).map_err(|error| error.to_string()),
            expected,
            "{kind}"
        );
    };
    check(ElementType::PersonalDetails, Ok("personal details"));
    for kind in ElementType::IDENTITY_DOCUMENTS {
        check(kind, Ok("id document"));
    }
    check(ElementType::Address, Ok("address"));
    for kind in ElementType::ADDRESS_DOCUMENTS {
        let message = format!("element type {kind} carries no data");
        check(kind, Err(&message));
    }
    check(
        ElementType::PhoneNumber,
        Err("element type phone_number carries no data"),
    );
    check(
        ElementType::Email,
        Err("element type email carries no data"),
    );
    check(
        ElementType::parse("ufo"),
        Err("element type ufo carries no data"),
    );
}

#[test]
fn error_messages() {
    let cases: [(ElementType, &[u8]); 7] = [
        (ElementType::Passport, b"\xc3\x28"),
        (ElementType::Passport, b"[]"),
        (ElementType::Passport, b"{\"document_no\": 5}"),
        (ElementType::Address, b"{\"city\": \"Springfield\""),
        (ElementType::PersonalDetails, b"{\"gender\": true} trailing"),
        (ElementType::PersonalDetails, b"null"),
        (ElementType::UtilityBill, b"{}"),
    ];
    let messages: Vec<String> = cases
        .iter()
        .map(|(kind, input)| ElementData::parse(kind, input).unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!(messages.join("\n"));
}
