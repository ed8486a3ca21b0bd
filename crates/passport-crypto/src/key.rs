//! The bot's RSA private key: loading, generation, public key export; zeroized on drop and
//! redacted in `Debug`.
//!
//! [`PrivateKey::from_pem`] reads what `openssl genrsa` writes (PKCS#1, `BEGIN RSA PRIVATE KEY`)
//! and PKCS#8 (`BEGIN PRIVATE KEY`), with LF or CRLF line endings;
//! [`PrivateKey::from_encrypted_pem`] reads `BEGIN ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2,
//! as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it). Keys under 2048 bits are rejected.
//! [`PublicKey::to_pem`] prints the SubjectPublicKeyInfo PEM that `openssl rsa -pubout` prints,
//! the text BotFather's `/setpublickey` expects.

use std::fmt;

use zeroize::Zeroizing;

use crate::backend::{self, Backend, BackendKey};
use crate::der::{self, RsaPublicParts};
use crate::error::KeyError;
use crate::pem;

/// The smallest modulus accepted, in bits.
pub const MIN_BITS: usize = 2048;

/// The sizes [`PrivateKey::generate`] offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySize {
    /// 2048 bits: the fastest to open passports with.
    Rsa2048,
    /// 3072 bits.
    Rsa3072,
    /// 4096 bits.
    Rsa4096,
}

impl KeySize {
    /// The modulus length in bits.
    pub fn bits(self) -> usize {
        match self {
            Self::Rsa2048 => 2048,
            Self::Rsa3072 => 3072,
            Self::Rsa4096 => 4096,
        }
    }

    /// The size with this many bits, if it is one of 2048, 3072 and 4096.
    pub fn from_bits(bits: usize) -> Option<Self> {
        match bits {
            2048 => Some(Self::Rsa2048),
            3072 => Some(Self::Rsa3072),
            4096 => Some(Self::Rsa4096),
            _ => None,
        }
    }
}

/// An RSA public key: what the Telegram app encrypts the credentials secret to.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    parts: RsaPublicParts,
}

impl PublicKey {
    /// Parses a `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) PEM block.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let block = pem::decode(text).map_err(|error| KeyError::Pem {
            reason: error.reason(),
        })?;
        if block.label != "PUBLIC KEY" {
            return Err(KeyError::Kind {
                label: block.label,
                hint: "expected `PUBLIC KEY` (as `openssl rsa -pubout` prints it)",
            });
        }
        Self::from_spki_der(&block.contents)
    }

    /// Parses a DER SubjectPublicKeyInfo holding an RSA key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let parts = der::spki_parts(der).ok_or(KeyError::Invalid {
            format: "SubjectPublicKeyInfo",
        })?;
        check_size(&parts)?;
        Ok(Self { parts })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.parts.bits()
    }

    /// The modulus, big-endian without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.parts.modulus
    }

    /// The public exponent, big-endian without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.parts.exponent
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Vec<u8> {
        der::spki(&self.parts)
    }

    /// The `BEGIN PUBLIC KEY` PEM, byte for byte what `openssl rsa -pubout` prints.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.to_spki_der()).to_string()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// The bot's RSA private key, loaded into one [`Backend`].
///
/// The key material is zeroized on drop and never printed: `Debug` shows only the size and the
/// backend.
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
    key: BackendKey,
}

fn check_size(parts: &RsaPublicParts) -> Result<(), KeyError> {
    let bits = parts.bits();
    if bits < MIN_BITS {
        return Err(KeyError::TooSmall { bits });
    }
    Ok(())
}

impl PrivateKey {
    /// Loads an unencrypted key from PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`, as `openssl genrsa`
    /// writes it) or PKCS#8 (`BEGIN PRIVATE KEY`), LF or CRLF line endings. Uses the default
    /// backend.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(text, None, Backend::default())
    }

    /// Loads a key from PEM, decrypting `BEGIN ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2) with
    /// `password`; unencrypted keys are accepted too and the password is then ignored.
    pub fn from_encrypted_pem(text: &str, password: &[u8]) -> Result<Self, KeyError> {
        Self::from_pem_with(text, Some(password), Backend::default())
    }

    /// Loads a key from PEM into the given backend, with an optional password.
    pub fn from_pem_with(
        text: &str,
        password: Option<&[u8]>,
        backend: Backend,
    ) -> Result<Self, KeyError> {
        let block = pem::decode(text).map_err(|error| KeyError::Pem {
            reason: error.reason(),
        })?;
        match block.label.as_str() {
            "RSA PRIVATE KEY" if block.has_headers => Err(KeyError::Kind {
                label: block.label,
                hint: "legacy encrypted PEM is not supported; convert it with \
                       `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
            }),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der_with(&block.contents, backend),
            "PRIVATE KEY" => Self::from_pkcs8_der_with(&block.contents, backend),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or(KeyError::PasswordRequired)?;
                let info = pkcs8::EncryptedPrivateKeyInfo::try_from(block.contents.as_slice())
                    .map_err(|_| KeyError::Invalid {
                        format: "encrypted PKCS#8",
                    })?;
                let document = info.decrypt(password).map_err(|_| KeyError::Password)?;
                Self::from_pkcs8_der_with(document.as_bytes(), backend)
            }
            _ => Err(KeyError::Kind {
                label: block.label,
                hint: "expected `RSA PRIVATE KEY`, `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`",
            }),
        }
    }

    /// Loads a PKCS#1 `RSAPrivateKey` from DER into the given backend.
    pub fn from_pkcs1_der_with(der: &[u8], backend: Backend) -> Result<Self, KeyError> {
        if der::pkcs1_private_parts(der).is_none() {
            return Err(KeyError::Invalid { format: "PKCS#1" });
        }
        Self::from_pkcs8_der_with(&der::pkcs1_to_pkcs8(der), backend)
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` holding an RSA key from DER into the given backend.
    pub fn from_pkcs8_der_with(der: &[u8], backend: Backend) -> Result<Self, KeyError> {
        let parts = der::pkcs8_rsa_private_key(der)
            .and_then(der::pkcs1_private_parts)
            .ok_or(KeyError::Invalid { format: "PKCS#8" })?;
        check_size(&parts)?;
        let key = BackendKey::from_pkcs8(backend, der)?;
        Ok(Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            public: PublicKey { parts },
            key,
        })
    }

    /// Generates a new key with the default backend.
    pub fn generate(size: KeySize) -> Result<Self, KeyError> {
        Self::generate_with(size, Backend::default())
    }

    /// Generates a new key with the given backend.
    pub fn generate_with(size: KeySize, backend: Backend) -> Result<Self, KeyError> {
        let pkcs8 = backend::generate_pkcs8(backend, size.bits())?;
        Self::from_pkcs8_der_with(&pkcs8, backend)
    }

    /// The same key loaded into another backend.
    pub fn with_backend(&self, backend: Backend) -> Result<Self, KeyError> {
        Self::from_pkcs8_der_with(&self.pkcs8, backend)
    }

    /// The backend this key is loaded into.
    pub fn backend(&self) -> Backend {
        self.key.backend()
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    /// The public half, for `/setpublickey` and for sealing.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`), zeroized on drop.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The key as PKCS#8 DER, zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1) decryption of the credentials secret; failures are opaque.
    pub(crate) fn decrypt_secret(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
        self.key.decrypt_oaep(ciphertext)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("backend", &self.backend())
            .field("key", &tgauth_core::REDACTED)
            .finish()
    }
}
