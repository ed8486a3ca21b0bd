//! The SQLite store through sqlx: the embedded default. A file created on first use, WAL
//! journal with `synchronous=NORMAL` (a crash loses at most the last commits since a
//! checkpoint, never consistency), migrations embedded and applied at open, and write
//! transactions opened with `BEGIN IMMEDIATE` so that writers queue instead of failing.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use tgauth_core::UnixTime;

use crate::code::CodeHash;
use crate::error::StoreError;
use crate::ids::TelegramIdentity;
use crate::store::sql::{
    Migration, fast_consume_outcome, migrate, migration, sql_store, store_error,
};
use crate::store::{ChatsPerAccount, CommittedBy, LinkPolicy, Linked};

/// The forward migrations, in order; never edit one that was released.
const MIGRATIONS: &[Migration] = &[
    migration!("sqlite", "0001_initial.sql"),
    migration!("sqlite", "0002_fast_link_trigger.sql"),
    migration!("sqlite", "0003_website_confirmed.sql"),
    migration!("sqlite", "0004_inactive_since.sql"),
];

/// A [`Store`](crate::store::Store) in a SQLite file; clones share the connection pools.
///
/// SQLite allows one writer at a time, so writes go through a single connection (they queue
/// in the pool instead of sleeping in SQLite's busy handler) and reads through a few more.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: sqlx::SqlitePool,
    reader: sqlx::SqlitePool,
    /// Held by every write, so that the store's two writer connections, and whatever else in
    /// this process writes to the file and shares it ([`SqliteStore::open_sharing`]),
    /// never wait on each other in SQLite's busy handler.
    gate: SqliteWriteGate,
    /// The hot-path writers' own connection; locked only under the gate. A pool hop costs a
    /// spawned task and a ping round trip to the connection's worker thread on every
    /// release; a held connection costs neither. `None` once closed.
    hot: std::sync::Arc<tokio::sync::Mutex<Option<sqlx::SqliteConnection>>>,
}

/// Turns at writing to one SQLite file, first come first served, for everything in this
/// process that writes to it through its own connection.
///
/// SQLite lets one connection write at a time. A connection that finds the file locked waits
/// in SQLite's busy handler, which sleeps a millisecond, then two, five, ten and more, however
/// soon the lock is free: with two busy writers in one process, most of their time goes to
/// those sleeps (the service's webhook claims measured 80 ms each, with the processor half
/// idle). Writers that take their turn here first never meet in the busy handler. Clones share
/// the turns.
#[derive(Debug, Clone, Default)]
pub struct SqliteWriteGate(std::sync::Arc<tokio::sync::Mutex<()>>);

/// A turn at writing, from [`SqliteWriteGate::turn`]: the next writer's begins when it is
/// dropped.
#[derive(Debug)]
pub struct SqliteWriteTurn(
    #[allow(dead_code, reason = "held for its drop")] tokio::sync::OwnedMutexGuard<()>,
);

impl SqliteWriteGate {
    /// Waits for this writer's turn.
    pub async fn turn(&self) -> SqliteWriteTurn {
        SqliteWriteTurn(std::sync::Arc::clone(&self.0).lock_owned().await)
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite://path` URL names and applies the
    /// migrations.
    ///
    /// The URL must name a file: `sqlite://`, `sqlite::memory:` and `?mode=memory` are
    /// refused, because the store's two connection pools would each see a different private
    /// database (use `memory://` for a store without durability).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_sharing(url, SqliteWriteGate::default()).await
    }

    /// Opens the database `url` names, as [`SqliteStore::open`] does, with its writers taking
    /// their turns at `gate`, which the other writers of this process to the same file share
    /// (see [`SqliteWriteGate`]). A writer that holds a turn must not call the store: the
    /// store's writes wait for the same turns.
    pub async fn open_sharing(url: &str, gate: SqliteWriteGate) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Url {
            reason: e.to_string(),
        })?;
        let in_memory = url
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair == "mode=memory"));
        if in_memory
            || options
                .get_filename()
                .to_string_lossy()
                .starts_with("file:sqlx-in-memory-")
        {
            return Err(StoreError::Url {
                reason: "a sqlite store is a file, not an in-memory database (use memory://)"
                    .to_owned(),
            });
        }
        Self::open_with(options, gate).await
    }

    /// Opens (creating if missing) the database file at `path`.
    pub async fn open_path(path: &std::path::Path) -> Result<Self, StoreError> {
        Self::open_with(
            SqliteConnectOptions::new().filename(path),
            SqliteWriteGate::default(),
        )
        .await
    }

    async fn open_with(
        options: SqliteConnectOptions,
        gate: SqliteWriteGate,
    ) -> Result<Self, StoreError> {
        // An empty file name makes SQLite open a private temporary database per connection:
        // the readers would never see what the writer commits.
        if options.get_filename().as_os_str().is_empty() {
            return Err(StoreError::Url {
                reason: "a sqlite store needs a file path (sqlite://path)".to_owned(),
            });
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        // A local file cannot go stale: no ping before each use (it would cost a round trip
        // to the connection's worker thread per operation).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|e| store_error("sqlite", e))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options.clone());
        let store = Self {
            writer,
            reader,
            gate,
            hot: Default::default(),
        };
        let mut tx = store.begin().await?;
        migrate!(tx, "sqlite", MIGRATIONS);
        Self::commit(tx).await?;
        let connection = sqlx::ConnectOptions::connect(&options)
            .await
            .map_err(|e| store_error("sqlite", e))?;
        *store.hot.lock().await = Some(connection);
        Ok(store)
    }

    /// The common case of a consume in one statement (one round trip to the connection's
    /// worker thread): a fresh (or own pending) code and a Telegram account without a link. The
    /// UPDATE claims the code and its trigger inserts the link; SQLite runs both as one atomic
    /// statement. `None` sends the caller to the general path, which reads first and applies
    /// every rule.
    async fn consume_fast(
        &self,
        hash: &CodeHash,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Option<Linked>, StoreError> {
        if policy.chats_per_account != ChatsPerAccount::Many {
            return Ok(None);
        }
        let turn = self.gate.turn().await;
        let mut hot = self.hot.lock().await;
        let connection = hot
            .as_mut()
            .ok_or_else(|| store_error("sqlite", sqlx::Error::PoolClosed))?;
        let result = sqlx::query(
            "UPDATE deeplink_codes SET state = 2, telegram_user_id = $1, chat_id = $2, \
             fast_linked_at = $4, fast_website_confirmed = $5 \
             WHERE hash = $3 AND expires_at > $4 AND (state = 0 OR \
             (state IN (1, 3) AND telegram_user_id = $1 AND chat_id = $2)) \
             AND NOT EXISTS (SELECT 1 FROM deeplink_links WHERE telegram_user_id = $1) \
             RETURNING user_id",
        )
        .bind(who.user_id().0)
        .bind(who.chat_id().0)
        .bind(hash.as_bytes().as_slice())
        .bind(now.0)
        .bind(by == CommittedBy::Website)
        .fetch_optional(connection)
        .await;
        drop(hot);
        drop(turn);
        fast_consume_outcome("sqlite", result, who, by, now)
    }

    /// Nothing to do: `BEGIN IMMEDIATE` already makes every write transaction exclusive.
    async fn lock_account(
        _tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        _account: &crate::ids::AccountId,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    /// Held by every write through the pool, so that it never meets the hot-path connection
    /// (or another writer sharing the gate) in SQLite's busy handler.
    async fn write_gate(&self) -> Option<SqliteWriteTurn> {
        Some(self.gate.turn().await)
    }

    /// Runs a single-statement write on the hot-path connection.
    async fn execute_gated<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error> {
        let _turn = self.gate.turn().await;
        let mut hot = self.hot.lock().await;
        let connection = hot.as_mut().ok_or(sqlx::Error::PoolClosed)?;
        query.execute(connection).await
    }

    fn write_pool(&self) -> &sqlx::SqlitePool {
        &self.writer
    }

    fn read_pool(&self) -> &sqlx::SqlitePool {
        &self.reader
    }

    /// Runs SQLite's `PRAGMA integrity_check`: `"ok"`, or the problems it found.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.writer)
            .await
            .map_err(|e| store_error("sqlite", e))?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            lines.push(
                row.try_get::<String, _>(0)
                    .map_err(|e| store_error("sqlite", e))?,
            );
        }
        Ok(lines.join("\n"))
    }

    /// Closes the pools; operations afterwards fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        let connection = {
            let _turn = self.gate.turn().await;
            self.hot.lock().await.take()
        };
        if let Some(connection) = connection {
            // Closing only flushes and releases the handle; a failure leaves nothing to undo.
            let _closed = sqlx::Connection::close(connection).await;
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    backend = "sqlite",
    begin = "BEGIN IMMEDIATE",
    lock = ""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_migrations_are_never_edited() {
        crate::store::sql::assert_released(
            MIGRATIONS,
            &[
                // 0001_initial.sql
                "4a73ac98897c09800df3c5b0e1780c47e0c19ff58df453945d97c26fe9ceabe3",
                // 0002_fast_link_trigger.sql
                "b0b34114b34ab0038c813f5a12ace15ef700d7fe1db603ffdd62fa9f97b5e50d",
                // 0003_website_confirmed.sql
                "c587d9ce7dd9c0225301c84dd1da454f96ea0216c64ec2441eabfbf318fdf207",
                // 0004_inactive_since.sql
                "43173ba64645af9209a13ee067e8c23a053c1943ed6bd998c7a695a6eb9c6ce2",
            ],
        );
    }
}
