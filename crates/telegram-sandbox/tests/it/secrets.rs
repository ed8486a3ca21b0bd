//! The bot token and the webhook secret never show in `Debug`, errors or answers.

use serde_json::json;
use telegram_sandbox::{ControlClient, control::NewBot};

use crate::common::{Fixture, guard};

const CANARY: &str = "CANARY-sekrit_0123456789abcdefghij";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} shows the secret: {text}");
}

#[tokio::test]
async fn the_token_stays_out_of_debug_output_and_errors() {
    let fixture = Fixture::start().await;
    let token = format!("4242:{CANARY}");
    let bot = NewBot::new(&token, "canary_bot");
    assert_clean("NewBot's Debug", &format!("{bot:?}"));
    fixture.sandbox.create_bot(bot).unwrap();
    assert_clean("SandboxHandle's Debug", &format!("{:?}", fixture.sandbox));

    // A clash (same id, other token) and a malformed token are refused without quoting them.
    for refused in [
        NewBot::new(format!("4242:{CANARY}x"), "other_bot"),
        NewBot::new(format!("not a token {CANARY}"), "third_bot"),
    ] {
        let error = fixture.sandbox.create_bot(refused.clone()).unwrap_err();
        assert_clean("ControlError", &format!("{error} {error:?}"));
        let over_http = ControlClient::new(fixture.sandbox.base_url())
            .create_bot(&refused)
            .await
            .unwrap_err();
        assert_clean("ControlClientError", &format!("{over_http} {over_http:?}"));
    }

    // Wrong tokens are not echoed in the 401 answer.
    let url = format!(
        "{}/bot4242:{CANARY}-wrong/getMe",
        fixture.sandbox.base_url()
    );
    let answer = guard(fixture.http.get(url).send()).await.unwrap();
    assert_clean("a 401 answer", &answer.text().await.unwrap());
}

#[tokio::test]
async fn get_webhook_info_never_returns_the_secret_token() {
    let fixture = Fixture::start().await;
    let secret = CANARY.replace('-', "_");
    let (status, _) = fixture
        .call(
            "setWebhook",
            json!({"url": "http://127.0.0.1:9/hook", "secret_token": secret}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, info) = fixture.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "http://127.0.0.1:9/hook");
    assert!(!info.to_string().contains(&secret), "{info}");
}
