//! Constant-time equality of MACs and secrets, through `subtle`.

use subtle::ConstantTimeEq as _;

/// Whether `a` and `b` are equal, in time that depends only on their lengths (which are public:
/// a MAC's length is fixed, a secret's length is not what protects it).
///
/// ```
/// assert!(tgauth_core::constant_time_eq(b"secret", b"secret"));
/// assert!(!tgauth_core::constant_time_eq(b"secret", b"secreT"));
/// assert!(!tgauth_core::constant_time_eq(b"secret", b"secret!"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}
