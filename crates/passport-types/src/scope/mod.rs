//! The request side: `PassportScope { data, v: 1 }`, its elements (`one_of`, `selfie`,
//! `translation`, `native_names`) and their validation against the spec's tables, and the
//! `tg://resolve?domain=telegrampassport` link the official JS SDK opens.
//!
//! The scope model and its two JSON forms live in one file, its validation against the spec's
//! tables ([`ScopeError`]) in another, and the request link and button ([`PassportRequest`],
//! [`RequestError`]) in a third; every item is reachable here, and only here.
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

mod model;
mod request;
mod validate;

pub use model::{PassportScope, SCOPE_VERSION, ScopeElement, ScopeElementOne, ScopeElementOneOf};
pub use request::{MAX_NONCE_LEN, MIN_NONCE_LEN, PassportRequest, RequestError};
pub use validate::ScopeError;
