//! What the index reads of the published catalog: each published item with
//! its guide, organisation and facets, in index order, and the mark of the
//! latest public event.

use tongban_domain::catalog::Guide;

use super::SearchError;
use crate::platform::db::Db;

/// A published item as the index needs it.
pub(super) struct PublishedDoc {
    pub(super) task_code: String,
    pub(super) org: String,
    pub(super) guide: Guide,
    pub(super) themes: String,
    pub(super) objects: String,
    pub(super) division: String,
    pub(super) org_path: String,
    pub(super) meta: serde_json::Value,
}

/// The id of the latest event that changed the public catalog.
pub(super) async fn latest_public_event(db: &Db) -> Result<i64, SearchError> {
    Ok(crate::platform::db::query(
        "SELECT COALESCE((SELECT id FROM item_events WHERE action IN ('published', 'scheduled', 'withdrawn') \
         ORDER BY id DESC LIMIT 1), 0)",
    )
    .fetch_one(&db)
    .await?
    .try_get(0)?)
}

/// Which published items to read for the index.
pub(super) enum Select<'a> {
    /// One item.
    Item(i64),
    /// The next `limit` items in index order (organisation path, code),
    /// after the given key.
    After(Option<&'a (String, String)>, i64),
}

/// Published items with what the index stores of them, and the index-order
/// key of the last one read. Guides that cannot be read are left out.
pub(super) async fn published_docs(
    db: &Db,
    which: Select<'_>,
) -> Result<(Vec<PublishedDoc>, Option<(String, String)>), SearchError> {
    const SELECT: &str = "SELECT p.task_code, o.name_zh, v.document, p.themes, p.service_objects, p.org_id, \
         p.division_code, p.item_type, p.online_depth, p.promised_value, o.name_en, p.catalog_code, o.path \
         FROM published_items p JOIN organizations o ON o.id = p.org_id JOIN item_versions v ON v.id = p.version_id";
    let rows = match which {
        Select::Item(id) => {
            crate::platform::db::query(format!("{SELECT} WHERE p.item_id = $1"))
                .bind(id)
                .fetch_all(&db)
                .await?
        }
        Select::After(after, limit) => {
            let (path, code) = after.cloned().unwrap_or_default();
            crate::platform::db::query(format!(
                "{SELECT} WHERE o.path > $1 OR (o.path = $1 AND p.task_code > $2) \
                 ORDER BY o.path, p.task_code LIMIT $3"
            ))
            .bind(path)
            .bind(code)
            .bind(limit)
            .fetch_all(&db)
            .await?
        }
    };
    let last = match rows.last() {
        Some(r) => Some((
            r.try_get::<String, _>("path")?,
            r.try_get::<String, _>("task_code")?,
        )),
        None => None,
    };
    let mut docs = Vec::with_capacity(rows.len());
    for r in &rows {
        let doc: String = r.try_get("document")?;
        let Ok(guide) = serde_json::from_str::<Guide>(&doc) else {
            continue;
        };
        docs.push(PublishedDoc {
            task_code: r.try_get("task_code")?,
            org: r.try_get("name_zh")?,
            guide,
            themes: r.try_get("themes")?,
            objects: r.try_get("service_objects")?,
            division: r.try_get("division_code")?,
            org_path: r.try_get("path")?,
            meta: serde_json::json!({
                "org_id": r.try_get::<i64, _>("org_id")?,
                "division_code": r.try_get::<String, _>("division_code")?,
                "item_type": r.try_get::<String, _>("item_type")?,
                "online_depth": r.try_get::<i64, _>("online_depth")?,
                "promised_value": r.try_get::<i64, _>("promised_value")?,
                "org_name_en": r.try_get::<String, _>("name_en")?,
                "catalog_code": r.try_get::<String, _>("catalog_code")?,
            }),
        });
    }
    Ok((docs, last))
}
