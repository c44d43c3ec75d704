//! The materials of a draft: files given for each material its guide asks
//! (several per material), checked by content against the material's file
//! types and size limit as they stream in, and removed again while it is a
//! draft. A material fetched from e-certificates or shared data is not
//! asked for (一次告知、不再提交).

use std::path::Path;

use tongban_domain::FieldProblem;
use tongban_domain::applications::{Authority, TrustGrade};
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
    /// Trust grade (`A`…`D`, 国办函〔2016〕108号).
    pub trust: String,
    /// Where it came from: `upload`, `window` (scanned by the clerk),
    /// `reuse:<case number>` or `form` (the application form as submitted).
    pub origin: String,
}

/// The guide an application works with: its item's, with the signed
/// 授权委托书 asked besides when it is made under a power of attorney.
pub(crate) fn for_authority(mut g: Guide, authority: &str) -> Guide {
    use tongban_domain::applications::{Authority, POWER_OF_ATTORNEY, power_of_attorney};
    if authority == Authority::Attorney.code()
        && !g.materials.iter().any(|m| m.code == POWER_OF_ATTORNEY)
    {
        g.materials.push(power_of_attorney());
    }
    g
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
    let rows = crate::platform::db::query(
        "SELECT g.id, g.material_code, g.created_at, g.trust, g.origin, f.name, f.content_type, f.size, f.sha256 \
         FROM application_files g JOIN files f ON f.id = g.file_id WHERE g.application_id = $1 ORDER BY g.id",
    )
    .bind(application_id)
    .fetch_all(&db)
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
                trust: r.try_get("trust")?,
                origin: r.try_get("origin")?,
            })
        })
        .collect()
}

/// Gives a file for material `code` of a draft, streamed: refused with the
/// reason when the material is not asked for (unknown, or fetched), when
/// it already has [`FILES_PER_MATERIAL`] files, or when the file is empty,
/// larger than the material's limit, or not of a type it takes (decided by
/// content, whatever its name says).
#[expect(
    clippy::too_many_arguments,
    reason = "the material, the file's name and its stream come as the request gives them; the quota is a setting"
)]
pub async fn give<S, B, E>(
    db: &Db,
    root: &Path,
    actor: &Principal,
    public_id: &str,
    code: &str,
    name: &str,
    pieces: S,
    bytes_per_account: i64,
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
    if m.fetchable == Fetchable::FromForm {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new(
                field,
                "material.from_form",
                "这项材料由申请表生成，无需上传",
            )
            .with("label", m.name.clone()),
        ]));
    }
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
    let max = u64::from(m.max_mb) * 1024 * 1024;
    let label = m.name.clone();
    let received = files::receive(root, name, pieces, max, &m.file_types)
        .await
        .map_err(|e| match e {
            FileError::Refused(mut p) => {
                p.field = field.clone();
                p.args.push(("label", label.clone()));
                ApplicationError::Invalid(vec![p])
            }
            FileError::Db(e) => ApplicationError::Db(e),
            other => ApplicationError::Db(DbError::Internal(other.to_string())),
        })?;
    // B only for a clerk scanning at the window for the person present,
    // not for the applicant uploading into that draft from home.
    let window = a.authority == Authority::Window.code() && a.acting_id == actor.account.id;
    let trust = TrustGrade::of_upload(window);
    let origin = if window { "window" } else { "upload" };
    let given_id = record(
        db,
        row_id,
        Giving {
            code,
            material_name: &m.name,
            file: Source::New(received.row.clone(), bytes_per_account),
            actor_id: actor.account.id,
            trust,
            origin,
        },
    )
    .await?;
    let row = received.row.clone();
    received
        .place()
        .await
        .map_err(|e| ApplicationError::Db(DbError::Internal(e.to_string())))?;
    Ok(GivenFile {
        id: given_id,
        material: code.to_owned(),
        name: row.name,
        kind: kind_code(row.content_type),
        size: row.size,
        sha256: row.sha256,
        created_at: now_ms(),
        trust: trust.code().to_owned(),
        origin: origin.to_owned(),
    })
}

/// A file being given for a material.
struct Giving<'a> {
    code: &'a str,
    material_name: &'a str,
    file: Source,
    actor_id: i64,
    trust: TrustGrade,
    origin: &'a str,
}

/// The file of a giving: one stored already, or one received now whose row
/// is recorded with the giving.
enum Source {
    Stored(i64),
    /// With the bytes the acting person's editable applications may hold.
    New(files::FileRow, i64),
}

fn too_many(code: &str) -> ApplicationError {
    ApplicationError::Invalid(vec![
        FieldProblem::new(
            format!("/materials/{code}"),
            "material.too_many_files",
            "这项材料的文件已达上限",
        )
        .with("max", FILES_PER_MATERIAL.to_string()),
    ])
}

/// Records a file as given for a material of an editable application, in
/// one transaction with its reference, its event and (for a file received
/// now) its row in the file store: refused when the application is no
/// longer editable or the material has [`FILES_PER_MATERIAL`] files.
/// Returns the giving's id.
async fn record(db: &Db, row_id: i64, g: Giving<'_>) -> Result<i64, ApplicationError> {
    let (code_s, name_s, origin_s) = (
        g.code.to_owned(),
        g.material_name.to_owned(),
        g.origin.to_owned(),
    );
    let (file, actor_id, trust) = (g.file, g.actor_id, g.trust);
    let engine = db.engine();
    db.write(crate::tx!(c => {
            let now = now_ms();
            super::authority::hold(c, row_id, actor_id, now).await?;
            // First the application's row, under its state guard: a
            // submission at this moment either sees this file or makes it
            // wait and then refuses it (see `submit`).
            bump_files(c, row_id).await?;
            let n: i64 = crate::platform::db::query(
                "SELECT COUNT(*) AS n FROM application_files WHERE application_id = $1 AND material_code = $2",
            )
                .bind(row_id)
                .bind(&code_s)
                .fetch_one(&mut *c)
                .await?
                .try_get("n")?;
            if n >= FILES_PER_MATERIAL {
                return Err(too_many(&code_s));
            }
            let file_id = match &file {
                Source::Stored(id) => *id,
                Source::New(row, limit) => {
                    // Bytes the person keeps in unfinished applications are
                    // bounded; what a case holds once submitted is the
                    // authority's record and is not counted. On PostgreSQL
                    // the person's account row is locked first, so uploads
                    // into different drafts at once take turns (SQLite has
                    // one writer).
                    if engine == crate::platform::db::Engine::Postgres {
                        crate::platform::db::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                            .bind(actor_id)
                            .fetch_optional(&mut *c)
                            .await?;
                    }
                    let used: i64 = crate::platform::db::query(
                        "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) AS used FROM application_files g \
                         JOIN files f ON f.id = g.file_id JOIN applications a ON a.id = g.application_id \
                         WHERE a.acting_id = $1 AND a.state IN ('draft', 'correction')",
                    )
                    .bind(actor_id)
                    .fetch_one(&mut *c)
                    .await?
                    .try_get("used")?;
                    if used + row.size > *limit {
                        return Err(ApplicationError::Invalid(vec![
                            FieldProblem::new(
                                format!("/materials/{code_s}"),
                                "upload.account_full",
                                "您未提交的申请中的文件已达存储上限，请先提交申请或删除不需要的文件",
                            )
                            .with("max", (*limit / (1024 * 1024)).to_string()),
                        ]));
                    }
                    row.insert(&mut *c, engine, Some(actor_id)).await?.id
                }
            };
            let id: i64 = crate::platform::db::query(
                "INSERT INTO application_files (application_id, material_code, file_id, created_at, trust, origin, material_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(row_id)
            .bind(&code_s)
            .bind(file_id)
            .bind(now)
            .bind(trust.code())
            .bind(&origin_s)
            .bind(&name_s)
            .fetch_one(&mut *c)
            .await?
            .try_get("id")?;
            crate::platform::db::query(
                "INSERT INTO file_refs (file_id, owner_kind, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(file_id)
            .bind(FILE_OWNER)
            .bind(row_id)
            .execute(&mut *c)
            .await?;
            crate::platform::db::query(
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
        .await
}

/// Counts a change of an editable application's files, in the caller's
/// transaction; `WrongState` once it is no longer editable (submitted
/// meanwhile, say).
async fn bump_files(
    c: &mut crate::platform::db::Conn,
    row_id: i64,
) -> Result<(), ApplicationError> {
    let n = crate::platform::db::query(
        "UPDATE applications SET files_revision = files_revision + 1 \
         WHERE id = $1 AND state IN ('draft', 'correction')",
    )
    .bind(row_id)
    .execute(c)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(ApplicationError::WrongState)
    }
}

/// Removes a file given for a draft's material (by the id of the giving);
/// `WrongState` once the application is no longer editable.
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
    // Once submitted, an earlier round's files stay in the store: the
    // record of that round names them.
    let submitted_before = a.case_number.is_some();
    db.write(crate::tx!(c => {
        super::authority::hold(c, row_id, actor_id, now_ms()).await?;
        bump_files(c, row_id).await?;
        let row = crate::platform::db::query("SELECT file_id, material_code, origin, material_name FROM application_files WHERE id = $1 AND application_id = $2")
            .bind(given_id)
            .bind(row_id)
            .fetch_optional(&mut *c)
            .await?;
        let Some(r) = row else { return Err(ApplicationError::NotFound) };
        let file_id: i64 = r.try_get("file_id")?;
        let code: String = r.try_get("material_code")?;
        // The form as submitted is not a file the person gave: it goes
        // with the next submission, not by hand.
        if r.try_get::<String, _>("origin")? == super::receipt::FORM_ORIGIN {
            return Err(ApplicationError::Invalid(vec![FieldProblem::new(
                format!("/materials/{code}"),
                "material.from_form",
                "这项材料由申请表生成，无需上传",
            )
            .with("label", r.try_get::<String, _>("material_name")?)]));
        }
        crate::platform::db::query("DELETE FROM application_files WHERE id = $1").bind(given_id).execute(&mut *c).await?;
        // The reference goes when no other giving of this draft names the
        // file and no submitted round does.
        if !submitted_before {
            crate::platform::db::query(
                "DELETE FROM file_refs WHERE file_id = $1 AND owner_kind = $2 AND owner_id = $3 \
                 AND NOT EXISTS (SELECT 1 FROM application_files WHERE application_id = $3 AND file_id = $1)",
            )
            .bind(file_id)
            .bind(FILE_OWNER)
            .bind(row_id)
            .execute(&mut *c)
            .await?;
        }
        crate::platform::db::query(
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

/// A file given in an earlier case of the same applicant, offered again
/// (never asking twice for what was given once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reusable {
    /// The earlier giving's id (what `reuse` takes).
    pub given_id: i64,
    /// The material it was given for, by name.
    pub material_name: String,
    /// File name.
    pub name: String,
    /// Type by content.
    pub kind: String,
    /// Size in bytes.
    pub size: i64,
    /// Trust grade it carries.
    pub trust: String,
    /// The case it was given in.
    pub case_number: String,
}

/// The files the applicant of a draft gave in their submitted cases, newest
/// first (at most 100), for the person acting to reuse.
pub async fn reusable(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<Vec<Reusable>, ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    let rows = crate::platform::db::query(
        "SELECT g.id, g.material_name, g.trust, f.name, f.content_type, f.size, p.case_number, p.id AS case_id \
         FROM application_files g JOIN files f ON f.id = g.file_id JOIN applications p ON p.id = g.application_id \
         WHERE p.applicant_id = $1 AND p.id <> $2 AND p.case_number IS NOT NULL AND g.material_name <> '' AND g.origin <> 'form' \
         AND (p.applicant_id = $3 OR p.acting_id = $3) ORDER BY g.id DESC LIMIT 100",
    )
    .bind(a.applicant_id)
    .bind(row_id)
    .bind(actor.account.id)
    .fetch_all(&db)
    .await?;
    // An earlier case the actor acted in counts only while their authority
    // over it holds (a consent withdrawn since ends it there too).
    let mut held: Vec<(i64, bool)> = Vec::new();
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        let case: i64 = r.try_get("case_id")?;
        let ok = match held.iter().find(|(c, _)| *c == case) {
            Some((_, ok)) => *ok,
            None => {
                let ok = a.applicant_id == actor.account.id
                    || super::authority::hold_read(db, case, actor.account.id, now_ms())
                        .await
                        .is_ok();
                held.push((case, ok));
                ok
            }
        };
        if ok {
            kept.push(r);
        }
    }
    kept.iter()
        .map(|r| {
            Ok(Reusable {
                given_id: r.try_get("id")?,
                material_name: r.try_get("material_name")?,
                name: r.try_get("name")?,
                kind: kind_code(&r.try_get::<String, _>("content_type")?),
                size: r.try_get("size")?,
                trust: r.try_get("trust")?,
                case_number: r.try_get("case_number")?,
            })
        })
        .collect::<Result<_, DbError>>()
        .map_err(Into::into)
}

/// Gives for material `code` of a draft a file the same applicant gave in
/// an earlier case, by reference (the stored file is shared, not copied),
/// keeping its trust grade and saying where it came from; refused like an
/// upload when the material does not take it (type, size, count), and
/// when the earlier giving is not the applicant's or the actor's to use.
pub async fn reuse(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    code: &str,
    from_given: i64,
) -> Result<GivenFile, ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    if !a.state.editable() {
        return Err(ApplicationError::WrongState);
    }
    let g = guide_of(db, &a).await?;
    let field = format!("/materials/{code}");
    let refuse = |c: &'static str, m: &str| {
        ApplicationError::Invalid(vec![FieldProblem::new(field.clone(), c, m)])
    };
    let Some(m) = material_of(&g, &a.situation, code) else {
        return Err(refuse("material.unknown", "该事项没有这项材料"));
    };
    if m.fetchable != Fetchable::No {
        return Err(refuse(
            "material.fetched",
            "这项材料由政府部门调取，无需提交",
        ));
    }
    let source = crate::platform::db::query(
        "SELECT g.file_id, g.trust, p.case_number, p.id AS case_id, f.name, f.content_type, f.size, f.sha256 \
         FROM application_files g JOIN applications p ON p.id = g.application_id JOIN files f ON f.id = g.file_id \
         WHERE g.id = $1 AND p.applicant_id = $2 AND (p.applicant_id = $3 OR p.acting_id = $3) \
         AND p.case_number IS NOT NULL AND p.id <> $4",
    )
    .bind(from_given)
    .bind(a.applicant_id)
    .bind(actor.account.id)
    .bind(row_id)
    .fetch_optional(&db)
    .await?;
    let Some(r) = source else {
        return Err(refuse("material.reuse_unknown", "没有可以复用的这个文件"));
    };
    if a.applicant_id != actor.account.id
        && super::authority::hold_read(db, r.try_get("case_id")?, actor.account.id, now_ms())
            .await
            .is_err()
    {
        return Err(refuse("material.reuse_unknown", "没有可以复用的这个文件"));
    }
    let kind = kind_code(&r.try_get::<String, _>("content_type")?);
    let size: i64 = r.try_get("size")?;
    if !m.file_types.contains(&kind) {
        return Err(refuse("material.reuse_type", "这项材料不接受该文件的类型"));
    }
    if size > i64::from(m.max_mb) * 1024 * 1024 {
        return Err(refuse(
            "material.reuse_size",
            "该文件超过这项材料的大小上限",
        ));
    }
    let trust = TrustGrade::from_code(&r.try_get::<String, _>("trust")?).unwrap_or(TrustGrade::C);
    let case: String = r.try_get("case_number")?;
    let origin = format!("reuse:{case}");
    let file_id: i64 = r.try_get("file_id")?;
    let id = record(
        db,
        row_id,
        Giving {
            code,
            material_name: &m.name,
            file: Source::Stored(file_id),
            actor_id: actor.account.id,
            trust,
            origin: &origin,
        },
    )
    .await?;
    Ok(GivenFile {
        id,
        material: code.to_owned(),
        name: r.try_get("name")?,
        kind,
        size,
        sha256: r.try_get("sha256")?,
        created_at: now_ms(),
        trust: trust.code().to_owned(),
        origin,
    })
}

/// An application with the files its applicant could reuse, for the
/// materials page.
pub async fn open_materials(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<(super::Opened, Vec<Reusable>), ApplicationError> {
    let opened = super::open(db, actor, public_id).await?;
    let reusable = reusable(db, actor, public_id).await?;
    Ok((opened, reusable))
}
