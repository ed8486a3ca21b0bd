//! The RSA-OAEP backends: aws-lc-rs (default) and the pure-Rust `rsa` crate (`rsa-backend`).
//!
//! Both are built from the same PKCS#8 document and answer the same questions, so that the whole
//! test suite runs once per backend, as rustls does per crypto provider.

use zeroize::Zeroizing;

use crate::error::KeyError;

/// Which RSA implementation decrypts the credentials secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// AWS-LC through `aws-lc-rs`: constant-time and blinded. The default.
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs,
    /// The pure-Rust `rsa` crate, always with blinded decryption. It carries RUSTSEC-2023-0071
    /// (the Marvin timing attack, no fixed release): prefer [`Backend::AwsLcRs`] wherever C builds.
    #[cfg(feature = "rsa-backend")]
    RustCrypto,
}

impl Default for Backend {
    fn default() -> Self {
        #[cfg(feature = "aws-lc-rs")]
        return Self::AwsLcRs;
        #[cfg(not(feature = "aws-lc-rs"))]
        return Self::RustCrypto;
    }
}

impl Backend {
    /// Every backend compiled in, default first.
    pub fn all() -> &'static [Backend] {
        &[
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs,
            #[cfg(feature = "rsa-backend")]
            Self::RustCrypto,
        ]
    }

    /// A short name for messages and benchmark ids (`aws-lc-rs`, `rsa`).
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs => "aws-lc-rs",
            #[cfg(feature = "rsa-backend")]
            Self::RustCrypto => "rsa",
        }
    }
}

/// A private key loaded into one backend.
pub(crate) enum BackendKey {
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs(aws_lc_rs::rsa::OaepPrivateDecryptingKey),
    #[cfg(feature = "rsa-backend")]
    RustCrypto(Box<rsa::RsaPrivateKey>),
}

impl BackendKey {
    pub(crate) fn from_pkcs8(backend: Backend, pkcs8: &[u8]) -> Result<Self, KeyError> {
        match backend {
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => {
                use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
                let rejected = |reason: String| KeyError::Rejected {
                    backend: backend.name(),
                    reason,
                };
                let key = PrivateDecryptingKey::from_pkcs8(pkcs8)
                    .map_err(|error| rejected(error.to_string()))?;
                let key = OaepPrivateDecryptingKey::new(key)
                    .map_err(|_| rejected("not usable for OAEP".to_owned()))?;
                Ok(Self::AwsLcRs(key))
            }
            #[cfg(feature = "rsa-backend")]
            Backend::RustCrypto => {
                use rsa::pkcs8::DecodePrivateKey as _;
                let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|error| {
                    KeyError::Rejected {
                        backend: backend.name(),
                        reason: error.to_string(),
                    }
                })?;
                Ok(Self::RustCrypto(Box::new(key)))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs(_) => Backend::AwsLcRs,
            #[cfg(feature = "rsa-backend")]
            Self::RustCrypto(_) => Backend::RustCrypto,
        }
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) decryption. Every failure is the same `()`, so
    /// that callers cannot build an oracle from it.
    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs(key) => {
                let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
                let length = key
                    .decrypt(
                        &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                        ciphertext,
                        &mut out,
                        None,
                    )
                    .map_err(|_| ())?
                    .len();
                out.truncate(length);
                Ok(out)
            }
            #[cfg(feature = "rsa-backend")]
            Self::RustCrypto(key) => {
                // `decrypt_blinded` blinds the private operation with a fresh random factor.
                key.decrypt_blinded(
                    &mut rsa::rand_core::OsRng,
                    rsa::Oaep::new::<sha1::Sha1>(),
                    ciphertext,
                )
                .map(Zeroizing::new)
                .map_err(|_| ())
            }
        }
    }
}

/// Generates a new key in the given backend and returns it as PKCS#8 DER.
pub(crate) fn generate_pkcs8(
    backend: Backend,
    bits: usize,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let failed = KeyError::Backend {
        backend: backend.name(),
        operation: "generate a key",
    };
    match backend {
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLcRs => {
            use aws_lc_rs::encoding::AsDer as _;
            use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
            let size = match bits {
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                _ => return Err(failed),
            };
            let key = PrivateDecryptingKey::generate(size).map_err(|_| failed)?;
            let der = key.as_der().map_err(|_| KeyError::Backend {
                backend: backend.name(),
                operation: "export the key",
            })?;
            Ok(Zeroizing::new(der.as_ref().to_vec()))
        }
        #[cfg(feature = "rsa-backend")]
        Backend::RustCrypto => {
            use rsa::pkcs8::EncodePrivateKey as _;
            let key =
                rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).map_err(|_| failed)?;
            let der = key.to_pkcs8_der().map_err(|_| KeyError::Backend {
                backend: backend.name(),
                operation: "export the key",
            })?;
            Ok(Zeroizing::new(der.as_bytes().to_vec()))
        }
    }
}
