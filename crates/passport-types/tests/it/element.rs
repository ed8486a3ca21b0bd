//! `ElementType`: Telegram's strings and order, unknown types, and the spec's classification.

use passport_types::element::ElementType;

#[test]
fn known_types_keep_telegrams_strings_and_order() {
    let strings: Vec<&str> = ElementType::KNOWN.iter().map(ElementType::as_str).collect();
    assert_eq!(
        strings,
        [
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
        ]
    );
    let mut sorted = ElementType::KNOWN.to_vec();
    sorted.push(ElementType::parse("aaa_unknown"));
    sorted.sort();
    assert_eq!(sorted.first(), Some(&ElementType::PersonalDetails));
    assert_eq!(sorted.last(), Some(&ElementType::parse("aaa_unknown")));
}

#[test]
fn serde_uses_the_exact_strings() {
    for kind in ElementType::KNOWN {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
        assert_eq!(serde_json::from_str::<ElementType>(&json).unwrap(), kind);
        assert_eq!(kind.as_str().parse::<ElementType>(), Ok(kind.clone()));
        assert_eq!(kind.to_string(), kind.as_str());
        assert!(kind.is_known());
    }
}

#[test]
fn an_unknown_type_is_a_value_not_a_failure() {
    let kind: ElementType = serde_json::from_str("\"selfie_video\"").unwrap();
    assert_eq!(kind, ElementType::Unknown("selfie_video".to_owned()));
    assert!(!kind.is_known());
    assert_eq!(serde_json::to_string(&kind).unwrap(), "\"selfie_video\"");
    // Case matters: Telegram's strings are lower case.
    assert_eq!(
        ElementType::parse("Passport"),
        ElementType::Unknown("Passport".to_owned())
    );
    assert_eq!(ElementType::from(String::from("email")), ElementType::Email);
    assert!(serde_json::from_str::<ElementType>("7").is_err());
}

/// One row of the classification table: identity document, address document, document,
/// has data, front side, reverse side, files.
fn check(kind: &str, expected: [bool; 7]) {
    let kind = ElementType::parse(kind);
    let actual = [
        kind.is_identity_document(),
        kind.is_address_document(),
        kind.is_document(),
        kind.has_data(),
        kind.has_front_side(),
        kind.has_reverse_side(),
        kind.has_files(),
    ];
    assert_eq!(actual, expected, "{kind}");
}

#[test]
fn classification_follows_the_spec() {
    const F: bool = false;
    const T: bool = true;
    check("personal_details", [F, F, F, T, F, F, F]);
    check("passport", [T, F, T, T, T, F, F]);
    check("driver_license", [T, F, T, T, T, T, F]);
    check("identity_card", [T, F, T, T, T, T, F]);
    check("internal_passport", [T, F, T, T, T, F, F]);
    check("address", [F, F, F, T, F, F, F]);
    check("utility_bill", [F, T, T, F, F, F, T]);
    check("bank_statement", [F, T, T, F, F, F, T]);
    check("rental_agreement", [F, T, T, F, F, F, T]);
    check("passport_registration", [F, T, T, F, F, F, T]);
    check("temporary_registration", [F, T, T, F, F, F, T]);
    check("phone_number", [F, F, F, F, F, F, F]);
    check("email", [F, F, F, F, F, F, F]);
    check("selfie_video", [F, F, F, F, F, F, F]);
}

#[test]
fn uri_aliases_match_the_js_sdk() {
    let aliases: Vec<&str> = ElementType::KNOWN
        .iter()
        .map(|kind| kind.uri_alias().unwrap())
        .collect();
    assert_eq!(
        aliases,
        [
            "pd", "pp", "dl", "ic", "ip", "ad", "ub", "bs", "ra", "pr", "tr", "pn", "em"
        ]
    );
    assert_eq!(ElementType::parse("x").uri_alias(), None);
}
