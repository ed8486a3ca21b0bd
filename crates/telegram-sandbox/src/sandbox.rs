//! The facade's entry points: starting a sandbox ([`Sandbox`], [`SandboxBuilder`]) and
//! driving and stopping it in-process ([`SandboxHandle`]).

use std::{fmt, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum::body::Bytes;
use tgauth_core::{Clock, SystemClock, UserId};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    control::{BotInfo, ButtonPress, CallbackAnswer, NewBot, NewFile, NewUser},
    error::{ControlError, Error},
    faults::FaultSpec,
    login::{LoginWidgetData, WebAppData, WebAppLaunch},
    passport::PassportSubmission,
    router::router,
    server,
    shared::{self, Config, Parts, Shared},
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

impl SandboxBuilder {
    /// The clock for message dates, webhook error dates, login dates, OIDC token lifetimes and
    /// file path expiry (default: [`SystemClock`]). Tests pass a [`tgauth_core::FixedClock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
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
            Some(path) => shared::load_state(path).await?,
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
        let shared = Arc::new(Shared::new(Parts {
            state,
            base_url: format!("http://{local_addr}"),
            seed: self.seed,
            clock: self.clock,
            config: self.config,
            http,
            state_file: self.state_file,
        }));
        let webhook_bots: Vec<_> = {
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
        let router = router(Arc::clone(&shared));
        let server = tokio::spawn(server::serve(listener, router, shutdown_receiver.clone()));
        let persister = shared
            .persists()
            .then(|| tokio::spawn(shared::persist_loop(Arc::clone(&shared), shutdown_receiver)));
        Ok(SandboxHandle {
            addr: local_addr,
            shared,
            shutdown,
            server: Some(server),
            persister,
        })
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

    /// The bot `username`: its `User` and its Passport public key (see `GET
    /// /sandbox/bots/{username}`).
    pub fn bot(&self, username: &str) -> Result<BotInfo, ControlError> {
        self.shared.lock().bot_info(username)
    }

    /// The URL of the phone, the pages that play the Telegram app in a browser:
    /// `<base>/phone` (see [`crate::phone`]).
    pub fn phone_url(&self) -> String {
        format!("{}/phone", self.base_url())
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
        user_id: impl Into<UserId>,
        text: &str,
    ) -> Result<Update, ControlError> {
        let now = self.shared.now();
        let result =
            self.shared
                .lock()
                .user_sends_text(username, user_id.into(), text.to_owned(), now);
        self.shared.changed();
        result
    }

    /// A user blocks (`true`) or unblocks the bot `username`.
    pub fn set_blocked(
        &self,
        username: &str,
        user_id: impl Into<UserId>,
        blocked: bool,
    ) -> Result<(), ControlError> {
        let result = self
            .shared
            .lock()
            .set_blocked(username, user_id.into(), blocked);
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

    /// The messages the bot `username` sent after its first `skip`, oldest first: what a
    /// watcher polling for new messages needs, without copying all of them on every poll.
    pub fn sent_since(
        &self,
        username: &str,
        skip: usize,
    ) -> Result<Vec<SentMessage>, ControlError> {
        Ok(after(&self.shared.lock().bot_mut(username)?.sent, skip))
    }

    /// The user `user_id` presses the inline button with `callback_data` `data` on the message
    /// `message_id` the bot `username` sent them (see `POST
    /// /sandbox/bots/{username}/callback_query`); returns the `callback_query` update the bot
    /// will receive.
    ///
    /// Refused unless the message is the bot's, in the user's private chat, and its current
    /// inline keyboard has a callback button with exactly this data, as Telegram delivers only
    /// presses of buttons that exist.
    pub fn press_button(
        &self,
        username: &str,
        user_id: impl Into<UserId>,
        message_id: i64,
        data: &str,
    ) -> Result<Update, ControlError> {
        let press = ButtonPress {
            user_id: user_id.into(),
            message_id,
            data: data.to_owned(),
        };
        let result = self.shared.lock().press_button(username, press);
        self.shared.changed();
        result
    }

    /// The bot's answers to callback queries (`answerCallbackQuery`), oldest first.
    pub fn callback_answers(&self, username: &str) -> Result<Vec<CallbackAnswer>, ControlError> {
        Ok(self
            .shared
            .lock()
            .bot_mut(username)?
            .callback_answers
            .clone())
    }

    /// The bot's answers to callback queries after its first `skip`, oldest first (see
    /// [`SandboxHandle::sent_since`]).
    pub fn callback_answers_since(
        &self,
        username: &str,
        skip: usize,
    ) -> Result<Vec<CallbackAnswer>, ControlError> {
        Ok(after(
            &self.shared.lock().bot_mut(username)?.callback_answers,
            skip,
        ))
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
        user_id: impl Into<UserId>,
    ) -> Result<LoginWidgetData, ControlError> {
        let now = self.shared.now();
        self.shared
            .lock()
            .login_widget(username, user_id.into(), now, None)
    }

    /// Mini App `initData` of a launch for the bot `username` (see `POST
    /// /sandbox/bots/{username}/web_app`).
    pub fn web_app(
        &self,
        username: &str,
        launch: WebAppLaunch,
    ) -> Result<WebAppData, ControlError> {
        let now = self.shared.now();
        self.shared.lock().web_app(username, launch, now)
    }

    /// Approves the bot's OIDC authorizations as `user_id` from now on, or refuses them with
    /// `None` (see `POST /sandbox/bots/{username}/oidc`).
    pub fn approve_oidc(
        &self,
        username: &str,
        user_id: Option<UserId>,
    ) -> Result<(), ControlError> {
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
        self.shared.lock().inject_fault(fault)
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

/// The items after the first `skip` (none past the end).
fn after<T: Clone>(items: &[T], skip: usize) -> Vec<T> {
    items.get(skip..).map(<[T]>::to_vec).unwrap_or_default()
}
