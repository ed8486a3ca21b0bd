//! The whole linking flow on a SQLite file: the website issues a code, the bot handles
//! `/start <code>` and asks for confirmation, the person confirms, and later the bot sends a
//! one-time login link that the website redeems.
//!
//! ```text
//! cargo run -p deeplink-auth --example link_flow
//! ```

// An example narrates on stdout and stops at the first failure.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use deeplink_auth::login::{LoginLinkKey, redeem};
use deeplink_auth::{
    BotUsername, Confirmed, Linker, SqliteStore, StartMessage, StartOutcome, Ttl, UnixTime, UserId,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_path(&dir.path().join("tgauth.db")).await?;
    let linker = Linker::new(store, BotUsername::new("tgauth_demo_bot")?);
    let now = UnixTime::now();

    // The website, for its logged-in user "alice".
    let issued = linker.issue(&UserId::new("alice")?, now).await?;
    println!(
        "website shows: {} (until {})",
        issued.url, issued.expires_at.0
    );

    // The bot receives the update Telegram sends when the person presses Start.
    let message = StartMessage {
        chat_id: 4242,
        chat_type: "private".to_owned(),
        user_id: Some(4242),
        text: format!("/start {}", issued.code.expose()),
    };
    let StartOutcome::ConfirmationNeeded { user, code, .. } =
        linker.handle_start(&message, now).await?
    else {
        return Err("expected a confirmation question".into());
    };
    println!("bot asks: link this Telegram account to {}?", user.as_str());

    // The person presses "Link" (a callback query from the same chat).
    let Confirmed::Linked(linked) = linker.confirm(&code, message.identity()?, now).await? else {
        return Err("expected the link to be committed".into());
    };
    println!("linked: {:?}", linked.link);

    // Later, the bot sends a login link; the website redeems it once.
    let key = LoginLinkKey::generate()?;
    let token = key.sign(&linked.link, Ttl::LOGIN_DEFAULT, now)?;
    let url = token.url("https://example.com/telegram-login");
    println!(
        "bot sends: {}...",
        url.split_once("token=")
            .map_or(url.as_str(), |(base, _)| base)
    );
    let claims = redeem(linker.store(), &key, token.expose(), now).await?;
    println!("website logs in: {}", claims.user.as_str());
    let again = redeem(linker.store(), &key, token.expose(), now).await;
    println!(
        "second use: {}",
        again
            .err()
            .map_or("accepted?!".to_owned(), |e| e.to_string())
    );
    Ok(())
}
