//! Telegram's envelope, authentication, method names and the ways parameters arrive.

use serde_json::{Value, json};

use crate::common::{BOT, Fixture, TOKEN, USER, answer, assert_error, guard};

#[tokio::test]
async fn get_me_answers_the_bot_in_the_envelope() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture.call("getMe", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"ok": true, "result": {
            "id": 123456, "is_bot": true, "first_name": BOT, "username": BOT,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        }})
    );
}

#[tokio::test]
async fn an_unknown_token_is_401_unauthorized() {
    let fixture = Fixture::start().await;
    for token in [
        "123456:wrong-secret",
        "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaW",
        "999:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "garbage",
    ] {
        let url = format!("{}/bot{token}/getMe", fixture.sandbox.base_url());
        let (status, body) = answer(guard(fixture.http.get(url).send()).await.unwrap()).await;
        assert_error(status, &body, 401, "Unauthorized");
    }
}

#[tokio::test]
async fn an_unknown_method_or_path_is_404_not_found() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture.call("sendTelepathy", json!({})).await;
    assert_error(status, &body, 404, "Not Found");
    let url = format!("{}/nothing/here", fixture.sandbox.base_url());
    let (status, body) = answer(guard(fixture.http.get(url).send()).await.unwrap()).await;
    assert_error(status, &body, 404, "Not Found");
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let fixture = Fixture::start().await;
    for method in ["getMe", "getme", "GETME", "GetMe"] {
        let (status, body) = fixture.call(method, json!({})).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert_eq!(body["result"]["username"], BOT);
    }
}

#[tokio::test]
async fn a_percent_encoded_token_is_accepted() {
    let fixture = Fixture::start().await;
    let token = TOKEN.replace(':', "%3A");
    let url = format!("{}/bot{token}/getMe", fixture.sandbox.base_url());
    let (status, _) = answer(guard(fixture.http.get(url).send()).await.unwrap()).await;
    assert_eq!(status, 200);
}

fn sent_texts(fixture: &Fixture) -> Vec<String> {
    fixture
        .sandbox
        .sent(BOT)
        .unwrap()
        .into_iter()
        .map(|sent| sent.message.text.unwrap())
        .collect()
}

#[tokio::test]
async fn parameters_arrive_as_json_form_multipart_or_query_string() {
    let fixture = Fixture::start().await;
    fixture.user_says("hi");
    let url = fixture.url("sendMessage");
    let user = USER.to_string();

    let json = fixture
        .http
        .post(&url)
        .json(&json!({"chat_id": USER, "text": "json"}));
    let form = fixture
        .http
        .post(&url)
        .form(&[("chat_id", user.as_str()), ("text", "form")]);
    let multipart = fixture.http.post(&url).multipart(
        reqwest::multipart::Form::new()
            .text("chat_id", user.clone())
            .text("text", "multipart"),
    );
    let query = fixture
        .http
        .get(&url)
        .query(&[("chat_id", user.as_str()), ("text", "query")]);
    // The body wins over the query string, as on the real server.
    let both = fixture
        .http
        .post(format!("{url}?text=ignored"))
        .json(&json!({"chat_id": USER, "text": "body"}));
    for request in [json, form, multipart, query, both] {
        let (status, body) = answer(guard(request.send()).await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["chat"]["id"], USER.get());
    }
    assert_eq!(
        sent_texts(&fixture),
        ["json", "form", "multipart", "query", "body"]
    );
}

#[tokio::test]
async fn structured_parameters_may_be_json_text_in_forms() {
    let fixture = Fixture::start().await;
    fixture.user_says("hi");
    let markup = r#"{"inline_keyboard":[[{"text":"Open","url":"https://example.com"}]]}"#;
    let user = USER.to_string();
    let request = fixture.http.post(fixture.url("sendMessage")).form(&[
        ("chat_id", user.as_str()),
        ("text", "pick"),
        ("reply_markup", markup),
    ]);
    let (status, body) = answer(guard(request.send()).await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let expected: Value = serde_json::from_str(markup).unwrap();
    assert_eq!(body["result"]["reply_markup"], expected);
}

#[tokio::test]
async fn malformed_parameters_are_400_bad_request() {
    let fixture = Fixture::start().await;
    let request = fixture
        .http
        .post(fixture.url("getUpdates"))
        .header("content-type", "application/json")
        .body("{not json");
    let (status, body) = answer(guard(request.send()).await.unwrap()).await;
    assert_error(status, &body, 400, "Bad Request: can't parse JSON object");
    let (status, body) = fixture.call("getUpdates", json!({"offset": "seven"})).await;
    assert_error(
        status,
        &body,
        400,
        "Bad Request: field \"offset\" must be an integer",
    );
}

#[tokio::test]
async fn envelopes_keep_the_real_servers_field_order() {
    let fixture = Fixture::start().await;
    let text = |url: String| {
        let http = fixture.http.clone();
        async move {
            guard(http.get(url).send())
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let base = fixture.sandbox.base_url();
    assert_eq!(
        text(format!("{base}/bot1:x/getMe")).await,
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#
    );
    let url = fixture.url("setWebhook?url=http://127.0.0.1:9/");
    assert_eq!(
        text(url).await,
        r#"{"ok":true,"result":true,"description":"Webhook was set"}"#
    );
    fixture.call("deleteWebhook", json!({})).await;
    fixture.user_says("/start x");
    // As api.telegram.org writes a message: the chat before the date, the chat's type after
    // the names, an entity's type after its span.
    assert_eq!(
        text(fixture.url("getUpdates")).await,
        concat!(
            r#"{"ok":true,"result":[{"update_id":1,"message":{"message_id":1,"#,
            r#""from":{"id":1001,"is_bot":false,"first_name":"Alice","username":"alice"},"#,
            r#""chat":{"id":1001,"first_name":"Alice","username":"alice","type":"private"},"#,
            r#""date":1700000000,"text":"/start x","#,
            r#""entities":[{"offset":0,"length":6,"type":"bot_command"}]}}]}"#,
        )
    );
}
