//! The scope model: `PassportScope` and its elements, their serde form (the Bot API's JSON)
//! and the compact form the official JS SDK packs into a request link.

use std::fmt;

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

impl fmt::Display for PassportScope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(json) => formatter.write_str(&json),
            Err(_) => Err(fmt::Error),
        }
    }
}
