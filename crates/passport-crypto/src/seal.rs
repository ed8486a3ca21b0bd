//! Sealing as the Telegram app does: random secrets and padding, RSA-OAEP to the bot's public
//! key.
//!
//! [`seal`] turns plain elements and file contents into the Bot API's [`PassportData`] plus the
//! encrypted bytes of every file (what `getFile` would download), for tests, fixtures and the
//! sandbox. Every random choice comes from the RNG passed in, so a seeded RNG gives the same
//! output byte for byte: 32-byte secrets, 32 to 255 bytes of random padding (first byte its
//! length, total a multiple of 16), and, with the `rsa-backend` feature, the RSA-OAEP seed
//! (see [`encrypt_secret`]).
//!
//! This module exists only with the `seal` feature: it is the Telegram app's side, and a bot
//! or a website only opens passports.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use passport_types::decrypted::{
    Credentials, DataCredentials, FileCredentials, SecureData, SecureValue,
};
use passport_types::element::ElementType;
use passport_types::received::{
    EncryptedCredentials, EncryptedPassportElement, PassportData, PassportFile,
};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use tgauth_core::UnixTime;
use zeroize::Zeroizing;

use crate::blob::{self, BLOCK, MIN_PADDING};
use crate::error::{Error, Result};
use crate::key::PublicKey;

/// One element to seal, in plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ElementToSeal {
    /// The element type.
    pub kind: ElementType,
    /// The JSON the `data` decrypts to (types with data only).
    pub data: Option<Vec<u8>>,
    /// The phone number (`phone_number` only).
    pub phone_number: Option<String>,
    /// The email address (`email` only).
    pub email: Option<String>,
    /// Front side scan.
    pub front_side: Option<FileToSeal>,
    /// Reverse side scan.
    pub reverse_side: Option<FileToSeal>,
    /// Selfie.
    pub selfie: Option<FileToSeal>,
    /// Files of an address document.
    pub files: Option<Vec<FileToSeal>>,
    /// Translation files.
    pub translation: Option<Vec<FileToSeal>>,
}

impl ElementToSeal {
    /// An element of this type with nothing in it yet.
    pub fn new(kind: ElementType) -> Self {
        Self {
            kind,
            data: None,
            phone_number: None,
            email: None,
            front_side: None,
            reverse_side: None,
            selfie: None,
            files: None,
            translation: None,
        }
    }
}

/// A file to seal: its Bot API identifiers and its plain contents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileToSeal {
    /// The `file_id` the encrypted bytes are stored under.
    pub file_id: String,
    /// The `file_unique_id`.
    pub file_unique_id: String,
    /// The upload time.
    pub file_date: UnixTime,
    /// The plain contents (a JPEG, for a real client).
    pub contents: Vec<u8>,
}

impl FileToSeal {
    /// A file with these identifiers and contents.
    pub fn new(
        file_id: impl Into<String>,
        file_unique_id: impl Into<String>,
        file_date: UnixTime,
        contents: Vec<u8>,
    ) -> Self {
        Self {
            file_id: file_id.into(),
            file_unique_id: file_unique_id.into(),
            file_date,
            contents,
        }
    }
}

/// What sealing produces: the Bot API object and the encrypted bytes of each file by `file_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedPassport {
    /// `Message.passport_data` as the Bot API would deliver it.
    pub passport_data: PassportData,
    /// The encrypted contents of each file, keyed by `file_id`.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A random 32-byte secret.
fn secret(rng: &mut impl CryptoRng) -> Zeroizing<[u8; 32]> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(secret.as_mut_slice());
    secret
}

/// Random padding for a payload of `length` bytes: 32 to 255 bytes, total a multiple of 16.
fn padding(length: usize, rng: &mut impl CryptoRng) -> Vec<u8> {
    let shortest = MIN_PADDING + (BLOCK - (length + MIN_PADDING) % BLOCK) % BLOCK;
    let choices = (usize::from(u8::MAX) - shortest) / BLOCK + 1;
    let pick = usize::try_from(rng.next_u32()).unwrap_or_default() % choices;
    let mut padding = vec![0u8; shortest + pick * BLOCK];
    rng.fill_bytes(&mut padding);
    padding
}

/// Pads, encrypts and hashes one payload with a fresh secret.
pub(crate) fn seal_blob(
    payload: &[u8],
    rng: &mut impl CryptoRng,
) -> (Vec<u8>, [u8; 32], Zeroizing<[u8; 32]>) {
    let secret = secret(rng);
    let padding = padding(payload.len(), rng);
    let (ciphertext, hash) = blob::seal(secret.as_slice(), &padding, payload);
    (ciphertext, hash, secret)
}

/// Seals one file and returns its key and ciphertext; used by [`seal`] and by tests that need
/// a single encrypted file.
pub fn seal_file(contents: &[u8], rng: &mut impl CryptoRng) -> (FileCredentials, Vec<u8>) {
    let (ciphertext, hash, secret) = seal_blob(contents, rng);
    let credentials = FileCredentials {
        file_hash: STANDARD.encode(hash),
        secret: STANDARD.encode(secret.as_slice()),
    };
    (credentials, ciphertext)
}

struct Sealer<'a, R> {
    rng: &'a mut R,
    files: BTreeMap<String, Vec<u8>>,
    /// The hashes of one element's parts, for its `hash` field.
    hashes: Vec<String>,
}

impl<R: CryptoRng> Sealer<'_, R> {
    fn file(&mut self, file: &FileToSeal) -> (PassportFile, FileCredentials) {
        let (credentials, ciphertext) = seal_file(&file.contents, self.rng);
        self.hashes.push(credentials.file_hash.clone());
        let passport_file = PassportFile {
            file_id: file.file_id.clone(),
            file_unique_id: file.file_unique_id.clone(),
            file_size: i64::try_from(ciphertext.len()).unwrap_or(i64::MAX),
            file_date: file.file_date,
            extra: serde_json::Map::new(),
        };
        self.files.insert(file.file_id.clone(), ciphertext);
        (passport_file, credentials)
    }

    fn single(
        &mut self,
        file: Option<&FileToSeal>,
    ) -> (Option<PassportFile>, Option<FileCredentials>) {
        file.map(|file| self.file(file)).unzip()
    }

    fn list(
        &mut self,
        files: Option<&[FileToSeal]>,
    ) -> (Option<Vec<PassportFile>>, Option<Vec<FileCredentials>>) {
        files
            .map(|files| files.iter().map(|file| self.file(file)).unzip())
            .unzip()
    }
}

/// Seals elements as the Telegram app does, for the bot with `public_key`, carrying `nonce`.
///
/// Each element type may appear once. The element `hash` field, which the Bot API leaves
/// opaque, is the base64 SHA-256 of the element's part hashes.
pub fn seal(
    public_key: &PublicKey,
    nonce: &str,
    elements: &[ElementToSeal],
    rng: &mut impl CryptoRng,
) -> Result<SealedPassport> {
    let mut sealer = Sealer {
        rng,
        files: BTreeMap::new(),
        hashes: Vec::new(),
    };
    let mut secure_data = SecureData::default();
    let mut data = Vec::with_capacity(elements.len());
    for element in elements {
        sealer.hashes.clear();
        let mut value = SecureValue::default();
        let encrypted_data = element.data.as_ref().map(|plain| {
            let (ciphertext, hash, secret) = seal_blob(plain, sealer.rng);
            let data_hash = STANDARD.encode(hash);
            sealer.hashes.push(data_hash.clone());
            value.data = Some(DataCredentials {
                data_hash,
                secret: STANDARD.encode(secret.as_slice()),
            });
            STANDARD.encode(ciphertext)
        });
        let (front_side, credentials) = sealer.single(element.front_side.as_ref());
        value.front_side = credentials;
        let (reverse_side, credentials) = sealer.single(element.reverse_side.as_ref());
        value.reverse_side = credentials;
        let (selfie, credentials) = sealer.single(element.selfie.as_ref());
        value.selfie = credentials;
        let (files, credentials) = sealer.list(element.files.as_deref());
        value.files = credentials;
        let (translation, credentials) = sealer.list(element.translation.as_deref());
        value.translation = credentials;
        let mut hasher = Sha256::new();
        for hash in &sealer.hashes {
            hasher.update(hash.as_bytes());
        }
        if value != SecureValue::default() {
            secure_data.insert(element.kind.clone(), value);
        }
        data.push(EncryptedPassportElement {
            kind: element.kind.clone(),
            data: encrypted_data,
            phone_number: element.phone_number.clone(),
            email: element.email.clone(),
            files,
            front_side,
            reverse_side,
            selfie,
            translation,
            hash: STANDARD.encode(hasher.finalize()),
            extra: serde_json::Map::new(),
        });
    }
    let credentials = Credentials {
        secure_data,
        nonce: nonce.to_owned(),
    };
    let json = Zeroizing::new(serde_json::to_vec(&credentials).map_err(|_| Error::Seal {
        reason: "credentials could not be serialized",
    })?);
    let (ciphertext, hash, secret) = seal_blob(&json, sealer.rng);
    let encrypted_secret = encrypt_secret(public_key, secret.as_slice(), sealer.rng)?;
    Ok(SealedPassport {
        passport_data: PassportData {
            data,
            credentials: EncryptedCredentials {
                data: STANDARD.encode(ciphertext),
                hash: STANDARD.encode(hash),
                secret: STANDARD.encode(encrypted_secret),
            },
            extra: serde_json::Map::new(),
        },
        files: sealer.files,
    })
}

/// RSAES-OAEP-ENCRYPT (RFC 8017, 7.1.1) with SHA-1, MGF1-SHA-1 and an empty label, as the
/// Telegram app encrypts the credentials secret.
///
/// With the `rsa-backend` feature this goes through RustCrypto's `rsa` crate, whose OAEP seed
/// comes from `rng`, so sealing is reproducible byte for byte from a seeded RNG. `rsa` carries
/// RUSTSEC-2023-0071 (Marvin), a timing side channel of its private-key operations;
/// encryption is the public operation on public data, which the advisory does not concern, but
/// the crate is kept out of the default build all the same. Without `rsa-backend`, aws-lc-rs
/// encrypts and draws its own OAEP seed: everything else that [`seal`] produces is still
/// reproducible from `rng`, the encrypted secret is not.
pub fn encrypt_secret(
    public_key: &PublicKey,
    message: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>> {
    #[cfg(feature = "rsa-backend")]
    return encrypt_secret_reproducibly(public_key, message, rng);
    #[cfg(not(feature = "rsa-backend"))]
    {
        let _ = rng;
        encrypt_secret_with_aws_lc(public_key, message)
    }
}

#[cfg(feature = "rsa-backend")]
fn encrypt_secret_reproducibly(
    public_key: &PublicKey,
    message: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>> {
    let modulus = rsa::BigUint::from_bytes_be(public_key.modulus());
    let exponent = rsa::BigUint::from_bytes_be(public_key.exponent());
    // The key was size-checked when it was parsed; `rsa`'s own 4096-bit cap would refuse the
    // larger keys this crate accepts, so the key's own size is the cap.
    let key = rsa::RsaPublicKey::new_with_max_size(modulus, exponent, public_key.bits()).map_err(
        |_| Error::Seal {
            reason: "the RSA public key cannot be used for encryption",
        },
    )?;
    key.encrypt(
        &mut RandCore06(rng),
        rsa::Oaep::new::<sha1::Sha1>(),
        message,
    )
    .map_err(|_| Error::Seal {
        reason: "message too long for RSA-OAEP with this key",
    })
}

#[cfg(not(feature = "rsa-backend"))]
fn encrypt_secret_with_aws_lc(public_key: &PublicKey, message: &[u8]) -> Result<Vec<u8>> {
    use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey};
    let key = PublicEncryptingKey::from_der(&public_key.to_spki_der())
        .ok()
        .and_then(|key| OaepPublicEncryptingKey::new(key).ok())
        .ok_or(Error::Seal {
            reason: "the RSA public key cannot be used for encryption",
        })?;
    let mut ciphertext = vec![0; key.ciphertext_size()];
    let length = key
        .encrypt(&OAEP_SHA1_MGF1SHA1, message, &mut ciphertext, None)
        .map_err(|_| Error::Seal {
            reason: "message too long for RSA-OAEP with this key",
        })?
        .len();
    ciphertext.truncate(length);
    Ok(ciphertext)
}

/// Presents a rand_core 0.9 RNG as the rand_core 0.6 RNG that `rsa` 0.9 takes; it forwards every
/// call and adds nothing.
#[cfg(feature = "rsa-backend")]
struct RandCore06<'a, R>(&'a mut R);

#[cfg(feature = "rsa-backend")]
impl<R: CryptoRng> rsa::rand_core::RngCore for RandCore06<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(
        &mut self,
        dest: &mut [u8],
    ) -> std::result::Result<(), rsa::rand_core::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(feature = "rsa-backend")]
impl<R: CryptoRng> rsa::rand_core::CryptoRng for RandCore06<'_, R> {}
