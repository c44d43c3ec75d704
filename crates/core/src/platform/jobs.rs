//! The job queue: background work stored in the database, claimed by one
//! worker at a time on any node, retried with exponential back-off, plus
//! recurring schedules.
//!
//! A job is enqueued inside the transaction that makes it necessary, so it
//! exists exactly when that change does. Workers claim jobs with a lease
//! (`locked_until`); on PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED` so
//! nodes never wait on each other, and on SQLite the single writer
//! serialises claims. A job whose worker died is claimed again once its lease
//! expires.

use std::collections::HashMap;
use std::sync::Arc;

use crate::platform::db::Conn as AnyConnection;
use serde_json::Value;

use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{BoxFut, Db, DbError, Engine};

/// A job handler: runs one job's payload; an error schedules a retry.
pub type Handler =
    Arc<dyn Fn(JobContext, Value) -> BoxFut<'static, anyhow::Result<()>> + Send + Sync>;

/// What a handler is given besides its payload.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The database.
    pub db: Db,
    /// The job's id.
    pub job_id: i64,
    /// Which attempt this is (1 for the first).
    pub attempt: i64,
    /// Attempts allowed: the last one is the one where `attempt` equals it.
    pub max_attempts: i64,
}

/// A new job.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The handler's name, such as `sessions.purge`.
    pub kind: String,
    /// Its input.
    pub payload: Value,
    /// Not before this time.
    pub run_at: Millis,
    /// Attempts before the job is marked failed.
    pub max_attempts: i64,
}

impl NewJob {
    /// A job to run now, with up to 8 attempts.
    pub fn now(kind: &str, payload: Value) -> Self {
        Self {
            kind: kind.to_owned(),
            payload,
            run_at: now_ms(),
            max_attempts: 8,
        }
    }
}

/// Adds a job inside the caller's transaction; returns its id.
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob, now: Millis) -> Result<i64, DbError> {
    let row = crate::platform::db::query(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at) \
         VALUES ($1, $2, 'queued', 0, $3, $4, $5) RETURNING id",
    )
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.max_attempts)
    .bind(job.run_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    row.try_get::<i64, _>(0)
}

/// A job claimed by a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Job id.
    pub id: i64,
    /// Handler name.
    pub kind: String,
    /// Input.
    pub payload: String,
    /// This attempt's number.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
}

/// Claims up to `limit` due jobs for `worker` with a lease of `lease_ms`.
pub async fn claim(
    db: &Db,
    worker: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<Claimed>, DbError> {
    let skip_locked = if db.engine() == Engine::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2 \
         WHERE id IN (SELECT id FROM jobs \
           WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
           ORDER BY run_at, id LIMIT $4{skip_locked}) \
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let worker = worker.to_owned();
    db.write(crate::tx!(c => {
        let now = now_ms();
        let rows = crate::platform::db::query(sql.clone())
            .bind(&worker)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Claimed {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                    max_attempts: r.try_get("max_attempts")?,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()
    }))
    .await
}

/// Back-off before attempt `attempts + 1`: 2^attempts seconds, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let secs = 1i64 << attempts.clamp(0, 12);
    secs.min(3600) * 1000
}

/// Marks a claimed job done, if this worker still holds it.
pub async fn complete(db: &Db, id: i64, worker: &str) -> Result<bool, DbError> {
    let worker = worker.to_owned();
    db.write(crate::tx!(c => {
            let r = crate::platform::db::query(
                "UPDATE jobs SET status = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL \
                 WHERE id = $2 AND locked_by = $3 AND status = 'running'",
            )
            .bind(now_ms())
            .bind(id)
            .bind(&worker)
            .execute(c)
            .await?;
            Ok(r.rows_affected() == 1)
        }))
    .await
}

/// Records a failed attempt: retried after back-off, or failed for good.
pub async fn fail(db: &Db, job: &Claimed, worker: &str, error: &str) -> Result<(), DbError> {
    let (id, attempts, max) = (job.id, job.attempts, job.max_attempts);
    let worker = worker.to_owned();
    let error: String = error.chars().take(2000).collect();
    db.write(crate::tx!(c => {
            let now = now_ms();
            let (status, run_at) = if attempts >= max { ("failed", now) } else { ("queued", now + backoff_ms(attempts)) };
            crate::platform::db::query(
                "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, \
                 finished_at = CASE WHEN $1 = 'failed' THEN $2 ELSE NULL END \
                 WHERE id = $4 AND locked_by = $5",
            )
            .bind(status)
            .bind(run_at)
            .bind(&error)
            .bind(id)
            .bind(&worker)
            .execute(c)
            .await?;
            Ok(())
        }))
    .await
}

/// Registers a recurring job (idempotent: an existing schedule keeps its
/// next run time but takes the new interval).
pub async fn ensure_schedule(
    db: &Db,
    name: &str,
    kind: &str,
    every_seconds: i64,
) -> Result<(), DbError> {
    let (name, kind) = (name.to_owned(), kind.to_owned());
    db.write(crate::tx!(c => {
            crate::platform::db::query(
                "INSERT INTO job_schedules (name, kind, payload, every_seconds, next_run_at) VALUES ($1, $2, '{}', $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET every_seconds = excluded.every_seconds, kind = excluded.kind",
            )
            .bind(&name)
            .bind(&kind)
            .bind(every_seconds)
            .bind(now_ms())
            .execute(c)
            .await?;
            Ok(())
        }))
    .await
}

/// Enqueues a job for every schedule that is due. A compare-and-set on
/// `next_run_at` makes sure only one node enqueues each run.
pub async fn enqueue_due_schedules(db: &Db) -> Result<usize, DbError> {
    db.write(crate::tx!(c => {
            let now = now_ms();
            let due = crate::platform::db::query("SELECT name, kind, payload, every_seconds, next_run_at FROM job_schedules WHERE next_run_at <= $1")
                .bind(now)
                .fetch_all(&mut *c)
                .await?;
            let mut n = 0;
            for r in due {
                let name: String = r.try_get("name")?;
                let kind: String = r.try_get("kind")?;
                let payload: String = r.try_get("payload")?;
                let every: i64 = r.try_get("every_seconds")?;
                let old: i64 = r.try_get("next_run_at")?;
                let won = crate::platform::db::query("UPDATE job_schedules SET next_run_at = $1 WHERE name = $2 AND next_run_at = $3")
                    .bind(now + every * 1000)
                    .bind(&name)
                    .bind(old)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
                    == 1;
                if won {
                    let payload = serde_json::from_str(&payload).unwrap_or(Value::Null);
                    enqueue(c, &NewJob { kind, payload, run_at: now, max_attempts: 3 }, now).await?;
                    n += 1;
                }
            }
            Ok(n)
        }))
    .await
}

/// Counts of jobs by status, for `/metrics`.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status",
    )
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// The handlers this node knows, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    /// Adds a handler for `kind`.
    pub fn register<F>(&mut self, kind: &str, f: F)
    where
        F: Fn(JobContext, Value) -> BoxFut<'static, anyhow::Result<()>> + Send + Sync + 'static,
    {
        self.handlers.insert(kind.to_owned(), Arc::new(f));
    }
}

/// Deletes finished jobs older than `days` days; failed jobs are kept
/// for inspection.
pub async fn purge_finished(db: &Db, days: i64) -> Result<u64, DbError> {
    db.write(crate::tx!(c => {
        let cutoff = now_ms() - days * 86_400_000;
        let a = crate::platform::db::query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1")
            .bind(cutoff)
            .execute(c)
            .await?;
        Ok(a.rows_affected())
    }))
    .await
}

impl Registry {
    /// The handler of a job kind.
    pub(crate) fn handler(&self, kind: &str) -> Option<&Handler> {
        self.handlers.get(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_and_caps_at_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(20), 3_600_000);
        assert_eq!(backoff_ms(-3), 1_000);
    }
}
