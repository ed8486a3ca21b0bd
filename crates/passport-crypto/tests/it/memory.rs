//! Peak memory of file decryption, measured: in place stays within the file size plus a
//! constant, streaming within a fixed buffer, whatever the file size.
//!
//! The measurement runs in child processes (this same test binary, re-run with
//! `PASSPORT_CRYPTO_MEMORY_MODE` set) so that each starts from a clean peak: the parent seals a
//! 64 MiB file to disk, which alone peaks at twice the file size. Each child reads `VmHWM` (the
//! peak resident set size) from `/proc/self/status` before and after, and writes its figures to
//! a file the parent checks. Nothing here depends on timing.
//!
//! Show the figures with
//! `cargo test -p passport-crypto --all-features --test it memory -- --nocapture`.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use passport_crypto::file::{FileKey, decrypt_to_path, decrypt_vec};
use passport_crypto::seal::seal_file;
use rand_core::RngCore as _;
use sha2::{Digest, Sha256};

use crate::common::rng;

const MIB: u64 = 1024 * 1024;
/// The file size measured: large enough that any copy of the file dwarfs the constants.
const FILE_SIZE: usize = 64 * 1024 * 1024;
/// Allowed growth beyond the file itself: allocator and page-granularity slack.
const SLACK: u64 = 4 * MIB;

const MODE: &str = "PASSPORT_CRYPTO_MEMORY_MODE";
const INPUT: &str = "PASSPORT_CRYPTO_MEMORY_INPUT";
const SECRET: &str = "PASSPORT_CRYPTO_MEMORY_SECRET";
const HASH: &str = "PASSPORT_CRYPTO_MEMORY_HASH";
const DIGEST: &str = "PASSPORT_CRYPTO_MEMORY_DIGEST";
const REPORT: &str = "PASSPORT_CRYPTO_MEMORY_REPORT";

/// The peak resident set size of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Figures of one child, in bytes.
#[derive(Debug)]
struct Figures {
    /// Peak RSS before the ciphertext is touched.
    baseline: u64,
    /// Peak RSS once the ciphertext is in memory (equal to `baseline` when streaming).
    loaded: u64,
    /// Peak RSS after decryption.
    peak: u64,
}

/// Decrypts the file at `path` in `mode` and returns the figures and the SHA-256 (hex) of the
/// plaintext, computed after the peak is read.
fn decrypt_file(mode: &str, path: &Path, key: &FileKey, scratch: &Path) -> (Figures, String) {
    match mode {
        "in-place" => {
            let baseline = peak_rss();
            let ciphertext = std::fs::read(path).unwrap();
            let loaded = peak_rss();
            let plaintext = decrypt_vec(key, ciphertext).unwrap();
            let peak = peak_rss();
            let figures = Figures {
                baseline,
                loaded,
                peak,
            };
            (figures, hex(&Sha256::digest(&plaintext)))
        }
        "stream" => {
            let output = scratch.join("out");
            let baseline = peak_rss();
            let mut file = std::fs::File::open(path).unwrap();
            decrypt_to_path(key, &mut file, &output).unwrap();
            let peak = peak_rss();
            let mut written = BufReader::new(std::fs::File::open(&output).unwrap());
            let mut hasher = Sha256::new();
            std::io::copy(&mut written, &mut hasher).unwrap();
            let figures = Figures {
                baseline,
                loaded: baseline,
                peak,
            };
            (figures, hex(&hasher.finalize()))
        }
        other => panic!("unknown mode {other}"),
    }
}

/// The child's side: decrypts the file in `mode` and writes its figures to the report file.
fn measure(mode: &str) {
    let var = |name| std::env::var(name).unwrap();
    let input = PathBuf::from(var(INPUT));
    let key = FileKey::from_base64(&var(SECRET), &var(HASH)).unwrap();
    let scratch = tempfile::tempdir().unwrap();

    // Run the same code on a small file first, so that one-time costs are not counted as
    // growth: code paged in on first use (the kernel maps 64 KiB around each fault of a large
    // debug binary), lazily initialized CPU feature detection, the allocator's first arenas.
    let small_contents = [7u8; 4096];
    let (small_credentials, small) = seal_file(&small_contents, &mut rng(1));
    let small_path = scratch.path().join("small.enc");
    std::fs::write(&small_path, small).unwrap();
    let small_key =
        FileKey::from_base64(&small_credentials.secret, &small_credentials.file_hash).unwrap();
    let (_, digest) = decrypt_file(mode, &small_path, &small_key, scratch.path());
    assert_eq!(digest, hex(&Sha256::digest(small_contents)));

    let (figures, digest) = decrypt_file(mode, &input, &key, scratch.path());
    assert_eq!(digest, var(DIGEST));
    std::fs::write(
        var(REPORT),
        format!("{} {} {}", figures.baseline, figures.loaded, figures.peak),
    )
    .unwrap();
}

/// The parent's side: runs one child and reads its figures.
fn run_child(mode: &str, directory: &Path, input: &Path, env: &[(&str, String)]) -> Figures {
    let report = directory.join(format!("report-{mode}"));
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "memory::decryption_memory_is_bounded",
            "--exact",
            "--test-threads=1",
        ])
        .env(MODE, mode)
        .env(INPUT, input)
        .env(REPORT, &report)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{mode} child failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(|number| number.parse().unwrap())
        .collect();
    Figures {
        baseline: numbers[0],
        loaded: numbers[1],
        peak: numbers[2],
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / MIB as f64)
}

#[test]
// The figures are this test's report; `--nocapture` shows them.
#[allow(clippy::print_stderr)]
fn decryption_memory_is_bounded() {
    if let Ok(mode) = std::env::var(MODE) {
        measure(&mode);
        return;
    }
    if !Path::new("/proc/self/status").exists() {
        // VmHWM is Linux's; elsewhere there is nothing to read. CI runs on Linux.
        eprintln!("memory: /proc/self/status is missing, not measured on this system");
        return;
    }
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("file.enc");
    // A random 4 KiB block repeated: as incompressible as needed, and quick to make in debug.
    let mut block = [0u8; 4096];
    rng(64).fill_bytes(&mut block);
    let contents = block.repeat(FILE_SIZE / block.len());
    let digest = hex(&Sha256::digest(&contents));
    let (credentials, ciphertext) = seal_file(&contents, &mut rng(65));
    drop(contents);
    let file_size = ciphertext.len() as u64;
    std::fs::write(&input, &ciphertext).unwrap();
    drop(ciphertext);
    let env = [
        (SECRET, credentials.secret.clone()),
        (HASH, credentials.file_hash.clone()),
        (DIGEST, digest),
    ];

    let in_place = run_child("in-place", directory.path(), &input, &env);
    let stream = run_child("stream", directory.path(), &input, &env);
    let in_place_total = in_place.peak.saturating_sub(in_place.baseline);
    let in_place_decrypt = in_place.peak.saturating_sub(in_place.loaded);
    let stream_total = stream.peak.saturating_sub(stream.baseline);
    eprintln!(
        "memory: {} ciphertext; in place: peak growth {} ({:.3}x the file), of which {} after \
         the ciphertext was loaded; streaming: peak growth {}",
        mib(file_size),
        mib(in_place_total),
        in_place_total as f64 / file_size as f64,
        mib(in_place_decrypt),
        mib(stream_total),
    );
    assert!(
        in_place_total <= file_size + SLACK,
        "in-place decryption grew {in_place:?} for a {file_size}-byte file"
    );
    assert!(
        in_place_decrypt <= SLACK,
        "in-place decryption allocated beyond the loaded ciphertext: {in_place:?}"
    );
    assert!(
        stream_total < MIB,
        "streaming decryption grew {stream:?}, not under 1 MiB"
    );
}
