//! What the SQLite and PostgreSQL stores share: error mapping, row decoding, and the store
//! implementation itself, written once as a macro over the two sqlx drivers (their SQL differs
//! only in types, the transaction's opening statement and row locks).

use tgauth_core::{ChatId, UnixTime, UserId};

use crate::error::StoreError;
use crate::ids::{AccountId, TelegramIdentity};
use crate::store::{CodeRecord, CodeState, CommittedBy, Link, LinkOutcome, Linked};

/// Maps a sqlx error: I/O, TLS, pool and worker failures mean the store is down, and so do
/// the server's own reports that it dropped or refuses the connection (SQLSTATE class 08,
/// connection exception; 57P01-57P05, shutdown or termination by an administrator; 53300, too
/// many connections).
pub(crate) fn store_error(backend: &'static str, error: sqlx::Error) -> StoreError {
    let server_gone =
        |code: &str| code.starts_with("08") || code.starts_with("57P") || code == "53300";
    match error {
        sqlx::Error::Database(ref database)
            if database.code().is_some_and(|code| server_gone(&code)) =>
        {
            StoreError::Unavailable {
                backend,
                source: Box::new(error),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable {
            backend,
            source: Box::new(error),
        },
        // A column of another type than this crate writes: the record is malformed.
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
            backend,
            what: "a column holds a value of the wrong type".to_owned(),
        },
        other => StoreError::Backend {
            backend,
            source: Box::new(other),
        },
    }
}

/// A malformed stored record.
pub(crate) fn corrupt(backend: &'static str, what: &str) -> StoreError {
    StoreError::Corrupt {
        backend,
        what: what.to_owned(),
    }
}

/// The columns a link is read from, in [`link_from_columns`]'s order (a macro, so that
/// `concat!` builds each query at compile time).
macro_rules! link_columns {
    () => {
        "telegram_user_id, chat_id, user_id, linked_at, website_confirmed, inactive_since"
    };
}
pub(crate) use link_columns;

/// Decodes a link row (`link_columns!()`).
pub(crate) fn link_from_columns(
    backend: &'static str,
    telegram_user: i64,
    chat: i64,
    account: &str,
    linked_at: i64,
    website_confirmed: bool,
    inactive_since: Option<i64>,
) -> Result<Link, StoreError> {
    let account = AccountId::new(account).map_err(|_| corrupt(backend, "link user_id"))?;
    let telegram = TelegramIdentity::new(UserId(telegram_user), ChatId(chat))
        .map_err(|_| corrupt(backend, "link telegram ids"))?;
    Ok(Link {
        account,
        telegram,
        linked_at: UnixTime(linked_at),
        website_confirmed,
        inactive_since: inactive_since.map(UnixTime),
    })
}

/// The new link a fast consume made, from the code's stored account.
pub(crate) fn fresh_link(
    backend: &'static str,
    account: &str,
    who: TelegramIdentity,
    by: CommittedBy,
    now: UnixTime,
) -> Result<Linked, StoreError> {
    let account = AccountId::new(account).map_err(|_| corrupt(backend, "code user_id"))?;
    Ok(Linked {
        link: Link {
            account,
            telegram: who,
            linked_at: now,
            website_confirmed: by == CommittedBy::Website,
            inactive_since: None,
        },
        outcome: LinkOutcome::New,
    })
}

/// What a fast consume's single statement answered, as the new link: `None` when no fresh code
/// matched, or when another process linked the account in between (the unique violation undid
/// the statement); the returned row holds the code's `user_id`.
pub(crate) fn fast_consume_outcome<R>(
    backend: &'static str,
    result: Result<Option<R>, sqlx::Error>,
    who: TelegramIdentity,
    by: CommittedBy,
    now: UnixTime,
) -> Result<Option<Linked>, StoreError>
where
    R: sqlx::Row,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let row = match result {
        Ok(row) => row,
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Ok(None),
        Err(error) => return Err(store_error(backend, error)),
    };
    let Some(row) = row else { return Ok(None) };
    let account = row
        .try_get::<&str, _>(0)
        .map_err(|e| store_error(backend, e))?;
    fresh_link(backend, account, who, by, now).map(Some)
}

/// Decodes a code row `(user_id, expires_at, state, telegram_user_id, chat_id)`.
pub(crate) fn code_from_columns(
    backend: &'static str,
    account: &str,
    expires_at: i64,
    state: i64,
    telegram_user: Option<i64>,
    chat: Option<i64>,
) -> Result<CodeRecord, StoreError> {
    let account = AccountId::new(account).map_err(|_| corrupt(backend, "code user_id"))?;
    let state = CodeState::from_columns(state, telegram_user, chat)
        .ok_or_else(|| corrupt(backend, "code state"))?;
    Ok(CodeRecord {
        account,
        expires_at: UnixTime(expires_at),
        state,
    })
}

/// Implements [`Store`](crate::store::Store) for a sqlx-backed store struct. `begin` opens a
/// write transaction, `lock` is appended to row reads that must lock.
macro_rules! sql_store {
    ($store:ty, $db:ty, backend = $backend:literal, begin = $begin:literal, lock = $lock:literal) => {
        impl $store {
            /// Reads a code under the transaction's lock.
            async fn read_code(
                tx: &mut sqlx::Transaction<'static, $db>,
                hash: &$crate::code::CodeHash,
            ) -> Result<Option<$crate::store::CodeRecord>, $crate::error::StoreError> {
                use sqlx::Row as _;
                let row = sqlx::query(concat!(
                    "SELECT user_id, expires_at, state, telegram_user_id, chat_id \
                     FROM deeplink_codes WHERE hash = $1",
                    $lock
                ))
                .bind(hash.as_bytes().as_slice())
                .fetch_optional(&mut **tx)
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                let Some(row) = row else { return Ok(None) };
                let decode = |e| $crate::store::sql::store_error($backend, e);
                $crate::store::sql::code_from_columns(
                    $backend,
                    row.try_get::<&str, _>(0).map_err(decode)?,
                    row.try_get(1).map_err(decode)?,
                    row.try_get(2).map_err(decode)?,
                    row.try_get(3).map_err(decode)?,
                    row.try_get(4).map_err(decode)?,
                )
                .map(Some)
            }

            /// Reads the link of a Telegram user (under the transaction's lock when in one).
            async fn read_link<'e, E>(
                executor: E,
                telegram_user: i64,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    $crate::store::sql::link_columns!(),
                    " FROM deeplink_links WHERE telegram_user_id = $1",
                    $lock
                ))
                .bind(telegram_user)
                .fetch_optional(executor)
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                row.map(|row| Self::link_row(&row)).transpose()
            }

            fn link_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::Link, $crate::error::StoreError> {
                use sqlx::Row as _;
                let decode = |e| $crate::store::sql::store_error($backend, e);
                $crate::store::sql::link_from_columns(
                    $backend,
                    row.try_get(0).map_err(decode)?,
                    row.try_get(1).map_err(decode)?,
                    row.try_get::<&str, _>(2).map_err(decode)?,
                    row.try_get(3).map_err(decode)?,
                    row.try_get(4).map_err(decode)?,
                    row.try_get(5).map_err(decode)?,
                )
            }

            async fn set_code_state(
                tx: &mut sqlx::Transaction<'static, $db>,
                hash: &$crate::code::CodeHash,
                state: $crate::store::CodeState,
            ) -> Result<(), $crate::error::StoreError> {
                let (state, telegram_user, chat) = state.columns();
                sqlx::query(
                    "UPDATE deeplink_codes SET state = $1, telegram_user_id = $2, chat_id = $3 \
                     WHERE hash = $4",
                )
                .bind(i64::from(state))
                .bind(telegram_user)
                .bind(chat)
                .bind(hash.as_bytes().as_slice())
                .execute(&mut **tx)
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                Ok(())
            }

            /// Writes a link under the policy inside the transaction; `Ok(None)` when a
            /// concurrent writer inserted the same Telegram user first (retry).
            async fn write_link(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &$crate::ids::AccountId,
                who: $crate::ids::TelegramIdentity,
                policy: $crate::store::LinkPolicy,
                by: $crate::store::CommittedBy,
                now: tgauth_core::UnixTime,
            ) -> Result<Option<$crate::store::Linked>, $crate::error::Error> {
                let map = |e| $crate::store::sql::store_error($backend, e);
                let existing = Self::read_link(&mut **tx, who.user_id().0).await?;
                let step = $crate::store::rules::decide_put(existing, account, policy)?;
                if policy.chats_per_account == $crate::store::ChatsPerAccount::One {
                    // Concurrent links to one website account must see each other's rows, or
                    // each deletes the others' (none yet) and all stay.
                    Self::lock_account(tx, account).await?;
                    sqlx::query(
                        "DELETE FROM deeplink_links WHERE user_id = $1 AND telegram_user_id <> $2",
                    )
                    .bind(account.as_str())
                    .bind(who.user_id().0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map)?;
                }
                let linked = $crate::store::rules::put_result(step, account, who, by, now);
                let written = match linked.outcome {
                    $crate::store::LinkOutcome::New => sqlx::query(
                        "INSERT INTO deeplink_links (telegram_user_id, chat_id, user_id, \
                         linked_at, website_confirmed, inactive_since) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (telegram_user_id) DO NOTHING",
                    ),
                    _ => sqlx::query(
                        "UPDATE deeplink_links SET chat_id = $2, user_id = $3, linked_at = $4, \
                         website_confirmed = $5, inactive_since = $6 WHERE telegram_user_id = $1",
                    ),
                }
                .bind(who.user_id().0)
                .bind(who.chat_id().0)
                .bind(linked.link.account.as_str())
                .bind(linked.link.linked_at.0)
                .bind(linked.link.website_confirmed)
                .bind(linked.link.inactive_since.map(|since| since.0))
                .execute(&mut **tx)
                .await
                .map_err(map)?;
                Ok((written.rows_affected() == 1).then_some(linked))
            }

            /// A claim, a consent or a decline, in one transaction over the locked code row.
            async fn claim_as(
                &self,
                code: &$crate::code::LinkCode,
                who: $crate::ids::TelegramIdentity,
                now: tgauth_core::UnixTime,
                target: $crate::store::ClaimTarget,
            ) -> Result<$crate::store::Claim, $crate::error::Error> {
                use $crate::store::rules::ClaimStep;
                use $crate::store::Claim;
                let hash = code.hash();
                let _gate = self.write_gate().await;
                let mut tx = self.begin().await?;
                let record = Self::read_code(&mut tx, &hash).await?;
                let step = $crate::store::rules::decide_claim(record.as_ref(), who, now, target)?;
                let record = record.ok_or($crate::error::Error::Unknown)?;
                let claim = match step {
                    ClaimStep::Mark(target) => {
                        Self::set_code_state(&mut tx, &hash, target).await?;
                        Claim::Pending { account: record.account, repeated: false }
                    }
                    ClaimStep::AlreadyThere => {
                        Claim::Pending { account: record.account, repeated: true }
                    }
                    ClaimStep::Repeat => {
                        let current = Self::read_link(&mut *tx, who.user_id().0).await?;
                        let linked = $crate::store::rules::repeat_answer(&record.account, current)?;
                        Claim::AlreadyLinked(linked.link)
                    }
                };
                Self::commit(tx).await?;
                Ok(claim)
            }

            /// Marks a link inactive or active in one transaction over the locked link row; a
            /// link already so is not written.
            async fn mark(
                &self,
                telegram_user: tgauth_core::UserId,
                mark: $crate::store::Mark,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError> {
                let _gate = self.write_gate().await;
                let mut tx = self.begin().await?;
                let current = Self::read_link(&mut *tx, telegram_user.0).await?;
                let marked = current
                    .as_ref()
                    .and_then(|link| $crate::store::rules::decide_mark(link, mark));
                if let Some(marked) = &marked {
                    sqlx::query(
                        "UPDATE deeplink_links SET inactive_since = $1 WHERE telegram_user_id = $2",
                    )
                    .bind(marked.inactive_since.map(|since| since.0))
                    .bind(telegram_user.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                }
                // Ended explicitly even when nothing was written: the write lock goes at once,
                // not whenever the pool next touches the connection.
                Self::commit(tx).await?;
                Ok(marked.or(current))
            }

            async fn begin(
                &self,
            ) -> Result<sqlx::Transaction<'static, $db>, $crate::error::StoreError> {
                self.write_pool()
                    .begin_with($begin)
                    .await
                    .map_err(|e| $crate::store::sql::store_error($backend, e))
            }

            async fn commit(
                tx: sqlx::Transaction<'static, $db>,
            ) -> Result<(), $crate::error::StoreError> {
                tx.commit()
                    .await
                    .map_err(|e| $crate::store::sql::store_error($backend, e))
            }
        }

        impl $crate::store::Store for $store {
            async fn insert_code(
                &self,
                hash: &$crate::code::CodeHash,
                account: &$crate::ids::AccountId,
                expires_at: tgauth_core::UnixTime,
                _now: tgauth_core::UnixTime,
            ) -> Result<(), $crate::error::StoreError> {
                self.execute_gated(
                    sqlx::query(
                        "INSERT INTO deeplink_codes (hash, user_id, expires_at, state) \
                         VALUES ($1, $2, $3, 0)",
                    )
                    .bind(hash.as_bytes().as_slice())
                    .bind(account.as_str())
                    .bind(expires_at.0),
                )
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                Ok(())
            }

            async fn claim(
                &self,
                code: &$crate::code::LinkCode,
                who: $crate::ids::TelegramIdentity,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::Claim, $crate::error::Error> {
                self.claim_as(code, who, now, $crate::store::ClaimTarget::Pending).await
            }

            async fn consent(
                &self,
                code: &$crate::code::LinkCode,
                who: $crate::ids::TelegramIdentity,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::Claim, $crate::error::Error> {
                self.claim_as(code, who, now, $crate::store::ClaimTarget::Consented).await
            }

            async fn decline(
                &self,
                code: &$crate::code::LinkCode,
                who: $crate::ids::TelegramIdentity,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::Declined, $crate::error::Error> {
                let claim = self
                    .claim_as(code, who, now, $crate::store::ClaimTarget::Declined)
                    .await?;
                $crate::store::declined(claim)
            }

            async fn consume(
                &self,
                code: &$crate::code::LinkCode,
                who: $crate::ids::TelegramIdentity,
                policy: $crate::store::LinkPolicy,
                by: $crate::store::CommittedBy,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::Linked, $crate::error::Error> {
                use $crate::store::CodeState;
                use $crate::store::rules::ConsumeStep;
                let hash = code.hash();
                if let Some(linked) = self.consume_fast(&hash, who, policy, by, now).await? {
                    return Ok(linked);
                }
                // A concurrent first insert of the same Telegram user makes `write_link` ask
                // for a retry; it re-reads and applies the policy to what now exists.
                for _ in 0..3 {
                    let _gate = self.write_gate().await;
                    let mut tx = self.begin().await?;
                    let record = Self::read_code(&mut tx, &hash).await?;
                    let step = $crate::store::rules::decide_consume(record.as_ref(), who, now)?;
                    let record = record.ok_or($crate::error::Error::Unknown)?;
                    match step {
                        ConsumeStep::Repeat => {
                            let current = Self::read_link(&mut *tx, who.user_id().0).await?;
                            return $crate::store::rules::repeat_answer(&record.account, current);
                        }
                        ConsumeStep::Link => {
                            let Some(linked) =
                                Self::write_link(&mut tx, &record.account, who, policy, by, now)
                                    .await?
                            else {
                                continue;
                            };
                            Self::set_code_state(&mut tx, &hash, CodeState::Used(who)).await?;
                            Self::commit(tx).await?;
                            return Ok(linked);
                        }
                    }
                }
                Err($crate::error::Error::Store($crate::store::sql::corrupt(
                    $backend,
                    "a link kept changing under a consume",
                )))
            }

            async fn links_of_account(
                &self,
                account: &$crate::ids::AccountId,
            ) -> Result<Vec<$crate::store::Link>, $crate::error::StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::store::sql::link_columns!(),
                    " FROM deeplink_links WHERE user_id = $1 ORDER BY telegram_user_id"
                ))
                .bind(account.as_str())
                .fetch_all(self.read_pool())
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                rows.iter().map(Self::link_row).collect()
            }

            async fn link_of_telegram_user(
                &self,
                telegram_user: tgauth_core::UserId,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    $crate::store::sql::link_columns!(),
                    " FROM deeplink_links WHERE telegram_user_id = $1"
                ))
                .bind(telegram_user.0)
                .fetch_optional(self.read_pool())
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                row.map(|row| Self::link_row(&row)).transpose()
            }

            async fn mark_link_inactive(
                &self,
                telegram_user: tgauth_core::UserId,
                since: tgauth_core::UnixTime,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError> {
                self.mark(telegram_user, $crate::store::Mark::Inactive(since)).await
            }

            async fn mark_link_active(
                &self,
                telegram_user: tgauth_core::UserId,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError> {
                self.mark(telegram_user, $crate::store::Mark::Active).await
            }

            async fn unlink_telegram_user(
                &self,
                telegram_user: tgauth_core::UserId,
            ) -> Result<Option<$crate::store::Link>, $crate::error::StoreError> {
                let _gate = self.write_gate().await;
                let row = sqlx::query(concat!(
                    "DELETE FROM deeplink_links WHERE telegram_user_id = $1 RETURNING ",
                    $crate::store::sql::link_columns!()
                ))
                .bind(telegram_user.0)
                .fetch_optional(self.write_pool())
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                row.map(|row| Self::link_row(&row)).transpose()
            }

            async fn unlink_account(
                &self,
                account: &$crate::ids::AccountId,
            ) -> Result<u64, $crate::error::StoreError> {
                let done = self
                    .execute_gated(
                        sqlx::query("DELETE FROM deeplink_links WHERE user_id = $1")
                            .bind(account.as_str()),
                    )
                    .await
                    .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                Ok(done.rows_affected())
            }

            async fn purge_expired(
                &self,
                now: tgauth_core::UnixTime,
            ) -> Result<u64, $crate::error::StoreError> {
                let map = |e| $crate::store::sql::store_error($backend, e);
                let _gate = self.write_gate().await;
                let mut tx = self.begin().await?;
                // Used (2) and declined (4) codes are kept past their expiry, so that a
                // redelivered `/start` or button press still reads what happened.
                let codes = sqlx::query(
                    "DELETE FROM deeplink_codes WHERE (state NOT IN (2, 4) AND expires_at <= $1) \
                     OR (state IN (2, 4) AND expires_at <= $2)",
                )
                .bind(now.0)
                .bind(now.0.saturating_sub($crate::store::USED_CODE_RETENTION_SECONDS))
                .execute(&mut *tx)
                .await
                .map_err(map)?;
                let logins = sqlx::query("DELETE FROM deeplink_login_uses WHERE expires_at <= $1")
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(map)?;
                Self::commit(tx).await?;
                Ok(codes.rows_affected().saturating_add(logins.rows_affected()))
            }

            async fn code_status(
                &self,
                code: &$crate::code::LinkCode,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::CodeStatus, $crate::error::StoreError> {
                use sqlx::Row as _;
                let map = |e| $crate::store::sql::store_error($backend, e);
                let row = sqlx::query(
                    "SELECT user_id, expires_at, state, telegram_user_id, chat_id \
                     FROM deeplink_codes WHERE hash = $1",
                )
                .bind(code.hash().as_bytes().as_slice())
                .fetch_optional(self.read_pool())
                .await
                .map_err(map)?;
                let record = match row {
                    None => None,
                    Some(row) => Some($crate::store::sql::code_from_columns(
                        $backend,
                        row.try_get::<&str, _>(0).map_err(map)?,
                        row.try_get(1).map_err(map)?,
                        row.try_get(2).map_err(map)?,
                        row.try_get(3).map_err(map)?,
                        row.try_get(4).map_err(map)?,
                    )?),
                };
                Ok($crate::store::status_of(record, now))
            }

            async fn redeem_login_link(
                &self,
                claims: &$crate::login::LoginClaims,
                now: tgauth_core::UnixTime,
            ) -> Result<$crate::store::Link, $crate::error::Error> {
                // One transaction over the locked link row: an unlink (or a move) waits for
                // it, or it sees the unlink and records nothing.
                let _gate = self.write_gate().await;
                let mut tx = self.begin().await?;
                let current = Self::read_link(&mut *tx, claims.telegram.user_id().0).await?;
                let link = $crate::store::rules::decide_redeem(current, claims)?;
                // A new id is inserted, an expired record is reused, a live one is left alone
                // (and no row is affected).
                let done = sqlx::query(
                    "INSERT INTO deeplink_login_uses (id, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at \
                     WHERE deeplink_login_uses.expires_at <= $3",
                )
                .bind(claims.id.as_bytes().as_slice())
                .bind(claims.expires_at.0)
                .bind(now.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::sql::store_error($backend, e))?;
                if done.rows_affected() != 1 {
                    return Err($crate::error::Error::LoginLinkUsed);
                }
                Self::commit(tx).await?;
                Ok(link)
            }
        }
    };
}
pub(crate) use sql_store;

/// Applies the embedded migrations newer than the database's version inside the open
/// transaction, or refuses a database written by a newer build. Each migration is one file of
/// statements; migration `n` (from 1) is the `n`-th of `$migrations`.
macro_rules! migrate {
    ($tx:expr, $backend:literal, $migrations:expr) => {{
        use sqlx::Row as _;
        let map = |e| $crate::store::sql::store_error($backend, e);
        sqlx::query("CREATE TABLE IF NOT EXISTS deeplink_schema (version BIGINT PRIMARY KEY)")
            .execute(&mut *$tx)
            .await
            .map_err(map)?;
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM deeplink_schema")
            .fetch_one(&mut *$tx)
            .await
            .map_err(map)?;
        let current: i64 = row.try_get(0).map_err(map)?;
        let known = i64::try_from($migrations.len()).unwrap_or(i64::MAX);
        if current > known {
            return Err($crate::store::sql::corrupt(
                $backend,
                "schema version is newer than this build",
            ));
        }
        for (version, migration) in (1_i64..).zip($migrations.iter()) {
            if version <= current {
                continue;
            }
            sqlx::raw_sql(migration.sql)
                .execute(&mut *$tx)
                .await
                .map_err(map)?;
            sqlx::query("INSERT INTO deeplink_schema (version) VALUES ($1)")
                .bind(version)
                .execute(&mut *$tx)
                .await
                .map_err(map)?;
        }
    }};
}
pub(crate) use migrate;

/// One forward migration: its file's name (for people) and its statements.
#[derive(Debug)]
pub(crate) struct Migration {
    /// The file under `migrations/<dialect>/`.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "read by the tests that pin applied migrations")
    )]
    pub(crate) name: &'static str,
    /// Its statements, separated by semicolons.
    pub(crate) sql: &'static str,
}

/// Embeds `migrations/<dialect>/<name>` as a [`Migration`].
macro_rules! migration {
    ($dialect:literal, $name:literal) => {
        $crate::store::sql::Migration {
            name: $name,
            sql: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $dialect,
                "/",
                $name
            )),
        }
    };
}
pub(crate) use migration;

/// Checks that the applied migrations are the ones released: their SHA-256 in lowercase hex,
/// in order. A new migration adds an entry; an edit of a released one fails here, since the
/// databases that applied it would never see the change.
#[cfg(test)]
pub(crate) fn assert_released(migrations: &[Migration], released: &[&str]) {
    for (migration, expected) in migrations.iter().zip(released) {
        let digest = ring::digest::digest(&ring::digest::SHA256, migration.sql.as_bytes());
        assert_eq!(
            hex::encode(digest.as_ref()),
            *expected,
            "{} was released: never edit an applied migration, add a new one",
            migration.name
        );
    }
    assert_eq!(
        migrations.len(),
        released.len(),
        "record the SHA-256 of every migration when it is added"
    );
}
