//! Creating implementations: one at a time from the console, or many at once from an import.

use super::review::{Step, move_status, publish_in};
use super::*;

/// A new item.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// 基本编码.
    pub catalog_code: String,
    /// 实施编码; empty to derive it from the organisation's credit code.
    pub task_code: String,
    /// Implementing organisation.
    pub org_id: i64,
    /// Division it serves; empty for the organisation's own.
    pub division_code: String,
    /// First draft.
    pub guide: Guide,
}

/// Whether implementation codes must follow the 31-character layout (see
/// spec §1.2; the layout is [U] until GB/T 39554.1 is confirmed).
pub const STRICT_TASK_CODES: bool = true;

/// Creates an item with its first version as a draft; returns (item, version) ids.
/// `actor` is [`Actor::System`] for imports approved elsewhere.
pub async fn create_item(
    db: &Db,
    actor: Actor<'_>,
    n: NewItem,
) -> Result<(i64, i64), CatalogError> {
    let org = orgs::get(db, n.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if !may(actor, EDIT_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let prepared = prepare(&org, n)?;
    let actor_id = actor.account_id();
    db.write(crate::tx!(c => { insert_prepared(c, &prepared, actor_id, now_ms()).await }))
        .await
}

/// A new item with its codes worked out, ready to insert.
#[derive(Debug, Clone)]
pub struct Prepared {
    catalog_code: CatalogCode,
    task_code: TaskCode,
    org_id: i64,
    division: String,
    use_level: i64,
    guide: Guide,
}

impl Prepared {
    /// The implementation code it will have.
    pub fn task_code(&self) -> &str {
        self.task_code.as_str()
    }
}

/// Checks the codes of a new item of `org` and derives what is missing.
pub fn prepare(org: &Org, n: NewItem) -> Result<Prepared, CatalogError> {
    let catalog_code = CatalogCode::parse(&n.catalog_code)?;
    let task_code = if n.task_code.trim().is_empty() {
        let body = CreditCode::parse(&org.credit_code)
            .map_err(|e| CodeError::CreditCode(e.to_string()))?;
        let level = char::from_digit(org.admin_level as u32, 10).unwrap_or('3');
        TaskCode::compose(&body, level, &catalog_code)?
    } else {
        TaskCode::parse(&n.task_code, Some(&catalog_code), STRICT_TASK_CODES)?
    };
    let division = if n.division_code.trim().is_empty() {
        org.division_code.clone()
    } else {
        n.division_code.trim().to_owned()
    };
    let mut guide = n.guide;
    tongban_domain::catalog::assign_codes(
        &mut guide,
        &tongban_domain::catalog::CodeBook::default(),
    );
    Ok(Prepared {
        catalog_code,
        task_code,
        org_id: org.id,
        division,
        use_level: org.admin_level,
        guide,
    })
}

/// Inserts a prepared item with version 1 as a draft, inside a transaction.
pub async fn insert_prepared(
    c: &mut AnyConnection,
    p: &Prepared,
    actor_id: Option<i64>,
    now: Millis,
) -> Result<(i64, i64), CatalogError> {
    let g = &p.guide;
    let entry =
        crate::platform::db::query("SELECT id FROM catalog_entries WHERE catalog_code = $1")
            .bind(p.catalog_code.as_str())
            .fetch_optional(&mut *c)
            .await?;
    let entry_id: i64 = match entry {
        Some(r) => r.try_get(0)?,
        None => crate::platform::db::query(
            "INSERT INTO catalog_entries (catalog_code, name, item_type, legal_basis, use_level, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(p.catalog_code.as_str())
        .bind(g.name.trim())
        .bind(&g.item_type)
        .bind(&g.legal_basis)
        .bind(p.use_level)
        .bind(now)
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?,
    };
    let taken = crate::platform::db::query("SELECT 1 FROM service_items WHERE task_code = $1")
        .bind(p.task_code.as_str())
        .fetch_optional(&mut *c)
        .await?;
    if taken.is_some() {
        return Err(CatalogError::DuplicateTaskCode);
    }
    let item_id: i64 = crate::platform::db::query(
        "INSERT INTO service_items (task_code, entry_id, org_id, division_code, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'unpublished', $5, $5) RETURNING id",
    )
    .bind(p.task_code.as_str())
    .bind(entry_id)
    .bind(p.org_id)
    .bind(&p.division)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(|e| {
        let e = e;
        if e.is_unique_violation() { CatalogError::DuplicateTaskCode } else { CatalogError::Db(e) }
    })?
    .try_get(0)?;
    let doc = serde_json::to_string(g).map_err(|e| DbError::Internal(e.to_string()))?;
    let version_id: i64 = crate::platform::db::query(
        "INSERT INTO item_versions (item_id, version_no, status, document, revision, created_by, created_at, updated_by, updated_at) \
         VALUES ($1, 1, 'draft', $2, 1, $3, $4, $3, $4) RETURNING id",
    )
    .bind(item_id)
    .bind(doc)
    .bind(actor_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?
    .try_get(0)?;
    files::set_refs(c, FILE_OWNER, version_id, &g.file_keys()).await?;
    event(c, item_id, Some(version_id), "created", actor_id, "", now).await?;
    Ok((item_id, version_id))
}

/// Publishes a freshly inserted draft inside the same transaction (imports
/// of guides approved elsewhere).
pub async fn publish_inserted(
    c: &mut AnyConnection,
    p: &Prepared,
    (item_id, version_id): (i64, i64),
    actor_id: Option<i64>,
    now: Millis,
) -> Result<(), CatalogError> {
    let item = Item {
        id: item_id,
        task_code: p.task_code.as_str().to_owned(),
        catalog_code: p.catalog_code.as_str().to_owned(),
        org_id: p.org_id,
        division_code: p.division.clone(),
        published_version_id: None,
        status: "unpublished".into(),
    };
    let v = Version {
        id: version_id,
        item_id,
        version_no: 1,
        status: VersionStatus::Draft,
        guide: p.guide.clone(),
        revision: 1,
        updated_by: actor_id,
        updated_at: now,
        submitted_by: None,
        published_at: None,
        effective_at: None,
        cancel_at: None,
    };
    let step = Step {
        version_id,
        revision: 1,
        from: VersionStatus::Draft,
        to: VersionStatus::Published,
    };
    move_status(
        c,
        step,
        ", published_at = $2, published_by = $6",
        actor_id,
        now,
    )
    .await?;
    publish_in(c, &item, &v, now).await?;
    event(
        c,
        item_id,
        Some(version_id),
        "published",
        actor_id,
        "import",
        now,
    )
    .await
}
