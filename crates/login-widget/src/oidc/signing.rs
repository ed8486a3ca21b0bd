//! The provider's side (feature `sign`): `id_token`s signed as Telegram signs them, their JWKS,
//! and the published test keys, for tests and emulators. A relying party never needs it.

use base64::Engine as _;
use ring::{
    rand::SystemRandom,
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair},
};
use serde::Serialize;

use super::{
    B64,
    jose::{Algorithm, Jwk, Jwks},
};
use crate::ConfigError;

enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    #[cfg(feature = "es256k")]
    Secp256k1(k256::ecdsa::SigningKey),
}

struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    material: KeyMaterial,
}

/// Signs `id_token`s and publishes their JWKS: the provider's side, for tests and the sandbox.
///
/// [`IdTokenSigner::test_keys`] holds one published test key per algorithm (never use them
/// outside tests); add real keys with the `add_*` methods.
#[derive(Default)]
pub struct IdTokenSigner {
    keys: Vec<SigningKey>,
}

impl std::fmt::Debug for IdTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenSigner")
            .field(
                "kids",
                &self
                    .keys
                    .iter()
                    .map(|key| key.kid.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The RSA-2048 test key (PKCS#8 DER), generated once with Python's `cryptography`.
const TEST_RSA_PKCS8: &[u8] = include_bytes!("test_keys/rs256.pk8");
/// The P-256 test key (PKCS#8 DER), generated once with Python's `cryptography`.
const TEST_P256_PKCS8: &[u8] = include_bytes!("test_keys/es256.pk8");
/// The Ed25519 test key's seed.
const TEST_ED25519_SEED: [u8; 32] = *b"tgauth login-widget ed25519 test";
/// The secp256k1 test key's secret scalar.
#[cfg(feature = "es256k")]
const TEST_SECP256K1_SECRET: [u8; 32] = *b"tgauth login-widget es256k test!";

impl IdTokenSigner {
    /// One test key per algorithm, with kids `test-rs256`, `test-es256`, `test-eddsa` (and
    /// `test-es256k` with the `es256k` feature). The keys are public: tests only.
    pub fn test_keys() -> Self {
        let signer = Self::default();
        let signer = signer
            .add_rsa_pkcs8("test-rs256", TEST_RSA_PKCS8)
            .and_then(|signer| signer.add_ecdsa_p256_pkcs8("test-es256", TEST_P256_PKCS8))
            .and_then(|signer| signer.add_ed25519_seed("test-eddsa", &TEST_ED25519_SEED));
        #[cfg(feature = "es256k")]
        let signer = signer
            .and_then(|signer| signer.add_es256k_secret("test-es256k", &TEST_SECP256K1_SECRET));
        // The embedded keys are fixed and load on every platform ring supports.
        signer.unwrap_or_default()
    }

    /// Adds an RSA key (PKCS#8 DER, 2048 bits or more) signing RS256.
    pub fn add_rsa_pkcs8(
        mut self,
        kid: impl Into<String>,
        pkcs8: &[u8],
    ) -> Result<Self, ConfigError> {
        let key = RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| ConfigError::InvalidKey {
            what: "not an RSA PKCS#8 key ring accepts",
        })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Rs256,
            material: KeyMaterial::Rsa(key),
        });
        Ok(self)
    }

    /// Adds a P-256 key (PKCS#8 DER) signing ES256.
    pub fn add_ecdsa_p256_pkcs8(
        mut self,
        kid: impl Into<String>,
        pkcs8: &[u8],
    ) -> Result<Self, ConfigError> {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                .map_err(|_| ConfigError::InvalidKey {
                    what: "not a P-256 PKCS#8 key",
                })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Es256,
            material: KeyMaterial::Ecdsa(key),
        });
        Ok(self)
    }

    /// Adds an Ed25519 key from its 32-byte seed, signing EdDSA.
    pub fn add_ed25519_seed(
        mut self,
        kid: impl Into<String>,
        seed: &[u8; 32],
    ) -> Result<Self, ConfigError> {
        let key =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| ConfigError::InvalidKey {
                what: "not an Ed25519 seed",
            })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::EdDsa,
            material: KeyMaterial::Ed25519(key),
        });
        Ok(self)
    }

    /// Adds a secp256k1 key from its 32-byte secret scalar, signing ES256K.
    #[cfg(feature = "es256k")]
    pub fn add_es256k_secret(
        mut self,
        kid: impl Into<String>,
        secret: &[u8; 32],
    ) -> Result<Self, ConfigError> {
        let key =
            k256::ecdsa::SigningKey::from_slice(secret).map_err(|_| ConfigError::InvalidKey {
                what: "not a secp256k1 scalar",
            })?;
        self.keys.push(SigningKey {
            kid: kid.into(),
            algorithm: Algorithm::Es256k,
            material: KeyMaterial::Secp256k1(key),
        });
        Ok(self)
    }

    /// The key ids, in the order added.
    pub fn kids(&self) -> impl Iterator<Item = (&str, Algorithm)> {
        self.keys
            .iter()
            .map(|key| (key.kid.as_str(), key.algorithm))
    }

    /// The public keys as a JWKS, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(public_jwk).collect(),
        }
    }

    /// Signs `claims` (any serializable object) with the key `kid`, as a compact JWS.
    pub fn sign<C: Serialize>(&self, kid: &str, claims: &C) -> Result<String, ConfigError> {
        let key = self.keys.iter().find(|key| key.kid == kid).ok_or_else(|| {
            ConfigError::UnknownKeyId {
                kid: kid.chars().take(64).collect(),
            }
        })?;
        let header =
            serde_json::json!({ "alg": key.algorithm.as_str(), "kid": key.kid, "typ": "JWT" });
        let payload = serde_json::to_vec(claims).map_err(|_| ConfigError::SigningFailed {
            what: "claims do not serialize",
        })?;
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
        let signature = sign_bytes(&key.material, signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }
}

fn sign_bytes(material: &KeyMaterial, message: &[u8]) -> Result<Vec<u8>, ConfigError> {
    let failed = |_| ConfigError::SigningFailed {
        what: "the signing primitive failed",
    };
    let rng = SystemRandom::new();
    match material {
        KeyMaterial::Rsa(key) => {
            let mut signature = vec![0u8; key.public().modulus_len()];
            key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                .map_err(failed)?;
            Ok(signature)
        }
        KeyMaterial::Ecdsa(key) => Ok(key.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
        KeyMaterial::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        #[cfg(feature = "es256k")]
        KeyMaterial::Secp256k1(key) => {
            use k256::ecdsa::signature::Signer as _;
            let signature: k256::ecdsa::Signature = key.sign(message);
            Ok(signature.to_bytes().to_vec())
        }
    }
}

fn public_jwk(key: &SigningKey) -> Jwk {
    let base = Jwk {
        kid: Some(key.kid.clone()),
        alg: Some(key.algorithm.as_str().to_owned()),
        key_use: Some("sig".to_owned()),
        ..Jwk::default()
    };
    match &key.material {
        KeyMaterial::Rsa(pair) => {
            let components: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
            Jwk {
                kty: "RSA".to_owned(),
                n: Some(B64.encode(components.n)),
                e: Some(B64.encode(components.e)),
                ..base
            }
        }
        KeyMaterial::Ecdsa(pair) => ec_jwk(base, "P-256", pair.public_key().as_ref()),
        KeyMaterial::Ed25519(pair) => Jwk {
            kty: "OKP".to_owned(),
            crv: Some("Ed25519".to_owned()),
            x: Some(B64.encode(pair.public_key().as_ref())),
            ..base
        },
        #[cfg(feature = "es256k")]
        KeyMaterial::Secp256k1(pair) => {
            let point = pair.verifying_key().to_encoded_point(false);
            ec_jwk(base, "secp256k1", point.as_bytes())
        }
    }
}

fn ec_jwk(base: Jwk, curve: &str, uncompressed: &[u8]) -> Jwk {
    let (x, y) = match uncompressed {
        [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
        _ => (&[][..], &[][..]),
    };
    Jwk {
        kty: "EC".to_owned(),
        crv: Some(curve.to_owned()),
        x: Some(B64.encode(x)),
        y: Some(B64.encode(y)),
        ..base
    }
}
