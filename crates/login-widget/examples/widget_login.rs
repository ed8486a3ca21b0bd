//! A website's login endpoint in miniature: the widget redirects with signed fields, the site
//! verifies them and greets the user, or says why it refused.
//!
//! Run with `cargo run -p login-widget --example widget_login`.

// An example talks on stdout.
#![allow(clippy::print_stdout)]

use login_widget::{
    tgauth_core::{BotToken, UnixTime, UserId},
    widget::{AuthTarget, TelegramUser, WidgetEmbed, WidgetSigner, WidgetVerifier},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = BotToken::new("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11")?;

    // The page shows the button.
    let button = WidgetEmbed::new(
        "example_bot",
        AuthTarget::Redirect("https://example.com/login".into()),
    )
    .with_request_access(true);
    println!("button: {}", button.html());

    // Telegram redirects to https://example.com/login?<query> (simulated by the signer).
    let user = TelegramUser {
        id: UserId(42),
        first_name: "Ada".into(),
        last_name: Some("Lovelace".into()),
        username: Some("ada".into()),
        photo_url: None,
        auth_date: UnixTime(1_700_000_000),
    };
    let query = WidgetSigner::new(&token).sign_user(&user).query();
    println!("redirect query: {query}");

    // The login endpoint verifies at the request's time.
    let verifier = WidgetVerifier::new(&token);
    let now = UnixTime(1_700_000_030);
    let verified = verifier.verify_query(&query, now)?;
    println!("welcome, {} (id {})", verified.first_name, verified.id);

    // A forged name is refused, and so is a replay two days later.
    let forged = query.replace("Ada", "Eve");
    for (what, data, at) in [
        ("forged", forged.as_str(), now),
        ("replayed", query.as_str(), now.plus(2 * 86_400)),
    ] {
        match verifier.verify_query(data, at) {
            Ok(user) => println!("{what}: accepted {user:?}"),
            Err(error) => println!("{what}: refused ({}): {error}", error.kind().as_str()),
        }
    }
    Ok(())
}
