//! The service's pages over HTTP (the browser tests in tgauth-cli click through them in
//! Chromium): what needs a login sends to `/login` and back, a refusal a browser meets is a
//! page that says what happened, forms refuse other sites, names are escaped, the account page
//! links the bot and sends a test message, the Passport page requests, shows and corrects, and
//! `/admin` is for administrators only.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tgauth::sandbox::control::NewUser;
use tgauth::sandbox::passport::PassportSubmission;

use super::support::{ADA, BOT, Running, browser, eventually, on_every_database};

/// The sandbox's administrator (`serve --sandbox` names them unless the configuration does).
const ADMIN: i64 = 1_000;
const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

on_every_database!(
    a_person_links_the_bot_from_the_account_page,
    the_passport_page_requests_shows_and_corrects,
);

/// A browser logged in as `user` with the Login Widget.
pub(crate) async fn logged_in(running: &Running, user: i64) -> reqwest::Client {
    let data = running.sandbox.login_widget(BOT, user).unwrap();
    let browser = browser();
    let response = browser
        .get(running.url(&format!("/auth/telegram/widget?{}", data.query)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    browser
}

async fn page(running: &Running, browser: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let response = browser
        .get(running.url(path))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// A form post from the service's own pages; the redirect's target, or the status and page.
async fn post(
    running: &Running,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> Result<String, (StatusCode, String)> {
    let response = browser
        .post(running.url(path))
        .header("accept", HTML)
        .header("origin", &running.url)
        .form(form)
        .send()
        .await
        .unwrap();
    if response.status() == StatusCode::SEE_OTHER {
        Ok(response.headers()["location"].to_str().unwrap().to_owned())
    } else {
        Err((response.status(), response.text().await.unwrap()))
    }
}

/// The value of `attribute` on the element with `id`, from a page's HTML.
fn attribute(html: &str, id: &str, attribute: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let marker = format!("{attribute}=\"");
    let value = &tag[tag.find(&marker)? + marker.len()..];
    Some(
        value[..value.find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// The query parameter `name` of a URL.
fn parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_send_to_the_login_and_refusals_are_pages_for_browsers_only() {
    let running = Running::start().await;
    let browser = browser();
    for path in ["/account", "/passport", "/admin"] {
        let response = browser.get(running.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            response.headers()["location"],
            format!("/login?next={next}").as_str()
        );
    }

    let login = browser
        .get(running.url("/login?next=%2Fpassport"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.headers()["cross-origin-opener-policy"],
        "same-origin-allow-popups",
        "the widget's popup reports back to the page"
    );
    let policy = login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let sandbox = running.sandbox.base_url();
    assert!(
        policy.contains(&format!("script-src 'self' {sandbox};"))
            && policy.contains("frame-ancestors 'none'")
            && policy.contains("form-action 'self'"),
        "{policy}"
    );
    let html = login.text().await.unwrap();
    let script = format!(
        "src=\"{}/js/telegram-widget.js?22\"",
        running.sandbox.base_url()
    );
    assert!(html.contains(&script), "{html}");
    assert!(
        html.contains("/auth/telegram/widget?next=%2Fpassport"),
        "the widget comes back to `next`: {html}"
    );
    assert!(html.contains("href=\"/auth/telegram/oidc/start?next=%2Fpassport\""));
    let (status, html) = page(&running, &browser, "/login?next=https://evil.example/").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("must be a path on this site"), "{html}");

    // An expired login: a page for a browser, the error object for a script.
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let data = running.sandbox.login_widget(BOT, ADA).unwrap();
    running.clock.advance(2 * 86_400);
    let path = format!("/auth/telegram/widget?{}", data.query);
    let (status, html) = page(&running, &browser, &path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("The login data is too old"), "{html}");
    assert!(html.contains("href=\"/login\">Log in again</a>"), "{html}");
    let scripted = browser.get(running.url(&path)).send().await.unwrap();
    assert_eq!(scripted.status(), StatusCode::UNAUTHORIZED);
    let body: Value = scripted.json().await.unwrap();
    assert_eq!(body["error"]["code"], "login_expired");

    let (status, html) = page(&running, &browser, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>Not found</h1>"), "{html}");
    // The JSON API stays JSON whatever the client accepts.
    let api = browser
        .get(running.url("/api/v1/users/alice"))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert!(api.json::<Value>().await.unwrap()["error"]["code"] == "missing_api_key");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_escaped_and_forms_refuse_other_sites() {
    let running = Running::start().await;
    running
        .sandbox
        .create_user(NewUser {
            last_name: Some("\"><img src=x onerror=alert(1)>".to_owned()),
            ..NewUser::new(ADA, "<script>alert(1)</script>")
        })
        .unwrap();
    let browser = logged_in(&running, ADA).await;
    let (status, html) = page(&running, &browser, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );

    let response = browser
        .post(running.url("/account/link"))
        .header("accept", HTML)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Reload the page and try again"), "{html}");
    // Nothing was issued.
    let (_, html) = page(&running, &browser, "/account").await;
    assert!(attribute(&html, "get-link", "type").is_some(), "{html}");
    running.stop().await;
}

async fn a_person_links_the_bot_from_the_account_page(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running
        .sandbox
        .create_user(NewUser {
            username: Some("mallory".to_owned()),
            ..NewUser::new(ADA + 1, "Mallory")
        })
        .unwrap();
    let ada = logged_in(&running, ADA).await;
    assert_eq!(
        post(&running, &ada, "/account/link", &[]).await.unwrap(),
        "/account?done=link_issued"
    );
    let (_, html) = page(&running, &ada, "/account?done=link_issued").await;
    assert!(html.contains("A new link is ready"), "{html}");
    assert!(
        html.contains("<meta http-equiv=\"refresh\""),
        "the page looks again by itself"
    );
    assert!(html.contains("alt=\"QR code of the link to connect the bot\""));
    let button = attribute(&html, "connect-bot", "href").unwrap();
    let opened = format!("{}/phone/open?link=", running.sandbox.base_url());
    assert!(button.starts_with(&opened), "{button}");
    let t_me = parameter(&button, "link").unwrap();
    let code = t_me
        .strip_prefix(&format!("https://t.me/{BOT}?start="))
        .unwrap()
        .to_owned();

    // Someone else presses the link first: the page names them, and Ada refuses.
    let sandbox = &running.sandbox;
    let before = sandbox.sent(BOT).unwrap().len();
    sandbox
        .send_message(BOT, ADA + 1, &format!("/start {code}"))
        .unwrap();
    eventually(|| sandbox.sent(BOT).unwrap().len() > before).await;
    let (_, html) = page(&running, &ada, "/account").await;
    assert!(
        html.contains("<strong id=\"claimer-name\">Mallory</strong> (@mallory)"),
        "{html}"
    );
    assert!(html.contains("id=\"waiting-bot\""), "{html}");
    assert_eq!(
        post(&running, &ada, "/account/refuse", &[]).await.unwrap(),
        "/account?done=refused"
    );
    let (_, html) = page(&running, &ada, "/account").await;
    assert!(attribute(&html, "get-link", "type").is_some(), "{html}");

    // Ada's own link, confirmed in the bot and on the page.
    post(&running, &ada, "/account/link", &[]).await.unwrap();
    let (_, html) = page(&running, &ada, "/account").await;
    let code = parameter(
        &parameter(&attribute(&html, "connect-bot", "href").unwrap(), "link").unwrap(),
        "start",
    )
    .unwrap();
    let before = sandbox.sent(BOT).unwrap().len();
    sandbox
        .send_message(BOT, ADA, &format!("/start {code}"))
        .unwrap();
    eventually(|| sandbox.sent(BOT).unwrap().len() > before).await;
    let asked = sandbox.sent(BOT).unwrap().remove(before);
    let confirm =
        asked.message.reply_markup.clone().unwrap()["inline_keyboard"][0][0]["callback_data"]
            .as_str()
            .unwrap()
            .to_owned();
    let answers = sandbox.callback_answers(BOT).unwrap().len();
    sandbox
        .press_button(BOT, ADA, asked.message.message_id, &confirm)
        .unwrap();
    eventually(|| sandbox.callback_answers(BOT).unwrap().len() > answers).await;
    let (_, html) = page(&running, &ada, "/account").await;
    assert!(
        html.contains("pressed your link and confirmed in the bot"),
        "{html}"
    );
    assert_eq!(
        post(&running, &ada, "/account/confirm", &[]).await.unwrap(),
        "/account?done=confirmed"
    );
    let (_, html) = page(&running, &ada, "/account").await;
    assert!(
        html.contains("Connected to @tgauth_sandbox_bot as <strong>Ada</strong>"),
        "{html}"
    );
    // The website API sees the same link.
    let (_, user) = running
        .api(Method::GET, &format!("/api/v1/users/telegram:{ADA}"), None)
        .await;
    assert_eq!(user["telegram"]["id"], ADA);

    let before = sandbox.sent(BOT).unwrap().len();
    post(&running, &ada, "/account/test-message", &[])
        .await
        .unwrap();
    eventually(|| sandbox.sent(BOT).unwrap().len() > before).await;
    let sent = sandbox.sent(BOT).unwrap().remove(before);
    assert_eq!(sent.message.chat.id, tgauth::ChatId(ADA));
    assert!(
        sent.message
            .text
            .as_deref()
            .unwrap_or_default()
            .starts_with("Test message from"),
        "{:?}",
        sent.message.text
    );

    assert_eq!(
        post(&running, &ada, "/account/unlink", &[]).await.unwrap(),
        "/account?done=unlinked"
    );
    let (_, html) = page(&running, &ada, "/account").await;
    assert!(attribute(&html, "get-link", "type").is_some(), "{html}");
    // Unlinking again is a page that says so.
    let (status, html) = post(&running, &ada, "/account/unlink", &[])
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No such linked Telegram account"), "{html}");
    running.stop().await;
}

async fn the_passport_page_requests_shows_and_corrects(running: Running) {
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let ada = logged_in(&running, ADA).await;
    let (_, html) = page(&running, &ada, "/passport").await;
    assert!(html.contains("id=\"passport-not-linked\""), "{html}");
    running.link(&format!("telegram:{ADA}"), ADA).await;

    let created = post(
        &running,
        &ada,
        "/passport",
        &[
            ("element", "personal_details"),
            ("element", "passport"),
            ("selfie", "1"),
        ],
    )
    .await
    .unwrap();
    let id = created.strip_prefix("/passport/").unwrap().to_owned();
    let (_, html) = page(&running, &ada, &created).await;
    assert!(html.contains("data-status=\"pending\""), "{html}");
    assert!(html.contains("<meta http-equiv=\"refresh\""));
    let button = attribute(&html, "open-passport", "href").unwrap();
    let link = parameter(&button, "link").unwrap();
    assert!(
        link.starts_with("tg://resolve?domain=telegrampassport&"),
        "{link}"
    );
    let nonce = parameter(&link, "nonce").unwrap();
    assert_eq!(
        parameter(&link, "callback_url").unwrap(),
        running.url(&format!("/passport/{id}"))
    );

    let png = b"\x89PNG\r\n\x1a\n-a-sample-scan".to_vec();
    let submission: PassportSubmission = serde_json::from_value(json!({
        "user_id": ADA,
        "nonce": nonce,
        "elements": [
            {"type": "personal_details", "data": {"first_name": "Ada", "last_name": "Lovelace",
              "birth_date": "10.12.1815", "gender": "female", "country_code": "GB",
              "residence_country_code": "GB"}},
            {"type": "passport", "data": {"document_no": "SB1234567", "expiry_date": ""},
             "front_side": {"contents": base64(&png)}, "selfie": {"contents": base64(&png)}},
        ],
    }))
    .unwrap();
    running.sandbox.submit_passport(BOT, submission).unwrap();
    let mut html = String::new();
    for _ in 0..200 {
        html = page(&running, &ada, &created).await.1;
        if html.contains("data-status=\"received\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("data-status=\"received\""), "{html}");
    assert!(
        html.contains("<dd data-field=\"document_no\">SB1234567</dd>"),
        "{html}"
    );
    assert!(
        !html.contains("<meta http-equiv=\"refresh\""),
        "nothing left to wait for"
    );
    let image = format!("/passport/{id}/files/0");
    assert!(html.contains(&format!("src=\"{image}\"")), "{html}");
    let file = ada.get(running.url(&image)).send().await.unwrap();
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().to_vec(), png);

    // Someone else does not see it; the administrator does, and the log says who looked.
    running
        .sandbox
        .create_user(NewUser::new(ADA + 1, "Mallory"))
        .unwrap();
    let mallory = logged_in(&running, ADA + 1).await;
    assert_eq!(
        page(&running, &mallory, &created).await.0,
        StatusCode::NOT_FOUND
    );
    let file = mallory.get(running.url(&image)).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::NOT_FOUND);
    let admin = logged_in(&running, ADMIN).await;
    let (status, html) = page(&running, &admin, &created).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("admin:{ADMIN} — read")), "{html}");
    assert!(html.contains(&format!("telegram:{ADA} — file 0")), "{html}");

    // A correction reaches the person as a typed error with the data's hash.
    let done = post(
        &running,
        &ada,
        &format!("/passport/{id}/errors"),
        &[
            ("target", "data|personal_details"),
            ("field_name", "first_name"),
            ("message", "The name is hard to read"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(done, format!("/passport/{id}?done=errors_sent"));
    let errors = running.sandbox.passport_errors(BOT).unwrap();
    let error = serde_json::to_value(&errors.last().unwrap().errors[0]).unwrap();
    assert_eq!(error["source"], "data");
    assert_eq!(error["field_name"], "first_name");
    assert_eq!(error["message"], "The name is hard to read");
    assert!(
        error["data_hash"]
            .as_str()
            .is_some_and(|hash| !hash.is_empty())
    );
    // A field the element does not have is refused before anything is sent.
    let (status, html) = post(
        &running,
        &ada,
        &format!("/passport/{id}/errors"),
        &[
            ("target", "data|personal_details"),
            ("field_name", "shoe_size"),
            ("message", "x"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("That element has no such field"), "{html}");
    assert_eq!(
        running.sandbox.passport_errors(BOT).unwrap().len(),
        errors.len()
    );
    running.stop().await;
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_is_for_administrators_and_makes_keys() {
    let running = Running::start().await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let ada = logged_in(&running, ADA).await;
    let (status, html) = page(&running, &ada, "/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("administrators see this page"), "{html}");
    let (status, _) = post(&running, &ada, "/admin/api-keys", &[("name", "mine")])
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);

    let admin = logged_in(&running, ADMIN).await;
    let (status, html) = page(&running, &admin, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("<td>{ADA}</td><td>Ada</td>")),
        "{html}"
    );
    let response = admin
        .post(running.url("/admin/api-keys"))
        .header("accept", HTML)
        .header("origin", &running.url)
        .form(&[("name", "shop")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let key = html
        .split("<code id=\"new-api-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(key.starts_with("tga_"), "{key}");
    let use_key = |key: String| {
        let url = running.url("/api/v1/users/alice");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(use_key(key.clone()).await, StatusCode::OK);
    // The key is shown once: the admin page lists its id, never the key.
    let (_, html) = page(&running, &admin, "/admin").await;
    assert!(!html.contains(&key));
    let id = key.strip_prefix("tga_").unwrap().split('.').next().unwrap();
    assert_eq!(
        post(
            &running,
            &admin,
            &format!("/admin/api-keys/{id}/revoke"),
            &[]
        )
        .await
        .unwrap(),
        "/admin?done=key_revoked"
    );
    assert_eq!(use_key(key).await, StatusCode::UNAUTHORIZED);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_everywhere_ends_every_session_of_the_person() {
    let running = Running::start().await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let laptop = logged_in(&running, ADA).await;
    // A second login a second later: the same data again would be a replay.
    running.clock.advance(1);
    let phone = logged_in(&running, ADA).await;
    let (_, html) = page(&running, &laptop, "/account").await;
    assert_eq!(html.matches("<tr class=\"session\">").count(), 2, "{html}");
    assert_eq!(html.matches("<td>This browser</td>").count(), 1, "{html}");
    assert_eq!(
        post(&running, &phone, "/account/logout-everywhere", &[])
            .await
            .unwrap(),
        "/login"
    );
    for browser in [&laptop, &phone] {
        assert_eq!(running.me_status(browser).await, StatusCode::UNAUTHORIZED);
    }
    running.stop().await;
}
