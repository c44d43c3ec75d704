//! 行政区划 administrative divisions: reading the tree.

use crate::platform::db::Row;
use serde::Serialize;
use tongban_domain::kernel::DivisionCode;

use crate::platform::db::{Db, DbError};

/// One division.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Division {
    /// GB/T 2260 (or statistical) code.
    pub code: String,
    /// Containing division.
    pub parent_code: Option<String>,
    /// `province`, `city`, `district`, `county`, `county_city`, `street`, …
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

fn from_row(r: &Row) -> Result<Division, DbError> {
    Ok(Division {
        code: r.try_get("code")?,
        parent_code: r.try_get("parent_code")?,
        kind: r.try_get("kind")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
    })
}

const COLS: &str = "code, parent_code, kind, name_zh, name_en";

/// One division by code.
pub async fn get(db: &Db, code: &DivisionCode) -> Result<Option<Division>, DbError> {
    let row = crate::platform::db::query(format!("SELECT {COLS} FROM divisions WHERE code = $1"))
        .bind(code.as_str())
        .fetch_optional(&db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The divisions directly inside `code`, in display order.
pub async fn children(db: &Db, code: &DivisionCode) -> Result<Vec<Division>, DbError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {COLS} FROM divisions WHERE parent_code = $1 ORDER BY sort_order, code"
    ))
    .bind(code.as_str())
    .fetch_all(&db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The divisions directly inside `code` with how many divisions each
/// contains, in one query (the home page lists every district with its
/// number of streets).
pub async fn children_with_counts(
    db: &Db,
    code: &DivisionCode,
) -> Result<Vec<(Division, i64)>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT d.code, d.parent_code, d.kind, d.name_zh, d.name_en, \
         (SELECT COUNT(*) FROM divisions c WHERE c.parent_code = d.code) AS child_count \
         FROM divisions d WHERE d.parent_code = $1 ORDER BY d.sort_order, d.code",
    )
    .bind(code.as_str())
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.try_get::<i64, _>("child_count")?)))
        .collect()
}

/// The chain from the top-level division down to `code` (inclusive).
pub async fn ancestry(db: &Db, code: &DivisionCode) -> Result<Vec<Division>, DbError> {
    let mut chain = Vec::new();
    let mut cur = Some(code.clone());
    while let Some(c) = cur {
        match get(db, &c).await? {
            Some(d) => {
                cur = d
                    .parent_code
                    .as_deref()
                    .and_then(|p| DivisionCode::parse(p).ok());
                chain.push(d);
            }
            None => break,
        }
    }
    chain.reverse();
    Ok(chain)
}

/// Every division, ordered for display (used by the API listing and the
/// home page; a few thousand rows at most).
pub async fn all(db: &Db) -> Result<Vec<Division>, DbError> {
    let rows = crate::platform::db::query(format!("SELECT {COLS} FROM divisions ORDER BY code"))
        .fetch_all(&db)
        .await?;
    rows.iter().map(from_row).collect()
}
