//! The transactional outbox: events appended in the same transaction as the
//! change they describe, then relayed to subscribers as jobs, so a
//! subscriber (webhook, notification, supervision feed) sees every committed
//! change once and never one that was rolled back.

use crate::platform::db::Conn as AnyConnection;
use serde_json::Value;

use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError, Engine};
use crate::platform::jobs::{self, NewJob};

/// Appends an event inside the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    topic: &str,
    payload: &Value,
    now: Millis,
) -> Result<(), DbError> {
    crate::platform::db::query(
        "INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2, $3)",
    )
    .bind(topic)
    .bind(payload.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which job kind receives which topics (a topic matches a route whose
/// prefix it starts with).
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<(String, String)>,
}

impl Routes {
    /// Sends events whose topic starts with `prefix` to jobs of `job_kind`.
    pub fn route(mut self, prefix: &str, job_kind: &str) -> Self {
        self.routes.push((prefix.to_owned(), job_kind.to_owned()));
        self
    }
}

/// Moves up to `limit` pending events into subscriber jobs and marks them
/// dispatched, in one transaction. Returns how many events were relayed.
pub async fn relay(db: &Db, routes: &Routes, limit: i64) -> Result<usize, DbError> {
    let routes = routes.clone();
    let skip_locked = if db.engine() == Engine::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, topic, payload FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $1{skip_locked}"
    );
    db.write(crate::tx!(c => {
            let now = now_ms();
            let rows = crate::platform::db::query(sql.clone()).bind(limit).fetch_all(&mut *c).await?;
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                let topic: String = r.try_get("topic")?;
                let payload: String = r.try_get("payload")?;
                for (prefix, kind) in &routes.routes {
                    if topic.starts_with(prefix.as_str()) {
                        let body = serde_json::json!({
                            "event_id": id,
                            "topic": topic,
                            "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
                        });
                        jobs::enqueue(c, &NewJob { kind: kind.clone(), payload: body, run_at: now, max_attempts: 8 }, now)
                            .await?;
                    }
                }
                crate::platform::db::query("UPDATE outbox SET dispatched_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *c).await?;
            }
            Ok(rows.len())
        }))
    .await
}

/// Deletes events relayed more than `days` days ago (job `jobs.purge`).
pub async fn purge_relayed(db: &Db, days: i64) -> Result<u64, DbError> {
    db.write(crate::tx!(c => {
        let cutoff = now_ms() - days * 86_400_000;
        let r = crate::platform::db::query(
            "DELETE FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < $1",
        )
        .bind(cutoff)
        .execute(c)
        .await?;
        Ok(r.rows_affected())
    }))
    .await
}
