//! `tgauth link issue|consume|show|unlink|qr`: deep-link account linking from scripts.
//!
//! Every store command prints one JSON line; `qr` prints the code drawn in text. `consume` exits
//! 0 with `{"user":...}` or 1 with
//! `{"error":"unknown"|"expired"|"already_used"|"conflict"|"declined"}`. It commits the link
//! as the bot does after the chat's own confirmation, skipping the questions (it is for scripts
//! and tests): the link is not confirmed by the website's owner, so under deeplink-auth's safe
//! default no login link is signed for it. Usage errors exit 2, and a store that cannot be
//! reached exits 69, with the reason on stderr. Link codes are secrets: `issue` prints the one
//! it made, nothing else prints a code. The store URL can carry a password: it comes from
//! `TGAUTH_STORE`, a file (`--store-file`, `TGAUTH_STORE_FILE`) or, visibly to other users,
//! `--store`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use tgauth::link::code::LinkCode;
use tgauth::link::store::{
    AnyStore, CommittedBy, DEFAULT_STORE_URL, Link, LinkOutcome, LinkPolicy, OnConflict, Store,
    StoreError,
};
use tgauth::link::{AccountId, BotUsername, Error, Linker, TelegramIdentity, Ttl};
use tgauth::{ChatId, UnixTime, UserId};

use crate::secret::{SecretSources, SecretText};
use crate::{Failure, now_or_system};

/// Deep-link account linking.
#[derive(Debug, Subcommand)]
pub(crate) enum LinkCommand {
    /// Issue a one-time code for a website user and print it with its t.me link.
    Issue(IssueArgs),
    /// Consume a code for a Telegram private chat and commit the link without the confirmation
    /// questions, as the chat's own act (not confirmed by the website's owner).
    Consume(ConsumeArgs),
    /// Show the links of a website user or of a Telegram user.
    Show(WhoArgs),
    /// Remove the links of a website user or of a Telegram user.
    Unlink(WhoArgs),
    /// Print a link as a QR code in the terminal (and optionally write a PNG).
    Qr(QrArgs),
}

/// The store and clock flags every store command shares.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The store URL: sqlite://path, postgres://..., redis://... or memory:// (default:
    /// sqlite://tgauth.db); also TGAUTH_STORE. On the command line a password in it is visible
    /// to other users of this machine (process list): prefer TGAUTH_STORE or --store-file.
    #[arg(long, value_name = "URL")]
    store: Option<SecretText>,
    /// A file holding the store URL (also TGAUTH_STORE_FILE).
    #[arg(long, value_name = "PATH", conflicts_with = "store")]
    store_file: Option<PathBuf>,
    /// The current time as Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
}

impl StoreArgs {
    fn now(&self) -> UnixTime {
        now_or_system(self.now)
    }

    /// Opens the store named by `--store`, `TGAUTH_STORE`, `--store-file` or
    /// `TGAUTH_STORE_FILE`, or the default SQLite file.
    async fn open(&self) -> Result<AnyStore, Failure> {
        let sources = SecretSources {
            what: "the store URL",
            flag: Some(("--store", self.store.as_ref())),
            variable: "TGAUTH_STORE",
            file_flag: Some(("--store-file", self.store_file.as_ref())),
            file_variable: "TGAUTH_STORE_FILE",
        };
        let url = sources.read()?;
        let url = url.as_ref().map_or(DEFAULT_STORE_URL, SecretText::expose);
        AnyStore::open(url)
            .await
            .map_err(|error| store_failure(&error))
    }
}

/// `tgauth link issue`.
#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The website user the code links to.
    #[arg(long, value_name = "ID")]
    user: String,
    /// The bot's username (with or without @).
    #[arg(long, value_name = "NAME")]
    bot: String,
    /// How long the code lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    ttl: u64,
}

/// `tgauth link consume`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The code (base64url; it may start with `-`).
    #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
    code: String,
    /// The private chat's id.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    chat_id: i64,
    /// The Telegram user's id.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    telegram_user_id: i64,
    /// What to do when the Telegram account is linked to another website user.
    #[arg(long, value_enum, default_value_t = ConflictArg::Reject)]
    on_conflict: ConflictArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ConflictArg {
    /// Refuse (the code stays unused).
    Reject,
    /// Move the Telegram account to the new website user.
    Move,
}

/// Who `show` and `unlink` are about.
#[derive(Debug, Args)]
#[group(id = "who", required = true, multiple = false, args = ["user", "telegram_user_id"])]
pub(crate) struct WhoArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A website user.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// A Telegram user.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    telegram_user_id: Option<i64>,
}

/// `tgauth link qr`.
#[derive(Debug, Args)]
pub(crate) struct QrArgs {
    /// The link to encode.
    url: String,
    /// Also write the QR code as a PNG image to this file.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Draw for dark text on a light background (default: light text on dark).
    #[arg(long)]
    light_terminal: bool,
}

/// A store that cannot be reached is unavailable (exit 69: try again later); any other store
/// failure (a bad URL, a backend that is not compiled in, a refused statement, a malformed
/// record) is a problem with the setting (exit 2).
fn store_failure(error: &StoreError) -> Failure {
    if error.is_unavailable() {
        Failure::unavailable_by(error)
    } else {
        Failure::usage_by(error)
    }
}

/// A refused code: its kind as JSON on stdout, the reason on stderr (exit 1). A store failure
/// is not a verdict on the code and prints no JSON.
fn link_failure(error: Error) -> Failure {
    let kind = match &error {
        Error::Store(store) => return store_failure(store),
        Error::Unknown => "unknown",
        Error::Expired => "expired",
        Error::AlreadyUsed => "already_used",
        Error::Conflict => "conflict",
        Error::Declined => "declined",
        _ => "invalid",
    };
    println!("{}", serde_json::json!({ "error": kind }));
    Failure::rejected(error)
}

/// Runs a `tgauth link` command.
pub(crate) fn run(command: LinkCommand) -> Result<(), Failure> {
    let output = match command {
        LinkCommand::Issue(args) => on_runtime(issue(args))?,
        LinkCommand::Consume(args) => on_runtime(consume(args))?,
        LinkCommand::Show(args) => on_runtime(show(args))?,
        LinkCommand::Unlink(args) => on_runtime(unlink(args))?,
        // Drawing a link needs no store and no runtime.
        LinkCommand::Qr(args) => {
            crate::link_qr::qr(&args.url, args.png.as_deref(), args.light_terminal)
                .map_err(Failure::usage)?
        }
    };
    println!("{output}");
    Ok(())
}

/// Runs a store command to its end on a single-threaded runtime.
fn on_runtime(command: impl Future<Output = Result<String, Failure>>) -> Result<String, Failure> {
    crate::runtime(false)?.block_on(command)
}

fn link_json(link: &Link) -> serde_json::Value {
    serde_json::json!({
        "user": link.account.as_str(),
        "telegram_user_id": link.telegram.user_id().0,
        "chat_id": link.telegram.chat_id().0,
        "linked_at": link.linked_at.0,
    })
}

async fn issue(args: IssueArgs) -> Result<String, Failure> {
    let account = AccountId::new(&args.user).map_err(Failure::usage)?;
    let bot = BotUsername::new(&args.bot).map_err(Failure::usage)?;
    let ttl = Ttl::from_seconds(args.ttl).map_err(Failure::usage)?;
    let store = args.store.open().await?;
    let linker = Linker::new(store, bot).with_code_ttl(ttl);
    let issued = linker
        .issue(&account, args.store.now())
        .await
        .map_err(|error| store_failure(&error))?;
    Ok(serde_json::json!({
        "code": issued.code.expose(),
        "url": issued.url,
        "expires_at": issued.expires_at.0,
    })
    .to_string())
}

async fn consume(args: ConsumeArgs) -> Result<String, Failure> {
    // A malformed code cannot have been issued: it is unknown, and no store is opened for it.
    let Some(code) = LinkCode::parse(&args.code) else {
        return Err(link_failure(Error::Unknown));
    };
    let who = TelegramIdentity::new(UserId(args.telegram_user_id), ChatId(args.chat_id))
        .map_err(Failure::usage)?;
    let policy = LinkPolicy {
        on_conflict: match args.on_conflict {
            ConflictArg::Reject => OnConflict::Reject,
            ConflictArg::Move => OnConflict::Move,
        },
        ..LinkPolicy::default()
    };
    let store = args.store.open().await?;
    // Committed as the chat's own act, as the bot commits after its confirmation: a script
    // stands in for the person in Telegram, not for the website's logged-in owner.
    let linked = store
        .consume(&code, who, policy, CommittedBy::Chat, args.store.now())
        .await
        .map_err(link_failure)?;
    let outcome = match &linked.outcome {
        LinkOutcome::New => "new",
        LinkOutcome::AlreadyLinked => "already_linked",
        LinkOutcome::Moved { .. } => "moved",
        _ => "linked",
    };
    Ok(serde_json::json!({
        "user": linked.link.account.as_str(),
        "outcome": outcome,
        "link": link_json(&linked.link),
    })
    .to_string())
}

/// Who a `show` or `unlink` is about.
enum Who {
    Account(AccountId),
    Telegram(UserId),
}

impl WhoArgs {
    fn who(&self) -> Result<Who, Failure> {
        match (&self.user, self.telegram_user_id) {
            (Some(user), _) => AccountId::new(user)
                .map(Who::Account)
                .map_err(Failure::usage),
            (None, Some(id)) => Ok(Who::Telegram(UserId(id))),
            (None, None) => Err(Failure::usage("give --user or --telegram-user-id")),
        }
    }
}

async fn show(args: WhoArgs) -> Result<String, Failure> {
    let who = args.who()?;
    let store = args.store.open().await?;
    let links = match who {
        Who::Account(account) => store.links_of_account(&account).await,
        Who::Telegram(id) => store
            .link_of_telegram_user(id)
            .await
            .map(|link| link.into_iter().collect()),
    }
    .map_err(|error| store_failure(&error))?;
    Ok(serde_json::json!({ "links": links.iter().map(link_json).collect::<Vec<_>>() }).to_string())
}

async fn unlink(args: WhoArgs) -> Result<String, Failure> {
    let who = args.who()?;
    let store = args.store.open().await?;
    let removed = match who {
        Who::Account(account) => store.unlink_account(&account).await,
        Who::Telegram(id) => store
            .unlink_telegram_user(id)
            .await
            .map(|link| u64::from(link.is_some())),
    }
    .map_err(|error| store_failure(&error))?;
    Ok(serde_json::json!({ "unlinked": removed }).to_string())
}
