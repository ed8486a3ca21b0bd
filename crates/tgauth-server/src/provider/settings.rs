//! The provider's settings: the `[oidc]` section of the configuration file (with its
//! `[[oidc.clients]]`), and the flags and variables that override its scalars.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::ConfigError;

/// The algorithm new ID token signing keys use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[non_exhaustive]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256.
    #[default]
    #[serde(rename = "ES256", alias = "es256")]
    #[value(name = "ES256", alias = "es256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    #[serde(rename = "RS256", alias = "rs256")]
    #[value(name = "RS256", alias = "rs256")]
    Rs256,
    /// Ed25519.
    #[serde(rename = "EdDSA", alias = "eddsa")]
    #[value(name = "EdDSA", alias = "eddsa")]
    EdDsa,
}

impl SigningAlg {
    /// The JWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// What `sub` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SubjectType {
    /// The Telegram user id, the same for every client.
    #[default]
    Public,
    /// A different opaque id per client, so that clients cannot join their users.
    Pairwise,
}

/// The `[oidc]` section of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderFile {
    pub(crate) signing_alg: Option<SigningAlg>,
    pub(crate) subject_type: Option<SubjectType>,
    pub(crate) access_token_ttl_seconds: Option<u64>,
    pub(crate) refresh_token_ttl_seconds: Option<u64>,
    pub(crate) key_rotation_days: Option<u64>,
    #[serde(default)]
    pub(crate) clients: Vec<ClientFile>,
}

/// One `[[oidc.clients]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientFile {
    id: String,
    name: Option<String>,
    /// The SHA-256 of the secret, hex (`sha256:` prefix allowed).
    secret_hash: Option<String>,
    /// A file holding the secret.
    secret_file: Option<PathBuf>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    trusted: bool,
}

/// The provider's resolved settings.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The algorithm of new signing keys.
    pub signing_alg: SigningAlg,
    /// What `sub` is.
    pub subject_type: SubjectType,
    /// How long an access token (and an ID token) is valid.
    pub access_token_ttl: Duration,
    /// How long a refresh token is valid.
    pub refresh_token_ttl: Duration,
    /// How long a signing key signs before a new one replaces it; the old one stays published
    /// for a day after.
    pub key_rotation: Duration,
    /// The clients of the configuration file.
    pub clients: Vec<Client>,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            signing_alg: SigningAlg::default(),
            subject_type: SubjectType::default(),
            access_token_ttl: Duration::from_secs(3_600),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            key_rotation: Duration::from_secs(90 * 86_400),
            clients: Vec::new(),
        }
    }
}

/// A relying party allowed to log people in with the service.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// What the consent screen calls it.
    pub name: String,
    /// SHA-256 (lowercase hex) of the secret; `None` for a public client.
    pub secret_hash: Option<String>,
    /// The redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Where `end_session` may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (a native or single-page app): no secret, PKCE required.
    pub public: bool,
    /// A first-party app: no consent screen.
    pub trusted: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("redirect_uris", &self.redirect_uris)
            .field("public", &self.public)
            .field("trusted", &self.trusted)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks a client's shape: its id, its redirect URIs (absolute, no fragment; https
    /// unless on loopback, as RFC 8252 allows native apps), and that a confidential client has
    /// a secret and a public one has none. The message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !id_ok {
            return Err("the id must be 1 to 64 characters of A-Z a-z 0-9 - _ .".to_owned());
        }
        if self.redirect_uris.is_empty() {
            return Err("a client needs at least one redirect URI".to_owned());
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            check_redirect_uri(uri)?;
        }
        match (self.public, &self.secret_hash) {
            (false, None) => Err("a confidential client needs a secret".to_owned()),
            (true, Some(_)) => Err("a public client has no secret".to_owned()),
            _ => Ok(()),
        }
    }
}

/// A redirect URI a client may register.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(uri).map_err(|_| format!("{uri:?} is not an absolute URL"))?;
    if parsed.fragment().is_some() {
        return Err(format!("{uri:?} has a fragment, which OAuth forbids"));
    }
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{uri:?} must be https (http only on 127.0.0.1, [::1] or localhost)"
        )),
    }
}

/// The lowercase hex SHA-256 of a secret, as clients' secrets are stored.
pub fn secret_hash(secret: &str) -> String {
    crate::keys::digest(secret.as_bytes())
}

/// Overrides of the file's scalars from flags and variables.
#[derive(Debug, Default)]
pub(crate) struct ProviderArgs {
    pub(crate) signing_alg: Option<SigningAlg>,
    pub(crate) subject_type: Option<SubjectType>,
    pub(crate) access_token_ttl_seconds: Option<u64>,
    pub(crate) refresh_token_ttl_seconds: Option<u64>,
    pub(crate) key_rotation_days: Option<u64>,
}

impl ProviderFile {
    /// The settings: flags over the file over the defaults; clients' secrets read from their
    /// files and kept only as hashes.
    pub(crate) fn resolve(self, args: ProviderArgs) -> Result<ProviderSettings, ConfigError> {
        let defaults = ProviderSettings::default();
        let seconds =
            |value: Option<u64>, default: Duration| value.map_or(default, Duration::from_secs);
        let settings = ProviderSettings {
            signing_alg: args
                .signing_alg
                .or(self.signing_alg)
                .unwrap_or(defaults.signing_alg),
            subject_type: args
                .subject_type
                .or(self.subject_type)
                .unwrap_or(defaults.subject_type),
            access_token_ttl: seconds(
                args.access_token_ttl_seconds
                    .or(self.access_token_ttl_seconds),
                defaults.access_token_ttl,
            ),
            refresh_token_ttl: seconds(
                args.refresh_token_ttl_seconds
                    .or(self.refresh_token_ttl_seconds),
                defaults.refresh_token_ttl,
            ),
            key_rotation: args
                .key_rotation_days
                .or(self.key_rotation_days)
                .map_or(defaults.key_rotation, |days| {
                    Duration::from_secs(days.saturating_mul(86_400))
                }),
            clients: self
                .clients
                .into_iter()
                .enumerate()
                .map(|(index, client)| client.resolve(index))
                .collect::<Result<_, _>>()?,
        };
        for (name, value) in [
            ("oidc.access_token_ttl_seconds", settings.access_token_ttl),
            ("oidc.refresh_token_ttl_seconds", settings.refresh_token_ttl),
            ("oidc.key_rotation_days", settings.key_rotation),
        ] {
            if value.is_zero() {
                return Err(ConfigError::new(name, "must be at least 1"));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for client in &settings.clients {
            if !ids.insert(client.id.as_str()) {
                return Err(ConfigError::new(
                    "oidc.clients",
                    format!("the client id {:?} appears twice", client.id),
                ));
            }
        }
        Ok(settings)
    }
}

impl ClientFile {
    fn resolve(self, index: usize) -> Result<Client, ConfigError> {
        let setting = format!("oidc.clients[{index}]");
        let secret_hash = match (self.secret_hash, self.secret_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    setting,
                    "give secret_hash or secret_file, not both",
                ));
            }
            (Some(hash), None) => {
                let hash = hash
                    .strip_prefix("sha256:")
                    .unwrap_or(&hash)
                    .to_ascii_lowercase();
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ConfigError::new(
                        setting,
                        "secret_hash must be the SHA-256 of the secret in hex (`tgauth oidc client hash` prints it)",
                    ));
                }
                Some(hash)
            }
            (None, Some(path)) => {
                let secret = std::fs::read_to_string(&path).map_err(|error| {
                    ConfigError::new(
                        setting.clone(),
                        format!("cannot read secret_file {}: {error}", path.display()),
                    )
                })?;
                let secret = secret.trim();
                if secret.len() < 16 {
                    return Err(ConfigError::new(
                        setting,
                        "the client secret must be at least 16 characters",
                    ));
                }
                Some(secret_hash(secret))
            }
            (None, None) => None,
        };
        let client = Client {
            name: self.name.unwrap_or_else(|| self.id.clone()),
            id: self.id,
            secret_hash,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            public: self.public,
            trusted: self.trusted,
        };
        client
            .validate()
            .map_err(|reason| ConfigError::new(setting, reason))?;
        Ok(client)
    }
}
