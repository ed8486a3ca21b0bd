//! The OpenID Connect provider: discovery, auth, token and JWKS endpoints.
//!
//! The sandbox plays oauth.telegram.org under `/oauth` (see
//! [`crate::SandboxHandle::oidc_base_url`]), with Telegram's paths below it, so that
//! `login_widget::oidc::Provider::with_base_url(&sandbox.oidc_base_url())` finds every endpoint
//! and expects the right issuer:
//!
//! - `GET /oauth/.well-known/openid-configuration`: the discovery document;
//! - `GET /oauth/.well-known/jwks.json`: the public keys (login-widget's published test keys;
//!   tokens are signed RS256 with kid `test-rs256`);
//! - `GET /oauth/auth?response_type=code&client_id=<bot id>&redirect_uri=...&scope=openid...
//!   &state=...&nonce=...&code_challenge=...&code_challenge_method=S256`: approves at once as
//!   the user chosen with `POST /sandbox/bots/{username}/oidc {"user_id"}` (or the user id in
//!   `login_hint`) and redirects (302) to `redirect_uri?code=...&state=...`. When neither chose
//!   a user, `prompt=none` redirects with `error=login_required` (OpenID Connect's meaning of
//!   `none`: show nothing), and any other request shows the phone's consent screen for the
//!   phone user (see [`crate::phone`]; without one, the account picker first, which comes back):
//!   the bot's name and username, the redirect URI's host, the scopes, and "Allow" and "Cancel";
//! - `POST /oauth/auth/consent` (the form of that screen: the authorization request's
//!   parameters and `action=allow` or `action=cancel`): the parameters are checked again as for
//!   `GET`; "Allow" issues the code exactly as the silent path does and "Cancel" answers
//!   `error=access_denied`, each with `state`, by a 303 to the redirect URI;
//! - an unknown client or a redirect URI that is not an absolute http(s) URL answers 400, and
//!   a refusal (`{"deny":true}`, a missing `openid` scope) redirects with `error=...`;
//! - `POST /oauth/token` (form: `grant_type=authorization_code`, `code`, `redirect_uri`,
//!   `code_verifier`; client authentication by HTTP Basic or `client_id`/`client_secret` form
//!   fields, where the client id is the bot id and the client secret the bot token): answers
//!   `{"access_token","token_type":"Bearer","expires_in","id_token","scope"}`. A code works once,
//!   for ten minutes, only with its redirect URI and PKCE verifier.
//!
//! The `id_token` carries `iss` (the `/oauth` base URL), `sub` and `id` (the user id), `aud`
//! (the bot id), `iat`, `exp` (one hour), `auth_time`, `nonce`, and with the `profile` scope
//! `name` and `preferred_username`. Codes and access tokens are sequential, not secret: the
//! sandbox is a test double, not a security boundary.

use std::{collections::BTreeMap, fmt, sync::Arc};

use askama::Template;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use login_widget::oidc::{IdTokenClaims, PkceVerifier};
use serde_json::{Value, json};
use tgauth_core::{BotId, BotToken, REDACTED, UserId, constant_time_eq};

use crate::{
    pages::{Fields, PageError, UserView, phone_user_or_picker, render, see_other, switch_href},
    shared::Shared,
    state::{Approval, PendingCode, Secret},
};

/// The key id of the key that signs the sandbox's `id_token`s.
pub const SIGNING_KID: &str = "test-rs256";
/// How long an authorization code stays usable, in seconds.
const CODE_LIFETIME: i64 = 600;
/// How long an `id_token` and access token are valid, in seconds.
const TOKEN_LIFETIME: i64 = 3600;

/// The `/oauth` routes, relative to `/oauth`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/auth", get(authorize))
        .route("/auth/consent", post(consent_answer))
        .route("/token", post(token))
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let issuer = shared.oidc_issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "id",
            "name", "preferred_username"],
    }))
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Json<login_widget::oidc::Jwks> {
    Json(shared.oidc_signer.jwks())
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// A 302 redirect, as OAuth 2.0 providers answer the authorization request.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// The redirect URI with `error` and `state`, as OAuth 2.0 answers once the client is known.
fn error_url(redirect_uri: &reqwest::Url, error: &str, state: Option<&str>) -> reqwest::Url {
    let mut url = redirect_uri.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    url
}

/// Redirects back to the client with `error`.
fn redirect_error(redirect_uri: &reqwest::Url, error: &str, state: Option<&str>) -> Response {
    found(error_url(redirect_uri, error, state).as_str())
}

/// The parameters of an authorization request: from the query of `GET /oauth/auth`, or from
/// the consent form that repeats them. Its `Debug` leaves out `state`, `nonce` and the PKCE
/// challenge.
#[derive(Default)]
struct AuthQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
    prompt: Option<String>,
}

impl fmt::Debug for AuthQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| REDACTED);
        f.debug_struct("AuthQuery")
            .field("response_type", &self.response_type)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("state", &redacted(&self.state))
            .field("nonce", &redacted(&self.nonce))
            .field("code_challenge", &redacted(&self.code_challenge))
            .field("code_challenge_method", &self.code_challenge_method)
            .field("login_hint", &self.login_hint)
            .field("prompt", &self.prompt)
            .finish()
    }
}

impl AuthQuery {
    fn of(fields: &Fields) -> Self {
        let value = |name: &str| fields.get(name).map(str::to_owned);
        Self {
            response_type: value("response_type"),
            client_id: value("client_id"),
            redirect_uri: value("redirect_uri"),
            scope: value("scope"),
            state: value("state"),
            nonce: value("nonce"),
            code_challenge: value("code_challenge"),
            code_challenge_method: value("code_challenge_method"),
            login_hint: value("login_hint"),
            prompt: value("prompt"),
        }
    }

    /// The parameters that are present, by name.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("login_hint", &self.login_hint),
            ("prompt", &self.prompt),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }

    /// The address of this authorization request, for the account picker to come back to.
    fn path(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(self.pairs());
        format!("/oauth/auth?{}", query.finish())
    }
}

/// An authorization request whose client, redirect URI, response type, scope and PKCE
/// method passed the checks.
struct Checked {
    bot_id: BotId,
    redirect_uri: reqwest::Url,
    scope: String,
}

/// Checks an authorization request as `GET /oauth/auth` does; the refusal is the answer (400
/// for an unknown client or redirect URI, a redirect with `error` once the client is known).
fn check(shared: &Shared, query: &AuthQuery) -> Result<Checked, Box<Response>> {
    let Some(bot_id) = query
        .client_id
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .map(BotId)
        .filter(|id| shared.lock().bots.contains_key(id))
    else {
        return Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown client_id",
        )));
    };
    let Some(redirect_uri) = query
        .redirect_uri
        .as_deref()
        .and_then(|uri| reqwest::Url::parse(uri).ok())
        .filter(|uri| matches!(uri.scheme(), "http" | "https"))
    else {
        return Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri must be an absolute http or https URL",
        )));
    };
    let state = query.state.as_deref();
    if query.response_type.as_deref() != Some("code") {
        return Err(Box::new(redirect_error(
            &redirect_uri,
            "unsupported_response_type",
            state,
        )));
    }
    let scope = query.scope.clone().unwrap_or_default();
    if !scope.split(' ').any(|scope| scope == "openid") {
        return Err(Box::new(redirect_error(
            &redirect_uri,
            "invalid_scope",
            state,
        )));
    }
    if query.code_challenge.is_some() && query.code_challenge_method.as_deref() != Some("S256") {
        return Err(Box::new(redirect_error(
            &redirect_uri,
            "invalid_request",
            state,
        )));
    }
    Ok(Checked {
        bot_id,
        redirect_uri,
        scope,
    })
}

/// Issues a code to `user_id` for a checked request; the answer is where to send the browser:
/// the redirect URI with `code` and `state`, or with `error=access_denied` for a user id that
/// cannot exist.
fn issue_code(
    shared: &Shared,
    checked: Checked,
    query: AuthQuery,
    user_id: UserId,
) -> reqwest::Url {
    let state = query.state.as_deref();
    let mut state_guard = shared.lock();
    if state_guard.user_or_create(user_id).is_err() {
        drop(state_guard);
        return error_url(&checked.redirect_uri, "access_denied", state);
    }
    let now = shared.now();
    let codes = &mut state_guard.oidc_codes;
    // Codes nobody redeemed would otherwise pile up for as long as the sandbox runs.
    codes.pending.retain(|_, code| now < code.expires_at);
    codes.issued = codes.issued.saturating_add(1);
    let code = format!("sandbox-code-{}-{}", checked.bot_id, codes.issued);
    codes.pending.insert(
        code.clone(),
        PendingCode {
            bot_id: checked.bot_id,
            user_id,
            redirect_uri: checked.redirect_uri.as_str().to_owned(),
            scope: checked.scope,
            nonce: query.nonce.clone(),
            code_challenge: query.code_challenge.clone(),
            expires_at: now.plus(CODE_LIFETIME),
        },
    );
    drop(state_guard);
    let mut target = checked.redirect_uri;
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(state) = state {
            pairs.append_pair("state", state);
        }
    }
    target
}

/// `GET /oauth/auth`: approves at once as the user chosen through the control API or in
/// `login_hint`; otherwise `prompt=none` answers `login_required`, and any other request gets
/// the consent screen for the phone user (or the account picker first).
async fn authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = AuthQuery::of(&Fields::of_query(raw.as_deref()));
    let checked = match check(&shared, &query) {
        Ok(checked) => checked,
        Err(refusal) => return *refusal,
    };
    let state = query.state.as_deref();
    let hinted = query
        .login_hint
        .as_deref()
        .and_then(|hint| hint.parse::<i64>().ok())
        .map(UserId);
    let approval = shared
        .lock()
        .bots
        .get(&checked.bot_id)
        .and_then(|bot| bot.oidc_approval);
    // The user chosen through the control API wins over the client's hint.
    let user_id = match (approval, hinted) {
        (Some(Approval::Deny), _) => {
            return redirect_error(&checked.redirect_uri, "access_denied", state);
        }
        (Some(Approval::User(user_id)), _) | (None, Some(user_id)) => user_id,
        (None, None) => {
            let silent = query
                .prompt
                .as_deref()
                .is_some_and(|prompt| prompt.split(' ').any(|value| value == "none"));
            if silent {
                // OpenID Connect's prompt=none: no page may be shown, and nobody is chosen.
                return redirect_error(&checked.redirect_uri, "login_required", state);
            }
            return consent(&shared, &headers, &query, &checked);
        }
    };
    found(issue_code(&shared, checked, query, user_id).as_str())
}

/// What the consent screen says a scope gives the client.
fn describe_scope(scope: &str) -> String {
    match scope {
        "openid" => "openid: your Telegram account id".to_owned(),
        "profile" => "profile: your name and username".to_owned(),
        other => other.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "oidc_consent.html")]
struct ConsentPage {
    bot_name: String,
    bot_username: String,
    redirect_host: String,
    scopes: Vec<String>,
    user: UserView,
    switch_href: String,
    hidden: Vec<(&'static str, String)>,
}

/// The consent screen for the phone user, or the account picker that comes back here.
fn consent(shared: &Shared, headers: &HeaderMap, query: &AuthQuery, checked: &Checked) -> Response {
    let user = match phone_user_or_picker(shared, headers, &query.path()) {
        Ok(user) => user,
        Err(picker) => return picker.into_response(),
    };
    let (bot_name, bot_username) = {
        let state = shared.lock();
        let bot = state.bots.get(&checked.bot_id);
        (
            bot.map(|bot| bot.user.first_name.clone())
                .unwrap_or_default(),
            bot.and_then(|bot| bot.user.username.clone())
                .unwrap_or_default(),
        )
    };
    let redirect_host = match (checked.redirect_uri.host_str(), checked.redirect_uri.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => checked.redirect_uri.to_string(),
    };
    render(&ConsentPage {
        bot_name,
        bot_username,
        redirect_host,
        scopes: checked
            .scope
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .map(describe_scope)
            .collect(),
        user: UserView::of(&user),
        switch_href: switch_href(&query.path()),
        hidden: query
            .pairs()
            .into_iter()
            .filter(|(name, _)| *name != "login_hint" && *name != "prompt")
            .map(|(name, value)| (name, value.to_owned()))
            .collect(),
    })
}

/// `POST /oauth/auth/consent`: "Allow" issues the code as the silent path does, "Cancel"
/// answers `access_denied`; the request's parameters are checked again.
async fn consent_answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let query = AuthQuery::of(&fields);
    let checked = match check(&shared, &query) {
        Ok(checked) => checked,
        Err(refusal) => return *refusal,
    };
    let user = match phone_user_or_picker(&shared, &headers, &query.path()) {
        Ok(user) => user,
        Err(picker) => return picker.into_response(),
    };
    match fields.get("action") {
        Some("allow") => see_other(issue_code(&shared, checked, query, user.id).as_str()),
        Some("cancel") => see_other(
            error_url(
                &checked.redirect_uri,
                "access_denied",
                query.state.as_deref(),
            )
            .as_str(),
        ),
        _ => PageError::bad_request(
            "Allow or cancel?",
            "The form must say action=allow or action=cancel.",
        )
        .into_response(),
    }
}

/// The client id and secret from HTTP Basic or from the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    {
        let decoded = STANDARD.decode(basic.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        // RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
        let unescape = |text: &str| -> String {
            form_urlencoded::parse(format!("x={text}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        return Some((unescape(id), unescape(secret)));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let Some((client_id, client_secret)) = client_credentials(&headers, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let now = shared.now();
    let mut state = shared.lock();
    // The client secret is the bot's token; one of another shape matches no bot.
    let candidate = BotToken::new(client_secret).ok();
    let bot = client_id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.bots.get(&BotId(id)))
        .filter(|bot| candidate.as_ref() == Some(&bot.token));
    let Some(bot) = bot else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    };
    let bot_id = bot.token.bot_id();
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code is supported",
        );
    }
    let code = form.get("code").map(String::as_str).unwrap_or_default();
    // A code is spent by any attempt, as RFC 6749 recommends.
    let Some(pending) = state.oidc_codes.pending.remove(code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    };
    let verifier_matches = match (&pending.code_challenge, form.get("code_verifier")) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(challenge), Some(verifier)) => {
            PkceVerifier::new(verifier.as_str()).is_ok_and(|verifier| {
                constant_time_eq(verifier.challenge().as_bytes(), challenge.as_bytes())
            })
        }
    };
    let problem = if pending.bot_id != bot_id {
        Some("the code was issued to another client")
    } else if now >= pending.expires_at {
        Some("the code expired")
    } else if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        Some("redirect_uri does not match the authorization request")
    } else if !verifier_matches {
        Some("code_verifier does not match the code_challenge")
    } else {
        None
    };
    if let Some(problem) = problem {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", problem);
    }
    let Some(user) = state.users.get(&pending.user_id).cloned() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the user no longer exists",
        );
    };
    state.oidc_codes.issued = state.oidc_codes.issued.saturating_add(1);
    let access_token = Secret::new(format!(
        "sandbox-access-{bot_id}-{}",
        state.oidc_codes.issued
    ));
    drop(state);

    let mut claims = IdTokenClaims::new(
        shared.oidc_issuer(),
        user.id.to_string(),
        bot_id.to_string(),
        now,
        now.plus(TOKEN_LIFETIME),
    );
    claims.nonce = pending.nonce;
    claims.auth_time = Some(now);
    claims.id = Some(user.id);
    if pending.scope.split(' ').any(|scope| scope == "profile") {
        let name = match &user.last_name {
            Some(last) => format!("{} {last}", user.first_name),
            None => user.first_name.clone(),
        };
        claims.name = Some(name);
        claims.preferred_username = user.username.clone();
    }
    let id_token = match shared.oidc_signer.sign(SIGNING_KID, &claims) {
        Ok(id_token) => id_token,
        Err(_) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "signing failed",
            );
        }
    };
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "access_token": access_token.expose(),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
            "scope": pending.scope,
        })),
    )
        .into_response()
}
