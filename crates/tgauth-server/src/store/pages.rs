//! What the service's own pages read beyond the API's statements: a person's sessions, and the
//! administrator's lists (people, notifications, Passport requests).

use sqlx::Row as _;
use tgauth::{UnixTime, UserId};

use super::rows::{NotificationRow, PassportRequestRow, TelegramUserRow, passport_request_columns};
use super::{Db, StoreError};

/// A live session as its owner sees it in the list (never its id).
#[derive(Debug, Clone)]
pub(crate) struct SessionSummary {
    /// The SHA-256 of its id, to tell the current session from the others.
    pub(crate) id_hash: String,
    pub(crate) method: Option<String>,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
}

/// How many rows an administrator's list shows.
pub(crate) const ADMIN_ROWS: i64 = 100;

impl Db {
    /// The live sessions of a Telegram user, newest first.
    pub(crate) async fn sessions_of(
        &self,
        telegram_id: UserId,
        now: UnixTime,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id_hash, method, created_at, expires_at FROM sessions
             WHERE telegram_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash LIMIT 50",
        )
        .bind(telegram_id.get())
        .bind(now.as_secs())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SessionSummary {
                    id_hash: row.try_get(0)?,
                    method: row.try_get(1)?,
                    created_at: UnixTime(row.try_get(2)?),
                    expires_at: UnixTime(row.try_get(3)?),
                })
            })
            .collect()
    }

    /// Until when the code last issued for `account` works.
    pub(crate) async fn link_request_expiry(
        &self,
        account: &str,
    ) -> Result<Option<UnixTime>, StoreError> {
        let row = sqlx::query("SELECT expires_at FROM link_requests WHERE account = $1")
            .bind(account)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get(0).map(UnixTime)).transpose()?)
    }

    /// The Telegram users the service has seen, most recently updated first.
    pub(crate) async fn recent_telegram_users(&self) -> Result<Vec<TelegramUserRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT telegram_id, first_name, last_name, username, photo_url
             FROM telegram_users ORDER BY updated_at DESC, telegram_id LIMIT $1",
        )
        .bind(ADMIN_ROWS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(TelegramUserRow::decode).collect()
    }

    /// The newest notifications.
    pub(crate) async fn recent_notifications(&self) -> Result<Vec<NotificationRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account, body, status, attempts, created_at, finished_at, error
             FROM notifications ORDER BY created_at DESC, id LIMIT $1",
        )
        .bind(ADMIN_ROWS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(NotificationRow::decode).collect()
    }

    /// The newest Passport requests (of one Telegram user, or of everyone).
    pub(crate) async fn recent_passport_requests(
        &self,
        telegram_id: Option<UserId>,
    ) -> Result<Vec<PassportRequestRow>, StoreError> {
        let rows = match telegram_id {
            Some(telegram_id) => {
                sqlx::query(concat!(
                    "SELECT ",
                    passport_request_columns!(),
                    " FROM passport_requests WHERE telegram_id = $1
                      ORDER BY created_at DESC, id LIMIT $2"
                ))
                .bind(telegram_id.get())
                .bind(ADMIN_ROWS)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    passport_request_columns!(),
                    " FROM passport_requests ORDER BY created_at DESC, id LIMIT $1"
                ))
                .bind(ADMIN_ROWS)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(PassportRequestRow::decode).collect()
    }
}
