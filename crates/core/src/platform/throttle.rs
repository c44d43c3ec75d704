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

/// An attempt holding a place in its window while it is evaluated; settle
/// it with [`settle`] once the outcome is known.
#[derive(Debug, Clone)]
#[must_use = "a claim is settled as failed (counted) or passed (given back)"]
pub struct Claim {
    key: String,
    window_start: Millis,
}

/// Why an attempt was not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The window's failures reached the limit: refused until it ends.
    Blocked {
        /// when the window ends
        until: Millis,
    },
    /// So many attempts are being evaluated at once that one more could
    /// pass the limit if they all failed; it waited and they did not finish.
    Busy,
}

/// How an attempt waits for a place held by attempts in flight: this many
/// tries, [`PLACE_POLL`] apart (two seconds in all).
pub const PLACE_TRIES: usize = 40;
/// The pause between two tries for a place.
pub const PLACE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Counts an attempt for `key` (every attempt counts: texts sent,
/// registrations), or refuses it with the time the window ends once
/// `limit.max` were counted in it.
pub async fn count(db: &Db, key: &str, limit: Limit) -> Result<Result<(), Millis>, DbError> {
    let now = now_ms();
    let start = limit.window_start(now);
    let k = key.to_owned();
    let counted = db
        .write(crate::tx!(c => {
            let row = crate::platform::db::query(
                "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (key, window_start) DO UPDATE SET hits = throttle.hits + 1 \
                 WHERE throttle.hits < $3 RETURNING hits",
            )
            .bind(&k)
            .bind(start)
            .bind(limit.max)
            .fetch_optional(&mut *c)
            .await?;
            purge_old(c, now).await?;
            Ok::<_, DbError>(row.is_some())
        }))
        .await?;
    Ok(if counted {
        Ok(())
    } else {
        Err(start + limit.window_ms)
    })
}

async fn purge_old(c: &mut crate::platform::db::Conn, now: Millis) -> Result<(), DbError> {
    crate::platform::db::query("DELETE FROM throttle WHERE window_start < $1")
        .bind(now - 24 * 3600 * 1000)
        .execute(c)
        .await?;
    Ok(())
}

/// Lets an attempt be evaluated only while the failures already counted
/// and the attempts in flight stay under `limit.max` (one conditional
/// upsert, so parallel attempts cannot all pass a check made before any of
/// them counts). Failures block until the window ends; a window full of
/// attempts in flight is waited on for up to two seconds, as most of them
/// pass and give their place back.
pub async fn claim(db: &Db, key: &str, limit: Limit) -> Result<Result<Claim, Refusal>, DbError> {
    for _ in 0..PLACE_TRIES {
        let now = now_ms();
        let start = limit.window_start(now);
        let k = key.to_owned();
        let outcome = db
            .write(crate::tx!(c => {
                let row = crate::platform::db::query(
                    "INSERT INTO throttle (key, window_start, hits, pending) VALUES ($1, $2, 0, 1) \
                     ON CONFLICT (key, window_start) DO UPDATE SET pending = throttle.pending + 1 \
                     WHERE throttle.hits + throttle.pending < $3 RETURNING hits",
                )
                .bind(&k)
                .bind(start)
                .bind(limit.max)
                .fetch_optional(&mut *c)
                .await?;
                if row.is_some() {
                    purge_old(c, now).await?;
                    return Ok::<_, DbError>(None);
                }
                let hits: i64 = crate::platform::db::query(
                    "SELECT hits FROM throttle WHERE key = $1 AND window_start = $2",
                )
                .bind(&k)
                .bind(start)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .unwrap_or(0);
                Ok(Some(hits))
            }))
            .await?;
        match outcome {
            None => {
                return Ok(Ok(Claim {
                    key: key.to_owned(),
                    window_start: start,
                }));
            }
            Some(hits) if hits >= limit.max => {
                return Ok(Err(Refusal::Blocked {
                    until: start + limit.window_ms,
                }));
            }
            Some(_) => {
                tokio::time::sleep(PLACE_POLL).await;
            }
        }
    }
    Ok(Err(Refusal::Busy))
}

/// Settles a claimed attempt: a failure is counted; an attempt that passed
/// (or failed for a reason that is not a guess) gives its place back.
pub async fn settle(db: &Db, claim: Claim, failed: bool) -> Result<(), DbError> {
    db.write(crate::tx!(c => {
        let sql = if failed {
            "UPDATE throttle SET hits = hits + 1, pending = pending - 1 \
             WHERE key = $1 AND window_start = $2 AND pending > 0"
        } else {
            "UPDATE throttle SET pending = pending - 1 \
             WHERE key = $1 AND window_start = $2 AND pending > 0"
        };
        crate::platform::db::query(sql)
            .bind(&claim.key)
            .bind(claim.window_start)
            .execute(c)
            .await?;
        Ok::<_, DbError>(())
    }))
    .await
}
