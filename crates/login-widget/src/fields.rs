//! Received fields in every form they arrive in, decoded once and sorted for the check string.
//!
//! Values are kept exactly as received: a value without escapes is borrowed from the input, and
//! only an escaped value is decoded into its own string. The check string is never built as one
//! string; its pieces are fed to the MAC in sorted order.

use std::borrow::Cow;

use base64::Engine as _;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use tgauth_core::UnixTime;

use crate::Malformed;

/// One received `key=value` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Cow<'a, str>,
}

/// Fields sorted bytewise by key, with no empty and no duplicated key.
#[derive(Debug)]
pub(crate) struct SortedFields<'a> {
    fields: Vec<Field<'a>>,
}

impl<'a> SortedFields<'a> {
    pub(crate) fn new(mut fields: Vec<Field<'a>>) -> Result<Self, Malformed> {
        if fields.is_empty() {
            return Err(Malformed::Empty);
        }
        fields.sort_unstable_by(|a, b| compare_keys(&a.key, &b.key));
        if fields.iter().any(|field| field.key.is_empty()) {
            return Err(Malformed::EmptyKey);
        }
        if let Some(pair) = fields.windows(2).find(|pair| match pair {
            [a, b] => same_key(&a.key, &b.key),
            _ => false,
        }) && let Some(first) = pair.first()
        {
            return Err(Malformed::DuplicateKey {
                key: first.key.clone().into_owned(),
            });
        }
        Ok(Self { fields })
    }

    /// Refuses fields that would let one check string be split into fields in two ways: a
    /// line feed anywhere, or `=` in a name. Verifiers call it (a login whose `last_name`
    /// swallowed `\nusername=...` would otherwise verify with `username` gone); signers do not,
    /// so tests can still produce such data and see it refused.
    /// Fields that `unsigned` names (the widget's site parameters) are in no check string and
    /// are not looked at.
    pub(crate) fn check_unambiguous(
        &self,
        unsigned: impl Fn(&str) -> bool,
    ) -> Result<(), Malformed> {
        match self.fields.iter().find(|field| {
            let ambiguous = field.key.bytes().any(|b| b == b'=' || b == b'\n')
                || field.value.as_bytes().contains(&b'\n');
            ambiguous && !unsigned(&field.key)
        }) {
            Some(field) => Err(Malformed::AmbiguousField {
                key: field.key.chars().take(64).collect(),
            }),
            None => Ok(()),
        }
    }

    /// Sorts borrowed `(key, value)` pairs.
    pub(crate) fn from_pairs(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Malformed> {
        Self::new(
            pairs
                .into_iter()
                .map(|(key, value)| Field {
                    key: Cow::Borrowed(key),
                    value: Cow::Borrowed(value),
                })
                .collect(),
        )
    }

    /// The HMAC-SHA-256 under `key` of the check string of the fields that `skip` does not name
    /// (`hash`, and the site's own parameters for the widget).
    fn mac(&self, key: &ring::hmac::Key, skip: impl Fn(&str) -> bool) -> ring::hmac::Tag {
        let mut context = ring::hmac::Context::with_key(key);
        // The pieces are small; gathering them in a stack buffer saves a MAC update per piece
        // (a third of the widget check's time when fed one by one).
        let mut buffer = [0u8; 256];
        let mut filled = 0;
        self.feed_check_string(skip, |piece| {
            match buffer.get_mut(filled..filled + piece.len()) {
                Some(room) => {
                    room.copy_from_slice(piece);
                    filled += piece.len();
                }
                None => {
                    context.update(buffer.get(..filled).unwrap_or_default());
                    filled = 0;
                    match buffer.get_mut(..piece.len()) {
                        Some(room) => {
                            room.copy_from_slice(piece);
                            filled = piece.len();
                        }
                        None => context.update(piece),
                    }
                }
            }
        });
        context.update(buffer.get(..filled).unwrap_or_default());
        context.sign()
    }

    /// The lowercase hex MAC of [`SortedFields::mac`], as Telegram writes the `hash`, on the
    /// stack.
    pub(crate) fn hex_mac(&self, key: &ring::hmac::Key, skip: impl Fn(&str) -> bool) -> [u8; 64] {
        let mut out = [0u8; 64];
        // A SHA-256 MAC is 32 bytes: it always fits, and the zeros of a failure match nothing.
        if hex::encode_to_slice(self.mac(key, skip), &mut out).is_err() {
            out = [0u8; 64];
        }
        out
    }

    /// Whether `hash` is the lowercase hex MAC of the check string under `key`, compared in
    /// constant time (Telegram writes lowercase hex: anything else matches nothing).
    pub(crate) fn mac_matches(
        &self,
        key: &ring::hmac::Key,
        skip: impl Fn(&str) -> bool,
        hash: &str,
    ) -> bool {
        tgauth_core::constant_time_eq(&self.hex_mac(key, skip), hash.as_bytes())
    }

    /// The value of `key`, if received.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .binary_search_by(|field| compare_keys(&field.key, key))
            .ok()
            .and_then(|index| self.fields.get(index))
            .map(|field| field.value.as_ref())
    }

    /// The fields in check-string order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|field| (field.key.as_ref(), field.value.as_ref()))
    }

    /// Feeds the check string (every field whose key `skip` does not name, `key=value` joined
    /// by `\n`) to `sink` in pieces.
    pub(crate) fn feed_check_string(
        &self,
        skip: impl Fn(&str) -> bool,
        mut sink: impl FnMut(&[u8]),
    ) {
        let mut first = true;
        for (key, value) in self.iter() {
            if skip(key) {
                continue;
            }
            if !first {
                sink(b"\n");
            }
            first = false;
            sink(key.as_bytes());
            sink(b"=");
            sink(value.as_bytes());
        }
    }

    /// The `hash` field, present and non-empty.
    pub(crate) fn hash(&self) -> Result<&str, Malformed> {
        hash_value(self.get("hash"))
    }

    /// The `auth_date` field.
    pub(crate) fn auth_date(&self) -> Result<UnixTime, Malformed> {
        auth_date_value(self.get("auth_date"))
    }

    /// The keys in sorted order, for one walk that locates several known fields.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|field| field.key.as_ref())
    }

    /// The value at a position found by walking [`SortedFields::keys`].
    pub(crate) fn value_at(&self, index: Option<usize>) -> Option<&str> {
        index
            .and_then(|index| self.fields.get(index))
            .map(|field| field.value.as_ref())
    }

    /// The value at a position, moved out (no copy when it was decoded into its own string).
    pub(crate) fn take_at(&mut self, index: Option<usize>) -> Option<String> {
        let field = self.fields.get_mut(index?)?;
        Some(std::mem::take(&mut field.value).into_owned())
    }
}

/// A received `hash`, present and non-empty.
pub(crate) fn hash_value(value: Option<&str>) -> Result<&str, Malformed> {
    match value {
        None => Err(Malformed::MissingHash),
        Some("") => Err(Malformed::EmptyHash),
        Some(hash) => Ok(hash),
    }
}

/// A received `auth_date`, present and a decimal integer.
pub(crate) fn auth_date_value(value: Option<&str>) -> Result<UnixTime, Malformed> {
    parse_integer(value.ok_or(Malformed::MissingAuthDate)?)
        .map(UnixTime)
        .ok_or(Malformed::InvalidAuthDate)
}

/// The skip rule of every check string but the widget's with site parameters: only `hash`.
pub(crate) fn only_hash(key: &str) -> bool {
    same_key(key, "hash")
}

/// Bytewise order of two keys. Keys are a few bytes long: an inlined loop beats a call to
/// `memcmp`, which dominated the widget check's profile.
#[inline]
fn compare_keys(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

#[inline]
fn same_key(a: &str, b: &str) -> bool {
    compare_keys(a, b).is_eq()
}

/// A decimal integer as Telegram writes one: an optional `-` and ASCII digits, nothing else.
pub(crate) fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits a `application/x-www-form-urlencoded` string into decoded fields. Empty segments (as
/// in `a=1&&b=2` or a trailing `&`) are skipped; a segment without `=` is a key with an empty
/// value, as browsers read it.
pub(crate) fn parse_query(query: &str) -> Result<Vec<Field<'_>>, Malformed> {
    let mut fields = Vec::with_capacity(8);
    for segment in query.split('&') {
        if segment.is_empty() {
            continue;
        }
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        fields.push(Field {
            key: decode_component(key)?,
            value: decode_component(value)?,
        });
    }
    Ok(fields)
}

/// Percent-decodes one query component with `+` as a space, borrowing when nothing is escaped
/// (most widget fields are plain: the check stays allocation-free for them). A `%` without two
/// hex digits and a result that is not UTF-8 are malformed: lossy decoding would sign something
/// other than what was received.
pub(crate) fn decode_component(text: &str) -> Result<Cow<'_, str>, Malformed> {
    tgauth_core::decode_form_component(text).map_err(|error| match error {
        tgauth_core::Error::InvalidUtf8 => Malformed::InvalidUtf8,
        // The decoder has no other failure than these two; a future one is a bad escape too.
        _ => Malformed::InvalidPercentEncoding,
    })
}

/// Parses the `data-onauth` JSON object. Strings are unescaped; numbers keep their decimal text
/// exactly as received (Telegram signs `id=42`, not a re-serialized float). Anything else
/// (null, booleans, arrays, objects) is malformed.
pub(crate) fn parse_json(json: &str) -> Result<Vec<Field<'static>>, Malformed> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let fields = deserializer
        .deserialize_map(ObjectVisitor)
        .map_err(|_| Malformed::InvalidJson)?;
    deserializer.end().map_err(|_| Malformed::InvalidJson)?;
    fields
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Result<Vec<Field<'static>>, Malformed>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(8);
        while let Some((key, raw)) = map.next_entry::<String, Box<RawValue>>()? {
            let text = raw.get();
            let value = if text.starts_with('"') {
                match serde_json::from_str::<String>(text) {
                    Ok(value) => value,
                    Err(_) => return Ok(Err(Malformed::InvalidJson)),
                }
            } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                text.to_owned()
            } else {
                return Ok(Err(Malformed::InvalidJson));
            };
            fields.push(Field {
                key: Cow::Owned(key),
                value: Cow::Owned(value),
            });
        }
        Ok(Ok(fields))
    }
}

/// Decodes the `#tgAuthResult=` fragment value: base64url (padded or not, optionally
/// percent-encoded) of the JSON object. A leading `#` and `tgAuthResult=` are accepted.
pub(crate) fn parse_tg_auth_result(text: &str) -> Result<Vec<Field<'static>>, Malformed> {
    let text = text.trim_start_matches('#');
    let text = text.strip_prefix("tgAuthResult=").unwrap_or(text);
    let text = decode_component(text)?;
    let json = TG_AUTH_RESULT
        .decode(text.trim_end_matches('=').as_bytes())
        .map_err(|_| Malformed::InvalidBase64)?;
    let json = String::from_utf8(json).map_err(|_| Malformed::InvalidUtf8)?;
    parse_json(&json)
}

/// Base64url without padding: the `tgAuthResult` and Mini App `signature` encoding.
pub(crate) const TG_AUTH_RESULT: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Finds the login data in a full callback URL: a `tgAuthResult` fragment, else the query.
pub(crate) fn parse_url(url: &str) -> Result<Vec<Field<'_>>, Malformed> {
    let (before_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
    if let Some(result) = fragment
        .split('&')
        .find_map(|part| part.strip_prefix("tgAuthResult="))
    {
        return parse_tg_auth_result(result);
    }
    match before_fragment.split_once('?') {
        Some((_, query)) if !query.is_empty() => parse_query(query),
        _ => Err(Malformed::NoDataInUrl),
    }
}
