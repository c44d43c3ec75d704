//! Organisations: departments and governments, their tree and their scope.

use crate::platform::db::Conn as AnyConnection;
use crate::platform::db::Row;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldProblem;
use tongban_domain::kernel::{AdminLevel, CreditCode, CreditCodeError, DivisionCode, OrgKind};

use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};
use crate::platform::outbox;

/// One organisation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Org {
    /// Internal id.
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Full Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Short Chinese name.
    pub short_name_zh: String,
    /// `government`, `department`, `service_center`, `service_point`.
    pub kind: String,
    /// 行使层级 code (A.2).
    pub admin_level: i64,
    /// Division it belongs to.
    pub division_code: String,
    /// Parent organisation.
    pub parent_id: Option<i64>,
    /// Ancestry path of credit codes.
    #[serde(skip)]
    pub path: String,
    /// Public phone.
    pub phone: Option<String>,
    /// Address.
    pub address_zh: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

pub(crate) const COLS: &str = "id, credit_code, name_zh, name_en, short_name_zh, kind, admin_level, division_code, \
     parent_id, path, phone, address_zh, version";

pub(crate) fn from_row(r: &Row) -> Result<Org, DbError> {
    Ok(Org {
        id: r.try_get("id")?,
        credit_code: r.try_get("credit_code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        short_name_zh: r.try_get("short_name_zh")?,
        kind: r.try_get("kind")?,
        admin_level: r.try_get("admin_level")?,
        division_code: r.try_get("division_code")?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        phone: r.try_get("phone")?,
        address_zh: r.try_get("address_zh")?,
        version: r.try_get("version")?,
    })
}

/// One organisation by id.
pub async fn get(db: &Db, id: i64) -> Result<Option<Org>, DbError> {
    let row = crate::platform::db::query(format!("SELECT {COLS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Organisations in a division (not below it), in display order.
pub async fn in_division(db: &Db, code: &DivisionCode) -> Result<Vec<Org>, DbError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {COLS} FROM organizations WHERE division_code = $1 ORDER BY sort_order, id"
    ))
    .bind(code.as_str())
    .fetch_all(&db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Direct children of an organisation.
pub async fn children(db: &Db, id: i64) -> Result<Vec<Org>, DbError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {COLS} FROM organizations WHERE parent_id = $1 ORDER BY sort_order, id"
    ))
    .bind(id)
    .fetch_all(&db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A page of organisations, optionally only those inside `within` (its subtree).
pub async fn list(
    db: &Db,
    within: Option<&Org>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Org>, DbError> {
    let prefix = within
        .map(|o| format!("{}%", o.path))
        .unwrap_or_else(|| "%".into());
    let rows = crate::platform::db::query(format!(
        "SELECT {COLS} FROM organizations WHERE path LIKE $1 ORDER BY path LIMIT $2 OFFSET $3"
    ))
    .bind(prefix)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Whether `inner` is `outer` or below it.
pub fn is_within(inner: &Org, outer: &Org) -> bool {
    inner.path.starts_with(&outer.path)
}

/// Input for a new organisation.
#[derive(Debug, Clone, Deserialize)]
pub struct NewOrg {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Full Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Short Chinese name (defaults to the full name).
    #[serde(default)]
    pub short_name_zh: Option<String>,
    /// Kind code.
    pub kind: String,
    /// 行使层级 code.
    pub admin_level: i64,
    /// Division code.
    pub division_code: String,
    /// Parent organisation id.
    pub parent_id: Option<i64>,
    /// Public phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Address.
    #[serde(default)]
    pub address_zh: Option<String>,
}

/// Why an organisation cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// Field problems, every one at once.
    #[error("invalid organisation")]
    Invalid(Vec<FieldProblem>),
    /// The credit code is taken.
    #[error("统一社会信用代码已被使用")]
    DuplicateCreditCode,
    /// The actor administers no organisation above the parent.
    #[error("forbidden")]
    Forbidden,
    /// The division or parent does not exist.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// Changed by someone else since it was read.
    #[error("已被他人修改")]
    Stale,
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Validated fields of a new organisation.
struct Checked {
    credit: CreditCode,
    division: DivisionCode,
    level: AdminLevel,
    kind: OrgKind,
}

fn check(n: &NewOrg) -> Result<Checked, OrgError> {
    let mut errs = Vec::new();
    let credit = CreditCode::parse(&n.credit_code)
        .map_err(|e: CreditCodeError| {
            errs.push(e.problem("credit_code"));
        })
        .ok();
    let division = DivisionCode::parse(&n.division_code)
        .map_err(|e| {
            errs.push(FieldProblem::new(
                "division_code",
                "invalid_code",
                e.to_string(),
            ))
        })
        .ok();
    let level = AdminLevel::from_code(n.admin_level);
    if level.is_none() {
        errs.push(FieldProblem::new(
            "admin_level",
            "invalid_code",
            "行使层级代码应为1至7",
        ));
    }
    let kind = OrgKind::from_code(&n.kind);
    if kind.is_none() {
        errs.push(FieldProblem::new("kind", "invalid_code", "机构类型无效"));
    }
    if n.name_zh.trim().is_empty() || n.name_zh.chars().count() > 100 {
        errs.push(FieldProblem::new(
            "name_zh",
            "required",
            "名称不能为空且不超过100个字符",
        ));
    }
    if n.name_en.chars().count() > 200 {
        errs.push(FieldProblem::new(
            "name_en",
            "too_long",
            "英文名称不超过200个字符",
        ));
    }
    match (credit, division, level, kind) {
        (Some(credit), Some(division), Some(level), Some(kind)) if errs.is_empty() => Ok(Checked {
            credit,
            division,
            level,
            kind,
        }),
        _ => Err(OrgError::Invalid(errs)),
    }
}

/// Creates an organisation inside an open transaction; returns its id.
pub async fn insert(conn: &mut AnyConnection, n: &NewOrg) -> Result<i64, OrgError> {
    let ok = check(n)?;
    let now = now_ms();
    let exists = crate::platform::db::query("SELECT 1 FROM divisions WHERE code = $1")
        .bind(ok.division.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(OrgError::NotFound("division"));
    }
    let parent_path = match n.parent_id {
        None => "/".to_owned(),
        Some(pid) => {
            let row = crate::platform::db::query("SELECT path FROM organizations WHERE id = $1")
                .bind(pid)
                .fetch_optional(&mut *conn)
                .await?;
            match row {
                Some(r) => r.try_get::<String, _>(0)?,
                None => return Err(OrgError::NotFound("parent")),
            }
        }
    };
    let taken = crate::platform::db::query("SELECT 1 FROM organizations WHERE credit_code = $1")
        .bind(ok.credit.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(OrgError::DuplicateCreditCode);
    }
    let path = format!("{parent_path}{}/", ok.credit.as_str());
    let short = n
        .short_name_zh
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| n.name_zh.trim().to_owned());
    let row = crate::platform::db::query(
        "INSERT INTO organizations (credit_code, name_zh, name_en, short_name_zh, kind, admin_level, division_code, \
         parent_id, path, sort_order, phone, address_zh, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
           (SELECT COUNT(*) FROM organizations WHERE division_code = $7), $10, $11, $12, $12) RETURNING id",
    )
    .bind(ok.credit.as_str())
    .bind(n.name_zh.trim())
    .bind(n.name_en.trim())
    .bind(short)
    .bind(ok.kind.code())
    .bind(ok.level.code())
    .bind(ok.division.as_str())
    .bind(n.parent_id)
    .bind(path)
    .bind(n.phone.as_deref())
    .bind(n.address_zh.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        let e = e;
        if e.is_unique_violation() { OrgError::DuplicateCreditCode } else { OrgError::Db(e) }
    })?;
    let id: i64 = row.try_get(0)?;
    outbox::append(
        conn,
        "org.created",
        &serde_json::json!({"org_id": id, "credit_code": ok.credit.as_str()}),
        now,
    )
    .await?;
    Ok(id)
}

/// Creates an organisation in its own durable transaction, for an actor
/// who administers the platform at `admin_at` (the ancestry paths of the
/// organisations where it holds the system-administrator role): the new
/// organisation's parent must lie inside one of them.
pub async fn create(db: &Db, admin_at: &[&str], n: NewOrg) -> Result<Org, OrgError> {
    if admin_at.is_empty() {
        return Err(OrgError::Forbidden);
    }
    if let Some(parent_id) = n.parent_id {
        let parent = get(db, parent_id)
            .await?
            .ok_or(OrgError::NotFound("parent"))?;
        if !admin_at.iter().any(|p| parent.path.starts_with(p)) {
            return Err(OrgError::Forbidden);
        }
    } else if !admin_at.contains(&"/") {
        return Err(OrgError::Forbidden);
    }
    let id = db.write(crate::tx!(c => { insert(c, &n).await })).await?;
    get(db, id).await?.ok_or(OrgError::NotFound("organisation"))
}

/// The departments with a window at a 政务服务中心 (进驻部门), in display
/// order; none for an organisation that is not a centre.
pub async fn windows(db: &Db, center_id: i64) -> Result<Vec<Org>, DbError> {
    let cols = COLS
        .split(", ")
        .map(|c| format!("o.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = crate::platform::db::query(format!(
        "SELECT {cols} FROM organizations o JOIN center_windows w ON w.org_id = o.id \
         WHERE w.center_id = $1 ORDER BY o.sort_order, o.id"
    ))
    .bind(center_id)
    .fetch_all(&db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Whether department `o` may have a window at a centre of division
/// `centre`, set by an administrator at `admin_at`: a department the
/// administrator is over, of the centre's own division or below it.
fn seatable(o: &Org, admin_at: &[&str], centre: Option<&DivisionCode>) -> bool {
    o.kind == "department"
        && admin_at.iter().any(|p| o.path.starts_with(p))
        && DivisionCode::parse(&o.division_code)
            .ok()
            .zip(centre)
            .is_some_and(|(d, c)| d.is_within(c))
}

/// The departments an administrator at `admin_at` may give a window at
/// `centre`, in tree order (what the editing page offers).
pub async fn window_candidates(
    db: &Db,
    admin_at: &[&str],
    centre: &Org,
) -> Result<Vec<Org>, DbError> {
    let division = DivisionCode::parse(&centre.division_code).ok();
    Ok(list(db, None, 10_000, 0)
        .await?
        .into_iter()
        .filter(|o| seatable(o, admin_at, division.as_ref()))
        .collect())
}

/// Sets the departments with a window at a 政务服务中心, for an actor
/// administering the platform at `admin_at` (ancestry paths) above the
/// centre: every one must be a department or a government; the list
/// replaces the earlier one in one transaction, with an outbox event. With
/// `seen` (the list as the editor read it), a list changed since is
/// refused (`Stale`) and nothing changes.
pub async fn set_windows(
    db: &Db,
    admin_at: &[&str],
    center_id: i64,
    org_ids: &[i64],
    seen: Option<&[i64]>,
) -> Result<Vec<Org>, OrgError> {
    let center = get(db, center_id)
        .await?
        .ok_or(OrgError::NotFound("organisation"))?;
    if !admin_at.iter().any(|p| center.path.starts_with(p)) {
        return Err(OrgError::Forbidden);
    }
    let mut problems = Vec::new();
    if center.kind != "service_center" {
        problems.push(FieldProblem::new(
            "/",
            "org.not_a_center",
            "只有政务服务中心设有部门窗口",
        ));
    }
    let mut ids: Vec<i64> = org_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let centre_division = DivisionCode::parse(&center.division_code).ok();
    for (i, id) in ids.iter().enumerate() {
        match get(db, *id).await? {
            // A government is no window.
            Some(o) if o.kind != "department" => problems.push(
                FieldProblem::new(
                    format!("/departments/{i}"),
                    "org.not_a_department",
                    "进驻的只能是部门",
                )
                .with("value", id.to_string()),
            ),
            // Only departments the administrator is over, of the centre's
            // own division (or below it): a district's administrator
            // cannot seat a city bureau at the district's centre.
            Some(o) if !seatable(&o, admin_at, centre_division.as_ref()) => {
                problems.push(
                    FieldProblem::new(
                        format!("/departments/{i}"),
                        "org.out_of_scope",
                        "只能设置您管理范围内、本中心所在行政区划的部门",
                    )
                    .with("value", id.to_string()),
                );
            }
            Some(_) => {}
            None => problems.push(
                FieldProblem::new(
                    format!("/departments/{i}"),
                    "org.unknown",
                    "没有这个组织机构",
                )
                .with("value", id.to_string()),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(OrgError::Invalid(problems));
    }
    let seen: Option<Vec<i64>> = seen.map(|v| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    });
    db.write(crate::tx!(c => {
        let now = now_ms();
        if let Some(seen) = &seen {
            let now_listed: Vec<i64> = crate::platform::db::query_scalar(
                "SELECT org_id FROM center_windows WHERE center_id = $1 ORDER BY org_id",
            )
            .bind(center_id)
            .fetch_all(&mut *c)
            .await?;
            if &now_listed != seen {
                return Err(OrgError::Stale);
            }
        }
        crate::platform::db::query("DELETE FROM center_windows WHERE center_id = $1")
            .bind(center_id)
            .execute(&mut *c)
            .await?;
        for id in &ids {
            crate::platform::db::query("INSERT INTO center_windows (center_id, org_id, created_at) VALUES ($1, $2, $3)")
                .bind(center_id)
                .bind(*id)
                .bind(now)
                .execute(&mut *c)
                .await?;
        }
        outbox::append(
            c,
            "org.windows_changed",
            &serde_json::json!({"center_id": center_id, "org_ids": ids}),
            now,
        )
        .await?;
        Ok::<_, OrgError>(())
    }))
    .await?;
    Ok(windows(db, center_id).await?)
}
