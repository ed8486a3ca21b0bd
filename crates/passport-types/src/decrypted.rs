//! What the encrypted parts decrypt to: `Credentials { secure_data, nonce }` and the element data
//! (`PersonalDetails`, `IdDocumentData`, `ResidentialAddress`), unknown fields kept.
//!
//! # Leniency
//!
//! Decrypted data comes from the user's Telegram app, and python-telegram-bot shows what strict
//! types cost: it crashes on a document without `expiry_date` or an address without `state`. So:
//!
//! - every field the spec marks optional is an `Option`, absent or `null` alike;
//! - a field the spec marks required but that is missing (or `null`) reads as an empty string,
//!   so parsing succeeds and the scope check in `passport-crypto` reports it as empty (it then
//!   serializes as `""`: the only case where serialization is not the object as sent);
//! - fields this crate does not know are kept in `extra` and serialized back;
//! - values are kept as sent, even where a client's encoding differs from the spec's wording:
//!   TDLib-based apps write every key and send an absent optional value as `""` (a document
//!   that does not expire has `"expiry_date": ""`), so read the expiry date through
//!   [`IdDocumentData::expiry`], which says `None` for both forms.
//!
//! A field of the wrong JSON type (a number for a name) is still an error: that is not a
//! newer client, it is a broken one.
//!
//! # Secrets
//!
//! [`DataCredentials::secret`] and [`FileCredentials::secret`] are decrypted secrets: their
//! `Debug` prints `<redacted>`, they are zeroized on drop, and equality compares them in constant
//! time. Zeroizing is best effort: copies serde made while parsing are outside our reach.

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tgauth_core::{REDACTED, constant_time_eq};
use zeroize::Zeroize;

use crate::element::ElementType;

/// Why decrypted bytes could not be read as credentials or element data.
///
/// Messages never quote the offending value: decrypted data is personal data and credentials
/// hold secrets, so a JSON error names the position and the kind of value only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The element type carries no encrypted `data` field (e.g. `phone_number`, `utility_bill`).
    #[error("element type {kind} carries no data")]
    NoData {
        /// The element type that was asked for.
        kind: ElementType,
    },
    /// The decrypted element data is not valid UTF-8.
    #[error("{kind} data is not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// The element type whose data failed.
        kind: ElementType,
        /// How many leading bytes were valid UTF-8.
        valid_up_to: usize,
    },
    /// The decrypted element data is not a JSON object of the expected shape.
    #[error("{kind} data is not valid: {reason}")]
    InvalidJson {
        /// The element type whose data failed.
        kind: ElementType,
        /// What serde reported, without the offending value.
        reason: String,
    },
    /// The decrypted credentials are not valid UTF-8.
    #[error("credentials are not valid UTF-8 (valid up to byte {valid_up_to})")]
    CredentialsInvalidUtf8 {
        /// How many leading bytes were valid UTF-8.
        valid_up_to: usize,
    },
    /// The decrypted credentials are not a JSON object of the expected shape.
    #[error("credentials are not valid: {reason}")]
    CredentialsInvalidJson {
        /// What serde reported, without the offending value.
        reason: String,
    },
}

/// Describes a serde_json error without quoting the value that caused it.
///
/// serde_json writes `invalid type: string "Alice", expected ...`; the quoted part is user data
/// (or a secret, for credentials), so only its kind is kept: `invalid type: string, expected ...`.
fn describe(error: &serde_json::Error) -> String {
    let message = error.to_string();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            // The last occurrence: the quoted value itself may contain ", expected".
            && let Some(expected_at) = rest.rfind(", expected")
        {
            let unexpected = rest.get(..expected_at).unwrap_or_default();
            let kind = unexpected.split([' ', '`', '"']).next().unwrap_or_default();
            let tail = rest.get(expected_at..).unwrap_or_default();
            return format!("{prefix}{kind}{tail}");
        }
    }
    message
}

/// Reads strict UTF-8 JSON, turning both failure kinds into the caller's error variants.
fn parse_json<T: serde::de::DeserializeOwned, E>(
    json: &[u8],
    utf8_error: impl FnOnce(usize) -> E,
    json_error: impl FnOnce(String) -> E,
) -> Result<T, E> {
    let text = std::str::from_utf8(json).map_err(|error| utf8_error(error.valid_up_to()))?;
    serde_json::from_str(text).map_err(|error| json_error(describe(&error)))
}

/// The decrypted credentials: per element type, the secrets and hashes of its data and files,
/// and the nonce the bot put in its request.
///
/// The nonce is read from `nonce`, or from the legacy key `payload` that clients before Passport
/// 1.1 send. When both are present `nonce` wins and `payload` is ignored: `nonce` is the
/// current key, and the value that counts is checked against the bot's own nonce anyway. It
/// always serializes as `nonce`.
///
/// ```
/// use passport_types::decrypted::Credentials;
/// use passport_types::element::ElementType;
///
/// let json = br#"{"secure_data":{"address":{"data":{"data_hash":"aA==","secret":"cw=="}}},
///                 "payload":"n1"}"#;
/// let credentials = Credentials::parse(json).unwrap();
/// assert_eq!(credentials.nonce, "n1");
/// let address = credentials.secure_data.get(&ElementType::Address).unwrap();
/// assert_eq!(address.data.as_ref().unwrap().data_hash, "aA==");
/// assert!(!format!("{credentials:?}").contains("cw=="));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCredentials")]
pub struct Credentials {
    /// Credentials for each shared element type.
    pub secure_data: SecureData,
    /// The bot-specified nonce of the request (legacy key: `payload`).
    pub nonce: String,
}

/// The wire shape of [`Credentials`], with both nonce keys.
#[derive(Deserialize)]
struct RawCredentials {
    secure_data: SecureData,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    payload: Option<String>,
}

/// The credentials held neither `nonce` nor `payload`.
#[derive(Debug)]
struct MissingNonce;

impl fmt::Display for MissingNonce {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("missing field `nonce` (or legacy `payload`)")
    }
}

impl TryFrom<RawCredentials> for Credentials {
    type Error = MissingNonce;

    fn try_from(raw: RawCredentials) -> Result<Self, Self::Error> {
        let nonce = raw.nonce.or(raw.payload).ok_or(MissingNonce)?;
        Ok(Credentials {
            secure_data: raw.secure_data,
            nonce,
        })
    }
}

impl Credentials {
    /// Parses decrypted credentials: strict UTF-8, then JSON.
    ///
    /// Errors never quote the input, which holds secrets.
    pub fn parse(json: &[u8]) -> Result<Credentials, DataError> {
        parse_json(
            json,
            |valid_up_to| DataError::CredentialsInvalidUtf8 { valid_up_to },
            |reason| DataError::CredentialsInvalidJson { reason },
        )
    }
}

/// The credentials of each shared element type, keyed by type.
///
/// A type appearing twice in the JSON is an error rather than "last one wins": the credentials
/// are the root of trust for everything decrypted with them, and an ambiguous one is refused.
/// Iteration is in Telegram's type order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecureData(BTreeMap<ElementType, SecureValue>);

impl SecureData {
    /// The credentials for one element type, if present.
    pub fn get(&self, kind: &ElementType) -> Option<&SecureValue> {
        self.0.get(kind)
    }

    /// Adds or replaces the credentials of a type, returning the previous ones.
    pub fn insert(&mut self, kind: ElementType, value: SecureValue) -> Option<SecureValue> {
        self.0.insert(kind, value)
    }

    /// Removes and returns the credentials of a type.
    pub fn remove(&mut self, kind: &ElementType) -> Option<SecureValue> {
        self.0.remove(kind)
    }

    /// Whether credentials for this type are present.
    pub fn contains(&self, kind: &ElementType) -> bool {
        self.0.contains_key(kind)
    }

    /// The types and their credentials, in Telegram's type order.
    pub fn iter(&self) -> btree_map::Iter<'_, ElementType, SecureValue> {
        self.0.iter()
    }

    /// How many element types have credentials.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no element type has credentials.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<ElementType, SecureValue>> for SecureData {
    fn from(map: BTreeMap<ElementType, SecureValue>) -> Self {
        SecureData(map)
    }
}

impl From<SecureData> for BTreeMap<ElementType, SecureValue> {
    fn from(data: SecureData) -> Self {
        data.0
    }
}

impl FromIterator<(ElementType, SecureValue)> for SecureData {
    fn from_iter<I: IntoIterator<Item = (ElementType, SecureValue)>>(iter: I) -> Self {
        SecureData(iter.into_iter().collect())
    }
}

impl IntoIterator for SecureData {
    type Item = (ElementType, SecureValue);
    type IntoIter = btree_map::IntoIter<ElementType, SecureValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a SecureData {
    type Item = (&'a ElementType, &'a SecureValue);
    type IntoIter = btree_map::Iter<'a, ElementType, SecureValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for SecureData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (kind, value) in &self.0 {
            map.serialize_entry(kind, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SecureData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecureDataVisitor;

        impl<'de> Visitor<'de> for SecureDataVisitor {
            type Value = SecureData;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a map from element type to its credentials")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SecureData, A::Error> {
                let mut map = BTreeMap::new();
                while let Some(kind) = access.next_key::<ElementType>()? {
                    let value = access.next_value::<SecureValue>()?;
                    if map.contains_key(&kind) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate credentials for element type `{kind}`"
                        )));
                    }
                    map.insert(kind, value);
                }
                Ok(SecureData(map))
            }
        }

        deserializer.deserialize_map(SecureDataVisitor)
    }
}

/// The credentials of one element: for its data and for each of its files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecureValue {
    /// Credentials for the encrypted element data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataCredentials>,
    /// Credentials for the front side of an identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_side: Option<FileCredentials>,
    /// Credentials for the reverse side of a `driver_license` or `identity_card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_side: Option<FileCredentials>,
    /// Credentials for the selfie with an identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selfie: Option<FileCredentials>,
    /// Credentials for the translation files, in the order of the element's `translation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Vec<FileCredentials>>,
    /// Credentials for the files of an address document, in the order of the element's `files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileCredentials>>,
}

/// The hash and secret that decrypt and verify an element's `data`.
///
/// `Debug` redacts the secret; it is zeroized on drop and compared in constant time.
#[derive(Clone, Serialize, Deserialize)]
pub struct DataCredentials {
    /// Base64-encoded SHA-256 of the padded plaintext (the integrity check).
    pub data_hash: String,
    /// Base64-encoded secret of the data (a decrypted secret).
    pub secret: String,
}

/// The hash and secret that decrypt and verify one file.
///
/// `Debug` redacts the secret; it is zeroized on drop and compared in constant time.
#[derive(Clone, Serialize, Deserialize)]
pub struct FileCredentials {
    /// Base64-encoded SHA-256 of the padded file plaintext (the integrity check).
    pub file_hash: String,
    /// Base64-encoded secret of the file (a decrypted secret).
    pub secret: String,
}

impl fmt::Debug for DataCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DataCredentials")
            .field("data_hash", &self.data_hash)
            .field("secret", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for FileCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("FileCredentials")
            .field("file_hash", &self.file_hash)
            .field("secret", &REDACTED)
            .finish()
    }
}

impl PartialEq for DataCredentials {
    fn eq(&self, other: &Self) -> bool {
        // Evaluate both comparisons so timing does not say which one differed.
        let hash = self.data_hash == other.data_hash;
        let secret = constant_time_eq(self.secret.as_bytes(), other.secret.as_bytes());
        hash & secret
    }
}

impl Eq for DataCredentials {}

impl PartialEq for FileCredentials {
    fn eq(&self, other: &Self) -> bool {
        let hash = self.file_hash == other.file_hash;
        let secret = constant_time_eq(self.secret.as_bytes(), other.secret.as_bytes());
        hash & secret
    }
}

impl Eq for FileCredentials {}

impl Drop for DataCredentials {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl Drop for FileCredentials {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// Reads a required string leniently: absent or `null` becomes `""`.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// The decrypted `data` of a `personal_details` element.
///
/// Required fields read as `""` when missing (see the [module docs](self)); optional ones are
/// `Option`. Dates are `DD.MM.YYYY` strings as sent; this crate does not interpret them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDetails {
    /// First name (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub first_name: String,
    /// Last name (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub last_name: String,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Date of birth in `DD.MM.YYYY` (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub birth_date: String,
    /// Gender, `male` or `female` (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub gender: String,
    /// Citizenship, ISO 3166-1 alpha-2 country code (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub country_code: String,
    /// Country of residence, ISO 3166-1 alpha-2 country code (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub residence_country_code: String,
    /// First name in the language of the user's country of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name_native: Option<String>,
    /// Last name in the language of the user's country of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name_native: Option<String>,
    /// Middle name in the language of the user's country of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name_native: Option<String>,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The decrypted `data` of an identity document (`passport`, `driver_license`,
/// `identity_card`, `internal_passport`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdDocumentData {
    /// Document number (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub document_no: String,
    /// Expiry date in `DD.MM.YYYY`; absent for documents that do not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdDocumentData {
    /// The expiry date in `DD.MM.YYYY`, or `None` for a document that does not expire.
    ///
    /// Read the meaning here rather than from [`expiry_date`](Self::expiry_date), which keeps
    /// what was sent: TDLib-based Telegram apps always write the key and send a document
    /// without an expiry date as `"expiry_date": ""`, other clients leave the key out, and
    /// both mean "does not expire".
    ///
    /// ```
    /// use passport_types::decrypted::IdDocumentData;
    ///
    /// let tdlib: IdDocumentData =
    ///     serde_json::from_str(r#"{"document_no":"X1","expiry_date":""}"#).unwrap();
    /// assert_eq!(tdlib.expiry_date.as_deref(), Some("")); // as sent
    /// assert_eq!(tdlib.expiry(), None); // does not expire
    /// let dated: IdDocumentData =
    ///     serde_json::from_str(r#"{"document_no":"X1","expiry_date":"01.02.2030"}"#).unwrap();
    /// assert_eq!(dated.expiry(), Some("01.02.2030"));
    /// ```
    pub fn expiry(&self) -> Option<&str> {
        self.expiry_date.as_deref().filter(|date| !date.is_empty())
    }
}

/// The decrypted `data` of an `address` element.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentialAddress {
    /// First line of the address (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub street_line1: String,
    /// Second line of the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_line2: Option<String>,
    /// City (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub city: String,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country code (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub country_code: String,
    /// Address post code (required).
    #[serde(default, deserialize_with = "lenient_string")]
    pub post_code: String,
    /// Fields this crate does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The decrypted `data` of an element, typed by the element's type.
///
/// Serializes to the object as sent (no tag): the element type lives beside it.
///
/// ```
/// use passport_types::decrypted::ElementData;
/// use passport_types::element::ElementType;
///
/// let data = ElementData::parse(&ElementType::Passport, br#"{"document_no":"X1"}"#).unwrap();
/// let ElementData::IdDocument(document) = &data else { panic!("not a document") };
/// assert_eq!(document.expiry_date, None);
/// assert_eq!(serde_json::to_string(&data).unwrap(), r#"{"document_no":"X1"}"#);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ElementData {
    /// Data of `personal_details`.
    PersonalDetails(PersonalDetails),
    /// Data of an identity document.
    IdDocument(IdDocumentData),
    /// Data of `address`.
    Address(ResidentialAddress),
}

impl ElementData {
    /// Parses decrypted element data for an element of type `kind`: strict UTF-8, then a JSON
    /// object of the shape that type carries.
    ///
    /// Types without data ([`ElementType::has_data`] is false, unknown types included) give
    /// [`DataError::NoData`]. Never panics; errors never quote the input.
    pub fn parse(kind: &ElementType, json: &[u8]) -> Result<ElementData, DataError> {
        let utf8_error = |valid_up_to| DataError::InvalidUtf8 {
            kind: kind.clone(),
            valid_up_to,
        };
        let json_error = |reason| DataError::InvalidJson {
            kind: kind.clone(),
            reason,
        };
        if *kind == ElementType::PersonalDetails {
            parse_json(json, utf8_error, json_error).map(ElementData::PersonalDetails)
        } else if kind.is_identity_document() {
            parse_json(json, utf8_error, json_error).map(ElementData::IdDocument)
        } else if *kind == ElementType::Address {
            parse_json(json, utf8_error, json_error).map(ElementData::Address)
        } else {
            Err(DataError::NoData { kind: kind.clone() })
        }
    }

    /// The personal details, if this is `personal_details` data.
    pub fn as_personal_details(&self) -> Option<&PersonalDetails> {
        match self {
            ElementData::PersonalDetails(details) => Some(details),
            _ => None,
        }
    }

    /// The document data, if this is identity document data.
    pub fn as_id_document(&self) -> Option<&IdDocumentData> {
        match self {
            ElementData::IdDocument(document) => Some(document),
            _ => None,
        }
    }

    /// The address, if this is `address` data.
    pub fn as_address(&self) -> Option<&ResidentialAddress> {
        match self {
            ElementData::Address(address) => Some(address),
            _ => None,
        }
    }
}

/// Personal data in `Debug` output: which fields are present, never their values. A bot that
/// logs what it received must not log the person's name, birth date, address or document
/// number.
fn debug_present(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, bool)],
    extra: &Map<String, Value>,
) -> fmt::Result {
    let mut debug = f.debug_struct(name);
    for (field, present) in fields {
        if *present {
            debug.field(field, &REDACTED_VALUE);
        }
    }
    for key in extra.keys() {
        debug.field(key, &REDACTED_VALUE);
    }
    debug.finish()
}

/// What a redacted value prints as (without quotes).
struct RedactedValue;

const REDACTED_VALUE: RedactedValue = RedactedValue;

impl fmt::Debug for RedactedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(tgauth_core::REDACTED)
    }
}

impl fmt::Debug for PersonalDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_present(
            f,
            "PersonalDetails",
            &[
                ("first_name", !self.first_name.is_empty()),
                ("last_name", !self.last_name.is_empty()),
                ("middle_name", self.middle_name.is_some()),
                ("birth_date", !self.birth_date.is_empty()),
                ("gender", !self.gender.is_empty()),
                ("country_code", !self.country_code.is_empty()),
                (
                    "residence_country_code",
                    !self.residence_country_code.is_empty(),
                ),
                ("first_name_native", self.first_name_native.is_some()),
                ("last_name_native", self.last_name_native.is_some()),
                ("middle_name_native", self.middle_name_native.is_some()),
            ],
            &self.extra,
        )
    }
}

impl fmt::Debug for IdDocumentData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_present(
            f,
            "IdDocumentData",
            &[
                ("document_no", !self.document_no.is_empty()),
                ("expiry_date", self.expiry_date.is_some()),
            ],
            &self.extra,
        )
    }
}

impl fmt::Debug for ResidentialAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_present(
            f,
            "ResidentialAddress",
            &[
                ("street_line1", !self.street_line1.is_empty()),
                ("street_line2", self.street_line2.is_some()),
                ("city", !self.city.is_empty()),
                ("state", self.state.is_some()),
                ("country_code", !self.country_code.is_empty()),
                ("post_code", !self.post_code.is_empty()),
            ],
            &self.extra,
        )
    }
}

impl fmt::Debug for ElementData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PersonalDetails(details) => {
                f.debug_tuple("PersonalDetails").field(details).finish()
            }
            Self::IdDocument(document) => f.debug_tuple("IdDocument").field(document).finish(),
            Self::Address(address) => f.debug_tuple("Address").field(address).finish(),
        }
    }
}
