//! Every way in: OpenID Connect through the sandbox's provider, a Mini App's `initData`, a login
//! link the bot sends on `/login`; each lands on the same numeric Telegram user, works once, and
//! the login endpoints are rate limited.

use reqwest::StatusCode;
use serde_json::Value;
use tgauth::UserId;
use tgauth::sandbox::control::NewUser;
use tgauth::sandbox::login::WebAppLaunch;

use super::support::{ADA, BOT, Running, browser, eventually, on_every_database};

on_every_database!(
    oidc_logs_in_the_numeric_id_once_and_only_in_the_browser_that_started,
    mini_app_init_data_logs_in_once,
    a_login_link_from_the_bot_logs_in_once,
    a_session_ends_when_it_expires_or_is_revoked,
    a_login_never_keeps_a_session_id_it_was_sent,
);

/// `me` of a browser.
async fn me(running: &Running, browser: &reqwest::Client) -> Value {
    browser
        .get(running.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn oidc_logs_in_the_numeric_id_once_and_only_in_the_browser_that_started(running: Running) {
    running
        .sandbox
        .create_user(NewUser {
            username: Some("ada".to_owned()),
            ..NewUser::new(ADA, "Ada Lovelace")
        })
        .unwrap();
    running
        .sandbox
        .approve_oidc(BOT, Some(UserId(ADA)))
        .unwrap();
    let browser = browser();
    let start = browser
        .get(running.url("/auth/telegram/oidc/start?next=%2Faccount"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&running.sandbox.oidc_base_url()),
        "{authorize}"
    );
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    // The provider approves and sends the browser back with a code.
    let approved = browser.get(&authorize).send().await.unwrap();
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&running.url("/auth/telegram/oidc/callback?")),
        "{callback}"
    );

    // Another browser cannot complete this login with the callback URL.
    let stranger = super::support::browser()
        .get(&callback)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);

    let done = browser.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/account");
    let me = me(&running, &browser).await;
    assert_eq!(me["user"]["telegram_id"], ADA);
    assert_eq!(me["user"]["first_name"], "Ada Lovelace");
    assert_eq!(me["user"]["username"], "ada");
    assert_eq!(me["session"]["method"], "oidc");

    // The callback works once.
    let again = browser.get(&callback).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    running.stop().await;
}

async fn mini_app_init_data_logs_in_once(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let launch = running
        .sandbox
        .web_app(BOT, WebAppLaunch::new(ADA))
        .unwrap();
    let browser = browser();
    let login = |authorization: String| {
        browser
            .post(running.url("/auth/telegram/webapp"))
            .header("authorization", authorization)
            .send()
    };
    let response = login(format!("tma {}", launch.init_data)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["telegram_id"], ADA);
    assert_eq!(body["session"]["method"], "mini_app");
    assert_eq!(me(&running, &browser).await["user"]["telegram_id"], ADA);

    let replay = login(format!("tma {}", launch.init_data)).await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let missing = login("Bearer x".to_owned()).await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let tampered = login(format!("tma {}", launch.init_data.replace("Ada", "Eve")))
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    running.stop().await;
}

async fn a_login_link_from_the_bot_logs_in_once(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running.link("alice", ADA).await;
    let sent_before = running.sandbox.sent(BOT).unwrap().len();
    running.sandbox.send_message(BOT, ADA, "/login").unwrap();
    let sandbox = &running.sandbox;
    eventually(|| sandbox.sent(BOT).unwrap().len() > sent_before).await;
    let message = sandbox.sent(BOT).unwrap().remove(sent_before).message;
    let keyboard = message.reply_markup.unwrap();
    let url = keyboard["inline_keyboard"][0][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&running.url("/auth/telegram/link?token=")),
        "{url}"
    );

    let browser = browser();
    let response = browser.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let me = me(&running, &browser).await;
    assert_eq!(me["user"]["telegram_id"], ADA);
    assert_eq!(me["session"]["method"], "login_link");

    let again = super::support::browser().get(&url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "login_link_used");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_endpoints_are_rate_limited_per_address() {
    let running = Running::start_with(None, "login_rate_per_minute = 3\n").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = browser()
            .get(running.url("/auth/telegram/widget?id=1"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // The API is not a login endpoint.
    let (status, _) = running
        .api(reqwest::Method::GET, "/api/v1/users/alice", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    running.stop().await;
}

async fn a_session_ends_when_it_expires_or_is_revoked(running: Running) {
    let browser_a = browser();
    let browser_b = browser();
    for browser in [&browser_a, &browser_b] {
        // Each login needs its own data: the widget's hash works once.
        running.clock.advance(1);
        let data = running.sandbox.login_widget(BOT, ADA).unwrap();
        let login = running.url(&format!("/auth/telegram/widget?{}", data.query));
        assert_eq!(
            browser.get(login).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(running.me_status(&browser_a).await, StatusCode::OK);
    // The website revokes Ada's sessions: both browsers are logged out.
    let (status, body) = running
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/telegram/{ADA}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 2);
    assert_eq!(
        running.me_status(&browser_a).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        running.me_status(&browser_b).await,
        StatusCode::UNAUTHORIZED
    );

    // A new session lasts a week (the default) by the service's clock.
    running.clock.advance(1);
    let data = running.sandbox.login_widget(BOT, ADA).unwrap();
    let login = running.url(&format!("/auth/telegram/widget?{}", data.query));
    assert_eq!(
        browser_a.get(login).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    running.clock.advance(7 * 86_400 - 1);
    assert_eq!(running.me_status(&browser_a).await, StatusCode::OK);
    running.clock.advance(1);
    assert_eq!(
        running.me_status(&browser_a).await,
        StatusCode::UNAUTHORIZED
    );
    running.stop().await;
}

/// The `tgauth_session=<id>` pair a login's response sets.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap();
    let pair = set.split(';').next().unwrap();
    assert!(pair.starts_with("tgauth_session="), "{set}");
    pair.to_owned()
}

/// A widget login sent with `cookie`: its response.
async fn widget_login_with(running: &Running, cookie: Option<&str>) -> reqwest::Response {
    running.clock.advance(1);
    let data = running.sandbox.login_widget(BOT, ADA).unwrap();
    // No cookie store: each request carries exactly the cookie given.
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
        .get(running.url(&format!("/auth/telegram/widget?{}", data.query)));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response
}

/// `me` with `cookie`: its status.
async fn me_with(running: &Running, cookie: &str) -> StatusCode {
    super::support::client()
        .get(running.url("/api/v1/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// No session fixation: a login from a browser that has a session moves it to a new id (the
/// old one stops working), and one from a browser sending an id the store does not know (one
/// planted by someone else) gets an id of its own.
async fn a_login_never_keeps_a_session_id_it_was_sent(running: Running) {
    let first = session_cookie(&widget_login_with(&running, None).await);
    assert_eq!(me_with(&running, &first).await, StatusCode::OK);

    let second = session_cookie(&widget_login_with(&running, Some(&first)).await);
    assert_ne!(second, first);
    assert_eq!(me_with(&running, &second).await, StatusCode::OK);
    assert_eq!(me_with(&running, &first).await, StatusCode::UNAUTHORIZED);

    let planted = "tgauth_session=AAAAAAAAAAAAAAAAAAAAAA";
    let third = session_cookie(&widget_login_with(&running, Some(planted)).await);
    assert_ne!(third, planted);
    assert_ne!(third, second);
    assert_eq!(me_with(&running, &third).await, StatusCode::OK);
    assert_eq!(me_with(&running, planted).await, StatusCode::UNAUTHORIZED);
    running.stop().await;
}
