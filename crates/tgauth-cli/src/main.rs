//! `tgauth`: key generation, Passport decryption, login verification and the reference service.
//!
//! This file owns what every command shares: the one [`Failure`] a command ends with, the one
//! printer of an error's cause chain, the exit codes, and the one reading of the wall clock.

// A command-line program talks on stdout and stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tgauth::{Clock as _, SystemClock, UnixTime};

mod doctor;
mod link;
mod link_qr;
mod login;
mod oidc;
mod passport;
mod sandbox;
mod secret;
mod serve;

/// mimalloc rather than glibc's malloc: `cargo bench -p tgauth-server --features sandbox
/// --bench serve` answered `me` about a third faster with it and logins about a tenth faster
/// (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The exit status of a command that did what was asked.
const EXIT_OK: u8 = 0;
/// The exit status of a verdict on untrusted input: a bad hash, an expired login, a refused
/// passport, a used code.
const EXIT_REJECTED: u8 = 1;
/// The exit status of a usage error: bad arguments, a bad key file, a bad setting. clap exits
/// with it too.
const EXIT_USAGE: u8 = 2;
/// The exit status when a dependency is unavailable (a link store that is down): sysexits'
/// `EX_UNAVAILABLE`, so that a script can tell "try again later" from "fix the command".
const EXIT_UNAVAILABLE: u8 = 69;

/// What `--help` says about exit codes and secrets.
const AFTER_HELP: &str = "\
Exit status:
  0   success
  1   rejected input: a bad hash or signature, an expired login, a refused passport, a used,
      expired or unknown link code
  2   usage: bad arguments, an unreadable or unusable key file, a bad setting
  69  unavailable: a dependency (the link store) cannot be reached; try again later

Secrets are best given by environment variable or file, not on the command line, where other
users of the machine can read them (in the process list and /proc/*/cmdline):
  TGAUTH_BOT_TOKEN, TGAUTH_BOT_TOKEN_FILE or --bot-token-file   the bot token
  TGAUTH_STORE, TGAUTH_STORE_FILE or --store-file               the link store URL
  TGAUTH_KEY_PASSWORD or TGAUTH_KEY_PASSWORD_FILE               an encrypted key's password
A value and a file for the same secret at once is a usage error.";

/// What `tgauth serve --help` says about secrets.
const SERVE_AFTER_HELP: &str = "\
Secrets are never flags. Each comes from TGAUTH_X, from a file named by TGAUTH_X_FILE, or from
a file named by `x_file` in the configuration file (a value and a file at once is an error):
  TGAUTH_BOT_TOKEN            the bot token (required)
  TGAUTH_COOKIE_KEY           32 random bytes in hex (required; `openssl rand -hex 32`)
  TGAUTH_DATA_KEY             32 random bytes in hex (required; encrypts stored Passport data)
  TGAUTH_PASSPORT_KEY         the bot's Passport private key, PEM (optional; `tgauth keygen`)
  TGAUTH_OIDC_CLIENT_SECRET   the OpenID Connect client secret (optional)
  TGAUTH_WEBHOOK_SECRET       the webhook's secret token (with --updates webhook)
  TGAUTH_EVENTS_SECRET        the key that signs events (with --events-url)
Precedence: defaults < the configuration file < TGAUTH_* variables < flags. A missing or bad
setting stops the start with one line naming it, and exit status 2.";

/// Know who a person is through Telegram.
#[derive(Debug, Parser)]
#[command(
    name = "tgauth",
    version,
    about,
    long_about = None,
    arg_required_else_help = true,
    after_help = AFTER_HELP
)]
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
    /// Run the identity gateway for websites (`--sandbox`: everything offline).
    #[command(after_help = SERVE_AFTER_HELP)]
    Serve(Box<tgauth_server::ServeArgs>),
    /// The gateway's API keys: create, list, revoke.
    #[command(subcommand)]
    Apikey(serve::ApiKeyCommand),
    /// "Log in with tgauth": the OpenID Connect provider's clients.
    #[command(subcommand)]
    Oidc(oidc::OidcCommand),
    /// Check the gateway's configuration against what breaks Telegram logins, with fixes.
    #[command(after_help = doctor::AFTER_HELP)]
    Doctor(Box<tgauth_server::ServeArgs>),
}

impl Command {
    /// The command's name in the first words of its stderr lines (`tgauth <name>: ...`).
    fn name(&self) -> &'static str {
        match self {
            Self::Login(login::LoginCommand::Verify(_)) => "login verify",
            Self::Login(login::LoginCommand::Sign(_)) => "login sign",
            Self::Webapp(login::WebappCommand::Verify(_)) => "webapp verify",
            // One name for every link command: scripts match on `tgauth link: `.
            Self::Link(_) => "link",
            Self::Keygen(_) => "keygen",
            Self::Passport(passport::PassportCommand::Decrypt(_)) => "passport decrypt",
            Self::Passport(passport::PassportCommand::RequestUrl(_)) => "passport request-url",
            Self::Sandbox(_) => "sandbox",
            Self::Serve(_) => "serve",
            Self::Apikey(_) => "apikey",
            Self::Doctor(_) => "doctor",
            Self::Oidc(_) => "oidc",
        }
    }
}

/// Why a command failed: the exit code and the one line it prints on stderr.
///
/// A command prints its own verdict on stdout (the JSON of `login verify` or `link consume`)
/// before it fails; the failure adds the human reason on stderr.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A verdict on untrusted input: exit 1.
    Rejected(String),
    /// Bad arguments, an unreadable or unusable key file, a bad setting: exit 2.
    Usage(String),
    /// A dependency the command needs cannot be reached (a store that is down): exit 69.
    Unavailable(String),
}

impl Failure {
    /// A usage error with this message.
    pub(crate) fn usage(message: impl fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }

    /// A usage error about a file: `<path>: <error>`.
    pub(crate) fn usage_at(path: impl AsRef<std::path::Path>, error: impl fmt::Display) -> Self {
        Self::Usage(format!("{}: {error}", path.as_ref().display()))
    }

    /// A usage error reported by `error`, with its cause chain.
    pub(crate) fn usage_by(error: &dyn std::error::Error) -> Self {
        Self::Usage(cause_chain(error))
    }

    /// A rejection of untrusted input for this reason.
    pub(crate) fn rejected(message: impl fmt::Display) -> Self {
        Self::Rejected(message.to_string())
    }

    /// A rejection by `error`, with its whole cause chain: "passport data decrypted but could
    /// not be read" alone would not say why. The crates' causes never quote secrets or
    /// decrypted data.
    pub(crate) fn rejected_by(error: &dyn std::error::Error) -> Self {
        Self::Rejected(cause_chain(error))
    }

    /// An unavailable dependency, reported by `error` with its cause chain.
    pub(crate) fn unavailable_by(error: &dyn std::error::Error) -> Self {
        Self::Unavailable(cause_chain(error))
    }

    /// The exit code.
    fn code(&self) -> u8 {
        match self {
            Self::Rejected(_) => EXIT_REJECTED,
            Self::Usage(_) => EXIT_USAGE,
            Self::Unavailable(_) => EXIT_UNAVAILABLE,
        }
    }

    /// The message, without the command's name.
    fn message(&self) -> &str {
        match self {
            Self::Rejected(message) | Self::Usage(message) | Self::Unavailable(message) => message,
        }
    }
}

/// An error and its causes on one line, `: `-joined.
///
/// Driver errors (redis, sqlx) print their source in their own message and return it from
/// `source()` as well; a cause whose text the line already ends with is not repeated.
pub(crate) fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Escapes control characters, so that a message stays one line on stderr even when it quotes
/// untrusted text (a path, a type string from the input, a driver's multi-line message).
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The current time: `--now` when a test or a script gave one, otherwise the system clock, the
/// only reader of the wall clock.
pub(crate) fn now_or_system(now: Option<i64>) -> UnixTime {
    now.map_or_else(|| SystemClock.now(), UnixTime)
}

/// A runtime for the async commands (link stores, the sandbox). Failing to make one means the
/// operating system refused threads or descriptors: the machine, not the command, is at fault.
pub(crate) fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, Failure> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|error| Failure::Unavailable(format!("cannot start the async runtime: {error}")))
}

fn main() -> ExitCode {
    let Cli { command } = Cli::parse();
    let name = command.name();
    let outcome = match command {
        Command::Login(command) => login::run_login(command),
        Command::Webapp(command) => login::run_webapp(command),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Link(command) => link::run(command),
        Command::Keygen(args) => passport::run_keygen(&args),
        Command::Passport(command) => passport::run(command),
        Command::Serve(args) => serve::run_serve(*args),
        Command::Apikey(command) => serve::run_apikey(command),
        Command::Doctor(args) => doctor::run(*args),
        Command::Oidc(command) => oidc::run(command),
    };
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(failure) => {
            eprintln!("tgauth {name}: {}", one_line(failure.message()));
            ExitCode::from(failure.code())
        }
    }
}
