//! Login Widget data, Mini App initData and the OIDC provider, checked with login-widget's
//! verifiers as a website would.

use login_widget::{
    oidc::{AuthorizationParams, IdTokenValidator, Jwks, PkceVerifier, Provider, Scope},
    webapp::{ThirdPartyVerifier, WebAppVerifier},
    widget::WidgetVerifier,
};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use telegram_sandbox::{
    login::WebAppLaunch,
    tgauth_core::{BotId, BotToken},
};

use crate::common::{BOT, Fixture, START, TOKEN, USER, answer, guard, json_of};

#[tokio::test]
async fn login_widget_data_verifies_with_the_bot_token() {
    let fixture = Fixture::start().await;
    let (status, body) = fixture
        .control(
            Method::POST,
            &format!("bots/{BOT}/login_widget"),
            Some(json!({"user_id": USER})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["result"];
    assert_eq!(data["json"]["id"], USER.get());
    assert_eq!(data["json"]["auth_date"], START.as_secs());
    let verifier = WidgetVerifier::new(&BotToken::new(TOKEN).unwrap());
    let user = verifier
        .verify_query(data["query"].as_str().unwrap(), START.plus(5))
        .unwrap();
    assert_eq!((user.id, user.username.as_deref()), (USER, Some("alice")));
    let user = verifier
        .verify_json(&data["json"].to_string(), START.plus(5))
        .unwrap();
    assert_eq!(user.first_name, "Alice");
    // Another bot's token does not verify it.
    let other =
        WidgetVerifier::new(&BotToken::new("1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap());
    assert!(
        other
            .verify_query(data["query"].as_str().unwrap(), START.plus(5))
            .is_err()
    );
}

#[tokio::test]
async fn mini_app_init_data_verifies_first_and_third_party() {
    let fixture = Fixture::start().await;
    let launch = WebAppLaunch {
        start_param: Some("ref42".to_owned()),
        ..WebAppLaunch::new(USER)
    };
    let data = fixture.sandbox.web_app(BOT, launch).unwrap();
    let verified = WebAppVerifier::new(&BotToken::new(TOKEN).unwrap())
        .verify(&data.init_data, START.plus(5))
        .unwrap();
    assert_eq!(verified.user.unwrap().id, USER);
    assert_eq!(verified.start_param.as_deref(), Some("ref42"));
    let mut public_key = [0u8; 32];
    hex::decode_to_slice(&data.third_party_public_key, &mut public_key).unwrap();
    ThirdPartyVerifier::with_public_key(BotId(123_456), public_key)
        .verify(&data.init_data, START.plus(5))
        .unwrap();
    assert!(
        ThirdPartyVerifier::with_public_key(BotId(999), public_key)
            .verify(&data.init_data, START.plus(5))
            .is_err()
    );
}

/// The relying party's side of one authorization, up to the redirect back.
struct Authorization {
    verifier: PkceVerifier,
    location: Url,
}

const REDIRECT: &str = "https://rp.example/callback";

async fn authorize(fixture: &Fixture, http: &reqwest::Client) -> Authorization {
    authorize_with(fixture, http, "").await
}

/// An authorization whose URL ends with `extra` (such as `&prompt=none`).
async fn authorize_with(fixture: &Fixture, http: &reqwest::Client, extra: &str) -> Authorization {
    let verifier = PkceVerifier::new("v".repeat(43) + "-sandbox-verifier").unwrap();
    let provider = Provider::with_base_url(&fixture.sandbox.oidc_base_url());
    let url = AuthorizationParams {
        client_id: "123456",
        redirect_uri: REDIRECT,
        scopes: &[Scope::Profile],
        state: "state-1",
        nonce: "nonce-1",
        pkce: &verifier,
    }
    .url(&provider)
        + extra;
    let response = guard(http.get(url).send()).await.unwrap();
    assert_eq!(response.status(), 302, "{:?}", response.text().await);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    Authorization { verifier, location }
}

fn parameter(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn exchange(
    http: &reqwest::Client,
    fixture: &Fixture,
    code: &str,
    verifier: &str,
    secret: &str,
) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    let request = http
        .post(format!("{}/token", fixture.sandbox.oidc_base_url()))
        .basic_auth("123456", Some(secret))
        .form(&form);
    answer(guard(request.send()).await.unwrap()).await
}

#[tokio::test]
async fn the_oidc_flow_runs_offline_and_its_id_token_validates() {
    let fixture = Fixture::start().await;
    let http = tgauth_tests::http::client();
    let base = fixture.sandbox.oidc_base_url();
    let discovery = json_of(http.get(format!("{base}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery["issuer"], base.as_str());
    assert_eq!(discovery["token_endpoint"], format!("{base}/token"));
    let jwks: Jwks =
        serde_json::from_value(json_of(http.get(discovery["jwks_uri"].as_str().unwrap())).await)
            .unwrap();

    fixture.sandbox.approve_oidc(BOT, Some(USER)).unwrap();
    let authorization = authorize(&fixture, &http).await;
    assert!(authorization.location.as_str().starts_with(REDIRECT));
    assert_eq!(
        parameter(&authorization.location, "state").as_deref(),
        Some("state-1")
    );
    let code = parameter(&authorization.location, "code").unwrap();
    let verifier = authorization.verifier.dangerous_expose();

    let (status, body) = exchange(
        &http,
        &fixture,
        &code,
        verifier,
        "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaW",
    )
    .await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    let (status, body) = exchange(&http, &fixture, &code, verifier, TOKEN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let claims = IdTokenValidator::new(jwks, "123456")
        .with_issuer(base.as_str())
        .validate(
            body["id_token"].as_str().unwrap(),
            Some("nonce-1"),
            START.plus(10),
        )
        .unwrap();
    assert_eq!(claims.sub, USER.to_string());
    assert_eq!(claims.id, Some(USER));
    assert_eq!(claims.name.as_deref(), Some("Alice"));
    assert_eq!(claims.preferred_username.as_deref(), Some("alice"));
    // A code works once.
    let (status, body) = exchange(&http, &fixture, &code, verifier, TOKEN).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_a_late_exchange_is_refused() {
    let fixture = Fixture::start().await;
    let http = tgauth_tests::http::client();
    fixture.sandbox.approve_oidc(BOT, Some(USER)).unwrap();
    let authorization = authorize(&fixture, &http).await;
    let code = parameter(&authorization.location, "code").unwrap();
    let wrong = "w".repeat(43);
    let (status, body) = exchange(&http, &fixture, &code, &wrong, TOKEN).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );

    let authorization = authorize(&fixture, &http).await;
    let code = parameter(&authorization.location, "code").unwrap();
    fixture.clock.advance(600);
    let (status, body) = exchange(
        &http,
        &fixture,
        &code,
        authorization.verifier.dangerous_expose(),
        TOKEN,
    )
    .await;
    assert_eq!(body["error_description"], "the code expired");
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_refused_or_unchosen_login_redirects_with_an_error() {
    let fixture = Fixture::start().await;
    let http = tgauth_tests::http::client();
    // Nobody chosen and prompt=none: no consent screen may be shown (OpenID Connect Core 3.1.2.1).
    let authorization = authorize_with(&fixture, &http, "&prompt=none").await;
    assert_eq!(
        parameter(&authorization.location, "error").as_deref(),
        Some("login_required")
    );
    let (status, _) = fixture
        .control(
            Method::POST,
            &format!("bots/{BOT}/oidc"),
            Some(json!({"deny": true})),
        )
        .await;
    assert_eq!(status, 200);
    let authorization = authorize(&fixture, &http).await;
    assert_eq!(
        parameter(&authorization.location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        parameter(&authorization.location, "state").as_deref(),
        Some("state-1")
    );
    let unknown = format!(
        "{}/auth?response_type=code&client_id=9&redirect_uri={REDIRECT}&scope=openid",
        fixture.sandbox.oidc_base_url()
    );
    let response = guard(http.get(unknown).send()).await.unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn login_widgets_oidc_client_completes_the_flow() {
    use login_widget::oidc::client::{ClientSecret, OidcClient};

    let fixture = Fixture::start().await;
    fixture.sandbox.approve_oidc(BOT, Some(USER)).unwrap();
    let provider = Provider::with_base_url(&fixture.sandbox.oidc_base_url());
    let client = OidcClient::for_bot(provider, BotId(123_456), ClientSecret::new(TOKEN)).unwrap();
    let discovery = client.discovery().await.unwrap();
    assert_eq!(discovery.issuer, fixture.sandbox.oidc_base_url());
    let jwks = client.jwks().await.unwrap();
    assert_eq!(jwks, fixture.sandbox.oidc_jwks());

    let http = tgauth_tests::http::client();
    let authorization = authorize(&fixture, &http).await;
    let code = parameter(&authorization.location, "code").unwrap();
    let tokens = client
        .exchange_code(&code, REDIRECT, &authorization.verifier)
        .await
        .unwrap();
    let claims = client
        .validator(jwks)
        .validate(&tokens.id_token, Some("nonce-1"), START.plus(1))
        .unwrap();
    assert_eq!(claims.id, Some(USER));
    // The same code again is refused with the provider's answer.
    let error = client
        .exchange_code(&code, REDIRECT, &authorization.verifier)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("400"), "{error}");
}
