//! The typed HTTP control client drives a sandbox as the handle does.

use telegram_sandbox::{
    ControlClient, ControlClientError,
    control::{NewBot, NewUser},
    faults::{FaultKind, FaultSpec},
    tgauth_core::UserId,
};

use crate::common::{BOT, Fixture, USER};

#[tokio::test]
async fn the_control_client_mirrors_the_handle() {
    let fixture = Fixture::start().await;
    let control = ControlClient::new(format!("{}/", fixture.sandbox.base_url()));
    let bot = control
        .create_bot(&NewBot::new(
            "31:AAControlClientBot_0123456789abcdef",
            "client_bot",
        ))
        .await
        .unwrap();
    assert_eq!(bot.id, UserId(31));
    let user = control.create_user(&NewUser::new(8, "Eve")).await.unwrap();
    assert_eq!(user.first_name, "Eve");
    let described = control.bot("client_bot").await.unwrap();
    assert_eq!(described, fixture.sandbox.bot("client_bot").unwrap());
    assert_eq!(described.user, bot);
    assert_eq!(described.passport_public_key_pem, None);
    assert_eq!(control.waiting_polls(BOT).await.unwrap(), 0);
    let poll = fixture.http.post(fixture.url("getUpdates"));
    let poll = tokio::spawn(poll.json(&serde_json::json!({"timeout": 30})).send());
    crate::common::guard(async {
        while control.waiting_polls(BOT).await.unwrap() != 1 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    let update = control.send_message(BOT, USER, "/start x").await.unwrap();
    // The held poll answers with the update, which stays pending until confirmed.
    let polled = crate::common::guard(poll).await.unwrap().unwrap();
    let polled: serde_json::Value = polled.json().await.unwrap();
    assert_eq!(polled["result"][0]["update_id"], update.update_id);
    assert_eq!(control.pending_updates(BOT).await.unwrap(), vec![update]);
    assert!(control.sent(BOT).await.unwrap().is_empty());
    assert!(control.passport_errors(BOT).await.unwrap().is_empty());
    let login = control.login_widget(BOT, USER).await.unwrap();
    assert_eq!(login.json["id"], USER.get());
    control.approve_oidc(BOT, Some(USER)).await.unwrap();
    let keyboard =
        serde_json::json!({"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]});
    let (_, sent) = fixture
        .call(
            "sendMessage",
            serde_json::json!({"chat_id": USER, "text": "Sure?", "reply_markup": keyboard}),
        )
        .await;
    let message_id = sent["result"]["message_id"].as_i64().unwrap();
    let pressed = control
        .press_button(BOT, USER, message_id, "ok")
        .await
        .unwrap();
    let query = pressed.callback_query.unwrap();
    assert_eq!(query.data.as_deref(), Some("ok"));
    let refused = control.press_button(BOT, USER, message_id, "nope").await;
    assert!(
        matches!(
            refused,
            Err(ControlClientError::Refused { status: 400, .. })
        ),
        "{refused:?}"
    );
    assert!(control.callback_answers(BOT).await.unwrap().is_empty());
    fixture
        .call(
            "answerCallbackQuery",
            serde_json::json!({"callback_query_id": query.id, "text": "Done"}),
        )
        .await;
    let answers = control.callback_answers(BOT).await.unwrap();
    assert_eq!(answers, fixture.sandbox.callback_answers(BOT).unwrap());
    assert_eq!(answers[0].text.as_deref(), Some("Done"));
    let fault = FaultSpec {
        bot: None,
        method: "getMe".to_owned(),
        count: 1,
        fault: FaultKind::ServerError,
    };
    control.inject_fault(&fault).await.unwrap();
    control.clear_faults().await.unwrap();
    let (status, _) = fixture.call("getMe", serde_json::json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refusals_and_unreachable_sandboxes_are_typed_errors() {
    let fixture = Fixture::start().await;
    let control = ControlClient::new(fixture.sandbox.base_url());
    let error = control.sent("nobody_bot").await.unwrap_err();
    assert!(
        matches!(&error, ControlClientError::Refused { status: 404, description, .. }
            if description == "no bot with username \"nobody_bot\""),
        "{error:?}"
    );
    let closed = tokio::net::TcpListener::bind(tgauth_tests::any_loopback_port())
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let error = ControlClient::new(format!("http://{closed}"))
        .sent(BOT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ControlClientError::Transport { .. }),
        "{error:?}"
    );
}
