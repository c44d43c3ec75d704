//! 办件量 how often each item is applied for: the portal's most used
//! services are the items with the most cases submitted in the last
//! [`WINDOW_DAYS`] days, whichever channel they came by.

use crate::platform::clock::Millis;
use crate::platform::db::{Db, DbError};

/// How far back the count reaches.
pub const WINDOW_DAYS: i64 = 90;

/// An item people apply for often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MostUsed {
    /// 实施编码.
    pub task_code: String,
    /// Its published name.
    pub name: String,
    /// Its English name (may be empty).
    pub name_en: String,
    /// Cases submitted in the window.
    pub cases: i64,
}

/// The `limit` items with the most cases submitted in the [`WINDOW_DAYS`]
/// days before `now`, most first (ties by code), published items only.
pub async fn most_used(db: &Db, now: Millis, limit: i64) -> Result<Vec<MostUsed>, DbError> {
    let since = now - WINDOW_DAYS * 24 * 3_600_000;
    let rows = crate::platform::db::query(
        "SELECT a.task_code, v.name, v.name_en, COUNT(*) AS cases FROM applications a \
         JOIN published_items v ON v.task_code = a.task_code \
         WHERE a.submitted_at >= $1 GROUP BY a.task_code, v.name, v.name_en \
         ORDER BY cases DESC, a.task_code LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MostUsed {
                task_code: r.try_get("task_code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                cases: r.try_get("cases")?,
            })
        })
        .collect()
}
