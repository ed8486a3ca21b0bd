//! `tgauth link issue|consume|show|unlink|qr`: deep-link account linking from scripts.
//!
//! Every store command prints one JSON line; `qr` prints the code drawn in text. `consume` exits 0 with `{"user":...}` or 1 with
//! `{"error":"unknown"|"expired"|"already_used"|"conflict"}`; it commits without the
//! confirmation step (it is for scripts and tests). Usage errors and store failures exit 2 with
//! the reason on stderr. Link codes are secrets: `issue` prints the one it made, nothing else
//! prints a code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use tgauth::deeplink_auth::store::{LinkPolicy, OnConflict};
use tgauth::deeplink_auth::{
    AnyStore, BotUsername, ChatId, Link, LinkCode, LinkError, Linker, Store, TelegramIdentity,
    TelegramUserId, Ttl, UnixTime, UserId,
};

/// Deep-link account linking.
#[derive(Debug, Subcommand)]
pub(crate) enum LinkCommand {
    /// Issue a one-time code for a website user and print it with its t.me link.
    Issue(IssueArgs),
    /// Consume a code for a Telegram private chat and commit the link (no confirmation step).
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
    /// The store: sqlite://path, postgres://..., redis://... or memory://.
    #[arg(long, value_name = "URL", default_value = "sqlite://tgauth.db")]
    store: String,
    /// The current time as Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
}

impl StoreArgs {
    fn now(&self) -> UnixTime {
        self.now.map_or_else(UnixTime::now, UnixTime)
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

/// A failure that ends the command: exit 1 with a JSON error, or exit 2 with a message.
enum Failure {
    Link(LinkError),
    Usage(String),
}

impl From<LinkError> for Failure {
    fn from(error: LinkError) -> Self {
        match error {
            LinkError::Store(store) => Self::Usage(error_chain(&store)),
            other => Self::Link(other),
        }
    }
}

impl From<tgauth::deeplink_auth::StoreError> for Failure {
    fn from(error: tgauth::deeplink_auth::StoreError) -> Self {
        Self::Usage(error_chain(&error))
    }
}

impl From<tgauth::deeplink_auth::InputError> for Failure {
    fn from(error: tgauth::deeplink_auth::InputError) -> Self {
        Self::Usage(error.to_string())
    }
}

/// An error and its causes, `: `-joined. Driver errors (redis, sqlx) print their source in
/// their own message and return it from `source()` as well; a cause whose text the message
/// already ends with is not repeated.
fn error_chain(error: &dyn std::error::Error) -> String {
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

/// Runs a `tgauth link` command.
pub(crate) fn run(command: LinkCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tgauth link: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match command {
            LinkCommand::Issue(args) => issue(args).await,
            LinkCommand::Consume(args) => consume(args).await,
            LinkCommand::Show(args) => show(args).await,
            LinkCommand::Unlink(args) => unlink(args).await,
            LinkCommand::Qr(args) => {
                crate::link_qr::qr(&args.url, args.png.as_deref(), args.light_terminal)
                    .map_err(Failure::Usage)
            }
        }
    });
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(Failure::Link(error)) => {
            let kind = match error {
                LinkError::Unknown => "unknown",
                LinkError::Expired => "expired",
                LinkError::AlreadyUsed => "already_used",
                LinkError::Conflict => "conflict",
                _ => "invalid",
            };
            println!("{}", serde_json::json!({ "error": kind }));
            eprintln!("tgauth link: {error}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("tgauth link: {message}");
            ExitCode::from(2)
        }
    }
}

fn link_json(link: &Link) -> serde_json::Value {
    serde_json::json!({
        "user": link.user.as_str(),
        "telegram_user_id": link.telegram.user_id().0,
        "chat_id": link.telegram.chat_id().0,
        "linked_at": link.linked_at.0,
    })
}

async fn issue(args: IssueArgs) -> Result<String, Failure> {
    let user = UserId::new(&args.user)?;
    let bot = BotUsername::new(&args.bot)?;
    let ttl = Ttl::from_seconds(args.ttl)?;
    let store = AnyStore::open(&args.store.store).await?;
    let linker = Linker::new(store, bot).with_code_ttl(ttl);
    let issued = linker.issue(&user, args.store.now()).await?;
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
        return Err(Failure::Link(LinkError::Unknown));
    };
    let who = TelegramIdentity::new(TelegramUserId(args.telegram_user_id), ChatId(args.chat_id))?;
    let policy = LinkPolicy {
        on_conflict: match args.on_conflict {
            ConflictArg::Reject => OnConflict::Reject,
            ConflictArg::Move => OnConflict::Move,
        },
        ..LinkPolicy::default()
    };
    let store = AnyStore::open(&args.store.store).await?;
    let linked = store.consume(&code, who, policy, args.store.now()).await?;
    let outcome = match &linked.outcome {
        tgauth::deeplink_auth::LinkOutcome::New => "new",
        tgauth::deeplink_auth::LinkOutcome::AlreadyLinked => "already_linked",
        tgauth::deeplink_auth::LinkOutcome::Moved { .. } => "moved",
        _ => "linked",
    };
    Ok(serde_json::json!({
        "user": linked.link.user.as_str(),
        "outcome": outcome,
        "link": link_json(&linked.link),
    })
    .to_string())
}

async fn show(args: WhoArgs) -> Result<String, Failure> {
    let store = AnyStore::open(&args.store.store).await?;
    let links = match (&args.user, args.telegram_user_id) {
        (Some(user), _) => store.links_of_user(&UserId::new(user)?).await?,
        (None, Some(id)) => store
            .link_of_telegram_user(TelegramUserId(id))
            .await?
            .into_iter()
            .collect(),
        (None, None) => {
            return Err(Failure::Usage(
                "give --user or --telegram-user-id".to_owned(),
            ));
        }
    };
    Ok(serde_json::json!({ "links": links.iter().map(link_json).collect::<Vec<_>>() }).to_string())
}

async fn unlink(args: WhoArgs) -> Result<String, Failure> {
    let store = AnyStore::open(&args.store.store).await?;
    let removed = match (&args.user, args.telegram_user_id) {
        (Some(user), _) => store.unlink_user(&UserId::new(user)?).await?,
        (None, Some(id)) => u64::from(
            store
                .unlink_telegram_user(TelegramUserId(id))
                .await?
                .is_some(),
        ),
        (None, None) => {
            return Err(Failure::Usage(
                "give --user or --telegram-user-id".to_owned(),
            ));
        }
    };
    Ok(serde_json::json!({ "unlinked": removed }).to_string())
}
