//! `tgauth login verify|sign` and `tgauth webapp verify`: check and produce Telegram login data.
//!
//! Verification prints one JSON line: `{"valid":true,"user":{...}}` (or `"init_data"`) and
//! exits 0, or `{"valid":false,"reason":"malformed"|"invalid_hash"|"expired"}` and exits 1, with
//! the detailed reason on stderr. Usage errors (bad flags, a token of the wrong shape) exit 2.
//! The bot token comes from `TGAUTH_BOT_TOKEN`, a file (`--bot-token-file`,
//! `TGAUTH_BOT_TOKEN_FILE`) or, visibly to other users, `--token`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use tgauth::login::{
    Error, Policy,
    webapp::{ThirdPartyVerifier, WebAppVerifier},
    widget::{DataFormat, TelegramUser, WidgetSigner, WidgetVerifier},
};
use tgauth::{BotId, BotToken, UserId};

use crate::secret::{SecretSources, SecretText};
use crate::{Failure, now_or_system};

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
    /// Verify Mini App initData: first-party with the bot token, third-party with --bot-id.
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

    fn now(&self) -> tgauth::UnixTime {
        now_or_system(self.now)
    }
}

/// Where the bot token comes from, shared by the commands that take one.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The bot token (`<bot id>:<secret>`); also TGAUTH_BOT_TOKEN. On the command line it is
    /// visible to other users of this machine (process list): prefer TGAUTH_BOT_TOKEN or
    /// --bot-token-file.
    #[arg(long, value_name = "T")]
    token: Option<SecretText>,
    /// A file holding the bot token (also TGAUTH_BOT_TOKEN_FILE).
    #[arg(long, value_name = "PATH", conflicts_with = "token")]
    bot_token_file: Option<PathBuf>,
}

impl TokenArgs {
    /// The token from `--token`, `TGAUTH_BOT_TOKEN`, `--bot-token-file` or
    /// `TGAUTH_BOT_TOKEN_FILE`; `None` when none is set.
    fn read(&self) -> Result<Option<BotToken>, Failure> {
        let sources = SecretSources {
            what: "the bot token",
            flag: Some(("--token", self.token.as_ref())),
            variable: "TGAUTH_BOT_TOKEN",
            file_flag: Some(("--bot-token-file", self.bot_token_file.as_ref())),
            file_variable: "TGAUTH_BOT_TOKEN_FILE",
        };
        let Some(text) = sources.read()? else {
            return Ok(None);
        };
        // The error would only repeat the shape; the text itself is a secret and is not shown.
        BotToken::new(text.expose())
            .map(Some)
            .map_err(|_| Failure::usage("the bot token is not of the form <bot id>:<secret>"))
    }

    /// The token, which the command cannot do without.
    fn required(&self) -> Result<BotToken, Failure> {
        self.read()?.ok_or_else(|| {
            Failure::usage(
                "no bot token: set TGAUTH_BOT_TOKEN or TGAUTH_BOT_TOKEN_FILE, or give \
                 --bot-token-file (or --token)",
            )
        })
    }
}

/// `tgauth login verify`.
#[derive(Debug, Args)]
pub(crate) struct LoginVerify {
    #[command(flatten)]
    token: TokenArgs,
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
    #[command(flatten)]
    token: TokenArgs,
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
///
/// With the bot token (from any of its sources) it checks the first-party `hash`; with
/// `--bot-id` instead, Telegram's third-party Ed25519 `signature`.
#[derive(Debug, Args)]
pub(crate) struct WebappVerify {
    #[command(flatten)]
    token: TokenArgs,
    /// The bot id: checks Telegram's third-party Ed25519 `signature` instead of the first-party
    /// `hash` (the bot token is then not used).
    #[arg(long, value_name = "N", conflicts_with_all = ["token", "bot_token_file"])]
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
    let mut key = [0u8; 32];
    hex::decode_to_slice(text, &mut key)
        .map_err(|_| "expected 64 hexadecimal digits".to_owned())?;
    Ok(PublicKey(key))
}

/// `text` itself, or standard input (without its trailing newline) when `text` is `-`.
fn argument_or_stdin(text: &str) -> Result<String, Failure> {
    if text != "-" {
        return Ok(text.to_owned());
    }
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
        .map_err(|_| Failure::usage("standard input is not readable UTF-8"))?;
    Ok(input.trim_end_matches(['\r', '\n']).to_owned())
}

/// Prints the outcome of a verification as one JSON line; a refusal is the command's failure.
fn report<T: serde::Serialize>(field: &str, outcome: Result<T, Error>) -> Result<(), Failure> {
    match outcome {
        Ok(value) => {
            // Unreachable for these types; a result that cannot be printed is refused, never
            // reported valid.
            let json = serde_json::to_string(&value).map_err(|error| {
                Failure::rejected(format!("the result does not serialize: {error}"))
            })?;
            // Written by hand so that `valid` comes first, as documented.
            println!("{{\"valid\":true,\"{field}\":{json}}}");
            Ok(())
        }
        Err(error) => {
            println!(
                "{{\"valid\":false,\"reason\":\"{}\"}}",
                error.kind().as_str()
            );
            Err(Failure::rejected_by(&error))
        }
    }
}

pub(crate) fn run_login(command: LoginCommand) -> Result<(), Failure> {
    match command {
        LoginCommand::Verify(args) => {
            let token = args.token.required()?;
            let data = argument_or_stdin(&args.data)?;
            let verifier = WidgetVerifier::new(&token).with_policy(args.freshness.policy());
            let format = match args.format {
                Format::Query if DataFormat::detect(&data) == DataFormat::Url => DataFormat::Url,
                Format::Query => DataFormat::Query,
                Format::Json => DataFormat::Json,
                Format::TgAuthResult => DataFormat::TgAuthResult,
                Format::Auto => DataFormat::Auto,
            };
            report("user", verifier.verify(&data, format, args.freshness.now()))
        }
        LoginCommand::Sign(args) => {
            let token = args.token.required()?;
            let user = TelegramUser {
                id: UserId(args.id),
                first_name: args.first_name,
                last_name: args.last_name,
                username: args.username,
                photo_url: args.photo_url,
                auth_date: now_or_system(args.auth_date),
            };
            let signed = WidgetSigner::new(&token).sign_user(&user);
            let output = match args.format {
                SignFormat::Query => signed.query(),
                SignFormat::Json => signed.json(),
                SignFormat::TgAuthResult => signed.tg_auth_result(),
            };
            println!("{output}");
            Ok(())
        }
    }
}

pub(crate) fn run_webapp(command: WebappCommand) -> Result<(), Failure> {
    match command {
        WebappCommand::Verify(args) => {
            let now = args.freshness.now();
            let policy = args.freshness.policy();
            let outcome = match args.bot_id {
                Some(bot_id) => {
                    let bot_id = i64::try_from(bot_id)
                        .map(BotId)
                        .map_err(|_| Failure::usage("--bot-id is too large for a bot id"))?;
                    let verifier = match (args.public_key, args.test_env) {
                        (Some(PublicKey(key)), _) => {
                            ThirdPartyVerifier::with_public_key(bot_id, key)
                        }
                        (None, true) => ThirdPartyVerifier::test_environment(bot_id),
                        (None, false) => ThirdPartyVerifier::production(bot_id),
                    };
                    let init_data = argument_or_stdin(&args.init_data)?;
                    verifier.with_policy(policy).verify(&init_data, now)
                }
                None => {
                    let token = args.token.read()?.ok_or_else(|| {
                        Failure::usage(
                            "no bot token and no --bot-id: set TGAUTH_BOT_TOKEN or \
                             TGAUTH_BOT_TOKEN_FILE, give --bot-token-file (or --token), or give \
                             --bot-id for third-party data",
                        )
                    })?;
                    let init_data = argument_or_stdin(&args.init_data)?;
                    WebAppVerifier::new(&token)
                        .with_policy(policy)
                        .verify(&init_data, now)
                }
            };
            report("init_data", outcome)
        }
    }
}
