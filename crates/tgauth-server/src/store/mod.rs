//! The service's own tables on SQLite or PostgreSQL, and every SQL statement the service runs.
//!
//! One [`Db`] over sqlx's Any driver: the statements are written once, in the SQL both dialects
//! share (`$n` parameters, `ON CONFLICT`, `RETURNING`), and each dialect has its own migration
//! directory, embedded and applied at open. Writes are single statements (an upsert, an
//! `UPDATE ... RETURNING` that claims outbox rows with a lease), so SQLite's one writer never
//! meets a transaction that must upgrade its lock. The link store of `deeplink-auth` opens the
//! same database with its own tables and migrations; on SQLite its writers and the service's
//! take turns at one [`SqliteWriteGate`] (see [`Db::open_sharing`]).
//!
//! Nothing here sees axum; the HTTP layer calls these methods with values it already checked.

mod batch;
mod pages;
mod provider;
mod rows;

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection as _, Row as _};
use tgauth::link::store::{SqliteWriteGate, SqliteWriteTurn};
use tgauth::{UnixTime, UserId};

pub(crate) use provider::{ClientRow, CodeRow, KeyRow, Taken, TokenRow};
pub(crate) use rows::{
    ApiKeyRow, EventRow, NotificationRow, PassportFileRow, PassportRequestRow, SessionRow,
    TelegramUserRow,
};

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be reached or answered with an error.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// The migrations could not be applied.
    #[error("database migrations failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The database failed a statement that wrote several callers' rows at once.
    #[error("database unavailable")]
    Shared(#[source] std::sync::Arc<sqlx::Error>),
    /// The database was closed (the service is stopping).
    #[error("database closed")]
    Closed,
    /// A stored record is not what this service writes.
    #[error("stored record is malformed: {what}")]
    Corrupt {
        /// What was wrong.
        what: &'static str,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => Self::Corrupt {
                what: "a column holds a value of the wrong type",
            },
            other => Self::Unavailable(other),
        }
    }
}

/// How a recorded profile merges over the stored one (see `TelegramUserRow::merged_over`).
macro_rules! profile_merge {
    () => {
        " ON CONFLICT (telegram_id) DO UPDATE SET
             first_name = COALESCE(excluded.first_name, telegram_users.first_name),
             last_name = CASE WHEN excluded.first_name IS NULL THEN telegram_users.last_name ELSE excluded.last_name END,
             username = CASE WHEN excluded.first_name IS NULL THEN COALESCE(excluded.username, telegram_users.username) ELSE excluded.username END,
             photo_url = COALESCE(excluded.photo_url, telegram_users.photo_url),
             updated_at = excluded.updated_at"
    };
}

/// The profile merge, for the batched statement.
const PROFILE_MERGE: &str = profile_merge!();

/// The claim of an outbox's due rows, for the table and the columns it returns.
macro_rules! claim_sql {
    ($table:literal, $columns:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET lease_until = $2, attempts = attempts + 1
             WHERE id IN (
                 SELECT id FROM ",
            $table,
            "
                 WHERE status = 'queued' AND next_attempt_at <= $1
                   AND (lease_until IS NULL OR lease_until <= $1)
                 ORDER BY next_attempt_at, id LIMIT $3)
               AND status = 'queued' AND (lease_until IS NULL OR lease_until <= $1)
             RETURNING ",
            $columns
        )
    };
}

/// Puts a claimed row back for another attempt.
macro_rules! retry_sql {
    ($table:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET next_attempt_at = $2, error = $3, lease_until = NULL WHERE id = $1"
        )
    };
}

/// What queueing a notification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QueuedNotification {
    /// It is queued under the new id.
    Queued,
    /// A notification with the same idempotency key was queued before: its id, and whether
    /// it is for the same account with the same message.
    Existing { id: String, same: bool },
}

/// The two outboxes: rows written before their effect, claimed with a lease, retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outbox {
    /// Messages to website users through the bot.
    Notifications,
    /// Events to the website.
    Events,
}

impl Outbox {
    fn claim_sql(self) -> &'static str {
        match self {
            Self::Notifications => claim_sql!(
                "notifications",
                "id, account, body, status, attempts, created_at, finished_at, error"
            ),
            Self::Events => claim_sql!("events", "id, kind, payload, attempts, created_at"),
        }
    }

    fn retry_sql(self) -> &'static str {
        match self {
            Self::Notifications => retry_sql!("notifications"),
            Self::Events => retry_sql!("events"),
        }
    }
}

/// What claiming an update found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateClaim {
    /// This holder handles it now.
    Claimed,
    /// It was handled already: acknowledge it without handling.
    Handled,
    /// Another holder is handling it: it must come again later.
    Busy,
}

/// A session as the cache holds it.
#[derive(Clone)]
struct CachedSession {
    data: String,
    telegram_id: Option<UserId>,
    expires_at: UnixTime,
}

/// Sessions by the SHA-256 of their id, bounded: past [`SessionCache::LIMIT`] entries it
/// starts again empty (a miss only costs a read).
#[derive(Clone, Default)]
struct SessionCache(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, CachedSession>>>,
);

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCache")
    }
}

impl SessionCache {
    const LIMIT: usize = 100_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, CachedSession>> {
        // A panic while holding the lock cannot leave the map half-changed: every change is
        // one call on it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, id_hash: &str) -> Option<CachedSession> {
        self.lock().get(id_hash).cloned()
    }

    fn put(&self, id_hash: String, session: CachedSession) {
        let mut map = self.lock();
        if map.len() >= Self::LIMIT {
            map.clear();
        }
        map.insert(id_hash, session);
    }

    fn forget(&self, id_hash: &str) {
        self.lock().remove(id_hash);
    }

    fn remove(&self, mut matches: impl FnMut(&str, &CachedSession) -> bool) {
        self.lock().retain(|key, session| !matches(key, session));
    }
}

/// Which SQL dialect the database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The service's database.
#[derive(Debug, Clone)]
pub struct Db {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes.
    writer: Writer,
    /// SQLite's group writes of the hot inserts (see [`batch`]); `None` on PostgreSQL.
    batcher: Option<batch::Batcher>,
    /// SQLite's sessions as this process wrote or read them: a SQLite database has one
    /// process serving it, which writes every session, so the cache cannot go stale (a
    /// revocation removes what it revokes). `None` on PostgreSQL, where replicas share sessions.
    sessions: Option<SessionCache>,
    dialect: Dialect,
}

/// Where a [`Db`]'s writes go.
#[derive(Debug, Clone)]
enum Writer {
    /// PostgreSQL: the pool, as reads.
    Pool(AnyPool),
    /// SQLite: its one writer connection.
    Sqlite(SqliteWriter),
}

/// SQLite's one writer connection, used only in a turn at the gate the link store's writers to
/// the same file share (see [`Db::open_sharing`]).
///
/// SQLite takes one writer at a time: writers that wait in order for their turn never meet in
/// SQLite's busy handler, which sleeps a millisecond and more per retry. The connection is held
/// rather than pooled: a pool gives a connection back through a spawned task, which the next
/// writer waits for on a busy runtime (a fifth of the batcher's time under the serve bench's
/// logins, when it had a pool of its own); a held one costs nothing between turns.
#[derive(Debug, Clone)]
pub(super) struct SqliteWriter {
    gate: SqliteWriteGate,
    /// `None` once closed.
    connection: std::sync::Arc<tokio::sync::Mutex<Option<AnyConnection>>>,
}

impl SqliteWriter {
    /// Waits for a turn at the gate, then takes the connection.
    pub(super) async fn turn(&self) -> Result<Writing, StoreError> {
        let turn = self.gate.turn().await;
        let connection = std::sync::Arc::clone(&self.connection).lock_owned().await;
        let connection = tokio::sync::OwnedMutexGuard::try_map(connection, Option::as_mut)
            .map_err(|_| StoreError::Closed)?;
        Ok(Writing::Sqlite {
            connection,
            _turn: turn,
        })
    }

    /// Closes the connection; later turns fail with [`StoreError::Closed`].
    async fn close(&self) {
        let _turn = self.gate.turn().await;
        let connection = self.connection.lock().await.take();
        if let Some(connection) = connection {
            let _ = connection.close().await;
        }
    }
}

/// A pool of up to `sqlite` or `postgres` connections, SQLite's set up as [`Db::open`] says.
fn pool_options(dialect: Dialect, sqlite: u32, postgres: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(match dialect {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        })
        .acquire_timeout(Duration::from_secs(5))
        // A local file cannot go stale: no ping (a round trip to the connection's worker
        // thread) before each use of a SQLite connection. PostgreSQL's are pinged: a server
        // restart leaves dead connections in the pool.
        .test_before_acquire(dialect == Dialect::Postgres)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    sqlx::Executor::execute(connection, SQLITE_SETUP).await?;
                }
                Ok(())
            })
        })
}

/// What every SQLite connection runs first. WAL commits need no fsync at NORMAL: a crash of
/// the process loses nothing, a power loss at most the last commits, never consistency.
/// Checkpoints run in the background (Db::checkpoint), not inside a request that happens to
/// cross the WAL's size.
const SQLITE_SETUP: &str = "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";

/// This build's SQLite migrations (also what `doctor` compares a database with).
pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/sqlite");
/// This build's PostgreSQL migrations.
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/postgres");

/// A turn at writing, from [`Db::write`]: on SQLite a turn at the file's write gate and the
/// writer connection; on PostgreSQL a pooled connection.
pub(super) enum Writing {
    Pool(sqlx::pool::PoolConnection<sqlx::Any>),
    Sqlite {
        connection: tokio::sync::OwnedMappedMutexGuard<Option<AnyConnection>, AnyConnection>,
        _turn: SqliteWriteTurn,
    },
}

impl std::ops::Deref for Writing {
    type Target = AnyConnection;

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Pool(connection) => connection,
            Self::Sqlite { connection, .. } => connection,
        }
    }
}

impl std::ops::DerefMut for Writing {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Self::Pool(connection) => connection,
            Self::Sqlite { connection, .. } => connection,
        }
    }
}

impl Db {
    /// Opens (creating a SQLite file and its directory if missing) and migrates the database
    /// `url` names.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_sharing(url, SqliteWriteGate::default()).await
    }

    /// Opens the database `url` names, as [`Db::open`] does; on SQLite every write takes its
    /// turn at `gate` first, which the link store opened with
    /// [`AnyStore::open_sharing`](tgauth::link::store::AnyStore::open_sharing) on the same
    /// file shares, so that the service's writer and the link store's never meet in SQLite's
    /// busy handler (see [`SqliteWriteGate`]).
    pub async fn open_sharing(url: &str, gate: SqliteWriteGate) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let url = match dialect {
            Dialect::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(parent) = Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)
                        .map_err(|error| StoreError::Unavailable(sqlx::Error::Io(error)))?;
                }
                if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Dialect::Postgres => url.to_owned(),
        };
        // sqlx opens SQLite files in WAL mode with a five-second busy timeout and foreign keys
        // on (its defaults): readers run beside the one writer, and a writer that finds the
        // database locked waits instead of failing.
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = pool_options(dialect, 8, 16)
            .connect_with(options.clone())
            .await?;
        let (writer, batcher) = match dialect {
            Dialect::Sqlite => {
                let mut connection: AnyConnection = sqlx::ConnectOptions::connect(&options).await?;
                sqlx::Executor::execute(&mut connection, SQLITE_SETUP).await?;
                SQLITE_MIGRATIONS
                    .run(&mut connection)
                    .await
                    .map_err(StoreError::Migrate)?;
                let writer = SqliteWriter {
                    gate,
                    connection: std::sync::Arc::new(tokio::sync::Mutex::new(Some(connection))),
                };
                let batcher = batch::Batcher::start(writer.clone());
                (Writer::Sqlite(writer), Some(batcher))
            }
            Dialect::Postgres => {
                POSTGRES_MIGRATIONS
                    .run(&pool)
                    .await
                    .map_err(StoreError::Migrate)?;
                (Writer::Pool(pool.clone()), None)
            }
        };
        let sessions = (dialect == Dialect::Sqlite).then(SessionCache::default);
        Ok(Self {
            pool,
            writer,
            batcher,
            sessions,
            dialect,
        })
    }

    /// Copies the SQLite write-ahead log into the database (without waiting for readers);
    /// nothing on PostgreSQL. The housekeeping job runs it every second.
    pub(crate) async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.dialect == Dialect::Sqlite {
            sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether the database answers and is migrated to this build's schema.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_one(&self.pool)
            .await;
        // PostgreSQL keeps `success` as a boolean, SQLite as an integer; the Any driver binds
        // `true` as either.
        let applied: i64 = row?.try_get(0)?;
        let expected = match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.iter().count(),
            Dialect::Postgres => POSTGRES_MIGRATIONS.iter().count(),
        };
        if usize::try_from(applied).ok() == Some(expected) {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                what: "the applied migrations are not this build's",
            })
        }
    }

    /// Waits for a turn at writing (see [`Writing`]). Nothing that holds one may wait for
    /// another, nor call the link store: both wait for the same turns.
    async fn write(&self) -> Result<Writing, StoreError> {
        match &self.writer {
            Writer::Pool(pool) => Ok(Writing::Pool(pool.acquire().await?)),
            Writer::Sqlite(writer) => writer.turn().await,
        }
    }

    /// Closes the pools.
    pub async fn close(&self) {
        match &self.writer {
            Writer::Pool(pool) => pool.close().await,
            Writer::Sqlite(writer) => writer.close().await,
        }
        self.pool.close().await;
    }

    // Telegram users.

    /// Records what a login told about a Telegram user (a field a source did not tell keeps
    /// its stored value).
    pub(crate) async fn upsert_telegram_user(
        &self,
        user: &TelegramUserRow,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if let Some(batcher) = &self.batcher {
            let row = batch::Row {
                key: user.telegram_id.get().to_string(),
                values: vec![
                    batch::Value::Int(Some(user.telegram_id.get())),
                    batch::Value::Text(user.first_name.clone()),
                    batch::Value::Text(user.last_name.clone()),
                    batch::Value::Text(user.username.clone()),
                    batch::Value::Text(user.photo_url.clone()),
                    batch::Value::Int(Some(now.as_secs())),
                ],
            };
            batcher.write(batch::Kind::Profile, row).await?;
            return Ok(());
        }
        sqlx::query(concat!(
            "INSERT INTO telegram_users (telegram_id, first_name, last_name, username, photo_url, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            profile_merge!()
        ))
        .bind(user.telegram_id.get())
        .bind(user.first_name.as_deref())
        .bind(user.last_name.as_deref())
        .bind(user.username.as_deref())
        .bind(user.photo_url.as_deref())
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// A Telegram user as last seen.
    pub(crate) async fn telegram_user(
        &self,
        telegram_id: UserId,
    ) -> Result<Option<TelegramUserRow>, StoreError> {
        let row = sqlx::query(
            "SELECT telegram_id, first_name, last_name, username, photo_url
             FROM telegram_users WHERE telegram_id = $1",
        )
        .bind(telegram_id.get())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| TelegramUserRow::decode(&row)).transpose()
    }

    // Sessions.

    /// Writes a session record (its id already hashed): `replace` overwrites a record with
    /// the same id, otherwise nothing is written then; whether it was written.
    pub(crate) async fn write_session(
        &self,
        session: &SessionRow<'_>,
        replace: bool,
    ) -> Result<bool, StoreError> {
        if let Some(batcher) = &self.batcher {
            let row = batch::Row {
                key: session.id_hash.clone(),
                values: vec![
                    batch::Value::Text(Some(session.id_hash.clone())),
                    batch::Value::Int(session.telegram_id.map(UserId::get)),
                    batch::Value::Text(session.method.map(str::to_owned)),
                    batch::Value::Text(Some(session.data.clone())),
                    batch::Value::Int(Some(session.created_at.as_secs())),
                    batch::Value::Int(Some(session.expires_at.as_secs())),
                ],
            };
            let kind = if replace {
                batch::Kind::Session
            } else {
                batch::Kind::NewSession
            };
            let written = batcher.write(kind, row).await?;
            if written {
                self.cache_session(session);
            }
            return Ok(written);
        }
        let statement = if replace {
            "INSERT INTO sessions (id_hash, telegram_id, method, data, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id_hash) DO UPDATE SET
                 telegram_id = excluded.telegram_id, method = excluded.method,
                 data = excluded.data, expires_at = excluded.expires_at"
        } else {
            "INSERT INTO sessions (id_hash, telegram_id, method, data, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_hash) DO NOTHING"
        };
        let done = sqlx::query(statement)
            .bind(session.id_hash.as_str())
            .bind(session.telegram_id.map(UserId::get))
            .bind(session.method)
            .bind(session.data.as_str())
            .bind(session.created_at.as_secs())
            .bind(session.expires_at.as_secs())
            .execute(&mut *self.write().await?)
            .await?;
        let written = done.rows_affected() == 1;
        if written {
            self.cache_session(session);
        }
        Ok(written)
    }

    /// Keeps a written session in the cache (SQLite only).
    fn cache_session(&self, session: &SessionRow<'_>) {
        if let Some(cache) = &self.sessions {
            cache.put(
                session.id_hash.clone(),
                CachedSession {
                    data: session.data.clone(),
                    telegram_id: session.telegram_id,
                    expires_at: session.expires_at,
                },
            );
        }
    }

    /// A live session's data.
    pub(crate) async fn session(
        &self,
        id_hash: &str,
        now: UnixTime,
    ) -> Result<Option<String>, StoreError> {
        if let Some(cache) = &self.sessions
            && let Some(cached) = cache.get(id_hash)
        {
            return Ok((cached.expires_at > now).then_some(cached.data));
        }
        let row = sqlx::query(
            "SELECT data, telegram_id, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now.as_secs())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let cached = CachedSession {
            data: row.try_get(0)?,
            telegram_id: row.try_get::<Option<i64>, _>(1)?.map(UserId),
            expires_at: UnixTime(row.try_get(2)?),
        };
        let data = cached.data.clone();
        if let Some(cache) = &self.sessions {
            cache.put(id_hash.to_owned(), cached);
        }
        Ok(Some(data))
    }

    /// Deletes a session.
    pub(crate) async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        if let Some(cache) = &self.sessions {
            cache.forget(id_hash);
        }
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Revokes every session of a Telegram user; how many there were.
    pub(crate) async fn revoke_sessions(&self, telegram_id: UserId) -> Result<u64, StoreError> {
        if let Some(cache) = &self.sessions {
            cache.remove(|_, cached| cached.telegram_id == Some(telegram_id));
        }
        let done = sqlx::query("DELETE FROM sessions WHERE telegram_id = $1")
            .bind(telegram_id.get())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected())
    }

    // Login replays.

    /// Records that login data with `digest` was used, until `expires_at`; `false` when it was
    /// used before (a replay).
    pub(crate) async fn first_use(
        &self,
        digest: &str,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        if let Some(batcher) = &self.batcher {
            let row = batch::Row {
                key: digest.to_owned(),
                values: vec![
                    batch::Value::Text(Some(digest.to_owned())),
                    batch::Value::Int(Some(expires_at.as_secs())),
                ],
            };
            return batcher.write(batch::Kind::Replay, row).await;
        }
        let done = sqlx::query(
            "INSERT INTO login_replays (digest, expires_at) VALUES ($1, $2)
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(expires_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // OIDC flows.

    /// Stores a flow in progress.
    pub(crate) async fn insert_oidc_flow(
        &self,
        state_hash: &str,
        sealed: &[u8],
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO oidc_flows (state_hash, sealed, expires_at) VALUES ($1, $2, $3)")
            .bind(state_hash)
            .bind(sealed)
            .bind(expires_at.as_secs())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Takes (deletes and returns) a live flow: a state works once.
    pub(crate) async fn take_oidc_flow(
        &self,
        state_hash: &str,
        now: UnixTime,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oidc_flows WHERE state_hash = $1 RETURNING sealed, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&mut *self.write().await?)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get(1)?;
        if expires_at <= now.as_secs() {
            return Ok(None);
        }
        Ok(Some(row.try_get(0)?))
    }

    // API keys.

    /// Stores a new API key's hash.
    pub(crate) async fn insert_api_key(
        &self,
        id: &str,
        name: &str,
        secret_hash: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(name)
        .bind(secret_hash)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// An unrevoked API key by id.
    pub(crate) async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, created_at, revoked_at FROM api_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| ApiKeyRow::decode(&row)).transpose()
    }

    /// Every API key, newest first.
    pub(crate) async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, secret_hash, created_at, revoked_at FROM api_keys
             ORDER BY created_at DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ApiKeyRow::decode).collect()
    }

    /// Revokes an API key; whether it was live.
    pub(crate) async fn revoke_api_key(&self, id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now.as_secs())
                .execute(&mut *self.write().await?)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    // Link requests.

    /// Remembers the code last issued for `account` (sealed).
    pub(crate) async fn put_link_request(
        &self,
        account: &str,
        sealed_code: &[u8],
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_requests (account, sealed_code, created_at, expires_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (account) DO UPDATE SET sealed_code = excluded.sealed_code,
                 created_at = excluded.created_at, expires_at = excluded.expires_at",
        )
        .bind(account)
        .bind(sealed_code)
        .bind(now.as_secs())
        .bind(expires_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The sealed code last issued for `account`.
    pub(crate) async fn link_request(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT sealed_code FROM link_requests WHERE account = $1")
            .bind(account)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    /// Forgets the code of `account`.
    pub(crate) async fn delete_link_request(&self, account: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM link_requests WHERE account = $1")
            .bind(account)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    // Notifications.

    /// Queues a notification.
    pub(crate) async fn insert_notification(
        &self,
        id: &str,
        account: &str,
        body: &str,
        idempotency_key: Option<&str>,
        now: UnixTime,
    ) -> Result<QueuedNotification, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO notifications
                 (id, account, body, status, attempts, next_attempt_at, created_at, idempotency_key)
             VALUES ($1, $2, $3, 'queued', 0, $4, $4, $5)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(id)
        .bind(account)
        .bind(body)
        .bind(now.as_secs())
        .bind(idempotency_key)
        .execute(&mut *self.write().await?)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(QueuedNotification::Queued);
        }
        let row =
            sqlx::query("SELECT id, account, body FROM notifications WHERE idempotency_key = $1")
                .bind(idempotency_key)
                .fetch_optional(&mut *self.write().await?)
                .await?;
        let Some(row) = row else {
            // Deleted between the two statements (housekeeping): nothing was queued.
            return Err(StoreError::Unavailable(sqlx::Error::RowNotFound));
        };
        let existing_account: String = row.try_get("account")?;
        let existing_body: String = row.try_get("body")?;
        Ok(QueuedNotification::Existing {
            id: row.try_get("id")?,
            same: existing_account == account && existing_body == body,
        })
    }

    /// A notification.
    pub(crate) async fn notification(
        &self,
        id: &str,
    ) -> Result<Option<NotificationRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, account, body, status, attempts, created_at, finished_at, error
             FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| NotificationRow::decode(&row)).transpose()
    }

    /// Claims up to `limit` due notifications for `lease` seconds (another worker skips them
    /// until then), counting the attempt.
    pub(crate) async fn claim_notifications(
        &self,
        now: UnixTime,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let rows = self.claim(Outbox::Notifications, now, lease, limit).await?;
        rows.iter().map(NotificationRow::decode).collect()
    }

    /// Claims due rows of `outbox` in one statement: another worker's `UPDATE` re-checks the
    /// lease on each row it waited for, so a row goes to one worker.
    async fn claim(
        &self,
        outbox: Outbox,
        now: UnixTime,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        Ok(sqlx::query(outbox.claim_sql())
            .bind(now.as_secs())
            .bind(now.as_secs() + lease)
            .bind(limit)
            .fetch_all(&mut *self.write().await?)
            .await?)
    }

    /// Puts a claimed row of `outbox` back for another attempt at `at`.
    pub(crate) async fn retry(
        &self,
        outbox: Outbox,
        id: &str,
        at: UnixTime,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(outbox.retry_sql())
            .bind(id)
            .bind(at.as_secs())
            .bind(error)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Finishes a claimed notification with `status` (`sent`, `failed`, `blocked`).
    pub(crate) async fn finish_notification(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = $2, error = $3, finished_at = $4, lease_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// How many notifications wait to be sent.
    pub(crate) async fn queued_notifications(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM notifications WHERE status = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    // Events.

    /// Queues an event for the website.
    pub(crate) async fn insert_event(
        &self,
        id: &str,
        kind: &str,
        payload: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO events (id, kind, payload, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, 'queued', 0, $4, $4)",
        )
        .bind(id)
        .bind(kind)
        .bind(payload)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Claims due events, like [`Db::claim_notifications`].
    pub(crate) async fn claim_events(
        &self,
        now: UnixTime,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let rows = self.claim(Outbox::Events, now, lease, limit).await?;
        rows.iter().map(EventRow::decode).collect()
    }

    /// Marks an event delivered.
    pub(crate) async fn event_delivered(&self, id: &str, now: UnixTime) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE events SET status = 'delivered', delivered_at = $2, lease_until = NULL, error = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// How many events wait for delivery.
    pub(crate) async fn queued_events(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM events WHERE status = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    // Passport.

    /// Stores a new Passport request.
    #[allow(clippy::too_many_arguments, reason = "one column each")]
    pub(crate) async fn insert_passport_request(
        &self,
        id: &str,
        account: &str,
        telegram_id: UserId,
        nonce_hash: &str,
        scope: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO passport_requests (id, account, telegram_id, nonce_hash, scope, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
        )
        .bind(id)
        .bind(account)
        .bind(telegram_id.get())
        .bind(nonce_hash)
        .bind(scope)
        .bind(now.as_secs())
        .bind(expires_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// A Passport request by id.
    pub(crate) async fn passport_request(
        &self,
        id: &str,
    ) -> Result<Option<PassportRequestRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            rows::passport_request_columns!(),
            " FROM passport_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| PassportRequestRow::decode(&row)).transpose()
    }

    /// A Passport request by the hash of its nonce.
    pub(crate) async fn passport_request_by_nonce(
        &self,
        nonce_hash: &str,
    ) -> Result<Option<PassportRequestRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            rows::passport_request_columns!(),
            " FROM passport_requests WHERE nonce_hash = $1"
        ))
        .bind(nonce_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| PassportRequestRow::decode(&row)).transpose()
    }

    /// Records a received passport: its sealed data and files, in one transaction; `false`
    /// (and nothing written) when the request was answered already.
    pub(crate) async fn receive_passport(
        &self,
        id: &str,
        sealed_data: &[u8],
        files: &[PassportFileRow],
        now: UnixTime,
        erase_after: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut writing = self.write().await?;
        let mut transaction = writing.begin().await?;
        let done = sqlx::query(
            "UPDATE passport_requests SET status = 'received', received_at = $2, sealed_data = $3,
                 missing = NULL, erase_after = $4
             WHERE id = $1 AND status <> 'received' AND status <> 'erased'",
        )
        .bind(id)
        .bind(now.as_secs())
        .bind(sealed_data)
        .bind(erase_after.as_secs())
        .execute(&mut *transaction)
        .await?;
        if done.rows_affected() != 1 {
            transaction.rollback().await?;
            return Ok(false);
        }
        for file in files {
            sqlx::query(
                "INSERT INTO passport_files (request_id, file_index, element, part, sealed, file_hash)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(file.index)
            .bind(file.element.as_str())
            .bind(file.part.as_str())
            .bind(file.sealed.as_slice())
            .bind(file.file_hash.as_deref())
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    /// Records a rejected passport and what it missed, unless the request was received.
    pub(crate) async fn reject_passport(
        &self,
        id: &str,
        missing: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE passport_requests SET status = 'rejected', received_at = $2, missing = $3
             WHERE id = $1 AND status IN ('pending', 'rejected')",
        )
        .bind(id)
        .bind(now.as_secs())
        .bind(missing)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// A stored file of a received passport.
    pub(crate) async fn passport_file(
        &self,
        request_id: &str,
        index: i64,
    ) -> Result<Option<PassportFileRow>, StoreError> {
        let row = sqlx::query(
            "SELECT file_index, element, part, sealed, file_hash FROM passport_files
             WHERE request_id = $1 AND file_index = $2",
        )
        .bind(request_id)
        .bind(index)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| PassportFileRow::decode(&row)).transpose()
    }

    /// Every stored file of a received passport, without contents' decryption.
    pub(crate) async fn passport_files(
        &self,
        request_id: &str,
    ) -> Result<Vec<PassportFileRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT file_index, element, part, sealed, file_hash FROM passport_files
             WHERE request_id = $1 ORDER BY file_index",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(PassportFileRow::decode).collect()
    }

    /// Erases a passport's data and files (the request stays, marked `erased`); whether there
    /// was such a request.
    pub(crate) async fn erase_passport(&self, id: &str) -> Result<bool, StoreError> {
        let mut writing = self.write().await?;
        let mut transaction = writing.begin().await?;
        sqlx::query("DELETE FROM passport_files WHERE request_id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        let done = sqlx::query(
            "UPDATE passport_requests SET status = 'erased', sealed_data = NULL, missing = NULL
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The requests whose retention ended.
    pub(crate) async fn passports_to_erase(
        &self,
        now: UnixTime,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM passport_requests WHERE erase_after IS NOT NULL AND erase_after <= $1
               AND status = 'received'",
        )
        .bind(now.as_secs())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>(0)?))
            .collect()
    }

    /// Appends to the Passport audit log.
    pub(crate) async fn audit(
        &self,
        id: &str,
        request_id: &str,
        actor: &str,
        action: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO passport_audit (id, request_id, actor, action, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(request_id)
        .bind(actor)
        .bind(action)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The audit log of a request, oldest first: `(actor, action, at)`.
    pub(crate) async fn audit_log(
        &self,
        request_id: &str,
    ) -> Result<Vec<(String, String, UnixTime)>, StoreError> {
        let rows = sqlx::query(
            "SELECT actor, action, at FROM passport_audit WHERE request_id = $1 ORDER BY at, id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    UnixTime(row.try_get::<i64, _>(2)?),
                ))
            })
            .collect()
    }

    // The bot: lease, offset, handled updates.

    /// Takes or renews the lease `name` for `holder` until `expires_at`; whether `holder`
    /// holds it now.
    pub(crate) async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO bot_lease (name, holder, expires_at) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE bot_lease.holder = excluded.holder OR bot_lease.expires_at <= $3",
        )
        .bind(name)
        .bind(holder)
        .bind(now.as_secs())
        .bind(expires_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up, if `holder` holds it.
    pub(crate) async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM bot_lease WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The saved polling offset and when it was saved.
    pub(crate) async fn offset(&self, name: &str) -> Result<Option<(i64, UnixTime)>, StoreError> {
        let row = sqlx::query("SELECT next_offset, saved_at FROM bot_offset WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get(0)?, UnixTime(row.try_get::<i64, _>(1)?))))
            .transpose()
    }

    /// Saves the polling offset (never moving it back).
    pub(crate) async fn save_offset(
        &self,
        name: &str,
        offset: i64,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO bot_offset (name, next_offset, saved_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET next_offset = excluded.next_offset, saved_at = excluded.saved_at
             WHERE bot_offset.next_offset <= excluded.next_offset",
        )
        .bind(name)
        .bind(offset)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Claims an update for `holder` until `lease_until`. A claim another holder let run out
    /// is taken over, and so is any claim of another holder when `take_over` (the poller
    /// holding the polling lease: whoever else was handling the update died or lost the
    /// lease).
    pub(crate) async fn claim_update(
        &self,
        update_id: i64,
        holder: &str,
        now: UnixTime,
        lease_until: UnixTime,
        take_over: bool,
    ) -> Result<UpdateClaim, StoreError> {
        // On SQLite the common case, an update seen for the first time, is grouped with the
        // other hot writes; a known update takes the statement below, which applies the rules.
        if let Some(batcher) = &self.batcher {
            let row = batch::Row {
                key: update_id.to_string(),
                values: vec![
                    batch::Value::Int(Some(update_id)),
                    batch::Value::Text(Some("handling".to_owned())),
                    batch::Value::Int(Some(lease_until.as_secs())),
                    batch::Value::Text(Some(holder.to_owned())),
                ],
            };
            if batcher.write(batch::Kind::Claim, row).await? {
                return Ok(UpdateClaim::Claimed);
            }
        }
        let done = sqlx::query(
            "INSERT INTO handled_updates (update_id, state, lease_until, holder)
             VALUES ($1, 'handling', $3, $4)
             ON CONFLICT (update_id) DO UPDATE SET lease_until = excluded.lease_until,
                 holder = excluded.holder
             WHERE handled_updates.state = 'handling'
               AND (handled_updates.lease_until <= $2
                    OR ($5 = 1 AND COALESCE(handled_updates.holder, '') <> excluded.holder))",
        )
        .bind(update_id)
        .bind(now.as_secs())
        .bind(lease_until.as_secs())
        .bind(holder)
        .bind(i64::from(take_over))
        .execute(&mut *self.write().await?)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(UpdateClaim::Claimed);
        }
        let state: Option<String> =
            sqlx::query("SELECT state FROM handled_updates WHERE update_id = $1")
                .bind(update_id)
                .fetch_optional(&mut *self.write().await?)
                .await?
                .map(|row| row.try_get(0))
                .transpose()?;
        Ok(match state.as_deref() {
            Some("handled") => UpdateClaim::Handled,
            _ => UpdateClaim::Busy,
        })
    }

    /// Records that an update's effects are committed.
    pub(crate) async fn update_handled(
        &self,
        update_id: i64,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if let Some(batcher) = &self.batcher {
            let row = batch::Row {
                key: update_id.to_string(),
                values: vec![
                    batch::Value::Int(Some(update_id)),
                    batch::Value::Int(Some(now.as_secs())),
                ],
            };
            batcher.write(batch::Kind::Handled, row).await?;
            return Ok(());
        }
        sqlx::query(
            "UPDATE handled_updates SET state = 'handled', handled_at = $2 WHERE update_id = $1",
        )
        .bind(update_id)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Lets another delivery of an update be handled (this one failed).
    pub(crate) async fn release_update(&self, update_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM handled_updates WHERE update_id = $1 AND state = 'handling'")
            .bind(update_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    // Housekeeping.

    /// Deletes expired sessions, replay records, OIDC flows and old handled updates; how many
    /// rows went.
    pub(crate) async fn purge(&self, now: UnixTime) -> Result<u64, StoreError> {
        if let Some(cache) = &self.sessions {
            cache.remove(|_, session| session.expires_at <= now);
        }
        let mut purged = 0;
        for statement in [
            "DELETE FROM sessions WHERE expires_at <= $1",
            "DELETE FROM login_replays WHERE expires_at <= $1",
            "DELETE FROM oidc_flows WHERE expires_at <= $1",
            "DELETE FROM link_requests WHERE expires_at <= $1 - 86400",
            // Telegram redelivers an update for at most a day.
            "DELETE FROM handled_updates WHERE state = 'handled' AND handled_at <= $1 - 172800",
            // A used or expired code is kept a day, so that its reuse is still recognised.
            "DELETE FROM oidc_codes WHERE expires_at <= $1 - 86400",
            "DELETE FROM oidc_tokens WHERE expires_at <= $1",
            "DELETE FROM oidc_keys WHERE remove_at IS NOT NULL AND remove_at <= $1",
        ] {
            purged += sqlx::query(statement)
                .bind(now.as_secs())
                .execute(&mut *self.write().await?)
                .await?
                .rows_affected();
        }
        Ok(purged)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    /// How long a write held back by a turn is watched: a write that ignored the turn would
    /// be done within a millisecond or two.
    const HELD: Duration = Duration::from_millis(300);

    /// On SQLite every write, batched or not, waits for its turn at the gate the link store
    /// shares, and is done once the turn is given back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_writes_take_their_turn_at_the_shared_gate() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", directory.path().join("t.db").display());
        let gate = SqliteWriteGate::default();
        let db = Db::open_sharing(&url, gate.clone()).await.unwrap();
        assert!(db.first_use("before", UnixTime(100)).await.unwrap());

        let turn = gate.turn().await;
        let mut batched = tokio::spawn({
            let db = db.clone();
            async move { db.first_use("during", UnixTime(100)).await }
        });
        let mut direct = tokio::spawn({
            let db = db.clone();
            async move { db.save_offset("poller", 7, UnixTime(1)).await }
        });
        assert!(tokio::time::timeout(HELD, &mut batched).await.is_err());
        assert!(tokio::time::timeout(HELD, &mut direct).await.is_err());
        // Reads do not wait.
        assert_eq!(db.offset("poller").await.unwrap(), None);

        drop(turn);
        assert!(batched.await.unwrap().unwrap());
        direct.await.unwrap().unwrap();
        assert_eq!(db.offset("poller").await.unwrap(), Some((7, UnixTime(1))));
    }
    /// On SQLite an update's first claim is grouped with other writes and a known update's
    /// goes through the rules: claimed once, busy while its lease runs, taken over when the
    /// lease ran out or by the lease holder, never again once handled; of concurrent
    /// deliveries one claims it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_update_is_claimed_once_busy_while_leased_and_done_once_handled() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", directory.path().join("t.db").display());
        let db = Db::open(&url).await.unwrap();
        let claim = |holder: &'static str, now: i64, take_over: bool| {
            let db = db.clone();
            async move {
                db.claim_update(7, holder, UnixTime(now), UnixTime(now + 60), take_over)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(claim("a", 100, false).await, UpdateClaim::Claimed);
        assert_eq!(claim("b", 100, false).await, UpdateClaim::Busy);
        assert_eq!(claim("b", 160, false).await, UpdateClaim::Claimed);
        assert_eq!(claim("b", 161, true).await, UpdateClaim::Busy);
        assert_eq!(claim("a", 161, true).await, UpdateClaim::Claimed);
        db.update_handled(7, UnixTime(162)).await.unwrap();
        assert_eq!(claim("b", 1_000, true).await, UpdateClaim::Handled);

        let deliveries: Vec<_> = (0..20)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.claim_update(8, "a", UnixTime(100), UnixTime(160), false)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut claimed = 0;
        for delivery in deliveries {
            match delivery.await.unwrap() {
                UpdateClaim::Claimed => claimed += 1,
                UpdateClaim::Busy => {}
                UpdateClaim::Handled => panic!("update 8 was never handled"),
            }
        }
        assert_eq!(claimed, 1);
        db.update_handled(8, UnixTime(101)).await.unwrap();
        assert_eq!(
            db.claim_update(8, "b", UnixTime(1_000), UnixTime(1_060), true)
                .await
                .unwrap(),
            UpdateClaim::Handled
        );
    }
}
