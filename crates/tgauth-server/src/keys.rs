//! The service's secrets at work: random ids and tokens, digests for lookups, the data key's
//! sealing of what is stored (AES-256-GCM), the cookie key's MACs, and API keys.
//!
//! Everything comes from ring; nothing here is hand-written cryptography.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::config::Key32;

/// The system's generator failed (it does not on a working OS).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the system random generator failed")]
pub struct RandomError;

/// `bytes` random bytes as unpadded base64url.
pub(crate) fn random_token(bytes: usize) -> Result<String, RandomError> {
    let mut buffer = Zeroizing::new(vec![0u8; bytes]);
    SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| RandomError)?;
    Ok(URL_SAFE_NO_PAD.encode(&*buffer))
}

/// A random id for a record (16 bytes, 22 characters of base64url).
pub(crate) fn random_id() -> Result<String, RandomError> {
    random_token(16)
}

/// The SHA-256 of `data` in lowercase hex: the lookup key of a secret stored by its digest.
pub(crate) fn digest(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// The data key's AES-256-GCM sealing of what the service stores: a record sealed for one
/// purpose (`context`, such as `passport-data:<request id>`) opens only for it, so a sealed
/// blob moved to another row does not decrypt.
#[derive(Clone)]
pub(crate) struct Vault {
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

/// A sealed record did not open: another key, another context, or altered.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("a sealed record could not be opened (another data key, or altered)")]
pub(crate) struct UnsealError;

impl Vault {
    pub(crate) fn new(key: &Key32) -> Self {
        // A 32-byte key is what AES-256-GCM takes: this cannot fail.
        let unbound = UnboundKey::new(&AES_256_GCM, key.expose())
            .unwrap_or_else(|_| unreachable!("AES-256 takes a 32-byte key"));
        Self {
            key: std::sync::Arc::new(LessSafeKey::new(unbound)),
        }
    }

    /// `nonce || ciphertext || tag`.
    pub(crate) fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, RandomError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| RandomError)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let mut body = sealed.split_off(NONCE_LEN);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .map_err(|_| RandomError)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Opens what [`Vault::seal`] sealed for `context`; the plaintext is wiped on drop.
    pub(crate) fn open(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, UnsealError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(UnsealError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| UnsealError)?;
        let mut buffer = Zeroizing::new(body.to_vec());
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| UnsealError)?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// The cookie key's HMAC-SHA256, for values the service hands a browser and must recognise.
#[derive(Clone)]
pub(crate) struct CookieSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieSigner(<redacted>)")
    }
}

impl CookieSigner {
    pub(crate) fn new(key: &Key32) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key.expose()),
        }
    }

    /// The MAC of `value` under `purpose`, base64url.
    pub(crate) fn sign(&self, purpose: &str, value: &str) -> String {
        let tag = hmac::sign(&self.key, format!("{purpose}\n{value}").as_bytes());
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// Whether `tag` is the MAC of `value` under `purpose` (compared in constant time).
    pub(crate) fn verify(&self, purpose: &str, value: &str, tag: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        hmac::verify(&self.key, format!("{purpose}\n{value}").as_bytes(), &tag).is_ok()
    }
}

/// The prefix of every API key, so that secret scanners and people recognise one.
pub(crate) const API_KEY_PREFIX: &str = "tga_";

/// A new API key: its id, the whole key to show once, and the hash to store.
pub(crate) struct NewApiKey {
    pub(crate) id: String,
    pub(crate) key: Zeroizing<String>,
    pub(crate) secret_hash: String,
}

/// Makes an API key `tga_<id>.<secret>`: the id finds the record, the secret's SHA-256 is what
/// is stored. (`.` rather than rauthy's `$`, which a shell expands inside double quotes.)
pub(crate) fn new_api_key() -> Result<NewApiKey, RandomError> {
    let id = random_token(9)?;
    let secret = Zeroizing::new(random_token(32)?);
    Ok(NewApiKey {
        key: Zeroizing::new(format!("{API_KEY_PREFIX}{id}.{}", &*secret)),
        secret_hash: digest(secret.as_bytes()),
        id,
    })
}

/// Splits a presented API key into its id and secret, if it has the shape.
pub(crate) fn split_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_once('.')?;
    let shaped = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (shaped(id, 12) && shaped(secret, 43)).then_some((id, secret))
}

/// Whether `secret` hashes to `stored` (digests compared in constant time).
pub(crate) fn api_secret_matches(secret: &str, stored: &str) -> bool {
    tgauth::constant_time_eq(digest(secret.as_bytes()).as_bytes(), stored.as_bytes())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    fn vault(byte: u8) -> Vault {
        Vault::new(&Key32::from_bytes([byte; 32]))
    }

    #[test]
    fn sealed_records_open_only_with_their_key_and_context() {
        let sealed = vault(1).seal("passport-data:a", b"Ada Lovelace").unwrap();
        assert!(!sealed.windows(3).any(|w| w == b"Ada"));
        assert_eq!(
            &*vault(1).open("passport-data:a", &sealed).unwrap(),
            b"Ada Lovelace"
        );
        assert!(vault(1).open("passport-data:b", &sealed).is_err());
        assert!(vault(2).open("passport-data:a", &sealed).is_err());
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(vault(1).open("passport-data:a", &altered).is_err());
        assert!(vault(1).open("passport-data:a", &sealed[..10]).is_err());
    }

    #[test]
    fn api_keys_split_and_match() {
        let key = new_api_key().unwrap();
        let (id, secret) = split_api_key(&key.key).unwrap();
        assert_eq!(id, key.id);
        assert!(api_secret_matches(secret, &key.secret_hash));
        assert!(!api_secret_matches("x", &key.secret_hash));
        for bad in ["", "tga_", "tga_abc.def", "Bearer x", &key.key[1..]] {
            assert!(split_api_key(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cookie_macs_bind_the_purpose() {
        let signer = CookieSigner::new(&Key32::from_bytes([7; 32]));
        let tag = signer.sign("oidc", "state");
        assert!(signer.verify("oidc", "state", &tag));
        assert!(!signer.verify("other", "state", &tag));
        assert!(!signer.verify("oidc", "state2", &tag));
        assert!(!signer.verify("oidc", "state", "!!"));
    }
}
