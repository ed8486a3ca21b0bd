//! File decryption in memory, in place, streaming and to a path, on the real file pair and on
//! sealed files.

use std::io::Read;

use passport_crypto::Error;
use passport_crypto::file::{
    FileDecryptor, FileKey, decrypt_in_place, decrypt_stream, decrypt_to_path, decrypt_vec,
};
use passport_crypto::seal::seal_file;
use proptest::prelude::*;
use rand_core::RngCore as _;
use sha2::{Digest, Sha256};

use crate::common::{b64, encrypt_raw, ptb, rng, unb64};

fn real_pair() -> (FileKey, Vec<u8>, Vec<u8>) {
    let vector = &ptb()["file_vector"];
    let key = FileKey::from_base64(
        vector["file_credentials"]["secret"].as_str().unwrap(),
        vector["file_credentials"]["file_hash"].as_str().unwrap(),
    )
    .unwrap();
    let encrypted = unb64(vector["encrypted_b64"].as_str().unwrap());
    let decrypted = unb64(vector["decrypted_b64"].as_str().unwrap());
    assert_eq!(encrypted.len(), 24240);
    assert_eq!(decrypted.len(), 24017);
    assert_eq!(
        hex(&Sha256::digest(&decrypted)),
        vector["decrypted_sha256_hex"].as_str().unwrap()
    );
    (key, encrypted, decrypted)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn real_file_pair_in_place() {
    let (key, mut encrypted, decrypted) = real_pair();
    let payload = decrypt_in_place(&key, &mut encrypted).unwrap();
    assert_eq!(payload, decrypted.as_slice());
}

#[test]
fn unverified_plaintext_is_wiped() {
    let (key, encrypted, _) = real_pair();
    // A flipped bit in the last block: everything before it decrypts to the real image.
    let mut tampered = encrypted.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let error = decrypt_in_place(&key, &mut tampered).unwrap_err();
    assert!(matches!(error, Error::HashMismatch { .. }));
    assert!(tampered.iter().all(|&byte| byte == 0));
    // A length error leaves the caller's ciphertext alone.
    let mut short = encrypted[..100].to_vec();
    decrypt_in_place(&key, &mut short).unwrap_err();
    assert_eq!(short, encrypted[..100]);
}

#[test]
fn real_file_pair_vec() {
    let (key, encrypted, decrypted) = real_pair();
    assert_eq!(decrypt_vec(&key, encrypted).unwrap(), decrypted);
}

/// A reader that hands out at most `step` bytes per read, to exercise chunk boundaries.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let take = self.step.min(buffer.len()).min(self.data.len());
        buffer[..take].copy_from_slice(&self.data[..take]);
        self.data = &self.data[take..];
        Ok(take)
    }
}

#[test]
fn real_file_pair_streaming_any_chunking() {
    let (key, encrypted, decrypted) = real_pair();
    for step in [1, 7, 16, 17, 223, 4096, 100_000] {
        let mut output = Vec::new();
        let summary = decrypt_stream(
            &key,
            &mut Trickle {
                data: &encrypted,
                step,
            },
            &mut output,
        )
        .unwrap();
        assert_eq!(output, decrypted, "step {step}");
        assert_eq!(summary.payload_len, 24017);
        assert_eq!(summary.ciphertext_len, 24240);
    }
}

#[test]
fn update_and_finish_by_hand() {
    let (key, encrypted, decrypted) = real_pair();
    let mut decryptor = FileDecryptor::new(&key);
    let mut output = Vec::new();
    for piece in encrypted.chunks(1000) {
        decryptor.update(piece, &mut output).unwrap();
    }
    decryptor.finish(&mut output).unwrap();
    assert_eq!(output, decrypted);
}

#[test]
fn to_path_persists_only_verified_output() {
    let (key, encrypted, decrypted) = real_pair();
    let directory = tempfile::tempdir().unwrap();
    let good = directory.path().join("good.jpg");
    decrypt_to_path(&key, &mut encrypted.as_slice(), &good).unwrap();
    assert_eq!(std::fs::read(&good).unwrap(), decrypted);

    let mut tampered = encrypted.clone();
    tampered[20_000] ^= 1;
    let bad = directory.path().join("bad.jpg");
    let error = decrypt_to_path(&key, &mut tampered.as_slice(), &bad).unwrap_err();
    assert!(matches!(error, Error::HashMismatch { .. }), "{error:?}");
    assert!(!bad.exists());
    // Nothing else was left behind either.
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
}

#[test]
fn large_sealed_files_cross_chunk_boundaries() {
    let mut random = rng(7);
    for length in [0, 1, 65_535, 65_536, 65_537, 300_000] {
        let contents: Vec<u8> = (0..length).map(|index| (index * 31 % 251) as u8).collect();
        let (credentials, ciphertext) = seal_file(&contents, &mut random);
        let key = FileKey::from_base64(&credentials.secret, &credentials.file_hash).unwrap();
        assert_eq!(decrypt_vec(&key, ciphertext.clone()).unwrap(), contents);
        let mut output = Vec::new();
        decrypt_stream(&key, &mut ciphertext.as_slice(), &mut output).unwrap();
        assert_eq!(output, contents, "length {length}");
    }
}

#[test]
fn padding_rules() {
    let secret = [9u8; 32];
    let check = |plaintext: Vec<u8>| {
        let (ciphertext, hash) = encrypt_raw(&secret, &plaintext);
        let key = FileKey::new(&secret, &hash).unwrap();
        let in_memory = decrypt_vec(&key, ciphertext.clone()).map_err(|error| error.to_string());
        let mut output = Vec::new();
        let streamed = decrypt_stream(&key, &mut ciphertext.as_slice(), &mut output)
            .map(|_| output)
            .map_err(|error| error.to_string());
        assert_eq!(in_memory, streamed);
        in_memory
    };
    // Padding of exactly the whole plaintext: an empty payload is valid.
    let mut all_padding = vec![0u8; 48];
    all_padding[0] = 48;
    assert_eq!(check(all_padding), Ok(Vec::new()));
    // Short padding (16 < 32).
    let mut short = vec![b'x'; 48];
    short[0] = 16;
    assert_eq!(
        check(short),
        Err("file: padding length 16 is invalid for 48 decrypted bytes".to_owned())
    );
    // Padding longer than the plaintext.
    let mut long = vec![b'x'; 48];
    long[0] = 255;
    assert_eq!(
        check(long),
        Err("file: padding length 255 is invalid for 48 decrypted bytes".to_owned())
    );
    // Minimum and maximum padding.
    let mut minimum = vec![b'y'; 64];
    minimum[0] = 32;
    assert_eq!(check(minimum), Ok(vec![b'y'; 32]));
    let mut maximum = vec![b'z'; 256];
    maximum[0] = 255;
    assert_eq!(check(maximum), Ok(vec![b'z'; 1]));
}

#[test]
fn length_and_key_errors() {
    let key = FileKey::new(&[1; 32], &[2; 32]).unwrap();
    for length in [0usize, 1, 15, 17, 33] {
        let error = decrypt_vec(&key, vec![0; length]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("file: ciphertext length {length} is not a non-zero multiple of 16")
        );
        let mut output = Vec::new();
        let error = decrypt_stream(&key, &mut vec![0; length].as_slice(), &mut output).unwrap_err();
        assert!(matches!(error, Error::CiphertextLength { .. }));
    }
    let error = FileKey::new(&[1; 32], &[2; 31]).unwrap_err();
    assert_eq!(error.to_string(), "file: hash has 31 bytes; SHA-256 has 32");
    let error = FileKey::from_base64("not base64!", &b64(&[0; 32])).unwrap_err();
    assert_eq!(error.to_string(), "file: secret is not valid base64");
    assert_eq!(format!("{key:?}"), "FileKey(<redacted>)");
}

/// A writer whose first write fails, as a full disk would, and later writes succeed.
struct FailsOnce {
    failed: bool,
    written: Vec<u8>,
}

impl std::io::Write for FailsOnce {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        if !self.failed {
            self.failed = true;
            return Err(std::io::Error::other("disk full"));
        }
        self.written.extend_from_slice(buffer);
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_write_fails_the_stream_for_good() {
    // A caller retrying after a failed write must not get `Ok` from `finish` for output that
    // lacks the chunk that was not written.
    let contents: Vec<u8> = (0..200_000).map(|index| (index % 253) as u8).collect();
    let (credentials, ciphertext) = seal_file(&contents, &mut rng(9));
    let key = FileKey::from_base64(&credentials.secret, &credentials.file_hash).unwrap();
    let mut decryptor = FileDecryptor::new(&key);
    let mut output = FailsOnce {
        failed: false,
        written: Vec::new(),
    };
    let mut errors = 0;
    for piece in ciphertext.chunks(10_000) {
        if decryptor.update(piece, &mut output).is_err() {
            errors += 1;
        }
    }
    assert_eq!(
        errors,
        ciphertext.chunks(10_000).count() - 6,
        "every call after the failure"
    );
    assert!(matches!(decryptor.finish(&mut output), Err(Error::Io(_))));
}

#[test]
fn stream_decryptor_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<FileDecryptor>();
    assert_send::<FileKey>();
}

proptest! {
    #![proptest_config(crate::common::proptest_config(48))]

    /// The streaming decryptor gives exactly the in-memory result whatever the file length and
    /// however the ciphertext is cut, across its 64 KiB chunk boundaries; a flipped bit anywhere
    /// fails `finish`.
    #[test]
    fn streaming_matches_in_memory_at_any_cut(
        length in prop_oneof![0usize..600, 60_000usize..200_000],
        steps in proptest::collection::vec(1usize..70_000, 1..6),
        flip in any::<prop::sample::Index>(),
        seed: u64,
    ) {
        let mut contents = vec![0u8; length];
        rng(seed).fill_bytes(&mut contents);
        let (credentials, ciphertext) = seal_file(&contents, &mut rng(seed ^ 1));
        let key = FileKey::from_base64(&credentials.secret, &credentials.file_hash).unwrap();

        let mut decryptor = FileDecryptor::new(&key);
        let mut output = Vec::new();
        let mut rest = ciphertext.as_slice();
        for step in steps.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, later) = rest.split_at((*step).min(rest.len()));
            decryptor.update(piece, &mut output).unwrap();
            rest = later;
        }
        let summary = decryptor.finish(&mut output).unwrap();
        prop_assert_eq!(&output, &contents);
        prop_assert_eq!(summary.payload_len, length as u64);

        let mut output = Vec::new();
        let mut reader = Trickle { data: &ciphertext, step: steps[0] };
        decrypt_stream(&key, &mut reader, &mut output).unwrap();
        prop_assert_eq!(&output, &contents);

        let mut tampered = ciphertext.clone();
        tampered[flip.index(ciphertext.len())] ^= 0x10;
        let streamed = decrypt_stream(&key, &mut tampered.as_slice(), &mut std::io::sink());
        let is_hash_mismatch = matches!(streamed, Err(Error::HashMismatch { .. }));
        prop_assert!(is_hash_mismatch);
    }
}
