//! Browser sessions: tower-sessions over the service's own table.
//!
//! The cookie carries tower-sessions' random 128-bit id; the table keys the record by the
//! id's SHA-256, so a copy of the database logs nobody in. The record holds who logged in, how
//! and until when ([`SessionUser`]); expiry is the service's clock's, enforced on every load
//! (the cookie's own lifetime is only a hint to the browser). Logging in cycles the id (no
//! session fixation), logging out deletes the record, and revoking a Telegram user deletes all
//! of theirs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tgauth::{Clock, IdentitySource, UnixTime, UserId};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::keys::digest;
use crate::store::{Db, SessionRow};

/// The key of the logged-in user in the session's data.
pub(crate) const USER_KEY: &str = "tgauth.user";

/// How long a session without a login (an OIDC flow's browser binding) lives.
const ANONYMOUS_TTL: i64 = 3_600;

/// Who a session belongs to, with the profile as it was at login (so that `me` reads the
/// session alone; a later login brings a newer profile).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SessionUser {
    pub(crate) telegram_id: UserId,
    pub(crate) method: IdentitySource,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
    #[serde(default)]
    pub(crate) profile: Profile,
}

/// A Telegram user's name, username and photo.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) photo_url: Option<String>,
}

/// tower-sessions' store over [`Db`].
#[derive(Clone)]
pub(crate) struct SqlSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqlSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlSessionStore")
    }
}

impl SqlSessionStore {
    pub(crate) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

/// The stored key of a session id.
pub(crate) fn id_hash(id: &Id) -> String {
    digest(&id.0.to_le_bytes())
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// The row a record is stored as: its hashed id, the logged-in user (if any) and its times
/// (the user's, or an hour for an anonymous session).
fn row(record: &Record, now: UnixTime) -> Result<SessionRow<'static>, session_store::Error> {
    let user = record
        .data
        .get(USER_KEY)
        .map(|value| serde_json::from_value::<SessionUser>(value.clone()))
        .transpose()
        .map_err(|error| session_store::Error::Encode(error.to_string()))?;
    let data = serde_json::to_string(&record.data)
        .map_err(|error| session_store::Error::Encode(error.to_string()))?;
    let (created_at, expires_at) = match &user {
        Some(user) => (user.created_at, user.expires_at),
        None => (now, now.plus(ANONYMOUS_TTL)),
    };
    Ok(SessionRow {
        id_hash: id_hash(&record.id),
        telegram_id: user.as_ref().map(|user| user.telegram_id),
        method: user.as_ref().map(|user| user.method.as_str()),
        data,
        created_at,
        expires_at,
    })
}

#[async_trait::async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut session = row(record, self.clock.now())?;
        // A collision of 128 random bits does not happen; should it, a new id is drawn.
        while !self
            .db
            .write_session(&session, false)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
            session.id_hash = id_hash(&record.id);
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let session = row(record, self.clock.now())?;
        self.db
            .write_session(&session, true)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        let Some(data) = self.db.session(&id_hash(id), now).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        // tower-sessions reads the expiry only to set the cookie; the table's expiry (the
        // service's clock) is what decides.
        let expiry_date = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.db.delete_session(&id_hash(id)).await.map_err(backend)
    }
}
