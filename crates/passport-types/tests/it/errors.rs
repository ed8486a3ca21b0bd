//! `PassportElementError`: the exact Bot API JSON of each variant and the allowed types.

use passport_types::element::ElementType;
use passport_types::errors::{InvalidElementError, PassportElementError};

/// Checks `error` serializes to exactly `expected` and parses back to itself.
fn check_json(error: &PassportElementError, expected: &str) {
    assert_eq!(serde_json::to_string(error).unwrap(), expected);
    let parsed: PassportElementError = serde_json::from_str(expected).unwrap();
    assert_eq!(&parsed, error);
}

fn hashes() -> Vec<String> {
    vec!["aA==".to_owned(), "bB==".to_owned()]
}

#[test]
fn every_variant_serializes_exactly_as_the_bot_api_defines_it() {
    use ElementType::*;
    check_json(
        &PassportElementError::data(Passport, "document_no", "ZGg=", "Bad number").unwrap(),
        r#"{"source":"data","type":"passport","field_name":"document_no","data_hash":"ZGg=","message":"Bad number"}"#,
    );
    check_json(
        &PassportElementError::front_side(IdentityCard, "Zmg=", "Blurry").unwrap(),
        r#"{"source":"front_side","type":"identity_card","file_hash":"Zmg=","message":"Blurry"}"#,
    );
    check_json(
        &PassportElementError::reverse_side(DriverLicense, "Zmg=", "Cut off").unwrap(),
        r#"{"source":"reverse_side","type":"driver_license","file_hash":"Zmg=","message":"Cut off"}"#,
    );
    check_json(
        &PassportElementError::selfie(InternalPassport, "Zmg=", "No face").unwrap(),
        r#"{"source":"selfie","type":"internal_passport","file_hash":"Zmg=","message":"No face"}"#,
    );
    check_json(
        &PassportElementError::file(UtilityBill, "Zmg=", "Too old").unwrap(),
        r#"{"source":"file","type":"utility_bill","file_hash":"Zmg=","message":"Too old"}"#,
    );
    check_json(
        &PassportElementError::files(BankStatement, hashes(), "Missing pages").unwrap(),
        r#"{"source":"files","type":"bank_statement","file_hashes":["aA==","bB=="],"message":"Missing pages"}"#,
    );
    check_json(
        &PassportElementError::translation_file(Passport, "Zmg=", "Unsigned").unwrap(),
        r#"{"source":"translation_file","type":"passport","file_hash":"Zmg=","message":"Unsigned"}"#,
    );
    check_json(
        &PassportElementError::translation_files(RentalAgreement, hashes(), "Partial").unwrap(),
        r#"{"source":"translation_files","type":"rental_agreement","file_hashes":["aA==","bB=="],"message":"Partial"}"#,
    );
    check_json(
        &PassportElementError::unspecified(Email, "ZWg=", "Use a work address"),
        r#"{"source":"unspecified","type":"email","element_hash":"ZWg=","message":"Use a work address"}"#,
    );
}

/// Every constructor, by source, applied to `kind`.
fn build(source: &str, kind: ElementType) -> Result<PassportElementError, InvalidElementError> {
    match source {
        "data" => PassportElementError::data(kind, "field", "aA==", "m"),
        "front_side" => PassportElementError::front_side(kind, "aA==", "m"),
        "reverse_side" => PassportElementError::reverse_side(kind, "aA==", "m"),
        "selfie" => PassportElementError::selfie(kind, "aA==", "m"),
        "file" => PassportElementError::file(kind, "aA==", "m"),
        "files" => PassportElementError::files(kind, hashes(), "m"),
        "translation_file" => PassportElementError::translation_file(kind, "aA==", "m"),
        "translation_files" => PassportElementError::translation_files(kind, hashes(), "m"),
        "unspecified" => Ok(PassportElementError::unspecified(kind, "aA==", "m")),
        other => panic!("no source {other}"),
    }
}

/// Checks which types `source` accepts, by constructor and by deserialization.
fn check_allowed(source: &str, allowed: &[&str]) {
    let mut all = ElementType::KNOWN.to_vec();
    all.push(ElementType::parse("selfie_video"));
    for kind in all {
        let expected = allowed.contains(&kind.as_str()) || allowed == ["*"];
        let built = build(source, kind.clone());
        assert_eq!(built.is_ok(), expected, "{source} with {kind}");
        match built {
            Ok(error) => {
                assert_eq!(error.source(), source);
                assert_eq!(error.kind(), &kind);
                assert_eq!(error.message(), "m");
            }
            Err(error) => assert_eq!(
                error,
                InvalidElementError::TypeNotAllowed {
                    error_source: build_source(source),
                    kind: kind.clone(),
                }
            ),
        }
        // Deserialization applies the same rule to what, e.g., a sandbox receives.
        let mut json = serde_json::to_value(
            build(source, ElementType::DriverLicense)
                .ok()
                .or_else(|| build(source, ElementType::UtilityBill).ok()),
        )
        .unwrap();
        json["type"] = serde_json::Value::from(kind.as_str());
        let parsed = serde_json::from_value::<PassportElementError>(json);
        assert_eq!(
            parsed.is_ok(),
            expected,
            "deserializing {source} with {kind}"
        );
    }
}

fn build_source(source: &str) -> &'static str {
    [
        "data",
        "front_side",
        "reverse_side",
        "selfie",
        "file",
        "files",
        "translation_file",
        "translation_files",
        "unspecified",
    ]
    .into_iter()
    .find(|known| *known == source)
    .unwrap()
}

const IDENTITY: [&str; 4] = [
    "passport",
    "driver_license",
    "identity_card",
    "internal_passport",
];
const ADDRESS: [&str; 5] = [
    "utility_bill",
    "bank_statement",
    "rental_agreement",
    "passport_registration",
    "temporary_registration",
];

#[test]
fn constructors_accept_only_the_types_the_bot_api_allows() {
    let mut data = vec!["personal_details", "address"];
    data.extend(IDENTITY);
    check_allowed("data", &data);
    check_allowed("front_side", &IDENTITY);
    check_allowed("reverse_side", &["driver_license", "identity_card"]);
    check_allowed("selfie", &IDENTITY);
    check_allowed("file", &ADDRESS);
    check_allowed("files", &ADDRESS);
    let documents: Vec<&str> = IDENTITY.iter().chain(&ADDRESS).copied().collect();
    check_allowed("translation_file", &documents);
    check_allowed("translation_files", &documents);
    check_allowed("unspecified", &["*"]);
}

#[test]
fn accessors_return_the_variant_fields() {
    let error = PassportElementError::data(ElementType::Address, "city", "ZGg=", "m").unwrap();
    assert_eq!(error.field_name(), Some("city"));
    assert_eq!(error.data_hash(), Some("ZGg="));
    assert_eq!(error.file_hash(), None);
    let error = PassportElementError::files(ElementType::UtilityBill, hashes(), "m").unwrap();
    assert_eq!(error.file_hashes(), Some(hashes().as_slice()));
    let error = PassportElementError::unspecified(ElementType::Email, "ZWg=", "m");
    assert_eq!(error.element_hash(), Some("ZWg="));
}

#[test]
fn rejections_and_their_messages() {
    let errors = [
        PassportElementError::data(ElementType::UtilityBill, "f", "h", "m").unwrap_err(),
        PassportElementError::reverse_side(ElementType::Passport, "h", "m").unwrap_err(),
        PassportElementError::selfie(ElementType::parse("selfie_video"), "h", "m").unwrap_err(),
        PassportElementError::files(ElementType::UtilityBill, Vec::new(), "m").unwrap_err(),
        PassportElementError::translation_files(ElementType::Passport, Vec::new(), "m")
            .unwrap_err(),
    ];
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(messages.join("\n"));

    let unparsable = [
        r#"{"source":"files","type":"utility_bill","file_hashes":[],"message":"m"}"#,
        r#"{"source":"front_side","type":"address","file_hash":"h","message":"m"}"#,
        r#"{"source":"bogus","type":"passport","message":"m"}"#,
        r#"{"source":"data","type":"passport","data_hash":"h","message":"m"}"#,
    ];
    let messages: Vec<String> = unparsable
        .iter()
        .map(|json| {
            serde_json::from_str::<PassportElementError>(json)
                .unwrap_err()
                .to_string()
        })
        .collect();
    insta::assert_snapshot!(messages.join("\n"));
}
