//! The shared handle: what the server, the webhook tasks and the [`crate::SandboxHandle`] share
//! (the state behind its lock, the clock, the seeded generator, the OIDC signer, background
//! tasks and the state file).

use std::{
    fmt,
    future::Future,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use login_widget::oidc::IdTokenSigner;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
use tgauth_core::{Clock, UnixTime};
use tokio::{sync::Notify, sync::watch, task::JoinSet};

use crate::{
    error::{ControlError, Error},
    passport::PassportSubmission,
    state::State,
    types::Update,
};

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

/// What a sandbox starts from: everything [`Shared`] holds that is not built here.
pub(crate) struct Parts {
    pub(crate) state: State,
    pub(crate) base_url: String,
    pub(crate) seed: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) state_file: Option<PathBuf>,
}

impl Shared {
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            state: Mutex::new(parts.state),
            base_url: parts.base_url,
            oidc_signer: IdTokenSigner::test_keys(),
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(parts.seed)),
            clock: parts.clock,
            config: parts.config,
            http: parts.http,
            tasks: Mutex::new(JoinSet::new()),
            state_file: parts.state_file,
            dirty: Notify::new(),
        }
    }

    /// The state; a panic elsewhere while holding the lock leaves it usable, since every
    /// mutation keeps it consistent step by step.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> UnixTime {
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
        state.submit_passport(&mut rng, username, submission, now)
    }

    /// The sandbox's root URL, such as `http://127.0.0.1:8081`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The OIDC issuer: the `/oauth` base URL.
    pub(crate) fn oidc_issuer(&self) -> String {
        format!("{}/oauth", self.base_url)
    }

    /// Whether a state file is kept.
    pub(crate) fn persists(&self) -> bool {
        self.state_file.is_some()
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

    pub(crate) fn abort_tasks(&self) {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .abort_all();
    }

    /// Aborts the background tasks and waits until every one has ended, so none touches the
    /// state or posts a webhook after this returns.
    pub(crate) async fn end_tasks(&self) {
        let mut tasks =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    pub(crate) async fn write_state(&self) -> Result<(), Error> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(&*self.lock()).map_err(|source| Error::StateFormat {
            path: path.clone(),
            source,
        })?;
        let target = path.clone();
        let written = tokio::task::spawn_blocking(move || replace_file(&target, &bytes))
            .await
            .unwrap_or_else(|error| Err(std::io::Error::other(error)));
        written.map_err(|source| Error::StateFile {
            path: path.clone(),
            source,
        })
    }
}

/// Replaces `path` with `bytes` at once: written to a new file beside it, then renamed over it.
///
/// The new file is created with `O_EXCL` under a random name: a fixed `<path>.tmp` would follow
/// whatever link another user of the directory planted there. Dropped before `persist`, the
/// temporary is removed.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(directory)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Reads the state file; a missing one is a fresh start, a corrupt one an error.
pub(crate) async fn load_state(path: &Path) -> Result<State, Error> {
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

/// Writes the state file shortly after each burst of changes, until shutdown.
pub(crate) async fn persist_loop(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
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
