//! The OpenID Connect provider's statements: clients, signing keys, codes, tokens, consents.
//!
//! A code and a refresh token are used with one `UPDATE ... RETURNING` that only a first use
//! passes, so two concurrent redemptions cannot both succeed; a second use finds the row
//! already used and the caller revokes the whole family.

use sqlx::Row as _;
use sqlx::any::AnyRow;
use tgauth::{UnixTime, UserId};

use super::{Db, StoreError};

/// A client registered in the database. Its `Debug` leaves out the secret's hash.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ClientRow {
    pub(crate) id: String,
    pub(crate) name: String,
    /// SHA-256 (hex) of the secret; `None` for a public client.
    pub(crate) secret_hash: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) post_logout_redirect_uris: Vec<String>,
    pub(crate) public: bool,
    pub(crate) trusted: bool,
    pub(crate) created_at: UnixTime,
}

impl std::fmt::Debug for ClientRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRow")
            .field("id", &self.id)
            .field("public", &self.public)
            .field("trusted", &self.trusted)
            .finish_non_exhaustive()
    }
}

const CLIENT_COLUMNS: &str = "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, \
                              public_client, trusted, created_at";

impl ClientRow {
    fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        let list = |text: String| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
                what: "a client's URI list is not a JSON array of strings",
            })
        };
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            secret_hash: row.try_get(2)?,
            redirect_uris: list(row.try_get(3)?)?,
            post_logout_redirect_uris: list(row.try_get(4)?)?,
            public: row.try_get::<i64, _>(5)? != 0,
            trusted: row.try_get::<i64, _>(6)? != 0,
            created_at: UnixTime(row.try_get(7)?),
        })
    }
}

/// A signing key, sealed.
#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub(crate) kid: String,
    pub(crate) alg: String,
    pub(crate) sealed: Vec<u8>,
    pub(crate) created_at: UnixTime,
    pub(crate) remove_at: Option<UnixTime>,
}

/// An authorization code's row. Its `Debug` shows the client and the person, never the
/// nonce or the PKCE challenge.
#[derive(Clone)]
pub(crate) struct CodeRow {
    pub(crate) code_hash: String,
    pub(crate) family: String,
    pub(crate) client_id: String,
    pub(crate) telegram_id: UserId,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) auth_time: UnixTime,
    pub(crate) expires_at: UnixTime,
}

impl std::fmt::Debug for CodeRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRow")
            .field("client_id", &self.client_id)
            .field("telegram_id", &self.telegram_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

const CODE_COLUMNS: &str = "code_hash, family, client_id, telegram_id, redirect_uri, scope, \
                            nonce, code_challenge, auth_time, expires_at";

impl CodeRow {
    fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            code_hash: row.try_get(0)?,
            family: row.try_get(1)?,
            client_id: row.try_get(2)?,
            telegram_id: UserId(row.try_get(3)?),
            redirect_uri: row.try_get(4)?,
            scope: row.try_get(5)?,
            nonce: row.try_get(6)?,
            code_challenge: row.try_get(7)?,
            auth_time: UnixTime(row.try_get(8)?),
            expires_at: UnixTime(row.try_get(9)?),
        })
    }
}

/// An access or refresh token's row.
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub(crate) token_hash: String,
    /// `access` or `refresh`.
    pub(crate) kind: &'static str,
    pub(crate) family: String,
    pub(crate) client_id: String,
    pub(crate) telegram_id: UserId,
    pub(crate) scope: String,
    pub(crate) auth_time: UnixTime,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
}

const TOKEN_COLUMNS: &str =
    "token_hash, kind, family, client_id, telegram_id, scope, auth_time, created_at, expires_at";

impl TokenRow {
    fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        let kind: String = row.try_get(1)?;
        Ok(Self {
            token_hash: row.try_get(0)?,
            kind: if kind == "refresh" {
                "refresh"
            } else {
                "access"
            },
            family: row.try_get(2)?,
            client_id: row.try_get(3)?,
            telegram_id: UserId(row.try_get(4)?),
            scope: row.try_get(5)?,
            auth_time: UnixTime(row.try_get(6)?),
            created_at: UnixTime(row.try_get(7)?),
            expires_at: UnixTime(row.try_get(8)?),
        })
    }
}

/// What using a single-use secret (a code, a refresh token) found.
#[derive(Debug)]
pub(crate) enum Taken<T> {
    /// The first use: the row as it was.
    First(T),
    /// Used before: the family its tokens belong to (to revoke).
    Again { family: String },
    /// No such secret.
    Unknown,
}

impl Db {
    // Clients.

    /// Registers a client; `false` when the id is taken.
    pub(crate) async fn insert_oidc_client(&self, client: &ClientRow) -> Result<bool, StoreError> {
        let list = |uris: &[String]| serde_json::to_string(uris).unwrap_or_else(|_| "[]".into());
        let done = sqlx::query(
            "INSERT INTO oidc_clients (id, name, secret_hash, redirect_uris,
                 post_logout_redirect_uris, public_client, trusted, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(client.id.as_str())
        .bind(client.name.as_str())
        .bind(client.secret_hash.as_deref())
        .bind(list(&client.redirect_uris))
        .bind(list(&client.post_logout_redirect_uris))
        .bind(i64::from(client.public))
        .bind(i64::from(client.trusted))
        .bind(client.created_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn oidc_client(&self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| ClientRow::decode(&row)).transpose()
    }

    pub(crate) async fn oidc_clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ClientRow::decode).collect()
    }

    /// Removes a client and everything issued to it; whether it existed.
    pub(crate) async fn delete_oidc_client(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM oidc_clients WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        for statement in [
            "DELETE FROM oidc_tokens WHERE client_id = $1",
            "DELETE FROM oidc_codes WHERE client_id = $1",
            "DELETE FROM oidc_consents WHERE client_id = $1",
        ] {
            sqlx::query(statement)
                .bind(id)
                .execute(&mut *self.write().await?)
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    // Keys.

    /// The keys still published at `now`, newest first.
    pub(crate) async fn oidc_keys(&self, now: UnixTime) -> Result<Vec<KeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, alg, sealed, created_at, remove_at FROM oidc_keys
             WHERE remove_at IS NULL OR remove_at > $1 ORDER BY created_at DESC, kid",
        )
        .bind(now.as_secs())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeyRow {
                    kid: row.try_get(0)?,
                    alg: row.try_get(1)?,
                    sealed: row.try_get(2)?,
                    created_at: UnixTime(row.try_get(3)?),
                    remove_at: row.try_get::<Option<i64>, _>(4)?.map(UnixTime),
                })
            })
            .collect()
    }

    /// Adds a new signing key and schedules the removal of every older key at `remove_older_at`
    /// (they stay published until then, so what they signed still verifies).
    pub(crate) async fn rotate_oidc_key(
        &self,
        key: &KeyRow,
        remove_older_at: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oidc_keys SET remove_at = $1
             WHERE remove_at IS NULL OR remove_at > $1",
        )
        .bind(remove_older_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        sqlx::query(
            "INSERT INTO oidc_keys (kid, alg, sealed, created_at, remove_at)
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(key.kid.as_str())
        .bind(key.alg.as_str())
        .bind(key.sealed.as_slice())
        .bind(key.created_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    // Codes.

    pub(crate) async fn insert_oidc_code(&self, code: &CodeRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO oidc_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(code.code_hash.as_str())
        .bind(code.family.as_str())
        .bind(code.client_id.as_str())
        .bind(code.telegram_id.get())
        .bind(code.redirect_uri.as_str())
        .bind(code.scope.as_str())
        .bind(code.nonce.as_deref())
        .bind(code.code_challenge.as_deref())
        .bind(code.auth_time.as_secs())
        .bind(code.expires_at.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Uses a code: the first use gets its row, any later one its family.
    pub(crate) async fn take_oidc_code(
        &self,
        code_hash: &str,
        now: UnixTime,
    ) -> Result<Taken<CodeRow>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE oidc_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
             RETURNING {CODE_COLUMNS}"
        ))
        .bind(code_hash)
        .bind(now.as_secs())
        .fetch_optional(&mut *self.write().await?)
        .await?;
        if let Some(row) = row {
            return Ok(Taken::First(CodeRow::decode(&row)?));
        }
        let family = sqlx::query("SELECT family FROM oidc_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&mut *self.write().await?)
            .await?;
        Ok(match family {
            Some(row) => Taken::Again {
                family: row.try_get(0)?,
            },
            None => Taken::Unknown,
        })
    }

    // Tokens.

    /// Stores the tokens a grant issues (its access and refresh token) with one statement: both
    /// or neither, and one write on SQLite's one writer instead of one per token.
    pub(crate) async fn insert_oidc_tokens(
        &self,
        tokens: [&TokenRow; 2],
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO oidc_tokens ({TOKEN_COLUMNS}) VALUES
             ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18)"
        );
        let mut query = sqlx::query(&sql);
        for token in tokens {
            query = query
                .bind(token.token_hash.as_str())
                .bind(token.kind)
                .bind(token.family.as_str())
                .bind(token.client_id.as_str())
                .bind(token.telegram_id.get())
                .bind(token.scope.as_str())
                .bind(token.auth_time.as_secs())
                .bind(token.created_at.as_secs())
                .bind(token.expires_at.as_secs());
        }
        query.execute(&mut *self.write().await?).await?;
        Ok(())
    }

    /// Uses a live refresh token: the first use gets its row, a later use of a used one its
    /// family; an expired or revoked one is unknown.
    pub(crate) async fn use_refresh_token(
        &self,
        token_hash: &str,
        now: UnixTime,
    ) -> Result<Taken<TokenRow>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE oidc_tokens SET used_at = $2
             WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NULL
               AND revoked_at IS NULL AND expires_at > $2
             RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(token_hash)
        .bind(now.as_secs())
        .fetch_optional(&mut *self.write().await?)
        .await?;
        if let Some(row) = row {
            return Ok(Taken::First(TokenRow::decode(&row)?));
        }
        let used = sqlx::query(
            "SELECT family FROM oidc_tokens
             WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NOT NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut *self.write().await?)
        .await?;
        Ok(match used {
            Some(row) => Taken::Again {
                family: row.try_get(0)?,
            },
            None => Taken::Unknown,
        })
    }

    /// A live token (not expired, not revoked) of `kind`.
    pub(crate) async fn live_oidc_token(
        &self,
        token_hash: &str,
        kind: &str,
        now: UnixTime,
    ) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM oidc_tokens
             WHERE token_hash = $1 AND kind = $2 AND revoked_at IS NULL AND expires_at > $3"
        ))
        .bind(token_hash)
        .bind(kind)
        .bind(now.as_secs())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| TokenRow::decode(&row)).transpose()
    }

    /// Any token by its hash, live or not (for revocation).
    pub(crate) async fn oidc_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM oidc_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&mut *self.write().await?)
        .await?;
        row.map(|row| TokenRow::decode(&row)).transpose()
    }

    /// Revokes every token of a family; how many were live.
    pub(crate) async fn revoke_oidc_family(
        &self,
        family: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE oidc_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        )
        .bind(family)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected())
    }

    /// Revokes one token.
    pub(crate) async fn revoke_oidc_token(
        &self,
        token_hash: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oidc_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    // Consents.

    /// The scope a person granted a client, if any.
    pub(crate) async fn oidc_consent(
        &self,
        telegram_id: UserId,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT scope FROM oidc_consents WHERE telegram_id = $1 AND client_id = $2",
        )
        .bind(telegram_id.get())
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    pub(crate) async fn put_oidc_consent(
        &self,
        telegram_id: UserId,
        client_id: &str,
        scope: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oidc_consents (telegram_id, client_id, scope, granted_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (telegram_id, client_id) DO UPDATE SET
                 scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(telegram_id.get())
        .bind(client_id)
        .bind(scope)
        .bind(now.as_secs())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }
}
