//! Long polling with explicit acknowledgement and an optional persisted offset.
//!
//! `getUpdates` confirms an update only when it is called again with a higher `offset`. The
//! [`Updates`] stream therefore sends an offset just past the longest run of updates the consumer
//! has *acknowledged* ([`Delivery::ack`]); an update whose handler failed ([`Delivery::nack`], or
//! the [`Delivery`] dropped without an answer) stays unconfirmed and is delivered again, and so is
//! every unacknowledged update after a crash. Delivery is at-least-once; [`Dedupe`] helps
//! handlers that must act once.
//!
//! An update is delivered at most [`PollingConfig::max_attempts`] times (5 by default). One
//! that failed that often is not delivered again: it comes out once more as
//! [`Event::DeadLetter`], and when that is dropped the offset moves past it. Without the cap, an
//! update whose handler always fails would hold the offset until Telegram drops it a day later,
//! and once the updates acknowledged behind it fill the `getUpdates` window (its `limit`, 100),
//! no later update would arrive at all.
//!
//! Within one process an update that was acknowledged is never delivered again, even when an
//! earlier update holds the offset back. Across restarts an [`OffsetStore`] keeps the offset, so
//! acknowledged updates that Telegram has not yet confirmed are skipped too. The offset is
//! written before each `getUpdates`, at [`Updates::shutdown`], and by [`Delivery::ack_durably`],
//! which makes a sequential handler's acknowledgements survive a crash.
//!
//! The server's answer is trusted over the local ledger in two cases. When `getUpdates` answers
//! with ids below the offset sent, the update ids restarted (Telegram picks the next id at random
//! after a week without updates; a reset server starts over): those updates are delivered, and
//! the offset, persisted one included, follows the new ids. A failed update the server no longer
//! returns (Telegram keeps updates 24 hours) is dropped with a warning instead of holding the
//! offset back forever. Should a server instead treat new ids below a stale persisted offset as
//! confirmed, no client could get them back, so [`FileOffsetStore`] forgets an offset saved more
//! than 24 hours ago (by then every update it would skip has expired on Telegram).
//!
//! Errors: 401 (bad token) and 409 (a webhook is set, or another poller runs) end the stream with
//! the error; every other failure is logged and retried after a bounded backoff. A dead letter is
//! not an error: it is an [`Event`] like a delivery, so a consumer that ends on the first error
//! (`match event? { ... }`) goes on past it.

use crate::error::ApiErrorKind;
use crate::requests::{GetUpdates, MAX_POLL_TIMEOUT_SECONDS};
use crate::retry::{Jitter, exponential};
use crate::types::Update;
use crate::{Client, Error};
use futures_core::Stream;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tgauth_core::{Clock, SystemClock, UnixTime};
use tokio::sync::watch;

/// Where the polling offset survives restarts.
///
/// The poller calls it on tokio's blocking thread pool, so an implementation may block (write,
/// fsync, a synchronous database call).
pub trait OffsetStore: Send + Sync {
    /// The saved offset, or `None` when nothing was saved yet.
    fn load(&self) -> Result<Option<i64>, Error>;
    /// Saves `offset`, the id of the first update not yet acknowledged.
    fn save(&self, offset: i64) -> Result<(), Error>;
}

/// An [`OffsetStore`] in a file, replaced atomically, so a crash leaves either the old or the new
/// offset, never a torn one.
///
/// A save writes a new temporary file in the same directory, created exclusively under an
/// unpredictable name (so a link planted there is neither followed nor written through), syncs
/// it, renames it over the file and syncs the directory.
///
/// The file holds the offset and the Unix time it was saved (`<offset> <seconds>`; a file with
/// the offset alone is read too). An offset saved more than [`max_age`](Self::max_age) ago (24
/// hours by default) loads as `None`: Telegram keeps an update at most 24 hours, so every update
/// such an offset would skip has expired anyway, while the offset itself could be stale. After a
/// week without updates Telegram picks the next update id at random, possibly below the saved
/// offset, and sending that offset could confirm updates nobody saw. Starting without an offset
/// gets every update Telegram still holds, none of which was handled.
#[derive(Debug, Clone)]
pub struct FileOffsetStore {
    path: PathBuf,
    max_age: Duration,
    clock: Arc<dyn Clock>,
}

/// How long Telegram keeps an update it could not deliver.
const UPDATE_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

impl FileOffsetStore {
    /// A store at `path`; the file is created on the first save.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            max_age: UPDATE_RETENTION,
            clock: Arc::new(SystemClock),
        }
    }

    /// Offsets saved longer ago than this load as `None` (24 hours by default, Telegram's
    /// retention of updates; a longer age brings back the stale-offset risk described above).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The clock that stamps and ages offsets ([`SystemClock`] by default).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the file is in, where its temporary sibling is created.
    fn directory(&self) -> &Path {
        self.path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

fn store_error(what: &str, path: &Path, error: impl std::fmt::Display) -> Error {
    Error::OffsetStore {
        message: format!("{what} {}: {error}", path.display()),
    }
}

impl OffsetStore for FileOffsetStore {
    fn load(&self) -> Result<Option<i64>, Error> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error("cannot read", &self.path, e)),
        };
        let mut fields = text.split_whitespace();
        let offset: i64 = fields
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|e| store_error("invalid offset in", &self.path, e))?;
        let saved_at: Option<i64> = fields
            .next()
            .map(str::parse)
            .transpose()
            .map_err(|e| store_error("invalid save time in", &self.path, e))?;
        if let Some(saved_at) = saved_at {
            // A clock behind the save time makes an age of 0, not a stale offset.
            let age = self.clock.now().seconds_since(UnixTime(saved_at)).max(0);
            if age.unsigned_abs() > self.max_age.as_secs() {
                tracing::info!(
                    offset,
                    age_seconds = age,
                    "the saved polling offset is older than updates live on Telegram; starting \
                     without it"
                );
                return Ok(None);
            }
        }
        Ok(Some(offset))
    }

    fn save(&self, offset: i64) -> Result<(), Error> {
        use std::io::Write as _;
        let line = format!("{offset} {}\n", self.clock.now());
        let directory = self.directory();
        let write = || -> std::io::Result<()> {
            // O_EXCL under a random name: a fixed `<path>.tmp` would follow whatever link
            // another user of the directory planted there. Dropped before `persist`, the
            // temporary is removed.
            let mut file = tempfile::NamedTempFile::new_in(directory)?;
            file.write_all(line.as_bytes())?;
            file.as_file().sync_all()?;
            file.persist(&self.path).map_err(|e| e.error)?;
            // The rename itself must reach the disk, or a power loss can bring back the old
            // offset (updates redelivered, which is safe) or no file at all.
            std::fs::File::open(directory)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| store_error("cannot write", &self.path, e))
    }
}

/// Runs a (blocking, possibly fsyncing) save on tokio's blocking pool, off the async workers.
async fn save_off_runtime(store: &Arc<dyn OffsetStore>, offset: i64) -> Result<(), Error> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || store.save(offset))
        .await
        .map_err(|e| Error::OffsetStore {
            message: format!("the save task failed: {e}"),
        })?
}

/// An in-memory [`OffsetStore`], for tests and for sharing an offset between pollers in turn.
#[derive(Debug, Default)]
pub struct MemoryOffsetStore {
    offset: Mutex<Option<i64>>,
}

impl OffsetStore for MemoryOffsetStore {
    fn load(&self) -> Result<Option<i64>, Error> {
        Ok(*lock(&self.offset))
    }

    fn save(&self, offset: i64) -> Result<(), Error> {
        *lock(&self.offset) = Some(offset);
        Ok(())
    }
}

/// Remembers recent update ids, for handlers that must not act twice on a redelivered update.
#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    seen: HashSet<i64>,
    order: VecDeque<i64>,
}

impl Dedupe {
    /// Remembers the last `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            seen: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// True the first time `update_id` is seen (while it is among the remembered ones).
    pub fn first_time(&mut self, update_id: i64) -> bool {
        if !self.seen.insert(update_id) {
            return false;
        }
        self.order.push_back(update_id);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }
}

/// Settings of a [`Poller`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollingConfig {
    /// Long-poll timeout in seconds (30 by default; capped at 50, Telegram's maximum). 0 makes
    /// short polls that follow each other without a pause while no update comes: for tests
    /// against a local server, not for Telegram, which answers a tight loop with 429s.
    pub timeout_seconds: u32,
    /// Updates per `getUpdates`, 1-100 (100 by default). While an answer is larger than the
    /// client's [`response_limit`](crate::ClientBuilder::response_limit), the poller asks for
    /// half as many, down to 1, until it has caught up.
    pub limit: u32,
    /// Update kinds to receive; `None` keeps the bot's previous setting.
    pub allowed_updates: Option<Vec<String>>,
    /// End the stream on 409 Conflict (true by default). When false, conflicts are retried with
    /// backoff, for a poller that waits for another one to stop.
    pub conflict_is_fatal: bool,
    /// Backoff after the first failed `getUpdates` (1 s by default).
    pub initial_backoff: Duration,
    /// The longest backoff between failed `getUpdates` calls (30 s by default).
    pub max_backoff: Duration,
    /// Pause before fetching again when a failed update is due for redelivery (1 s by
    /// default), so that a handler that keeps failing does not spin.
    pub redelivery_delay: Duration,
    /// How many times an update is delivered before it is given up (5 by default; at least 1).
    ///
    /// An update whose delivery failed this many times (nacked, or dropped without an answer)
    /// is not delivered again: the stream yields it once as [`Event::DeadLetter`], and the
    /// offset moves past it when that is dropped. Within one process, that is; after a restart
    /// the count starts again, as an update the store has not confirmed is delivered again.
    /// With the default [`redelivery_delay`](Self::redelivery_delay) a failing update is given
    /// up after about 5 seconds; a handler that fails while a dependency is briefly down wants
    /// a longer delay or more attempts.
    pub max_attempts: u32,
}

impl Default for PollingConfig {
    fn default() -> Self {
        Self {
            timeout_seconds: 30,
            limit: 100,
            allowed_updates: None,
            conflict_is_fatal: true,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            redelivery_delay: Duration::from_secs(1),
            max_attempts: 5,
        }
    }
}

impl PollingConfig {
    /// Sets [`timeout_seconds`](Self::timeout_seconds).
    pub fn timeout_seconds(mut self, seconds: u32) -> Self {
        self.timeout_seconds = seconds;
        self
    }

    /// Sets [`limit`](Self::limit).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Sets [`allowed_updates`](Self::allowed_updates).
    pub fn allowed_updates(mut self, kinds: Vec<String>) -> Self {
        self.allowed_updates = Some(kinds);
        self
    }

    /// Sets [`conflict_is_fatal`](Self::conflict_is_fatal).
    pub fn conflict_is_fatal(mut self, fatal: bool) -> Self {
        self.conflict_is_fatal = fatal;
        self
    }

    /// Sets the backoff range after failed `getUpdates` calls.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets [`redelivery_delay`](Self::redelivery_delay).
    pub fn redelivery_delay(mut self, delay: Duration) -> Self {
        self.redelivery_delay = delay;
        self
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }
}

/// Builds an [`Updates`] stream.
pub struct Poller {
    client: Client,
    config: PollingConfig,
    store: Option<Arc<dyn OffsetStore>>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("client", &self.client)
            .field("config", &self.config)
            .field("persisted", &self.store.is_some())
            .finish()
    }
}

impl Poller {
    /// A poller with the default [`PollingConfig`] and no persisted offset.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            config: PollingConfig::default(),
            store: None,
        }
    }

    /// Sets the configuration.
    pub fn config(mut self, config: PollingConfig) -> Self {
        self.config = config;
        self
    }

    /// Keeps the offset in `store` across restarts.
    pub fn offset_store(mut self, store: Arc<dyn OffsetStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Loads the persisted offset, if any, and returns the stream of updates.
    pub fn start(self) -> Result<Updates, Error> {
        let offset = match &self.store {
            Some(store) => store.load()?,
            None => None,
        };
        let (version, changes) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            ledger: Mutex::new(Ledger {
                offset,
                entries: BTreeMap::new(),
            }),
            version,
            store: self.store,
            saved: tokio::sync::Mutex::new(offset),
        });
        let state = State {
            client: self.client.clone(),
            batch_limit: self.config.limit.clamp(1, 100),
            config: self.config,
            shared: Arc::clone(&shared),
            buffer: VecDeque::new(),
            changes,
            failures: 0,
            finished: false,
            jitter: Jitter::new(self.client.retry_policy().jitter_seed),
        };
        let inner = futures_util::stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        });
        Ok(Updates {
            inner: Some(Box::pin(inner)),
            shared,
            client: self.client,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the ledger consistent (every update is a single
    // insert), so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    InFlight,
    Acked,
    Failed,
}

/// What the ledger knows of one fetched update.
#[derive(Debug, Clone, Copy)]
struct Entry {
    status: Status,
    /// How many times it was delivered.
    attempts: u32,
}

/// Which fetched updates are in flight, acknowledged or failed, and the offset they allow.
struct Ledger {
    /// The id of the first update not acknowledged; `None` until the first acknowledgement
    /// (or a persisted offset).
    offset: Option<i64>,
    entries: BTreeMap<i64, Entry>,
}

impl Ledger {
    fn advance(&mut self) {
        while let Some(entry) = self.entries.first_entry() {
            if entry.get().status != Status::Acked {
                break;
            }
            let id = *entry.key();
            entry.remove();
            self.offset = Some(id.saturating_add(1));
        }
    }

    /// Drops failed updates the server no longer has. `getUpdates` returns every unconfirmed
    /// update from the offset on, in order, so a failed update below the highest id returned
    /// that is not in the batch has expired on the server (Telegram keeps updates 24 hours) or
    /// was lost by a server reset. Keeping it would hold the offset back forever, and the poller
    /// would wait for a redelivery that never comes.
    fn forget_lost(&mut self, batch: &[Update]) {
        let Some(highest) = batch.iter().map(|u| u.update_id).max() else {
            return;
        };
        let returned: HashSet<i64> = batch.iter().map(|u| u.update_id).collect();
        let lost: Vec<i64> = self
            .entries
            .range(..highest)
            .filter(|(id, entry)| entry.status == Status::Failed && !returned.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for update_id in lost {
            tracing::warn!(
                update_id,
                "a failed update is gone from the server; it is skipped"
            );
            self.entries.remove(&update_id);
        }
        self.advance();
    }
}

struct Shared {
    ledger: Mutex<Ledger>,
    version: watch::Sender<u64>,
    store: Option<Arc<dyn OffsetStore>>,
    /// The offset last written to the store. Its lock is held across the write, so writes are
    /// serialized and the stored offset never moves backwards.
    saved: tokio::sync::Mutex<Option<i64>>,
}

impl Shared {
    /// Writes the current offset to the store, if there is one and the offset moved.
    async fn persist(&self) -> Result<(), Error> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let mut saved = self.saved.lock().await;
        let Some(offset) = lock(&self.ledger).offset else {
            return Ok(());
        };
        if saved.is_some_and(|saved| saved >= offset) {
            return Ok(());
        }
        save_off_runtime(store, offset).await?;
        *saved = Some(offset);
        Ok(())
    }

    fn resolve(&self, update_id: i64, status: Status) {
        {
            let mut ledger = lock(&self.ledger);
            if let Some(entry) = ledger.entries.get_mut(&update_id)
                && entry.status == Status::InFlight
            {
                entry.status = status;
            }
            ledger.advance();
        }
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }
}

struct State {
    client: Client,
    config: PollingConfig,
    shared: Arc<Shared>,
    buffer: VecDeque<Fetched>,
    changes: watch::Receiver<u64>,
    failures: u32,
    /// The `limit` of the next `getUpdates`: the configured one, halved while answers are
    /// larger than the client's response limit.
    batch_limit: u32,
    finished: bool,
    jitter: Jitter,
}

/// A fetched update waiting in the buffer, and what it is to become.
struct Fetched {
    update: Update,
    /// The delivery attempt it is (1-based), or the attempts it had when it is a dead letter.
    attempts: u32,
    dead: bool,
}

impl State {
    async fn next(&mut self) -> Option<Result<Event, Error>> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(fetched) = self.buffer.pop_front() {
                let Fetched {
                    update,
                    attempts,
                    dead,
                } = fetched;
                let update_id = update.update_id;
                return Some(Ok(if dead {
                    // The consumer has seen it once it drops the dead letter: the offset may
                    // then pass it.
                    let ack = Acknowledger::new(&self.shared, update_id, Status::Acked);
                    Event::DeadLetter(DeadLetter {
                        update,
                        attempts,
                        ack,
                    })
                } else {
                    let ack = Acknowledger::new(&self.shared, update_id, Status::Failed);
                    Event::Delivery(Delivery {
                        update,
                        attempt: attempts,
                        ack,
                    })
                }));
            }
            if let Err(error) = self.fetch().await {
                if self.is_fatal(&error) {
                    self.finished = true;
                    return Some(Err(error));
                }
                if matches!(error, Error::ResponseTooLarge { .. }) && self.batch_limit > 1 {
                    // Asking for fewer updates at once makes the answer smaller; asking again
                    // for as many would fail the same way forever.
                    self.batch_limit /= 2;
                    tracing::warn!(
                        %error,
                        limit = self.batch_limit,
                        "getUpdates answered more than the response limit; asking for fewer updates"
                    );
                    continue;
                }
                let delay = exponential(
                    self.config.initial_backoff,
                    self.config.max_backoff,
                    self.failures,
                    &self.jitter,
                );
                self.failures = self.failures.saturating_add(1);
                tracing::warn!(%error, ?delay, "getUpdates failed; polling again after a backoff");
                tokio::time::sleep(delay).await;
            }
        }
    }

    fn is_fatal(&self, error: &Error) -> bool {
        match error.api_kind() {
            Some(ApiErrorKind::Unauthorized) => true,
            Some(ApiErrorKind::Conflict) => self.config.conflict_is_fatal,
            _ => false,
        }
    }

    /// One `getUpdates`; fills the buffer with updates not yet delivered, or waits for the
    /// consumer to resolve the updates that hold the offset back.
    async fn fetch(&mut self) -> Result<(), Error> {
        let redelivery = lock(&self.shared.ledger)
            .entries
            .values()
            .any(|e| e.status == Status::Failed);
        if redelivery {
            tokio::time::sleep(self.config.redelivery_delay).await;
        }
        if let Err(error) = self.shared.persist().await {
            // Not fatal: the persisted offset only lags, so updates are redelivered, not lost.
            tracing::warn!(%error, "could not persist the polling offset");
        }
        // Mark the ledger seen before reading it, so that an acknowledgement from here on
        // wakes the wait below; then send the offset as it is after the pause and the save.
        self.changes.borrow_and_update();
        let offset = self.offset();
        let request = GetUpdates {
            offset,
            limit: Some(self.batch_limit),
            timeout: Some(self.config.timeout_seconds.min(MAX_POLL_TIMEOUT_SECONDS)),
            allowed_updates: self.config.allowed_updates.clone(),
        };
        let updates = self.client.updates(&request).await?;
        self.failures = 0;
        let received = updates.len();
        if received < usize::try_from(self.batch_limit).unwrap_or(usize::MAX) {
            // Caught up: the next batch may be as large as configured again.
            self.batch_limit = self.config.limit.clamp(1, 100);
        }
        let restarted = offset.is_some_and(|sent| updates.iter().any(|u| u.update_id < sent));
        let in_flight = {
            let mut ledger = lock(&self.shared.ledger);
            if restarted {
                // Telegram never answers with ids below the offset, unless its ids restarted:
                // after a week without updates the next id is chosen at random, and a reset
                // server starts over. What it returned is unconfirmed, so it is delivered; the
                // old ids are gone on the server, so their entries go too (an acknowledgement of
                // an old id must not move the offset past the new ones).
                tracing::warn!(
                    offset,
                    "getUpdates answered with ids below the offset: the update ids restarted"
                );
                ledger.offset = None;
                ledger.entries.clear();
            }
            ledger.forget_lost(&updates);
            let max_attempts = self.config.max_attempts.max(1);
            for update in updates {
                if ledger
                    .offset
                    .is_some_and(|offset| update.update_id < offset)
                {
                    continue;
                }
                let entry = ledger.entries.entry(update.update_id).or_insert(Entry {
                    status: Status::Failed,
                    attempts: 0,
                });
                if entry.status != Status::Failed {
                    continue;
                }
                // A failed update is due again, or, after its last attempt, given up: it goes
                // out once more as a dead letter, so the consumer learns of it, and is then out
                // of the way of every update behind it.
                let dead = entry.attempts >= max_attempts;
                if dead {
                    tracing::warn!(
                        update_id = update.update_id,
                        attempts = entry.attempts,
                        "an update failed every delivery attempt; it is given up as a dead letter"
                    );
                } else {
                    entry.attempts = entry.attempts.saturating_add(1);
                }
                entry.status = Status::InFlight;
                self.buffer.push_back(Fetched {
                    update,
                    attempts: entry.attempts,
                    dead,
                });
            }
            ledger
                .entries
                .values()
                .any(|e| e.status == Status::InFlight)
        };
        if restarted {
            // Let the store take the lower offset of the new ids.
            *self.shared.saved.lock().await = None;
        }
        if received > 0 && self.buffer.is_empty() {
            if in_flight {
                // Everything Telegram returned is in flight or acknowledged behind an update
                // that is still in flight: fetching again would return the same batch at once.
                let _ = self.changes.changed().await;
            } else if self.offset() == offset {
                // Nothing in flight and the offset did not move, yet nothing new came: a server
                // that ignores the offset. Pause rather than spin.
                tokio::time::sleep(self.config.redelivery_delay).await;
            }
        }
        Ok(())
    }

    fn offset(&self) -> Option<i64> {
        lock(&self.shared.ledger).offset
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<Event, Error>> + Send>>;

/// The stream of updates from [`Poller::start`]. Call [`shutdown`](Self::shutdown) to confirm
/// the acknowledged updates before exiting.
///
/// Cancellation safe: a `next()` dropped mid-request (a timeout, a `select!` branch) leaves the
/// request inside the stream, and the following `next()` delivers what it brings. Dropping the
/// stream itself abandons the request; its updates stay unconfirmed and come again.
pub struct Updates {
    inner: Option<EventStream>,
    shared: Arc<Shared>,
    client: Client,
}

impl std::fmt::Debug for Updates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Updates")
            .field("offset", &self.offset())
            .finish_non_exhaustive()
    }
}

impl Updates {
    /// The id of the first update not acknowledged, once known.
    pub fn offset(&self) -> Option<i64> {
        lock(&self.shared.ledger).offset
    }

    /// Stops polling and confirms every acknowledged update to Telegram (a final `getUpdates`
    /// with the offset and timeout 0) and to the offset store. Returns the final offset.
    ///
    /// Updates delivered but not yet acknowledged are not confirmed: acknowledge or drop them
    /// first.
    pub async fn shutdown(mut self) -> Result<Option<i64>, Error> {
        self.inner = None;
        let Some(offset) = self.offset() else {
            return Ok(None);
        };
        self.shared.persist().await?;
        let request = GetUpdates {
            offset: Some(offset),
            limit: Some(1),
            timeout: Some(0),
            allowed_updates: None,
        };
        self.client.updates(&request).await?;
        Ok(Some(offset))
    }
}

impl Stream for Updates {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.as_mut() {
            Some(inner) => inner.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

/// What [`Updates`] yields: an update to handle, or one given up after its last attempt.
///
/// A dead letter is an event, not an error, so a consumer that ends on the first error goes on
/// past it; being an enum, it cannot be handled as a delivery by mistake.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// An update to handle, then [`ack`](Delivery::ack) or [`nack`](Delivery::nack).
    Delivery(Delivery),
    /// An update whose every delivery failed ([`PollingConfig::max_attempts`]); it is not
    /// delivered again.
    DeadLetter(DeadLetter),
}

impl Event {
    /// The update, delivered or given up.
    pub fn update(&self) -> &Update {
        match self {
            Self::Delivery(delivery) => &delivery.update,
            Self::DeadLetter(dead) => &dead.update,
        }
    }
}

/// One update from [`Updates`], to be acknowledged when handled.
///
/// Dropping it without [`ack`](Self::ack) counts as a failure: the update is delivered again, up
/// to [`PollingConfig::max_attempts`] times in all.
#[derive(Debug)]
pub struct Delivery {
    /// The update.
    pub update: Update,
    attempt: u32,
    ack: Acknowledger,
}

impl Delivery {
    /// The update's id.
    pub fn update_id(&self) -> i64 {
        self.update.update_id
    }

    /// Which delivery of the update this is: 1 the first time, at most
    /// [`PollingConfig::max_attempts`].
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Marks the update handled: it will not be delivered again, and Telegram is told so with
    /// the next `getUpdates` once every earlier update is acknowledged too.
    pub fn ack(self) {
        self.ack.ack();
    }

    /// Marks the update failed: it is delivered again after the redelivery delay, or comes back
    /// as a [`DeadLetter`] after its last attempt.
    pub fn nack(self) {
        self.ack.nack();
    }

    /// [`ack`](Self::ack), then writes the offset to the offset store (if any) before
    /// returning, so the update is not delivered again even after a crash. The offset covers
    /// it only once every earlier update is acknowledged too: a sequential handler gets
    /// exactly-once handling across restarts; with concurrent handlers, an update acknowledged
    /// ahead of one still in flight can still come back.
    pub async fn ack_durably(self) -> Result<(), Error> {
        self.ack.ack_durably().await
    }

    /// Separates the update from its acknowledgement, for handlers that move the update.
    pub fn into_parts(self) -> (Update, Acknowledger) {
        (self.update, self.ack)
    }
}

/// An update given up after [`PollingConfig::max_attempts`] failed deliveries.
///
/// It is yielded once, and never delivered again. While it is held it still holds the offset
/// back, so that a crash before the application has recorded it brings the update back after the
/// restart; dropping it (or [`ack`](Self::ack)) lets the offset move past it, and
/// [`ack_durably`](Self::ack_durably) also writes the offset store.
#[derive(Debug)]
pub struct DeadLetter {
    /// The update.
    pub update: Update,
    attempts: u32,
    ack: Acknowledger,
}

impl DeadLetter {
    /// The update's id.
    pub fn update_id(&self) -> i64 {
        self.update.update_id
    }

    /// How many times the update was delivered, each time without success.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Lets the offset move past the update (as dropping the dead letter does).
    pub fn ack(self) {
        self.ack.ack();
    }

    /// [`ack`](Self::ack), then writes the offset to the offset store (if any) before
    /// returning, as [`Delivery::ack_durably`] does.
    pub async fn ack_durably(self) -> Result<(), Error> {
        self.ack.ack_durably().await
    }
}

/// The acknowledgement of one delivered update. Dropping it unresolved counts as a failure
/// (for a dead letter's, as seen).
pub struct Acknowledger {
    shared: Arc<Shared>,
    update_id: i64,
    /// What dropping it unresolved means.
    on_drop: Status,
    resolved: bool,
}

impl std::fmt::Debug for Acknowledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acknowledger")
            .field("update_id", &self.update_id)
            .finish_non_exhaustive()
    }
}

impl Acknowledger {
    fn new(shared: &Arc<Shared>, update_id: i64, on_drop: Status) -> Self {
        Self {
            shared: Arc::clone(shared),
            update_id,
            on_drop,
            resolved: false,
        }
    }

    /// Marks the update handled.
    pub fn ack(self) {
        self.resolve(Status::Acked);
    }

    /// Marks the update failed: it is delivered again, up to its last attempt.
    pub fn nack(self) {
        self.resolve(Status::Failed);
    }

    /// Marks the update handled and writes the offset to the offset store before returning
    /// (see [`Delivery::ack_durably`]).
    pub async fn ack_durably(self) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        self.resolve(Status::Acked);
        shared.persist().await
    }

    fn resolve(mut self, status: Status) {
        self.resolved = true;
        self.shared.resolve(self.update_id, status);
    }
}

impl Drop for Acknowledger {
    fn drop(&mut self) {
        if !self.resolved {
            self.shared.resolve(self.update_id, self.on_drop);
        }
    }
}
