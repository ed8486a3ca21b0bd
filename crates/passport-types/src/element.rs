//! The element types of Telegram Passport (`personal_details`, `passport`, ... `email`), with
//! Telegram's exact strings and the spec's classification of each (identity document, address
//! document, plain data).

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// The type of a Telegram Passport element, in Telegram's order and with its exact strings.
///
/// A string this crate does not know becomes [`ElementType::Unknown`] instead of failing, so a
/// newer Telegram client never makes an older bot fail to parse what it receives. Parse strings
/// with [`ElementType::parse`] (or serde), which maps every known string to its own variant;
/// constructing `Unknown("passport".into())` by hand gives a value that is not equal to
/// [`ElementType::Passport`].
///
/// The derived order is Telegram's order, with unknown types last (sorted by their string), so
/// maps keyed by element type iterate in the order Telegram documents them.
///
/// ```
/// use passport_types::element::ElementType;
///
/// let kind: ElementType = serde_json::from_str("\"driver_license\"").unwrap();
/// assert_eq!(kind, ElementType::DriverLicense);
/// assert!(kind.is_identity_document());
/// assert_eq!(ElementType::parse("ufo"), ElementType::Unknown("ufo".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementType {
    /// `personal_details`: name, birth date, gender, citizenship and residence.
    PersonalDetails,
    /// `passport`: an identity document.
    Passport,
    /// `driver_license`: an identity document with a reverse side.
    DriverLicense,
    /// `identity_card`: an identity document with a reverse side.
    IdentityCard,
    /// `internal_passport`: an identity document.
    InternalPassport,
    /// `address`: the residential address.
    Address,
    /// `utility_bill`: a proof of address.
    UtilityBill,
    /// `bank_statement`: a proof of address.
    BankStatement,
    /// `rental_agreement`: a proof of address.
    RentalAgreement,
    /// `passport_registration`: a proof of address.
    PassportRegistration,
    /// `temporary_registration`: a proof of address.
    TemporaryRegistration,
    /// `phone_number`: a verified phone number, sent in plain text.
    PhoneNumber,
    /// `email`: a verified email address, sent in plain text.
    Email,
    /// A type this version of the crate does not know, kept with its exact string.
    Unknown(String),
}

impl ElementType {
    /// The thirteen known element types, in Telegram's order.
    pub const KNOWN: [ElementType; 13] = [
        ElementType::PersonalDetails,
        ElementType::Passport,
        ElementType::DriverLicense,
        ElementType::IdentityCard,
        ElementType::InternalPassport,
        ElementType::Address,
        ElementType::UtilityBill,
        ElementType::BankStatement,
        ElementType::RentalAgreement,
        ElementType::PassportRegistration,
        ElementType::TemporaryRegistration,
        ElementType::PhoneNumber,
        ElementType::Email,
    ];

    /// The identity documents: `passport`, `driver_license`, `identity_card`,
    /// `internal_passport`.
    pub const IDENTITY_DOCUMENTS: [ElementType; 4] = [
        ElementType::Passport,
        ElementType::DriverLicense,
        ElementType::IdentityCard,
        ElementType::InternalPassport,
    ];

    /// The address documents: `utility_bill`, `bank_statement`, `rental_agreement`,
    /// `passport_registration`, `temporary_registration`.
    pub const ADDRESS_DOCUMENTS: [ElementType; 5] = [
        ElementType::UtilityBill,
        ElementType::BankStatement,
        ElementType::RentalAgreement,
        ElementType::PassportRegistration,
        ElementType::TemporaryRegistration,
    ];

    /// Parses Telegram's string for a type; any other string becomes [`ElementType::Unknown`].
    pub fn parse(value: &str) -> ElementType {
        match value {
            "personal_details" => ElementType::PersonalDetails,
            "passport" => ElementType::Passport,
            "driver_license" => ElementType::DriverLicense,
            "identity_card" => ElementType::IdentityCard,
            "internal_passport" => ElementType::InternalPassport,
            "address" => ElementType::Address,
            "utility_bill" => ElementType::UtilityBill,
            "bank_statement" => ElementType::BankStatement,
            "rental_agreement" => ElementType::RentalAgreement,
            "passport_registration" => ElementType::PassportRegistration,
            "temporary_registration" => ElementType::TemporaryRegistration,
            "phone_number" => ElementType::PhoneNumber,
            "email" => ElementType::Email,
            other => ElementType::Unknown(other.to_owned()),
        }
    }

    /// Telegram's exact string for this type (the kept string for an unknown type).
    pub fn as_str(&self) -> &str {
        match self {
            ElementType::PersonalDetails => "personal_details",
            ElementType::Passport => "passport",
            ElementType::DriverLicense => "driver_license",
            ElementType::IdentityCard => "identity_card",
            ElementType::InternalPassport => "internal_passport",
            ElementType::Address => "address",
            ElementType::UtilityBill => "utility_bill",
            ElementType::BankStatement => "bank_statement",
            ElementType::RentalAgreement => "rental_agreement",
            ElementType::PassportRegistration => "passport_registration",
            ElementType::TemporaryRegistration => "temporary_registration",
            ElementType::PhoneNumber => "phone_number",
            ElementType::Email => "email",
            ElementType::Unknown(other) => other,
        }
    }

    /// Whether this is one of the thirteen types this crate knows.
    pub fn is_known(&self) -> bool {
        !matches!(self, ElementType::Unknown(_))
    }

    /// `passport`, `driver_license`, `identity_card` or `internal_passport`: a proof of
    /// identity, with a front side and optionally a selfie and a translation.
    pub fn is_identity_document(&self) -> bool {
        matches!(
            self,
            ElementType::Passport
                | ElementType::DriverLicense
                | ElementType::IdentityCard
                | ElementType::InternalPassport
        )
    }

    /// `utility_bill`, `bank_statement`, `rental_agreement`, `passport_registration` or
    /// `temporary_registration`: a proof of address, with files and optionally a translation.
    pub fn is_address_document(&self) -> bool {
        matches!(
            self,
            ElementType::UtilityBill
                | ElementType::BankStatement
                | ElementType::RentalAgreement
                | ElementType::PassportRegistration
                | ElementType::TemporaryRegistration
        )
    }

    /// An identity or an address document: the types that carry scans and may carry a
    /// translation.
    pub fn is_document(&self) -> bool {
        self.is_identity_document() || self.is_address_document()
    }

    /// The types whose element carries an encrypted `data` field: `personal_details`, the four
    /// identity documents and `address`.
    pub fn has_data(&self) -> bool {
        matches!(self, ElementType::PersonalDetails | ElementType::Address)
            || self.is_identity_document()
    }

    /// The types whose element carries a `front_side` scan (and may carry a `selfie`): the
    /// identity documents.
    pub fn has_front_side(&self) -> bool {
        self.is_identity_document()
    }

    /// The types whose element carries a `reverse_side` scan: `driver_license` and
    /// `identity_card`.
    pub fn has_reverse_side(&self) -> bool {
        matches!(self, ElementType::DriverLicense | ElementType::IdentityCard)
    }

    /// The types whose element carries a `files` array: the address documents.
    pub fn has_files(&self) -> bool {
        self.is_address_document()
    }

    /// The short alias the official JS SDK uses for this type inside a request link's scope
    /// (`pd`, `pp`, `dl`, ...); `None` for an unknown type.
    pub fn uri_alias(&self) -> Option<&'static str> {
        Some(match self {
            ElementType::PersonalDetails => "pd",
            ElementType::Passport => "pp",
            ElementType::DriverLicense => "dl",
            ElementType::IdentityCard => "ic",
            ElementType::InternalPassport => "ip",
            ElementType::Address => "ad",
            ElementType::UtilityBill => "ub",
            ElementType::BankStatement => "bs",
            ElementType::RentalAgreement => "ra",
            ElementType::PassportRegistration => "pr",
            ElementType::TemporaryRegistration => "tr",
            ElementType::PhoneNumber => "pn",
            ElementType::Email => "em",
            ElementType::Unknown(_) => return None,
        })
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for ElementType {
    type Err = Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(ElementType::parse(value))
    }
}

impl From<&str> for ElementType {
    fn from(value: &str) -> Self {
        ElementType::parse(value)
    }
}

impl From<String> for ElementType {
    fn from(value: String) -> Self {
        match ElementType::parse(&value) {
            // Reuse the allocation for unknown strings.
            ElementType::Unknown(_) => ElementType::Unknown(value),
            known => known,
        }
    }
}

impl Serialize for ElementType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ElementType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TypeVisitor;

        impl Visitor<'_> for TypeVisitor {
            type Value = ElementType;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a Telegram Passport element type string")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<ElementType, E> {
                Ok(ElementType::parse(value))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<ElementType, E> {
                Ok(ElementType::from(value))
            }
        }

        deserializer.deserialize_str(TypeVisitor)
    }
}
