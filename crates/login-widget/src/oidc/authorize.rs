//! The start of the flow: the provider's endpoints, scopes, PKCE, and the authorization URL.

use base64::Engine as _;
use ring::{digest, rand::SecureRandom};
use zeroize::Zeroizing;

use super::{B64, TELEGRAM_ISSUER};
use crate::ConfigError;

/// The endpoints of an OpenID Connect provider: Telegram's, or the sandbox's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    discovery_url: String,
}

impl Provider {
    /// `https://oauth.telegram.org`.
    pub fn telegram() -> Self {
        Self::with_base_url(TELEGRAM_ISSUER)
    }

    /// A provider at `base` (e.g. the sandbox on `http://127.0.0.1:PORT`), Telegram's paths
    /// under it, issuer = `base`.
    pub fn with_base_url(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            issuer: base.to_owned(),
            authorization_endpoint: format!("{base}/auth"),
            token_endpoint: format!("{base}/token"),
            jwks_uri: format!("{base}/.well-known/jwks.json"),
            discovery_url: format!("{base}/.well-known/openid-configuration"),
        }
    }

    /// Overrides the expected issuer (for an emulator that signs as `https://oauth.telegram.org`).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The `iss` of the provider's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The authorization endpoint (`/auth`).
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }

    /// The token endpoint (`/token`).
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The JWKS URL (`/.well-known/jwks.json`).
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// The discovery document URL (`/.well-known/openid-configuration`).
    pub fn discovery_url(&self) -> &str {
        &self.discovery_url
    }
}

/// The scopes Telegram's provider knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `openid`: required, yields the `id_token`.
    OpenId,
    /// `profile`: name, username and picture.
    Profile,
    /// `phone`: the verified phone number.
    Phone,
    /// `telegram:bot_access`: lets the bot message the user.
    BotAccess,
}

impl Scope {
    /// The scope as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::Profile => "profile",
            Self::Phone => "phone",
            Self::BotAccess => "telegram:bot_access",
        }
    }
}

/// A PKCE code verifier (RFC 7636): 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`. Secret
/// until the code exchange: redacted `Debug`, zeroized on drop.
#[derive(Clone)]
pub struct PkceVerifier(Zeroizing<String>);

impl std::fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PkceVerifier({})", tgauth_core::REDACTED)
    }
}

impl PkceVerifier {
    /// Checks the RFC 7636 shape of a verifier kept from an earlier request.
    pub fn new(verifier: impl Into<String>) -> Result<Self, ConfigError> {
        let verifier = Zeroizing::new(verifier.into());
        let valid = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if valid {
            Ok(Self(verifier))
        } else {
            Err(ConfigError::InvalidPkceVerifier)
        }
    }

    /// A fresh verifier of 32 random bytes (43 base64url characters).
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, ConfigError> {
        Ok(Self(Zeroizing::new(random_token(rng)?)))
    }

    /// The S256 code challenge: base64url(SHA-256(verifier)).
    pub fn challenge(&self) -> String {
        B64.encode(digest::digest(&digest::SHA256, self.0.as_bytes()))
    }

    /// The verifier itself, for the token request.
    pub fn dangerous_expose(&self) -> &str {
        &self.0
    }
}

/// 32 random bytes in base64url: for `state`, `nonce` and PKCE verifiers.
pub fn random_token(rng: &dyn SecureRandom) -> Result<String, ConfigError> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes)
        .map_err(|_| ConfigError::RandomUnavailable)?;
    Ok(B64.encode(bytes))
}

/// A fresh `state`, `nonce` and PKCE verifier for one login attempt: keep them (server-side,
/// or in an encrypted cookie) until the callback.
///
/// All three are secrets until the callback (whoever holds the `state` can complete a login
/// into the attempt's session), so `Debug` shows none of them.
#[derive(Clone)]
pub struct LoginAttempt {
    /// The anti-CSRF value the callback must echo.
    pub state: String,
    /// The value the `id_token` must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub pkce: PkceVerifier,
}

impl std::fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("state", &tgauth_core::REDACTED)
            .field("nonce", &tgauth_core::REDACTED)
            .field("pkce", &self.pkce)
            .finish()
    }
}

impl LoginAttempt {
    /// Draws the three values from `rng` (e.g. `ring::rand::SystemRandom::new()`).
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, ConfigError> {
        Ok(Self {
            state: random_token(rng)?,
            nonce: random_token(rng)?,
            pkce: PkceVerifier::generate(rng)?,
        })
    }

    /// The authorization URL for this attempt.
    pub fn url(
        &self,
        provider: &Provider,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[Scope],
    ) -> String {
        AuthorizationParams {
            client_id,
            redirect_uri,
            scopes,
            state: &self.state,
            nonce: &self.nonce,
            pkce: &self.pkce,
        }
        .url(provider)
    }
}

/// What goes into the authorization URL.
#[derive(Debug, Clone)]
pub struct AuthorizationParams<'a> {
    /// The client id: the bot id.
    pub client_id: &'a str,
    /// Where the provider sends the user back with `code` and `state`.
    pub redirect_uri: &'a str,
    /// The scopes; `openid` is added when missing.
    pub scopes: &'a [Scope],
    /// The anti-CSRF `state` to check on the callback.
    pub state: &'a str,
    /// The `nonce` the `id_token` must carry.
    pub nonce: &'a str,
    /// The PKCE verifier whose S256 challenge is sent.
    pub pkce: &'a PkceVerifier,
}

impl AuthorizationParams<'_> {
    /// The authorization URL at `provider`.
    pub fn url(&self, provider: &Provider) -> String {
        let mut scopes: Vec<&str> = Vec::with_capacity(self.scopes.len() + 1);
        if !self.scopes.contains(&Scope::OpenId) {
            scopes.push(Scope::OpenId.as_str());
        }
        scopes.extend(self.scopes.iter().map(|scope| scope.as_str()));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", self.state)
            .append_pair("nonce", self.nonce)
            .append_pair("code_challenge", &self.pkce.challenge())
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("{}?{query}", provider.authorization_endpoint())
    }
}
