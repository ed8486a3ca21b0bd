//! `PassportScope`: both element forms, compact serialization, and the spec's rules.

use passport_types::element::ElementType;
use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne, ScopeError};

/// Parses `input` as a scope and checks `validate` gives `expected` (`Ok` or the error's
/// message).
fn check(input: &str, expected: Result<(), &str>) {
    let scope: PassportScope = serde_json::from_str(input).unwrap();
    let actual = scope.validate().map_err(|error| error.to_string());
    assert_eq!(actual, expected.map_err(str::to_owned), "{input}");
}

#[test]
fn valid_scopes() {
    check(r#"{"data":["phone_number"],"v":1}"#, Ok(()));
    check(
        r#"{"data":[{"type":"passport","selfie":true,"translation":true},
                    {"type":"personal_details","native_names":true},"address","email",
                    {"one_of":["utility_bill","bank_statement"],"translation":true}],"v":1}"#,
        Ok(()),
    );
    check(
        r#"{"data":[{"one_of":["passport","driver_license","identity_card","internal_passport"],
                     "selfie":true,"translation":true}],"v":1}"#,
        Ok(()),
    );
    // one_of members may carry their own options, as in the spec's example link.
    check(
        r#"{"data":[{"one_of":[{"type":"passport","selfie":true,"translation":true},
                               "internal_passport"]}],"v":1}"#,
        Ok(()),
    );
    check(
        r#"{"data":[{"type":"driver_license","selfie":false},
                    {"one_of":["passport_registration","temporary_registration",
                               "rental_agreement"]}],"v":1}"#,
        Ok(()),
    );
}

#[test]
fn invalid_scopes() {
    check(
        r#"{"data":["email"],"v":2}"#,
        Err("scope version must be 1, not 2"),
    );
    check(r#"{"data":[],"v":1}"#, Err("scope requests no elements"));
    check(
        r#"{"data":["email","selfie_video"],"v":1}"#,
        Err("scope element 1: unknown element type `selfie_video`"),
    );
    check(
        r#"{"data":["email","email"],"v":1}"#,
        Err("scope element 1: `email` is requested more than once"),
    );
    check(
        r#"{"data":["passport",{"one_of":["identity_card","passport"]}],"v":1}"#,
        Err("scope element 1: `passport` is requested more than once"),
    );
    check(
        r#"{"data":[{"one_of":["identity_card","identity_card"]}],"v":1}"#,
        Err("scope element 0: `identity_card` is requested more than once"),
    );
    check(
        r#"{"data":[{"type":"utility_bill","selfie":true}],"v":1}"#,
        Err(
            "scope element 0: a selfie can only be requested with an identity document, not `utility_bill`",
        ),
    );
    check(
        r#"{"data":["email",{"one_of":["utility_bill","bank_statement"],"selfie":true}],"v":1}"#,
        Err(
            "scope element 1: a selfie can only be requested with an identity document, not `utility_bill`",
        ),
    );
    check(
        r#"{"data":[{"type":"address","translation":true}],"v":1}"#,
        Err("scope element 0: a translation can only be requested for a document, not `address`"),
    );
    check(
        r#"{"data":[{"type":"personal_details","translation":true}],"v":1}"#,
        Err(
            "scope element 0: a translation can only be requested for a document, not `personal_details`",
        ),
    );
    check(
        r#"{"data":[{"type":"passport","native_names":true}],"v":1}"#,
        Err(
            "scope element 0: native names can only be requested with `personal_details`, not `passport`",
        ),
    );
    check(
        r#"{"data":[{"one_of":[{"type":"utility_bill","selfie":true},"bank_statement"]}],"v":1}"#,
        Err(
            "scope element 0: a selfie can only be requested with an identity document, not `utility_bill`",
        ),
    );
    check(
        r#"{"data":[{"one_of":["passport"]}],"v":1}"#,
        Err("scope element 0: `one_of` needs at least two types, it has 1"),
    );
    check(
        r#"{"data":[{"one_of":[]}],"v":1}"#,
        Err("scope element 0: `one_of` needs at least two types, it has 0"),
    );
    check(
        r#"{"data":[{"one_of":["passport","utility_bill"]}],"v":1}"#,
        Err(
            "scope element 0: `one_of` must list only identity documents or only address documents, `utility_bill` does not fit",
        ),
    );
    check(
        r#"{"data":[{"one_of":["personal_details","address"]}],"v":1}"#,
        Err(
            "scope element 0: `one_of` must list only identity documents or only address documents, `personal_details` does not fit",
        ),
    );
    check(
        r#"{"data":[{"one_of":["bank_statement","phone_number"]}],"v":1}"#,
        Err(
            "scope element 0: `one_of` must list only identity documents or only address documents, `phone_number` does not fit",
        ),
    );
}

/// Checks `input` does not parse as a scope and the message starts with `expected`.
fn check_unparsable(input: &str, expected: &str) {
    let error = serde_json::from_str::<PassportScope>(input).unwrap_err();
    assert!(error.to_string().starts_with(expected), "{input}: {error}");
}

#[test]
fn malformed_scopes_do_not_parse() {
    check_unparsable(
        r#"{"data":[{"type":"passport","selfe":true}],"v":1}"#,
        "unknown key `selfe` in scope element",
    );
    check_unparsable(
        r#"{"data":[{"type":"passport","one_of":["passport"]}],"v":1}"#,
        "a scope element cannot have both `type` and `one_of`",
    );
    check_unparsable(
        r#"{"data":[{"type":"passport","selfie":1}],"v":1}"#,
        "scope option `selfie` must be a boolean",
    );
    check_unparsable(
        r#"{"data":[{"selfie":true}],"v":1}"#,
        "scope element object needs `type`",
    );
    check_unparsable(
        r#"{"data":[7],"v":1}"#,
        "a scope element must be a type string or an object",
    );
    check_unparsable(
        r#"{"data":[{"one_of":"passport"}],"v":1}"#,
        "scope element `one_of` must be an array",
    );
    check_unparsable(
        r#"{"data":[{"one_of":[{"one_of":[]}]}],"v":1}"#,
        "scope element object needs `type`",
    );
    check_unparsable(r#"{"data":["email"]}"#, "missing field `v`");
}

#[test]
fn elements_without_options_serialize_as_plain_strings() {
    let scope = PassportScope::new(vec![
        ElementType::PhoneNumber.into(),
        ScopeElementOne::new(ElementType::Passport)
            .with_selfie()
            .with_translation()
            .into(),
        ScopeElement::one_of([ElementType::UtilityBill, ElementType::BankStatement])
            .with_translation(),
        ScopeElementOne::new(ElementType::Email).into(),
    ]);
    let json = serde_json::to_string(&scope).unwrap();
    assert_eq!(
        json,
        r#"{"data":["phone_number",{"type":"passport","selfie":true,"translation":true},{"one_of":["utility_bill","bank_statement"],"translation":true},"email"],"v":1}"#
    );
    assert_eq!(serde_json::from_str::<PassportScope>(&json).unwrap(), scope);
    assert_eq!(scope.to_string(), json);
    // The object form without options reads as the same element.
    let long: PassportScope =
        serde_json::from_str(r#"{"data":[{"type":"email","selfie":false}],"v":1}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&long).unwrap(),
        r#"{"data":["email"],"v":1}"#
    );
}

#[test]
fn types_lists_every_requested_type() {
    let scope = PassportScope::new(vec![
        ElementType::Email.into(),
        ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]),
    ]);
    let types: Vec<&ElementType> = scope.types().collect();
    assert_eq!(
        types,
        [
            &ElementType::Email,
            &ElementType::Passport,
            &ElementType::IdentityCard
        ]
    );
}

#[test]
fn uri_packing_matches_the_spec_example() {
    // The scope of the example link on core.telegram.org/api/passport ("URI format").
    let scope: PassportScope = serde_json::from_str(
        r#"{"data":[{"type":"personal_details","native_names":true},"address","phone_number",
                    "email",{"one_of":[{"type":"passport","selfie":true,"translation":true},
                    "internal_passport","driver_license","identity_card"]},
                    {"one_of":["utility_bill","bank_statement","rental_agreement",
                    "passport_registration","temporary_registration"]}],"v":1}"#,
    )
    .unwrap();
    scope.validate().unwrap();
    assert_eq!(
        scope.to_uri_json(),
        r#"{"v":1,"d":[{"_":"pd","n":1},"ad","pn","em",{"_":[{"_":"pp","s":1,"t":1},"ip","dl","ic"]},{"_":["ub","bs","ra","pr","tr"]}]}"#
    );
}

#[test]
fn validation_errors_carry_context() {
    let scope = PassportScope::new(vec![
        ElementType::Email.into(),
        ScopeElementOne::new(ElementType::Address)
            .with_selfie()
            .into(),
    ]);
    assert_eq!(
        scope.validate(),
        Err(ScopeError::SelfieNotAllowed {
            index: 1,
            kind: ElementType::Address
        })
    );
}
