//! Per-key limits on attempts (failed sign-in steps per address, texts sent
//! per account, registrations per address), kept in the database so that
//! they hold across nodes. Fixed windows: cheap to count, and a key that
//! reached the limit waits for the window to end.
//!
//! An attempt is counted *before* it is evaluated, by one conditional upsert
//! that refuses once the window is full. Reading the count and adding to it
//! in two steps would let a burst of parallel requests all read "under the
//! limit" and all be evaluated; with the claim, at most `max` attempts are
//! ever evaluated per window, on SQLite and PostgreSQL alike.

use sqlx::Row;

use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};

/// A limit: at most `max` attempts per `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Attempts allowed in one window.
    pub max: i64,
    /// Window length.
    pub window_ms: i64,
}

impl Limit {
    fn window_start(self, now: Millis) -> Millis {
        now - now.rem_euclid(self.window_ms)
    }
}

/// A counted attempt. When the attempt turns out not to be one the limit is
/// about (a sign-in step that succeeded), [`release`] gives it back.
#[derive(Debug, Clone)]
#[must_use = "a claim is either kept (the attempt counted) or released"]
pub struct Claim {
    key: String,
    window_start: Millis,
}

/// Counts an attempt for `key`, or refuses it with the time the window ends
/// when `limit.max` attempts were already counted in it.
pub async fn claim(db: &Db, key: &str, limit: Limit) -> Result<Result<Claim, Millis>, DbError> {
    let now = now_ms();
    let start = limit.window_start(now);
    let k = key.to_owned();
    let counted = db
        .write(move |c| {
            Box::pin(async move {
                // The row is locked by the upsert on PostgreSQL and the
                // writer is single on SQLite: the check and the count are one step.
                let row = sqlx::query(
                    "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1) \
                     ON CONFLICT (key, window_start) DO UPDATE SET hits = throttle.hits + 1 \
                     WHERE throttle.hits < $3 RETURNING hits",
                )
                .bind(&k)
                .bind(start)
                .bind(limit.max)
                .fetch_optional(&mut *c)
                .await?;
                sqlx::query("DELETE FROM throttle WHERE window_start < $1")
                    .bind(now - 24 * 3600 * 1000)
                    .execute(c)
                    .await?;
                Ok::<_, DbError>(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
            })
        })
        .await?;
    Ok(match counted {
        Some(_) => Ok(Claim {
            key: key.to_owned(),
            window_start: start,
        }),
        None => Err(start + limit.window_ms),
    })
}

/// Gives back a claimed attempt that the limit is not about.
pub async fn release(db: &Db, claim: Claim) -> Result<(), DbError> {
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query(
                "UPDATE throttle SET hits = hits - 1 WHERE key = $1 AND window_start = $2 AND hits > 0",
            )
            .bind(&claim.key)
            .bind(claim.window_start)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}
