//! A sandbox with a small demo bot, to click through the phone by hand:
//! `cargo run -p telegram-sandbox --example phone [127.0.0.1:8081]`, then open the URLs it
//! prints. The bot answers `/start <payload>` with an inline keyboard, edits its message when
//! the button is pressed, echoes text, and thanks for Passport data; Ctrl-C stops it.

// An example prints where to go.
#![allow(clippy::print_stdout)]

use std::{error::Error, net::SocketAddr};

use passport_crypto::key::{KeySize, PrivateKey};
use passport_types::{
    element::ElementType,
    scope::{PassportRequest, PassportScope, ScopeElement},
};
use serde_json::{Value, json};
use telegram_sandbox::{
    Sandbox,
    control::{NewBot, NewUser},
    tgauth_core::{BotId, encode_uri_component},
};

const TOKEN: &str = "1000001:AADemoBotToken_0123456789abcdefghij";
const BOT: &str = "demo_bot";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned())
        .parse()?;
    let sandbox = Sandbox::start(addr).await?;
    let key = PrivateKey::generate(KeySize::Rsa2048)?;
    sandbox.create_bot(NewBot {
        first_name: Some("Demo Bot".to_owned()),
        passport_public_key_pem: Some(key.public_key().to_pem()),
        ..NewBot::new(TOKEN, BOT)
    })?;
    sandbox.create_user(NewUser {
        last_name: Some("Sample".to_owned()),
        username: Some("ada_sample".to_owned()),
        ..NewUser::new(1001, "Ada")
    })?;
    let base = sandbox.base_url();
    let open = |link: &str| format!("{base}/phone/open?link={}", encode_uri_component(link));
    let passport = PassportRequest {
        bot_id: BotId(1_000_001),
        scope: PassportScope::new(vec![
            ElementType::PersonalDetails.into(),
            ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]).with_selfie(),
            ElementType::Email.into(),
        ]),
        public_key: key.public_key().to_pem(),
        nonce: "demo-nonce-0123456789".to_owned(),
        callback_url: Some("https://example.com/done".to_owned()),
    }
    .url()?;
    println!("phone:    {}", sandbox.phone_url());
    println!("deep link: {}", open("https://t.me/demo_bot?start=hello"));
    println!("passport: {}", open(&passport));
    println!(
        "widget:   {base}/phone/widget?bot={BOT}&origin=https%3A%2F%2Fexample.com&return_to=https%3A%2F%2Fexample.com%2Flogin"
    );
    println!(
        "oidc:     {}/auth?response_type=code&client_id=1000001&redirect_uri=https%3A%2F%2Fexample.com%2Fcallback&scope=openid%20profile&state=demo",
        sandbox.oidc_base_url()
    );
    let bot = DemoBot {
        http: reqwest::Client::builder().no_proxy().build()?,
        api: sandbox.bot_api_url(TOKEN),
    };
    tokio::select! {
        result = bot.run() => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    sandbox.shutdown().await?;
    Ok(())
}

/// The demo bot: long polling, one answer per update.
struct DemoBot {
    http: reqwest::Client,
    api: String,
}

impl DemoBot {
    async fn call(&self, method: &str, params: Value) -> Result<Value, Box<dyn Error>> {
        let url = format!("{}/{method}", self.api);
        let answer: Value = self
            .http
            .post(url)
            .json(&params)
            .send()
            .await?
            .json()
            .await?;
        Ok(answer["result"].clone())
    }

    async fn run(&self) -> Result<(), Box<dyn Error>> {
        let mut offset = 0;
        loop {
            let updates = self
                .call("getUpdates", json!({"offset": offset, "timeout": 30}))
                .await?;
            for update in updates.as_array().into_iter().flatten() {
                offset = update["update_id"].as_i64().unwrap_or_default() + 1;
                self.answer(update).await?;
            }
        }
    }

    async fn answer(&self, update: &Value) -> Result<(), Box<dyn Error>> {
        if let Some(query) = update.get("callback_query") {
            self.call(
                "answerCallbackQuery",
                json!({"callback_query_id": query["id"], "text": "Confirmed"}),
            )
            .await?;
            self.call(
                "editMessageText",
                json!({"chat_id": query["from"]["id"], "message_id": query["message"]["message_id"],
                    "text": "Confirmed. See https://example.com/account"}),
            )
            .await?;
            return Ok(());
        }
        let message = &update["message"];
        let chat = &message["chat"]["id"];
        let text = message["text"].as_str().unwrap_or_default();
        let reply = if message.get("passport_data").is_some() {
            json!({"chat_id": chat, "text": "Thanks, your Passport data arrived."})
        } else if let Some(payload) = text.strip_prefix("/start") {
            let keyboard = json!({"inline_keyboard": [
                [{"text": "Confirm", "callback_data": "confirm"}],
                [{"text": "Open the site", "url": "https://example.com"}],
            ]});
            json!({"chat_id": chat, "reply_markup": keyboard,
                "text": format!("Hello! You started me with {:?}. Confirm?", payload.trim())})
        } else {
            json!({"chat_id": chat, "text": format!("You said: {text}")})
        };
        self.call("sendMessage", reply).await?;
        Ok(())
    }
}
