//! Group writes for SQLite: the hot writes of concurrent requests (login replay records,
//! sessions, profiles, Bot API updates claimed and marked handled) go to one task, which writes
//! each kind's waiting rows with one multi-row statement.
//!
//! SQLite takes one writer at a time, and through sqlx every statement is a round trip to the
//! connection's thread: one statement per row caps logins at a few thousand a second on two
//! cores (measured with `cargo bench -p tgauth-server --features sandbox --bench serve`). One
//! statement for many rows costs about what one row did. Each caller still learns its own
//! outcome: whether its row was written (a replay record or a new session whose key existed is
//! not), or the error. A statement is atomic, so a failure writes none of its rows.
//!
//! A write that waits for its own turn at SQLite's writer hands the turn on when done, and the
//! next writer's task must first be scheduled: on a busy runtime that hand-off, not SQLite,
//! bounds one-at-a-time writers (webhook updates, two such writes each, measured 1,682 and
//! 1,154/s before their claims and marks were grouped here, 3,257 and 3,011/s after, with
//! `cargo bench -p tgauth-server --features sandbox --bench flows`).

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{AnyConnection, Row as _};
use tokio::sync::{mpsc, oneshot};

use super::{SqliteWriter, StoreError};

/// The most rows of one kind in one statement (SQLite allows 32,766 parameters).
const MAX_ROWS: usize = 256;

/// What kind of row, which fixes the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A login's replay record; written unless its digest is recorded.
    Replay,
    /// A new session; written unless its id exists.
    NewSession,
    /// A session saved over its earlier state.
    Session,
    /// A Telegram user's profile, merged over what is stored.
    Profile,
    /// A Bot API update's first claim; written unless the update is known (the caller then
    /// applies the rules for a redelivery, see `Db::claim_update`).
    Claim,
    /// A claimed update marked handled.
    Handled,
}

impl Kind {
    /// Every kind, in the order of a round's statements.
    const ALL: [Self; 6] = [
        Self::Replay,
        Self::NewSession,
        Self::Session,
        Self::Profile,
        Self::Claim,
        Self::Handled,
    ];

    /// The statement's head, the columns per row, its tail, and whether its `RETURNING` names
    /// the rows written (by their first column).
    fn statement(self) -> (&'static str, usize, &'static str, bool) {
        match self {
            Self::Replay => (
                "INSERT INTO login_replays (digest, expires_at) VALUES ",
                2,
                " ON CONFLICT (digest) DO NOTHING RETURNING digest",
                true,
            ),
            Self::NewSession => (
                "INSERT INTO sessions (id_hash, telegram_id, method, data, created_at, expires_at) VALUES ",
                6,
                " ON CONFLICT (id_hash) DO NOTHING RETURNING id_hash",
                true,
            ),
            Self::Session => (
                "INSERT INTO sessions (id_hash, telegram_id, method, data, created_at, expires_at) VALUES ",
                6,
                " ON CONFLICT (id_hash) DO UPDATE SET telegram_id = excluded.telegram_id,
                  method = excluded.method, data = excluded.data, expires_at = excluded.expires_at",
                false,
            ),
            Self::Profile => (
                "INSERT INTO telegram_users (telegram_id, first_name, last_name, username, photo_url, updated_at) VALUES ",
                6,
                super::PROFILE_MERGE,
                false,
            ),
            Self::Claim => (
                "INSERT INTO handled_updates (update_id, state, lease_until, holder) VALUES ",
                4,
                " ON CONFLICT (update_id) DO NOTHING RETURNING CAST(update_id AS TEXT)",
                true,
            ),
            // Rows are (update_id, handled_at); of one id twice, either time is kept.
            Self::Handled => (
                "UPDATE handled_updates SET state = 'handled', handled_at = handled.column2 FROM (VALUES ",
                2,
                ") AS handled WHERE handled_updates.update_id = handled.column1",
                false,
            ),
        }
    }
}

/// A value bound in a batched statement.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// One row: its key (the first column, as text) and its values in column order.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) key: String,
    pub(super) values: Vec<Value>,
}

struct Job {
    kind: Kind,
    row: Row,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The sending side: cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Batcher {
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Batcher {
    /// Starts the writing task on `writer`, each round in one turn; it ends when every sender
    /// is gone.
    pub(super) fn start(writer: SqliteWriter) -> Self {
        let (jobs, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, receiver));
        Self { jobs }
    }

    /// Writes `row` with the next statement of its kind: whether it was written.
    pub(super) async fn write(&self, kind: Kind, row: Row) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { kind, row, reply })
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(writer: SqliteWriter, mut receiver: mpsc::UnboundedReceiver<Job>) {
    let mut waiting = Vec::new();
    while receiver.recv_many(&mut waiting, MAX_ROWS * 4).await > 0 {
        // One turn for the round's statements: the service's other writers and the link
        // store's wait for it too.
        let Ok(mut connection) = writer.turn().await else {
            // Closed: no turn will come.
            for job in waiting.drain(..) {
                let _ = job.reply.send(Err(StoreError::Closed));
            }
            continue;
        };
        for kind in Kind::ALL {
            let (mut batch, rest): (Vec<Job>, Vec<Job>) =
                waiting.drain(..).partition(|job| job.kind == kind);
            waiting = rest;
            while !batch.is_empty() {
                let take = batch.len().min(MAX_ROWS);
                let jobs: Vec<Job> = batch.drain(..take).collect();
                write(&mut connection, kind, jobs).await;
            }
        }
    }
}

/// Writes one statement's rows and answers each job.
async fn write(writer: &mut AnyConnection, kind: Kind, jobs: Vec<Job>) {
    let (head, columns, tail, returning) = kind.statement();
    let mut sql = String::with_capacity(head.len() + tail.len() + jobs.len() * columns * 5);
    sql.push_str(head);
    let mut parameter = 0;
    for (index, _) in jobs.iter().enumerate() {
        if index > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            parameter += 1;
            sql.push('$');
            sql.push_str(&parameter.to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    let mut query = sqlx::query(&sql);
    for job in &jobs {
        for value in &job.row.values {
            query = match value {
                Value::Int(value) => query.bind(*value),
                Value::Text(value) => query.bind(value.clone()),
            };
        }
    }
    let outcome: Result<Option<HashSet<String>>, sqlx::Error> = if returning {
        query.fetch_all(&mut *writer).await.and_then(|rows| {
            rows.iter()
                .map(|row| row.try_get::<String, _>(0))
                .collect::<Result<HashSet<_>, _>>()
                .map(Some)
        })
    } else {
        query.execute(&mut *writer).await.map(|_| None)
    };
    match outcome {
        Ok(written) => {
            // Of two rows with one key in a statement only the first can be the one written.
            let mut answered = HashSet::new();
            for job in jobs {
                let first = answered.insert(job.row.key.clone());
                let was_written = match &written {
                    Some(written) => first && written.contains(&job.row.key),
                    None => true,
                };
                let _ = job.reply.send(Ok(was_written));
            }
        }
        Err(error) => {
            let error = Arc::new(error);
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Shared(Arc::clone(&error))));
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation stops the test"
)]
mod tests {
    use super::*;

    fn replay(digest: &str) -> (Job, oneshot::Receiver<Result<bool, StoreError>>) {
        let (reply, answer) = oneshot::channel();
        let row = Row {
            key: digest.to_owned(),
            values: vec![Value::Text(Some(digest.to_owned())), Value::Int(Some(1))],
        };
        let job = Job {
            kind: Kind::Replay,
            row,
            reply,
        };
        (job, answer)
    }

    #[tokio::test]
    async fn of_rows_with_one_key_in_a_statement_only_the_first_is_written() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", directory.path().join("t.db").display());
        let db = super::super::Db::open(&url).await.unwrap();
        let (known, _) = replay("known");
        let super::super::Writer::Sqlite(writer) = &db.writer else {
            unreachable!("a SQLite database")
        };
        let mut writer = writer.turn().await.unwrap();
        write(&mut writer, Kind::Replay, vec![known]).await;

        let mut jobs = Vec::new();
        let mut answers = Vec::new();
        for digest in ["a", "b", "a", "known", "a"] {
            let (job, answer) = replay(digest);
            jobs.push(job);
            answers.push(answer);
        }
        write(&mut writer, Kind::Replay, jobs).await;
        let mut written = Vec::new();
        for answer in answers {
            written.push(answer.await.unwrap().unwrap());
        }
        assert_eq!(written, [true, true, false, false, false]);
    }
}
