//! Serde types for Telegram Passport.
//!
//! This crate owns the data model of Telegram Passport as the Bot API and the Passport spec
//! describe it: what a service asks for (the scope), what a bot receives (encrypted elements and
//! credentials), what those decrypt to, and the element errors a bot sends back with
//! `setPassportDataErrors`. It does no cryptography and no I/O: `passport-crypto` opens and seals
//! passports with these types, and `bot-api-client` carries them over the Bot API.
//!
//! # Modules
//!
//! - [`element`]: the thirteen element types with Telegram's exact strings.
//! - [`scope`]: the request side: `PassportScope` and its validation against the spec's tables.
//! - [`received`]: what a bot receives: `PassportData`, encrypted elements, files, credentials.
//! - [`decrypted`]: what the encrypted parts decrypt to: credentials and element data.
//! - [`errors`]: `PassportElementError`, serialized exactly as `setPassportDataErrors` expects.

pub mod decrypted;
pub mod element;
pub mod errors;
pub mod received;
pub mod scope;
