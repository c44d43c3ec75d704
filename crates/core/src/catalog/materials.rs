//! Materials' and situations' codes across an item's versions: the codes
//! earlier versions gave (so a re-added material takes its code back and a
//! removed one's code is never reused), and the one-time upgrade that gives
//! codes to guides stored before materials had them.

use tongban_domain::catalog::{self as rules, CodeBook, Guide};

use crate::platform::db::{Db, DbError};

/// The codes every version of `item_id` gave (the draft being edited
/// included, as last saved).
pub async fn codes_of_item(db: &Db, item_id: i64) -> Result<CodeBook, DbError> {
    let rows = crate::platform::db::query(
        "SELECT document FROM item_versions WHERE item_id = $1 ORDER BY version_no",
    )
    .bind(item_id)
    .fetch_all(&db)
    .await?;
    let mut out = CodeBook::default();
    for r in &rows {
        let doc: String = r.try_get("document")?;
        let g: Guide = serde_json::from_str(&doc).map_err(|e| DbError::Corrupt(e.to_string()))?;
        out.extend(CodeBook::of(&g));
    }
    Ok(out)
}

/// Gives codes to the materials of stored guides that have none, item by
/// item in version order (so a material keeps its code from version to
/// version by name), in one transaction. Only the codes are added; nothing
/// else of a version changes. Returns how many versions were upgraded; run
/// at start-up, once (recorded in `data_upgrades`).
pub async fn upgrade_codes(db: &Db) -> Result<usize, DbError> {
    db.write(crate::tx!(c => {
        let done = crate::platform::db::query("SELECT 1 FROM data_upgrades WHERE name = 'material_codes'")
            .fetch_optional(&mut *c)
            .await?;
        if done.is_some() {
            return Ok(0);
        }
        let rows = crate::platform::db::query(
            "SELECT id, item_id, document FROM item_versions ORDER BY item_id, version_no",
        )
        .fetch_all(&mut *c)
        .await?;
        let mut changed = Vec::new();
        let mut item = None;
        let mut earlier = CodeBook::default();
        for r in &rows {
            let (id, item_id): (i64, i64) = (r.try_get("id")?, r.try_get("item_id")?);
            if item != Some(item_id) {
                item = Some(item_id);
                earlier = CodeBook::default();
            }
            let doc: String = r.try_get("document")?;
            let mut g: Guide = serde_json::from_str(&doc).map_err(|e| DbError::Corrupt(e.to_string()))?;
            let missing = g
                .materials
                .iter()
                .chain(g.situations.iter().flat_map(|s| s.materials.iter()))
                .any(|m| m.code.is_empty())
                || g.situations.iter().any(|s| s.code.is_empty());
            if missing {
                rules::assign_codes(&mut g, &earlier);
                let doc = serde_json::to_string(&g).map_err(|e| DbError::Internal(e.to_string()))?;
                changed.push((id, doc));
            }
            earlier.extend(CodeBook::of(&g));
        }
        for (id, doc) in &changed {
            crate::platform::db::query("UPDATE item_versions SET document = $1 WHERE id = $2")
                .bind(doc)
                .bind(id)
                .execute(&mut *c)
                .await?;
        }
        crate::platform::db::query("INSERT INTO data_upgrades (name, done_at) VALUES ('material_codes', $1)")
            .bind(crate::platform::clock::now_ms())
            .execute(&mut *c)
            .await?;
        Ok::<_, DbError>(changed.len())
    }))
    .await
}
