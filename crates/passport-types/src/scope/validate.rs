//! The spec's rules for a scope: [`PassportScope::validate`] and the [`ScopeError`] it returns.

use std::collections::BTreeSet;

use crate::element::ElementType;
use crate::scope::{
    PassportScope, SCOPE_VERSION, ScopeElement, ScopeElementOne, ScopeElementOneOf,
};

impl PassportScope {
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
