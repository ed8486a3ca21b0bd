//! The HTTP side of the flow (feature `oidc-client`): discovery, JWKS fetch and code exchange.
//!
//! [`OidcClient`] talks to the provider's endpoints ([`Provider::telegram`], or the sandbox via
//! [`Provider::with_base_url`]) with reqwest on rustls. The token request authenticates with
//! HTTP Basic (`client_id:client_secret`) and sends the PKCE verifier. Every answer is read up
//! to a size cap. No `reqwest::Error` crosses the API, and the client secret and access token
//! never appear in `Debug` or errors.
//!
//! [`JwksCache`] holds the provider's keys for the relying party: refetched after a maximum
//! age, and on an unknown `kid` (at most once per minimum interval) before one retry.

mod cache;

use std::time::Duration;

use serde::Deserialize;
use tgauth_core::BotId;
use zeroize::Zeroizing;

use super::{IdTokenError, IdTokenValidator, Jwks, PkceVerifier, Provider};

pub use cache::JwksCache;

/// The client secret @BotFather issues for OpenID Connect: redacted `Debug`, zeroized on drop.
#[derive(Clone)]
pub struct ClientSecret(Zeroizing<String>);

impl ClientSecret {
    /// Wraps the secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientSecret({})", tgauth_core::REDACTED)
    }
}

/// Why a request to the provider failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The HTTP client could not be built.
    #[error("HTTP client could not be built: {what}")]
    Setup {
        /// What failed.
        what: String,
    },
    /// The request did not complete (connection, TLS, timeout).
    #[error("request to {endpoint} failed: {what}")]
    Transport {
        /// The endpoint URL.
        endpoint: String,
        /// What failed.
        what: String,
    },
    /// The provider answered with an error status.
    #[error("{endpoint} answered {status}: {body}")]
    Status {
        /// The endpoint URL.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (an OAuth error object, usually).
        body: String,
    },
    /// The discovery document names another issuer than the provider's (OpenID Connect
    /// Discovery 1.0 section 4.3 requires them to be identical).
    #[error("discovery document names issuer `{found}`, expected `{expected}`")]
    IssuerMismatch {
        /// The provider's issuer.
        expected: String,
        /// The `issuer` of the discovery document (at most 256 characters of it).
        found: String,
    },
    /// The answer's body is larger than the client accepts (see
    /// [`OidcClient::with_max_body_size`]): reading stopped there.
    #[error("{endpoint} answered a body larger than {limit} bytes")]
    BodyTooLarge {
        /// The endpoint URL.
        endpoint: String,
        /// The accepted maximum, in bytes.
        limit: usize,
    },
    /// The `id_token` was refused ([`JwksCache::validate`]).
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    /// The answer is not the expected JSON.
    #[error("{endpoint} answered something that is not {expected}")]
    Decode {
        /// The endpoint URL.
        endpoint: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// The provider's discovery document (`/.well-known/openid-configuration`), the fields used here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    /// The issuer.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The JWKS URL.
    pub jwks_uri: String,
    /// Supported scopes, if listed.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// Supported id_token signing algorithms, if listed.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// The token endpoint's answer.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    /// The signed `id_token`: validate it with [`IdTokenValidator`].
    pub id_token: String,
    /// The access token, if any (redacted in `Debug`).
    #[serde(default)]
    pub access_token: Option<String>,
    /// The token type (`Bearer`).
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds until the access token expires.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("id_token", &"<jwt>")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| tgauth_core::REDACTED),
            )
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// A relying party's connection to one provider.
#[derive(Debug, Clone)]
pub struct OidcClient {
    http: reqwest::Client,
    provider: Provider,
    client_id: String,
    client_secret: ClientSecret,
    max_body_size: usize,
}

/// The longest error body kept in [`ClientError::Status`].
const BODY_EXCERPT: usize = 512;

/// The largest body read by default: discovery documents, JWKS and token responses are a few
/// kilobytes.
pub const DEFAULT_MAX_BODY_SIZE: usize = 1 << 20;

impl OidcClient {
    /// A client for the OpenID Connect client `client_id` at `provider`, with a 30 s timeout
    /// and no redirects followed. Telegram's client id is the bot id: [`OidcClient::for_bot`]
    /// says so in a type.
    pub fn new(
        provider: Provider,
        client_id: impl Into<String>,
        client_secret: ClientSecret,
    ) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClientError::Setup {
                what: error.to_string(),
            })?;
        Ok(Self {
            http,
            provider,
            client_id: client_id.into(),
            client_secret,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        })
    }

    /// A client for the bot `bot_id` at `provider` (Telegram's client id is the bot id).
    pub fn for_bot(
        provider: Provider,
        bot_id: BotId,
        client_secret: ClientSecret,
    ) -> Result<Self, ClientError> {
        Self::new(provider, bot_id.to_string(), client_secret)
    }

    /// Sets the largest response body read, in bytes ([`DEFAULT_MAX_BODY_SIZE`], 1 MiB, by
    /// default): a larger answer is refused with [`ClientError::BodyTooLarge`] without being
    /// read to its end.
    pub fn with_max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// A validator for this client's tokens under `jwks`.
    pub fn validator(&self, jwks: Jwks) -> IdTokenValidator {
        IdTokenValidator::new(jwks, self.client_id.clone()).with_issuer(self.provider.issuer())
    }

    /// Fetches the discovery document and checks that it names the provider's issuer.
    pub async fn discovery(&self) -> Result<Discovery, ClientError> {
        let endpoint = self.provider.discovery_url();
        let response = self.http.get(endpoint).send().await;
        let discovery: Discovery = read_json(
            endpoint,
            response,
            "a discovery document",
            self.max_body_size,
        )
        .await?;
        if discovery.issuer != self.provider.issuer() {
            return Err(ClientError::IssuerMismatch {
                expected: self.provider.issuer().to_owned(),
                found: discovery.issuer.chars().take(256).collect(),
            });
        }
        Ok(discovery)
    }

    /// Fetches the JWKS.
    pub async fn jwks(&self) -> Result<Jwks, ClientError> {
        let endpoint = self.provider.jwks_uri();
        let response = self.http.get(endpoint).send().await;
        read_json(endpoint, response, "a JWKS", self.max_body_size).await
    }

    /// Exchanges the authorization `code` for tokens, sending the PKCE verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &PkceVerifier,
    ) -> Result<TokenResponse, ClientError> {
        let endpoint = self.provider.token_endpoint();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", &self.client_id)
            .append_pair("code_verifier", verifier.dangerous_expose())
            .finish();
        let response = self
            .http
            .post(endpoint)
            .basic_auth(&self.client_id, Some(&*self.client_secret.0))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await;
        read_json(endpoint, response, "a token response", self.max_body_size).await
    }
}

/// Reads a JSON answer of at most `limit` bytes, in chunks: a larger body is refused as soon as
/// it passes the limit (or at once, when its `Content-Length` says so), never read to its end.
async fn read_json<T: for<'de> Deserialize<'de>>(
    endpoint: &str,
    response: Result<reqwest::Response, reqwest::Error>,
    expected: &'static str,
    limit: usize,
) -> Result<T, ClientError> {
    let transport = |error: reqwest::Error| ClientError::Transport {
        endpoint: endpoint.to_owned(),
        // Without the URL: it could carry a query the caller considers private.
        what: error.without_url().to_string(),
    };
    let mut response = response.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        // Only the excerpt is kept: at most four UTF-8 bytes per character of it are read.
        let (bytes, _) = read_limited(&mut response, limit.min(4 * BODY_EXCERPT))
            .await
            .map_err(transport)?;
        let body = String::from_utf8_lossy(&bytes);
        return Err(ClientError::Status {
            endpoint: endpoint.to_owned(),
            status: status.as_u16(),
            body: body.chars().take(BODY_EXCERPT).collect(),
        });
    }
    let too_large = || ClientError::BodyTooLarge {
        endpoint: endpoint.to_owned(),
        limit,
    };
    if response
        .content_length()
        .is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(too_large());
    }
    let (bytes, cut) = read_limited(&mut response, limit)
        .await
        .map_err(transport)?;
    if cut {
        return Err(too_large());
    }
    serde_json::from_slice(&bytes).map_err(|_| ClientError::Decode {
        endpoint: endpoint.to_owned(),
        expected,
    })
}

/// The body's first `limit` bytes, and whether there was more.
async fn read_limited(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(chunk.get(..room).unwrap_or_default());
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}
