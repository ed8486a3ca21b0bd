//! `POST /oauth2/token` (the code exchange and refresh) and `POST /oauth2/revoke`, with client
//! authentication (`client_secret_basic`, `client_secret_post`, `none` for public clients).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use tgauth::UnixTime;

use super::{Client, client, cors, no_store, oauth_error};
use crate::error::HttpError;
use crate::keys::digest;
use crate::state::AppState;
use crate::store::{Taken, TokenRow};

/// A refusal at the token or revocation endpoint.
pub(crate) struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    basic: bool,
}

impl TokenError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic: false,
        }
    }

    fn grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }
}

impl From<HttpError> for TokenError {
    fn from(error: HttpError) -> Self {
        Self {
            status: error.status(),
            error: if error.status().is_server_error() {
                "server_error"
            } else {
                "invalid_request"
            },
            description: "the request could not be handled; try again".to_owned(),
            basic: false,
        }
    }
}

impl From<crate::store::StoreError> for TokenError {
    fn from(error: crate::store::StoreError) -> Self {
        HttpError::from(error).into()
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let mut response = oauth_error(self.status, self.error, &self.description);
        if self.basic {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"tgauth\""),
            );
        }
        cors(&mut response);
        response
    }
}

/// The form of a token or revocation request; a repeated parameter is refused (RFC 6749 §3.2).
fn form(body: &[u8]) -> Result<Vec<(String, String)>, TokenError> {
    let pairs = crate::pages::form_pairs(body);
    for (index, (name, _)) in pairs.iter().enumerate() {
        if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
            return Err(TokenError::new(
                "invalid_request",
                format!("the parameter {name} appears twice"),
            ));
        }
    }
    Ok(pairs)
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    crate::pages::form_value(pairs, name).filter(|value| !value.is_empty())
}

/// The authenticated client of a request: HTTP Basic (its parts form-encoded, RFC 6749
/// §2.3.1), or `client_id` and `client_secret` in the body, or `client_id` alone for a public
/// client. Secrets are compared by their SHA-256, in constant time.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Client, TokenError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "));
    let (id, secret, used_basic) = match basic {
        Some(credentials) => {
            let decoded = STANDARD
                .decode(credentials.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| TokenError {
                    status: StatusCode::UNAUTHORIZED,
                    basic: true,
                    ..TokenError::new("invalid_client", "the Basic credentials are not base64")
                })?;
            let (id, secret) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
            let decode = |part: &str| {
                tgauth::login::tgauth_core::decode_form_component(part)
                    .map(|value| value.into_owned())
                    .unwrap_or_default()
            };
            (decode(id), Some(decode(secret)), true)
        }
        None => (
            value(pairs, "client_id").unwrap_or_default().to_owned(),
            value(pairs, "client_secret").map(str::to_owned),
            false,
        ),
    };
    let refused = |description: &str| TokenError {
        status: StatusCode::UNAUTHORIZED,
        basic: used_basic,
        ..TokenError::new("invalid_client", description)
    };
    let Some(client) = client(state, &id).await? else {
        return Err(refused("unknown client"));
    };
    match (&client.secret_hash, secret) {
        (Some(expected), Some(secret)) => {
            if tgauth::constant_time_eq(digest(secret.as_bytes()).as_bytes(), expected.as_bytes()) {
                Ok(client)
            } else {
                Err(refused("wrong client secret"))
            }
        }
        (Some(_), None) => Err(refused(
            "a confidential client authenticates with client_secret_basic or client_secret_post",
        )),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(refused("a public client has no secret")),
    }
}

/// `POST /oauth2/token`.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match token_inner(&state, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn token_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    let pairs = form(body)?;
    let client = authenticate(state, headers, &pairs).await?;
    let now = state.now();
    match value(&pairs, "grant_type") {
        Some("authorization_code") => exchange_code(state, &client, &pairs, now).await,
        Some("refresh_token") => refresh(state, &client, &pairs, now).await,
        Some(_) => Err(TokenError::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        )),
        None => Err(TokenError::new("invalid_request", "grant_type is missing")),
    }
}

async fn exchange_code(
    state: &AppState,
    client: &Client,
    pairs: &[(String, String)],
    now: UnixTime,
) -> Result<Response, TokenError> {
    let code = value(pairs, "code")
        .ok_or_else(|| TokenError::new("invalid_request", "code is missing"))?;
    let row = match state
        .db
        .take_oidc_code(&digest(code.as_bytes()), now)
        .await?
    {
        Taken::First(row) => row,
        Taken::Again { family } => {
            let revoked = state.db.revoke_oidc_family(&family, now).await?;
            tracing::warn!(
                revoked,
                "an authorization code was used twice; its tokens are revoked"
            );
            return Err(TokenError::grant(
                "the code was used already; every token issued from it is revoked",
            ));
        }
        Taken::Unknown => return Err(TokenError::grant("unknown code")),
    };
    if row.client_id != client.id {
        return Err(TokenError::grant("the code was issued to another client"));
    }
    if row.expires_at <= now {
        return Err(TokenError::grant("the code expired; start the login again"));
    }
    if value(pairs, "redirect_uri") != Some(row.redirect_uri.as_str()) {
        return Err(TokenError::grant(
            "redirect_uri is not the one of the authorization request",
        ));
    }
    match (&row.code_challenge, value(pairs, "code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let valid_shape = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            let computed = URL_SAFE_NO_PAD.encode(ring::digest::digest(
                &ring::digest::SHA256,
                verifier.as_bytes(),
            ));
            if !valid_shape || !tgauth::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
            {
                return Err(TokenError::grant("the PKCE code_verifier does not match"));
            }
        }
        (Some(_), None) => {
            return Err(TokenError::grant("code_verifier is missing (PKCE)"));
        }
        (None, Some(_)) => {
            return Err(TokenError::grant(
                "a code_verifier was sent but the authorization request had no code_challenge",
            ));
        }
        (None, None) => {}
    }
    issue_tokens(
        state,
        client,
        Grant {
            family: row.family,
            telegram_id: row.telegram_id,
            scope: row.scope,
            auth_time: row.auth_time,
            nonce: row.nonce,
        },
        now,
    )
    .await
}

async fn refresh(
    state: &AppState,
    client: &Client,
    pairs: &[(String, String)],
    now: UnixTime,
) -> Result<Response, TokenError> {
    let token = value(pairs, "refresh_token")
        .ok_or_else(|| TokenError::new("invalid_request", "refresh_token is missing"))?;
    let row = match state
        .db
        .use_refresh_token(&digest(token.as_bytes()), now)
        .await?
    {
        Taken::First(row) => row,
        Taken::Again { family } => {
            let revoked = state.db.revoke_oidc_family(&family, now).await?;
            tracing::warn!(
                revoked,
                "a refresh token was used twice; its family is revoked"
            );
            return Err(TokenError::grant(
                "the refresh token was used already; every token of its login is revoked",
            ));
        }
        Taken::Unknown => {
            return Err(TokenError::grant(
                "unknown, expired or revoked refresh token",
            ));
        }
    };
    if row.client_id != client.id {
        state.db.revoke_oidc_family(&row.family, now).await?;
        return Err(TokenError::grant(
            "the refresh token was issued to another client",
        ));
    }
    // A refresh may narrow the scope, never widen it (RFC 6749 §6).
    let scope = match value(pairs, "scope") {
        Some(asked) => {
            let granted: Vec<&str> = row.scope.split(' ').collect();
            if !asked.split(' ').all(|scope| granted.contains(&scope)) {
                return Err(TokenError::new(
                    "invalid_scope",
                    "a refresh cannot ask for more than the login granted",
                ));
            }
            asked.to_owned()
        }
        None => row.scope.clone(),
    };
    issue_tokens(
        state,
        client,
        Grant {
            family: row.family,
            telegram_id: row.telegram_id,
            scope,
            auth_time: row.auth_time,
            nonce: None,
        },
        now,
    )
    .await
}

/// What tokens are issued for.
pub(crate) struct Grant {
    pub(crate) family: String,
    pub(crate) telegram_id: tgauth::UserId,
    pub(crate) scope: String,
    pub(crate) auth_time: UnixTime,
    pub(crate) nonce: Option<String>,
}

async fn issue_tokens(
    state: &AppState,
    client: &Client,
    grant: Grant,
    now: UnixTime,
) -> Result<Response, TokenError> {
    let settings = &state.config.provider;
    let access_ttl = i64::try_from(settings.access_token_ttl.as_secs()).unwrap_or(3_600);
    let refresh_ttl = i64::try_from(settings.refresh_token_ttl.as_secs()).unwrap_or(86_400);
    let access = crate::keys::random_token(32).map_err(HttpError::from)?;
    let refresh = crate::keys::random_token(32).map_err(HttpError::from)?;
    let row = |token: &str, kind: &'static str, ttl: i64| TokenRow {
        token_hash: digest(token.as_bytes()),
        kind,
        family: grant.family.clone(),
        client_id: client.id.clone(),
        telegram_id: grant.telegram_id,
        scope: grant.scope.clone(),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: now.plus(ttl),
    };
    let scopes: Vec<&str> = grant.scope.split(' ').collect();
    let mut id_token = super::claims::claims(state, client, grant.telegram_id, &scopes).await?;
    id_token.insert("iss".into(), json!(state.config.public_url));
    id_token.insert("aud".into(), json!(client.id));
    id_token.insert("azp".into(), json!(client.id));
    id_token.insert("iat".into(), json!(now.as_secs()));
    id_token.insert("exp".into(), json!(now.plus(access_ttl).as_secs()));
    id_token.insert("auth_time".into(), json!(grant.auth_time.as_secs()));
    if let Some(nonce) = &grant.nonce {
        id_token.insert("nonce".into(), json!(nonce));
    }
    let id_token = state
        .provider_keys
        .current()
        .sign(&id_token)
        .map_err(|error| HttpError::internal(SigningFailed(error)))?;
    state
        .db
        .insert_oidc_tokens([
            &row(&access, "access", access_ttl),
            &row(&refresh, "refresh", refresh_ttl),
        ])
        .await?;
    let mut response = Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": access_ttl,
        "refresh_token": refresh,
        "id_token": id_token,
        "scope": grant.scope,
    }))
    .into_response();
    no_store(&mut response);
    cors(&mut response);
    Ok(response)
}

use axum::Json;

/// Signing an ID token failed.
#[derive(Debug, thiserror::Error)]
#[error("signing an ID token failed: {0}")]
struct SigningFailed(String);

/// `POST /oauth2/revoke` (RFC 7009): `token` and the client's credentials. A refresh token
/// revokes its whole login; an access token itself. Unknown tokens are answered 200 too.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let revoked = async {
        let pairs = form(&body)?;
        let client = authenticate(&state, &headers, &pairs).await?;
        let token = value(&pairs, "token")
            .ok_or_else(|| TokenError::new("invalid_request", "token is missing"))?;
        let now = state.now();
        if let Some(row) = state.db.oidc_token(&digest(token.as_bytes())).await?
            && row.client_id == client.id
        {
            if row.kind == "refresh" {
                state.db.revoke_oidc_family(&row.family, now).await?;
            } else {
                state.db.revoke_oidc_token(&row.token_hash, now).await?;
            }
        }
        Ok::<_, TokenError>(())
    };
    match revoked.await {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            no_store(&mut response);
            cors(&mut response);
            response
        }
        Err(error) => error.into_response(),
    }
}
