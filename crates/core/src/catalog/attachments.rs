//! Blank forms and samples linked from guides: attaching one to a draft,
//! and who may download them.

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
    let public = crate::platform::db::query(
        "SELECT 1 FROM file_refs r JOIN published_items p ON p.version_id = r.owner_id \
         WHERE r.file_id = $1 AND r.owner_kind = $2 LIMIT 1",
    )
    .bind(f.id)
    .bind(FILE_OWNER)
    .fetch_optional(&db)
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
    let paths = crate::platform::db::query(
        "SELECT o.path FROM file_refs r JOIN item_versions v ON v.id = r.owner_id \
         JOIN service_items i ON i.id = v.item_id JOIN organizations o ON o.id = i.org_id \
         WHERE r.file_id = $1 AND r.owner_kind = $2",
    )
    .bind(f.id)
    .bind(FILE_OWNER)
    .fetch_all(&db)
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

/// Which attachment of a material (空白表格 blank form or 示例样表 sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// 空白表格
    BlankForm,
    /// 示例样表
    Sample,
}

impl AttachmentKind {
    /// Parses the form value `blank_form` or `sample`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "blank_form" => Some(Self::BlankForm),
            "sample" => Some(Self::Sample),
            _ => None,
        }
    }
}

/// Where an attachment goes: which draft at which revision, which material.
#[derive(Debug, Clone, Copy)]
pub struct AttachTo {
    /// The draft version.
    pub version_id: i64,
    /// The revision the editor saw.
    pub revision: i64,
    /// The material's index in the guide.
    pub material: usize,
    /// Blank form or sample.
    pub kind: AttachmentKind,
}

/// Why an attachment was not attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The file itself was refused (empty, too large, a kind not accepted).
    #[error("{}", .0.message)]
    File(tongban_domain::FieldProblem),
    /// The draft refused it (rights, state, a stale revision, no such material).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Attaches an uploaded file to material `index` of draft `version_id` at
/// `revision`: the rights are decided before a byte is stored, then the
/// file is stored and the draft saved with the link (a stale revision
/// stores nothing the draft refers to; the hourly purge removes it).
pub async fn attach(
    db: &Db,
    root: &std::path::Path,
    actor: &Principal,
    to: AttachTo,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<i64, AttachError> {
    let AttachTo {
        version_id,
        revision,
        material: index,
        kind,
    } = to;
    let (v, _, org) = version_with_org(db, version_id).await?;
    if !rights(Actor::Person(actor), &org.path).edit {
        return Err(CatalogError::Forbidden.into());
    }
    if index >= v.guide.materials.len() {
        return Err(AttachError::File(tongban_domain::FieldProblem::new(
            "material",
            "not_found",
            "材料不存在",
        )));
    }
    let stored = files::store(db, root, file_name, bytes, Some(actor.account.id))
        .await
        .map_err(|e| match e {
            files::FileError::Refused(p) => AttachError::File(p),
            files::FileError::Db(d) => CatalogError::Db(d).into(),
            other => CatalogError::Db(DbError::Internal(other.to_string())).into(),
        })?;
    let mut guide = v.guide;
    let m = &mut guide.materials[index];
    match kind {
        AttachmentKind::BlankForm => m.blank_form = stored.key,
        AttachmentKind::Sample => m.sample = stored.key,
    }
    Ok(save_draft(db, Actor::Person(actor), version_id, revision, guide).await?)
}
