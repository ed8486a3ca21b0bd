//! The request side: `PassportScope { data, v: 1 }`, its elements (`one_of`, `selfie`,
//! `translation`, `native_names`) and their validation against the spec's tables, and the
//! `tg://resolve?domain=telegrampassport` link the official JS SDK opens.
//!
//! ```
//! use passport_types::element::ElementType;
//! use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne};
//!
//! let scope = PassportScope::new(vec![
//!     ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]).with_selfie(),
//!     ScopeElementOne::new(ElementType::PersonalDetails).with_native_names().into(),
//!     ElementType::PhoneNumber.into(),
//! ]);
//! scope.validate().unwrap();
//! assert_eq!(
//!     serde_json::to_string(&scope).unwrap(),
//!     r#"{"data":[{"one_of":["passport","identity_card"],"selfie":true},{"type":"personal_details","native_names":true},"phone_number"],"v":1}"#,
//! );
//! ```

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::element::ElementType;

/// The only scope version the spec defines.
pub const SCOPE_VERSION: u32 = 1;

/// The data a service requests: `{"data": [...], "v": 1}`.
///
/// Deserialization reads both forms of an element (a bare type string or an object) and refuses
/// unknown keys in element objects, since a misspelt `selfie` would silently not be requested.
/// It does not check the spec's rules: call [`validate`](Self::validate) for that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportScope {
    /// The requested elements; each type may appear only once in the whole scope.
    pub data: Vec<ScopeElement>,
    /// The scope version, which must be 1.
    pub v: u32,
}

impl PassportScope {
    /// A version 1 scope requesting `data`.
    pub fn new(data: Vec<ScopeElement>) -> PassportScope {
        PassportScope {
            data,
            v: SCOPE_VERSION,
        }
    }

    /// Checks the scope against the spec's rules and returns the first violation:
    ///
    /// - `v` is 1 and `data` is not empty;
    /// - every type is one of the thirteen known ones, and appears once in the whole scope;
    /// - `selfie` only on identity documents, `translation` only on documents,
    ///   `native_names` only on `personal_details`;
    /// - a `one_of` lists at least two types, all identity documents or all address documents.
    ///
    /// The JS SDK also knows the pseudo-types `id_document` and `address_document` (aliases
    /// `idd`, `add`), which the Bot API's scope does not define; they are refused here as unknown
    /// types, and a `one_of` says the same thing in the Bot API's terms.
    pub fn validate(&self) -> Result<(), ScopeError> {
        if self.v != SCOPE_VERSION {
            return Err(ScopeError::UnsupportedVersion { v: self.v });
        }
        if self.data.is_empty() {
            return Err(ScopeError::Empty);
        }
        let mut seen = BTreeSet::new();
        for (index, element) in self.data.iter().enumerate() {
            match element {
                ScopeElement::One(one) => check_one(index, one, &mut seen)?,
                ScopeElement::OneOf(several) => check_one_of(index, several, &mut seen)?,
            }
        }
        Ok(())
    }

    /// Every element type the scope names, in order (members of `one_of` included).
    pub fn types(&self) -> impl Iterator<Item = &ElementType> {
        self.data
            .iter()
            .flat_map(|element| -> Box<dyn Iterator<Item = &ElementType>> {
                match element {
                    ScopeElement::One(one) => Box::new(std::iter::once(&one.kind)),
                    ScopeElement::OneOf(several) => {
                        Box::new(several.one_of.iter().map(|one| &one.kind))
                    }
                }
            })
    }

    /// The scope as the official JS SDK packs it into a request link: `{"v":1,"d":[...]}` with
    /// short type aliases (`pd`, `pp`, ...), `_` for `type`/`one_of` and `s`, `t`, `n` set to
    /// 1 for `selfie`, `translation`, `native_names`.
    ///
    /// Unknown types have no alias and are written as they are; [`validate`](Self::validate)
    /// rejects them first.
    pub fn to_uri_json(&self) -> String {
        let data: Vec<Value> = self.data.iter().map(ScopeElement::to_uri_value).collect();
        // The SDK writes "v" before "d" (it renames `data` to `d`, which moves it last);
        // serde_json's map would sort "d" first, so the two keys are written by hand.
        let data = Value::Array(data);
        format!("{{\"v\":{},\"d\":{data}}}", self.v)
    }
}

fn check_flags(index: usize, one: &ScopeElementOne) -> Result<(), ScopeError> {
    let kind = &one.kind;
    if !kind.is_known() {
        return Err(ScopeError::UnknownType {
            index,
            kind: kind.clone(),
        });
    }
    if one.selfie && !kind.is_identity_document() {
        return Err(ScopeError::SelfieNotAllowed {
            index,
            kind: kind.clone(),
        });
    }
    if one.translation && !kind.is_document() {
        return Err(ScopeError::TranslationNotAllowed {
            index,
            kind: kind.clone(),
        });
    }
    if one.native_names && *kind != ElementType::PersonalDetails {
        return Err(ScopeError::NativeNamesNotAllowed {
            index,
            kind: kind.clone(),
        });
    }
    Ok(())
}

fn note_type(
    index: usize,
    kind: &ElementType,
    seen: &mut BTreeSet<ElementType>,
) -> Result<(), ScopeError> {
    if seen.insert(kind.clone()) {
        Ok(())
    } else {
        Err(ScopeError::DuplicateType {
            index,
            kind: kind.clone(),
        })
    }
}

fn check_one(
    index: usize,
    one: &ScopeElementOne,
    seen: &mut BTreeSet<ElementType>,
) -> Result<(), ScopeError> {
    check_flags(index, one)?;
    note_type(index, &one.kind, seen)
}

fn check_one_of(
    index: usize,
    several: &ScopeElementOneOf,
    seen: &mut BTreeSet<ElementType>,
) -> Result<(), ScopeError> {
    let Some(first) = several.one_of.first() else {
        return Err(ScopeError::OneOfTooSmall { index, len: 0 });
    };
    if several.one_of.len() < 2 {
        return Err(ScopeError::OneOfTooSmall { index, len: 1 });
    }
    for member in &several.one_of {
        check_flags(index, member)?;
    }
    let identity = first.kind.is_identity_document();
    for member in &several.one_of {
        let same_class = if identity {
            member.kind.is_identity_document()
        } else {
            member.kind.is_address_document()
        };
        if !same_class {
            return Err(ScopeError::OneOfMixed {
                index,
                kind: member.kind.clone(),
            });
        }
    }
    if several.selfie && !identity {
        return Err(ScopeError::SelfieNotAllowed {
            index,
            kind: first.kind.clone(),
        });
    }
    for member in &several.one_of {
        note_type(index, &member.kind, seen)?;
    }
    Ok(())
}

/// A violation of the spec's scope rules, found by [`PassportScope::validate`].
///
/// `index` is the position of the offending element in the scope's `data`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The scope version is not 1.
    #[error("scope version must be 1, not {v}")]
    UnsupportedVersion {
        /// The version given.
        v: u32,
    },
    /// The scope requests nothing.
    #[error("scope requests no elements")]
    Empty,
    /// An element type this crate does not know (the Telegram app would refuse it).
    #[error("scope element {index}: unknown element type `{kind}`")]
    UnknownType {
        /// Position of the element in `data`.
        index: usize,
        /// The unknown type.
        kind: ElementType,
    },
    /// A type appears more than once in the scope.
    #[error("scope element {index}: `{kind}` is requested more than once")]
    DuplicateType {
        /// Position of the repeated occurrence in `data`.
        index: usize,
        /// The repeated type.
        kind: ElementType,
    },
    /// A selfie was requested for a type that is not an identity document.
    #[error(
        "scope element {index}: a selfie can only be requested with an identity document, not `{kind}`"
    )]
    SelfieNotAllowed {
        /// Position of the element in `data`.
        index: usize,
        /// The type the selfie was requested for.
        kind: ElementType,
    },
    /// A translation was requested for a type that is not a document.
    #[error(
        "scope element {index}: a translation can only be requested for a document, not `{kind}`"
    )]
    TranslationNotAllowed {
        /// Position of the element in `data`.
        index: usize,
        /// The type the translation was requested for.
        kind: ElementType,
    },
    /// Native names were requested for a type other than `personal_details`.
    #[error(
        "scope element {index}: native names can only be requested with `personal_details`, not `{kind}`"
    )]
    NativeNamesNotAllowed {
        /// Position of the element in `data`.
        index: usize,
        /// The type native names were requested for.
        kind: ElementType,
    },
    /// A `one_of` lists fewer than two types.
    #[error("scope element {index}: `one_of` needs at least two types, it has {len}")]
    OneOfTooSmall {
        /// Position of the element in `data`.
        index: usize,
        /// How many types it lists.
        len: usize,
    },
    /// A `one_of` mixes identity and address documents, or lists a type that is neither.
    #[error(
        "scope element {index}: `one_of` must list only identity documents or only address documents, `{kind}` does not fit"
    )]
    OneOfMixed {
        /// Position of the element in `data`.
        index: usize,
        /// The first member that does not fit the first member's class.
        kind: ElementType,
    },
}

/// One requested element: a single type, or one of several documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeElement {
    /// `PassportScopeElementOne`: one particular element.
    One(ScopeElementOne),
    /// `PassportScopeElementOneOfSeveral`: any one of several documents.
    OneOf(ScopeElementOneOf),
}

impl ScopeElement {
    /// A `one_of` element over `types`, without selfie or translation.
    pub fn one_of(types: impl IntoIterator<Item = ElementType>) -> ScopeElement {
        ScopeElement::OneOf(ScopeElementOneOf {
            one_of: types.into_iter().map(ScopeElementOne::new).collect(),
            selfie: false,
            translation: false,
        })
    }

    /// The same element with `selfie` requested (on the element, or on the whole `one_of`).
    pub fn with_selfie(mut self) -> ScopeElement {
        match &mut self {
            ScopeElement::One(one) => one.selfie = true,
            ScopeElement::OneOf(several) => several.selfie = true,
        }
        self
    }

    /// The same element with `translation` requested (on the element, or on the whole
    /// `one_of`).
    pub fn with_translation(mut self) -> ScopeElement {
        match &mut self {
            ScopeElement::One(one) => one.translation = true,
            ScopeElement::OneOf(several) => several.translation = true,
        }
        self
    }

    fn to_uri_value(&self) -> Value {
        match self {
            ScopeElement::One(one) => one.to_uri_value(),
            ScopeElement::OneOf(several) => {
                let members = several.one_of.iter().map(ScopeElementOne::to_uri_value);
                let mut object = Map::new();
                object.insert("_".to_owned(), Value::Array(members.collect()));
                insert_flag(&mut object, "s", several.selfie);
                insert_flag(&mut object, "t", several.translation);
                Value::Object(object)
            }
        }
    }
}

fn insert_flag(object: &mut Map<String, Value>, key: &str, set: bool) {
    if set {
        object.insert(key.to_owned(), Value::from(1));
    }
}

impl From<ElementType> for ScopeElement {
    fn from(kind: ElementType) -> Self {
        ScopeElement::One(ScopeElementOne::new(kind))
    }
}

impl From<ScopeElementOne> for ScopeElement {
    fn from(one: ScopeElementOne) -> Self {
        ScopeElement::One(one)
    }
}

impl From<ScopeElementOneOf> for ScopeElement {
    fn from(several: ScopeElementOneOf) -> Self {
        ScopeElement::OneOf(several)
    }
}

/// One particular requested element, with its options.
///
/// Without options it serializes as the bare type string (`"phone_number"`), as the spec and
/// the JS SDK allow; with options as `{"type": ..., "selfie": true, ...}`, options that are
/// not set left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeElementOne {
    /// The requested type.
    pub kind: ElementType,
    /// Request a selfie with the document (identity documents only).
    pub selfie: bool,
    /// Request a translation of the document (documents only).
    pub translation: bool,
    /// Request the names in the language of the country of residence (`personal_details`
    /// only).
    pub native_names: bool,
}

impl ScopeElementOne {
    /// The element `kind` without options.
    pub fn new(kind: ElementType) -> ScopeElementOne {
        ScopeElementOne {
            kind,
            selfie: false,
            translation: false,
            native_names: false,
        }
    }

    /// The same element with `selfie` requested.
    pub fn with_selfie(self) -> ScopeElementOne {
        ScopeElementOne {
            selfie: true,
            ..self
        }
    }

    /// The same element with `translation` requested.
    pub fn with_translation(self) -> ScopeElementOne {
        ScopeElementOne {
            translation: true,
            ..self
        }
    }

    /// The same element with `native_names` requested.
    pub fn with_native_names(self) -> ScopeElementOne {
        ScopeElementOne {
            native_names: true,
            ..self
        }
    }

    fn has_options(&self) -> bool {
        self.selfie || self.translation || self.native_names
    }

    fn to_uri_value(&self) -> Value {
        let kind = Value::from(self.kind.uri_alias().unwrap_or(self.kind.as_str()));
        if !self.has_options() {
            return kind;
        }
        let mut object = Map::new();
        object.insert("_".to_owned(), kind);
        insert_flag(&mut object, "s", self.selfie);
        insert_flag(&mut object, "t", self.translation);
        insert_flag(&mut object, "n", self.native_names);
        Value::Object(object)
    }
}

impl From<ElementType> for ScopeElementOne {
    fn from(kind: ElementType) -> Self {
        ScopeElementOne::new(kind)
    }
}

/// Any one of several documents, with options for the chosen one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeElementOneOf {
    /// The documents to choose from (each may carry its own options).
    pub one_of: Vec<ScopeElementOne>,
    /// Request a selfie with the chosen document (identity documents only).
    pub selfie: bool,
    /// Request a translation of the chosen document.
    pub translation: bool,
}

fn serialize_flags<M: SerializeMap>(map: &mut M, flags: &[(&str, bool)]) -> Result<(), M::Error> {
    for (key, set) in flags {
        if *set {
            map.serialize_entry(key, &true)?;
        }
    }
    Ok(())
}

impl Serialize for ScopeElementOne {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.has_options() {
            return self.kind.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.kind)?;
        serialize_flags(
            &mut map,
            &[
                ("selfie", self.selfie),
                ("translation", self.translation),
                ("native_names", self.native_names),
            ],
        )?;
        map.end()
    }
}

impl Serialize for ScopeElementOneOf {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("one_of", &self.one_of)?;
        serialize_flags(
            &mut map,
            &[("selfie", self.selfie), ("translation", self.translation)],
        )?;
        map.end()
    }
}

impl Serialize for ScopeElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ScopeElement::One(one) => one.serialize(serializer),
            ScopeElement::OneOf(several) => several.serialize(serializer),
        }
    }
}

/// Reads an optional boolean option of a scope element object.
fn take_flag(object: &mut Map<String, Value>, key: &str) -> Result<bool, String> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(set)) => Ok(set),
        Some(_) => Err(format!("scope option `{key}` must be a boolean")),
    }
}

fn refuse_leftovers(object: &Map<String, Value>, allowed: &str) -> Result<(), String> {
    match object.keys().next() {
        None => Ok(()),
        Some(key) => Err(format!(
            "unknown key `{key}` in scope element (expected {allowed})"
        )),
    }
}

fn one_from_value(value: Value) -> Result<ScopeElementOne, String> {
    match value {
        Value::String(kind) => Ok(ScopeElementOne::new(ElementType::from(kind))),
        Value::Object(mut object) => {
            let kind = match object.remove("type") {
                Some(Value::String(kind)) => ElementType::from(kind),
                Some(_) => return Err("scope element `type` must be a string".to_owned()),
                None => return Err("scope element object needs `type`".to_owned()),
            };
            let one = ScopeElementOne {
                kind,
                selfie: take_flag(&mut object, "selfie")?,
                translation: take_flag(&mut object, "translation")?,
                native_names: take_flag(&mut object, "native_names")?,
            };
            refuse_leftovers(&object, "`type`, `selfie`, `translation`, `native_names`")?;
            Ok(one)
        }
        _ => Err("a scope element must be a type string or an object".to_owned()),
    }
}

fn element_from_value(value: Value) -> Result<ScopeElement, String> {
    let Value::Object(mut object) = value else {
        return one_from_value(value).map(ScopeElement::One);
    };
    let Some(members) = object.remove("one_of") else {
        return one_from_value(Value::Object(object)).map(ScopeElement::One);
    };
    if object.contains_key("type") {
        return Err("a scope element cannot have both `type` and `one_of`".to_owned());
    }
    let Value::Array(members) = members else {
        return Err("scope element `one_of` must be an array".to_owned());
    };
    let one_of = members
        .into_iter()
        .map(one_from_value)
        .collect::<Result<Vec<_>, _>>()?;
    let several = ScopeElementOneOf {
        one_of,
        selfie: take_flag(&mut object, "selfie")?,
        translation: take_flag(&mut object, "translation")?,
    };
    refuse_leftovers(&object, "`one_of`, `selfie`, `translation`")?;
    Ok(ScopeElement::OneOf(several))
}

impl<'de> Deserialize<'de> for ScopeElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        element_from_value(value).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for ScopeElementOne {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        one_from_value(value).map_err(de::Error::custom)
    }
}

/// The shortest nonce [`PassportRequest::validate`] accepts.
///
/// The spec asks for a nonce that is "long enough" and from a cryptographically secure
/// generator, without a number; 16 characters is this crate's floor (e.g. 12 random bytes in
/// base64), so a guessable nonce is caught before it ships.
pub const MIN_NONCE_LEN: usize = 16;

/// The longest nonce [`PassportRequest::validate`] accepts.
///
/// Neither the spec nor the Telegram apps state a limit; the nonce travels in the link and back
/// inside the encrypted credentials, so this crate keeps it to a size every URL handler passes.
pub const MAX_NONCE_LEN: usize = 512;

/// Why a [`PassportRequest`] cannot produce a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The bot id is not a positive integer.
    #[error("bot id must be positive, not {bot_id}")]
    InvalidBotId {
        /// The bot id given.
        bot_id: i64,
    },
    /// The scope breaks the spec's rules.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The public key is not a PEM public key.
    #[error("public key must be a PEM public key (-----BEGIN PUBLIC KEY-----)")]
    PublicKeyNotPem,
    /// The nonce is shorter than [`MIN_NONCE_LEN`] or longer than [`MAX_NONCE_LEN`].
    #[error("nonce must be {min} to {max} characters, it has {len}")]
    NonceLength {
        /// The nonce length in characters.
        len: usize,
        /// The minimum.
        min: usize,
        /// The maximum.
        max: usize,
    },
    /// The nonce holds a control character or whitespace.
    #[error("nonce must not contain whitespace or control characters")]
    NonceCharacters,
    /// The callback URL is empty or holds whitespace or control characters.
    #[error("callback url must be a non-empty url without whitespace or control characters")]
    InvalidCallbackUrl,
}

/// A Telegram Passport authorization request: what the official JS SDK
/// (`Telegram.Passport.auth`) turns into a `tg://resolve?domain=telegrampassport` link.
///
/// ```
/// use passport_types::element::ElementType;
/// use passport_types::scope::{PassportRequest, PassportScope};
///
/// let request = PassportRequest {
///     bot_id: 543260180,
///     scope: PassportScope::new(vec![ElementType::PhoneNumber.into()]),
///     public_key: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n".to_owned(),
///     nonce: "b8e892dc2e0afe63424d101b964f1256".to_owned(),
///     callback_url: None,
/// };
/// assert_eq!(
///     request.url().unwrap(),
///     "tg://resolve?domain=telegrampassport&bot_id=543260180\
///      &scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22pn%22%5D%7D\
///      &public_key=-----BEGIN%20PUBLIC%20KEY-----%0AMIIB%0A-----END%20PUBLIC%20KEY-----%0A\
///      &nonce=b8e892dc2e0afe63424d101b964f1256&payload=nonce",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportRequest {
    /// The bot's user id (the number before the colon in its token).
    pub bot_id: i64,
    /// The requested data.
    pub scope: PassportScope,
    /// The bot's public key in PEM, as given to BotFather with `/setpublickey`.
    pub public_key: String,
    /// The bot-specified nonce: a cryptographically secure, single-use request identifier.
    pub nonce: String,
    /// Where the Telegram app sends the user when the request is finished (`tg_passport=success`,
    /// `cancel` or `error` are appended by the app).
    pub callback_url: Option<String>,
}

impl PassportRequest {
    /// Checks the bot id, the scope ([`PassportScope::validate`]), the public key, the nonce
    /// ([`MIN_NONCE_LEN`]..=[`MAX_NONCE_LEN`] characters, no whitespace or control characters)
    /// and the callback URL.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.bot_id <= 0 {
            return Err(RequestError::InvalidBotId {
                bot_id: self.bot_id,
            });
        }
        self.scope.validate()?;
        let key = self.public_key.trim();
        if !(key.starts_with("-----BEGIN ")
            && key.contains("PUBLIC KEY-----")
            && key.contains("-----END "))
        {
            return Err(RequestError::PublicKeyNotPem);
        }
        let len = self.nonce.chars().count();
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&len) {
            return Err(RequestError::NonceLength {
                len,
                min: MIN_NONCE_LEN,
                max: MAX_NONCE_LEN,
            });
        }
        if self
            .nonce
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RequestError::NonceCharacters);
        }
        if let Some(url) = &self.callback_url
            && (url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(RequestError::InvalidCallbackUrl);
        }
        Ok(())
    }

    /// The link the official JS SDK opens, after [`validate`](Self::validate):
    ///
    /// `tg://resolve?domain=telegrampassport&bot_id=…&scope=…&public_key=…&nonce=…`, then
    /// `&callback_url=…` when set, then `&payload=nonce`. Values are encoded as JavaScript's
    /// `encodeURIComponent` does, and the scope is packed as
    /// [`PassportScope::to_uri_json`] describes.
    ///
    /// The trailing `payload=nonce` is the SDK's literal "legacy for outdated apps": clients
    /// from before Passport 1.1 read the request id from `payload`, and current ones ignore it
    /// when `nonce` is present (TDLib falls back to `payload` only when `nonce` is empty).
    /// The SDK opens `tg:resolve?...` on Android; this is the `tg://` form it uses elsewhere.
    pub fn url(&self) -> Result<String, RequestError> {
        self.validate()?;
        let mut url = String::from("tg://resolve?domain=telegrampassport");
        let _ = write!(url, "&bot_id={}", self.bot_id);
        url.push_str("&scope=");
        encode_uri_component(&self.scope.to_uri_json(), &mut url);
        url.push_str("&public_key=");
        encode_uri_component(&self.public_key, &mut url);
        url.push_str("&nonce=");
        encode_uri_component(&self.nonce, &mut url);
        if let Some(callback_url) = &self.callback_url {
            url.push_str("&callback_url=");
            encode_uri_component(callback_url, &mut url);
        }
        url.push_str("&payload=nonce");
        Ok(url)
    }

    /// An HTML link styled as a button that opens [`url`](Self::url), with `text` as its
    /// label; the URL and the label are HTML-escaped.
    ///
    /// It works without JavaScript; the class `tgauth-passport-button` is there for styling.
    pub fn html_button(&self, text: &str) -> Result<String, RequestError> {
        let url = self.url()?;
        let mut html = String::from("<a class=\"tgauth-passport-button\" href=\"");
        escape_html(&url, &mut html);
        html.push_str("\">");
        escape_html(text, &mut html);
        html.push_str("</a>");
        Ok(html)
    }
}

impl fmt::Display for PassportScope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(json) => formatter.write_str(&json),
            Err(_) => Err(fmt::Error),
        }
    }
}

/// Percent-encodes `value` exactly as JavaScript's `encodeURIComponent`: everything but
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes `%XX` of its UTF-8 bytes, in upper-case hex.
pub fn encode_uri_component(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        let unreserved = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            );
        if unreserved {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// Escapes text for an HTML attribute value or element content.
fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}
