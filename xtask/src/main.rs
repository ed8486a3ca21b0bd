//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Commands:
//!
//! - `lint`: rustfmt, clippy, rustdoc and cargo-deny, all with warnings denied; advisories
//!   against the offline RustSec snapshot when one is at hand (see `advisories`).
//! - `advisories`: `cargo deny check advisories` against the offline RustSec snapshot in
//!   `../shared/advisory-db/` (or `TGAUTH_ADVISORY_DB`), or a line saying it was not checked.
//! - `test`: the whole test suite (nextest when installed, otherwise `cargo test`) with every
//!   feature, then the doctests.
//! - `fixtures [--check]`: regenerate the committed test fixtures, or check that they are fresh.
//! - `tidy`: the repository rules that are not compiler lints (also run as a `#[test]`).
//! - `fuzz [--seconds N]`: builds every libFuzzer target of `fuzz/` with cargo-fuzz and runs
//!   each for N seconds (10 by default) from its committed seed corpus; see `fuzz/README.md`.
//! - `ci`: `lint`, then `test`, then `fuzz --seconds 10` when cargo-fuzz is installed (a line
//!   says plainly when it is not). This is what `.ci/run` and README's test command run.
//! - `bench [ARGS...]`: the benchmarks, in release mode.

// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod fixtures;
mod fuzz;
mod tidy;

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

/// What went wrong, as one line for the terminal.
type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("lint") => lint(),
        Some("test") => test(),
        Some("fixtures") => match args.get(1).map(String::as_str) {
            None => fixtures::run(fixtures::Mode::Write),
            Some("--check") => fixtures::run(fixtures::Mode::Check),
            Some(other) => Err(format!("unknown fixtures option `{other}`")),
        },
        Some("tidy") => tidy::run(&project_root()),
        Some("advisories") => {
            offline_advisories().and_then(|()| ignored_advisories_stay_behind_their_feature())
        }
        Some("fuzz") => fuzz::run(&project_root(), &args[1..]),
        Some("ci") => lint()
            .and_then(|()| test())
            .and_then(|()| fuzz::smoke(&project_root())),
        Some("bench") => bench(&args[1..]),
        Some(other) => Err(format!("unknown command `{other}`\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <lint|test|fixtures [--check]|tidy|advisories|fuzz [--seconds N]|ci|bench [ARGS...]>";

fn lint() -> Result<()> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    tidy::run(&project_root())?;
    // The advisory database cannot be fetched on machines without internet access: it is
    // checked online only when asked, and otherwise against an offline snapshot when one is
    // at hand.
    let mut checks = vec!["deny", "check", "licenses", "bans", "sources"];
    let online = env::var("TGAUTH_DENY_ADVISORIES").as_deref() == Ok("1");
    if online {
        checks.push("advisories");
    }
    cargo(&checks, &[])?;
    if !online {
        offline_advisories()?;
    }
    ignored_advisories_stay_behind_their_feature()
}

/// The crates of `deny.toml`'s ignored advisories, each with the one feature that brings it in.
const IGNORED: &[(&str, &str, &str)] = &[("rsa", "passport-crypto", "rsa-backend")];

/// No crate of an ignored advisory is in the normal graph of any workspace member with its
/// default features, and each is there with the feature `deny.toml` names (or the ignore would
/// be stale).
fn ignored_advisories_stay_behind_their_feature() -> Result<()> {
    let metadata = Command::new(cargo_path())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(project_root())
        .output()
        .map_err(|error| format!("could not run cargo metadata: {error}"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout)
        .map_err(|error| format!("cargo metadata: {error}"))?;
    let members: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|package| package["name"].as_str().map(str::to_owned))
        .collect();
    let graph = |args: &[&str]| -> Result<Vec<String>> {
        let mut command = vec!["tree", "--locked", "-e", "normal,build", "--prefix", "none"];
        command.extend(args);
        let output = Command::new(cargo_path())
            .args(&command)
            .current_dir(project_root())
            .output()
            .map_err(|error| format!("could not run cargo tree: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo {} failed: {}",
                command.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split(' ').next().map(str::to_owned))
            .collect())
    };
    for (krate, owner, feature) in IGNORED {
        for member in &members {
            if graph(&["-p", member])?.iter().any(|name| name == krate) {
                return Err(format!(
                    "`{krate}` (an ignored advisory in deny.toml) is reached by `{member}` with \
                     its default features; it may only come with `{owner}/{feature}`"
                ));
            }
        }
        if !graph(&["-p", owner, "--features", feature])?
            .iter()
            .any(|name| name == krate)
        {
            return Err(format!(
                "deny.toml ignores an advisory of `{krate}`, which `{owner}/{feature}` no longer \
                 brings in: drop the ignore"
            ));
        }
    }
    eprintln!(
        "advisories: ignored ones stay behind their feature ({} members checked)",
        members.len()
    );
    Ok(())
}

/// Where an offline RustSec snapshot may be: `TGAUTH_ADVISORY_DB` (a `.tar.gz` as the shared
/// directory holds, or an unpacked database), else `../shared/advisory-db/` beside the project.
fn advisory_snapshot(root: &Path) -> Option<PathBuf> {
    if let Some(path) = env::var_os("TGAUTH_ADVISORY_DB") {
        return Some(PathBuf::from(path));
    }
    let shared = root.parent()?.join("shared").join("advisory-db");
    let mut tarballs: Vec<PathBuf> = fs::read_dir(&shared)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with("rustsec-advisory-db-") && name.ends_with(".tar.gz")
                })
        })
        .collect();
    // The newest snapshot: their names end with the date.
    tarballs.sort();
    tarballs.pop()
}

/// `cargo deny check advisories` against the offline snapshot, or a plain line saying that
/// nothing was checked.
fn offline_advisories() -> Result<()> {
    let root = project_root();
    let Some(snapshot) = advisory_snapshot(&root) else {
        eprintln!(
            "advisories: NOT CHECKED: no offline RustSec database (../shared/advisory-db/ or \
             TGAUTH_ADVISORY_DB), and TGAUTH_DENY_ADVISORIES=1 was not set to fetch one"
        );
        return Ok(());
    };
    let db = if snapshot.is_dir() {
        snapshot.clone()
    } else {
        let stem = snapshot
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("snapshot")
            .trim_end_matches(".tar.gz")
            .to_owned();
        let db = root.join("target").join("advisory-db").join(stem);
        if !db.is_dir() {
            fs::create_dir_all(&db).map_err(|error| format!("{}: {error}", db.display()))?;
            let status = Command::new("tar")
                .arg("xzf")
                .arg(&snapshot)
                .arg("-C")
                .arg(&db)
                .status()
                .map_err(|error| format!("could not start tar: {error}"))?;
            if !status.success() {
                let _ = fs::remove_dir_all(&db);
                return Err(format!("tar could not unpack {}", snapshot.display()));
            }
        }
        db
    };
    // A copy of deny.toml that reads the snapshot instead of fetching.
    let policy = fs::read_to_string(root.join("deny.toml"))
        .map_err(|error| format!("deny.toml: {error}"))?;
    let with_db = policy.replacen(
        "[advisories]",
        &format!("[advisories]\ndb-path = {:?}", db.display().to_string()),
        1,
    );
    let config = root.join("target").join("advisory-db").join("deny.toml");
    fs::write(&config, with_db).map_err(|error| format!("{}: {error}", config.display()))?;
    // cargo-deny --offline reads every crate of the lock file, those of other targets too,
    // which a build on this machine never downloaded: fetch them first (the registry is
    // reachable where the advisory database is not).
    cargo(&["fetch", "--locked"], &[])?;
    eprintln!("advisories: checked against {}", snapshot.display());
    let config = config.display().to_string();
    cargo(
        &[
            "deny",
            "--offline",
            "--config",
            &config,
            "check",
            "advisories",
        ],
        &[],
    )
}

fn test() -> Result<()> {
    // Snapshots are compared, never written, when the whole suite runs.
    let env = [("INSTA_UPDATE", "no")];
    let nextest = Command::new(cargo_path())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if nextest {
        // nextest does not run doctests; they go first so that nextest's summary closes the run.
        cargo(&["test", "--doc", "--workspace", "--all-features"], &env)?;
        cargo(
            &[
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--no-fail-fast",
            ],
            &env,
        )
    } else {
        cargo(
            &["test", "--workspace", "--all-features", "--no-fail-fast"],
            &env,
        )
    }
}

fn bench(args: &[String]) -> Result<()> {
    let mut command: Vec<&str> = vec!["bench", "--workspace", "--all-features"];
    command.extend(args.iter().map(String::as_str));
    cargo(&command, &[])
}

/// Runs cargo in the project root, failing with the command line when it fails.
fn cargo(args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let line = format!("cargo {}", args.join(" "));
    eprintln!("$ {line}");
    let status = Command::new(cargo_path())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(project_root())
        .status()
        .map_err(|error| format!("could not start `{line}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

pub(crate) fn cargo_path() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
