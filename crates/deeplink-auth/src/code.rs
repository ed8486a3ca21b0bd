//! One-time link codes: 192 bits from the OS CSPRNG, base64url without padding, never logged,
//! stored only as their SHA-256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom as _, SystemRandom};

/// Random bytes in a code: 192 bits, well above the 128-bit floor.
const CODE_BYTES: usize = 24;
/// Characters of a code in base64url without padding (24 bytes encode to exactly 32 characters).
pub const CODE_LEN: usize = 32;

/// A one-time link code as it travels in `?start=<code>`.
///
/// It is a bearer secret: `Debug` is redacted, there is no `Display`, and stores keep only its
/// SHA-256 ([`CodeHash`]). [`LinkCode::expose`] hands the text out where it must go (a URL).
/// Equality runs in constant time.
#[derive(Clone)]
pub struct LinkCode(String);

impl PartialEq for LinkCode {
    fn eq(&self, other: &Self) -> bool {
        tgauth_core::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for LinkCode {}

impl std::fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkCode({})", tgauth_core::REDACTED)
    }
}

/// The OS random generator failed; no code can be issued safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random generator failed")]
pub struct RandomError;

impl LinkCode {
    /// A fresh code from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomError> {
        let mut bytes = [0_u8; CODE_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| RandomError)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Parses a code received from outside; `None` unless it has exactly the shape
    /// [`LinkCode::generate`] makes (32 base64url characters decoding to 24 bytes).
    ///
    /// A payload that is not a well-formed code never reaches a store.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != CODE_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        (bytes.len() == CODE_BYTES).then(|| Self(text.to_owned()))
    }

    /// The code's text, for building a link. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the code, which is all a store keeps.
    pub fn hash(&self) -> CodeHash {
        CodeHash::of(self.0.as_bytes())
    }
}

/// The SHA-256 of a code's text: a leaked store yields no live code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CodeHash([u8; 32]);

impl CodeHash {
    /// The SHA-256 of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let mut out = [0_u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Rebuilds a hash read back from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The hash's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash in lowercase hex, as Redis keys hold it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_and_differ() {
        let a = LinkCode::generate().unwrap_or_else(|_| LinkCode(String::new()));
        let b = LinkCode::generate().unwrap_or_else(|_| LinkCode(String::new()));
        assert_eq!(a.expose().len(), CODE_LEN);
        assert_eq!(LinkCode::parse(a.expose()), Some(a.clone()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "LinkCode(<redacted>)");
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for text in [
            "",
            "abc",
            &"A".repeat(31),
            &"A".repeat(33),
            &"+".repeat(32),
            &"=".repeat(32),
        ] {
            assert_eq!(LinkCode::parse(text), None, "{text}");
        }
        assert!(LinkCode::parse(&"A".repeat(32)).is_some());
        assert!(LinkCode::parse(&"-".repeat(32)).is_some());
    }

    #[test]
    fn hashes_print_as_lowercase_hex() {
        let Some(code) = LinkCode::parse(&"A".repeat(32)) else {
            panic!("a well-formed code")
        };
        // SHA-256 of 32 `A`s (Python: hashlib.sha256(b"A" * 32).hexdigest()).
        assert_eq!(
            code.hash().to_hex(),
            "22a48051594c1949deed7040850c1f0f8764537f5191be56732d16a54c1d8153"
        );
    }
}
