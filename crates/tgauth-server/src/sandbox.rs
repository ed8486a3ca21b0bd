//! `serve --sandbox`: the telegram-sandbox in the same process, a generated bot, keys and API
//! key, every flow offline.
//!
//! What it generates lives in the data directory (a temporary one by default), with the
//! sandbox's own state, so that `serve --sandbox --data DIR` restarted after a crash continues
//! with the same bot, users, chats and API key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tgauth::passport::key::{KeySize, PrivateKey};
use tgauth::sandbox::control::{NewBot, NewUser};
use tgauth::sandbox::{Sandbox, SandboxHandle};
use tgauth::{BotToken, Clock, UserId};

use crate::Service;
use crate::config::{Key32, Layered, Overrides, ProcessEnvironment, Secret, ServeArgs};
use crate::state::StartError;

/// The sandbox bot's username.
const BOT_USERNAME: &str = "tgauth_sandbox_bot";

/// The sandbox user who administers the service unless the configuration names admins: pick
/// them on the phone to see `/admin`.
const ADMIN_ID: i64 = 1_000;

/// The service and the sandbox it talks to.
#[derive(Debug)]
pub struct SandboxService {
    /// The service, ready to run.
    pub service: Service,
    /// The sandbox.
    pub sandbox: SandboxHandle,
    /// The API key for the website's side.
    pub api_key: String,
    /// The data directory.
    pub data: PathBuf,
    /// The temporary data directory, removed when this is dropped (none with `--data`).
    pub temporary: Option<tempfile::TempDir>,
}

impl SandboxService {
    /// The lines `serve --sandbox` prints before serving: the four of the service's contract,
    /// then the two pages a person opens (the service's login and the phone).
    pub fn banner(&self) -> String {
        format!(
            "service: {}\nsandbox: {}\nbot: @{}\napi key: {}\nopen: {}/login\nphone: {}/phone\n",
            self.service.url(),
            self.sandbox.base_url(),
            self.service.state().bot_username(),
            self.api_key,
            self.service.url(),
            self.sandbox.base_url(),
        )
    }

    /// Starts the sandbox and the service as `args` say.
    pub async fn start(args: ServeArgs, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let layered = Layered::read(args)?;
        let (data, temporary) = match layered.data() {
            Some(dir) => (dir.to_owned(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("tgauth-sandbox-")
                    .tempdir()
                    .map_err(|error| StartError::Other(format!("temporary directory: {error}")))?;
                (dir.path().to_owned(), Some(dir))
            }
        };
        std::fs::create_dir_all(&data).map_err(|error| {
            StartError::Other(format!("data directory {}: {error}", data.display()))
        })?;
        let secrets = Secrets::load_or_create(&data)?;

        let sandbox_addr = layered
            .sandbox_listen()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        // Deliveries over up to 40 connections at once, as Telegram makes them.
        let sandbox = Sandbox::builder()
            .parallel_webhooks(true)
            .clock(Arc::clone(&clock))
            .state_file(data.join("sandbox-state.json"))
            .start(sandbox_addr)
            .await
            .map_err(|error| StartError::Sandbox(error.to_string()))?;
        let mut bot = NewBot::new(secrets.token.dangerous_expose(), BOT_USERNAME);
        bot.first_name = Some("tgauth sandbox".to_owned());
        bot.passport_public_key_pem = Some(secrets.passport.public_key().to_pem());
        // A restarted sandbox loaded the bot from its state; creating it again is a clash.
        if let Err(error) = sandbox.create_bot(bot)
            && !error.to_string().contains("exists")
        {
            return Err(StartError::Sandbox(error.to_string()));
        }

        let mut admin = NewUser::new(UserId(ADMIN_ID), "Sam");
        admin.last_name = Some("Admin".to_owned());
        admin.username = Some("sandbox_admin".to_owned());
        sandbox
            .create_user(admin)
            .map_err(|error| StartError::Sandbox(error.to_string()))?;

        let listen = layered
            .listen()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: listen,
            source,
        })?;
        let passport_pem = secrets
            .passport
            .to_pkcs8_pem()
            .map_err(|error| StartError::Other(format!("passport key: {error}")))?;
        let overrides = Overrides {
            bot_token: Some(secrets.token.clone()),
            bot_username: Some(BOT_USERNAME.to_owned()),
            passport_key: Some(Secret::new(passport_pem.as_bytes().to_vec())),
            cookie_key: Some(secrets.cookie_key.clone()),
            data_key: Some(secrets.data_key.clone()),
            webhook_secret: Some(secrets.webhook_secret.clone()),
            // Used when an events URL is given; the website reads it from `events-secret`.
            events_secret: Some(secrets.events_secret.clone()),
            oidc_client_secret: Some(Secret::new(
                secrets.token.dangerous_expose().as_bytes().to_vec(),
            )),
            public_url: Some(format!("http://{addr}")),
            bot_api_url: Some(sandbox.base_url()),
            oidc_provider_url: Some(sandbox.oidc_base_url()),
            sandbox_url: Some(sandbox.base_url()),
            admins: Some(vec![UserId(ADMIN_ID)]),
            data: Some(data.clone()),
        };
        let config = layered.resolve(&ProcessEnvironment, overrides)?;
        let service = Service::with_listener(config, clock, listener).await?;
        let api_key = match std::fs::read_to_string(data.join("api-key")) {
            Ok(key) => key.trim().to_owned(),
            Err(_) => {
                let key =
                    crate::new_api_key(service.state().db(), "sandbox", service.state().now())
                        .await?;
                write_secret(&data.join("api-key"), key.as_bytes())?;
                key
            }
        };
        Ok(Self {
            service,
            sandbox,
            api_key,
            data,
            temporary,
        })
    }
}

/// What sandbox mode generates once per data directory.
struct Secrets {
    token: BotToken,
    passport: PrivateKey,
    cookie_key: Key32,
    data_key: Key32,
    webhook_secret: Secret,
    events_secret: Secret,
}

impl Secrets {
    fn load_or_create(data: &Path) -> Result<Self, StartError> {
        let token = read_or(data, "bot-token", || {
            let id = 7_000_000_000 + random_u64()? % 1_000_000_000;
            Ok(format!("{id}:{}", crate::keys::random_token(27)?).into_bytes())
        })?;
        let token = BotToken::new(String::from_utf8_lossy(&token).trim())
            .map_err(|_| StartError::Other("the sandbox bot token file is damaged".to_owned()))?;
        let passport = read_or(data, "passport-key.pem", || {
            let key = PrivateKey::generate(KeySize::Rsa2048)
                .map_err(|error| StartError::Other(format!("passport key: {error}")))?;
            Ok(key
                .to_pkcs8_pem()
                .map_err(|error| StartError::Other(format!("passport key: {error}")))?
                .as_bytes()
                .to_vec())
        })?;
        let passport =
            PrivateKey::from_pem(&String::from_utf8_lossy(&passport)).map_err(|error| {
                StartError::Other(format!("the sandbox passport key is damaged: {error}"))
            })?;
        let key = |name: &str| -> Result<Key32, StartError> {
            let bytes = read_or(data, name, || Ok(hex::encode(random_bytes()?).into_bytes()))?;
            let bytes = hex::decode(String::from_utf8_lossy(&bytes).trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| StartError::Other(format!("the sandbox {name} file is damaged")))?;
            Ok(Key32::from_bytes(bytes))
        };
        let webhook_secret = read_or(data, "webhook-secret", || {
            Ok(crate::keys::random_token(24)?.into_bytes())
        })?;
        let events_secret = read_or(data, "events-secret", || {
            Ok(crate::keys::random_token(32)?.into_bytes())
        })?;
        Ok(Self {
            webhook_secret: Secret::new(webhook_secret),
            events_secret: Secret::new(events_secret),
            token,
            passport,
            cookie_key: key("cookie.key")?,
            data_key: key("data.key")?,
        })
    }
}

fn random_bytes() -> Result<[u8; 32], StartError> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StartError::Other("the system random generator failed".to_owned()))?;
    Ok(bytes)
}

fn random_u64() -> Result<u64, StartError> {
    let bytes = random_bytes()?;
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&bytes[..8]);
    Ok(u64::from_le_bytes(eight))
}

/// The file `name` in `data`, or what `make` makes, written there first (owner-only).
fn read_or(
    data: &Path,
    name: &str,
    make: impl FnOnce() -> Result<Vec<u8>, StartError>,
) -> Result<Vec<u8>, StartError> {
    let path = data.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let bytes = make()?;
            write_secret(&path, &bytes)?;
            Ok(bytes)
        }
        Err(error) => Err(StartError::Other(format!("{}: {error}", path.display()))),
    }
}

/// Writes a secret file readable by its owner only.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), StartError> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .map_err(|error| StartError::Other(format!("{}: {error}", path.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|error| StartError::Other(format!("{}: {error}", path.display())))
}
