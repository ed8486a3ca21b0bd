//! The whole linking flow on a SQLite file: the website issues a code, the bot handles
//! `/start <code>` and asks for confirmation, the person confirms in the bot, the website's
//! logged-in owner confirms the chat that claimed the code, and later the bot sends a one-time
//! login link that the website redeems.
//!
//! ```text
//! cargo run -p deeplink-auth --example link_flow
//! ```

// An example narrates on stdout and stops at the first failure.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use deeplink_auth::linker::{Confirmed, StartOutcome};
use deeplink_auth::login::{LoginLinkKey, redeem};
use deeplink_auth::start::StartMessage;
use deeplink_auth::store::{CodeStatus, SqliteStore};
use deeplink_auth::tgauth_core::{ChatId, Clock as _, SystemClock, UserId};
use deeplink_auth::{AccountId, BotUsername, Linker, Ttl};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_path(&dir.path().join("tgauth.db")).await?;
    let linker = Linker::new(store, BotUsername::new("tgauth_demo_bot")?);
    // A program reads the time from the system clock (tests use a FixedClock).
    let now = SystemClock.now();

    // The website, for its logged-in account "alice".
    let alice = AccountId::new("alice")?;
    let issued = linker.issue(&alice, now).await?;
    println!(
        "website shows: {} (until {})",
        issued.url, issued.expires_at.0
    );

    // The bot receives the update Telegram sends when the person presses Start.
    let message = StartMessage {
        chat_id: ChatId(4242),
        chat_type: "private".to_owned(),
        user_id: Some(UserId(4242)),
        text: format!("/start {}", issued.code.expose()),
    };
    let StartOutcome::ConfirmationNeeded { account, code, .. } =
        linker.handle_start(&message, now).await?
    else {
        return Err("expected a confirmation question".into());
    };
    println!(
        "bot asks: link this Telegram account to {}? [Link] [Cancel]",
        account.as_str()
    );

    // The person presses "Link" (a callback query from the same chat); "Cancel" would be
    // `linker.decline`.
    let Confirmed::AwaitingWebsite { .. } = linker.confirm(&code, message.identity()?, now).await?
    else {
        return Err("expected the website's confirmation to come next".into());
    };
    println!("bot says: now confirm on the website");

    // The website, polling the code kept in alice's session, sees who claimed it. A real site
    // shows the claimer's name and @username here (the Bot API's getChat on the chat id).
    let CodeStatus::Consented { telegram, .. } = linker.code_status(&issued.code, now).await?
    else {
        return Err("expected the chat's consent".into());
    };
    println!(
        "website asks alice: link Telegram user {}?",
        telegram.user_id()
    );
    let linked = linker.confirm_on_website(&alice, &issued.code, now).await?;
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
    println!("website logs in: {}", claims.account.as_str());
    let again = redeem(linker.store(), &key, token.expose(), now).await;
    println!(
        "second use: {}",
        again
            .err()
            .map_or("accepted?!".to_owned(), |e| e.to_string())
    );
    Ok(())
}
