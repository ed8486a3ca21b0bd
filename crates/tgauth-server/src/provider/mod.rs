//! "Log in with tgauth": the service as an OpenID Connect provider for other applications.
//!
//! Any OIDC client (Grafana, Gitea, oauth2-proxy, a Django or Rails app) sends people to
//! `/oauth2/authorize`; they log in at tgauth with any Telegram method the service offers
//! (the authorize endpoint sends a browser without a session to `/login` and back), consent
//! on a page naming the client and the claims, and the client gets a code it exchanges at
//! `/oauth2/token` for an ID token, an access token for `/oauth2/userinfo` and a refresh
//! token. The issuer is the public URL; discovery at `/.well-known/openid-configuration`.
//!
//! - The authorization code flow only (`response_type=code`, `response_mode=query`), with
//!   PKCE S256 (required for public clients, honoured for confidential ones), `state` and
//!   `nonce` echoed.
//! - Clients authenticate with `client_secret_basic` or `client_secret_post`; public clients
//!   with `none`. Redirect URIs match exactly; a mismatch is shown to the person, never
//!   redirected to.
//! - A code works once; its reuse revokes every token issued from it. Refresh tokens rotate;
//!   a reused refresh token revokes its family.
//! - Claims are only what Telegram and Telegram Passport gave: no e-mail is ever made up.
//!
//! Codes and tokens are random and stored as their SHA-256 (`store/provider.rs`); ID tokens
//! are signed with keys the service generates and rotates (`keys.rs`).

mod authorize;
mod claims;
mod keys;
mod settings;
mod token;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

pub use keys::KeyError;
pub(crate) use keys::Keys;
pub use settings::{
    Client, ProviderSettings, SigningAlg, SubjectType, check_redirect_uri, secret_hash,
};
pub(crate) use settings::{ProviderArgs, ProviderFile};

use crate::error::HttpError;
use crate::state::AppState;
use crate::store::ClientRow;

/// The scopes a client may ask for.
pub(crate) const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "phone",
    "email",
    "passport",
    "offline_access",
];

/// The routes that need no browser session: discovery, keys, token, userinfo, revocation.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/jwks", get(jwks))
        .route("/oauth2/token", post(token::token).options(preflight))
        .route(
            "/oauth2/userinfo",
            get(claims::userinfo)
                .post(claims::userinfo)
                .options(preflight),
        )
        .route("/oauth2/revoke", post(token::revoke).options(preflight))
}

/// The browser's routes (with the session): authorize and end session.
pub(crate) fn browser_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/oauth2/logout", get(claims::end_session))
}

/// The consent form's answer: a cookie-authenticated state change, behind the CSRF layer.
pub(crate) fn form_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/oauth2/authorize", post(authorize::consent))
}

/// A client by id: the configuration's, then the database's.
pub(crate) async fn client(state: &AppState, id: &str) -> Result<Option<Client>, HttpError> {
    if let Some(client) = state.config.provider.clients.iter().find(|c| c.id == id) {
        return Ok(Some(client.clone()));
    }
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    Ok(state.db.oidc_client(id).await?.map(client_of_row))
}

/// The clients registered in the database.
pub(crate) async fn database_clients(state: &AppState) -> Result<Vec<Client>, HttpError> {
    Ok(state
        .db
        .oidc_clients()
        .await?
        .into_iter()
        .map(client_of_row)
        .collect())
}

fn client_of_row(row: ClientRow) -> Client {
    Client {
        id: row.id,
        name: row.name,
        secret_hash: row.secret_hash,
        redirect_uris: row.redirect_uris,
        post_logout_redirect_uris: row.post_logout_redirect_uris,
        public: row.public,
        trusted: row.trusted,
    }
}

/// An OAuth error answer (RFC 6749 §5.2): `{"error","error_description"}`.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    no_store(&mut response);
    response
}

/// Token answers are never cached (RFC 6749 §5.1).
pub(crate) fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = &state.config.public_url;
    let keys = state.provider_keys.current();
    let algorithms: Vec<&str> = keys
        .jwks()
        .keys
        .iter()
        .filter_map(|key| key.alg.as_deref())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let subject = match state.config.provider.subject_type {
        SubjectType::Public => "public",
        SubjectType::Pairwise => "pairwise",
    };
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
        "jwks_uri": format!("{issuer}/oauth2/jwks"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "end_session_endpoint": format!("{issuer}/oauth2/logout"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": [subject],
        "id_token_signing_alg_values_supported": algorithms,
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims::SUPPORTED,
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    let mut response = Json(document).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    cors(&mut response);
    response
}

/// `GET /oauth2/jwks`: every published key.
async fn jwks(State(state): State<AppState>) -> Response {
    let keys = state.provider_keys.current();
    let mut response = Json(keys.jwks().clone()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    cors(&mut response);
    response
}

/// Registers `client` in the database `url` names, with a new secret for a confidential
/// client, which is returned (it is shown once and stored only as its SHA-256).
pub async fn add_client(
    url: &str,
    mut client: Client,
    now: tgauth::UnixTime,
) -> Result<Option<String>, crate::StartError> {
    use crate::StartError;
    let secret = if client.public {
        client.secret_hash = None;
        None
    } else {
        let secret = crate::keys::random_token(32)?;
        client.secret_hash = Some(secret_hash(&secret));
        Some(secret)
    };
    client.validate().map_err(|reason| {
        StartError::Config(crate::ConfigError::new(
            format!("client {}", client.id),
            reason,
        ))
    })?;
    let db = crate::store::Db::open(url)
        .await
        .map_err(StartError::Store)?;
    let inserted = db
        .insert_oidc_client(&ClientRow {
            id: client.id.clone(),
            name: client.name.clone(),
            secret_hash: client.secret_hash.clone(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            public: client.public,
            trusted: client.trusted,
            created_at: now,
        })
        .await
        .map_err(StartError::Store)?;
    db.close().await;
    if !inserted {
        return Err(StartError::Config(crate::ConfigError::new(
            format!("client {}", client.id),
            "a client with this id is registered already (remove it first)",
        )));
    }
    Ok(secret)
}

/// The clients registered in the database `url` names.
pub async fn list_clients(url: &str) -> Result<Vec<Client>, crate::StartError> {
    let db = crate::store::Db::open(url)
        .await
        .map_err(crate::StartError::Store)?;
    let rows = db.oidc_clients().await.map_err(crate::StartError::Store)?;
    db.close().await;
    Ok(rows.into_iter().map(client_of_row).collect())
}

/// Removes a client and everything issued to it; whether it was registered.
pub async fn remove_client(url: &str, id: &str) -> Result<bool, crate::StartError> {
    let db = crate::store::Db::open(url)
        .await
        .map_err(crate::StartError::Store)?;
    let removed = db
        .delete_oidc_client(id)
        .await
        .map_err(crate::StartError::Store)?;
    db.close().await;
    Ok(removed)
}

/// The CORS preflight of a single-page app calling the token, userinfo or revocation endpoint
/// with an `Authorization` header: any origin, no cookies (the endpoints take none).
async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
    cors(&mut response);
    response
}

/// Public documents a browser app may read from another origin.
pub(crate) fn cors(response: &mut Response) {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}
