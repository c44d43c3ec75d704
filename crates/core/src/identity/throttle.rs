//! Per-address limits on failed sign-in steps, kept in the database so that
//! they hold across nodes. Fixed windows: cheap to count, and an address that
//! crossed the limit waits for the window to end.

use sqlx::Row;

use crate::clock::{Millis, now_ms};
use crate::db::{Db, DbError};

/// A limit: at most `max` failures per `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in one window.
    pub max: i64,
    /// Window length.
    pub window_ms: i64,
}

fn window(limit: Limit, now: Millis) -> Millis {
    now - now.rem_euclid(limit.window_ms)
}

/// When the address is over its limit, the time its window ends.
pub async fn blocked_until(db: &Db, key: &str, limit: Limit) -> Result<Option<Millis>, DbError> {
    let now = now_ms();
    let start = window(limit, now);
    let hits: Option<i64> =
        sqlx::query("SELECT hits FROM throttle WHERE key = $1 AND window_start = $2")
            .bind(key)
            .bind(start)
            .fetch_optional(db.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    Ok(hits
        .filter(|h| *h >= limit.max)
        .map(|_| start + limit.window_ms))
}

/// Counts a failure for the address.
pub async fn hit(db: &Db, key: &str, limit: Limit) -> Result<(), DbError> {
    let now = now_ms();
    let start = window(limit, now);
    let key = key.to_owned();
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (key, window_start) DO UPDATE SET hits = throttle.hits + 1",
            )
            .bind(&key)
            .bind(start)
            .execute(&mut *c)
            .await?;
            sqlx::query("DELETE FROM throttle WHERE window_start < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}
