//! The browser's side: log in with Telegram (Login Widget, OpenID Connect, Mini App, a login
//! link the bot sent), `GET /api/v1/me` and `POST /logout`.
//!
//! Every login ends the same way ([`log_in`]): the Telegram user's profile is recorded, the
//! session id is cycled (no fixation), and the session records who, how and until when. Login
//! data works once (its hash, initData hash, OIDC state or login link is recorded until it
//! would expire anyway), is refused when older than `login_max_age`, and the login endpoints
//! are rate limited per client address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tgauth::login::oidc::{LoginAttempt, Scope};
use tgauth::{Identity, UnixTime};
use tower_sessions::Session;

use super::api::ApiQuery;
use crate::error::HttpError;
use crate::keys::digest;
use crate::sessions::{Profile, SessionUser, USER_KEY};
use crate::state::AppState;
use crate::store::TelegramUserRow;

/// The browser routes; `POST /logout` goes through the CSRF layer (see [`super::router`]).
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/auth/telegram/widget", get(widget))
        .route("/auth/telegram/webapp", post(web_app))
        .route("/auth/telegram/link", get(login_link))
        .route("/auth/telegram/oidc/start", get(oidc_start))
        .route("/auth/telegram/oidc/callback", get(oidc_callback))
        .route("/api/v1/me", get(me))
}

/// The routes that change state with the session cookie alone: behind the CSRF layer.
pub(crate) fn cookie_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/logout", post(logout))
}

/// The client's address: the connection's peer, or the first `X-Forwarded-For` hop when the
/// configuration trusts a proxy in front.
pub(crate) struct ClientAddr(pub(crate) IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .and_then(|first| first.trim().parse::<IpAddr>().ok())
        {
            return Ok(Self(forwarded));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(Self(peer))
    }
}

async fn rate_limit(state: &AppState, client: &ClientAddr, method: &str) -> Result<(), HttpError> {
    if state
        .limiter
        .check(client.0)
        .await
        .map_err(HttpError::unavailable)?
    {
        Ok(())
    } else {
        state.metrics.login(method, "rate_limited");
        Err(HttpError::client(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many login attempts from this address; wait a minute",
        ))
    }
}

/// A `next` target: a path on this site only (`/account?x=1`), never `//host`, `/\host` or a
/// URL with a scheme, so a login cannot be turned into an open redirect.
pub(crate) fn safe_next(next: Option<&str>) -> Result<String, HttpError> {
    let Some(next) = next.filter(|next| !next.is_empty()) else {
        return Ok("/".to_owned());
    };
    let bad = || {
        HttpError::bad_request(
            "invalid_next",
            "`next` must be a path on this site, such as /account",
        )
    };
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.starts_with("/\\")
        || next.len() > 2048
        || next.chars().any(|c| c.is_control() || c == '\\')
    {
        return Err(bad());
    }
    Ok(next.to_owned())
}

/// Maps a refused login to a 401 that says why (never which byte of a MAC differed).
fn refused(state: &AppState, method: &str, error: &tgauth::Error) -> HttpError {
    use tgauth::login::ErrorKind;
    let (code, message) = match error {
        tgauth::Error::Login(login) => match login.kind() {
            ErrorKind::Expired => (
                "login_expired",
                "the login data is too old; log in again".to_owned(),
            ),
            ErrorKind::Malformed => (
                "invalid_login",
                format!("the login data is malformed: {login}"),
            ),
            _ => (
                "invalid_login",
                "the login data is not signed by Telegram for this bot".to_owned(),
            ),
        },
        other => ("invalid_login", other.to_string()),
    };
    state.metrics.login(method, code);
    HttpError::unauthorized(code, message)
}

/// Records that login data was used; a second use is refused.
async fn first_use(
    state: &AppState,
    method: &str,
    key: &str,
    expires_at: UnixTime,
) -> Result<(), HttpError> {
    if state
        .db
        .first_use(&digest(key.as_bytes()), expires_at)
        .await?
    {
        Ok(())
    } else {
        state.metrics.login(method, "replayed");
        Err(HttpError::unauthorized(
            "login_replayed",
            "this login data was used already; log in again",
        ))
    }
}

/// Until when a login's replay record must be kept: as long as the data would be accepted.
fn replay_horizon(state: &AppState, identity: &Identity, now: UnixTime) -> UnixTime {
    let max_age = i64::try_from(state.config.login_max_age.as_secs()).unwrap_or(i64::MAX / 2);
    identity
        .authorized_at
        .unwrap_or(now)
        .plus(max_age)
        .plus(60)
        .max(now.plus(60))
}

/// Records the profile (only when it changed: a write costs more than a read) and makes the
/// session the identity's.
pub(crate) async fn log_in(
    state: &AppState,
    session: &Session,
    identity: &Identity,
    now: UnixTime,
) -> Result<SessionUser, HttpError> {
    let told = TelegramUserRow {
        telegram_id: identity.user_id,
        first_name: identity.first_name.clone(),
        last_name: identity.last_name.clone(),
        username: identity.username.clone(),
        photo_url: identity.photo_url.clone(),
    };
    let stored = state.db.telegram_user(identity.user_id).await?;
    let profile = told.merged_over(stored.as_ref());
    if stored.as_ref() != Some(&profile) {
        state.db.upsert_telegram_user(&profile, now).await?;
    }
    let ttl = i64::try_from(state.config.session_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let user = SessionUser {
        telegram_id: identity.user_id,
        method: identity.source,
        created_at: now,
        expires_at: now.plus(ttl),
        profile: Profile {
            first_name: profile.first_name,
            last_name: profile.last_name,
            username: profile.username,
            photo_url: profile.photo_url,
        },
    };
    // A session the store holds gets a new id, so that an id planted before the login is
    // worth nothing after it. A visitor without one gets a fresh id when the session is first
    // saved: cycling would only delete a record that was never written, one more write per
    // login on the path every login takes.
    if session.id().is_some() {
        session.cycle_id().await.map_err(HttpError::internal)?;
    }
    session
        .insert(USER_KEY, &user)
        .await
        .map_err(HttpError::internal)?;
    state.metrics.login(identity.source.as_str(), "ok");
    Ok(user)
}

/// `GET /auth/telegram/widget?<widget fields>[&next=/path]`.
async fn widget(
    State(state): State<AppState>,
    client: ClientAddr,
    session: Session,
    RawQuery(query): RawQuery,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    const METHOD: &str = "login_widget";
    rate_limit(&state, &client, METHOD).await?;
    let next = safe_next(params.get("next").map(String::as_str))?;
    let query = query.unwrap_or_default();
    let identity = state
        .identity
        .widget_query(&query)
        .map_err(|error| refused(&state, METHOD, &error))?;
    let now = identity.verified_at;
    let hash = params.get("hash").map(String::as_str).unwrap_or_default();
    first_use(
        &state,
        METHOD,
        &format!("widget:{hash}"),
        replay_horizon(&state, &identity, now),
    )
    .await?;
    log_in(&state, &session, &identity, now).await?;
    Ok(Redirect::to(&next).into_response())
}

/// `POST /auth/telegram/webapp` with `Authorization: tma <initData>`.
async fn web_app(
    State(state): State<AppState>,
    client: ClientAddr,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    const METHOD: &str = "mini_app";
    rate_limit(&state, &client, METHOD).await?;
    let init_data = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("tma "))
        .ok_or_else(|| {
            HttpError::unauthorized(
                "missing_init_data",
                "send the Mini App's initData as `Authorization: tma <initData>`",
            )
        })?;
    let identity = state
        .identity
        .web_app(init_data)
        .map_err(|error| refused(&state, METHOD, &error))?;
    let now = identity.verified_at;
    let hash = form_value(init_data, "hash").unwrap_or_default();
    first_use(
        &state,
        METHOD,
        &format!("webapp:{hash}"),
        replay_horizon(&state, &identity, now),
    )
    .await?;
    let user = log_in(&state, &session, &identity, now).await?;
    Ok(Json(me_body(&user)).into_response())
}

/// The value of `name` in a query string, decoded.
fn form_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[derive(Deserialize)]
struct LinkQuery {
    token: Option<String>,
    next: Option<String>,
}

/// `GET /auth/telegram/link?token=`: a login link the bot sent, single use.
async fn login_link(
    State(state): State<AppState>,
    client: ClientAddr,
    session: Session,
    ApiQuery(query): ApiQuery<LinkQuery>,
) -> Result<Response, HttpError> {
    const METHOD: &str = "login_link";
    rate_limit(&state, &client, METHOD).await?;
    let next = safe_next(query.next.as_deref())?;
    let token = query.token.as_deref().unwrap_or_default();
    let now = state.now();
    let claims = state.login_link_key.verify(token, now).map_err(|error| {
        state.metrics.login(METHOD, "invalid");
        link_refusal(&error)
    })?;
    tgauth::link::store::Store::redeem_login_link(state.linker.store(), &claims, now)
        .await
        .map_err(|error| {
            state.metrics.login(METHOD, "refused");
            link_refusal(&error)
        })?;
    let identity = Identity::from_login_link(&claims, now);
    log_in(&state, &session, &identity, now).await?;
    Ok(Redirect::to(&next).into_response())
}

fn link_refusal(error: &tgauth::link::Error) -> HttpError {
    use tgauth::link::Error;
    match error {
        Error::LoginLinkUsed => HttpError::unauthorized(
            "login_link_used",
            "this login link was used already; ask the bot for a new one with /login",
        ),
        Error::Expired | Error::LoginLinkExpired => HttpError::unauthorized(
            "login_expired",
            "this login link has expired; ask the bot for a new one with /login",
        ),
        Error::NotLinked | Error::NotWebsiteConfirmed => {
            HttpError::unauthorized("not_linked", "this Telegram account is no longer linked")
        }
        Error::Store(_) => HttpError::unavailable(StoreUnavailable),
        _ => HttpError::unauthorized("invalid_login", "this login link is not valid"),
    }
}

/// The link store could not answer.
#[derive(Debug, thiserror::Error)]
#[error("the link store is unavailable")]
struct StoreUnavailable;

/// The OIDC setup, or 404 when no client secret is configured.
fn oidc(state: &AppState) -> Result<&crate::state::OidcSetup, HttpError> {
    state.oidc.as_ref().ok_or_else(|| {
        HttpError::client(
            StatusCode::NOT_FOUND,
            "oidc_disabled",
            "OpenID Connect login is not configured (set the OIDC client secret)",
        )
    })
}

/// The cookie that binds an OIDC login to the browser that started it.
const OIDC_COOKIE: &str = "tgauth_oidc";

#[derive(Debug, Deserialize, serde::Serialize)]
struct OidcFlow {
    nonce: String,
    verifier: String,
    next: String,
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

/// `GET /auth/telegram/oidc/start?next=`: to Telegram's authorization endpoint.
async fn oidc_start(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiQuery(query): ApiQuery<StartQuery>,
) -> Result<Response, HttpError> {
    const METHOD: &str = "oidc";
    rate_limit(&state, &client, METHOD).await?;
    let oidc = oidc(&state)?;
    let next = safe_next(query.next.as_deref())?;
    let attempt =
        LoginAttempt::generate(&ring::rand::SystemRandom::new()).map_err(HttpError::internal)?;
    let now = state.now();
    let flow = OidcFlow {
        nonce: attempt.nonce.clone(),
        verifier: attempt.pkce.dangerous_expose().to_owned(),
        next,
    };
    let flow = zeroize::Zeroizing::new(serde_json::to_vec(&flow).map_err(HttpError::internal)?);
    let state_hash = digest(attempt.state.as_bytes());
    let sealed = state.vault.seal(&format!("oidc:{state_hash}"), &flow)?;
    state
        .db
        .insert_oidc_flow(&state_hash, &sealed, now.plus(600))
        .await?;
    let redirect_uri = format!("{}/auth/telegram/oidc/callback", state.config.public_url);
    let url = attempt.url(
        &oidc.provider,
        &oidc.client_id,
        &redirect_uri,
        &[Scope::Profile],
    );
    let binding = state.cookies.sign(OIDC_COOKIE, &attempt.state);
    let cookie = format!(
        "{OIDC_COOKIE}={binding}; Path=/auth/telegram/oidc; Max-Age=600; HttpOnly; SameSite=Lax{}",
        if state.config.secure_cookies() {
            "; Secure"
        } else {
            ""
        }
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /auth/telegram/oidc/callback?code=&state=`.
async fn oidc_callback(
    State(state): State<AppState>,
    client: ClientAddr,
    session: Session,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, HttpError> {
    const METHOD: &str = "oidc";
    rate_limit(&state, &client, METHOD).await?;
    let oidc = oidc(&state)?;
    let flow_state = query
        .state
        .as_deref()
        .filter(|value| !value.is_empty() && value.len() <= 512)
        .ok_or_else(|| HttpError::bad_request("invalid_state", "the callback carries no state"))?;
    // The browser that comes back must be the one that left: its cookie carries the state's MAC.
    let bound = cookie_value(&headers, OIDC_COOKIE)
        .is_some_and(|tag| state.cookies.verify(OIDC_COOKIE, flow_state, tag));
    if !bound {
        state.metrics.login(METHOD, "unbound");
        return Err(HttpError::bad_request(
            "invalid_state",
            "this login was not started in this browser; start again",
        ));
    }
    let now = state.now();
    let state_hash = digest(flow_state.as_bytes());
    let sealed = state
        .db
        .take_oidc_flow(&state_hash, now)
        .await?
        .ok_or_else(|| {
            state.metrics.login(METHOD, "unknown_state");
            HttpError::bad_request(
                "invalid_state",
                "this login expired or was completed already; start again",
            )
        })?;
    if let Some(error) = &query.error {
        state.metrics.login(METHOD, "denied");
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        return Err(HttpError::unauthorized(
            "login_denied",
            format!("Telegram did not log you in ({error})"),
        ));
    }
    let code = query
        .code
        .as_deref()
        .filter(|code| !code.is_empty() && code.len() <= 2048)
        .ok_or_else(|| HttpError::bad_request("invalid_code", "the callback carries no code"))?;
    let flow = state
        .vault
        .open(&format!("oidc:{state_hash}"), &sealed)
        .map_err(HttpError::internal)?;
    let flow: OidcFlow = serde_json::from_slice(&flow).map_err(HttpError::internal)?;
    let verifier = tgauth::login::oidc::PkceVerifier::new(flow.verifier.clone())
        .map_err(HttpError::internal)?;
    let redirect_uri = format!("{}/auth/telegram/oidc/callback", state.config.public_url);
    let tokens = oidc
        .client
        .exchange_code(code, &redirect_uri, &verifier)
        .await
        .map_err(|error| {
            state.metrics.login(METHOD, "exchange_failed");
            oidc_refusal(error)
        })?;
    let claims = oidc
        .jwks
        .validate(&tokens.id_token, Some(&flow.nonce), now)
        .await
        .map_err(|error| {
            state.metrics.login(METHOD, "invalid_id_token");
            oidc_refusal(error)
        })?;
    let identity =
        Identity::from_id_token(&claims, now).map_err(|error| refused(&state, METHOD, &error))?;
    log_in(&state, &session, &identity, now).await?;
    let clear =
        format!("{OIDC_COOKIE}=; Path=/auth/telegram/oidc; Max-Age=0; HttpOnly; SameSite=Lax");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to(&flow.next)).into_response())
}

fn oidc_refusal(error: tgauth::login::oidc::client::ClientError) -> HttpError {
    use tgauth::login::oidc::client::ClientError;
    match error {
        ClientError::IdToken(_) => HttpError::unauthorized(
            "invalid_login",
            "Telegram's id_token did not verify; log in again",
        ),
        ClientError::Status { status, .. } if (400..500).contains(&status) => {
            HttpError::unauthorized(
                "invalid_code",
                "Telegram refused the login code (expired or used); log in again",
            )
        }
        other => HttpError::unavailable(other),
    }
}

/// The value of cookie `name`.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// The logged-in user of a session, or 401.
pub(crate) async fn session_user(session: &Session) -> Result<SessionUser, HttpError> {
    session
        .get::<SessionUser>(USER_KEY)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| HttpError::unauthorized("not_logged_in", "log in first"))
}

fn me_body(user: &SessionUser) -> serde_json::Value {
    let profile = &user.profile;
    // A login link tells only the id; the name is the id until another login tells more.
    let first_name = profile
        .first_name
        .clone()
        .unwrap_or_else(|| user.telegram_id.to_string());
    let mut person = json!({"telegram_id": user.telegram_id, "first_name": first_name});
    let optional = [
        ("last_name", &profile.last_name),
        ("username", &profile.username),
        ("photo_url", &profile.photo_url),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            person[name] = json!(value);
        }
    }
    json!({
        "user": person,
        "session": {
            "method": user.method,
            "created_at": user.created_at,
            "expires_at": user.expires_at,
        }
    })
}

/// `GET /api/v1/me`.
async fn me(session: Session) -> Result<Response, HttpError> {
    let user = session_user(&session).await?;
    Ok(Json(me_body(&user)).into_response())
}

/// `POST /logout`: the session is deleted; 204 (303 to `/` for a form post).
async fn logout(session: Session, headers: HeaderMap) -> Result<Response, HttpError> {
    session.flush().await.map_err(HttpError::internal)?;
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    Ok(if wants_html {
        Redirect::to("/").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}
