//! What the provider says about a person (the ID token's and userinfo's claims), userinfo
//! itself, and the end of a session.
//!
//! Only what Telegram and Telegram Passport gave: `sub` (the Telegram id, or pairwise per
//! client); with `profile` the Telegram name, username, photo, id and whether the bot is
//! connected; with `phone` and `email` the phone number and address a received Telegram
//! Passport verified (nothing otherwise, and never a made-up address); with `passport` whether
//! a Passport was received and the names and birth date it verified. Each read of Passport data
//! for claims is written to that Passport's audit log.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use tgauth::UserId;
use tgauth::link::store::Store as _;
use tower_sessions::Session;

use super::{Client, SubjectType, client, cors, no_store};
use crate::error::HttpError;
use crate::keys::digest;
use crate::state::AppState;

/// Every claim the provider may make.
pub(crate) const SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "picture",
    "telegram_id",
    "telegram_bot_linked",
    "phone_number",
    "phone_number_verified",
    "email",
    "email_verified",
    "passport_verified",
    "passport_given_name",
    "passport_family_name",
    "birthdate",
];

/// `sub` for a person at a client.
fn subject(state: &AppState, client: &Client, telegram_id: UserId) -> String {
    match state.config.provider.subject_type {
        SubjectType::Public => telegram_id.to_string(),
        SubjectType::Pairwise => state.cookies.sign(
            "oidc-pairwise-subject",
            &format!("{}:{telegram_id}", client.id),
        ),
    }
}

/// The claims for `scopes` (userinfo's, and the ID token's before its registered claims).
pub(crate) async fn claims(
    state: &AppState,
    client: &Client,
    telegram_id: UserId,
    scopes: &[&str],
) -> Result<Map<String, Value>, HttpError> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject(state, client, telegram_id)));
    let asks = |scope: &str| scopes.contains(&scope);
    if asks("profile") {
        if let Some(profile) = state.db.telegram_user(telegram_id).await? {
            let name = [profile.first_name.as_deref(), profile.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if !name.is_empty() {
                claims.insert("name".into(), json!(name));
            }
            let optional = [
                ("given_name", profile.first_name),
                ("family_name", profile.last_name),
                ("preferred_username", profile.username),
                ("picture", profile.photo_url),
            ];
            for (claim, value) in optional {
                if let Some(value) = value {
                    claims.insert(claim.into(), json!(value));
                }
            }
        }
        claims.insert("telegram_id".into(), json!(telegram_id.get()));
        let linked = state
            .linker
            .store()
            .link_of_telegram_user(telegram_id)
            .await
            .map_err(|error| HttpError::unavailable(tgauth::link::Error::from(error)))?
            .is_some();
        claims.insert("telegram_bot_linked".into(), json!(linked));
    }
    if asks("phone") || asks("email") || asks("passport") {
        passport_claims(state, client, telegram_id, scopes, &mut claims).await?;
    }
    Ok(claims)
}

/// The claims a received (and accepted) Telegram Passport verified.
async fn passport_claims(
    state: &AppState,
    client: &Client,
    telegram_id: UserId,
    scopes: &[&str],
    claims: &mut Map<String, Value>,
) -> Result<(), HttpError> {
    let asks = |scope: &str| scopes.contains(&scope);
    let received = state
        .db
        .recent_passport_requests(Some(telegram_id))
        .await?
        .into_iter()
        .find(|request| request.status == "received" && request.sealed_data.is_some());
    let Some(request) = received else {
        if asks("passport") {
            claims.insert("passport_verified".into(), json!(false));
        }
        return Ok(());
    };
    let elements = crate::http::passport::opened_elements(state, &request)?;
    crate::http::passport::write_audit(
        state,
        &request.id,
        &format!("oidc:{}", client.id),
        &format!("claims: {}", scopes.join(" ")),
    )
    .await?;
    let element = |kind: &str| {
        elements
            .as_array()
            .into_iter()
            .flatten()
            .find(|element| element["type"] == kind)
            .cloned()
    };
    if asks("phone")
        && let Some(phone) =
            element("phone_number").and_then(|e| e["phone_number"].as_str().map(str::to_owned))
    {
        // Telegram Passport carries the number without '+'; E.164 wants it.
        let phone = if phone.starts_with('+') {
            phone
        } else {
            format!("+{phone}")
        };
        claims.insert("phone_number".into(), json!(phone));
        claims.insert("phone_number_verified".into(), json!(true));
    }
    if asks("email")
        && let Some(email) = element("email").and_then(|e| e["email"].as_str().map(str::to_owned))
    {
        claims.insert("email".into(), json!(email));
        claims.insert("email_verified".into(), json!(true));
    }
    if asks("passport") {
        claims.insert("passport_verified".into(), json!(true));
        if let Some(details) = element("personal_details") {
            let data = &details["data"];
            for (field, claim) in [
                ("first_name", "passport_given_name"),
                ("last_name", "passport_family_name"),
            ] {
                if let Some(value) = data[field].as_str().filter(|value| !value.is_empty()) {
                    claims.insert(claim.into(), json!(value));
                }
            }
            // Passport's DD.MM.YYYY as OpenID's YYYY-MM-DD.
            if let Some(birth) = data["birth_date"].as_str()
                && let [day, month, year] = birth.split('.').collect::<Vec<_>>()[..]
                && day.len() == 2
                && month.len() == 2
                && year.len() == 4
            {
                claims.insert("birthdate".into(), json!(format!("{year}-{month}-{day}")));
            }
        }
    }
    Ok(())
}

/// A refused userinfo call (RFC 6750 §3).
fn invalid_token(description: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": description})),
    )
        .into_response();
    let challenge = format!(
        "Bearer realm=\"tgauth\", error=\"invalid_token\", error_description=\"{description}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    no_store(&mut response);
    cors(&mut response);
    response
}

/// `GET` or `POST /oauth2/userinfo` with `Authorization: Bearer <access token>` (or
/// `access_token` in a POST body).
pub(crate) async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned());
    let token = from_header.or_else(|| {
        crate::pages::form_value(&crate::pages::form_pairs(&body), "access_token")
            .map(str::to_owned)
    });
    let Some(token) = token.filter(|token| !token.is_empty() && token.len() <= 512) else {
        return invalid_token("send the access token as Authorization: Bearer <token>");
    };
    let now = state.now();
    let row = match state
        .db
        .live_oidc_token(&digest(token.as_bytes()), "access", now)
        .await
    {
        Ok(Some(row)) => row,
        Ok(None) => return invalid_token("the access token is unknown, expired or revoked"),
        Err(error) => return HttpError::from(error).into_response(),
    };
    let answer = async {
        let Some(client) = client(&state, &row.client_id).await? else {
            return Ok(invalid_token(
                "the client of this token is no longer registered",
            ));
        };
        let scopes: Vec<&str> = row.scope.split(' ').collect();
        let claims = claims(&state, &client, row.telegram_id, &scopes).await?;
        let mut response = Json(Value::Object(claims)).into_response();
        no_store(&mut response);
        cors(&mut response);
        Ok::<_, HttpError>(response)
    };
    match answer.await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// `GET /oauth2/logout` (OpenID Connect RP-Initiated Logout): the tgauth session ends and, with
/// `post_logout_redirect_uri` registered for the client (`client_id`, or the audience of
/// `id_token_hint`), the browser goes back there with `state`; otherwise to the login page.
pub(crate) async fn end_session(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let parameter = |name: &str| crate::pages::form_value(&pairs, name).filter(|v| !v.is_empty());
    // The hint names the client; its signature does not matter here, because the target must
    // be registered for that client anyway.
    let hinted = parameter("id_token_hint").and_then(|token| {
        use base64::Engine as _;
        let payload = token.split('.').nth(1)?;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        let claims: Value = serde_json::from_slice(&payload).ok()?;
        match &claims["aud"] {
            Value::String(aud) => Some(aud.clone()),
            Value::Array(auds) => auds.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    });
    let client_id = parameter("client_id").map(str::to_owned).or(hinted);
    let target = parameter("post_logout_redirect_uri");
    let mut back = None;
    if let (Some(client_id), Some(target)) = (client_id.as_deref(), target) {
        match client(&state, client_id).await {
            Ok(Some(client))
                if client
                    .post_logout_redirect_uris
                    .iter()
                    .any(|uri| uri == target) =>
            {
                let mut url = match reqwest::Url::parse(target) {
                    Ok(url) => url,
                    Err(_) => {
                        return HttpError::bad_request(
                            "invalid_request",
                            "post_logout_redirect_uri is not a URL",
                        )
                        .into_response();
                    }
                };
                if let Some(client_state) = parameter("state") {
                    url.query_pairs_mut().append_pair("state", client_state);
                }
                back = Some(url.to_string());
            }
            Ok(_) => {
                return HttpError::bad_request(
                    "invalid_request",
                    "post_logout_redirect_uri is not registered for this client; you were not logged out",
                )
                .into_response();
            }
            Err(error) => return error.into_response(),
        }
    } else if target.is_some() {
        return HttpError::bad_request(
            "invalid_request",
            "post_logout_redirect_uri needs client_id or id_token_hint",
        )
        .into_response();
    }
    if let Err(error) = session.flush().await {
        return HttpError::internal(error).into_response();
    }
    Redirect::to(back.as_deref().unwrap_or("/login")).into_response()
}
