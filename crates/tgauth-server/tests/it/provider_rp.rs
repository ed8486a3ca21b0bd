//! A relying party no one here wrote logs in with tgauth: the `openidconnect` crate, against
//! `serve --sandbox` over loopback, with the person's side (the Telegram login at tgauth and
//! the consent page) played by a browser. Discovery, the code flow with PKCE S256 and a nonce,
//! the ID token verified against the JWKS, userinfo, refresh with rotation and reuse
//! detection, revocation (RFC 7009) and RP-initiated logout, for a confidential client
//! (`client_secret_basic`, then `client_secret_post`) and a public one (`none`).

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::url::Url;
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, AdditionalProviderMetadata, AuthType,
    AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IdToken,
    IdTokenFields, IdTokenVerifier, IssuerUrl, LogoutProviderMetadata, LogoutRequest, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadata, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, SubjectIdentifier, TokenResponse as _,
    UserInfoClaims, UserInfoError,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tgauth::Clock as _;
use tgauth::sandbox::control::NewUser;

use super::support::{ADA, BOT, Running, browser, on_every_database};

on_every_database!(
    a_confidential_client_logs_in_refreshes_and_revokes,
    a_public_client_logs_in_refreshes_and_revokes,
);

/// The confidential client's secret (the configuration holds only its SHA-256).
const SECRET: &str = "grafana-secret-of-the-tests-0123456789";
const CONFIDENTIAL: &str = "grafana";
const CONFIDENTIAL_CALLBACK: &str = "http://127.0.0.1:3000/login/generic_oauth";
const CONFIDENTIAL_LOGGED_OUT: &str = "http://127.0.0.1:3000/logged-out";
const PUBLIC: &str = "desktop-app";
const PUBLIC_CALLBACK: &str = "http://127.0.0.1:8400/callback";
const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// The service's configuration: both clients, neither trusted (so the person consents once).
fn settings() -> String {
    let hash = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        SECRET.as_bytes(),
    ));
    format!(
        r#"
[[oidc.clients]]
id = "{CONFIDENTIAL}"
name = "Grafana"
secret_hash = "sha256:{hash}"
redirect_uris = ["{CONFIDENTIAL_CALLBACK}"]
post_logout_redirect_uris = ["{CONFIDENTIAL_LOGGED_OUT}"]

[[oidc.clients]]
id = "{PUBLIC}"
name = "Desktop app"
public = true
redirect_uris = ["{PUBLIC_CALLBACK}"]
"#
    )
}

/// The claims tgauth adds to the standard ones, as a relying party declares them.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TelegramClaims {
    telegram_id: Option<i64>,
    telegram_bot_linked: Option<bool>,
}

impl AdditionalClaims for TelegramClaims {}

/// Discovery's `revocation_endpoint` (RFC 8414), which the core metadata type leaves out.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RevocationMetadata {
    revocation_endpoint: String,
}

impl AdditionalProviderMetadata for RevocationMetadata {}

/// Discovery with `end_session_endpoint` and `revocation_endpoint`.
type Metadata = ProviderMetadata<
    LogoutProviderMetadata<RevocationMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type TelegramIdTokenFields = IdTokenFields<
    TelegramClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type TelegramTokenResponse = StandardTokenResponse<TelegramIdTokenFields, CoreTokenType>;
type TelegramIdToken = IdToken<
    TelegramClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// openidconnect's `CoreClient` with tgauth's claims, from discovery, with the revocation URL.
type RelyingParty = Client<
    TelegramClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TelegramTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// openidconnect's HTTP client: the workspace's reqwest (0.13, rustls) adapted to oauth2's
/// `HttpRequest`/`HttpResponse`; no redirect followed (an RP must not follow them).
///
/// It also stands in for the TLS proxy a deployment has in front of the service: oauth2
/// refuses a revocation endpoint that is not https (RFC 7009 §2, `InsecureUrl`), while
/// `serve --sandbox` speaks plain HTTP on loopback, so the RP is given the revocation URL as
/// https and an https request to a loopback address goes out as http.
async fn relay(
    http: reqwest::Client,
    mut request: HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let uri = request.uri();
    if uri.scheme() == Some(&openidconnect::http::uri::Scheme::HTTPS)
        && uri.host() == Some("127.0.0.1")
    {
        let mut parts = uri.clone().into_parts();
        parts.scheme = Some(openidconnect::http::uri::Scheme::HTTP);
        *request.uri_mut() = openidconnect::http::Uri::from_parts(parts).unwrap();
    }
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let mut answer = HttpResponse::new(Vec::new());
    *answer.status_mut() = response.status();
    *answer.version_mut() = response.version();
    *answer.headers_mut() = response.headers().clone();
    *answer.body_mut() = response.bytes().await?.to_vec();
    Ok(answer)
}

fn relying_party_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Which client the relying party is.
struct Registration {
    id: &'static str,
    secret: Option<&'static str>,
    callback: &'static str,
    /// Seeds the RP's `state`, nonce and PKCE verifier (the tests use no random values).
    seed: &'static str,
}

/// The `state`, nonce and PKCE verifier of the `round`-th login of `registration`.
fn login_secrets(registration: &Registration, round: u32) -> (CsrfToken, Nonce, PkceCodeVerifier) {
    let seed = format!("{}-{round}", registration.seed);
    // RFC 7636: a verifier is 43 to 128 unreserved characters.
    let verifier = format!("{seed}-verifier-{}", "v".repeat(48));
    (
        CsrfToken::new(format!("{seed}-state")),
        Nonce::new(format!("{seed}-nonce")),
        PkceCodeVerifier::new(verifier),
    )
}

/// A relying party set up as its documentation says: discovery, then the client from it.
async fn discover(
    running: &Running,
    registration: &Registration,
    http: &reqwest::Client,
) -> (Metadata, RelyingParty) {
    let call = |request| relay(http.clone(), request);
    let issuer = IssuerUrl::new(running.url.clone()).unwrap();
    let metadata = Metadata::discover_async(issuer, &call)
        .await
        .expect("discovery and the JWKS are accepted");
    assert_eq!(metadata.issuer().as_str(), running.url);
    assert!(
        metadata
            .id_token_signing_alg_values_supported()
            .contains(&CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        "{:?}",
        metadata.id_token_signing_alg_values_supported()
    );
    assert!(!metadata.jwks().keys().is_empty());
    let revocation = metadata
        .additional_metadata()
        .additional_metadata
        .revocation_endpoint
        .clone();
    assert_eq!(revocation, running.url("/oauth2/revoke"));
    let client: RelyingParty = Client::from_provider_metadata(
        metadata.clone(),
        ClientId::new(registration.id.to_owned()),
        registration
            .secret
            .map(|secret| ClientSecret::new(secret.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(registration.callback.to_owned()).unwrap())
    .set_revocation_url(RevocationUrl::from_url(behind_tls(&revocation)));
    (metadata, client)
}

/// `url` as a deployment behind TLS publishes it (see [`relay`]).
fn behind_tls(url: &str) -> Url {
    let mut url = Url::parse(url).unwrap();
    url.set_scheme("https").unwrap();
    url
}

/// The authorization URL of a login: the code flow, scope `profile`, PKCE S256 and a nonce.
fn authorization_url(
    client: &RelyingParty,
    registration: &Registration,
    round: u32,
) -> (Url, CsrfToken, Nonce, PkceCodeVerifier) {
    let (state, nonce, verifier) = login_secrets(registration, round);
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || state,
            move || nonce,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    (url, state, nonce, verifier)
}

/// Where a redirect goes, resolved against the service's URL.
fn location(running: &Running, response: &reqwest::Response) -> Url {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    let location = response.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap();
    Url::parse(&running.url).unwrap().join(location).unwrap()
}

fn parameter(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The person's first login through the client: sent to tgauth's login page, logged in with
/// the Login Widget (the sandbox plays Telegram), sent back to the authorization request, shown
/// the consent page, and allowing it. The redirect back to the client.
async fn first_login(
    running: &Running,
    browser: &reqwest::Client,
    url: &Url,
    client_name: &str,
) -> Url {
    let response = browser.get(url.as_str()).send().await.unwrap();
    let login = location(running, &response);
    assert_eq!(login.path(), "/login", "{login}");
    let next = parameter(&login, "next").expect("the login page comes back to the request");
    assert!(next.starts_with("/oauth2/authorize?"), "{next}");
    let response = browser
        .get(login.as_str())
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // The Login Widget sends its signed fields to the auth URL the login page gave it.
    let widget = running.sandbox.login_widget(BOT, ADA).unwrap();
    let encoded_next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let response = browser
        .get(running.url(&format!(
            "/auth/telegram/widget?next={encoded_next}&{}",
            widget.query
        )))
        .send()
        .await
        .unwrap();
    let back = location(running, &response);
    assert_eq!(back.path(), "/oauth2/authorize");
    assert_eq!(
        back.query(),
        url.query(),
        "the login comes back to the request"
    );

    let response = browser
        .get(back.as_str())
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let (request, claims) = consent_form(&page);
    assert!(
        page.contains(&format!("{client_name} wants to log you in")),
        "{page}"
    );
    assert!(
        claims
            .iter()
            .any(|line| line.contains("Telegram name, username and photo")),
        "the page names what profile gives: {claims:?}"
    );

    let response = browser
        .post(running.url("/oauth2/authorize"))
        .header("accept", HTML)
        .header("origin", &running.url)
        .form(&[("request", request.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    location(running, &response)
}

/// The consent page's hidden `request` and the claims it lists, read as a browser would.
fn consent_form(page: &str) -> (String, Vec<String>) {
    let html = scraper::Html::parse_document(page);
    let form = scraper::Selector::parse(
        "form[method=post][action='/oauth2/authorize'] input[type=hidden][name=request]",
    )
    .unwrap();
    let allow = scraper::Selector::parse("button[name=decision][value=allow]").unwrap();
    assert!(html.select(&allow).next().is_some(), "{page}");
    let request = html
        .select(&form)
        .next()
        .and_then(|input| input.value().attr("value"))
        .unwrap_or_else(|| panic!("the consent page has the form: {page}"))
        .to_owned();
    let lines = scraper::Selector::parse("ul.claims li").unwrap();
    let claims = html
        .select(&lines)
        .map(|line| line.text().collect::<String>())
        .collect();
    (request, claims)
}

/// The `round`-th login of the same person: consent was given, so the client gets its code at
/// once and exchanges it; the tokens, their ID token checked.
async fn later_login(
    running: &Running,
    browser: &reqwest::Client,
    client: &RelyingParty,
    registration: &Registration,
    round: u32,
) -> TelegramTokenResponse {
    let (url, state, nonce, verifier) = authorization_url(client, registration, round);
    let response = browser.get(url.as_str()).send().await.unwrap();
    let back = location(running, &response);
    let code = code_of(running, &back, registration, &state);
    let http = relying_party_http();
    let call = |request| relay(http.clone(), request);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&call)
        .await
        .expect("the code exchange is accepted");
    check_id_token(
        client,
        running,
        tokens.id_token().expect("an ID token"),
        Some(&nonce),
        tokens.access_token(),
        registration,
    );
    tokens
}

/// The code of a redirect back to the client, after checking what came with it.
fn code_of(
    running: &Running,
    back: &Url,
    registration: &Registration,
    state: &CsrfToken,
) -> String {
    assert!(
        back.as_str().starts_with(registration.callback),
        "back at the client: {back}"
    );
    assert_eq!(parameter(back, "error"), None, "{back}");
    assert_eq!(
        parameter(back, "state").as_deref(),
        Some(state.secret().as_str()),
        "state is echoed"
    );
    // RFC 9207: the redirect names the issuer (openidconnect leaves this check to the RP).
    assert_eq!(
        parameter(back, "iss").as_deref(),
        Some(running.url.as_str())
    );
    parameter(back, "code").expect("a code")
}

/// openidconnect's ID token verifier on the service's clock (its default is the wall clock).
fn verifier<'a>(
    client: &'a RelyingParty,
    running: &Running,
) -> IdTokenVerifier<'a, CoreJsonWebKey> {
    let clock = running.clock.clone();
    client
        .id_token_verifier()
        .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now().as_secs(), 0).unwrap())
}

/// Checks an ID token as the RP validates it: signature against the JWKS (ES256), issuer,
/// audience, expiry, nonce (`Some` for a code exchange; a refreshed token must have none), and
/// `at_hash` when present; then tgauth's claims for Ada.
fn check_id_token(
    client: &RelyingParty,
    running: &Running,
    id_token: &TelegramIdToken,
    nonce: Option<&Nonce>,
    access_token: &AccessToken,
    registration: &Registration,
) {
    let verifier = verifier(client, running);
    let claims = match nonce {
        Some(nonce) => id_token.claims(&verifier, nonce),
        None => id_token.claims(&verifier, |nonce: Option<&Nonce>| match nonce {
            None => Ok(()),
            Some(_) => Err("a refreshed ID token carries no nonce".to_owned()),
        }),
    }
    .expect("openidconnect accepts the ID token");
    assert_eq!(
        id_token.signing_alg().unwrap(),
        &CoreJwsSigningAlgorithm::EcdsaP256Sha256
    );
    if let Some(expected) = claims.access_token_hash() {
        let computed = AccessTokenHash::from_token(
            access_token,
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(computed, *expected, "at_hash matches the access token");
    }
    assert_eq!(claims.issuer().as_str(), running.url);
    assert_eq!(claims.audiences().len(), 1);
    assert_eq!(claims.audiences()[0].as_str(), registration.id);
    assert_eq!(claims.subject().as_str(), ADA.to_string());
    assert_eq!(claims.issue_time().timestamp(), super::support::START);
    assert!(claims.auth_time().is_some());
    assert_ada(
        claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        claims.preferred_username().map(|name| name.as_str()),
        claims.additional_claims(),
    );
    // Nothing made up: no address, no phone without Passport.
    assert!(claims.email().is_none());
    assert!(claims.phone_number().is_none());
}

fn assert_ada(name: Option<&str>, username: Option<&str>, telegram: &TelegramClaims) {
    assert_eq!(name, Some("Ada Lovelace"));
    assert_eq!(username, Some("ada"));
    assert_eq!(telegram.telegram_id, Some(ADA));
    assert_eq!(telegram.telegram_bot_linked, Some(false));
}

/// Userinfo with `access_token`, as openidconnect asks it (checking `sub` is `subject`).
async fn userinfo(
    client: &RelyingParty,
    http: &reqwest::Client,
    access_token: &AccessToken,
    subject: Option<SubjectIdentifier>,
) -> Result<UserInfoClaims<TelegramClaims, CoreGenderClaim>, UserInfoError<reqwest::Error>> {
    let call = |request| relay(http.clone(), request);
    client
        .user_info(access_token.clone(), subject)
        .unwrap()
        .request_async(&call)
        .await
}

/// Asserts userinfo refuses `access_token` with 401.
async fn assert_userinfo_refused(
    client: &RelyingParty,
    http: &reqwest::Client,
    access_token: &AccessToken,
) {
    match userinfo(client, http, access_token, None).await {
        Err(UserInfoError::Response(status, body, _)) => {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], "invalid_token", "{body}");
        }
        other => panic!("userinfo must refuse the token: {other:?}"),
    }
}

/// A refresh through openidconnect.
async fn refresh(
    client: &RelyingParty,
    http: &reqwest::Client,
    refresh_token: &RefreshToken,
) -> Result<
    TelegramTokenResponse,
    RequestTokenError<reqwest::Error, StandardErrorResponse<CoreErrorResponseType>>,
> {
    let call = |request| relay(http.clone(), request);
    client
        .exchange_refresh_token(refresh_token)
        .unwrap()
        .request_async(&call)
        .await
}

/// Asserts the token endpoint answered `invalid_grant`.
fn assert_invalid_grant<T: std::fmt::Debug>(
    result: Result<
        T,
        RequestTokenError<reqwest::Error, StandardErrorResponse<CoreErrorResponseType>>,
    >,
) {
    match result {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(*error.error(), CoreErrorResponseType::InvalidGrant);
            assert!(error.error_description().is_some());
        }
        other => panic!("expected invalid_grant: {other:?}"),
    }
}

/// The whole life of a relying party's logins for `registration`.
async fn relying_party_lifecycle(running: Running, registration: Registration, client_name: &str) {
    let running = running.restart_with(&settings()).await;
    running
        .sandbox
        .create_user(NewUser {
            last_name: Some("Lovelace".to_owned()),
            username: Some("ada".to_owned()),
            ..NewUser::new(ADA, "Ada")
        })
        .unwrap();
    let http = relying_party_http();
    let call = |request| relay(http.clone(), request);
    let (metadata, client) = discover(&running, &registration, &http).await;

    // The first login: login page, widget, consent, code.
    let browser = browser();
    let (url, state, nonce, verifier) = authorization_url(&client, &registration, 1);
    assert_eq!(url.path(), "/oauth2/authorize");
    assert_eq!(
        parameter(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let back = first_login(&running, &browser, &url, client_name).await;
    let code = code_of(&running, &back, &registration, &state);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&call)
        .await
        .expect("the code exchange is accepted");
    assert_eq!(*tokens.token_type(), CoreTokenType::Bearer);
    let id_token = tokens.id_token().expect("an ID token");
    check_id_token(
        &client,
        &running,
        id_token,
        Some(&nonce),
        tokens.access_token(),
        &registration,
    );
    let subject = SubjectIdentifier::new(ADA.to_string());

    // Userinfo says the same, for the same subject.
    let info = userinfo(&client, &http, tokens.access_token(), Some(subject.clone()))
        .await
        .expect("userinfo answers");
    assert_eq!(info.subject(), &subject);
    assert_ada(
        info.name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        info.preferred_username().map(|name| name.as_str()),
        info.additional_claims(),
    );

    // The code works once: a second exchange is refused and revokes what the first gave.
    let again = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(login_secrets(&registration, 1).2)
        .request_async(&call)
        .await;
    assert_invalid_grant(again);
    assert_userinfo_refused(&client, &http, tokens.access_token()).await;

    // A second login: consent was given, so the code comes at once.
    let tokens = later_login(&running, &browser, &client, &registration, 2).await;
    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();

    // Refresh: a new pair, the refreshed ID token without a nonce.
    let refreshed = refresh(&client, &http, &first_refresh)
        .await
        .expect("the refresh is accepted");
    let second_refresh = refreshed.refresh_token().expect("rotated").clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    check_id_token(
        &client,
        &running,
        refreshed.id_token().expect("a refreshed ID token"),
        None,
        refreshed.access_token(),
        &registration,
    );
    let info = userinfo(
        &client,
        &http,
        refreshed.access_token(),
        Some(subject.clone()),
    )
    .await
    .expect("the refreshed access token works");
    assert_eq!(info.subject(), &subject);

    // The old refresh token again: refused, and the whole login is revoked with it.
    assert_invalid_grant(refresh(&client, &http, &first_refresh).await);
    assert_invalid_grant(refresh(&client, &http, &second_refresh).await);
    assert_userinfo_refused(&client, &http, refreshed.access_token()).await;

    // A third login; revocation (RFC 7009) through openidconnect. A confidential client now
    // authenticates with client_secret_post.
    let client = if registration.secret.is_some() {
        client.set_auth_type(AuthType::RequestBody)
    } else {
        client
    };
    let tokens = later_login(&running, &browser, &client, &registration, 3).await;
    let id_token = tokens.id_token().unwrap().clone();
    // Revoking the access token ends that token alone.
    client
        .revoke_token(CoreRevocableToken::from(tokens.access_token().clone()))
        .unwrap()
        .request_async(&call)
        .await
        .expect("the access token is revoked");
    assert_userinfo_refused(&client, &http, tokens.access_token()).await;
    let refreshed = refresh(&client, &http, tokens.refresh_token().unwrap())
        .await
        .expect("the refresh token outlives its revoked access token");
    userinfo(
        &client,
        &http,
        refreshed.access_token(),
        Some(subject.clone()),
    )
    .await
    .expect("the new access token works");
    // Revoking the refresh token ends the login.
    let last_refresh = refreshed.refresh_token().unwrap().clone();
    client
        .revoke_token(CoreRevocableToken::from(last_refresh.clone()))
        .unwrap()
        .request_async(&call)
        .await
        .expect("the refresh token is revoked");
    assert_userinfo_refused(&client, &http, refreshed.access_token()).await;
    assert_invalid_grant(refresh(&client, &http, &last_refresh).await);

    // RP-initiated logout from discovery's end_session_endpoint, for the confidential client
    // (the one with a post-logout URI): the tgauth session ends, the browser goes back.
    if registration.secret.is_some() {
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()
            .expect("discovery names the end session endpoint");
        let logout = LogoutRequest::from(end_session)
            .set_id_token_hint(&id_token)
            .set_post_logout_redirect_uri(
                PostLogoutRedirectUrl::new(CONFIDENTIAL_LOGGED_OUT.to_owned()).unwrap(),
            )
            .set_state(CsrfToken::new("after-logout".to_owned()))
            .http_get_url();
        assert_eq!(running.me_status(&browser).await, StatusCode::OK);
        let response = browser.get(logout.as_str()).send().await.unwrap();
        let back = location(&running, &response);
        assert!(back.as_str().starts_with(CONFIDENTIAL_LOGGED_OUT), "{back}");
        assert_eq!(parameter(&back, "state").as_deref(), Some("after-logout"));
        assert_eq!(running.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    }
    running.stop().await;
}

async fn a_confidential_client_logs_in_refreshes_and_revokes(running: Running) {
    let registration = Registration {
        id: CONFIDENTIAL,
        secret: Some(SECRET),
        callback: CONFIDENTIAL_CALLBACK,
        seed: "confidential",
    };
    relying_party_lifecycle(running, registration, "Grafana").await;
}

async fn a_public_client_logs_in_refreshes_and_revokes(running: Running) {
    let registration = Registration {
        id: PUBLIC,
        secret: None,
        callback: PUBLIC_CALLBACK,
        seed: "public",
    };
    relying_party_lifecycle(running, registration, "Desktop app").await;
}
