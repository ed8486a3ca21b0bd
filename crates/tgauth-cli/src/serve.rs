//! `tgauth serve` (the identity gateway, `tgauth_server`) and `tgauth apikey` (its API keys).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tgauth::SystemClock;
use tgauth_server::{Config, ServeArgs, StartError};

use crate::Failure;

/// `tgauth apikey`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create an API key for the website's backend; it is printed once.
    Create(ApiKeyCreateArgs),
    /// List the API keys (ids and names, never the keys).
    List(ApiKeyDatabaseArgs),
    /// Revoke an API key by id.
    Revoke(ApiKeyRevokeArgs),
}

/// Where the service's database is.
#[derive(Args)]
pub(crate) struct ApiKeyDatabaseArgs {
    /// The service's database [default: sqlite://<data>/tgauth.db].
    #[arg(long, env = "TGAUTH_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// The data directory [default: ./tgauth-data].
    #[arg(long = "data", env = "TGAUTH_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
}

impl std::fmt::Debug for ApiKeyDatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { database, data } = self;
        f.debug_struct("ApiKeyDatabaseArgs")
            .field(
                "database",
                &database.as_deref().map(tgauth_server::config::RedactedUrl),
            )
            .field("data", data)
            .finish()
    }
}

impl ApiKeyDatabaseArgs {
    pub(crate) fn url(&self) -> String {
        self.database.clone().unwrap_or_else(|| {
            let data = self
                .data
                .clone()
                .unwrap_or_else(|| PathBuf::from("tgauth-data"));
            format!("sqlite://{}", data.join("tgauth.db").display())
        })
    }
}

/// `tgauth apikey create`.
#[derive(Debug, Args)]
pub(crate) struct ApiKeyCreateArgs {
    /// A name to recognise the key by (the website it is for).
    #[arg(long, default_value = "website")]
    name: String,
    #[command(flatten)]
    database: ApiKeyDatabaseArgs,
}

/// `tgauth apikey revoke`.
#[derive(Debug, Args)]
pub(crate) struct ApiKeyRevokeArgs {
    /// The key's id (the part between `tga_` and the dot).
    id: String,
    #[command(flatten)]
    database: ApiKeyDatabaseArgs,
}

pub(crate) fn failure(error: StartError) -> Failure {
    match error {
        StartError::Config(error) => Failure::usage(error),
        StartError::Store(_) | StartError::LinkStore(_) | StartError::Bot(_) => {
            Failure::unavailable_by(&error)
        }
        other => Failure::usage_by(&other),
    }
}

/// Runs `tgauth apikey`.
pub(crate) fn run_apikey(command: ApiKeyCommand) -> Result<(), Failure> {
    let runtime = crate::runtime(false)?;
    let now = crate::now_or_system(None);
    runtime.block_on(async move {
        match command {
            ApiKeyCommand::Create(args) => {
                let key = tgauth_server::create_api_key(&args.database.url(), &args.name, now)
                    .await
                    .map_err(failure)?;
                println!("{key}");
            }
            ApiKeyCommand::List(args) => {
                for (id, name, created_at, revoked_at) in tgauth_server::list_api_keys(&args.url())
                    .await
                    .map_err(failure)?
                {
                    let state = revoked_at
                        .map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                    println!("{id}\t{name}\tcreated {created_at}\t{state}");
                }
            }
            ApiKeyCommand::Revoke(args) => {
                if !tgauth_server::revoke_api_key(&args.database.url(), &args.id, now)
                    .await
                    .map_err(failure)?
                {
                    return Err(Failure::usage(format!(
                        "no active API key with id {}",
                        args.id
                    )));
                }
            }
        }
        Ok(())
    })
}

/// Runs `tgauth serve` until Ctrl-C or SIGTERM.
pub(crate) fn run_serve(args: ServeArgs) -> Result<(), Failure> {
    for variable in tgauth_server::config::unknown_variables() {
        eprintln!("tgauth serve: warning: unknown environment variable {variable} is ignored");
    }
    let runtime = crate::runtime(true)?;
    runtime.block_on(async move {
        let clock = Arc::new(SystemClock);
        if args.sandbox {
            let log_format = args.log_format.unwrap_or_default();
            tgauth_server::init_logging(log_format);
            let started = tgauth_server::SandboxService::start(args, clock)
                .await
                .map_err(failure)?;
            print!("{}", started.banner());
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            let tgauth_server::SandboxService {
                service,
                sandbox,
                temporary,
                ..
            } = started;
            let served = service.run_until(shutdown_signal()).await;
            let stopped = sandbox.shutdown().await;
            drop(temporary);
            served.map_err(|error| Failure::Unavailable(format!("serving failed: {error}")))?;
            stopped.map_err(|error| Failure::Unavailable(format!("sandbox: {error}")))?;
            return Ok(());
        }
        let config = Config::load(args).map_err(Failure::usage)?;
        tgauth_server::init_logging(config.log_format);
        let service = tgauth_server::Service::start(config, clock)
            .await
            .map_err(failure)?;
        tracing_line(&service.url());
        service
            .run_until(shutdown_signal())
            .await
            .map_err(|error| Failure::Unavailable(format!("serving failed: {error}")))
    })
}

fn tracing_line(url: &str) {
    eprintln!("tgauth serve: listening on {url}");
}

/// Ctrl-C or SIGTERM (what a service manager or `docker stop` sends).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
