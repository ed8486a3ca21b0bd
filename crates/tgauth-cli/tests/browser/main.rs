//! A person clicks through `tgauth serve --sandbox` in a real headless Chromium: the service's
//! pages in one window, the sandbox's phone (the Telegram app) in the other. Every step asserts
//! what the page shows and saves a screenshot under `target/tmp/browser-screenshots/`; at the
//! end no page has written an error to the console, and no page has a form control without a
//! label or an image without alternative text.
//!
//! chromedriver comes from `TGAUTH_TEST_CHROMEDRIVER` (`.ci/run` installs Debian's `chromium`
//! and `chromium-driver` and sets it); without it the test says it skipped, and fails under CI.

// Test code: a failed expectation should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Browser, Serving};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_clicks_through_every_flow_of_the_product() {
    let Some(driver) = tgauth_tests::service_url(
        "TGAUTH_TEST_CHROMEDRIVER",
        "a_person_clicks_through_every_flow_of_the_product",
    ) else {
        return;
    };
    // The relying party "log in with tgauth" sends the browser back to: it shows the code.
    let relying_party = tgauth_tests::http::serve(axum::Router::new().route(
        "/callback",
        axum::routing::get(
            |axum::extract::RawQuery(query): axum::extract::RawQuery| async move {
                axum::response::Html(format!(
                    "<!doctype html><html lang=en><title>Demo app</title><link rel=icon href=\"data:,\"><p id=query>{}</p></html>",
                    query.unwrap_or_default().replace('<', "")
                ))
            },
        ),
    ))
    .await
    .unwrap();
    let callback = relying_party.url("/callback");
    let serving = Serving::start(&callback);
    let mut browser = Browser::start(&driver).await;

    // The two checks at the end see what they look for: a page with an unlabelled field and
    // an image without `alt`, and a page that writes an error to the console.
    browser
        .client
        .goto("data:text/html,<html lang=en><title>t</title><input id=x><img src='data:,'></html>")
        .await
        .unwrap();
    assert_eq!(browser.accessibility_problems().await.len(), 2);
    browser
        .client
        .goto("data:text/html,<title>t</title><script>console.error('seen')</script>")
        .await
        .unwrap();
    let seen = browser.console_errors().await;
    assert!(
        seen.iter().any(|message| message.contains("seen")),
        "{seen:?}"
    );
    let mut console = Vec::new();

    // The phone: a new Telegram account.
    browser.to_phone().await;
    browser.goto(&serving.phone).await;
    let first_name = browser.find("input[name=first_name]").await;
    first_name.send_keys("Ada").await.unwrap();
    browser
        .find("input[name=last_name]")
        .await
        .send_keys("Lovelace")
        .await
        .unwrap();
    browser
        .find("input[name=username]")
        .await
        .send_keys("ada_l")
        .await
        .unwrap();
    let create = browser.find_text("button", "New account").await;
    browser.click(create).await;
    browser.wait_text("body", "Ada Lovelace").await;
    browser.screenshot("phone-account").await;
    console.extend(browser.console_errors().await);

    // Log in with the Login Widget: the sandbox's script draws the button, the phone asks.
    browser.to_site().await;
    browser.goto(&serving.login).await;
    browser.screenshot("login").await;
    let widget = browser
        .find(&format!("#telegram-login-{}", serving.bot))
        .await;
    browser.click(widget).await;
    browser.wait_text("body", "Ada Lovelace").await;
    browser.screenshot("widget-consent").await;
    let allow = browser.find_text("button", "Log in").await;
    browser.click(allow).await;
    assert_eq!(
        browser.wait_text("#profile-name", "Ada").await,
        "Ada Lovelace"
    );
    browser.wait_text("#login-method", "Login Widget").await;
    browser.screenshot("account-widget").await;
    console.extend(browser.console_errors().await);

    // Log out, then in again with OpenID Connect through the phone's consent screen.
    let logout = browser.find_text("button", "Log out").await;
    browser.click(logout).await;
    let oidc = browser.find("#oidc-login").await;
    browser.click(oidc).await;
    browser.wait_text("body", "Ada Lovelace").await;
    browser.screenshot("oidc-consent").await;
    let allow = browser.find_text("button", "Allow").await;
    browser.click(allow).await;
    browser.wait_text("#login-method", "OpenID Connect").await;
    browser.screenshot("account-oidc").await;
    console.extend(browser.console_errors().await);

    // Connect the bot: the deep link opens the chat on the phone, Start, confirm in the bot,
    // then confirm on the site.
    let get_link = browser.find("#get-link").await;
    browser.click(get_link).await;
    let link = browser
        .find("#connect-bot")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("the button links to the bot");
    assert!(
        link.starts_with(&format!("{}/phone/open?link=", serving.sandbox)),
        "{link}"
    );
    browser.find("img[alt^='QR code']").await;
    browser.screenshot("account-link").await;
    browser.to_phone().await;
    browser.goto(&link).await;
    let start = browser.find_text("button", "Start").await;
    browser.screenshot("phone-start").await;
    browser.click(start).await;
    let confirm_in_bot = browser.find_text("button", "Link").await;
    browser.screenshot("phone-confirm").await;
    browser.click(confirm_in_bot).await;
    browser.to_site().await;
    // The account page looks again by itself while it waits.
    browser
        .wait_text("#link-status", "pressed your link and confirmed in the bot")
        .await;
    assert!(
        browser
            .wait_text("#claimer-name", "Ada")
            .await
            .contains("Ada")
    );
    browser.screenshot("account-claim").await;
    let confirm = browser.find("#confirm-link").await;
    browser.click(confirm).await;
    browser.wait_text("#link-status", "Connected").await;
    console.extend(browser.console_errors().await);

    // A test message reaches the phone's chat.
    let test_message = browser.find("#test-message").await;
    browser.click(test_message).await;
    browser.wait_text(".notice", "on its way").await;
    browser.screenshot("account-linked").await;
    browser.to_phone().await;
    browser.wait_text("body", "Test message from").await;
    browser.screenshot("phone-test-message").await;
    console.extend(browser.console_errors().await);

    // On a phone-sized screen the pages fit the width: nothing scrolls sideways.
    browser.client.set_window_size(390, 844).await.unwrap();
    for page in [
        format!("{}/account", serving.service),
        format!("{}/passport", serving.service),
        format!("{}/login", serving.service),
    ] {
        browser.goto(&page).await;
        let fits = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            fits,
            serde_json::Value::Bool(true),
            "{page} scrolls sideways at 390 px"
        );
    }
    browser.goto(&format!("{}/account", serving.service)).await;
    browser.screenshot("account-on-a-phone").await;
    browser.client.set_window_size(1000, 1200).await.unwrap();

    // Passport: request, send once with a broken file (the error comes back to the phone),
    // then send it whole.
    browser.to_site().await;
    browser.goto(&format!("{}/passport", serving.service)).await;
    browser.screenshot("passport-form").await;
    let create = browser.find("#create-request").await;
    browser.click(create).await;
    browser.wait_text("#passport-status", "Waiting").await;
    browser.find("img[alt^='QR code']").await;
    browser.screenshot("passport-request").await;
    let request_page = browser.url().await;
    let open = browser
        .find("#open-passport")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("the Passport button links to the phone");
    browser.to_phone().await;
    browser.goto(&open).await;
    browser.wait_text("body", "Passport").await;
    browser.screenshot("phone-passport-form").await;
    let broken = browser.find_text("label", "Send a broken file").await;
    browser.click(broken).await;
    let send = browser.find_text("button", "Send").await;
    browser.click(send).await;
    browser.wait_text(".passport-error", "").await;
    browser.screenshot("phone-passport-error").await;
    browser.to_site().await;
    browser.wait_text("#passport-status", "Refused").await;
    browser.screenshot("passport-refused").await;
    browser.to_phone().await;
    browser.goto(&open).await;
    let send = browser.find_text("button", "Send").await;
    browser.click(send).await;
    browser.to_site().await;
    browser.goto(&request_page).await;
    browser.wait_text("#passport-status", "Received").await;
    browser
        .find(".passport-element[data-type=passport] img")
        .await;
    let decoded = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.documents img')].every(i => i.complete && i.naturalWidth > 0)",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        decoded,
        serde_json::Value::Bool(true),
        "every document image decodes"
    );
    browser.screenshot("passport-received").await;
    console.extend(browser.console_errors().await);

    // "Log in with tgauth": an application sends the person to tgauth, who consents; the
    // browser lands back at the application with a code it exchanges (PKCE, public client).
    let verifier = "a-verifier-of-the-demo-app-that-is-long-enough-0123456789";
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let authorize = format!(
        "{}/oauth2/authorize?response_type=code&client_id=demo&redirect_uri={}&scope=openid%20profile&state=st-7&nonce=n-7&code_challenge={challenge}&code_challenge_method=S256",
        serving.service,
        form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    browser.goto(&authorize).await;
    browser
        .wait_text("#consent-heading", "Demo app wants to log you in")
        .await;
    browser.screenshot("tgauth-consent").await;
    let allow = browser.find("#allow").await;
    browser.click(allow).await;
    let query = browser.wait_text("#query", "code=").await;
    assert!(query.contains("state=st-7"), "{query}");
    let code = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
            ("client_id", "demo"),
            ("code_verifier", verifier),
        ])
        .finish();
    let tokens: serde_json::Value = tgauth_tests::http::client()
        .post(format!("{}/oauth2/token", serving.service))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tokens["id_token"].as_str().is_some(), "{tokens}");
    console.extend(browser.console_errors().await);
    browser.goto(&format!("{}/account", serving.service)).await;

    // Log out, then in again from the Mini App the phone launches with signed initData.
    let logout = browser.find_text("button", "Log out").await;
    browser.click(logout).await;
    browser.find("#oidc-login").await;
    assert!(
        browser.url().await.contains("/login"),
        "{}",
        browser.url().await
    );
    let mini_app = browser.find("#miniapp-login").await;
    browser.click(mini_app).await;
    browser.wait_text("#login-method", "Mini App").await;
    assert!(
        !browser.url().await.contains("tgWebAppData"),
        "the signed data leaves the address bar"
    );
    browser.screenshot("account-mini-app").await;
    console.extend(browser.console_errors().await);

    // The administrator (the sandbox's Sam Admin) sees the people, the notification and the
    // Passport submission with who looked at it.
    let logout = browser.find_text("button", "Log out").await;
    browser.click(logout).await;
    browser.to_phone().await;
    browser.goto(&serving.phone).await;
    let sam = browser
        .find("form[action='/phone/user'] input[name=user_id][value='1000']")
        .await;
    let use_sam = sam
        .find(fantoccini::Locator::XPath("./ancestor::form//button"))
        .await
        .unwrap();
    browser.click(use_sam).await;
    browser.wait_text("#current-user", "Sam Admin").await;
    browser.to_site().await;
    browser.goto(&serving.login).await;
    let widget = browser
        .find(&format!("#telegram-login-{}", serving.bot))
        .await;
    browser.click(widget).await;
    let allow = browser.find_text("button", "Log in").await;
    browser.click(allow).await;
    browser.wait_text("#profile-name", "Sam Admin").await;
    browser.goto(&format!("{}/admin", serving.service)).await;
    browser.wait_text("#people", "Ada Lovelace").await;
    browser.wait_text("#notifications", "sent").await;
    browser
        .wait_text(".submission", "telegram:100001 — read")
        .await;
    browser.wait_text("#oidc-clients", "Demo app").await;
    browser.screenshot("admin").await;
    console.extend(browser.console_errors().await);

    assert!(console.is_empty(), "console errors: {console:#?}");
    let visited = browser.visited.clone();
    let mut problems = Vec::new();
    for page in &visited {
        if page.contains("/files/") {
            continue;
        }
        browser.client.goto(page).await.unwrap();
        for problem in browser.accessibility_problems().await {
            problems.push(format!("{page}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(visited.len() >= 10, "{visited:#?}");
}
