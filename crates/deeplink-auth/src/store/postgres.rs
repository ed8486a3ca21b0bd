//! The PostgreSQL store through sqlx, for several servers sharing one database: a consume
//! locks the code's row (`SELECT ... FOR UPDATE`) inside a transaction, so exactly one of
//! concurrent consumers wins on any server; migrations run under an advisory lock.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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
    migration!("postgres", "0001_initial.sql"),
    migration!("postgres", "0002_website_confirmed.sql"),
    migration!("postgres", "0003_inactive_since.sql"),
];

/// How long a pooled connection may sit idle before it is pinged ahead of its next use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);
/// The advisory lock that serialises migrations of servers starting together.
const MIGRATION_LOCK: i64 = 0x7467_6175_7468_0001;
/// The first key of the two-key advisory locks on website accounts ("tgau").
const ACCOUNT_LOCK_SPACE: i32 = 0x7467_6175;

/// A [`Store`](crate::store::Store) in PostgreSQL; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: sqlx::PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names and applies the migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(Self::options(url)?).await
    }

    /// Like [`PostgresStore::open`], with the tables in `schema` (created if missing):
    /// several applications, or tests running in parallel, can share one database.
    /// `schema` is 1 to 63 characters of `a-z0-9_`, not starting with a digit.
    pub async fn open_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let valid = (1..=63).contains(&schema.len())
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(StoreError::Url {
                reason: "a schema is 1 to 63 characters of a-z, 0-9 and _".to_owned(),
            });
        }
        let options = Self::options(url)?;
        let mut setup = options
            .connect()
            .await
            .map_err(|e| store_error("postgres", e))?;
        // The name was checked above to hold only identifier characters.
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut setup)
            .await
            .map_err(|e| store_error("postgres", e))?;
        setup
            .close()
            .await
            .map_err(|e| store_error("postgres", e))?;
        Self::open_with(options.options([("search_path", schema)])).await
    }

    fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
        PgConnectOptions::from_str(url).map_err(|e| StoreError::Url {
            reason: e.to_string(),
        })
    }

    async fn open_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        // One direct connection first: a pool that cannot connect retries until its acquire
        // timeout and then reports only "pool timed out", losing the reason (connection
        // refused, authentication failed, no such database).
        options
            .connect()
            .await
            .map_err(|e| store_error("postgres", e))?
            .close()
            .await
            .map_err(|e| store_error("postgres", e))?;
        // No ping before each use of a busy connection: it doubles the round trips of short
        // statements. A connection that sat idle for a second or more is pinged first, so
        // the connections a server restart left dead are replaced before a request gets one
        // (each would fail its next statement with `Unavailable`); one the server drops
        // while it is busy still fails once, and the pool replaces it.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| store_error("postgres", e))?;
        let store = Self { pool };
        let mut tx = store.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| store_error("postgres", e))?;
        migrate!(tx, "postgres", MIGRATIONS);
        Self::commit(tx).await?;
        Ok(store)
    }

    /// The common case of a consume in one statement (one round trip, one commit): a fresh
    /// (or own pending) code and a Telegram account without a link. The code's update and the
    /// link's insert are one statement, so a racing link for the same account (a unique
    /// violation) undoes both. `None` sends the caller to the general path, which reads first
    /// and applies every rule.
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
        let result = sqlx::query(
            "WITH claimed AS ( \
                UPDATE deeplink_codes SET state = 2, telegram_user_id = $1, chat_id = $2 \
                WHERE hash = $3 AND expires_at > $4 AND (state = 0 OR \
                    (state IN (1, 3) AND telegram_user_id = $1 AND chat_id = $2)) \
                AND NOT EXISTS (SELECT 1 FROM deeplink_links WHERE telegram_user_id = $1) \
                RETURNING user_id) \
             INSERT INTO deeplink_links \
                (telegram_user_id, chat_id, user_id, linked_at, website_confirmed) \
             SELECT $1, $2, user_id, $4, $5 FROM claimed RETURNING user_id",
        )
        .bind(who.user_id().0)
        .bind(who.chat_id().0)
        .bind(hash.as_bytes().as_slice())
        .bind(now.0)
        .bind(by == CommittedBy::Website)
        .fetch_optional(&self.pool)
        .await;
        fast_consume_outcome("postgres", result, who, by, now)
    }

    /// Serialises, until the transaction ends, the writes that must see every link of
    /// `account` (one chat per account): under READ COMMITTED two transactions would otherwise
    /// each delete the account's other links, see none of the other's, and both insert.
    async fn lock_account(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        account: &crate::ids::AccountId,
    ) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(ACCOUNT_LOCK_SPACE)
            .bind(account.as_str())
            .execute(&mut **tx)
            .await
            .map_err(|e| store_error("postgres", e))?;
        Ok(())
    }

    /// PostgreSQL takes many writers at once: no queue in front of the pool.
    async fn write_gate(&self) -> Option<()> {
        None
    }

    /// Runs a single-statement write on the pool.
    async fn execute_gated<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
        query.execute(&self.pool).await
    }

    fn write_pool(&self) -> &sqlx::PgPool {
        &self.pool
    }

    fn read_pool(&self) -> &sqlx::PgPool {
        &self.pool
    }

    /// Closes the pool; operations afterwards fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

sql_store!(
    PostgresStore,
    sqlx::Postgres,
    backend = "postgres",
    begin = "BEGIN",
    lock = " FOR UPDATE"
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
                "dddb047aa8d893c25f662b037de2e871bb837a502adc248e9a75c7e27039413b",
                // 0002_website_confirmed.sql
                "7d42919c20d49e07d3f4fbf2ce751612fa51fdec1e49e50177d3ef5544ea560c",
                // 0003_inactive_since.sql
                "8f8bfa2e7581621751e4b646beeca088e458531a8fd848c724eea9a9a94dd86f",
            ],
        );
    }
}
