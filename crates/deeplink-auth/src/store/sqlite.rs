//! The SQLite store through sqlx: the embedded default. A file created on first use, WAL
//! journal with `synchronous=NORMAL` (a crash loses at most the last commits since a
//! checkpoint, never consistency), migrations embedded and applied at open, and write
//! transactions opened with `BEGIN IMMEDIATE` so that writers queue instead of failing.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::StoreError;
use crate::store::sql::{migrate, sql_store, store_error};

/// Each migration is a list of statements, applied in order once.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE deeplink_codes (
        hash BLOB PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        state INTEGER NOT NULL,
        telegram_user_id INTEGER,
        chat_id INTEGER
    ) WITHOUT ROWID",
    "CREATE INDEX deeplink_codes_expires_at ON deeplink_codes (expires_at)",
    "CREATE TABLE deeplink_links (
        telegram_user_id INTEGER PRIMARY KEY NOT NULL,
        chat_id INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL
    )",
    "CREATE INDEX deeplink_links_user_id ON deeplink_links (user_id)",
    "CREATE TABLE deeplink_login_uses (
        id BLOB PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID",
]];

/// A [`Store`](crate::Store) in a SQLite file; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite://path` URL names and applies the
    /// migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Url {
            reason: e.to_string(),
        })?;
        Self::open_with(options).await
    }

    /// Opens (creating if missing) the database file at `path`.
    pub async fn open_path(path: &std::path::Path) -> Result<Self, StoreError> {
        Self::open_with(SqliteConnectOptions::new().filename(path)).await
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| store_error("sqlite", e))?;
        let store = Self { pool };
        let mut tx = store.begin().await?;
        migrate!(tx, "sqlite", MIGRATIONS);
        Self::commit(tx).await?;
        Ok(store)
    }

    /// Closes the pool; operations afterwards fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    backend = "sqlite",
    begin = "BEGIN IMMEDIATE",
    lock = ""
);
