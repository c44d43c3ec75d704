//! What the public reads: published guides, lists by theme, audience, department and division, themes, and the same item elsewhere.

use super::*;

/// A published item as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// Item id.
    pub item_id: i64,
    /// 实施编码.
    pub task_code: String,
    /// 基本编码.
    pub catalog_code: String,
    /// Implementing organisation.
    pub org: Org,
    /// Division served.
    pub division_code: String,
    /// Version number.
    pub version_no: i64,
    /// The version published now (greater than `version_no` when an
    /// earlier version was asked for and a newer one is out).
    pub current_version: i64,
    /// When published.
    pub published_at: Millis,
    /// The guide.
    pub guide: Guide,
}

/// The published guide of an item by its 实施编码.
pub async fn published(db: &Db, task_code: &str) -> Result<Option<Published>, CatalogError> {
    let row = crate::platform::db::query(
        "SELECT p.item_id, p.task_code, p.catalog_code, p.org_id, p.division_code, p.version_no, p.published_at, v.document \
         FROM published_items p JOIN item_versions v ON v.id = p.version_id WHERE p.task_code = $1",
    )
    .bind(task_code.trim().to_ascii_uppercase())
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let org_id: i64 = r.try_get("org_id")?;
    let org = orgs::get(db, org_id).await?.ok_or(CatalogError::NotFound)?;
    let doc: String = r.try_get("document")?;
    Ok(Some(Published {
        item_id: r.try_get("item_id")?,
        task_code: r.try_get("task_code")?,
        catalog_code: r.try_get("catalog_code")?,
        org,
        division_code: r.try_get("division_code")?,
        version_no: r.try_get("version_no")?,
        current_version: r.try_get("version_no")?,
        published_at: r.try_get("published_at")?,
        guide: serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?,
    }))
}

/// The guide of a published item as it was published in version
/// `version_no` (the current one when `None`): the form and materials an
/// application started under that version goes on using. `None` when the
/// item is not published now, or never published that version.
pub async fn published_version(
    db: &Db,
    task_code: &str,
    version_no: Option<i64>,
) -> Result<Option<Published>, CatalogError> {
    let Some(mut p) = published(db, task_code).await? else {
        return Ok(None);
    };
    let Some(n) = version_no.filter(|n| *n != p.version_no) else {
        return Ok(Some(p));
    };
    let row = crate::platform::db::query(
        "SELECT document, published_at FROM item_versions \
         WHERE item_id = $1 AND version_no = $2 AND status IN ('published', 'superseded')",
    )
    .bind(p.item_id)
    .bind(n)
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let doc: String = r.try_get("document")?;
    p.guide = serde_json::from_str(&doc)
        .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
    p.version_no = n;
    p.published_at = r
        .try_get::<Option<i64>, _>("published_at")?
        .unwrap_or(p.published_at);
    Ok(Some(p))
}

/// The columns of a [`Summary`], by name, for the list queries.
const SUMMARY_COLUMNS: &str = "p.task_code, p.name, p.name_en, p.item_type, p.org_id, \
     o.name_zh AS org_name_zh, o.name_en AS org_name_en, p.division_code, p.online_depth, p.promised_value";

/// A line in a list of published items.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// 实施编码.
    pub task_code: String,
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// 事项类型 code.
    pub item_type: String,
    /// Implementing organisation id.
    pub org_id: i64,
    /// Its name.
    pub org_name_zh: String,
    /// Its English name.
    pub org_name_en: String,
    /// Division.
    pub division_code: String,
    /// Online depth.
    pub online_depth: i64,
    /// Promised limit value.
    pub promised_value: i64,
}

crate::from_row!(Summary {
    task_code,
    name,
    name_en,
    item_type,
    org_id,
    org_name_zh,
    org_name_en,
    division_code,
    online_depth,
    promised_value,
});

/// Filters for browsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Browse {
    /// Theme code.
    pub theme: Option<String>,
    /// Implementing organisation (and those below it).
    pub org_id: Option<i64>,
    /// Division (exact).
    pub division: Option<String>,
    /// Service object code (1 person, 2 enterprise …).
    pub object: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// The ancestry path of organisation `id`, the scope of a department
/// filter; `None` if there is no such organisation.
pub async fn org_scope(db: &Db, id: i64) -> Result<Option<String>, CatalogError> {
    Ok(orgs::get(db, id).await?.map(|o| o.path))
}

/// Published items matching the filters, by name; and the total count.
pub async fn browse(db: &Db, f: &Browse) -> Result<(Vec<Summary>, i64), CatalogError> {
    let org_path = match f.org_id {
        Some(id) => Some(orgs::get(db, id).await?.ok_or(CatalogError::NotFound)?.path),
        None => None,
    };
    // Unused filters bind values that match everything, so there are two
    // statement shapes for the database to cache: with a theme (driven by
    // the theme's index rows) and without.
    let object = f
        .object
        .as_ref()
        .map(|t| format!("%|{t}|%"))
        .unwrap_or_else(|| "%".into());
    let path = org_path
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "%".into());
    let division = f.division.clone().unwrap_or_else(|| "%".into());
    let (from, theme) = match &f.theme {
        Some(t) => (
            "FROM published_item_themes x JOIN published_items p ON p.item_id = x.item_id \
             JOIN organizations o ON o.id = p.org_id \
             WHERE x.theme = $1 AND p.service_objects LIKE $2 AND o.path LIKE $3 AND p.division_code LIKE $4",
            t.clone(),
        ),
        None => (
            "FROM published_items p JOIN organizations o ON o.id = p.org_id \
             WHERE $1 = '' AND p.service_objects LIKE $2 AND o.path LIKE $3 AND p.division_code LIKE $4",
            String::new(),
        ),
    };
    let total: i64 = crate::platform::db::query(format!("SELECT COUNT(*) {from}"))
        .bind(&theme)
        .bind(&object)
        .bind(&path)
        .bind(&division)
        .fetch_one(&db)
        .await?
        .try_get(0)?;
    let list = crate::platform::db::query_as::<Summary>(format!(
        "SELECT {SUMMARY_COLUMNS} {from} ORDER BY o.path, p.name LIMIT $5 OFFSET $6"
    ))
    .bind(&theme)
    .bind(&object)
    .bind(&path)
    .bind(&division)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(&db)
    .await?;
    Ok((list, total))
}

/// A life-event theme.
#[derive(Debug, Clone, Serialize)]
pub struct Theme {
    /// Code.
    pub code: String,
    /// `person` or `enterprise`.
    pub audience: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Published items in it.
    pub items: i64,
}

crate::from_row!(Theme {
    code,
    audience,
    name_zh,
    name_en,
    items
});

/// All themes with their published item counts.
pub async fn themes(db: &Db) -> Result<Vec<Theme>, CatalogError> {
    Ok(crate::platform::db::query_as::<Theme>(
        "SELECT t.code, t.audience, t.name_zh, t.name_en, \
         (SELECT COUNT(*) FROM published_item_themes x WHERE x.theme = t.code) AS items \
         FROM themes t ORDER BY t.audience DESC, t.sort_order",
    )
    .fetch_all(&db)
    .await?)
}

/// Other published implementations of the same basic item (同一事项 in
/// other divisions or by other bodies).
pub async fn same_entry(
    db: &Db,
    catalog_code: &str,
    except_task_code: &str,
) -> Result<Vec<Summary>, CatalogError> {
    Ok(crate::platform::db::query_as::<Summary>(format!(
        "SELECT {SUMMARY_COLUMNS} FROM published_items p JOIN organizations o ON o.id = p.org_id \
         WHERE p.catalog_code = $1 AND p.task_code <> $2 ORDER BY o.path"
    ))
    .bind(catalog_code)
    .bind(except_task_code)
    .fetch_all(&db)
    .await?)
}
