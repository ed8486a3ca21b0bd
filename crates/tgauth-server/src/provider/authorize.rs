//! `GET /oauth2/authorize` and the consent form's answer (`POST /oauth2/authorize`).
//!
//! The client and its redirect URI are checked first: until both are known to belong
//! together, every refusal is a page for the person (never a redirect, which would make the
//! service an open redirector). After that, refusals go back to the client as
//! `error=...&error_description=...&state=...`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use tgauth::UnixTime;
use tower_sessions::Session;

use super::{Client, SCOPES, client};
use crate::error::HttpError;
use crate::keys::digest;
use crate::pages::{Layout, display_name, logged_in, render};
use crate::sessions::SessionUser;
use crate::state::AppState;
use crate::store::CodeRow;

/// How long a code may wait to be exchanged.
const CODE_TTL: i64 = 300;
/// The longest `state` and `nonce` echoed.
const MAX_ECHO: usize = 1_024;

/// An authorization request's parameters (no `Debug`: `state` and `nonce` are the client's
/// secrets).
#[derive(Default)]
struct Request {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    response_mode: Option<String>,
}

impl Request {
    fn parse(query: &str) -> Result<Self, HttpError> {
        let mut request = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "response_type" => &mut request.response_type,
                "client_id" => &mut request.client_id,
                "redirect_uri" => &mut request.redirect_uri,
                "scope" => &mut request.scope,
                "state" => &mut request.state,
                "nonce" => &mut request.nonce,
                "code_challenge" => &mut request.code_challenge,
                "code_challenge_method" => &mut request.code_challenge_method,
                "prompt" => &mut request.prompt,
                "response_mode" => &mut request.response_mode,
                _ => continue,
            };
            if slot.is_some() {
                return Err(HttpError::bad_request(
                    "invalid_request",
                    format!("the parameter {name} appears twice"),
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(request)
    }
}

/// A request whose client and redirect URI belong together.
struct Checked {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    prompt: Vec<String>,
}

/// A refusal: a page (client or redirect URI unknown) or a redirect back to the client.
enum Refusal {
    Page(HttpError),
    Redirect(Response),
}

impl From<HttpError> for Refusal {
    fn from(error: HttpError) -> Self {
        Self::Page(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Page(error) => error.into_response(),
            Self::Redirect(response) => response,
        }
    }
}

/// `redirect_uri` with `pairs` added to its query.
fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    match reqwest::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in pairs {
                    query.append_pair(name, value);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// Back to the client with an OAuth error (and its `state`).
fn back_with_error(
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Refusal {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    Refusal::Redirect(Redirect::to(&with_query(redirect_uri, &pairs)).into_response())
}

async fn check(state: &AppState, request: Request) -> Result<Checked, Refusal> {
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let Some(client) = client(state, client_id).await? else {
        return Err(Refusal::Page(HttpError::bad_request(
            "unknown_client",
            format!(
                "the application asking to log you in is not registered here (client_id {:?})",
                client_id.chars().take(64).collect::<String>()
            ),
        )));
    };
    let Some(redirect_uri) = request.redirect_uri.filter(|uri| {
        client
            .redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }) else {
        return Err(Refusal::Page(HttpError::bad_request(
            "redirect_uri_mismatch",
            format!(
                "{} asked to send you back to an address it did not register; nothing was sent",
                client.name
            ),
        )));
    };
    let echo = request.state.filter(|state| state.len() <= MAX_ECHO);
    let refuse = |error: &str, description: &str| {
        back_with_error(&redirect_uri, echo.as_deref(), error, description)
    };
    if request
        .response_mode
        .as_deref()
        .is_some_and(|mode| mode != "query")
    {
        return Err(refuse(
            "invalid_request",
            "only response_mode=query is supported",
        ));
    }
    if request.response_type.as_deref() != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only the authorization code flow (response_type=code) is supported",
        ));
    }
    let scopes: Vec<String> = request
        .scope
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(refuse("invalid_scope", "the scope must include openid"));
    }
    if let Some(unknown) = scopes
        .iter()
        .find(|scope| !SCOPES.contains(&scope.as_str()))
    {
        let unknown: String = unknown.chars().take(64).collect();
        return Err(refuse(
            "invalid_scope",
            &format!("the scope {unknown:?} is not supported"),
        ));
    }
    match (
        &request.code_challenge,
        request.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), Some("S256")) => {
            let valid = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
                ));
            }
        }
        (Some(_), _) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, _) if client.public => {
            return Err(refuse(
                "invalid_request",
                "a public client must use PKCE (code_challenge with S256)",
            ));
        }
        (None, _) => {}
    }
    if request
        .nonce
        .as_ref()
        .is_some_and(|nonce| nonce.len() > MAX_ECHO)
    {
        return Err(refuse("invalid_request", "the nonce is too long"));
    }
    Ok(Checked {
        client,
        redirect_uri,
        state: echo,
        scopes,
        nonce: request.nonce,
        code_challenge: request.code_challenge,
        prompt: request
            .prompt
            .unwrap_or_default()
            .split(' ')
            .filter(|prompt| !prompt.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    layout: Layout,
    client_name: String,
    redirect_host: String,
    person: String,
    claims: Vec<&'static str>,
    request: String,
    next: String,
}

/// What each scope lets the client see, as the consent screen says it.
fn claim_lines(scopes: &[String]) -> Vec<&'static str> {
    let mut lines = vec!["Who you are on Telegram (an identifier for this application)"];
    for scope in scopes {
        lines.push(match scope.as_str() {
            "profile" => {
                "Your Telegram name, username and photo, and whether you connected the bot"
            }
            "phone" => "Your phone number, if Telegram Passport verified it",
            "email" => "Your e-mail address, if Telegram Passport verified it",
            "passport" => "Your names and date of birth as Telegram Passport verified them",
            "offline_access" => "Staying logged in when you are away (a refresh token)",
            _ => continue,
        });
    }
    lines
}

/// `GET /oauth2/authorize`.
pub(crate) async fn authorize(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    match authorize_inner(&state, &session, &query).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

async fn authorize_inner(
    state: &AppState,
    session: &Session,
    query: &str,
) -> Result<Response, Refusal> {
    let checked = check(state, Request::parse(query)?).await?;
    let none = checked.prompt.iter().any(|prompt| prompt == "none");
    let Some(user) = logged_in(session).await else {
        if none {
            return Err(back_with_error(
                &checked.redirect_uri,
                checked.state.as_deref(),
                "login_required",
                "the person is not logged in at tgauth",
            ));
        }
        let next: String =
            form_urlencoded::byte_serialize(format!("/oauth2/authorize?{query}").as_bytes())
                .collect();
        return Ok(Redirect::to(&format!("/login?next={next}")).into_response());
    };
    let granted = state
        .db
        .oidc_consent(user.telegram_id, &checked.client.id)
        .await
        .map_err(HttpError::from)?;
    let covered = granted.is_some_and(|granted| {
        let granted: Vec<&str> = granted.split(' ').collect();
        checked
            .scopes
            .iter()
            .all(|scope| granted.contains(&scope.as_str()))
    });
    let ask = checked.prompt.iter().any(|prompt| prompt == "consent")
        || !(checked.client.trusted || covered);
    if !ask {
        return issue(state, &user, checked).await;
    }
    if none {
        return Err(back_with_error(
            &checked.redirect_uri,
            checked.state.as_deref(),
            "consent_required",
            "the person has not allowed this application yet",
        ));
    }
    let redirect_host = reqwest::Url::parse(&checked.redirect_uri)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let next: String =
        form_urlencoded::byte_serialize(format!("/oauth2/authorize?{query}").as_bytes()).collect();
    let origin = reqwest::Url::parse(&checked.redirect_uri)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    let mut page = render(&ConsentPage {
        layout: Layout::new(
            state,
            format!("Log in to {}", checked.client.name),
            Some(&user),
        ),
        client_name: checked.client.name.clone(),
        redirect_host,
        person: display_name(&user),
        claims: claim_lines(&checked.scopes),
        request: query.to_owned(),
        next,
    })?;
    page.extensions_mut()
        .insert(crate::pages::FormTarget(origin));
    Ok(page)
}

/// `POST /oauth2/authorize` (`request`, `decision`): the consent screen's answer.
pub(crate) async fn consent(
    State(state): State<AppState>,
    session: Session,
    body: Bytes,
) -> Response {
    let pairs = crate::pages::form_pairs(&body);
    let query = crate::pages::form_value(&pairs, "request").unwrap_or_default();
    let decision = crate::pages::form_value(&pairs, "decision").unwrap_or_default();
    let answered = async {
        let checked = check(&state, Request::parse(query)?).await?;
        let Some(user) = logged_in(&session).await else {
            return Err(Refusal::Page(HttpError::unauthorized(
                "not_logged_in",
                "log in first",
            )));
        };
        match decision {
            "allow" => {
                state
                    .db
                    .put_oidc_consent(
                        user.telegram_id,
                        &checked.client.id,
                        &checked.scopes.join(" "),
                        state.now(),
                    )
                    .await
                    .map_err(HttpError::from)?;
                issue(&state, &user, checked).await
            }
            "deny" => Err(back_with_error(
                &checked.redirect_uri,
                checked.state.as_deref(),
                "access_denied",
                "the person did not allow it",
            )),
            _ => Err(Refusal::Page(HttpError::bad_request(
                "invalid_request",
                "answer Allow or Deny",
            ))),
        }
    };
    match answered.await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// A new code, stored as its hash, and the redirect that carries it to the client.
async fn issue(
    state: &AppState,
    user: &SessionUser,
    checked: Checked,
) -> Result<Response, Refusal> {
    let now: UnixTime = state.now();
    let code = crate::keys::random_token(32).map_err(HttpError::from)?;
    let family = crate::keys::random_id().map_err(HttpError::from)?;
    state
        .db
        .insert_oidc_code(&CodeRow {
            code_hash: digest(code.as_bytes()),
            family,
            client_id: checked.client.id.clone(),
            telegram_id: user.telegram_id,
            redirect_uri: checked.redirect_uri.clone(),
            scope: checked.scopes.join(" "),
            nonce: checked.nonce,
            code_challenge: checked.code_challenge,
            auth_time: user.created_at,
            expires_at: now.plus(CODE_TTL),
        })
        .await
        .map_err(HttpError::from)?;
    let mut pairs = vec![("code", code.as_str())];
    let issuer = state.config.public_url.clone();
    if let Some(client_state) = checked.state.as_deref() {
        pairs.push(("state", client_state));
    }
    // RFC 9207: the client can tell which provider answered.
    pairs.push(("iss", issuer.as_str()));
    Ok(Redirect::to(&with_query(&checked.redirect_uri, &pairs)).into_response())
}
