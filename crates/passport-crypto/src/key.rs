//! The bot's RSA private key: loading, generation, public key export; zeroized on drop and
//! redacted in `Debug`.
//!
//! [`PrivateKey::from_pem`] reads what `openssl genrsa` writes (PKCS#1, `BEGIN RSA PRIVATE KEY`)
//! and PKCS#8 (`BEGIN PRIVATE KEY`), with LF or CRLF line endings;
//! [`PrivateKey::from_encrypted_pem`] reads `BEGIN ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2,
//! as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it). Keys under 2048 bits are rejected.
//! [`PublicKey::to_pem`] prints the SubjectPublicKeyInfo PEM that `openssl rsa -pubout` prints,
//! the text BotFather's `/setpublickey` expects.
//!
//! The structures are RustCrypto's: `pkcs1` (`RSAPrivateKey`, `RSAPublicKey`), `pkcs8`
//! (`PrivateKeyInfo`, `EncryptedPrivateKeyInfo`), `spki` (`SubjectPublicKeyInfo`) on `der`, and
//! PEM through `pem-rfc7468`. This module only finds the PEM block in a text (after OpenSSL's
//! "Bag Attributes" or any other preamble, in an indented config value, at whatever line width
//! the key was written with) and checks that the algorithm is `rsaEncryption`.

use std::fmt;

use der::asn1::BitStringRef;
use der::{Decode as _, Encode as _};
use pem_rfc7468::LineEnding;
use pkcs8::PrivateKeyInfo;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::backend::{self, Backend, BackendKey};
use crate::error::KeyError;

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
    /// The modulus, big-endian without leading zeros.
    modulus: Vec<u8>,
    /// The public exponent, big-endian without leading zeros.
    exponent: Vec<u8>,
    /// The DER SubjectPublicKeyInfo and its PEM, encoded once when the key is read so that
    /// exporting cannot fail.
    spki: Vec<u8>,
    pem: String,
}

impl PublicKey {
    /// Parses a `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) PEM block.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let block = PemBlock::decode(text)?;
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
        let invalid = || KeyError::Invalid {
            format: "SubjectPublicKeyInfo",
        };
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| invalid())?;
        if !is_rsa_encryption(&info.algorithm) {
            return Err(invalid());
        }
        // A key is always whole bytes: a BIT STRING with unused bits is not one.
        let key = info.subject_public_key.as_bytes().ok_or_else(invalid)?;
        let key = pkcs1::RsaPublicKey::from_der(key).map_err(|_| invalid())?;
        Self::from_rsa(&key, "SubjectPublicKeyInfo")
    }

    /// Checks the size of an RSA public key and encodes it; `format` names what it was read from.
    fn from_rsa(key: &pkcs1::RsaPublicKey<'_>, format: &'static str) -> Result<Self, KeyError> {
        let modulus = key.modulus.as_bytes().to_vec();
        let bits = modulus_bits(&modulus);
        if bits < MIN_BITS {
            return Err(KeyError::TooSmall { bits });
        }
        // Encoding what was just decoded only fails on lengths DER cannot express.
        let invalid = |_| KeyError::Invalid { format };
        let rsa_public_key = key.to_der().map_err(invalid)?;
        let spki = SubjectPublicKeyInfoRef {
            algorithm: pkcs1::ALGORITHM_ID,
            subject_public_key: BitStringRef::from_bytes(&rsa_public_key).map_err(invalid)?,
        }
        .to_der()
        .map_err(invalid)?;
        // 64-column lines with LF endings: byte for byte what `openssl rsa -pubout` prints.
        let pem = pem_rfc7468::encode_string("PUBLIC KEY", LineEnding::LF, &spki)
            .map_err(|_| KeyError::Invalid { format })?;
        Ok(Self {
            modulus,
            exponent: key.public_exponent.as_bytes().to_vec(),
            spki,
            pem,
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        modulus_bits(&self.modulus)
    }

    /// The modulus, big-endian without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The public exponent, big-endian without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// The `BEGIN PUBLIC KEY` PEM, byte for byte what `openssl rsa -pubout` prints.
    pub fn to_pem(&self) -> String {
        self.pem.clone()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// The length in bits of a big-endian modulus without leading zeros.
fn modulus_bits(modulus: &[u8]) -> usize {
    match modulus.first() {
        Some(&top) => (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// Whether an algorithm identifier is `rsaEncryption` with absent or NULL parameters.
fn is_rsa_encryption(algorithm: &AlgorithmIdentifierRef<'_>) -> bool {
    algorithm.oid == pkcs1::ALGORITHM_OID
        && algorithm
            .parameters
            .is_none_or(|parameters| parameters.is_null())
}

/// One PEM block found in a text and decoded by `pem-rfc7468`.
struct PemBlock {
    /// The label between `BEGIN ` and the dashes, e.g. `RSA PRIVATE KEY`.
    label: String,
    /// The decoded contents; zeroized because they are usually key material.
    contents: Zeroizing<Vec<u8>>,
}

impl PemBlock {
    /// Finds the first PEM block of `text` and decodes it.
    ///
    /// Locating the block is done here, because key files and config values carry more than
    /// RFC 7468's strict grammar: text before the block (OpenSSL's "Bag Attributes", the test
    /// keys' warning line) and after it, indentation, trailing spaces, blank lines, CRLF, and
    /// lines of any width. The block's lines are trimmed and its base64 rewrapped at 64 columns
    /// with LF endings, as RFC 7468 writes it; `pem-rfc7468` then decodes it.
    fn decode(text: &str) -> Result<Self, KeyError> {
        let pem_error = |reason| KeyError::Pem { reason };
        let mut lines = text.lines().map(str::trim);
        let (begin, label) = lines
            .by_ref()
            .find_map(|line| {
                let label = line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
                Some((line, label))
            })
            .ok_or(pem_error("no `-----BEGIN` line"))?;
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(Vec::with_capacity(text.len()));
        let mut has_headers = false;
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            has_headers |= line.contains(':');
            body.extend_from_slice(line.as_bytes());
        }
        if !ended {
            return Err(pem_error("no matching `-----END` line"));
        }
        // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`) mark OpenSSL's legacy
        // encrypted PEM, which RFC 7468 does not allow; say what to do instead.
        if has_headers {
            return Err(if label == "RSA PRIVATE KEY" {
                KeyError::Kind {
                    label: label.to_owned(),
                    hint: "legacy encrypted PEM is not supported; convert it with \
                           `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                }
            } else {
                pem_error("the block has `Name: value` header lines, which key PEM does not use")
            });
        }
        if body.is_empty() {
            return Err(pem_error("the block is empty"));
        }
        // Sized up front so that no reallocation leaves a copy of the key behind.
        let capacity = begin.len() + body.len() + body.len() / 64 + end.len() + 3;
        let mut block = Zeroizing::new(Vec::with_capacity(capacity));
        block.extend_from_slice(begin.as_bytes());
        for line in body.chunks(64) {
            block.push(b'\n');
            block.extend_from_slice(line);
        }
        block.push(b'\n');
        block.extend_from_slice(end.as_bytes());
        block.push(b'\n');
        let (label, contents) = pem_rfc7468::decode_vec(&block).map_err(|error| match error {
            pem_rfc7468::Error::Base64(_) => pem_error("the body is not valid base64"),
            _ => pem_error("the block is not RFC 7468 PEM"),
        })?;
        Ok(Self {
            label: label.to_owned(),
            contents: Zeroizing::new(contents),
        })
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
        let block = PemBlock::decode(text)?;
        match block.label.as_str() {
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
        let invalid = |_| KeyError::Invalid { format: "PKCS#1" };
        pkcs1::RsaPrivateKey::from_der(der).map_err(invalid)?;
        // The backends read PKCS#8: wrap the key in a version 0 `PrivateKeyInfo`.
        let pkcs8 = PrivateKeyInfo::new(pkcs1::ALGORITHM_ID, der)
            .to_der()
            .map_err(invalid)?;
        Self::from_pkcs8_der_with(&Zeroizing::new(pkcs8), backend)
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` holding an RSA key from DER into the given backend.
    pub fn from_pkcs8_der_with(der: &[u8], backend: Backend) -> Result<Self, KeyError> {
        let invalid = || KeyError::Invalid { format: "PKCS#8" };
        let info = PrivateKeyInfo::try_from(der).map_err(|_| invalid())?;
        if !is_rsa_encryption(&info.algorithm) {
            return Err(invalid());
        }
        let key = pkcs1::RsaPrivateKey::from_der(info.private_key).map_err(|_| invalid())?;
        let public = PublicKey::from_rsa(
            &pkcs1::RsaPublicKey {
                modulus: key.modulus,
                public_exponent: key.public_exponent,
            },
            "PKCS#8",
        )?;
        let key = BackendKey::from_pkcs8(backend, der)?;
        Ok(Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            public,
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
    ///
    /// It fails only if the key is too long for PEM, which no RSA key is.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        pem_rfc7468::encode_string("PRIVATE KEY", LineEnding::LF, &self.pkcs8)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Invalid { format: "PKCS#8" })
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
