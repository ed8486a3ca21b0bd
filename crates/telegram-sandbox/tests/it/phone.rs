//! The phone's pages over real HTTP with a cookie-keeping client, as a browser without
//! JavaScript uses them: choosing an account, opening links, the chat, the Login Widget, the
//! OIDC consent, Mini App launches and Passport; what each flow hands the bot or the site is
//! checked with the verifiers a bot or a site uses.

use login_widget::{
    oidc::{AuthorizationParams, IdTokenValidator, PkceVerifier, Provider, Scope},
    webapp::WebAppVerifier,
    widget::WidgetVerifier,
};
use passport_crypto::{
    key::{KeySize, PrivateKey},
    open::open,
};
use passport_types::{
    element::ElementType,
    received::PassportData,
    scope::{PassportRequest, PassportScope, ScopeElement, ScopeElementOne},
};
use reqwest::{StatusCode, Url, header};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};
use telegram_sandbox::{
    control::NewBot,
    tgauth_core::{BotId, BotToken, UserId},
};

use crate::common::{BOT, Fixture, START, TOKEN, USER, guard, json_of};

/// What a page answered.
struct Page {
    status: StatusCode,
    location: Option<String>,
    content_type: String,
    set_cookie: Option<String>,
    body: String,
}

impl Page {
    fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The redirect target, resolved against the sandbox.
    fn location(&self) -> &str {
        self.location.as_deref().expect("a redirect")
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// The text of every element `css` selects.
fn texts(html: &Html, css: &str) -> Vec<String> {
    html.select(&selector(css))
        .map(|element| element.text().collect::<String>().trim().to_owned())
        .collect()
}

/// A browser on the phone: it keeps cookies and follows no redirect by itself.
struct Phone {
    fixture: Fixture,
    browser: reqwest::Client,
}

impl Phone {
    async fn start() -> Self {
        Self::with(Fixture::start().await)
    }

    fn with(fixture: Fixture) -> Self {
        let browser = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { fixture, browser }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.fixture.sandbox.base_url())
    }

    async fn read(response: reqwest::Response) -> Page {
        let header_text = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        Page {
            status: response.status(),
            location: header_text(header::LOCATION),
            content_type: header_text(header::CONTENT_TYPE).unwrap_or_default(),
            set_cookie: header_text(header::SET_COOKIE),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        Self::read(
            guard(self.browser.get(self.url(path)).send())
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.browser.post(self.url(path)).form(form);
        Self::read(guard(request.send()).await.unwrap()).await
    }

    /// Follows the sandbox's own redirects from `page`, as a browser would; stops at a page or
    /// at a redirect to another site (returned as it is).
    async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            let Some(location) = page
                .location
                .clone()
                .filter(|_| page.status.is_redirection())
            else {
                return page;
            };
            if !location.starts_with('/') {
                return page;
            }
            page = self.get(&location).await;
        }
        panic!("too many redirects");
    }

    /// Chooses the fixture's user as the phone's account.
    async fn use_account(&self, user: UserId) {
        let page = self
            .post("/phone/user", &[("user_id", &user.to_string())])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }

    /// The fingerprint a page polls at `path`.
    async fn version(&self, path: &str) -> String {
        let answer = json_of(self.browser.get(self.url(path))).await;
        answer["version"].as_str().unwrap().to_owned()
    }

    /// The bot's pending updates, newest last.
    fn updates(&self, bot: &str) -> Vec<Value> {
        self.fixture
            .sandbox
            .pending_updates(bot)
            .unwrap()
            .into_iter()
            .map(|update| serde_json::to_value(update).unwrap())
            .collect()
    }
}

/// The name and value of every field a form submits as the page is (checked boxes only).
fn form_fields(form: ElementRef<'_>) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for input in form.select(&selector("input[name], select[name], textarea[name]")) {
        let element = input.value();
        let name = element.attr("name").unwrap().to_owned();
        let value = match element.name() {
            "select" => input
                .select(&selector("option"))
                .next()
                .and_then(|option| option.value().attr("value"))
                .unwrap_or_default()
                .to_owned(),
            _ => {
                let kind = element.attr("type").unwrap_or("text");
                if kind == "checkbox" && element.attr("checked").is_none() {
                    continue;
                }
                element.attr("value").unwrap_or("on").to_owned()
            }
        };
        fields.push((name, value));
    }
    fields
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

fn parameter(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn accounts_are_chosen_and_created_and_the_cookie_says_which() {
    let phone = Phone::start().await;
    let page = phone.get("/phone").await;
    assert_eq!(page.status, 200);
    let html = page.html();
    assert!(texts(&html, ".account .user-name").contains(&"Alice".to_owned()));
    assert!(texts(&html, ".account button").contains(&"Use this account".to_owned()));
    assert!(html.select(&selector("#chats")).next().is_none());

    let chosen = phone.post("/phone/user", &[("user_id", "1001")]).await;
    assert_eq!(
        (chosen.status, chosen.location()),
        (StatusCode::SEE_OTHER, "/phone")
    );
    assert_eq!(
        chosen.set_cookie.as_deref(),
        Some("tgsandbox_phone_user=1001; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax")
    );
    let html = phone.get("/phone").await.html();
    assert_eq!(texts(&html, "#current-user .user-name"), ["Alice"]);
    assert_eq!(texts(&html, "#chats .chat-link"), ["sandbox_test_bot"]);

    // A new account gets the next free id from 100001 up; `return` is followed if it is local.
    let created = phone
        .post(
            "/phone/user",
            &[
                ("first_name", "Bob"),
                ("last_name", "Builder"),
                ("username", "@bob_b"),
                ("return", "/phone/chat/sandbox_test_bot"),
            ],
        )
        .await;
    assert_eq!(created.location(), "/phone/chat/sandbox_test_bot");
    assert!(
        created
            .set_cookie
            .unwrap()
            .starts_with("tgsandbox_phone_user=100001;")
    );
    let html = phone.get("/phone").await.html();
    assert_eq!(texts(&html, "#current-user .user-name"), ["Bob Builder"]);
    assert_eq!(texts(&html, "#current-user .user-username"), ["@bob_b"]);
    let again = phone
        .post(
            "/phone/user",
            &[("first_name", "Bob"), ("username", "bob_b")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Names are text on every page and in the avatar, never markup.
    let marked = phone
        .post(
            "/phone/user",
            &[("first_name", "<i>Eve"), ("last_name", "\"&")],
        )
        .await;
    assert!(
        marked
            .set_cookie
            .unwrap()
            .starts_with("tgsandbox_phone_user=100002;")
    );
    let page = phone.get("/phone").await;
    assert_eq!(
        texts(&page.html(), "#current-user .user-name"),
        ["<i>Eve \"&"]
    );
    assert!(
        page.html()
            .select(&selector("#current-user i"))
            .next()
            .is_none()
    );
    let avatar = phone.get("/phone/avatar/100002.svg").await;
    assert!(
        avatar.body.contains(">&#60;&#34;</text>"),
        "{}",
        avatar.body
    );

    // Another host, or a scheme-relative path, is not a place to return to.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let page = phone
            .post("/phone/user", &[("user_id", "1001"), ("return", evil)])
            .await;
        assert_eq!(page.location(), "/phone", "{evil}");
    }
    let page = phone.get("/phone?user=1001&return=%2Fphone%2Fopen").await;
    assert_eq!(page.location(), "/phone/open");
    assert!(
        page.set_cookie
            .unwrap()
            .starts_with("tgsandbox_phone_user=1001;")
    );
}

#[tokio::test]
async fn a_start_link_opens_the_chat_and_start_sends_the_payload_as_the_user() {
    let phone = Phone::start().await;
    phone.use_account(USER).await;
    let link = "https://t.me/sandbox_test_bot?start=link-code_42";
    let opened = phone
        .get(&format!("/phone/open?link={}", urlencode(link)))
        .await;
    assert_eq!(
        opened.location(),
        "/phone/chat/sandbox_test_bot?start=link-code_42"
    );
    let chat = phone.get(opened.location()).await;
    let html = chat.html();
    let start = html
        .select(&selector(
            "form[action='/phone/chat/sandbox_test_bot/start']",
        ))
        .next()
        .expect("a Start form");
    assert_eq!(texts(&html, "form.start button"), ["Start"]);
    let fields = form_fields(start);
    assert_eq!(fields, [("payload".to_owned(), "link-code_42".to_owned())]);

    let sent = phone
        .post("/phone/chat/sandbox_test_bot/start", &borrowed(&fields))
        .await;
    assert_eq!(sent.location(), "/phone/chat/sandbox_test_bot");
    let updates = phone.updates(BOT);
    let message = &updates.last().unwrap()["message"];
    assert_eq!(message["text"], "/start link-code_42");
    assert_eq!(message["from"]["id"], USER.get());
    assert_eq!(message["entities"][0]["type"], "bot_command");

    // tg://resolve links open the same chat; the page then shows what the user sent.
    let opened = phone
        .get("/phone/open?link=tg%3A%2F%2Fresolve%3Fdomain%3Dsandbox_test_bot%26start%3Dabc")
        .await;
    assert_eq!(opened.location(), "/phone/chat/sandbox_test_bot?start=abc");
    let html = phone.get("/phone/chat/sandbox_test_bot").await.html();
    assert_eq!(
        texts(&html, ".message[data-from=user] .text"),
        ["/start link-code_42"]
    );
    assert!(texts(&html, "form.start button").is_empty());

    // Text typed in the box arrives as the user's message.
    let typed = phone
        .post(
            "/phone/chat/sandbox_test_bot/send",
            &[("text", "hello bot")],
        )
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        phone.updates(BOT).last().unwrap()["message"]["text"],
        "hello bot"
    );
}

#[tokio::test]
async fn the_chat_shows_the_bots_messages_escaped_with_keyboards_and_links() {
    let phone = Phone::start().await;
    phone.use_account(USER).await;
    phone.fixture.user_says("/start");
    let version = || phone.version("/phone/chat/sandbox_test_bot/version");
    let before = version().await;
    let keyboard = json!({"inline_keyboard": [
        [{"text": "Yes, link <me>", "callback_data": "confirm:7"}],
        [{"text": "Open site", "url": "https://site.example/a"},
         {"text": "Chat", "url": "https://t.me/other_bot?start=x"}],
        [{"text": "Log in", "login_url": {"url": "https://site.example/login"}},
         {"text": "App", "web_app": {"url": "https://site.example/app"}}],
    ]});
    let (status, sent) = phone
        .fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "parse_mode": "HTML", "reply_markup": keyboard,
                "text": "<b>Confirm</b> at https://site.example/confirm or t.me/other_bot"}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let message_id = sent["result"]["message_id"].as_i64().unwrap();
    assert_ne!(
        version().await,
        before,
        "the page's poll sees the new message"
    );

    let html = phone.get("/phone/chat/sandbox_test_bot").await.html();
    let bot_message = html
        .select(&selector(".message[data-from=bot]"))
        .next()
        .unwrap();
    // The bot's HTML is text, never markup.
    assert!(bot_message.select(&selector("b")).next().is_none());
    let text: String = bot_message
        .select(&selector(".text"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(
        text,
        "<b>Confirm</b> at https://site.example/confirm or t.me/other_bot"
    );
    let links: Vec<&str> = bot_message
        .select(&selector(".text a"))
        .map(|link| link.value().attr("href").unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "https://site.example/confirm",
            "/phone/open?link=t.me%2Fother_bot"
        ]
    );
    let button = bot_message
        .select(&selector(
            "form[action='/phone/chat/sandbox_test_bot/press']",
        ))
        .next()
        .unwrap();
    assert_eq!(texts(&html, ".keyboard button"), ["Yes, link <me>"]);
    let hrefs: Vec<(String, String)> = bot_message
        .select(&selector(".keyboard a"))
        .map(|link| {
            (
                link.text().collect(),
                link.value().attr("href").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        hrefs,
        [
            ("Open site".to_owned(), "https://site.example/a".to_owned()),
            (
                "Chat".to_owned(),
                "/phone/open?link=https%3A%2F%2Ft.me%2Fother_bot%3Fstart%3Dx".to_owned()
            ),
            (
                "Log in".to_owned(),
                "/phone/widget?bot=sandbox_test_bot&origin=https%3A%2F%2Fsite.example\
                 &return_to=https%3A%2F%2Fsite.example%2Flogin"
                    .to_owned()
            ),
            (
                "App".to_owned(),
                "/phone/webapp?bot=sandbox_test_bot&url=https%3A%2F%2Fsite.example%2Fapp"
                    .to_owned()
            ),
        ]
    );

    // Pressing the button is the callback query the bot receives.
    let fields = form_fields(button);
    let pressed = phone
        .post("/phone/chat/sandbox_test_bot/press", &borrowed(&fields))
        .await;
    let back = pressed.location().to_owned();
    assert!(
        back.starts_with("/phone/chat/sandbox_test_bot?pressed="),
        "{back}"
    );
    let updates = phone.updates(BOT);
    let query = &updates.last().unwrap()["callback_query"];
    assert_eq!(query["data"], "confirm:7");
    assert_eq!(query["from"]["id"], USER.get());
    assert_eq!(query["message"]["message_id"], message_id);
    let waiting = phone.get(&back).await.html();
    assert_eq!(
        texts(&waiting, "#callback-answer"),
        ["Waiting for the bot…"]
    );
    let (status, _) = phone
        .fixture
        .call(
            "answerCallbackQuery",
            json!({"callback_query_id": query["id"], "text": "Linked"}),
        )
        .await;
    assert_eq!(status, 200);
    let answered = phone.get(&back).await.html();
    assert_eq!(texts(&answered, "#callback-answer"), ["Linked"]);

    // An edit shows as the message is now, and a blocked bot is shown as blocked.
    phone
        .fixture
        .call(
            "editMessageText",
            json!({"chat_id": USER, "message_id": message_id, "text": "Linked to site.example"}),
        )
        .await;
    let html = phone.get("/phone/chat/sandbox_test_bot").await.html();
    assert_eq!(
        texts(&html, ".message[data-from=bot] .text"),
        ["Linked to site.example"]
    );
    assert!(texts(&html, ".message[data-from=bot] .time")[0].starts_with("edited"));
    assert!(texts(&html, ".keyboard button").is_empty());
    let blocked = phone
        .post("/phone/chat/sandbox_test_bot/block", &[("blocked", "true")])
        .await;
    assert_eq!(blocked.status, StatusCode::SEE_OTHER);
    let html = phone.get("/phone/chat/sandbox_test_bot").await.html();
    assert!(texts(&html, "#blocked p")[0].starts_with("You blocked this bot"));
    let refused = phone
        .post("/phone/chat/sandbox_test_bot/send", &[("text", "hi")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_widget_script_inserts_the_login_button_and_its_consent_signs_the_fields() {
    let phone = Phone::start().await;
    let script = phone.get("/js/telegram-widget.js?22").await;
    assert_eq!(script.status, 200);
    assert_eq!(script.content_type, "text/javascript; charset=utf-8");
    for needle in [
        "Log in with Telegram",
        "telegram-login-",
        "document.currentScript",
        "/phone/widget",
        "return_to",
    ] {
        assert!(script.body.contains(needle), "{needle}");
    }

    let consent = format!(
        "/phone/widget?bot=sandbox_test_bot&origin={}&return_to={}&request_access=write",
        urlencode("https://site.example"),
        urlencode("https://site.example/auth/telegram?next=%2Faccount"),
    );
    // Without an account, the picker comes first and then comes back.
    let picker = phone.get(&consent).await;
    assert_eq!(
        picker.location(),
        format!("/phone?return={}", urlencode(&consent)).replace('+', "%20")
    );
    let page = phone.follow(picker).await;
    let back = page
        .html()
        .select(&selector("input[name=return]"))
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let chosen = phone
        .post("/phone/user", &[("user_id", "1001"), ("return", &back)])
        .await;
    let page = phone.follow(chosen).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.html();
    assert_eq!(
        texts(&html, "h1"),
        ["https://site.example wants to log you in with sandbox_test_bot"]
    );
    assert_eq!(texts(&html, ".user-name"), ["Alice"]);
    assert_eq!(texts(&html, ".user-username"), ["@alice"]);
    let form = html.select(&selector("form.actions")).next().unwrap();
    let fields = form_fields(form);

    let mut login = borrowed(&fields);
    login.push(("action", "login"));
    let answer = phone.post("/phone/widget", &login).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let target = Url::parse(answer.location()).unwrap();
    assert!(
        target
            .as_str()
            .starts_with("https://site.example/auth/telegram?next=%2Faccount&"),
        "{target}"
    );
    assert_eq!(parameter(&target, "id").as_deref(), Some("1001"));
    assert_eq!(parameter(&target, "next").as_deref(), Some("/account"));
    let user = WidgetVerifier::new(&BotToken::new(TOKEN).unwrap())
        .with_site_parameters(["next"])
        .unwrap()
        .verify_query(target.query().unwrap(), START.plus(5))
        .unwrap();
    assert_eq!((user.id, user.auth_date), (USER, START));
    assert_eq!(user.username.as_deref(), Some("alice"));
    let photo = user.photo_url.unwrap();
    assert_eq!(
        photo,
        format!("{}/phone/avatar/1001.svg", phone.fixture.sandbox.base_url())
    );
    let avatar = phone.get("/phone/avatar/1001.svg").await;
    assert_eq!(
        (avatar.status.as_u16(), avatar.content_type.as_str()),
        (200, "image/svg+xml")
    );
    assert!(avatar.body.contains(">A</text>"), "{}", avatar.body);
    // Another bot's token does not verify the fields.
    let other = BotToken::new("1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
    assert!(
        WidgetVerifier::new(&other)
            .with_site_parameters(["next"])
            .unwrap()
            .verify_query(target.query().unwrap(), START.plus(5))
            .is_err()
    );

    let mut cancel = borrowed(&fields);
    cancel.push(("action", "cancel"));
    let answer = phone.post("/phone/widget", &cancel).await;
    assert_eq!(answer.location(), "https://site.example/");
    let unknown = phone
        .get("/phone/widget?bot=no_such_bot&origin=https%3A%2F%2Fa.example&return_to=https%3A%2F%2Fa.example%2F")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

const REDIRECT: &str = "https://rp.example/callback";

fn authorization_url(phone: &Phone, verifier: &PkceVerifier) -> String {
    let provider = Provider::with_base_url(&phone.fixture.sandbox.oidc_base_url());
    AuthorizationParams {
        client_id: "123456",
        redirect_uri: REDIRECT,
        scopes: &[Scope::Profile],
        state: "state-1",
        nonce: "nonce-1",
        pkce: verifier,
    }
    .url(&provider)
}

/// The path and query of a sandbox URL.
fn local(url: &str) -> String {
    let url = Url::parse(url).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

#[tokio::test]
async fn oidc_consent_allow_gives_a_code_for_the_phone_user_and_cancel_refuses() {
    let phone = Phone::start().await;
    let verifier = PkceVerifier::new("v".repeat(43) + "-phone-verifier").unwrap();
    let auth = local(&authorization_url(&phone, &verifier));

    // No account yet: the picker, which comes back to the authorization request.
    let picker = phone.get(&auth).await;
    assert!(
        picker.location().starts_with("/phone?return="),
        "{:?}",
        picker.location
    );
    let chosen = phone
        .post(
            "/phone/user",
            &[
                ("user_id", "1001"),
                (
                    "return",
                    &parameter(
                        &Url::parse(&phone.url(picker.location())).unwrap(),
                        "return",
                    )
                    .unwrap(),
                ),
            ],
        )
        .await;
    let page = phone.follow(chosen).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.html();
    assert_eq!(texts(&html, "h1"), ["sandbox_test_bot wants to log you in"]);
    assert_eq!(texts(&html, ".redirect-host"), ["rp.example"]);
    assert_eq!(
        texts(&html, ".scopes li"),
        [
            "openid: your Telegram account id",
            "profile: your name and username"
        ]
    );
    let fields = form_fields(html.select(&selector("form.actions")).next().unwrap());
    let mut allow = borrowed(&fields);
    allow.push(("action", "allow"));
    let answer = phone.post("/oauth/auth/consent", &allow).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let target = Url::parse(answer.location()).unwrap();
    assert!(target.as_str().starts_with(REDIRECT));
    assert_eq!(parameter(&target, "state").as_deref(), Some("state-1"));
    let code = parameter(&target, "code").unwrap();

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.dangerous_expose()),
    ];
    let tokens = json_of(
        phone
            .fixture
            .http
            .post(format!("{}/token", phone.fixture.sandbox.oidc_base_url()))
            .basic_auth("123456", Some(TOKEN))
            .form(&form),
    )
    .await;
    let claims = IdTokenValidator::new(phone.fixture.sandbox.oidc_jwks(), "123456")
        .with_issuer(phone.fixture.sandbox.oidc_base_url().as_str())
        .validate(
            tokens["id_token"].as_str().unwrap(),
            Some("nonce-1"),
            START.plus(1),
        )
        .unwrap();
    assert_eq!(claims.id, Some(USER));
    assert_eq!(claims.name.as_deref(), Some("Alice"));

    let mut cancel = borrowed(&fields);
    cancel.push(("action", "cancel"));
    let answer = phone.post("/oauth/auth/consent", &cancel).await;
    let target = Url::parse(answer.location()).unwrap();
    assert_eq!(
        parameter(&target, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(parameter(&target, "state").as_deref(), Some("state-1"));
    assert_eq!(parameter(&target, "code"), None);

    // login_hint approves at once, as before, for a client without the phone's cookie.
    let hinted = guard(
        phone
            .fixture
            .http
            .get(phone.url(&format!("{auth}&login_hint=1001")))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(hinted.status(), StatusCode::FOUND);
    let target = Url::parse(hinted.headers()["location"].to_str().unwrap()).unwrap();
    assert!(parameter(&target, "code").is_some());

    // prompt=none shows no page, even with an account chosen.
    let silent = phone.get(&format!("{auth}&prompt=none")).await;
    let target = Url::parse(silent.location()).unwrap();
    assert_eq!(
        parameter(&target, "error").as_deref(),
        Some("login_required")
    );

    // The consent form's parameters are checked again: another redirect URI's scheme or an
    // unknown client is refused, not redirected to.
    for (name, value) in [("redirect_uri", "javascript:alert(1)"), ("client_id", "9")] {
        let mut tampered: Vec<(&str, &str)> = allow
            .iter()
            .map(|(key, old)| (*key, if *key == name { value } else { *old }))
            .collect();
        tampered.push(("extra", "x"));
        let refused = phone.post("/oauth/auth/consent", &tampered).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(refused.location, None);
    }
}

#[tokio::test]
async fn a_mini_app_opens_with_init_data_that_verifies() {
    let phone = Phone::start().await;
    phone.use_account(USER).await;
    let form = phone.get("/phone/webapp?bot=sandbox_test_bot").await;
    assert_eq!(form.status, 200);
    assert_eq!(
        texts(&form.html(), "label[for=app-url]"),
        ["Mini App address"]
    );
    let launch = phone
        .get("/phone/webapp?bot=sandbox_test_bot&url=https%3A%2F%2Fapp.example%2Fstart%3Fx%3D1&start_param=ref42")
        .await;
    assert_eq!(launch.status, StatusCode::SEE_OTHER);
    let target = Url::parse(launch.location()).unwrap();
    assert_eq!(
        target.as_str().split('#').next(),
        Some("https://app.example/start?x=1")
    );
    let fragment: Vec<(String, String)> =
        form_urlencoded::parse(target.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    let names: Vec<&str> = fragment.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tgWebAppData",
            "tgWebAppVersion",
            "tgWebAppPlatform",
            "tgWebAppStartParam"
        ]
    );
    assert_eq!(fragment[1].1, "8.0");
    assert_eq!(fragment[2].1, "web");
    let verified = WebAppVerifier::new(&BotToken::new(TOKEN).unwrap())
        .verify(&fragment[0].1, START.plus(5))
        .unwrap();
    assert_eq!(verified.user.unwrap().id, USER);
    assert_eq!(verified.start_param.as_deref(), Some("ref42"));
    let refused = phone
        .get("/phone/webapp?bot=sandbox_test_bot&url=javascript%3Aalert(1)")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

const PASSPORT_BOT: &str = "passport_phone_bot";
const PASSPORT_TOKEN: &str = "777:AAPassportTestBot_0123456789abcdefg";
const NONCE: &str = "phone-nonce-0123456789";

/// A phone whose sandbox has a Passport bot with `key`, and the account chosen.
async fn passport_phone(key: &PrivateKey) -> Phone {
    let phone = Phone::start().await;
    let bot = NewBot {
        first_name: Some("Passport Bot".to_owned()),
        passport_public_key_pem: Some(key.public_key().to_pem()),
        ..NewBot::new(PASSPORT_TOKEN, PASSPORT_BOT)
    };
    phone.fixture.sandbox.create_bot(bot).unwrap();
    phone.use_account(USER).await;
    phone
}

fn scope() -> PassportScope {
    PassportScope::new(vec![
        ScopeElementOne::new(ElementType::PersonalDetails)
            .with_native_names()
            .into(),
        ScopeElement::one_of([ElementType::Passport, ElementType::IdentityCard]).with_selfie(),
        ElementType::Address.into(),
        ScopeElementOne::new(ElementType::UtilityBill)
            .with_translation()
            .into(),
        ElementType::PhoneNumber.into(),
        ElementType::Email.into(),
    ])
}

/// The request link the official JS SDK would open for `scope`.
fn request_link(scope: PassportScope, public_key: String) -> String {
    PassportRequest {
        bot_id: BotId(777),
        scope,
        public_key,
        nonce: NONCE.to_owned(),
        callback_url: Some("https://site.example/passport?request=9".to_owned()),
    }
    .url()
    .unwrap()
}

/// What the bot receives: the last update's `passport_data`.
fn received_passport(phone: &Phone) -> PassportData {
    let updates = phone.updates(PASSPORT_BOT);
    serde_json::from_value(updates.last().unwrap()["message"]["passport_data"].clone()).unwrap()
}

/// The bot's download of a file: `getFile`, then the bytes.
async fn download(phone: &Phone, file_id: &str) -> Vec<u8> {
    let url = format!(
        "{}/getFile",
        phone.fixture.sandbox.bot_api_url(PASSPORT_TOKEN)
    );
    let file = json_of(
        phone
            .fixture
            .http
            .post(url)
            .json(&json!({"file_id": file_id})),
    )
    .await;
    let path = file["result"]["file_path"].as_str().unwrap();
    let url = format!("{}/{path}", phone.fixture.sandbox.file_url(PASSPORT_TOKEN));
    let response = guard(phone.fixture.http.get(url).send()).await.unwrap();
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn the_passport_form_asks_exactly_the_scope_and_submits_what_is_kept() {
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let phone = passport_phone(&key).await;
    let link = request_link(scope(), key.public_key().to_pem());
    let opened = phone
        .get(&format!("/phone/open?link={}", urlencode(&link)))
        .await;
    assert!(
        opened
            .location()
            .starts_with("/phone/passport?domain=telegrampassport&bot_id=777&")
    );
    let page = phone.get(opened.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.html();
    assert_eq!(
        texts(&html, "fieldset.element legend"),
        [
            "Personal details, with names in the native language",
            "One of: Passport, Identity card, with a selfie",
            "Address",
            "Utility bill, with a translation",
            "Phone number",
            "Email",
        ]
    );
    assert_eq!(
        texts(&html, "#passport-request > p > strong"),
        ["Passport Bot"]
    );
    // The nonce travels in the form, not in what the page says.
    let shown: String = html.root_element().text().collect();
    assert!(!shown.contains(NONCE));
    assert_eq!(
        texts(&html, "#e1_type option"),
        ["Passport", "Identity card"]
    );
    // Pictures: front, reverse (identity card only), selfie; the utility bill's scan and its
    // translation; each can be sent broken.
    assert_eq!(
        texts(&html, "fieldset[data-element='1'] figcaption"),
        [
            "Front side",
            "Reverse side (for Identity card)",
            "Selfie with the document"
        ]
    );
    assert_eq!(
        texts(&html, "fieldset[data-element='3'] figcaption"),
        ["Document scan", "Translation"]
    );
    assert_eq!(
        texts(&html, "fieldset[data-element='3'] .scan .check label"),
        ["Send a broken file", "Send a broken file"]
    );
    let picture = html
        .select(&selector("fieldset[data-element='1'] img"))
        .next()
        .unwrap()
        .value()
        .attr("src")
        .unwrap()
        .to_owned();
    let scan = phone.get(&picture).await;
    assert_eq!(
        (scan.status.as_u16(), scan.content_type.as_str()),
        (200, "image/png")
    );
    let values: Vec<String> = html
        .select(&selector(
            "#e0_first_name, #e1_document_no, #e4_phone_number, #e5_email",
        ))
        .map(|input| input.value().attr("value").unwrap().to_owned())
        .collect();
    assert_eq!(
        values,
        ["Alice", "SB1234567", "+1 555 0100", "sample@example.com"]
    );

    // Leave the email out, choose the identity card, and send the bill's scan broken.
    let form = html.select(&selector("#passport-form")).next().unwrap();
    let mut fields = form_fields(form);
    fields.retain(|(name, _)| name != "e5_include");
    for (name, value) in &mut fields {
        if name == "e1_type" {
            *value = "identity_card".to_owned();
        }
    }
    fields.push(("e3_files_broken".to_owned(), "on".to_owned()));
    let sent = phone.post("/phone/passport", &borrowed(&fields)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(
        sent.location(),
        "/phone/passport/sent?bot=passport_phone_bot&since=0\
         &callback_url=https%3A%2F%2Fsite.example%2Fpassport%3Frequest%3D9"
    );

    let data = received_passport(&phone);
    let opened = open(&key, &data).unwrap();
    opened.check_nonce(NONCE).unwrap();
    let kinds: Vec<&ElementType> = data.data.iter().map(|element| &element.kind).collect();
    assert_eq!(
        kinds,
        [
            &ElementType::PersonalDetails,
            &ElementType::IdentityCard,
            &ElementType::Address,
            &ElementType::UtilityBill,
            &ElementType::PhoneNumber,
        ]
    );
    let card = opened.element(&ElementType::IdentityCard).unwrap();
    assert!(card.reverse_side.is_some() && card.selfie.is_some());
    let front = card.front_side.clone().unwrap();
    let bytes = download(&phone, &front.file.file_id).await;
    let picture = front.decrypt_vec(bytes).unwrap();
    assert_eq!(picture.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    let bill = opened.element(&ElementType::UtilityBill).unwrap();
    let broken = bill.files.clone().unwrap().remove(0);
    let bytes = download(&phone, &broken.file.file_id).await;
    assert!(matches!(
        broken.decrypt_vec(bytes),
        Err(passport_crypto::Error::HashMismatch { .. })
    ));
    let translation = bill.translation.clone().unwrap().remove(0);
    let bytes = download(&phone, &translation.file.file_id).await;
    assert!(translation.decrypt_vec(bytes).is_ok());

    // The sent page links back with tg_passport=success and shows the bot's errors.
    let sent_page = phone.get(sent.location()).await;
    let html = sent_page.html();
    assert_eq!(texts(&html, "h1"), ["Sent to Passport Bot"]);
    let back = html
        .select(&selector("#passport-sent a"))
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(
        back,
        "https://site.example/passport?request=9&tg_passport=success"
    );
    assert!(texts(&html, ".passport-error").is_empty());
    let version = || phone.version("/phone/passport/sent/version?bot=passport_phone_bot&since=0");
    let before = version().await;
    let file_hash = &broken.credentials.file_hash;
    let url = format!(
        "{}/setPassportDataErrors",
        phone.fixture.sandbox.bot_api_url(PASSPORT_TOKEN)
    );
    let answer = json_of(phone.fixture.http.post(url).json(&json!({
        "user_id": USER,
        "errors": [{"source": "files", "type": "utility_bill", "file_hashes": [file_hash],
            "message": "The scan cannot be read"}],
    })))
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_ne!(version().await, before);
    let html = phone.get(sent.location()).await.html();
    assert_eq!(texts(&html, ".passport-error"), ["The scan cannot be read"]);
}

#[tokio::test]
async fn a_passport_request_with_another_key_is_refused_with_an_explanation() {
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let other = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let phone = passport_phone(&key).await;
    let link = request_link(
        PassportScope::new(vec![ElementType::Email.into()]),
        other.public_key().to_pem(),
    );
    let page = phone
        .follow(
            phone
                .get(&format!("/phone/open?link={}", urlencode(&link)))
                .await,
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let html = page.html();
    assert_eq!(
        texts(&html, "h1"),
        ["The request's public key is not the bot's"]
    );
    assert!(texts(&html, ".error p")[0].contains("/setpublickey"));
    // The same key with other line breaks is the same key.
    let rewrapped = key.public_key().to_pem().replace('\n', "\r\n");
    let link = request_link(
        PassportScope::new(vec![ElementType::Email.into()]),
        rewrapped,
    );
    let page = phone
        .follow(
            phone
                .get(&format!("/phone/open?link={}", urlencode(&link)))
                .await,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(phone.updates(PASSPORT_BOT).is_empty());
}

/// Every form control has a label (or `aria-label`), every image an `alt`, and the page a
/// language, a title and a viewport.
fn check_accessible(path: &str, body: &str) {
    let html = Html::parse_document(body);
    let root = html.root_element();
    assert_eq!(root.value().attr("lang"), Some("en"), "{path}");
    assert!(!texts(&html, "title")[0].is_empty(), "{path}");
    assert!(
        html.select(&selector("meta[name=viewport]"))
            .next()
            .is_some(),
        "{path}"
    );
    let labelled: Vec<&str> = html
        .select(&selector("label[for]"))
        .filter_map(|label| label.value().attr("for"))
        .collect();
    for control in html.select(&selector("input, select, textarea")) {
        let element = control.value();
        if matches!(element.attr("type"), Some("hidden" | "submit" | "button")) {
            continue;
        }
        let by_for = element.id().is_some_and(|id| labelled.contains(&id));
        let by_aria = element
            .attr("aria-label")
            .is_some_and(|label| !label.is_empty());
        let wrapped = control
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|ancestor| ancestor.value().name() == "label");
        assert!(
            by_for || by_aria || wrapped,
            "{path}: a {} named {:?} has no label",
            element.name(),
            element.attr("name")
        );
    }
    for image in html.select(&selector("img")) {
        assert!(
            image.value().attr("alt").is_some_and(|alt| !alt.is_empty()),
            "{path}: an image without alt"
        );
    }
    for id in &labelled {
        assert_eq!(
            html.select(&selector(&format!("[id='{id}']"))).count(),
            1,
            "{path}: label for {id} names no single element"
        );
    }
}

#[tokio::test]
async fn every_page_has_labels_alt_texts_a_title_and_a_viewport() {
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let phone = passport_phone(&key).await;
    phone.fixture.user_says("/start");
    let keyboard = json!({"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]});
    phone
        .fixture
        .call(
            "sendMessage",
            json!({"chat_id": USER, "text": "Hi", "reply_markup": keyboard}),
        )
        .await;
    let verifier = PkceVerifier::new("v".repeat(43)).unwrap();
    let passport = local(&format!(
        "http://x{}",
        open_path(&request_link(scope(), key.public_key().to_pem()))
    ));
    let pages = [
        "/".to_owned(),
        "/phone".to_owned(),
        "/phone?return=%2Fphone".to_owned(),
        "/phone/chat/sandbox_test_bot".to_owned(),
        "/phone/chat/sandbox_test_bot?start=abc".to_owned(),
        "/phone/widget?bot=sandbox_test_bot&origin=https%3A%2F%2Fa.example&return_to=https%3A%2F%2Fa.example%2F".to_owned(),
        local(&authorization_url(&phone, &verifier)),
        "/phone/webapp?bot=sandbox_test_bot".to_owned(),
        passport,
        "/phone/passport/sent?bot=passport_phone_bot".to_owned(),
        "/phone/chat/no_such_bot".to_owned(),
        "/phone/nothing/here".to_owned(),
    ];
    for path in pages {
        let page = phone.get(&path).await;
        assert!(
            page.status == 200 || page.status == 404,
            "{path}: {}",
            page.status
        );
        assert_eq!(page.content_type, "text/html; charset=utf-8", "{path}");
        check_accessible(&path, &page.body);
    }
    let style = phone.get("/phone/style.css").await;
    assert_eq!(style.content_type, "text/css; charset=utf-8");
    let poll = phone.get("/phone/poll.js").await;
    assert_eq!(poll.content_type, "text/javascript; charset=utf-8");
}

/// The phone path a request link opens.
fn open_path(link: &str) -> String {
    format!("/phone/passport?{}", link.split_once('?').unwrap().1)
}

#[tokio::test]
async fn malformed_requests_get_a_4xx_page_never_a_panic() {
    let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let phone = passport_phone(&key).await;
    let gets = [
        ("/phone?user=abc", 400),
        ("/phone?user=999999", 404),
        ("/phone/open", 400),
        ("/phone/open?link=%ZZ", 400),
        ("/phone/open?link=javascript%3Aalert(1)", 400),
        (
            "/phone/open?link=https%3A%2F%2Ft.me%2Fb%3Fstart%3Da%2520b",
            400,
        ),
        ("/phone/chat/no_such_bot", 404),
        ("/phone/chat/%FF%FE", 400),
        ("/phone/chat/sandbox_test_bot?start=%3Cscript%3E", 400),
        ("/phone/widget", 400),
        (
            "/phone/widget?bot=sandbox_test_bot&origin=x&return_to=y",
            400,
        ),
        (
            "/phone/widget?bot=sandbox_test_bot&origin=https%3A%2F%2Fa.example",
            400,
        ),
        ("/phone/webapp", 400),
        ("/phone/webapp?bot=nobody_bot", 404),
        ("/phone/passport", 400),
        (
            "/phone/passport?bot_id=abc&scope=x&public_key=y&nonce=z",
            400,
        ),
        (
            "/phone/passport?bot_id=777&scope=%7B&public_key=y&nonce=z",
            400,
        ),
        (
            "/phone/passport?bot_id=777&scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22ufo%22%5D%7D&public_key=y&nonce=z",
            400,
        ),
        (
            "/phone/passport?bot_id=1&scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22em%22%5D%7D&public_key=y&nonce=z",
            404,
        ),
        (
            "/phone/passport?bot_id=123456&scope=%7B%22v%22%3A1%2C%22d%22%3A%5B%22em%22%5D%7D&public_key=y&nonce=z",
            400,
        ),
        ("/phone/passport/sent", 400),
        ("/phone/passport/sent?bot=passport_phone_bot&since=-1", 400),
        ("/phone/passport/sample/ufo-front_side.png", 404),
        ("/phone/passport/sample/passport-back.png", 404),
        ("/phone/passport/sample/nothing", 404),
        ("/phone/avatar/abc.svg", 404),
        ("/phone/avatar/5.svg", 404),
        ("/phone/nothing", 404),
    ];
    for (path, status) in gets {
        let page = phone.get(path).await;
        assert_eq!(page.status.as_u16(), status, "{path}: {}", page.body);
        assert_eq!(page.content_type, "text/html; charset=utf-8", "{path}");
        assert!(page.body.contains("<h1>"), "{path}");
    }
    type Post<'a> = (&'a str, &'a [(&'a str, &'a str)], u16);
    let posts: [Post<'_>; 12] = [
        ("/phone/user", &[], 400),
        ("/phone/user", &[("user_id", "x")], 400),
        ("/phone/user", &[("first_name", &"x".repeat(65))], 400),
        (
            "/phone/user",
            &[("first_name", "X"), ("username", "no spaces")],
            400,
        ),
        (
            "/phone/chat/sandbox_test_bot/press",
            &[("message_id", "x"), ("data", "d")],
            400,
        ),
        (
            "/phone/chat/sandbox_test_bot/press",
            &[("message_id", "99"), ("data", "d")],
            400,
        ),
        (
            "/phone/chat/sandbox_test_bot/start",
            &[("payload", "a b")],
            400,
        ),
        ("/phone/chat/sandbox_test_bot/send", &[], 400),
        (
            "/phone/chat/sandbox_test_bot/block",
            &[("blocked", "maybe")],
            400,
        ),
        (
            "/phone/widget",
            &[
                ("bot", "sandbox_test_bot"),
                ("origin", "https://a.example"),
                ("return_to", "https://a.example/"),
                ("action", "x"),
            ],
            400,
        ),
        ("/phone/passport", &[("bot_id", "777")], 400),
        ("/phone/chat/no_such_bot/send", &[("text", "hi")], 404),
    ];
    for (path, form, status) in posts {
        let page = phone.post(path, form).await;
        assert_eq!(
            page.status.as_u16(),
            status,
            "{path} {form:?}: {}",
            page.body
        );
        assert_eq!(page.content_type, "text/html; charset=utf-8", "{path}");
    }
    // A body that is not even a form is read leniently and refused by the page's checks.
    let request = phone
        .browser
        .post(phone.url("/phone/chat/sandbox_test_bot/send"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', b'%']);
    let response = guard(request.send()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The control API's rules are untouched: a form post to it is still refused.
    let control = phone
        .browser
        .post(phone.url("/sandbox/users"))
        .form(&[("id", "5"), ("first_name", "Mallory")]);
    let response = guard(control.send()).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
