//! The blob primitive shared by element data, credentials and files: key derivation
//! `SHA512(secret ‖ hash)`, AES-256-CBC without padding, `SHA256(padded plaintext) == hash` in
//! constant time, then the padding prefix.

use aes::Aes256;
use aes::cipher::{BlockDecryptMut, KeyIvInit, consts::U16, inout::InOutBuf};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize as _, Zeroizing};

/// AES block size: every ciphertext is a non-zero multiple of it.
pub(crate) const BLOCK: usize = 16;
/// The shortest padding prefix the spec allows.
pub(crate) const MIN_PADDING: usize = 32;
/// Decrypting and hashing in chunks of this size keeps each chunk in the L2 cache between the
/// two passes.
pub(crate) const CHUNK: usize = 64 * 1024;

pub(crate) type Decryptor = cbc::Decryptor<Aes256>;

// The expanded AES key schedule and the CBC state are key material: the `zeroize` features of
// `aes` and `cbc` wipe them on drop. This fails to compile if those features are ever lost.
const _: fn() = || {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<Decryptor>();
    wiped_on_drop::<cbc::Encryptor<Aes256>>();
};

/// The key and IV of one blob, and the hash its plaintext must have. Zeroized on drop.
pub(crate) struct BlobKey {
    key_iv: Zeroizing<[u8; 48]>,
    pub(crate) hash: [u8; 32],
}

impl BlobKey {
    /// Derives key and IV as `SHA512(secret ‖ hash)`: key `[0..32]`, IV `[32..48]`.
    pub(crate) fn derive(secret: &[u8], hash: [u8; 32]) -> Self {
        let mut digest = Sha512::new()
            .chain_update(secret)
            .chain_update(hash)
            .finalize();
        let mut key_iv = Zeroizing::new([0u8; 48]);
        key_iv.copy_from_slice(digest.get(..48).unwrap_or_default());
        digest.as_mut_slice().zeroize();
        Self { key_iv, hash }
    }

    pub(crate) fn decryptor(&self) -> Decryptor {
        Decryptor::new((&self.key_iv[..32]).into(), (&self.key_iv[32..]).into())
    }

    #[cfg(feature = "seal")]
    fn encryptor(&self) -> cbc::Encryptor<Aes256> {
        cbc::Encryptor::new((&self.key_iv[..32]).into(), (&self.key_iv[32..]).into())
    }
}

/// Why a blob did not open; the caller adds where the blob came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlobError {
    /// The ciphertext is empty or not a multiple of 16 bytes.
    Length(u64),
    /// The plaintext hash differs from the expected one.
    Hash,
    /// The padding byte is below 32 or beyond the plaintext.
    Padding { padding: u8, length: u64 },
}

/// SHA-256 for the integrity hashes: AWS-LC's when the `aws-lc-rs` feature is on (measured
/// about 15% faster than `sha2` on this machine, and as fast as OpenSSL), `sha2` otherwise so
/// that the pure-Rust build needs no C.
#[derive(Clone)]
pub(crate) struct Sha256Hasher {
    #[cfg(feature = "aws-lc-rs")]
    context: aws_lc_rs::digest::Context,
    #[cfg(not(feature = "aws-lc-rs"))]
    context: sha2::Sha256,
}

impl Sha256Hasher {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(feature = "aws-lc-rs")]
            context: aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256),
            #[cfg(not(feature = "aws-lc-rs"))]
            context: sha2::Sha256::new(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.context.update(data);
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        #[cfg(feature = "aws-lc-rs")]
        out.copy_from_slice(self.context.finish().as_ref());
        #[cfg(not(feature = "aws-lc-rs"))]
        out.copy_from_slice(&self.context.finalize());
        out
    }
}

/// Decrypts whole blocks in place, keeping the CBC chaining state in `decryptor`.
pub(crate) fn decrypt_blocks(decryptor: &mut Decryptor, buffer: &mut [u8]) {
    let (blocks, _tail) = InOutBuf::from(buffer).into_chunks::<U16>();
    decryptor.decrypt_blocks_inout_mut(blocks);
}

/// Checks the padding prefix of a verified plaintext and returns its length.
pub(crate) fn check_padding(first: u8, length: u64) -> Result<usize, BlobError> {
    let padding = usize::from(first);
    if padding < MIN_PADDING || padding as u64 > length {
        return Err(BlobError::Padding {
            padding: first,
            length,
        });
    }
    Ok(padding)
}

/// Compares two hashes in constant time.
pub(crate) fn hashes_equal(actual: &[u8], expected: &[u8; 32]) -> bool {
    tgauth_core::constant_time_eq(actual, expected)
}

/// Decrypts and verifies a blob in place and returns the length of its padding prefix; the
/// payload is `buffer[padding..]`.
pub(crate) fn open_in_place(key: &BlobKey, buffer: &mut [u8]) -> Result<usize, BlobError> {
    let length = buffer.len() as u64;
    if buffer.is_empty() || !buffer.len().is_multiple_of(BLOCK) {
        return Err(BlobError::Length(length));
    }
    let mut decryptor = key.decryptor();
    let mut hasher = Sha256Hasher::new();
    for chunk in buffer.chunks_mut(CHUNK) {
        decrypt_blocks(&mut decryptor, chunk);
        hasher.update(chunk);
    }
    if !hashes_equal(&hasher.finish(), &key.hash) {
        return Err(BlobError::Hash);
    }
    let first = buffer.first().copied().unwrap_or_default();
    check_padding(first, length)
}

/// Pads a payload with `padding` bytes taken from `random` (first byte replaced by the length),
/// then returns `(ciphertext, hash)` for the given secret. The caller picks a valid length.
#[cfg(feature = "seal")]
pub(crate) fn seal(secret: &[u8], padding: &[u8], payload: &[u8]) -> (Vec<u8>, [u8; 32]) {
    use aes::cipher::BlockEncryptMut as _;

    let mut buffer = Vec::with_capacity(padding.len() + payload.len());
    buffer.extend_from_slice(padding);
    if let Some(first) = buffer.first_mut() {
        *first = u8::try_from(padding.len()).unwrap_or(u8::MAX);
    }
    buffer.extend_from_slice(payload);
    let mut hasher = Sha256Hasher::new();
    hasher.update(&buffer);
    let hash = hasher.finish();
    let key = BlobKey::derive(secret, hash);
    let mut encryptor = key.encryptor();
    let (blocks, _tail) = InOutBuf::from(buffer.as_mut_slice()).into_chunks::<U16>();
    encryptor.encrypt_blocks_inout_mut(blocks);
    (buffer, hash)
}
