//! Starting, driving and stopping a sandbox in-process.

use std::{
    fmt,
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use axum::body::Bytes;
use login_widget::oidc::IdTokenSigner;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use tokio::{net::TcpListener, sync::Notify, sync::watch, task::JoinHandle, task::JoinSet};

use crate::{
    clock::{Clock, SystemClock},
    control::{NewBot, NewFile, NewUser},
    error::{ControlError, Error},
    faults::{ArmedFault, FaultSpec},
    login::{self, LoginWidgetData, WebAppData, WebAppLaunch},
    passport::{self, PassportSubmission},
    server,
    state::State,
    types::{Document, PassportErrors, SentMessage, Update, User},
    webhook,
};

/// Entry point: start a sandbox with [`Sandbox::start`] or configure one with
/// [`Sandbox::builder`].
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// A builder for a sandbox with a custom clock, state file or webhook retry timing.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Starts a sandbox with default settings listening on `addr` (port 0 picks a free port).
    pub async fn start(addr: SocketAddr) -> Result<SandboxHandle, Error> {
        Self::builder().start(addr).await
    }
}

/// Settings of a sandbox before it starts.
#[derive(Debug)]
pub struct SandboxBuilder {
    clock: Arc<dyn Clock>,
    seed: u64,
    state_file: Option<PathBuf>,
    config: Config,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            seed: DEFAULT_SEED,
            state_file: None,
            config: Config::default(),
        }
    }
}

/// The default seed of the generator behind Passport sealing: "tgauth" in ASCII.
const DEFAULT_SEED: u64 = 0x7467_6175_7468;

/// Timing of webhook delivery.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) webhook_retry_initial: Duration,
    pub(crate) webhook_retry_max: Duration,
    pub(crate) webhook_timeout: Duration,
    pub(crate) parallel_webhooks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            webhook_retry_initial: Duration::from_millis(100),
            webhook_retry_max: Duration::from_secs(5),
            webhook_timeout: Duration::from_secs(30),
            parallel_webhooks: false,
        }
    }
}

impl SandboxBuilder {
    /// The clock for message dates, webhook error dates and file path expiry (default: the
    /// system clock). Tests pass a [`crate::ManualClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Seeds the random generator behind Passport sealing (secrets, padding, RSA-OAEP seeds),
    /// so the same submissions give the same bytes.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keeps the state (bots, users, pending updates, files, what bots sent) in a JSON file:
    /// loaded on start if it exists, written shortly after each change and on shutdown, so a
    /// restarted sandbox continues where the previous one stopped.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Webhook redelivery backoff: the first retry waits `initial`, each next one twice as
    /// long, up to `max` (defaults: 100 ms and 5 s).
    pub fn webhook_retry(mut self, initial: Duration, max: Duration) -> Self {
        self.config.webhook_retry_initial = initial;
        self.config.webhook_retry_max = max.max(initial);
        self
    }

    /// Delivers webhooks over up to `max_connections` concurrent requests, as the real server
    /// does, instead of one at a time in update order (the default, which makes tests
    /// deterministic). Updates are still retried until acknowledged, but may arrive out of order.
    pub fn parallel_webhooks(mut self, parallel: bool) -> Self {
        self.config.parallel_webhooks = parallel;
        self
    }

    /// How long a webhook delivery may take before it counts as failed (default 30 s).
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.config.webhook_timeout = timeout;
        self
    }

    /// Binds `addr` and starts serving; the sandbox runs until [`SandboxHandle::shutdown`] or
    /// until the handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> Result<SandboxHandle, Error> {
        let state = match &self.state_file {
            Some(path) => load_state(path).await?,
            None => State::default(),
        };
        // Webhooks go to the developer's own endpoints, usually on loopback: a proxy set in
        // the environment for package registries must not carry (and break) them.
        let http = reqwest::Client::builder()
            .timeout(self.config.webhook_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|error| Error::HttpClient {
                reason: error.to_string(),
            })?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            base_url: format!("http://{local_addr}"),
            oidc_signer: IdTokenSigner::test_keys(),
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(self.seed)),
            clock: self.clock,
            config: self.config,
            http,
            tasks: Mutex::new(JoinSet::new()),
            state_file: self.state_file,
            dirty: Notify::new(),
        });
        let webhook_bots: Vec<(i64, u64)> = {
            let mut state = shared.lock();
            state
                .bots
                .iter_mut()
                .filter(|(_, bot)| bot.webhook.is_some())
                .map(|(id, bot)| (*id, bot.bump_webhook_generation()))
                .collect()
        };
        for (bot_id, generation) in webhook_bots {
            webhook::start(&shared, bot_id, generation);
        }
        let (shutdown, shutdown_receiver) = watch::channel(false);
        let router = crate::router(Arc::clone(&shared));
        let server = tokio::spawn(server::serve(listener, router, shutdown_receiver.clone()));
        let persister = shared
            .state_file
            .is_some()
            .then(|| tokio::spawn(persist_loop(Arc::clone(&shared), shutdown_receiver)));
        Ok(SandboxHandle {
            addr: local_addr,
            shared,
            shutdown,
            server: Some(server),
            persister,
        })
    }
}

async fn load_state(path: &Path) -> Result<State, Error> {
    match tokio::fs::read(path).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::StateFormat {
            path: path.to_owned(),
            source,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(source) => Err(Error::StateFile {
            path: path.to_owned(),
            source,
        }),
    }
}

/// What the server, the webhook tasks and the handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    base_url: String,
    pub(crate) oidc_signer: IdTokenSigner,
    rng: Mutex<ChaCha20Rng>,
    clock: Arc<dyn Clock>,
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    tasks: Mutex<JoinSet<()>>,
    state_file: Option<PathBuf>,
    dirty: Notify,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("clock", &self.clock)
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The state; a panic elsewhere while holding the lock leaves it usable, since every
    /// mutation keeps it consistent step by step.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Seals and queues a Passport submission (see [`crate::passport`]).
    pub(crate) fn submit_passport(
        &self,
        username: &str,
        submission: PassportSubmission,
    ) -> Result<Update, ControlError> {
        let now = self.now();
        let mut state = self.lock();
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        passport::submit(&mut state, &mut rng, username, submission, now)
    }

    /// The OIDC issuer: the `/oauth` base URL.
    pub(crate) fn oidc_issuer(&self) -> String {
        format!("{}/oauth", self.base_url)
    }

    /// Notes that the state changed, so the state file (if any) gets written soon.
    pub(crate) fn changed(&self) {
        if self.state_file.is_some() {
            self.dirty.notify_one();
        }
    }

    /// Runs a background task that ends when the sandbox shuts down.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    fn abort_tasks(&self) {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .abort_all();
    }

    /// Aborts the background tasks and waits until every one has ended, so none touches the
    /// state or posts a webhook after this returns.
    async fn end_tasks(&self) {
        let mut tasks =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    async fn write_state(&self) -> Result<(), Error> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(&*self.lock()).map_err(|source| Error::StateFormat {
            path: path.clone(),
            source,
        })?;
        let mut temporary = path.clone().into_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let io = |source| Error::StateFile {
            path: path.clone(),
            source,
        };
        tokio::fs::write(&temporary, bytes).await.map_err(io)?;
        tokio::fs::rename(&temporary, path).await.map_err(io)
    }
}

async fn persist_loop(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = shared.dirty.notified() => {}
            _ = shutdown.changed() => return,
        }
        // Changes come in bursts; one write a little later covers the whole burst.
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A failed write is retried on the next change and on shutdown, where it is reported.
        let _ = shared.write_state().await;
    }
}

/// A running sandbox: its addresses, typed control operations and shutdown.
///
/// Dropping the handle stops the server without waiting; call [`SandboxHandle::shutdown`] to
/// wait for it and to have the state file written.
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    persister: Option<JoinHandle<()>>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The sandbox's root URL, such as `http://127.0.0.1:8081`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenID Connect provider's base URL and issuer, `<base>/oauth` (see [`crate::oidc`]).
    pub fn oidc_base_url(&self) -> String {
        self.shared.oidc_issuer()
    }

    /// The JWKS the provider publishes, as `GET /oauth/.well-known/jwks.json` serves it.
    pub fn oidc_jwks(&self) -> login_widget::oidc::Jwks {
        self.shared.oidc_signer.jwks()
    }

    /// The Bot API URL of a bot: `<base>/bot<token>`; append `/<method>`.
    pub fn bot_api_url(&self, token: &str) -> String {
        format!("{}/bot{token}", self.base_url())
    }

    /// The file download URL of a bot: `<base>/file/bot<token>`; append `/<file_path>`.
    pub fn file_url(&self, token: &str) -> String {
        format!("{}/file/bot{token}", self.base_url())
    }

    /// Creates a bot (see `POST /sandbox/bots`).
    pub fn create_bot(&self, bot: NewBot) -> Result<User, ControlError> {
        let result = self.shared.lock().create_bot(bot);
        self.shared.changed();
        result
    }

    /// Creates or updates a user (see `POST /sandbox/users`).
    pub fn create_user(&self, user: NewUser) -> Result<User, ControlError> {
        let result = self.shared.lock().create_user(user);
        self.shared.changed();
        result
    }

    /// A user sends `text` to the bot `username` in their private chat, as `POST
    /// /sandbox/bots/{username}/messages` does; returns the update the bot will receive.
    pub fn send_message(
        &self,
        username: &str,
        user_id: i64,
        text: &str,
    ) -> Result<Update, ControlError> {
        let now = self.shared.now();
        let result = self
            .shared
            .lock()
            .user_sends_text(username, user_id, text.to_owned(), now);
        self.shared.changed();
        result
    }

    /// A user blocks (`true`) or unblocks the bot `username`.
    pub fn set_blocked(
        &self,
        username: &str,
        user_id: i64,
        blocked: bool,
    ) -> Result<(), ControlError> {
        let result = self.shared.lock().set_blocked(username, user_id, blocked);
        self.shared.changed();
        result
    }

    /// Stores a file the bot `username` can fetch with `getFile` (see `POST
    /// /sandbox/bots/{username}/files`).
    pub fn add_file(
        &self,
        username: &str,
        bytes: impl Into<Bytes>,
        file_name: Option<&str>,
    ) -> Result<Document, ControlError> {
        let file = NewFile {
            bytes: bytes.into(),
            file_name: file_name.map(str::to_owned),
            mime_type: None,
        };
        let result = self.shared.lock().add_file(username, file);
        self.shared.changed();
        result
    }

    /// The messages the bot `username` sent, oldest first.
    pub fn sent(&self, username: &str) -> Result<Vec<SentMessage>, ControlError> {
        Ok(self.shared.lock().bot_mut(username)?.sent.clone())
    }

    /// The Passport errors the bot `username` set, oldest first.
    pub fn passport_errors(&self, username: &str) -> Result<Vec<PassportErrors>, ControlError> {
        Ok(self
            .shared
            .lock()
            .bot_mut(username)?
            .passport_errors
            .clone())
    }

    /// The updates of the bot `username` not yet confirmed (polling) or delivered (webhook).
    pub fn pending_updates(&self, username: &str) -> Result<Vec<Update>, ControlError> {
        Ok(self
            .shared
            .lock()
            .bot_mut(username)?
            .updates
            .iter()
            .cloned()
            .collect())
    }

    /// How many `getUpdates` requests of the bot `username` are holding a long poll right now
    /// (see `GET /sandbox/bots/{username}/waiting_polls`).
    ///
    /// A test that wants to exercise the wake-up of a waiting long poll (or its termination by
    /// a newer request) waits until this is 1 before acting, instead of sleeping and hoping.
    pub fn waiting_polls(&self, username: &str) -> Result<usize, ControlError> {
        Ok(self.shared.lock().bot_mut(username)?.runtime.waiting_polls)
    }

    /// Login Widget data of `user_id` for the bot `username`, signed with its token, with
    /// `auth_date` from the sandbox clock (see `POST /sandbox/bots/{username}/login_widget`).
    pub fn login_widget(
        &self,
        username: &str,
        user_id: i64,
    ) -> Result<LoginWidgetData, ControlError> {
        let now = self.shared.now();
        login::login_widget(&mut self.shared.lock(), username, user_id, now)
    }

    /// Mini App `initData` of a launch for the bot `username` (see `POST
    /// /sandbox/bots/{username}/web_app`).
    pub fn web_app(
        &self,
        username: &str,
        launch: WebAppLaunch,
    ) -> Result<WebAppData, ControlError> {
        let now = self.shared.now();
        login::web_app(&mut self.shared.lock(), username, launch, now)
    }

    /// Approves the bot's OIDC authorizations as `user_id` from now on, or refuses them with
    /// `None` (see `POST /sandbox/bots/{username}/oidc`).
    pub fn approve_oidc(&self, username: &str, user_id: Option<i64>) -> Result<(), ControlError> {
        let result = self.shared.lock().set_oidc_user(username, user_id);
        self.shared.changed();
        result
    }

    /// A user submits Telegram Passport data to the bot `username`, sealed to its
    /// `passport_public_key_pem` (see [`crate::passport`]); returns the update carrying it.
    pub fn submit_passport(
        &self,
        username: &str,
        submission: PassportSubmission,
    ) -> Result<Update, ControlError> {
        let result = self.shared.submit_passport(username, submission);
        self.shared.changed();
        result
    }

    /// Arms a fault (see `POST /sandbox/faults`).
    pub fn inject_fault(&self, fault: FaultSpec) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let bot_id = fault
            .bot
            .as_deref()
            .map(|bot| state.bot_id(bot))
            .transpose()?;
        let armed = ArmedFault::new(fault, bot_id)?;
        state.faults.push(armed);
        Ok(())
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Stops serving, closes open connections (including waiting long polls), ends webhook
    /// delivery (no webhook is posted once this returns) and writes the state file if one is
    /// configured.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(persister) = self.persister.take() {
            let _ = persister.await;
        }
        self.shared.end_tasks().await;
        self.shared.write_state().await
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.shared.abort_tasks();
    }
}
