//! Blank forms and samples linked from guides: who may download them.

use super::*;

/// A blank form or sample linked from a guide (`/files/{key}`): anyone may
/// download it when a published version links it; otherwise only the
/// uploader and the editors and reviewers of an item whose version links it
/// (drafts, reviews, scheduled versions). Anything else is "not found", so
/// keys cannot be probed. Returns the file and whether it is public.
pub async fn attachment(
    db: &Db,
    actor: Actor<'_>,
    key: &str,
) -> Result<(files::StoredFile, bool), CatalogError> {
    let f = match files::by_key(db, key).await {
        Ok(f) => f,
        Err(files::FileError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(CatalogError::NotFound),
    };
    let public = sqlx::query(
        "SELECT 1 FROM file_refs r JOIN published_items p ON p.version_id = r.owner_id \
         WHERE r.file_id = $1 AND r.owner_kind = $2 LIMIT 1",
    )
    .bind(f.id)
    .bind(FILE_OWNER)
    .fetch_optional(db.pool())
    .await?
    .is_some();
    if public {
        return Ok((f, true));
    }
    let Some(p) = actor.principal() else {
        return Err(CatalogError::NotFound);
    };
    if f.created_by == Some(p.account.id) {
        return Ok((f, false));
    }
    let paths = sqlx::query(
        "SELECT o.path FROM file_refs r JOIN item_versions v ON v.id = r.owner_id \
         JOIN service_items i ON i.id = v.item_id JOIN organizations o ON o.id = i.org_id \
         WHERE r.file_id = $1 AND r.owner_kind = $2",
    )
    .bind(f.id)
    .bind(FILE_OWNER)
    .fetch_all(db.pool())
    .await?;
    for r in paths {
        let path: String = r.try_get(0)?;
        if [Role::CatalogEditor, Role::SystemAdmin, Role::DeptAdmin]
            .iter()
            .any(|role| p.can(*role, &path))
        {
            return Ok((f, false));
        }
    }
    Err(CatalogError::NotFound)
}
