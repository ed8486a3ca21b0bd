//! Decrypting downloaded Passport files in memory and streaming; output is untrusted until the
//! hash is checked.
//!
//! A file downloaded with `getFile` is AES-256-CBC ciphertext. Its [`FileKey`] comes from the
//! `FileCredentials` that [`crate::open`] returns for it.
//!
//! - [`decrypt_in_place`] decrypts a buffer in place and returns the payload slice: no copy, so
//!   memory stays at the file size plus a constant ([`decrypt_vec`] likewise, moving the payload
//!   to the front of the same allocation). Measured by the crate's `memory` test: decrypting a
//!   64 MiB file grows peak RSS by exactly the file once it is loaded in place, and by nothing
//!   measurable streaming to a path, beyond a process that already decrypted a small file.
//! - [`FileDecryptor`] streams: it decrypts whatever it is given into a [`Write`] with a fixed
//!   buffer. **Everything it writes is untrusted until [`FileDecryptor::finish`] returns `Ok`**:
//!   the integrity hash covers the whole file and can only be checked at the end. Discard the
//!   output on any error. [`decrypt_to_path`] does that for you: it writes to a temporary file
//!   next to the destination and renames it into place only after the hash verified.

use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::{Zeroize as _, Zeroizing};

use crate::blob::{self, BLOCK, BlobError, BlobKey, CHUNK, Decryptor, Sha256Hasher};
use crate::error::{Error, Location, Result};

/// The key of one encrypted file (or data blob): derived from its secret and hash.
///
/// A key from [`crate::open::OpenedFile::key`] remembers which element part it belongs to, so
/// that every error of the functions here names it (`passport front_side: ...`); a key made
/// with [`FileKey::new`] or [`FileKey::from_base64`] reads as `file`.
pub struct FileKey {
    key: BlobKey,
    location: Location,
}

impl FileKey {
    /// A key from the raw secret and the expected SHA-256 of the padded plaintext.
    pub fn new(secret: &[u8], hash: &[u8]) -> Result<Self> {
        Self::new_at(secret, hash, &Location::File)
    }

    /// A key from the base64 `secret` and `file_hash` of `FileCredentials`.
    pub fn from_base64(secret: &str, hash: &str) -> Result<Self> {
        Self::from_base64_at(secret, hash, &Location::File, "file_hash")
    }

    pub(crate) fn from_base64_at(
        secret: &str,
        hash: &str,
        location: &Location,
        hash_field: &'static str,
    ) -> Result<Self> {
        let base64 = |field| Error::Base64 {
            location: location.clone(),
            field,
        };
        let secret = Zeroizing::new(STANDARD.decode(secret).map_err(|_| base64("secret"))?);
        let hash = STANDARD.decode(hash).map_err(|_| base64(hash_field))?;
        Self::new_at(&secret, &hash, location)
    }

    pub(crate) fn new_at(secret: &[u8], hash: &[u8], location: &Location) -> Result<Self> {
        let hash = <[u8; 32]>::try_from(hash).map_err(|_| Error::HashLength {
            location: location.clone(),
            length: hash.len(),
        })?;
        Ok(Self {
            key: BlobKey::derive(secret, hash),
            location: location.clone(),
        })
    }
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileKey({})", tgauth_core::REDACTED)
    }
}

/// Turns a blob failure into the crate error for `location`.
pub(crate) fn blob_error(error: BlobError, location: &Location) -> Error {
    let location = location.clone();
    match error {
        BlobError::Length(length) => Error::CiphertextLength { location, length },
        BlobError::Hash => Error::HashMismatch { location },
        BlobError::Padding { padding, length } => Error::Padding {
            location,
            padding,
            length,
        },
    }
}

/// Decrypts and verifies `buffer` in place and returns the payload (the plaintext after its
/// padding prefix).
///
/// When the hash or the padding does not verify, the buffer (by then unverified plaintext, most
/// of it the user's real data if only a bit was flipped) is wiped to zeros before the error is
/// returned; a length error leaves the ciphertext as it was.
pub fn decrypt_in_place<'a>(key: &FileKey, buffer: &'a mut [u8]) -> Result<&'a mut [u8]> {
    let location = &key.location;
    match blob::open_in_place(&key.key, buffer) {
        Ok(padding) => Ok(payload(buffer, padding)),
        Err(error) => {
            if !matches!(error, BlobError::Length(_)) {
                buffer.zeroize();
            }
            Err(blob_error(error, location))
        }
    }
}

/// The payload after a checked padding prefix (which is never longer than the buffer).
fn payload(buffer: &mut [u8], padding: usize) -> &mut [u8] {
    let start = padding.min(buffer.len());
    buffer.get_mut(start..).unwrap_or_default()
}

/// Decrypts and verifies an owned buffer and returns the payload in the same allocation (the
/// padding prefix is removed by moving the payload to the front).
/// On error the buffer is dropped, wiped as [`decrypt_in_place`] describes.
pub fn decrypt_vec(key: &FileKey, mut buffer: Vec<u8>) -> Result<Vec<u8>> {
    let payload_len = decrypt_in_place(key, &mut buffer)?.len();
    let padding = buffer.len().saturating_sub(payload_len);
    buffer.drain(..padding);
    Ok(buffer)
}

/// What a verified stream held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamSummary {
    /// Ciphertext bytes read.
    pub ciphertext_len: u64,
    /// Payload bytes written (the plaintext without its padding prefix).
    pub payload_len: u64,
}

/// Streaming decryption with a fixed buffer. See the module docs: the output is untrusted until
/// [`FileDecryptor::finish`] returns `Ok`.
pub struct FileDecryptor {
    decryptor: Decryptor,
    hasher: Sha256Hasher,
    expected: [u8; 32],
    /// Ciphertext waiting for a full chunk; always less than [`CHUNK`] bytes between calls.
    /// After a flush it holds decrypted plaintext, so it is wiped on drop.
    buffer: Zeroizing<Vec<u8>>,
    buffered: usize,
    ciphertext_len: u64,
    payload_len: u64,
    /// The padding byte once the first block is decrypted.
    padding: Option<u8>,
    /// A chunk was decrypted but not written: the output is incomplete for good.
    broken: bool,
    /// What errors name.
    location: Location,
}

impl std::fmt::Debug for FileDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDecryptor")
            .field("ciphertext_len", &self.ciphertext_len)
            .finish_non_exhaustive()
    }
}

impl FileDecryptor {
    /// A decryptor for the file with this key.
    pub fn new(key: &FileKey) -> Self {
        Self {
            decryptor: key.key.decryptor(),
            hasher: Sha256Hasher::new(),
            expected: key.key.hash,
            buffer: Zeroizing::new(vec![0; CHUNK]),
            buffered: 0,
            ciphertext_len: 0,
            payload_len: 0,
            padding: None,
            broken: false,
            location: key.location.clone(),
        }
    }

    /// Decrypts the next piece of ciphertext (any length) and writes the plaintext it completes,
    /// minus the padding prefix, to `output`. The bytes written are not verified yet.
    ///
    /// After a failed write every later call fails too: the chunk that was not written is gone.
    pub fn update(&mut self, mut ciphertext: &[u8], output: &mut impl Write) -> Result<()> {
        self.check_not_broken()?;
        while !ciphertext.is_empty() {
            let free = self.buffer.get_mut(self.buffered..).unwrap_or_default();
            let take = free.len().min(ciphertext.len());
            let (now, later) = ciphertext.split_at(take);
            free.get_mut(..take)
                .unwrap_or_default()
                .copy_from_slice(now);
            self.buffered += take;
            self.ciphertext_len += take as u64;
            ciphertext = later;
            if self.buffered == self.buffer.len() {
                self.flush(self.buffered, output)?;
            }
        }
        Ok(())
    }

    /// Reads once from `input` straight into the internal buffer (saving the copy that
    /// [`update`](Self::update) makes) and decrypts it when full. Returns `false` at the end of
    /// the input.
    fn read_from(&mut self, input: &mut impl Read, output: &mut impl Write) -> Result<bool> {
        self.check_not_broken()?;
        let free = self.buffer.get_mut(self.buffered..).unwrap_or_default();
        let read = loop {
            match input.read(free) {
                Ok(read) => break read.min(free.len()),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(Error::Io(error)),
            }
        };
        self.buffered += read;
        self.ciphertext_len += read as u64;
        if self.buffered == self.buffer.len() {
            self.flush(self.buffered, output)?;
        }
        Ok(read > 0)
    }

    fn check_not_broken(&self) -> Result<()> {
        if self.broken {
            return Err(Error::Io(std::io::Error::other(
                "an earlier write of decrypted output failed",
            )));
        }
        Ok(())
    }

    /// Decrypts the first `length` buffered bytes (a multiple of 16) and writes them out.
    fn flush(&mut self, length: usize, output: &mut impl Write) -> Result<()> {
        let chunk = self.buffer.get_mut(..length).unwrap_or_default();
        blob::decrypt_blocks(&mut self.decryptor, chunk);
        self.hasher.update(&*chunk);
        let padding = *self
            .padding
            .get_or_insert_with(|| chunk.first().copied().unwrap_or_default());
        // The number of padding bytes still to skip: those not already behind us.
        let before = self.ciphertext_len - self.buffered as u64;
        let skip = u64::from(padding).saturating_sub(before);
        let skip = usize::try_from(skip).unwrap_or(usize::MAX).min(chunk.len());
        let payload = chunk.get(skip..).unwrap_or_default();
        if let Err(error) = output.write_all(payload) {
            // The chunk is decrypted in place and hashed; it cannot be written again.
            self.broken = true;
            return Err(Error::Io(error));
        }
        self.payload_len += payload.len() as u64;
        let rest = self.buffered - length;
        self.buffer.copy_within(length..self.buffered, 0);
        self.buffered = rest;
        Ok(())
    }

    /// Decrypts what is left, checks the length, the hash (in constant time) and the padding.
    /// Only when this returns `Ok` is the output trustworthy.
    pub fn finish(mut self, output: &mut impl Write) -> Result<StreamSummary> {
        self.check_not_broken()?;
        let location = self.location.clone();
        let length = self.ciphertext_len;
        if length == 0 || !length.is_multiple_of(BLOCK as u64) {
            return Err(blob_error(BlobError::Length(length), &location));
        }
        if self.buffered > 0 {
            self.flush(self.buffered, output)?;
        }
        output.flush().map_err(Error::Io)?;
        if !blob::hashes_equal(&self.hasher.finish(), &self.expected) {
            return Err(blob_error(BlobError::Hash, &location));
        }
        blob::check_padding(self.padding.unwrap_or_default(), length)
            .map_err(|error| blob_error(error, &location))?;
        Ok(StreamSummary {
            ciphertext_len: length,
            payload_len: self.payload_len,
        })
    }
}

/// Streams `input` through a [`FileDecryptor`] into `output` with a fixed buffer. The output is
/// untrusted unless this returns `Ok`.
pub fn decrypt_stream(
    key: &FileKey,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<StreamSummary> {
    let mut decryptor = FileDecryptor::new(key);
    while decryptor.read_from(input, output)? {}
    decryptor.finish(output)
}

/// Streams `input` into a temporary file next to `destination` and renames it to `destination`
/// only once the hash verified; on any error nothing is left behind.
pub fn decrypt_to_path(
    key: &FileKey,
    input: &mut impl Read,
    destination: &Path,
) -> Result<StreamSummary> {
    let directory = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(directory).map_err(Error::Io)?;
    let summary = {
        let mut writer = std::io::BufWriter::new(temporary.as_file_mut());
        decrypt_stream(key, input, &mut writer)?
    };
    temporary
        .persist(destination)
        .map_err(|error| Error::Io(error.error))?;
    Ok(summary)
}
