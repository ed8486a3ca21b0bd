//! `tgauth`: key generation, Passport decryption, login verification and the reference service.

// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

/// Know who a person is through Telegram.
#[derive(Debug, Parser)]
#[command(name = "tgauth", version, about, long_about = None)]
struct Cli {}

fn main() -> ExitCode {
    let Cli {} = Cli::parse();
    ExitCode::SUCCESS
}
