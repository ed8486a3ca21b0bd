//! "Log in with tgauth" against its refusals: every one a client can meet is OAuth's standard
//! error with a description (and an unknown client or redirect URI a page, never a redirect);
//! a reused code or refresh token revokes what it issued; ID tokens forged with another `alg`
//! do not verify; keys rotate with an overlap; claims are only what Telegram gave. The happy
//! path through a relying party no one here wrote is `provider_rp.rs`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tgauth::UnixTime;
use tgauth::login::oidc::{IdTokenValidator, Jwks};
use tgauth::sandbox::control::NewUser;

use super::pages::logged_in;
use super::support::{ADA, Running, START, browser, client, on_every_database};

const SHOP: &str = "shop";
const SHOP_SECRET: &str = "shop-secret-0123456789";
const SHOP_REDIRECT: &str = "https://shop.example/callback";
const APP: &str = "app";
const APP_REDIRECT: &str = "http://127.0.0.1:9/callback";
const INTRANET: &str = "intranet";
const INTRANET_SECRET: &str = "intranet-secret-0123456789";
const INTRANET_REDIRECT: &str = "https://intranet.example/oidc";

/// Three clients: a confidential one with a consent screen, a public one, a trusted one.
fn settings(extra: &str) -> String {
    format!(
        r#"
[oidc]
{extra}

[[oidc.clients]]
id = "shop"
name = "The Shop"
secret_hash = "sha256:ea187699ef5e67a7b03b57c81411a5c50cf8efabd20d540a20d732447deee030"
redirect_uris = ["https://shop.example/callback"]
post_logout_redirect_uris = ["https://shop.example/bye"]

[[oidc.clients]]
id = "app"
public = true
redirect_uris = ["http://127.0.0.1:9/callback"]

[[oidc.clients]]
id = "intranet"
trusted = true
secret_hash = "214758dff671d39fdbb6804210136e7769ca0424ce49c7417c42897eadcb2bb6"
redirect_uris = ["https://intranet.example/oidc"]
"#
    )
}

async fn start(database: Option<String>, extra: &str) -> Running {
    let running = Running::start_with(database, &settings(extra)).await;
    running
        .sandbox
        .create_user(NewUser {
            last_name: Some("Lovelace".to_owned()),
            username: Some("ada".to_owned()),
            ..NewUser::new(ADA, "Ada")
        })
        .unwrap();
    running
}

/// A PKCE pair: the verifier and its S256 challenge.
fn pkce(seed: &str) -> (String, String) {
    use base64::Engine as _;
    let verifier = format!("{seed:-<50}");
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    (verifier, challenge)
}

fn query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `GET /oauth2/authorize` in `browser`: the status and the `Location`, if any.
async fn authorize(
    running: &Running,
    browser: &reqwest::Client,
    pairs: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let response = browser
        .get(running.url(&format!("/oauth2/authorize?{}", query(pairs))))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

/// The query parameter `name` of a URL.
fn parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A code for the trusted intranet client (no consent screen), with `verifier`'s challenge.
async fn intranet_code(running: &Running, browser: &reqwest::Client, challenge: &str) -> String {
    let (status, location, body) = authorize(
        running,
        browser,
        &[
            ("response_type", "code"),
            ("client_id", INTRANET),
            ("redirect_uri", INTRANET_REDIRECT),
            ("scope", "openid profile"),
            ("state", "s-1"),
            ("nonce", "n-1"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.unwrap();
    assert!(location.starts_with(INTRANET_REDIRECT), "{location}");
    assert_eq!(parameter(&location, "state").as_deref(), Some("s-1"));
    parameter(&location, "code").unwrap()
}

/// `POST /oauth2/token` with `form`, authenticated with HTTP Basic when `basic` is given.
async fn token(
    running: &Running,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, Value, Option<String>) {
    let mut request = client().post(running.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        challenge,
    )
}

async fn exchange(running: &Running, code: &str, verifier: &str) -> (StatusCode, Value) {
    let (status, body, _) = token(
        running,
        Some((INTRANET, INTRANET_SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", INTRANET_REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    (status, body)
}

async fn refresh(running: &Running, refresh_token: &str) -> (StatusCode, Value) {
    let (status, body, _) = token(
        running,
        Some((INTRANET, INTRANET_SECRET)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    (status, body)
}

async fn userinfo(running: &Running, access_token: &str) -> (StatusCode, Value) {
    let response = client()
        .get(running.url("/oauth2/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, error: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_at_authorize_is_a_page_or_the_standard_error_back_to_the_client() {
    let running = start(None, "").await;
    let anonymous = browser();
    let (_, challenge) = pkce("refusals");
    let base = |client_id: &'static str, redirect: &'static str| {
        vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "openid profile"),
            ("state", "xyz"),
        ]
    };

    // Unknown client, wrong redirect URI: a page for the person, no redirect.
    let (status, location, page) =
        authorize(&running, &anonymous, &base("nobody", SHOP_REDIRECT)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(location.is_none());
    assert!(page.contains("not registered here"), "{page}");
    let (status, location, page) = authorize(
        &running,
        &anonymous,
        &base(SHOP, "https://evil.example/callback"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        location.is_none(),
        "never redirected to an unregistered URI"
    );
    assert!(page.contains("did not register"), "{page}");

    // Known client and URI: the standard error back to the client, with its state.
    let back = |location: Option<String>, error: &str| {
        let location = location.unwrap();
        assert!(
            location.starts_with(SHOP_REDIRECT) || location.starts_with(APP_REDIRECT),
            "{location}"
        );
        assert_eq!(
            parameter(&location, "error").as_deref(),
            Some(error),
            "{location}"
        );
        assert_eq!(
            parameter(&location, "state").as_deref(),
            Some("xyz"),
            "{location}"
        );
        assert!(
            parameter(&location, "error_description").is_some(),
            "{location}"
        );
    };
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs[0] = ("response_type", "token");
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "unsupported_response_type",
    );
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs[3] = ("scope", "profile");
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "invalid_scope",
    );
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs[3] = ("scope", "openid admin");
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "invalid_scope",
    );
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs.push(("response_mode", "fragment"));
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "invalid_request",
    );
    // A public client must use PKCE, and only S256.
    back(
        authorize(&running, &anonymous, &base(APP, APP_REDIRECT))
            .await
            .1,
        "invalid_request",
    );
    let mut pairs = base(APP, APP_REDIRECT);
    pairs.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "plain"),
    ]);
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "invalid_request",
    );
    // Nobody logged in: prompt=none says so; otherwise the login page, then back here.
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs.push(("prompt", "none"));
    back(
        authorize(&running, &anonymous, &pairs).await.1,
        "login_required",
    );
    let (status, location, _) = authorize(&running, &anonymous, &base(SHOP, SHOP_REDIRECT)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let next = parameter(&location, "next").unwrap();
    assert!(location.starts_with("/login?next="), "{location}");
    assert!(
        next.starts_with("/oauth2/authorize?") && next.contains("client_id=shop"),
        "{next}"
    );

    // Logged in: the consent page names the client and the claims; Deny is access_denied.
    let ada = logged_in(&running, ADA).await;
    let consent_page = ada
        .get(running.url(&format!(
            "/oauth2/authorize?{}",
            query(&base(SHOP, SHOP_REDIRECT))
        )))
        .send()
        .await
        .unwrap();
    // Allow posts here and is redirected to the client: the browser must let the form go there.
    let policy = consent_page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("form-action 'self' https://shop.example;"),
        "{policy}"
    );
    let (status, _, page) = authorize(&running, &ada, &base(SHOP, SHOP_REDIRECT)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("The Shop wants to log you in"), "{page}");
    assert!(
        page.contains("Your Telegram name, username and photo"),
        "{page}"
    );
    let mut pairs = base(SHOP, SHOP_REDIRECT);
    pairs.push(("prompt", "none"));
    back(
        authorize(&running, &ada, &pairs).await.1,
        "consent_required",
    );
    let request = query(&base(SHOP, SHOP_REDIRECT));
    let deny = ada
        .post(running.url("/oauth2/authorize"))
        .header("origin", &running.url)
        .form(&[("request", request.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    back(
        deny.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned()),
        "access_denied",
    );
    // The consent form refuses other sites.
    let forged = ada
        .post(running.url("/oauth2/authorize"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("request", request.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // Allow: a code, the state and the issuer.
    let allow = ada
        .post(running.url("/oauth2/authorize"))
        .header("origin", &running.url)
        .form(&[("request", request.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let location = allow.headers()["location"].to_str().unwrap().to_owned();
    assert!(parameter(&location, "code").is_some(), "{location}");
    assert_eq!(
        parameter(&location, "iss").as_deref(),
        Some(running.url.as_str())
    );
    // Granted once, not asked again for the same scopes.
    let (status, location, _) = authorize(&running, &ada, &base(SHOP, SHOP_REDIRECT)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(parameter(&location.unwrap(), "code").is_some());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_at_the_token_and_userinfo_endpoints_is_the_standard_error() {
    let running = start(None, "").await;
    let ada = logged_in(&running, ADA).await;
    let (verifier, challenge) = pkce("token-refusals");
    let code = intranet_code(&running, &ada, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", INTRANET_REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];

    let (status, body, challenge_header) = token(&running, Some((INTRANET, "wrong")), &form).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(challenge_header.is_some_and(|h| h.starts_with("Basic")));
    let (status, body, _) = token(&running, Some(("nobody", "x")), &form).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    let (status, body, _) = token(
        &running,
        None,
        &[&form[..], &[("client_id", INTRANET)]].concat(),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    let (status, body, _) = token(
        &running,
        Some((INTRANET, INTRANET_SECRET)),
        &[("grant_type", "password")],
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    );
    let (status, body, _) = token(&running, Some((SHOP, SHOP_SECRET)), &form).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        body["error_description"],
        "the code was issued to another client"
    );

    // A wrong PKCE verifier (the code is spent: a code is tried once).
    let code = intranet_code(&running, &ada, &challenge).await;
    let (status, body) = exchange(&running, &code, &pkce("someone-else").0).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("PKCE"));
    // Another redirect URI than the authorization request's.
    let code = intranet_code(&running, &ada, &challenge).await;
    let (status, body, _) = token(
        &running,
        Some((INTRANET, INTRANET_SECRET)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://intranet.example/other"),
            ("code_verifier", verifier.as_str()),
        ],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    // An expired code (five minutes).
    let code = intranet_code(&running, &ada, &challenge).await;
    running.clock.advance(301);
    let (status, body) = exchange(&running, &code, &verifier).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // A repeated parameter.
    let (status, body, _) = token(
        &running,
        Some((INTRANET, INTRANET_SECRET)),
        &[
            ("grant_type", "refresh_token"),
            ("grant_type", "refresh_token"),
        ],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request");

    // A single-page app's preflight for userinfo with a Bearer header.
    let preflight = client()
        .request(reqwest::Method::OPTIONS, running.url("/oauth2/userinfo"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    let response = client()
        .get(running.url("/oauth2/userinfo"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    running.stop().await;
}

on_every_database!(
    a_reused_code_revokes_every_token_issued_from_it,
    a_reused_refresh_token_revokes_its_family,
);

async fn a_reused_code_revokes_every_token_issued_from_it(running: Running) {
    let running = restart_with_clients(running).await;
    let ada = logged_in(&running, ADA).await;
    let (verifier, challenge) = pkce("reuse");
    let code = intranet_code(&running, &ada, &challenge).await;
    let (status, tokens) = exchange(&running, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, claims) = userinfo(&running, access).await;
    assert_eq!(status, StatusCode::OK, "{claims}");
    assert_eq!(claims["sub"], ADA.to_string());

    let (status, body) = exchange(&running, &code, &verifier).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(userinfo(&running, access).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = refresh(&running, refresh_token).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    running.stop().await;
}

async fn a_reused_refresh_token_revokes_its_family(running: Running) {
    let running = restart_with_clients(running).await;
    let ada = logged_in(&running, ADA).await;
    let (verifier, challenge) = pkce("refresh-reuse");
    let code = intranet_code(&running, &ada, &challenge).await;
    let (_, first) = exchange(&running, &code, &verifier).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&running, r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "refresh tokens rotate");
    assert!(second["id_token"].as_str().is_some());
    let a2 = second["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&running, a2).await.0, StatusCode::OK);

    // The first refresh token again: someone has a copy. The whole login is revoked.
    let (status, body) = refresh(&running, r1).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(userinfo(&running, a2).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = refresh(&running, r2).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    // Another login of the same person is untouched.
    let code = intranet_code(&running, &ada, &challenge).await;
    let (status, other) = exchange(&running, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_eq!(
        userinfo(&running, other["access_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::OK
    );
    running.stop().await;
}

/// `on_every_database!` starts a service without clients: the same service with them.
async fn restart_with_clients(running: Running) -> Running {
    let running = running.restart_with(&settings("")).await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    running
}

async fn jwks(running: &Running) -> Jwks {
    client()
        .get(running.url("/oauth2/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An ID token for Ada from the intranet client.
async fn id_token(running: &Running) -> String {
    let ada = logged_in(running, ADA).await;
    let (verifier, challenge) = pkce("id-token");
    let code = intranet_code(running, &ada, &challenge).await;
    let (status, tokens) = exchange(running, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens["id_token"].as_str().unwrap().to_owned()
}

fn validator(running: &Running, jwks: Jwks) -> IdTokenValidator {
    issued_by(&running.url, jwks)
}

fn issued_by(issuer: &str, jwks: Jwks) -> IdTokenValidator {
    IdTokenValidator::new(jwks, INTRANET).with_issuer(issuer)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_forged_with_another_alg_do_not_verify() {
    let running = start(None, "").await;
    let token = id_token(&running).await;
    let keys = jwks(&running).await;
    let validator = validator(&running, keys.clone());
    let claims = validator
        .validate(&token, Some("n-1"), UnixTime(START))
        .unwrap();
    assert_eq!(claims.sub, ADA.to_string());

    let mut parts = token.split('.');
    let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());
    let header: Value = {
        use base64::Engine as _;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap()
    };
    let kid = header["kid"].as_str().unwrap();
    assert_eq!(header["alg"], "ES256");
    // The public key as an HMAC secret (the classic confusion), `none`, and another family.
    let public = serde_json::to_vec(&keys.keys[0]).unwrap();
    let forge = |alg: &str, signature: &[u8]| {
        let header = b64(json!({"alg": alg, "kid": kid, "typ": "JWT"})
            .to_string()
            .as_bytes());
        format!("{header}.{payload}.{}", b64(signature))
    };
    let hmac = |message: &str| {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public);
        ring::hmac::sign(&key, message.as_bytes()).as_ref().to_vec()
    };
    let unsigned = forge("HS256", b"");
    let signing_input = unsigned.rsplit_once('.').unwrap().0.to_owned();
    for forged in [
        format!("{signing_input}.{}", b64(&hmac(&signing_input))),
        forge("none", b""),
        forge("RS256", &[7u8; 256]),
        forge("EdDSA", &[7u8; 64]),
    ] {
        assert!(
            validator
                .validate(&forged, Some("n-1"), UnixTime(START))
                .is_err(),
            "a forged token verified: {forged}"
        );
    }
    // The real signature over other claims.
    let mut claims_json: Value = {
        use base64::Engine as _;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    claims_json["sub"] = json!("1");
    let signature = token.rsplit('.').next().unwrap();
    let tampered = format!(
        "{}.{}.{signature}",
        token.split('.').next().unwrap(),
        b64(claims_json.to_string().as_bytes())
    );
    assert!(
        validator
            .validate(&tampered, Some("n-1"), UnixTime(START))
            .is_err()
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_and_the_old_key_stays_published_for_the_overlap() {
    let extra = "key_rotation_days = 1";
    let running = start(None, extra).await;
    let first = id_token(&running).await;
    // A restart listens on another port: the first token's issuer is this one.
    let first_issuer = running.url.clone();
    let before = jwks(&running).await;
    assert_eq!(before.keys.len(), 1);
    let old_kid = before.keys[0].kid.clone().unwrap();

    // A day later the service starts with a new key; the old one is still published.
    running.clock.advance(86_401);
    let running = running.restart_with(&settings(extra)).await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let during = jwks(&running).await;
    let kids: Vec<String> = during.keys.iter().filter_map(|k| k.kid.clone()).collect();
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert!(kids.contains(&old_kid));
    // What the old key signed verifies against the JWKS of the overlap.
    issued_by(&first_issuer, during.clone())
        .validate(&first, Some("n-1"), UnixTime(START))
        .expect("the old key still verifies during the overlap");
    let second = id_token(&running).await;
    let new_kid = kids.iter().find(|kid| **kid != old_kid).unwrap().clone();
    assert!(
        kid_of(&second) == new_kid,
        "new tokens are signed with the new key"
    );
    validator(&running, during)
        .validate(&second, Some("n-1"), tgauth::Clock::now(&running.clock))
        .unwrap();

    // After the overlap the old key is gone, and what it signed no longer verifies.
    running.clock.advance(86_401);
    let running = running.restart_with(&settings(extra)).await;
    let after = jwks(&running).await;
    assert!(
        after
            .keys
            .iter()
            .all(|key| key.kid.as_deref() != Some(old_kid.as_str()))
    );
    assert!(
        issued_by(&first_issuer, after)
            .validate(&first, Some("n-1"), UnixTime(START))
            .is_err()
    );
    running.stop().await;
}

fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_and_eddsa_keys_sign_tokens_that_verify() {
    for alg in ["RS256", "EdDSA"] {
        let running = start(None, &format!("signing_alg = \"{alg}\"")).await;
        let token = id_token(&running).await;
        let keys = jwks(&running).await;
        assert_eq!(keys.keys[0].alg.as_deref(), Some(alg));
        let claims = validator(&running, keys)
            .validate(&token, Some("n-1"), UnixTime(START))
            .unwrap();
        assert_eq!(claims.sub, ADA.to_string());
        running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_only_what_telegram_gave_and_pairwise_subjects_differ_per_client() {
    let running = start(None, "subject_type = \"pairwise\"").await;
    let ada = logged_in(&running, ADA).await;
    let (verifier, challenge) = pkce("claims");
    let (status, location, _) = authorize(
        &running,
        &ada,
        &[
            ("response_type", "code"),
            ("client_id", INTRANET),
            ("redirect_uri", INTRANET_REDIRECT),
            ("scope", "openid profile phone email passport"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let code = parameter(&location.unwrap(), "code").unwrap();
    let (_, tokens) = exchange(&running, &code, &verifier).await;
    let (_, claims) = userinfo(&running, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["name"], "Ada Lovelace");
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["preferred_username"], "ada");
    assert_eq!(claims["telegram_id"], ADA);
    assert_eq!(claims["telegram_bot_linked"], false);
    assert_eq!(claims["passport_verified"], false);
    for invented in ["email", "email_verified", "phone_number", "birthdate"] {
        assert!(
            claims.get(invented).is_none(),
            "{invented} without a Passport: {claims}"
        );
    }
    // Pairwise: not the Telegram id, and another client sees another subject.
    let intranet_sub = claims["sub"].as_str().unwrap().to_owned();
    assert_ne!(intranet_sub, ADA.to_string());
    let request = query(&[
        ("response_type", "code"),
        ("client_id", SHOP),
        ("redirect_uri", SHOP_REDIRECT),
        ("scope", "openid"),
    ]);
    let allow = ada
        .post(running.url("/oauth2/authorize"))
        .header("origin", &running.url)
        .form(&[("request", request.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    let code = parameter(allow.headers()["location"].to_str().unwrap(), "code").unwrap();
    let (status, shop, _) = token(
        &running,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", SHOP_REDIRECT),
            ("client_id", SHOP),
            ("client_secret", SHOP_SECRET),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "client_secret_post: {shop}");
    let (_, shop_claims) = userinfo(&running, shop["access_token"].as_str().unwrap()).await;
    assert_ne!(shop_claims["sub"], intranet_sub);
    assert!(
        shop_claims.get("name").is_none(),
        "no profile scope, no profile claims"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passport_verified_claims_come_from_a_received_passport_and_are_audited() {
    use tgauth::sandbox::passport::PassportSubmission;
    let running = start(None, "").await;
    let account = format!("telegram:{ADA}");
    running.link(&account, ADA).await;
    let (status, request) = running
        .api(
            reqwest::Method::POST,
            "/api/v1/passport/requests",
            Some(json!({"user": account, "scope": {"v": 1, "data": [
                "personal_details", "phone_number", "email"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let submission: PassportSubmission = serde_json::from_value(json!({
        "user_id": ADA,
        "nonce": request["nonce"],
        "elements": [
            {"type": "personal_details", "data": {"first_name": "Augusta", "last_name": "King",
              "birth_date": "10.12.1815", "gender": "female", "country_code": "GB",
              "residence_country_code": "GB"}},
            {"type": "phone_number", "phone_number": "447700900123"},
            {"type": "email", "email": "ada@example.org"},
        ],
    }))
    .unwrap();
    running
        .sandbox
        .submit_passport(super::support::BOT, submission)
        .unwrap();
    let path = format!(
        "/api/v1/passport/requests/{}",
        request["id"].as_str().unwrap()
    );
    for _ in 0..200 {
        let (_, body) = running.api(reqwest::Method::GET, &path, None).await;
        if body["status"] == "received" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let ada = logged_in(&running, ADA).await;
    let (verifier, challenge) = pkce("passport-claims");
    let (_, location, _) = authorize(
        &running,
        &ada,
        &[
            ("response_type", "code"),
            ("client_id", INTRANET),
            ("redirect_uri", INTRANET_REDIRECT),
            ("scope", "openid profile phone email passport"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let code = parameter(&location.unwrap(), "code").unwrap();
    let (_, tokens) = exchange(&running, &code, &verifier).await;
    let (_, claims) = userinfo(&running, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], ADA.to_string());
    assert_eq!(claims["phone_number"], "+447700900123");
    assert_eq!(claims["phone_number_verified"], true);
    assert_eq!(claims["email"], "ada@example.org");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["passport_verified"], true);
    assert_eq!(claims["passport_given_name"], "Augusta");
    assert_eq!(claims["passport_family_name"], "King");
    assert_eq!(claims["birthdate"], "1815-12-10");
    assert_eq!(claims["telegram_bot_linked"], true);
    // The Telegram name stays the Telegram name.
    assert_eq!(claims["given_name"], "Ada");
    let (_, audit) = running
        .api(reqwest::Method::GET, &format!("{path}/audit"), None)
        .await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["actor"] == "oidc:intranet"),
        "{audit}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_data_key_leaves_the_old_signing_key_out_instead_of_stopping_the_service() {
    let running = start(None, "").await;
    let before = jwks(&running).await;
    let old_kid = before.keys[0].kid.clone().unwrap();
    // The operator replaces the data key: the sealed signing key no longer opens.
    std::fs::write(running.data_dir().join("data.key"), "11".repeat(32)).unwrap();
    let running = running.restart_with(&settings("")).await;
    running
        .sandbox
        .create_user(NewUser::new(ADA, "Ada"))
        .unwrap();
    let after = jwks(&running).await;
    assert_eq!(after.keys.len(), 1);
    assert_ne!(after.keys[0].kid.as_deref(), Some(old_kid.as_str()));
    let token = id_token(&running).await;
    assert_eq!(kid_of(&token), after.keys[0].kid.clone().unwrap());
    validator(&running, after)
        .validate(&token, Some("n-1"), tgauth::Clock::now(&running.clock))
        .unwrap();
    running.stop().await;
}
