//! `tgauth`: key generation, Passport decryption, login verification and the reference service.

// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod link;
mod link_qr;
mod login;
mod passport;
mod sandbox;

/// Know who a person is through Telegram.
#[derive(Debug, Parser)]
#[command(name = "tgauth", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, one variant per area.
#[derive(Debug, Subcommand)]
enum Command {
    /// Login Widget data: verify, sign.
    #[command(subcommand)]
    Login(login::LoginCommand),
    /// Mini App initData: verify.
    #[command(subcommand)]
    Webapp(login::WebappCommand),
    /// Deep-link account linking: issue, consume, show, unlink, qr.
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// Generate the bot's RSA key for Telegram Passport and print the BotFather steps.
    Keygen(passport::KeygenArgs),
    /// Telegram Passport: decrypt, request-url.
    #[command(subcommand)]
    Passport(passport::PassportCommand),
    /// Run the loopback Telegram sandbox (Bot API and control API) until Ctrl-C.
    Sandbox(sandbox::SandboxArgs),
}

fn main() -> ExitCode {
    let Cli { command } = Cli::parse();
    match command {
        Command::Login(command) => login::run_login(command),
        Command::Webapp(command) => login::run_webapp(command),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Link(command) => link::run(command),
        Command::Keygen(args) => passport::run_keygen(args),
        Command::Passport(command) => passport::run(command),
    }
}
