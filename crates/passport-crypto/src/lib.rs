//! Telegram Passport cryptography: open (decrypt and verify) what the Telegram app sealed, and,
//! with the `seal` feature, seal as the Telegram app does.
//!
//! The credentials secret is RSA-OAEP (SHA-1, MGF1-SHA-1) encrypted to the bot's public key; every
//! data blob and file is AES-256-CBC under a key and IV derived as `SHA512(secret ‖ hash)`, and its
//! integrity is `SHA256(padded plaintext) == hash`. This crate never touches the network and does
//! not depend on an async runtime.
//!
//! ```
//! // Sealing needs the `seal` feature, which this crate's own tests and examples turn on.
//! use passport_crypto::key::{KeySize, PrivateKey};
//! use passport_crypto::open::open;
//! use passport_crypto::seal::{ElementToSeal, seal};
//! use passport_types::element::ElementType;
//! use rand_core::SeedableRng;
//!
//! // The bot's key; give `key.public_key().to_pem()` to BotFather with /setpublickey.
//! let key = PrivateKey::generate(KeySize::Rsa2048)?;
//!
//! // What the Telegram app sends (here sealed locally, as the sandbox does).
//! let mut email = ElementToSeal::new(ElementType::Email);
//! email.email = Some("ada@example.com".to_owned());
//! let mut address = ElementToSeal::new(ElementType::Address);
//! address.data = Some(br#"{"street_line1":"1 Main St","city":"London","country_code":"GB","post_code":"N1"}"#.to_vec());
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let sealed = seal(key.public_key(), "my-nonce", &[email, address], &mut rng)?;
//!
//! // The bot's side: decrypt and verify everything, then check the nonce.
//! let passport = open(&key, &sealed.passport_data)?;
//! passport.check_nonce("my-nonce")?;
//! let address = passport.element(&ElementType::Address).and_then(|element| element.data.as_ref());
//! assert_eq!(address.and_then(|data| data.as_address()).map(|a| a.city.as_str()), Some("London"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! - [`key`]: the bot's RSA private key: loading (PEM, PKCS#1, PKCS#8, encrypted PKCS#8, read
//!   with RustCrypto's `pkcs1`/`pkcs8`/`spki` and `pem-rfc7468`), generation, public key export
//!   for BotFather.
//! - [`open`]: decrypting and verifying `PassportData` into typed elements.
//! - [`mod@file`]: decrypting downloaded files, in memory and streaming.
//! - `seal` (feature `seal`): the Telegram app's side, for tests, fixtures and the sandbox.
//! - [`nonce`]: issuing and verifying request nonces bound to a user and an expiry.
//! - [`scope_check`]: what an opened passport lacks against the requested scope.
//!
//! Operations on what was received return [`Error`]; a key or server secret that cannot be
//! used is a [`KeyError`], a configuration problem rather than a verdict. [`tgauth_core`] is
//! re-exported for the ids and times in this crate's API (`UserId`, `UnixTime`).
//!
//! # Crate features
//!
//! - `aws-lc-rs` (default): RSA-OAEP decryption through AWS-LC, constant-time and blinded.
//! - `rsa-backend`: RSA-OAEP decryption through the pure-Rust `rsa` crate, for targets that
//!   cannot build C. It always uses blinded decryption, but the crate carries
//!   [RUSTSEC-2023-0071](https://rustsec.org/advisories/RUSTSEC-2023-0071) (Marvin: a timing
//!   side channel of private-key operations, no fixed release). Here the attacker chooses the
//!   ciphertext (the client produces `EncryptedCredentials.secret`), so prefer `aws-lc-rs`
//!   wherever C builds.
//!
//!   At least one of the two must be enabled; with both, [`Backend`] chooses per key.
//! - `seal` (off by default): the `seal` module, sealing passports as the Telegram app does:
//!   RSA-OAEP encryption of the credentials secret, AES-256-CBC of every part, every random
//!   choice from the caller's RNG. The RSA step goes through aws-lc-rs, which draws its own OAEP
//!   seed; with `rsa-backend` too it goes through the `rsa` crate with the seed from the RNG, so
//!   that sealing is reproducible byte for byte (a public-key operation, which
//!   RUSTSEC-2023-0071 does not concern). A bot or a website only opens passports and leaves it
//!   off; tests, fixtures and the sandbox turn it on.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "aws-lc-rs", feature = "rsa-backend")))]
compile_error!("enable at least one RSA backend: feature `aws-lc-rs` or `rsa-backend`");

mod backend;
mod blob;
mod error;
pub mod file;
pub mod key;
pub mod nonce;
pub mod open;
pub mod scope_check;
#[cfg(feature = "seal")]
#[cfg_attr(docsrs, doc(cfg(feature = "seal")))]
pub mod seal;

pub use backend::Backend;
pub use error::{Error, KeyError, Location, Part, Result};
pub use tgauth_core;
