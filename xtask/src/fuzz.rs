//! `cargo xtask fuzz`: the libFuzzer targets of `fuzz/`, built with cargo-fuzz and run for a
//! few seconds each from their committed seed corpus, as CI's smoke test of the parsers.

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use crate::{Result, cargo_path};

/// How long `ci` runs each target.
const SMOKE_SECONDS: u64 = 10;

/// `cargo xtask fuzz [--seconds N]`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let seconds = match args {
        [] => SMOKE_SECONDS,
        [flag, value] if flag == "--seconds" => value
            .parse()
            .map_err(|_| format!("--seconds takes a whole number, not `{value}`"))?,
        _ => return Err("usage: cargo xtask fuzz [--seconds N]".to_owned()),
    };
    if !installed() {
        return Err("cargo-fuzz is not installed: `cargo install cargo-fuzz --locked`".to_owned());
    }
    fuzz(root, seconds)
}

/// What `ci` runs: every target for a few seconds, or a plain line saying that fuzzing was
/// skipped because cargo-fuzz is missing.
pub(crate) fn smoke(root: &Path) -> Result<()> {
    if !installed() {
        eprintln!(
            "fuzz: SKIPPED: cargo-fuzz is not installed (`cargo install cargo-fuzz --locked`); \
             no fuzz target ran"
        );
        return Ok(());
    }
    fuzz(root, SMOKE_SECONDS)
}

fn installed() -> bool {
    Command::new(cargo_path())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// cargo-fuzz in `fuzz/`. cargo-fuzz passes nightly-only flags to rustc (sanitizer
/// coverage); `RUSTC_BOOTSTRAP=1` lets the stable toolchain take them. The targets are built
/// without AddressSanitizer (`-s none`): the project's code forbids `unsafe`, and the build
/// and the runs are about twice as fast.
fn cargo_fuzz(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(cargo_path());
    command
        .arg("fuzz")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root.join("fuzz"));
    command
}

fn fuzz(root: &Path, seconds: u64) -> Result<()> {
    let started = Instant::now();
    let listed = cargo_fuzz(root, &["list"])
        .output()
        .map_err(|error| format!("could not start `cargo fuzz list`: {error}"))?;
    if !listed.status.success() {
        return Err(format!(
            "`cargo fuzz list` failed: {}",
            String::from_utf8_lossy(&listed.stderr)
        ));
    }
    let targets: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    eprintln!("$ cargo fuzz build -O -s none (in fuzz/)");
    let built = cargo_fuzz(root, &["build", "-O", "-s", "none"])
        .status()
        .map_err(|error| format!("could not start `cargo fuzz build`: {error}"))?;
    if !built.success() {
        return Err(format!("`cargo fuzz build -O -s none` failed ({built})"));
    }
    eprintln!(
        "fuzz: built {} targets in {} s",
        targets.len(),
        started.elapsed().as_secs()
    );
    let mut failed = Vec::new();
    for target in &targets {
        // New inputs go to a scratch copy under target/: the committed corpus stays the
        // small set of seeds its README describes.
        let scratch = root.join("fuzz").join("target").join("corpus").join(target);
        fs::create_dir_all(&scratch).map_err(|error| format!("{}: {error}", scratch.display()))?;
        let scratch = scratch.display().to_string();
        let seeds = format!("corpus/{target}");
        let max_time = format!("-max_total_time={seconds}");
        eprintln!("$ cargo fuzz run -O {target} -- {max_time}");
        let output = cargo_fuzz(
            root,
            &[
                "run", "-O", "-s", "none", target, &scratch, &seeds, "--", &max_time,
            ],
        )
        .output()
        .map_err(|error| format!("could not start `cargo fuzz run {target}`: {error}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            eprintln!("fuzz: {target}: {}", summary(&log));
        } else {
            eprintln!("{log}");
            eprintln!(
                "fuzz: {target}: FAILED ({}); see fuzz/artifacts/{target}/",
                output.status
            );
            failed.push(target.clone());
        }
    }
    eprintln!(
        "fuzz: {} targets, {} s each, {} s in all",
        targets.len(),
        seconds,
        started.elapsed().as_secs()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets failed: {}", failed.join(", ")))
    }
}

/// libFuzzer's closing figures: the last status line (`#N DONE cov: .. ft: ..`) and the
/// `Done N runs in S second(s)` line.
fn summary(log: &str) -> String {
    let status = log
        .lines()
        .rev()
        .find(|line| line.starts_with('#') && line.contains("cov:"))
        .unwrap_or("no status line");
    let done = log
        .lines()
        .rev()
        .find(|line| line.starts_with("Done "))
        .unwrap_or("");
    format!("{status}; {done}")
}
