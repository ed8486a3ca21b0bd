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
//!   `login_hint`) and redirects (302) to `redirect_uri?code=...&state=...`; an unknown client
//!   answers 400, and a refusal (`{"deny":true}`, no chosen user, a missing `openid` scope)
//!   redirects with `error=...`;
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

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use login_widget::oidc::{IdTokenClaims, PkceVerifier};
use serde::Deserialize;
use serde_json::{Value, json};
use tgauth_core::{BotId, BotToken, UserId, constant_time_eq};

use crate::{
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

/// Redirects back to the client with `error`, as OAuth 2.0 does once the client is known.
fn redirect_error(redirect_uri: &reqwest::Url, error: &str, state: Option<&str>) -> Response {
    let mut url = redirect_uri.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    found(url.as_str())
}

#[derive(Debug, Deserialize)]
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
}

async fn authorize(State(shared): State<Arc<Shared>>, Query(query): Query<AuthQuery>) -> Response {
    let Some(bot_id) = query
        .client_id
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .map(BotId)
        .filter(|id| shared.lock().bots.contains_key(id))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown client_id",
        );
    };
    let Some(redirect_uri) = query
        .redirect_uri
        .as_deref()
        .and_then(|uri| reqwest::Url::parse(uri).ok())
        .filter(|uri| matches!(uri.scheme(), "http" | "https"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri must be an absolute http or https URL",
        );
    };
    let state = query.state.as_deref();
    if query.response_type.as_deref() != Some("code") {
        return redirect_error(&redirect_uri, "unsupported_response_type", state);
    }
    let scope = query.scope.unwrap_or_default();
    if !scope.split(' ').any(|scope| scope == "openid") {
        return redirect_error(&redirect_uri, "invalid_scope", state);
    }
    if query.code_challenge.is_some() && query.code_challenge_method.as_deref() != Some("S256") {
        return redirect_error(&redirect_uri, "invalid_request", state);
    }
    let hinted = query
        .login_hint
        .as_deref()
        .and_then(|hint| hint.parse::<i64>().ok())
        .map(UserId);
    let code = {
        let mut state_guard = shared.lock();
        let approval = state_guard
            .bots
            .get(&bot_id)
            .and_then(|bot| bot.oidc_approval);
        // The user chosen through the control API wins over the client's hint.
        let user_id = match (approval, hinted) {
            (Some(Approval::Deny), _) => Err("access_denied"),
            (Some(Approval::User(user_id)), _) | (None, Some(user_id)) => Ok(user_id),
            (None, None) => Err("login_required"),
        };
        let user_id = match user_id {
            Ok(user_id) => user_id,
            Err(error) => {
                drop(state_guard);
                return redirect_error(&redirect_uri, error, state);
            }
        };
        if state_guard.user_or_create(user_id).is_err() {
            drop(state_guard);
            return redirect_error(&redirect_uri, "access_denied", state);
        }
        let now = shared.now();
        let codes = &mut state_guard.oidc_codes;
        // Codes nobody redeemed would otherwise pile up for as long as the sandbox runs.
        codes.pending.retain(|_, code| now < code.expires_at);
        codes.issued = codes.issued.saturating_add(1);
        let code = format!("sandbox-code-{bot_id}-{}", codes.issued);
        codes.pending.insert(
            code.clone(),
            PendingCode {
                bot_id,
                user_id,
                redirect_uri: redirect_uri.as_str().to_owned(),
                scope,
                nonce: query.nonce,
                code_challenge: query.code_challenge,
                expires_at: now.plus(CODE_LIFETIME),
            },
        );
        code
    };
    let mut target = redirect_uri;
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(state) = state {
            pairs.append_pair("state", state);
        }
    }
    found(target.as_str())
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
