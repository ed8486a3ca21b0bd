//! Serde types for Telegram Passport.
//!
//! This crate owns the data model of Telegram Passport as the Bot API and the Passport spec
//! describe it: what a service asks for (the scope and the request link), what a bot receives
//! (encrypted elements and credentials), what those decrypt to, and the element errors a bot
//! sends back with `setPassportDataErrors`. It does no cryptography and no I/O:
//! `passport-crypto` opens and seals passports with these types, and `bot-api-client` carries
//! them over the Bot API.
//!
//! ```
//! use passport_types::decrypted::{Credentials, ElementData};
//! use passport_types::element::ElementType;
//! use passport_types::errors::PassportElementError;
//! use passport_types::received::PassportData;
//!
//! // What the Bot API delivers in `Message.passport_data` (the base64 fields stay strings).
//! let received: PassportData = serde_json::from_str(r#"{
//!     "data": [{"type": "passport", "data": "ZW5j", "front_side": {"file_id": "f",
//!               "file_unique_id": "u", "file_size": 1, "file_date": 2}, "hash": "aGFzaA=="}],
//!     "credentials": {"data": "ZA==", "hash": "aA==", "secret": "cw=="}
//! }"#)?;
//! assert_eq!(received.data[0].kind, ElementType::Passport);
//!
//! // What `passport-crypto` decrypts the credentials and the element data to.
//! let credentials = Credentials::parse(br#"{"nonce": "n-1", "secure_data": {"passport": {
//!     "data": {"data_hash": "ZGg=", "secret": "c2Vj"}}}}"#)?;
//! let data = ElementData::parse(&ElementType::Passport, br#"{"document_no": "AB123"}"#)?;
//! let document = data.as_id_document().expect("passport data is document data");
//! assert_eq!(document.expiry_date, None); // optional in the spec, so optional here
//!
//! // What the bot answers with `setPassportDataErrors`.
//! let data_hash = &credentials.secure_data.get(&ElementType::Passport).unwrap()
//!     .data.as_ref().unwrap().data_hash;
//! let error = PassportElementError::data(
//!     ElementType::Passport, "expiry_date", data_hash, "Please add the expiry date")?;
//! assert_eq!(serde_json::to_value(&error)?["source"], "data");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! - [`element`]: the thirteen element types with Telegram's exact strings.
//! - [`scope`]: the request side: `PassportScope`, its validation against the spec's tables, and
//!   the request link the official JS SDK opens.
//! - [`received`]: what a bot receives: `PassportData`, encrypted elements, files, credentials.
//! - [`decrypted`]: what the encrypted parts decrypt to: credentials and element data.
//! - [`errors`]: `PassportElementError`, serialized exactly as `setPassportDataErrors` expects.
//!
//! Each module's operations return its own error; [`Error`] at the root gathers them.
//!
//! [`tgauth_core`] is re-exported for the shared vocabulary this crate's API uses (`BotId` in a
//! request, `UnixTime` for file dates).
//!
//! # Compatibility
//!
//! Unknown fields are kept (`extra`) and an unknown element type is a typed value
//! ([`element::ElementType::Unknown`]), so a newer Telegram client never makes an older bot fail
//! to parse.

pub mod decrypted;
pub mod element;
mod error;
pub mod errors;
pub mod received;
pub mod scope;

pub use error::Error;
pub use tgauth_core;
