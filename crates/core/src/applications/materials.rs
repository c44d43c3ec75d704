//! The materials of a draft: files given for each material its guide asks
//! (several per material), checked by content against the material's file
//! types and size limit as they stream in, and removed again while it is a
//! draft. A material fetched from e-certificates or shared data is not
//! asked for (一次告知、不再提交).

use std::path::Path;

use sqlx::Row;
use tongban_domain::FieldProblem;
use tongban_domain::catalog::{Fetchable, Guide, Material};

use super::ApplicationError;
use super::drafts::{guide_of, load};
use crate::identity::Principal;
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::files::{self, FileError};

/// The owner kind of an application's files in `file_refs`.
pub const FILE_OWNER: &str = "application";
/// Files per material at most.
pub const FILES_PER_MATERIAL: i64 = 20;

/// A file given for a material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenFile {
    /// Id (of this giving: remove it by this id).
    pub id: i64,
    /// The material's code.
    pub material: String,
    /// Name as uploaded.
    pub name: String,
    /// Type by content: `pdf`, `ofd`, `jpeg`, `png`.
    pub kind: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
    /// When.
    pub created_at: Millis,
}

/// The materials a draft's guide asks (the item's, then its situation's).
pub fn materials_of<'g>(g: &'g Guide, situation: &str) -> impl Iterator<Item = &'g Material> {
    g.materials.iter().chain(
        g.situations
            .iter()
            .filter(move |s| s.code == situation)
            .flat_map(|s| s.materials.iter()),
    )
}

/// The material of a draft's guide (the item's, or its situation's) with
/// this code.
pub fn material_of<'g>(g: &'g Guide, situation: &str, code: &str) -> Option<&'g Material> {
    materials_of(g, situation).find(|m| m.code == code)
}

fn kind_code(content_type: &str) -> String {
    files::SNIFFED
        .iter()
        .find(|(_, t)| *t == content_type)
        .map_or_else(|| content_type.to_owned(), |(k, _)| (*k).to_owned())
}

/// The files given for a draft's materials.
pub(super) async fn given(db: &Db, application_id: i64) -> Result<Vec<GivenFile>, DbError> {
    let rows = sqlx::query(
        "SELECT g.id, g.material_code, g.created_at, f.name, f.content_type, f.size, f.sha256 \
         FROM application_files g JOIN files f ON f.id = g.file_id WHERE g.application_id = $1 ORDER BY g.id",
    )
    .bind(application_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GivenFile {
                id: r.try_get("id")?,
                material: r.try_get("material_code")?,
                name: r.try_get("name")?,
                kind: kind_code(&r.try_get::<String, _>("content_type")?),
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Gives a file for material `code` of a draft, streamed: refused with the
/// reason when the material is not asked for (unknown, or fetched), when
/// it already has [`FILES_PER_MATERIAL`] files, or when the file is empty,
/// larger than the material's limit, or not of a type it takes (decided by
/// content, whatever its name says).
pub async fn give<S, B, E>(
    db: &Db,
    root: &Path,
    actor: &Principal,
    public_id: &str,
    code: &str,
    name: &str,
    pieces: S,
) -> Result<GivenFile, ApplicationError>
where
    S: futures::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let (row_id, a) = load(db, actor, public_id).await?;
    if !a.state.editable() {
        return Err(ApplicationError::WrongState);
    }
    let g = guide_of(db, &a).await?;
    let field = format!("/materials/{code}");
    let Some(m) = material_of(&g, &a.situation, code) else {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new(field, "material.unknown", "该事项没有这项材料")
                .with("value", code.to_owned()),
        ]));
    };
    if m.fetchable != Fetchable::No {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new(
                field,
                "material.fetched",
                "这项材料由政府部门调取，无需提交",
            )
            .with("label", m.name.clone()),
        ]));
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM application_files WHERE application_id = $1 AND material_code = $2")
        .bind(row_id)
        .bind(code)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if count >= FILES_PER_MATERIAL {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new(field, "material.too_many_files", "这项材料的文件已达上限")
                .with("max", FILES_PER_MATERIAL.to_string()),
        ]));
    }
    let max = u64::from(m.max_mb) * 1024 * 1024;
    let stored = files::store_stream(
        db,
        root,
        name,
        pieces,
        max,
        &m.file_types,
        Some(actor.account.id),
    )
    .await
    .map_err(|e| match e {
        FileError::Refused(mut p) => {
            p.field = field.clone();
            p.args.push(("label", m.name.clone()));
            ApplicationError::Invalid(vec![p])
        }
        FileError::Db(e) => ApplicationError::Db(e),
        other => ApplicationError::Db(DbError::Internal(other.to_string())),
    })?;
    let (code_s, file_id, actor_id) = (code.to_owned(), stored.id, actor.account.id);
    let given_id = db
        .write(crate::tx!(c => {
            let now = now_ms();
            let draft = sqlx::query("SELECT 1 FROM applications WHERE id = $1 AND state IN ('draft', 'correction')")
                .bind(row_id)
                .fetch_optional(&mut *c)
                .await?;
            if draft.is_none() {
                return Err(ApplicationError::WrongState);
            }
            let id: i64 = sqlx::query(
                "INSERT INTO application_files (application_id, material_code, file_id, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(row_id)
            .bind(&code_s)
            .bind(file_id)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
            .try_get("id")?;
            sqlx::query(
                "INSERT INTO file_refs (file_id, owner_kind, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(file_id)
            .bind(FILE_OWNER)
            .bind(row_id)
            .execute(&mut *c)
            .await?;
            sqlx::query(
                "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
                 VALUES ($1, 'material_given', $2, $3, $4)",
            )
            .bind(row_id)
            .bind(actor_id)
            .bind(&code_s)
            .bind(now)
            .execute(&mut *c)
            .await?;
            Ok::<_, ApplicationError>(id)
        }))
        .await?;
    Ok(GivenFile {
        id: given_id,
        material: code.to_owned(),
        name: stored.name,
        kind: kind_code(&stored.content_type),
        size: stored.size,
        sha256: stored.sha256,
        created_at: now_ms(),
    })
}

/// Removes a file given for a draft's material (by the id of the giving).
pub async fn take_back(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    given_id: i64,
) -> Result<(), ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    if !a.state.editable() {
        return Err(ApplicationError::WrongState);
    }
    let actor_id = actor.account.id;
    db.write(crate::tx!(c => {
        let row = sqlx::query("SELECT file_id, material_code FROM application_files WHERE id = $1 AND application_id = $2")
            .bind(given_id)
            .bind(row_id)
            .fetch_optional(&mut *c)
            .await?;
        let Some(r) = row else { return Err(ApplicationError::NotFound) };
        let file_id: i64 = r.try_get("file_id")?;
        let code: String = r.try_get("material_code")?;
        sqlx::query("DELETE FROM application_files WHERE id = $1").bind(given_id).execute(&mut *c).await?;
        // The reference goes when no other giving of this draft names the file.
        sqlx::query(
            "DELETE FROM file_refs WHERE file_id = $1 AND owner_kind = $2 AND owner_id = $3 \
             AND NOT EXISTS (SELECT 1 FROM application_files WHERE application_id = $3 AND file_id = $1)",
        )
        .bind(file_id)
        .bind(FILE_OWNER)
        .bind(row_id)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
             VALUES ($1, 'material_taken_back', $2, $3, $4)",
        )
        .bind(row_id)
        .bind(actor_id)
        .bind(&code)
        .bind(now_ms())
        .execute(&mut *c)
        .await?;
        Ok::<_, ApplicationError>(())
    }))
    .await
}
