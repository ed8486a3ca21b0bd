//! `tgauth oidc client add|list|remove|hash`: the clients of "log in with tgauth".

use clap::{Args, Subcommand};

use crate::Failure;
use crate::serve::{ApiKeyDatabaseArgs, failure};

/// `tgauth oidc`.
#[derive(Debug, Subcommand)]
pub(crate) enum OidcCommand {
    /// The applications that log people in with tgauth.
    #[command(subcommand)]
    Client(ClientCommand),
}

/// `tgauth oidc client`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Add(AddArgs),
    /// List the clients registered in the database (never their secrets).
    List(ApiKeyDatabaseArgs),
    /// Remove a client and every token issued to it.
    Remove(RemoveArgs),
    /// Print the SHA-256 of a secret read from standard input, for `secret_hash` in
    /// `[[oidc.clients]]`.
    Hash,
}

/// `tgauth oidc client add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The client id (1 to 64 of A-Z a-z 0-9 - _ .).
    #[arg(long)]
    id: String,
    /// What the consent screen calls it [default: the id].
    #[arg(long)]
    name: Option<String>,
    /// A redirect URI, matched exactly (repeat for several).
    #[arg(long = "redirect-uri", required = true, value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Where logout may send the browser back to (repeat for several).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// A public client (a native or single-page app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// A first-party application: no consent screen.
    #[arg(long)]
    trusted: bool,
    #[command(flatten)]
    database: ApiKeyDatabaseArgs,
}

/// `tgauth oidc client remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// The client id.
    id: String,
    #[command(flatten)]
    database: ApiKeyDatabaseArgs,
}

/// Runs `tgauth oidc`.
pub(crate) fn run(command: OidcCommand) -> Result<(), Failure> {
    let OidcCommand::Client(command) = command;
    if let ClientCommand::Hash = command {
        let mut secret = String::new();
        std::io::stdin()
            .read_line(&mut secret)
            .map_err(|error| Failure::usage(format!("cannot read the secret: {error}")))?;
        let secret = secret.trim_end_matches(['\r', '\n']);
        if secret.is_empty() {
            return Err(Failure::usage("give the secret on standard input"));
        }
        println!("sha256:{}", tgauth_server::provider::secret_hash(secret));
        return Ok(());
    }
    let runtime = crate::runtime(false)?;
    let now = crate::now_or_system(None);
    runtime.block_on(async move {
        match command {
            ClientCommand::Add(args) => {
                let client = tgauth_server::provider::Client {
                    name: args.name.unwrap_or_else(|| args.id.clone()),
                    id: args.id,
                    secret_hash: None,
                    redirect_uris: args.redirect_uris,
                    post_logout_redirect_uris: args.post_logout_redirect_uris,
                    public: args.public,
                    trusted: args.trusted,
                };
                let id = client.id.clone();
                let secret = tgauth_server::provider::add_client(&args.database.url(), client, now)
                    .await
                    .map_err(failure)?;
                println!("client_id: {id}");
                if let Some(secret) = secret {
                    println!("client_secret: {secret}");
                }
            }
            ClientCommand::List(database) => {
                for client in tgauth_server::provider::list_clients(&database.url())
                    .await
                    .map_err(failure)?
                {
                    let kind = if client.public {
                        "public"
                    } else {
                        "confidential"
                    };
                    let trusted = if client.trusted { ", trusted" } else { "" };
                    println!(
                        "{}\t{}\t{kind}{trusted}\t{}",
                        client.id,
                        client.name,
                        client.redirect_uris.join(" ")
                    );
                }
            }
            ClientCommand::Remove(args) => {
                if !tgauth_server::provider::remove_client(&args.database.url(), &args.id)
                    .await
                    .map_err(failure)?
                {
                    return Err(Failure::usage(format!("no client with id {}", args.id)));
                }
            }
            ClientCommand::Hash => {}
        }
        Ok(())
    })
}
