//! `NonceIssuer`: HMAC-SHA-256 nonces that bind a user and an expiry, verified in constant time.
//!
//! A nonce is the URL-safe base64 (no padding) of `user_id ‖ expires_at ‖ 8 random bytes` and the
//! first 16 bytes of `HMAC-SHA-256(server secret, domain ‖ those 24 bytes)`: 54 ASCII characters,
//! safe in the `nonce` parameter of a Passport request and in the credentials' `nonce` string.
//! Verifying needs no storage, so a server can check that the nonce a passport carries is one it
//! issued, for this user, and not expired.
//!
//! **Single use is the caller's job**: verification cannot know whether a nonce was already
//! used. Record each accepted nonce (for example in a store keyed by the nonce, kept until its
//! expiry) and refuse it the second time.
//!
//! ```
//! use passport_crypto::nonce::NonceIssuer;
//! use passport_crypto::tgauth_core::{UnixTime, UserId};
//! use rand_core::{RngCore, CryptoRng};
//! # struct Counter(u64);
//! # impl RngCore for Counter {
//! #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
//! #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
//! #     fn fill_bytes(&mut self, out: &mut [u8]) { for b in out { *b = self.next_u64() as u8 } }
//! # }
//! # impl CryptoRng for Counter {}
//! # let mut rng = Counter(0);
//! let issuer = NonceIssuer::new(b"a server secret of at least 32 bytes!!")?;
//! let now = UnixTime(1_700_000_000);
//! let nonce = issuer.issue(UserId(42), now.plus(600), &mut rng);
//! assert_eq!(issuer.verify(&nonce, UserId(42), now)?.expires_at, now.plus(600));
//! assert!(issuer.verify(&nonce, UserId(43), now).is_err());
//! assert!(issuer.verify(&nonce, UserId(42), now.plus(601)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use tgauth_core::{UnixTime, UserId, constant_time_eq};
use zeroize::Zeroizing;

use crate::error::{Error, KeyError, Result};

/// Separates these MACs from any other use of the same secret.
const DOMAIN: &[u8] = b"tgauth passport nonce v1\0";
const PAYLOAD: usize = 24;
const TAG: usize = 16;

/// The shortest server secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// What a verified nonce binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedNonce {
    /// The user the nonce was issued for.
    pub user_id: UserId,
    /// The last second it is valid in.
    pub expires_at: UnixTime,
}

/// Issues and verifies request nonces with a server secret. The secret is zeroized on drop and
/// redacted in `Debug`.
pub struct NonceIssuer {
    secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NonceIssuer({})", tgauth_core::REDACTED)
    }
}

impl NonceIssuer {
    /// An issuer with this server secret (at least [`MIN_SECRET_LEN`] random bytes).
    pub fn new(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(KeyError::NonceSecretTooShort {
                length: secret.len(),
                minimum: MIN_SECRET_LEN,
            });
        }
        Ok(Self {
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    fn tag(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        };
        mac.update(DOMAIN);
        mac.update(payload);
        mac
    }

    /// Issues a nonce for `user_id`, valid until and including `expires_at`.
    pub fn issue(&self, user_id: UserId, expires_at: UnixTime, rng: &mut impl CryptoRng) -> String {
        let mut bytes = [0u8; PAYLOAD + TAG];
        let (payload, tag) = bytes.split_at_mut(PAYLOAD);
        payload[..8].copy_from_slice(&user_id.get().to_be_bytes());
        payload[8..16].copy_from_slice(&expires_at.as_secs().to_be_bytes());
        rng.fill_bytes(&mut payload[16..]);
        let mac = self.tag(payload).finalize().into_bytes();
        tag.copy_from_slice(&mac[..TAG]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Verifies that `nonce` was issued by this issuer for `user_id` and has not expired at
    /// `now`. The MAC is compared in constant time.
    pub fn verify(&self, nonce: &str, user_id: UserId, now: UnixTime) -> Result<VerifiedNonce> {
        let bytes = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| Error::NonceMalformed)?;
        let bytes: [u8; PAYLOAD + TAG] = bytes.try_into().map_err(|_| Error::NonceMalformed)?;
        let (payload, tag) = bytes.split_at(PAYLOAD);
        let mac = self.tag(payload).finalize().into_bytes();
        if !constant_time_eq(&mac[..TAG], tag) {
            return Err(Error::NonceSignature);
        }
        let mut user = [0u8; 8];
        user.copy_from_slice(&payload[..8]);
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&payload[8..16]);
        let verified = VerifiedNonce {
            user_id: UserId(i64::from_be_bytes(user)),
            expires_at: UnixTime(i64::from_be_bytes(expiry)),
        };
        if verified.user_id != user_id {
            return Err(Error::NonceUser);
        }
        if now > verified.expires_at {
            return Err(Error::NonceExpired {
                expires_at: verified.expires_at,
            });
        }
        Ok(verified)
    }
}

/// `Hmac::new_from_slice` only fails for fixed-size-key MACs; HMAC is not one.
#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC accepts keys of any length")
}
