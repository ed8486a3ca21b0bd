//! The records the store reads back, decoded from rows with their types checked.

use sqlx::Row as _;
use sqlx::any::AnyRow;
use tgauth::{UnixTime, UserId};

use super::StoreError;

/// A Telegram user as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TelegramUserRow {
    pub(crate) telegram_id: UserId,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) photo_url: Option<String>,
}

impl TelegramUserRow {
    /// What the store holds after recording `self` over `stored` (the rule of
    /// [`super::Db::upsert_telegram_user`]): a source that tells the name tells the whole name
    /// and username; one that does not (a login link) keeps what was known; a photo stays until
    /// a new one comes.
    pub(crate) fn merged_over(&self, stored: Option<&Self>) -> Self {
        let Some(stored) = stored else {
            return self.clone();
        };
        let told_name = self.first_name.is_some();
        Self {
            telegram_id: self.telegram_id,
            first_name: self
                .first_name
                .clone()
                .or_else(|| stored.first_name.clone()),
            last_name: if told_name {
                self.last_name.clone()
            } else {
                stored.last_name.clone()
            },
            username: if told_name {
                self.username.clone()
            } else {
                self.username.clone().or_else(|| stored.username.clone())
            },
            photo_url: self.photo_url.clone().or_else(|| stored.photo_url.clone()),
        }
    }

    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            telegram_id: UserId(row.try_get(0)?),
            first_name: row.try_get(1)?,
            last_name: row.try_get(2)?,
            username: row.try_get(3)?,
            photo_url: row.try_get(4)?,
        })
    }
}

/// A session's row: who, how, the tower-sessions data as JSON, and its times.
#[derive(Debug)]
pub(crate) struct SessionRow<'a> {
    pub(crate) id_hash: String,
    pub(crate) telegram_id: Option<UserId>,
    pub(crate) method: Option<&'a str>,
    pub(crate) data: String,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
}

/// An API key's record (its secret only as a hash).
#[derive(Debug, Clone)]
pub(crate) struct ApiKeyRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) secret_hash: String,
    pub(crate) created_at: UnixTime,
    pub(crate) revoked_at: Option<UnixTime>,
}

impl ApiKeyRow {
    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            secret_hash: row.try_get(2)?,
            created_at: UnixTime(row.try_get(3)?),
            revoked_at: row.try_get::<Option<i64>, _>(4)?.map(UnixTime),
        })
    }
}

/// A notification in the outbox.
#[derive(Debug, Clone)]
pub(crate) struct NotificationRow {
    pub(crate) id: String,
    pub(crate) account: String,
    /// The JSON of what to send (text and parse mode).
    pub(crate) body: String,
    pub(crate) status: String,
    pub(crate) attempts: i64,
    pub(crate) created_at: UnixTime,
    pub(crate) finished_at: Option<UnixTime>,
    pub(crate) error: Option<String>,
}

impl NotificationRow {
    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.try_get(0)?,
            account: row.try_get(1)?,
            body: row.try_get(2)?,
            status: row.try_get(3)?,
            attempts: row.try_get(4)?,
            created_at: UnixTime(row.try_get(5)?),
            finished_at: row.try_get::<Option<i64>, _>(6)?.map(UnixTime),
            error: row.try_get(7)?,
        })
    }
}

/// An event in the outbox.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) payload: String,
    pub(crate) attempts: i64,
    pub(crate) created_at: UnixTime,
}

impl EventRow {
    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.try_get(0)?,
            kind: row.try_get(1)?,
            payload: row.try_get(2)?,
            attempts: row.try_get(3)?,
            created_at: UnixTime(row.try_get(4)?),
        })
    }
}

/// The columns a Passport request is read from, in [`PassportRequestRow::decode`]'s order.
macro_rules! passport_request_columns {
    () => {
        "id, account, telegram_id, scope, status, created_at, expires_at, received_at, sealed_data, missing"
    };
}
pub(crate) use passport_request_columns;

/// A Passport request and, once answered, its sealed data.
#[derive(Debug, Clone)]
pub(crate) struct PassportRequestRow {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) telegram_id: UserId,
    /// The scope's JSON.
    pub(crate) scope: String,
    pub(crate) status: String,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
    pub(crate) received_at: Option<UnixTime>,
    pub(crate) sealed_data: Option<Vec<u8>>,
    /// The JSON of what a rejected passport missed.
    pub(crate) missing: Option<String>,
}

impl PassportRequestRow {
    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.try_get(0)?,
            account: row.try_get(1)?,
            telegram_id: UserId(row.try_get(2)?),
            scope: row.try_get(3)?,
            status: row.try_get(4)?,
            created_at: UnixTime(row.try_get(5)?),
            expires_at: UnixTime(row.try_get(6)?),
            received_at: row.try_get::<Option<i64>, _>(7)?.map(UnixTime),
            sealed_data: row.try_get(8)?,
            missing: row.try_get(9)?,
        })
    }
}

/// A stored file of a received passport.
#[derive(Clone)]
pub(crate) struct PassportFileRow {
    pub(crate) index: i64,
    pub(crate) element: String,
    pub(crate) part: String,
    /// The base64 SHA-256 of the file from its credentials (`None` for rows from before it
    /// was recorded).
    pub(crate) file_hash: Option<String>,
    pub(crate) sealed: Vec<u8>,
}

impl std::fmt::Debug for PassportFileRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassportFileRow")
            .field("index", &self.index)
            .field("element", &self.element)
            .field("part", &self.part)
            .field("sealed_bytes", &self.sealed.len())
            .finish()
    }
}

impl PassportFileRow {
    pub(super) fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            index: row.try_get(0)?,
            element: row.try_get(1)?,
            part: row.try_get(2)?,
            sealed: row.try_get(3)?,
            file_hash: row.try_get(4)?,
        })
    }
}
