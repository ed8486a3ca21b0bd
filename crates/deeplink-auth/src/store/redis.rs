//! The Redis store: codes as hashes with a native TTL, links as durable keys, and every
//! multi-key change in one Lua script (Redis runs a script atomically), so exactly one of
//! concurrent consumers wins.
//!
//! **Durability:** links are only as durable as the server's persistence. Run Redis with the
//! append-only file on (`appendonly yes`, and `appendfsync everysec` or `always`); with RDB
//! snapshots alone a crash loses the links made since the last snapshot. Codes can be lost
//! harmlessly (the person asks for a new one).
//!
//! Keys, under a prefix (default `tgauth:`): `code:<sha256 hex>` (hash: `user`, `exp`, `state`,
//! `tu`, `chat`), `link:<telegram user id>` (hash: `user`, `chat`, `at`; `wc`, `1` when the
//! website confirmed the link, records written before `wc` existed read as not confirmed; and
//! `inactive`, the Unix time since when the bot cannot reach the chat, absent while it can,
//! so records written before it existed read as active), `user:<website account id>` (set of
//! Telegram user ids), `login:<sha256 hex>`. The scripts compute keys from the prefix, so this
//! store needs a single Redis server (or a primary with replicas), not Redis Cluster.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tgauth_core::{ChatId, UnixTime, UserId};

use super::{
    ChatsPerAccount, Claim, ClaimTarget, CodeRecord, CodeState, CodeStatus, CommittedBy, Declined,
    Link, LinkOutcome, LinkPolicy, Linked, Mark, OnConflict, Store, USED_CODE_RETENTION_SECONDS,
    declined, status_of,
};
use crate::code::{CodeHash, LinkCode};
use crate::error::{Error, StoreError};
use crate::ids::{AccountId, TelegramIdentity};
use crate::login::LoginClaims;

const BACKEND: &str = "redis";

/// Helpers every script that writes starts with: Redis does not roll a script back when a
/// command in it fails, so each script checks what it will write through (types, integers, the
/// account id's shape) before its first write, and malformed store contents answer `corrupt`
/// and leave everything as it was.
const PRELUDE: &str = r"
local function integer(text)
  if type(text) ~= 'string' or not string.match(text, '^%-?%d+$') or #text > 16 then
    return nil
  end
  return tonumber(text)
end
local function kind(key) return redis.call('TYPE', key)['ok'] end
local function valid_user(text)
  return type(text) == 'string' and #text >= 1 and #text <= 128
    and not string.find(text, '%c') and not string.find(text, '\194[\128-\159]')
end
local function valid_state(state)
  return state == 0 or state == 1 or state == 2 or state == 3 or state == 4
end
-- A link's website confirmation: '0', '1', or missing in records written before it was
-- recorded (read as '0'); anything else is malformed (nil).
local function confirmation(field)
  if not field then return '0' end
  if field == '0' or field == '1' then return field end
  return nil
end
-- A link's `inactive` field, when present: a Unix time as this crate writes it (the decimal
-- text of an i64, at most 20 characters; Rust parses it, nothing here computes with it).
local function valid_time(text)
  return type(text) == 'string' and #text <= 20 and string.match(text, '^%-?%d+$') ~= nil
end
-- A link's `inactive` field in an answer: '' when missing (an active link, or a record written
-- before it was recorded), else the stored text after a ':', so that a stored empty string
-- still reads as malformed and a missing field never ends the answer early (a nil would).
local function tagged(field)
  if field then return ':' .. field end
  return ''
end
-- Keeps a used or declined code until a day (ARGV's retention) past its expiry: EXPIRE takes
-- an integer, and the code's own TTL is at most a year.
local function retain(key, exp, now, retention)
  local keep = exp - now
  if keep < 0 then keep = 0 end
  if keep > 31708800 then keep = 31708800 end
  redis.call('EXPIRE', key, string.format('%d', keep + retention))
end
";

/// Stores a fresh code with its real TTL in one command.
const INSERT: &str = r"
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'exp', ARGV[2], 'state', '0')
redis.call('EXPIRE', KEYS[1], ARGV[3])
";

/// Claims a code (`ARGV[5]` = `1`), claims it and records the chat's consent (`3`), or claims
/// it and records the chat's decline (`4`); `ARGV[6]` is the retention of a declined code.
/// Answers: `{"unknown"}`, `{"expired"}`, `{"used"}`, `{"declined"}`, `{"corrupt"}`,
/// `{"linked", user, chat, at, wc, inactive}` (`inactive` [tagged](PRELUDE)) or
/// `{"pending", user, "0"|"1"}` (the last field: repeated).
const CLAIM: &str = r"
local code = redis.call('HMGET', KEYS[1], 'user', 'exp', 'state', 'tu', 'chat')
if not code[1] then return {'unknown'} end
local user, exp, state = code[1], integer(code[2]), integer(code[3])
local tg, chat, now, target = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
if not exp or not state or not valid_state(state) or not valid_user(user) then
  return {'corrupt'}
end
local same = code[4] == tg and code[5] == chat
-- A decline is final and answers the same to every repeat, expired or not.
if state == 4 then
  if not same then return {'used'} end
  if target == '4' then return {'pending', user, '1'} end
  return {'declined'}
end
if state == 2 then
  if target == '4' or not same then return {'used'} end
  local link = redis.call('HMGET', ARGV[1] .. 'link:' .. tg, 'user', 'chat', 'at', 'wc', 'inactive')
  if link[1] == user then
    return {'linked', link[1], link[2], link[3], link[4] or '0', tagged(link[5])}
  end
  return {'used'}
end
if (state == 1 or state == 3) and not same then return {'used'} end
if exp <= now then return {'expired'} end
if (state == 1 and target == '1') or (state == 3 and target ~= '4') then
  return {'pending', user, '1'}
end
redis.call('HSET', KEYS[1], 'state', target, 'tu', tg, 'chat', chat)
if target == '4' then retain(KEYS[1], exp, now, tonumber(ARGV[6])) end
return {'pending', user, '0'}
";

/// Answers: `{"unknown"}`, `{"expired"}`, `{"used"}`, `{"declined"}`, `{"conflict"}`,
/// `{"corrupt"}`, or `{outcome, from, user, chat, at, wc, inactive}` with outcome `new`, `same`,
/// `moved` or `repeat` (`inactive` [tagged](PRELUDE): a committed link is active, a repeat
/// answers the link as it stands). `ARGV[8]` is `1` when the website confirmed the link.
const CONSUME: &str = r"
local prefix = ARGV[1]
local code = redis.call('HMGET', KEYS[1], 'user', 'exp', 'state', 'tu', 'chat')
if not code[1] then return {'unknown'} end
local user, exp, state = code[1], integer(code[2]), integer(code[3])
local tg, chat, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
if not exp or not state or not valid_user(user) then return {'corrupt'} end
if not valid_state(state) then return {'corrupt'} end
local same = code[4] == tg and code[5] == chat
local linkkey = prefix .. 'link:' .. tg
if state == 4 then
  if same then return {'declined'} end
  return {'used'}
end
if state == 2 then
  if not same then return {'used'} end
  local link = redis.call('HMGET', linkkey, 'user', 'chat', 'at', 'wc', 'inactive')
  if link[1] == user then
    return {'repeat', '', link[1], link[2], link[3], link[4] or '0', tagged(link[5])}
  end
  return {'used'}
end
if (state == 1 or state == 3) and not same then return {'used'} end
if exp <= now then return {'expired'} end
local old = redis.call('HMGET', linkkey, 'user', 'chat', 'at', 'wc', 'inactive')
local userkey = prefix .. 'user:' .. user
local userkind = kind(userkey)
if userkind ~= 'set' and userkind ~= 'none' then return {'corrupt'} end
if old[1] then
  if not valid_user(old[1]) or not integer(old[2]) or not integer(old[3])
    or not confirmation(old[4]) or (old[5] and not valid_time(old[5])) then
    return {'corrupt'}
  end
  local oldkind = kind(prefix .. 'user:' .. old[1])
  if oldkind ~= 'set' and oldkind ~= 'none' then return {'corrupt'} end
end
local outcome, at, from, wc = 'new', ARGV[4], '', ARGV[8]
if old[1] then
  if old[1] == user then
    -- The same account relinking keeps a website confirmation it had.
    outcome, at = 'same', old[3]
    if old[4] == '1' then wc = '1' end
  elseif ARGV[5] == '1' then
    outcome, from = 'moved', old[1]
    redis.call('SREM', prefix .. 'user:' .. old[1], tg)
  else
    return {'conflict'}
  end
end
if ARGV[6] == '1' then
  for _, other in ipairs(redis.call('SMEMBERS', userkey)) do
    if other ~= tg then
      redis.call('DEL', prefix .. 'link:' .. other)
      redis.call('SREM', userkey, other)
    end
  end
end
redis.call('HSET', linkkey, 'user', user, 'chat', chat, 'at', at, 'wc', wc)
-- Linking again makes the link active: the person just pressed a code in the chat.
redis.call('HDEL', linkkey, 'inactive')
redis.call('SADD', userkey, tg)
redis.call('HSET', KEYS[1], 'state', '2', 'tu', tg, 'chat', chat)
retain(KEYS[1], exp, now, tonumber(ARGV[7]))
return {outcome, from, user, chat, at, wc, ''}
";

/// Answers the links of a website account as a flat list of six fields per link,
/// `tg, user, chat, at, wc, inactive, tg, ...` (`inactive` [tagged](PRELUDE)).
const LINKS_OF_USER: &str = r"
local out = {}
for _, tg in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local link = redis.call('HMGET', ARGV[1] .. 'link:' .. tg, 'user', 'chat', 'at', 'wc', 'inactive')
  if link[1] == ARGV[2] then
    table.insert(out, tg)
    table.insert(out, link[1])
    table.insert(out, link[2])
    table.insert(out, link[3])
    table.insert(out, link[4] or '0')
    table.insert(out, tagged(link[5]))
  end
end
return out
";

/// Removes one link; answers `{user, chat, at, wc, inactive}` (`inactive` [tagged](PRELUDE)) or
/// `{}`.
const UNLINK_TELEGRAM_USER: &str = r"
local link = redis.call('HMGET', KEYS[1], 'user', 'chat', 'at', 'wc', 'inactive')
if not link[1] then return {} end
-- Checked before the first write: Redis does not roll a failed script back.
local userkind = redis.call('TYPE', ARGV[1] .. 'user:' .. link[1])['ok']
if userkind ~= 'set' and userkind ~= 'none' then
  return redis.error_reply('malformed user index')
end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. 'user:' .. link[1], ARGV[2])
return {link[1], link[2], link[3], link[4] or '0', tagged(link[5])}
";

/// Removes every link of a website account; answers how many.
const UNLINK_USER: &str = r"
local count = 0
for _, tg in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'link:' .. tg
  if redis.call('HGET', key, 'user') == ARGV[2] then
    redis.call('DEL', key)
    count = count + 1
  end
end
redis.call('DEL', KEYS[1])
return count
";

/// Redeems a login link: checks the link (`KEYS[1]`) still joins the account (`ARGV[1]`) and
/// chat (`ARGV[2]`) and is website-confirmed unless `ARGV[3]` is `1`, then records the use
/// (`KEYS[2]`, kept `ARGV[4]` seconds); the one write comes after every check. An inactive link
/// redeems like an active one. Answers `{"notlinked"}`, `{"unconfirmed"}`, `{"used"}`,
/// `{"corrupt"}` or `{"ok", user, chat, at, wc, inactive}` (`inactive` [tagged](PRELUDE)).
const REDEEM: &str = r"
local link = redis.call('HMGET', KEYS[1], 'user', 'chat', 'at', 'wc', 'inactive')
if not link[1] or link[1] ~= ARGV[1] or link[2] ~= ARGV[2] then return {'notlinked'} end
local wc = confirmation(link[4])
if not wc or not integer(link[3]) or (link[5] and not valid_time(link[5])) then
  return {'corrupt'}
end
if wc ~= '1' and ARGV[3] ~= '1' then return {'unconfirmed'} end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4]) then return {'used'} end
return {'ok', link[1], link[2], link[3], wc, tagged(link[5])}
";

/// Marks a link (`KEYS[1]`) inactive since `ARGV[1]`, or active when `ARGV[1]` is empty; a link
/// already so is not written (an inactive one keeps the time of its first mark), and the one
/// write comes after every check of the record. Answers `{}` (no link), `{"corrupt"}` or
/// `{"ok", user, chat, at, wc, inactive}` (`inactive` [tagged](PRELUDE)).
const MARK: &str = r"
local link = redis.call('HMGET', KEYS[1], 'user', 'chat', 'at', 'wc', 'inactive')
if not link[1] then return {} end
if not valid_user(link[1]) or not integer(link[2]) or not integer(link[3])
  or not confirmation(link[4]) or (link[5] and not valid_time(link[5])) then
  return {'corrupt'}
end
local inactive = link[5]
if ARGV[1] == '' then
  if inactive then redis.call('HDEL', KEYS[1], 'inactive') end
  inactive = false
elseif not inactive then
  redis.call('HSET', KEYS[1], 'inactive', ARGV[1])
  inactive = ARGV[1]
end
return {'ok', link[1], link[2], link[3], link[4] or '0', tagged(inactive)}
";

/// A [`Store`] in Redis; clones share one multiplexed, reconnecting connection.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

struct Scripts {
    insert: redis::Script,
    claim: redis::Script,
    consume: redis::Script,
    links_of_user: redis::Script,
    unlink_telegram_user: redis::Script,
    unlink_user: redis::Script,
    redeem: redis::Script,
    mark: redis::Script,
}

impl Scripts {
    fn new() -> Self {
        let checked = |script: &str| redis::Script::new(&format!("{PRELUDE}{script}"));
        Self {
            insert: redis::Script::new(INSERT),
            claim: checked(CLAIM),
            consume: checked(CONSUME),
            links_of_user: checked(LINKS_OF_USER),
            unlink_telegram_user: checked(UNLINK_TELEGRAM_USER),
            unlink_user: redis::Script::new(UNLINK_USER),
            redeem: checked(REDEEM),
            mark: checked(MARK),
        }
    }
}

fn store_error(error: redis::RedisError) -> StoreError {
    // A server still loading its data set (after a restart, replaying the AOF) or a replica
    // cut off from its primary refuses commands for a while: the store is down, not broken.
    let server_not_ready = matches!(
        error.kind(),
        redis::ErrorKind::Server(
            redis::ServerErrorKind::BusyLoading
                | redis::ServerErrorKind::MasterDown
                | redis::ServerErrorKind::TryAgain
        )
    );
    if error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || error.is_timeout()
        || server_not_ready
    {
        StoreError::Unavailable {
            backend: BACKEND,
            source: Box::new(error),
        }
    } else {
        StoreError::Backend {
            backend: BACKEND,
            source: Box::new(error),
        }
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt {
        backend: BACKEND,
        what: what.to_owned(),
    }
}

fn parse_i64(text: Option<&String>, what: &str) -> Result<i64, StoreError> {
    text.and_then(|t| t.parse().ok())
        .ok_or_else(|| corrupt(what))
}

/// Builds a link from stored fields; a missing website confirmation (a record written before
/// it was recorded) reads as not confirmed, a missing `inactive` as active.
fn link_from(
    account: Option<&String>,
    telegram_user: i64,
    chat: Option<&String>,
    at: Option<&String>,
    website_confirmed: Option<&String>,
    inactive: Option<&str>,
) -> Result<Link, StoreError> {
    let account = account
        .and_then(|u| AccountId::new(u).ok())
        .ok_or_else(|| corrupt("link user"))?;
    let telegram =
        TelegramIdentity::new(UserId(telegram_user), ChatId(parse_i64(chat, "link chat")?))
            .map_err(|_| corrupt("link telegram ids"))?;
    let website_confirmed = match website_confirmed.map(String::as_str) {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(corrupt("link website confirmation")),
    };
    let inactive_since = match inactive {
        None => None,
        Some(text) => Some(UnixTime(
            text.parse().map_err(|_| corrupt("link inactivity"))?,
        )),
    };
    Ok(Link {
        account,
        telegram,
        linked_at: UnixTime(parse_i64(at, "link time")?),
        website_confirmed,
        inactive_since,
    })
}

/// Builds a link from a script's answer `user, chat, at, wc, inactive`, the last
/// [tagged](PRELUDE): `''` when the record has no `inactive` field, else `:` and its text.
fn answered_link(fields: &[String], telegram_user: i64) -> Result<Link, StoreError> {
    let inactive = match fields.get(4).map(String::as_str) {
        None => return Err(corrupt("link fields")),
        Some("") => None,
        Some(tagged) => Some(
            tagged
                .strip_prefix(':')
                .ok_or_else(|| corrupt("link inactivity"))?,
        ),
    };
    link_from(
        fields.first(),
        telegram_user,
        fields.get(1),
        fields.get(2),
        fields.get(3),
        inactive,
    )
}

/// Maps a script's rejection answer.
fn rejection(answer: &[String]) -> Error {
    match answer.first().map(String::as_str) {
        Some("unknown") => Error::Unknown,
        Some("expired") => Error::Expired,
        Some("used") => Error::AlreadyUsed,
        Some("declined") => Error::Declined,
        Some("conflict") => Error::Conflict,
        _ => Error::Store(corrupt("code record")),
    }
}

/// The script argument of a flag.
fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

impl RedisStore {
    /// Connects to the server a `redis://` URL names, with keys under `tgauth:`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with_prefix(url, "tgauth:").await
    }

    /// Connects with keys under `prefix` (several applications, or parallel tests, can share
    /// one server).
    pub async fn open_with_prefix(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::Url {
            reason: e.to_string(),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(10)));
        let mut connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(store_error)?;
        // Fail at open, not at first use, when the server is not there.
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            scripts: std::sync::Arc::new(Scripts::new()),
        })
    }

    fn code_key(&self, hash: &CodeHash) -> String {
        format!("{}code:{}", self.prefix, hash.to_hex())
    }

    fn link_key(&self, telegram_user: UserId) -> String {
        format!("{}link:{}", self.prefix, telegram_user.0)
    }

    fn account_key(&self, account: &AccountId) -> Vec<u8> {
        let mut key = format!("{}user:", self.prefix).into_bytes();
        key.extend_from_slice(account.as_str().as_bytes());
        key
    }

    /// A claim, a consent or a decline, in one script.
    async fn claim_as(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
        target: ClaimTarget,
    ) -> Result<Claim, Error> {
        let mut connection = self.connection.clone();
        let (state, ..) = target.state(who).columns();
        let answer: Vec<String> = self
            .scripts
            .claim
            .key(self.code_key(&code.hash()))
            .arg(&self.prefix)
            .arg(who.user_id().0)
            .arg(who.chat_id().0)
            .arg(now.0)
            .arg(state)
            .arg(USED_CODE_RETENTION_SECONDS)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match answer.first().map(String::as_str) {
            Some("pending") => {
                let account = answer
                    .get(1)
                    .and_then(|u| AccountId::new(u).ok())
                    .ok_or_else(|| corrupt("code user"))?;
                Ok(Claim::Pending {
                    account,
                    repeated: answer.get(2).map(String::as_str) == Some("1"),
                })
            }
            Some("linked") => Ok(Claim::AlreadyLinked(answered_link(
                answer.get(1..).unwrap_or_default(),
                who.user_id().0,
            )?)),
            _ => Err(rejection(&answer)),
        }
    }

    /// Marks a link inactive or active in one script.
    async fn mark(&self, telegram_user: UserId, mark: Mark) -> Result<Option<Link>, StoreError> {
        let mut connection = self.connection.clone();
        let since = match mark {
            Mark::Inactive(since) => since.0.to_string(),
            Mark::Active => String::new(),
        };
        let answer: Vec<String> = self
            .scripts
            .mark
            .key(self.link_key(telegram_user))
            .arg(since)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match answer.first().map(String::as_str) {
            None => Ok(None),
            Some("ok") => {
                answered_link(answer.get(1..).unwrap_or_default(), telegram_user.0).map(Some)
            }
            _ => Err(corrupt("link record")),
        }
    }

    /// Deletes every key under this store's prefix (for tests and decommissioning).
    pub async fn clear(&self) -> Result<u64, StoreError> {
        let mut connection = self.connection.clone();
        let mut pattern = String::with_capacity(self.prefix.len() + 1);
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        let mut cursor = 0_u64;
        let mut deleted = 0_u64;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut connection)
                .await
                .map_err(store_error)?;
            if !keys.is_empty() {
                let count: u64 = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut connection)
                    .await
                    .map_err(store_error)?;
                deleted = deleted.saturating_add(count);
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }
}

impl Store for RedisStore {
    async fn insert_code(
        &self,
        hash: &CodeHash,
        account: &AccountId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        // The key's real TTL is the code's remaining life as of the caller's clock.
        let mut connection = self.connection.clone();
        let key = self.code_key(hash);
        let ttl = expires_at.0.saturating_sub(now.0).max(1);
        let _: () = self
            .scripts
            .insert
            .key(key)
            .arg(account.as_str())
            .arg(expires_at.0)
            .arg(ttl)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn claim(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        self.claim_as(code, who, now, ClaimTarget::Pending).await
    }

    async fn consent(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Claim, Error> {
        self.claim_as(code, who, now, ClaimTarget::Consented).await
    }

    async fn decline(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        now: UnixTime,
    ) -> Result<Declined, Error> {
        declined(self.claim_as(code, who, now, ClaimTarget::Declined).await?)
    }

    async fn consume(
        &self,
        code: &LinkCode,
        who: TelegramIdentity,
        policy: LinkPolicy,
        by: CommittedBy,
        now: UnixTime,
    ) -> Result<Linked, Error> {
        let mut connection = self.connection.clone();
        let answer: Vec<String> = self
            .scripts
            .consume
            .key(self.code_key(&code.hash()))
            .arg(&self.prefix)
            .arg(who.user_id().0)
            .arg(who.chat_id().0)
            .arg(now.0)
            .arg(flag(policy.on_conflict == OnConflict::Move))
            .arg(flag(policy.chats_per_account == ChatsPerAccount::One))
            .arg(USED_CODE_RETENTION_SECONDS)
            .arg(flag(by == CommittedBy::Website))
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        let outcome = match answer.first().map(String::as_str) {
            Some("new") => LinkOutcome::New,
            Some("same" | "repeat") => LinkOutcome::AlreadyLinked,
            Some("moved") => LinkOutcome::Moved {
                from: answer
                    .get(1)
                    .and_then(|u| AccountId::new(u).ok())
                    .ok_or_else(|| corrupt("previous link user"))?,
            },
            _ => return Err(rejection(&answer)),
        };
        let link = answered_link(answer.get(2..).unwrap_or_default(), who.user_id().0)?;
        Ok(Linked { link, outcome })
    }

    async fn links_of_account(&self, account: &AccountId) -> Result<Vec<Link>, StoreError> {
        let mut connection = self.connection.clone();
        let flat: Vec<String> = self
            .scripts
            .links_of_user
            .key(self.account_key(account))
            .arg(&self.prefix)
            .arg(account.as_str())
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        let mut links = Vec::with_capacity(flat.len() / 6);
        for fields in flat.chunks(6) {
            let telegram_user = parse_i64(fields.first(), "user set member")?;
            links.push(answered_link(
                fields.get(1..).unwrap_or_default(),
                telegram_user,
            )?);
        }
        links.sort_by_key(|link| link.telegram.user_id());
        Ok(links)
    }

    async fn link_of_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        let mut connection = self.connection.clone();
        let fields: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.link_key(telegram_user))
            .arg(&["user", "chat", "at", "wc", "inactive"])
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        match fields.as_slice() {
            [None, ..] | [] => Ok(None),
            [account, chat, at, website_confirmed, inactive] => link_from(
                account.as_ref(),
                telegram_user.0,
                chat.as_ref(),
                at.as_ref(),
                website_confirmed.as_ref(),
                inactive.as_deref(),
            )
            .map(Some),
            _ => Err(corrupt("link fields")),
        }
    }

    async fn mark_link_inactive(
        &self,
        telegram_user: UserId,
        since: UnixTime,
    ) -> Result<Option<Link>, StoreError> {
        self.mark(telegram_user, Mark::Inactive(since)).await
    }

    async fn mark_link_active(&self, telegram_user: UserId) -> Result<Option<Link>, StoreError> {
        self.mark(telegram_user, Mark::Active).await
    }

    async fn unlink_telegram_user(
        &self,
        telegram_user: UserId,
    ) -> Result<Option<Link>, StoreError> {
        let mut connection = self.connection.clone();
        let answer: Vec<String> = self
            .scripts
            .unlink_telegram_user
            .key(self.link_key(telegram_user))
            .arg(&self.prefix)
            .arg(telegram_user.0)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        if answer.is_empty() {
            return Ok(None);
        }
        answered_link(&answer, telegram_user.0).map(Some)
    }

    async fn unlink_account(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut connection = self.connection.clone();
        self.scripts
            .unlink_user
            .key(self.account_key(account))
            .arg(&self.prefix)
            .arg(account.as_str())
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)
    }

    async fn purge_expired(&self, _now: UnixTime) -> Result<u64, StoreError> {
        // Codes and login-link records carry native TTLs; Redis removes them itself.
        Ok(0)
    }

    async fn code_status(&self, code: &LinkCode, now: UnixTime) -> Result<CodeStatus, StoreError> {
        let mut connection = self.connection.clone();
        let fields: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.code_key(&code.hash()))
            .arg(&["user", "exp", "state", "tu", "chat"])
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        let record = match fields.as_slice() {
            [None, ..] | [] => None,
            [Some(account), exp, state, telegram_user, chat] => {
                let optional = |field: &Option<String>, what| {
                    field.as_ref().map(|t| parse_i64(Some(t), what)).transpose()
                };
                let state = CodeState::from_columns(
                    parse_i64(state.as_ref(), "code state")?,
                    optional(telegram_user, "code telegram user")?,
                    optional(chat, "code chat")?,
                )
                .ok_or_else(|| corrupt("code state"))?;
                Some(CodeRecord {
                    account: AccountId::new(account).map_err(|_| corrupt("code user"))?,
                    expires_at: UnixTime(parse_i64(exp.as_ref(), "code expiry")?),
                    state,
                })
            }
            _ => return Err(corrupt("code fields")),
        };
        Ok(status_of(record, now))
    }

    async fn redeem_login_link(&self, claims: &LoginClaims, now: UnixTime) -> Result<Link, Error> {
        let mut connection = self.connection.clone();
        let ttl = claims.expires_at.0.saturating_sub(now.0).max(1);
        let telegram_user = claims.telegram.user_id();
        let answer: Vec<String> = self
            .scripts
            .redeem
            .key(self.link_key(telegram_user))
            .key(format!("{}login:{}", self.prefix, claims.id.to_hex()))
            .arg(claims.account.as_str())
            .arg(claims.telegram.chat_id().0)
            .arg(flag(claims.dangerous_unconfirmed))
            .arg(ttl)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match answer.first().map(String::as_str) {
            Some("ok") => Ok(answered_link(
                answer.get(1..).unwrap_or_default(),
                telegram_user.0,
            )?),
            Some("notlinked") => Err(Error::NotLinked),
            Some("unconfirmed") => Err(Error::NotWebsiteConfirmed),
            Some("used") => Err(Error::LoginLinkUsed),
            _ => Err(Error::Store(corrupt("link record"))),
        }
    }
}
