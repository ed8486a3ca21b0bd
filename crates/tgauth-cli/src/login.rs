//! `tgauth login verify|sign` and `tgauth webapp verify`: check and produce Telegram login data.
//!
//! Verification prints one JSON line: `{"valid":true,"user":{...}}` (or `"init_data"`) and
//! exits 0, or `{"valid":false,"reason":"malformed"|"invalid_hash"|"expired"}` and exits 1, with
//! the detailed reason on stderr. Usage errors (bad flags, a token of the wrong shape) exit 2.

use std::{
    process::ExitCode,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use clap::{Args, Subcommand, ValueEnum};
use tgauth::login_widget::{
    BotToken, LoginError, Policy,
    webapp::{ThirdPartyVerifier, WebAppVerifier},
    widget::{DataFormat, TelegramUser, WidgetSigner, WidgetVerifier},
};

/// Login Widget data.
#[derive(Debug, Subcommand)]
pub(crate) enum LoginCommand {
    /// Verify Login Widget data (query string, callback URL, JSON or tgAuthResult).
    Verify(LoginVerify),
    /// Sign Login Widget data for a user, as Telegram would (for testing).
    Sign(LoginSign),
}

/// Mini App `initData`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebappCommand {
    /// Verify Mini App initData: first-party with --token, third-party with --bot-id.
    Verify(WebappVerify),
}

/// Freshness flags shared by the verify commands.
#[derive(Debug, Args)]
pub(crate) struct Freshness {
    /// Maximum age of auth_date in seconds, or `none` to accept any age.
    #[arg(long, value_name = "S|none", default_value = "86400", value_parser = parse_max_age)]
    max_age: MaxAge,
    /// The current time as Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct MaxAge(Option<Duration>);

fn parse_max_age(text: &str) -> Result<MaxAge, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(MaxAge(None));
    }
    text.parse::<u64>()
        .map(|secs| MaxAge(Some(Duration::from_secs(secs))))
        .map_err(|_| "expected seconds or `none`".to_owned())
}

impl Freshness {
    fn policy(&self) -> Policy {
        Policy::default().with_max_age(self.max_age.0)
    }

    /// `--now`, or the system clock. A `--now` the platform's `SystemTime` cannot hold is a
    /// usage error (adding to `UNIX_EPOCH` with `+` would panic there).
    fn now(&self) -> Result<SystemTime, ExitCode> {
        let Some(secs) = self.now else {
            return Ok(SystemTime::now());
        };
        let offset = Duration::from_secs(secs.unsigned_abs());
        let now = if secs >= 0 {
            UNIX_EPOCH.checked_add(offset)
        } else {
            UNIX_EPOCH.checked_sub(offset)
        };
        now.ok_or_else(|| usage("--now is outside the range of this system's clock"))
    }
}

/// `tgauth login verify`.
#[derive(Debug, Args)]
pub(crate) struct LoginVerify {
    /// The bot token (`<bot id>:<secret>`).
    #[arg(long, value_name = "T")]
    token: String,
    #[command(flatten)]
    freshness: Freshness,
    /// The form of DATA.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// The login data, or `-` to read it from standard input.
    #[arg(value_name = "DATA")]
    data: String,
}

/// The forms of widget data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The redirect query string (a full callback URL is accepted too).
    Query,
    /// The data-onauth JSON object.
    Json,
    /// The #tgAuthResult= fragment value.
    TgAuthResult,
    /// Detect the form.
    Auto,
}

/// `tgauth login sign`.
#[derive(Debug, Args)]
pub(crate) struct LoginSign {
    /// The bot token (`<bot id>:<secret>`).
    #[arg(long, value_name = "T")]
    token: String,
    /// The user's Telegram id.
    #[arg(long, allow_negative_numbers = true)]
    id: i64,
    /// First name.
    #[arg(long, default_value = "Test")]
    first_name: String,
    /// Last name.
    #[arg(long)]
    last_name: Option<String>,
    /// Username.
    #[arg(long)]
    username: Option<String>,
    /// Profile photo URL.
    #[arg(long)]
    photo_url: Option<String>,
    /// auth_date as Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    auth_date: Option<i64>,
    /// The form to print.
    #[arg(long, value_enum, default_value_t = SignFormat::Query)]
    format: SignFormat,
}

/// The forms `login sign` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignFormat {
    /// The redirect query string.
    Query,
    /// The data-onauth JSON object.
    Json,
    /// The #tgAuthResult= fragment value.
    TgAuthResult,
}

/// `tgauth webapp verify`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("key").required(true).args(["token", "bot_id"]))]
pub(crate) struct WebappVerify {
    /// The bot token: checks the first-party `hash`.
    #[arg(long, value_name = "T", conflicts_with_all = ["bot_id", "public_key", "test_env"])]
    token: Option<String>,
    /// The bot id: checks Telegram's third-party Ed25519 `signature`.
    #[arg(long, value_name = "N")]
    bot_id: Option<u64>,
    /// Trust this Ed25519 public key (64 hex digits) instead of Telegram's production key.
    #[arg(long, value_name = "HEX", requires = "bot_id", conflicts_with = "test_env", value_parser = parse_public_key)]
    public_key: Option<PublicKey>,
    /// Trust Telegram's test-environment key.
    #[arg(long, requires = "bot_id")]
    test_env: bool,
    #[command(flatten)]
    freshness: Freshness,
    /// The initData query string, or `-` to read it from standard input.
    #[arg(value_name = "INIT_DATA")]
    init_data: String,
}

#[derive(Debug, Clone, Copy)]
struct PublicKey([u8; 32]);

fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    let invalid = || "expected 64 hexadecimal digits".to_owned();
    // `from_str_radix` alone would also take a sign (`+f`), so check the digits first.
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let mut key = [0u8; 32];
    for (byte, pair) in key.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    Ok(PublicKey(key))
}

/// `text` itself, or standard input (without its trailing newline) when `text` is `-`.
fn argument_or_stdin(text: &str) -> Result<String, ExitCode> {
    if text != "-" {
        return Ok(text.to_owned());
    }
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
        .map_err(|_| usage("standard input is not readable UTF-8"))?;
    Ok(input.trim_end_matches(['\r', '\n']).to_owned())
}

/// A usage error: message on stderr, exit code 2.
fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn token(text: &str) -> Result<BotToken, ExitCode> {
    BotToken::new(text).map_err(|_| usage("--token is not of the form <bot id>:<secret>"))
}

/// Prints the outcome of a verification as one JSON line and picks the exit code.
fn report<T: serde::Serialize>(field: &str, outcome: Result<T, LoginError>) -> ExitCode {
    match outcome {
        Ok(value) => match serde_json::to_string(&value) {
            Ok(json) => {
                // Written by hand so that `valid` comes first, as documented.
                println!("{{\"valid\":true,\"{field}\":{json}}}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: the result does not serialize: {error}");
                ExitCode::from(1)
            }
        },
        Err(error) => {
            println!(
                "{{\"valid\":false,\"reason\":\"{}\"}}",
                error.kind().as_str()
            );
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn run_login(command: LoginCommand) -> ExitCode {
    match command {
        LoginCommand::Verify(args) => {
            let token = match token(&args.token) {
                Ok(token) => token,
                Err(code) => return code,
            };
            let data = match argument_or_stdin(&args.data) {
                Ok(data) => data,
                Err(code) => return code,
            };
            let verifier = WidgetVerifier::new(&token).with_policy(args.freshness.policy());
            let format = match args.format {
                Format::Query if DataFormat::detect(&data) == DataFormat::Url => DataFormat::Url,
                Format::Query => DataFormat::Query,
                Format::Json => DataFormat::Json,
                Format::TgAuthResult => DataFormat::TgAuthResult,
                Format::Auto => DataFormat::Auto,
            };
            let now = match args.freshness.now() {
                Ok(now) => now,
                Err(code) => return code,
            };
            report("user", verifier.verify(&data, format, now))
        }
        LoginCommand::Sign(args) => {
            let token = match token(&args.token) {
                Ok(token) => token,
                Err(code) => return code,
            };
            let auth_date = args.auth_date.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            });
            let user = TelegramUser {
                id: args.id,
                first_name: args.first_name,
                last_name: args.last_name,
                username: args.username,
                photo_url: args.photo_url,
                auth_date,
            };
            let signed = WidgetSigner::new(&token).sign_user(&user);
            let output = match args.format {
                SignFormat::Query => signed.query(),
                SignFormat::Json => signed.json(),
                SignFormat::TgAuthResult => signed.tg_auth_result(),
            };
            println!("{output}");
            ExitCode::SUCCESS
        }
    }
}

pub(crate) fn run_webapp(command: WebappCommand) -> ExitCode {
    match command {
        WebappCommand::Verify(args) => {
            let now = match args.freshness.now() {
                Ok(now) => now,
                Err(code) => return code,
            };
            let policy = args.freshness.policy();
            let init_data = match argument_or_stdin(&args.init_data) {
                Ok(init_data) => init_data,
                Err(code) => return code,
            };
            let outcome = match (&args.token, args.bot_id) {
                (Some(text), _) => match token(text) {
                    Ok(token) => WebAppVerifier::new(&token)
                        .with_policy(policy)
                        .verify(&init_data, now),
                    Err(code) => return code,
                },
                (None, Some(bot_id)) => {
                    let verifier = match (args.public_key, args.test_env) {
                        (Some(PublicKey(key)), _) => {
                            ThirdPartyVerifier::with_public_key(bot_id, key)
                        }
                        (None, true) => ThirdPartyVerifier::test_environment(bot_id),
                        (None, false) => ThirdPartyVerifier::production(bot_id),
                    };
                    verifier.with_policy(policy).verify(&init_data, now)
                }
                (None, None) => return usage("one of --token or --bot-id is required"),
            };
            report("init_data", outcome)
        }
    }
}
