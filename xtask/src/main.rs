//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Commands:
//!
//! - `lint`: rustfmt, clippy, rustdoc and cargo-deny, all with warnings denied.
//! - `test`: the whole test suite (nextest when installed, otherwise `cargo test`) with every
//!   feature, then the doctests.
//! - `fixtures [--check]`: regenerate the committed test fixtures, or check that they are fresh.
//! - `tidy`: the repository rules that are not compiler lints (also run as a `#[test]`).
//! - `ci`: `lint`, then `test`. This is what `.ci/run` and README's test command run.
//! - `bench [ARGS...]`: the benchmarks, in release mode.

// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod fixtures;
mod tidy;

use std::{
    env,
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
        Some("ci") => lint().and_then(|()| test()),
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

const USAGE: &str = "usage: cargo xtask <lint|test|fixtures [--check]|tidy|ci|bench [ARGS...]>";

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
    // The advisory database cannot be fetched on machines without internet access.
    let mut checks = vec!["deny", "check", "licenses", "bans", "sources"];
    if env::var("TGAUTH_DENY_ADVISORIES").as_deref() == Ok("1") {
        checks.push("advisories");
    }
    cargo(&checks, &[])
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

fn cargo_path() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
