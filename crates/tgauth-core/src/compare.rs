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
    if a.len() != b.len() {
        return false;
    }
    // The XOR of every word pair is OR-folded without an early exit, and only the folded word
    // goes through `subtle`: `subtle`'s per-byte comparison costs a non-inlined barrier per
    // byte, which was most of a 64-byte MAC comparison in the login verifiers' benchmark.
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_words.remainder().iter().zip(b_words.remainder());
    let mut folded = tail.fold(0_u64, |folded, (x, y)| folded | u64::from(x ^ y));
    for (x, y) in a_words.zip(b_words) {
        let (mut x_word, mut y_word) = ([0_u8; 8], [0_u8; 8]);
        x_word.copy_from_slice(x);
        y_word.copy_from_slice(y);
        folded |= u64::from_ne_bytes(x_word) ^ u64::from_ne_bytes(y_word);
    }
    bool::from(folded.ct_eq(&0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_differing_position_is_seen() {
        let base: Vec<u8> = (0..67_u8).collect();
        for length in [0, 1, 7, 8, 9, 16, 64, 67] {
            let a = &base[..length];
            assert!(constant_time_eq(a, a));
            for position in 0..length {
                for bit in 0..8 {
                    let mut b = a.to_vec();
                    b[position] ^= 1 << bit;
                    assert!(!constant_time_eq(a, &b), "{length} {position} {bit}");
                }
            }
        }
        assert!(!constant_time_eq(b"a", b""));
    }
}
