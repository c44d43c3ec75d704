//! Catalog use cases: create items, edit drafts, review and publish,
//! withdraw, and read what is published.
//!
//! A version's document is the whole [`Guide`]. A published version never
//! changes: editing a published item opens the next version as a draft.
//! Every action is appended to `item_events` in the same transaction.
//!
//! Beside the use cases: the national exchange format (`exchange`), Chinese
//! search (`search`), the printable guide (`guide_pdf`) and the demo
//! catalog (`demo_data`).

pub mod demo_data;
pub mod exchange;
pub mod guide_pdf;
pub mod search;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tongban_domain::catalog::{
    self, CatalogCode, CodeEntry, CodeError, CodeList, CodeLists, Guide, GuideError, TaskCode,
    VersionAction, VersionStatus,
};
use tongban_domain::kernel::{CreditCode, Role};

use crate::identity::{Actor, Principal};
use crate::kernel::orgs::{self, Org};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::files;
use crate::platform::outbox;

/// Why a catalog action failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The guide breaks publication rules (every problem listed).
    #[error("指南不符合发布要求")]
    Invalid(Vec<GuideError>),
    /// A code is malformed.
    #[error("{0}")]
    Code(#[from] CodeError),
    /// The implementation code exists already.
    #[error("实施编码已存在")]
    DuplicateTaskCode,
    /// Someone saved or moved the version first.
    #[error("该版本已被他人修改，请刷新后重试")]
    Conflict,
    /// The action is not allowed in the version's state.
    #[error("当前状态下不能执行该操作")]
    WrongState,
    /// The actor lacks the role over the item's organisation.
    #[error("没有权限")]
    Forbidden,
    /// The reviewer edited or submitted this version themselves.
    #[error("提交人不能审核发布自己的修改")]
    SameReviewer,
    /// The reviewer opened the submitter's account or granted its editor role.
    #[error("审核人不能发布由自己开设或授权的账号提交的修改")]
    ReviewerMadeSubmitter,
    /// Not found.
    #[error("未找到")]
    NotFound,
    /// A draft is already open for this item.
    #[error("该事项已有未发布的新版本")]
    DraftExists,
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

/// One version as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// Version id.
    pub id: i64,
    /// Item id.
    pub item_id: i64,
    /// 1, 2, 3 …
    pub version_no: i64,
    /// Lifecycle state.
    pub status: VersionStatus,
    /// The guide.
    pub guide: Guide,
    /// Increases with every saved edit (optimistic lock).
    pub revision: i64,
    /// Last editor.
    pub updated_by: Option<i64>,
    /// Last edit.
    pub updated_at: Millis,
    /// Who submitted it for review.
    pub submitted_by: Option<i64>,
    /// When it was published.
    pub published_at: Option<Millis>,
    /// Scheduled publication time.
    pub effective_at: Option<Millis>,
    /// Scheduled cancellation time.
    pub cancel_at: Option<Millis>,
}

const VCOLS: &str = "id, item_id, version_no, status, document, revision, updated_by, updated_at, submitted_by, published_at, effective_at, cancel_at";

fn version_from_row(r: &AnyRow) -> Result<Version, CatalogError> {
    let doc: String = r.try_get("document")?;
    let status: String = r.try_get("status")?;
    Ok(Version {
        id: r.try_get("id")?,
        item_id: r.try_get("item_id")?,
        version_no: r.try_get("version_no")?,
        status: VersionStatus::from_code(&status).ok_or(CatalogError::WrongState)?,
        guide: serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?,
        revision: r.try_get("revision")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
        submitted_by: r.try_get("submitted_by")?,
        published_at: r.try_get("published_at")?,
        effective_at: r.try_get("effective_at")?,
        cancel_at: r.try_get("cancel_at")?,
    })
}

/// A service item (implementation list) and where it belongs.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Item id.
    pub id: i64,
    /// 实施编码.
    pub task_code: String,
    /// 基本编码.
    pub catalog_code: String,
    /// Implementing organisation.
    pub org_id: i64,
    /// Division it serves.
    pub division_code: String,
    /// Current published version.
    pub published_version_id: Option<i64>,
    /// `unpublished`, `published` or `withdrawn`.
    pub status: String,
}

fn item_from_row(r: &AnyRow) -> Result<Item, CatalogError> {
    Ok(Item {
        id: r.try_get("id")?,
        task_code: r.try_get("task_code")?,
        catalog_code: r.try_get("catalog_code")?,
        org_id: r.try_get("org_id")?,
        division_code: r.try_get("division_code")?,
        published_version_id: r.try_get("published_version_id")?,
        status: r.try_get("status")?,
    })
}

const ICOLS: &str = "i.id, i.task_code, e.catalog_code, i.org_id, i.division_code, i.published_version_id, i.status";

/// An item by id.
pub async fn item(db: &Db, id: i64) -> Result<Option<Item>, CatalogError> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ICOLS} FROM service_items i JOIN catalog_entries e ON e.id = i.entry_id WHERE i.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    r.as_ref().map(item_from_row).transpose()
}

/// One version by id.
pub async fn version(db: &Db, id: i64) -> Result<Option<Version>, CatalogError> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {VCOLS} FROM item_versions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    r.as_ref().map(version_from_row).transpose()
}

/// All versions of an item, newest first.
pub async fn versions(db: &Db, item_id: i64) -> Result<Vec<Version>, CatalogError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {VCOLS} FROM item_versions WHERE item_id = $1 ORDER BY version_no DESC"
    )))
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(version_from_row).collect()
}

/// One entry of an item's history.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Version concerned.
    pub version_id: Option<i64>,
    /// `created`, `saved`, `submitted`, `rejected`, `published`, `withdrawn`, `draft_opened`.
    pub action: String,
    /// Who.
    pub actor: Option<String>,
    /// When.
    pub at: Millis,
    /// Reviewer's note.
    pub note: String,
}

/// The history of an item, oldest first.
pub async fn history(db: &Db, item_id: i64) -> Result<Vec<Event>, CatalogError> {
    let rows = sqlx::query(
        "SELECT ev.version_id, ev.action, a.display_name, ev.at, ev.note FROM item_events ev \
         LEFT JOIN accounts a ON a.id = ev.actor_id WHERE ev.item_id = $1 ORDER BY ev.id",
    )
    .bind(item_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                version_id: r.try_get(0)?,
                action: r.try_get(1)?,
                actor: r.try_get(2)?,
                at: r.try_get(3)?,
                note: r.try_get(4)?,
            })
        })
        .collect()
}

async fn event(
    c: &mut AnyConnection,
    item_id: i64,
    version_id: Option<i64>,
    action: &str,
    actor: Option<i64>,
    note: &str,
    now: Millis,
) -> Result<(), CatalogError> {
    sqlx::query("INSERT INTO item_events (item_id, version_id, action, actor_id, at, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(item_id)
        .bind(version_id)
        .bind(action)
        .bind(actor)
        .bind(now)
        .bind(note)
        .execute(&mut *c)
        .await?;
    outbox::append(
        c,
        &format!("catalog.{action}"),
        &serde_json::json!({"item_id": item_id, "version_id": version_id, "actor": actor}),
        now,
    )
    .await?;
    Ok(())
}

/// Whether the actor holds one of `roles` over the organisation `org`.
fn may(actor: Actor<'_>, roles: &[Role], org: &Org) -> bool {
    actor.holds_any(roles, &org.path)
}

/// The owner kind under which catalog versions refer to stored files.
pub const FILE_OWNER: &str = "catalog_version";

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

/// Roles that may publish, reject and withdraw.
pub const REVIEW_ROLES: &[Role] = &[Role::SystemAdmin, Role::DeptAdmin];

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
    if !may(actor, &[Role::CatalogEditor, Role::SystemAdmin], &org) {
        return Err(CatalogError::Forbidden);
    }
    let prepared = prepare(&org, n)?;
    let actor_id = actor.account_id();
    db.write(move |c| {
        Box::pin(async move { insert_prepared(c, &prepared, actor_id, now_ms()).await })
    })
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
    Ok(Prepared {
        catalog_code,
        task_code,
        org_id: org.id,
        division,
        use_level: org.admin_level,
        guide: n.guide,
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
    let entry = sqlx::query("SELECT id FROM catalog_entries WHERE catalog_code = $1")
        .bind(p.catalog_code.as_str())
        .fetch_optional(&mut *c)
        .await?;
    let entry_id: i64 = match entry {
        Some(r) => r.try_get(0)?,
        None => sqlx::query(
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
    let taken = sqlx::query("SELECT 1 FROM service_items WHERE task_code = $1")
        .bind(p.task_code.as_str())
        .fetch_optional(&mut *c)
        .await?;
    if taken.is_some() {
        return Err(CatalogError::DuplicateTaskCode);
    }
    let item_id: i64 = sqlx::query(
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
        let e = DbError::from(e);
        if e.is_unique_violation() { CatalogError::DuplicateTaskCode } else { CatalogError::Db(e) }
    })?
    .try_get(0)?;
    let doc = serde_json::to_string(g).map_err(|e| DbError::Internal(e.to_string()))?;
    let version_id: i64 = sqlx::query(
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

/// Loads a version with its item's organisation, for authorisation.
async fn version_with_org(db: &Db, version_id: i64) -> Result<(Version, Item, Org), CatalogError> {
    let v = version(db, version_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let it = item(db, v.item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    Ok((v, it, org))
}

/// A status change of one version, applied only if nobody moved it first.
struct Step {
    version_id: i64,
    revision: i64,
    from: VersionStatus,
    to: VersionStatus,
}

/// Applies a [`Step`]; `extra_sql` sets more columns, with `$2` = now and
/// `$6` = the actor.
async fn move_status(
    c: &mut AnyConnection,
    step: Step,
    extra_sql: &'static str,
    actor: Option<i64>,
    now: Millis,
) -> Result<(), CatalogError> {
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE item_versions SET status = $1, revision = revision + 1, updated_at = $2{extra_sql} \
         WHERE id = $3 AND revision = $4 AND status = $5"
    )))
    .bind(step.to.code())
    .bind(now)
    .bind(step.version_id)
    .bind(step.revision)
    .bind(step.from.code())
    .bind(actor)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(CatalogError::Conflict)
    }
}

/// Saves an edited draft. `expected_revision` is the revision the editor
/// loaded: if someone saved in between, the save is refused and nothing of
/// either edit is lost (the other edit stays; this one is returned to the
/// editor to reapply).
pub async fn save_draft(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    guide: Guide,
) -> Result<i64, CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, &[Role::CatalogEditor, Role::SystemAdmin], &org) {
        return Err(CatalogError::Forbidden);
    }
    if catalog::transition(v.status, VersionAction::Edit).is_none() {
        return Err(CatalogError::WrongState);
    }
    let actor_id = actor.account_id();
    let doc = serde_json::to_string(&guide).map_err(|e| DbError::Internal(e.to_string()))?;
    let keys: Vec<String> = guide.file_keys().into_iter().map(str::to_owned).collect();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            let n = sqlx::query(
                "UPDATE item_versions SET document = $1, revision = revision + 1, updated_by = $2, updated_at = $3 \
                 WHERE id = $4 AND revision = $5 AND status = 'draft'",
            )
            .bind(&doc)
            .bind(actor_id)
            .bind(now)
            .bind(version_id)
            .bind(expected_revision)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(CatalogError::Conflict);
            }
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            files::set_refs(c, FILE_OWNER, version_id, &keys).await?;
            event(c, it.id, Some(version_id), "saved", actor_id, "", now).await?;
            Ok(expected_revision + 1)
        })
    })
    .await
}

/// Submits a draft for review; refused with every problem if the guide is
/// not publishable.
pub async fn submit(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, &[Role::CatalogEditor, Role::SystemAdmin], &org) {
        return Err(CatalogError::Forbidden);
    }
    let to =
        catalog::transition(v.status, VersionAction::Submit).ok_or(CatalogError::WrongState)?;
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let actor_id = actor.account_id();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            move_status(
                c,
                Step {
                    version_id,
                    revision: expected_revision,
                    from: v.status,
                    to,
                },
                ", submitted_by = $6, submitted_at = $2",
                actor_id,
                now,
            )
            .await?;
            event(c, it.id, Some(version_id), "submitted", actor_id, "", now).await
        })
    })
    .await
}

/// Sends a version in review back to its editor with a note.
pub async fn reject(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    note: &str,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let to =
        catalog::transition(v.status, VersionAction::Reject).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    let note = note.trim().to_owned();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            move_status(
                c,
                Step {
                    version_id,
                    revision: expected_revision,
                    from: v.status,
                    to,
                },
                ", submitted_by = NULL, submitted_at = NULL, updated_by = COALESCE($6, updated_by)",
                actor_id,
                now,
            )
            .await?;
            event(c, it.id, Some(version_id), "rejected", actor_id, &note, now).await
        })
    })
    .await
}

/// Publishes a version in review: it becomes the public guide, the previous
/// published version is superseded, and the read model is updated, all in
/// one transaction. The publisher must not be the one who submitted or last
/// edited it (four eyes).
pub async fn publish(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
) -> Result<(), CatalogError> {
    publish_on(
        db,
        actor,
        version_id,
        expected_revision,
        Schedule::default(),
        now_ms(),
    )
    .await
}

/// When a version takes effect and when it is taken off again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    /// 计划生效日期: publish then rather than now (None or past = now).
    pub effective_at: Option<Millis>,
    /// 计划取消日期: withdraw the item then.
    pub cancel_at: Option<Millis>,
}

fn schedule_problem(field: &str, message: &str) -> CatalogError {
    CatalogError::Invalid(vec![GuideError {
        field: field.into(),
        code: "schedule",
        message: message.into(),
    }])
}

/// Whether the reviewer opened any of these accounts or granted them their
/// editor role: four eyes must be two people, not one person and an account
/// they made. Grants recorded without a granter count as the system's.
async fn made_by(db: &Db, reviewer: i64, accounts: &[Option<i64>]) -> Result<bool, DbError> {
    for id in accounts.iter().flatten() {
        let hit = sqlx::query(
            "SELECT 1 FROM accounts WHERE id = $1 AND created_by = $2 \
             UNION ALL SELECT 1 FROM role_grants WHERE account_id = $1 AND role = $3 AND granted_by = $2",
        )
        .bind(*id)
        .bind(reviewer)
        .bind(Role::CatalogEditor.code())
        .fetch_optional(db.pool())
        .await?;
        if hit.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Approves a version in review: published at once, or scheduled for its
/// effective date (then a job publishes it); with a cancellation date the
/// job withdraws it when that comes. `now` is the approval time.
pub async fn publish_on(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    schedule: Schedule,
    now: Millis,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let later = schedule.effective_at.filter(|e| *e > now);
    let action = if later.is_some() {
        VersionAction::Schedule
    } else {
        VersionAction::Publish
    };
    let to = catalog::transition(v.status, action).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    if actor_id.is_some() && (v.submitted_by == actor_id || v.updated_by == actor_id) {
        return Err(CatalogError::SameReviewer);
    }
    if let Some(reviewer) = actor_id
        && made_by(db, reviewer, &[v.submitted_by, v.updated_by]).await?
    {
        return Err(CatalogError::ReviewerMadeSubmitter);
    }
    if let Some(cancel) = schedule.cancel_at {
        if cancel <= now {
            return Err(schedule_problem("cancel_at", "计划取消日期应晚于今天"));
        }
        if later.is_some_and(|e| cancel <= e) {
            return Err(schedule_problem(
                "cancel_at",
                "计划取消日期应晚于计划生效日期",
            ));
        }
    }
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    db.write(move |c| {
        Box::pin(async move {
            let step = Step {
                version_id,
                revision: expected_revision,
                from: v.status,
                to,
            };
            move_status(
                c,
                step,
                ", published_by = $6, published_at = $2",
                actor_id,
                now,
            )
            .await?;
            sqlx::query("UPDATE item_versions SET effective_at = $1, cancel_at = $2 WHERE id = $3")
                .bind(later)
                .bind(schedule.cancel_at)
                .bind(version_id)
                .execute(&mut *c)
                .await?;
            if later.is_some() {
                event(c, it.id, Some(version_id), "scheduled", actor_id, "", now).await
            } else {
                publish_in(c, &it, &v, now).await?;
                event(c, it.id, Some(version_id), "published", actor_id, "", now).await
            }
        })
    })
    .await
}

/// Publishes scheduled versions whose date has come and withdraws items
/// whose cancellation date has come (job `catalog.schedule`). Returns how
/// many of each.
pub async fn run_schedule(db: &Db, now: Millis) -> Result<(usize, usize), CatalogError> {
    let due = sqlx::query("SELECT id FROM item_versions WHERE status = 'scheduled' AND effective_at <= $1 ORDER BY effective_at")
        .bind(now)
        .fetch_all(db.pool())
        .await?;
    let mut activated = 0;
    for r in due {
        let id: i64 = r.try_get(0)?;
        let (v, _, _) = version_with_org(db, id).await?;
        let it = item(db, v.item_id).await?.ok_or(CatalogError::NotFound)?;
        let done = db
            .write(move |c| {
                Box::pin(async move {
                    let step = Step {
                        version_id: v.id,
                        revision: v.revision,
                        from: VersionStatus::Scheduled,
                        to: VersionStatus::Published,
                    };
                    match move_status(
                        c,
                        step,
                        ", published_at = $2, published_by = COALESCE($6, published_by)",
                        None,
                        now,
                    )
                    .await
                    {
                        // Another node got there first.
                        Err(CatalogError::Conflict) => return Ok(false),
                        other => other?,
                    }
                    publish_in(c, &it, &v, now).await?;
                    event(c, it.id, Some(v.id), "published", None, "计划生效", now).await?;
                    Ok::<_, CatalogError>(true)
                })
            })
            .await?;
        activated += usize::from(done);
    }
    let cancel = sqlx::query(
        "SELECT item_id FROM item_versions WHERE status = 'published' AND cancel_at <= $1",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut cancelled = 0;
    for r in cancel {
        match withdraw(db, Actor::System, r.try_get(0)?, "计划取消").await {
            Ok(()) => cancelled += 1,
            Err(CatalogError::Conflict | CatalogError::WrongState) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((activated, cancelled))
}

/// The publishing step shared by review and the demo loader: supersede the
/// previous version, point the item at this one, refresh the read model.
async fn publish_in(
    c: &mut AnyConnection,
    it: &Item,
    v: &Version,
    now: Millis,
) -> Result<(), CatalogError> {
    if let Some(prev) = it.published_version_id.filter(|p| *p != v.id) {
        sqlx::query("UPDATE item_versions SET status = 'superseded', revision = revision + 1 WHERE id = $1 AND status = 'published'")
            .bind(prev)
            .execute(&mut *c)
            .await?;
    }
    sqlx::query("UPDATE service_items SET published_version_id = $1, status = 'published', updated_at = $2 WHERE id = $3")
        .bind(v.id)
        .bind(now)
        .bind(it.id)
        .execute(&mut *c)
        .await?;
    let g = &v.guide;
    unpublish_rows(c, it.id).await?;
    for theme in &g.themes {
        sqlx::query("INSERT INTO published_item_themes (theme, item_id) VALUES ($1, $2)")
            .bind(theme)
            .bind(it.id)
            .execute(&mut *c)
            .await?;
    }
    sqlx::query(
        "INSERT INTO published_items (item_id, version_id, task_code, catalog_code, name, name_en, item_type, org_id, \
         division_code, themes, service_objects, online_depth, promised_value, version_no, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(it.id)
    .bind(v.id)
    .bind(&it.task_code)
    .bind(&it.catalog_code)
    .bind(g.name.trim())
    .bind(g.name_en.trim())
    .bind(&g.item_type)
    .bind(it.org_id)
    .bind(&it.division_code)
    .bind(format!("|{}|", g.themes.join("|")))
    .bind(format!("|{}|", g.service_objects.join("|")))
    .bind(i64::from(g.online_depth))
    .bind(i64::from(g.promised_limit.value))
    .bind(v.version_no)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Removes an item from the public read model (`published_items` and its
/// theme rows).
async fn unpublish_rows(c: &mut AnyConnection, item_id: i64) -> Result<(), CatalogError> {
    sqlx::query("DELETE FROM published_item_themes WHERE item_id = $1")
        .bind(item_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM published_items WHERE item_id = $1")
        .bind(item_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Publishes a draft directly, without review: for imports of guides that
/// were already approved elsewhere, and the demo. Validation still applies.
pub async fn publish_imported(db: &Db, version_id: i64) -> Result<(), CatalogError> {
    let (v, it, _) = version_with_org(db, version_id).await?;
    if v.status != VersionStatus::Draft {
        return Err(CatalogError::WrongState);
    }
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            move_status(
                c,
                Step {
                    version_id,
                    revision: v.revision,
                    from: VersionStatus::Draft,
                    to: VersionStatus::Published,
                },
                ", published_at = $2, published_by = $6",
                None,
                now,
            )
            .await?;
            publish_in(c, &it, &v, now).await?;
            event(c, it.id, Some(version_id), "published", None, "import", now).await
        })
    })
    .await
}

/// Withdraws an item from the public catalog.
pub async fn withdraw(
    db: &Db,
    actor: Actor<'_>,
    item_id: i64,
    note: &str,
) -> Result<(), CatalogError> {
    let it = item(db, item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let vid = it.published_version_id.ok_or(CatalogError::WrongState)?;
    let v = version(db, vid).await?.ok_or(CatalogError::NotFound)?;
    let to =
        catalog::transition(v.status, VersionAction::Withdraw).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    let note = note.trim().to_owned();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            move_status(c, Step { version_id: vid, revision: v.revision, from: v.status, to }, ", updated_by = COALESCE($6, updated_by)", actor_id, now).await?;
            sqlx::query("UPDATE service_items SET published_version_id = NULL, status = 'withdrawn', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(item_id)
                .execute(&mut *c)
                .await?;
            unpublish_rows(c, item_id).await?;
            event(c, item_id, Some(vid), "withdrawn", actor_id, &note, now).await
        })
    })
    .await
}

/// Opens the next version as a draft copied from the published one (or the
/// latest version). Only one open draft or review per item at a time.
pub async fn open_draft(db: &Db, actor: Actor<'_>, item_id: i64) -> Result<i64, CatalogError> {
    let it = item(db, item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if !may(actor, &[Role::CatalogEditor, Role::SystemAdmin], &org) {
        return Err(CatalogError::Forbidden);
    }
    let actor_id = actor.account_id();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            let open = sqlx::query("SELECT 1 FROM item_versions WHERE item_id = $1 AND status IN ('draft', 'in_review', 'scheduled')")
                .bind(item_id)
                .fetch_optional(&mut *c)
                .await?;
            if open.is_some() {
                return Err(CatalogError::DraftExists);
            }
            let latest = sqlx::query("SELECT version_no, document FROM item_versions WHERE item_id = $1 ORDER BY version_no DESC LIMIT 1")
                .bind(item_id)
                .fetch_one(&mut *c)
                .await?;
            let no: i64 = latest.try_get(0)?;
            let doc: String = latest.try_get(1)?;
            let id: i64 = sqlx::query(
                "INSERT INTO item_versions (item_id, version_no, status, document, revision, created_by, created_at, updated_by, updated_at) \
                 VALUES ($1, $2, 'draft', $3, 1, $4, $5, $4, $5) RETURNING id",
            )
            .bind(item_id)
            .bind(no + 1)
            .bind(doc)
            .bind(actor_id)
            .bind(now)
            .fetch_one(&mut *c)
            .await
            .map_err(|e| {
                let e = DbError::from(e);
                if e.is_unique_violation() { CatalogError::DraftExists } else { CatalogError::Db(e) }
            })?
            .try_get(0)?;
            // The copy links what the version it copies links.
            sqlx::query(
                "INSERT INTO file_refs (file_id, owner_kind, owner_id) \
                 SELECT r.file_id, r.owner_kind, $1 FROM file_refs r JOIN item_versions v ON v.id = r.owner_id \
                 WHERE r.owner_kind = $2 AND v.item_id = $3 AND v.version_no = $4",
            )
            .bind(id)
            .bind(FILE_OWNER)
            .bind(item_id)
            .bind(no)
            .execute(&mut *c)
            .await?;
            event(c, item_id, Some(id), "draft_opened", actor_id, "", now).await?;
            Ok(id)
        })
    })
    .await
}

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
    /// When published.
    pub published_at: Millis,
    /// The guide.
    pub guide: Guide,
}

/// The published guide of an item by its 实施编码.
pub async fn published(db: &Db, task_code: &str) -> Result<Option<Published>, CatalogError> {
    let row = sqlx::query(
        "SELECT p.item_id, p.task_code, p.catalog_code, p.org_id, p.division_code, p.version_no, p.published_at, v.document \
         FROM published_items p JOIN item_versions v ON v.id = p.version_id WHERE p.task_code = $1",
    )
    .bind(task_code.trim().to_ascii_uppercase())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let org_id: i64 = r.try_get(3)?;
    let org = orgs::get(db, org_id).await?.ok_or(CatalogError::NotFound)?;
    let doc: String = r.try_get(7)?;
    Ok(Some(Published {
        item_id: r.try_get(0)?,
        task_code: r.try_get(1)?,
        catalog_code: r.try_get(2)?,
        org,
        division_code: r.try_get(4)?,
        version_no: r.try_get(5)?,
        published_at: r.try_get(6)?,
        guide: serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?,
    }))
}

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
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {from}")))
        .bind(&theme)
        .bind(&object)
        .bind(&path)
        .bind(&division)
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT p.task_code, p.name, p.name_en, p.item_type, p.org_id, o.name_zh, o.name_en, p.division_code, \
         p.online_depth, p.promised_value {from} ORDER BY o.path, p.name LIMIT $5 OFFSET $6"
    )))
    .bind(&theme)
    .bind(&object)
    .bind(&path)
    .bind(&division)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(db.pool())
    .await?;
    let list = rows
        .iter()
        .map(summary_from_row)
        .collect::<Result<Vec<_>, CatalogError>>()?;
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

/// All themes with their published item counts.
pub async fn themes(db: &Db) -> Result<Vec<Theme>, CatalogError> {
    let rows = sqlx::query(
        "SELECT t.code, t.audience, t.name_zh, t.name_en, \
         (SELECT COUNT(*) FROM published_item_themes x WHERE x.theme = t.code) \
         FROM themes t ORDER BY t.audience DESC, t.sort_order",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Theme {
                code: r.try_get(0)?,
                audience: r.try_get(1)?,
                name_zh: r.try_get(2)?,
                name_en: r.try_get(3)?,
                items: r.try_get(4)?,
            })
        })
        .collect()
}

/// Other published implementations of the same basic item (同一事项 in
/// other divisions or by other bodies).
pub async fn same_entry(
    db: &Db,
    catalog_code: &str,
    except_task_code: &str,
) -> Result<Vec<Summary>, CatalogError> {
    let rows = sqlx::query(
        "SELECT p.task_code, p.name, p.name_en, p.item_type, p.org_id, o.name_zh, o.name_en, p.division_code, \
         p.online_depth, p.promised_value FROM published_items p JOIN organizations o ON o.id = p.org_id \
         WHERE p.catalog_code = $1 AND p.task_code <> $2 ORDER BY o.path",
    )
    .bind(catalog_code)
    .bind(except_task_code)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(summary_from_row).collect()
}

/// Maps the ten summary columns, in the order both list queries select them.
fn summary_from_row(r: &AnyRow) -> Result<Summary, CatalogError> {
    Ok(Summary {
        task_code: r.try_get(0)?,
        name: r.try_get(1)?,
        name_en: r.try_get(2)?,
        item_type: r.try_get(3)?,
        org_id: r.try_get(4)?,
        org_name_zh: r.try_get(5)?,
        org_name_en: r.try_get(6)?,
        division_code: r.try_get(7)?,
        online_depth: r.try_get(8)?,
        promised_value: r.try_get(9)?,
    })
}

/// A line of the editors' item list.
#[derive(Debug, Clone, Serialize)]
pub struct AdminRow {
    /// Item id.
    pub item_id: i64,
    /// 实施编码.
    pub task_code: String,
    /// Name in the latest version.
    pub name: String,
    /// Implementing organisation.
    pub org_name: String,
    /// `unpublished`, `published`, `withdrawn`.
    pub item_status: String,
    /// Latest version id.
    pub version_id: i64,
    /// Latest version number.
    pub version_no: i64,
    /// Latest version's status.
    pub version_status: VersionStatus,
    /// Latest change.
    pub updated_at: Millis,
}

/// Organisation subtrees (ancestry paths) where `p` holds any of `roles`.
pub fn scope_paths(p: &Principal, roles: &[Role]) -> Vec<String> {
    let mut paths: Vec<String> = p
        .grants
        .iter()
        .filter(|g| roles.contains(&g.role))
        .map(|g| g.org_path.clone())
        .collect();
    paths.sort();
    paths.dedup();
    // A path inside another adds nothing.
    let all = paths.clone();
    paths.retain(|x| !all.iter().any(|y| y != x && x.starts_with(y.as_str())));
    paths
}

/// Items within the given subtrees with their latest version, most recently
/// changed first; `status` filters on the latest version's status.
pub async fn admin_list(
    db: &Db,
    paths: &[String],
    status: Option<VersionStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AdminRow>, i64), CatalogError> {
    if paths.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let scope: Vec<String> = (0..paths.len())
        .map(|i| format!("o.path LIKE ${}", i + 2))
        .collect();
    let from = format!(
        "FROM service_items i JOIN organizations o ON o.id = i.org_id \
         JOIN item_versions v ON v.item_id = i.id AND v.version_no = (SELECT MAX(x.version_no) FROM item_versions x WHERE x.item_id = i.id) \
         WHERE ($1 = '' OR v.status = $1) AND ({})",
        scope.join(" OR ")
    );
    let status = status.map(|s| s.code()).unwrap_or("");
    let n = paths.len();
    let mut count =
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {from}"))).bind(status);
    for p in paths {
        count = count.bind(format!("{p}%"));
    }
    let total: i64 = count.fetch_one(db.pool()).await?.try_get(0)?;
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.id, i.task_code, i.status, o.name_zh, v.id, v.version_no, v.status, v.document, v.updated_at {from} \
         ORDER BY v.updated_at DESC, i.id LIMIT ${} OFFSET ${}",
        n + 2,
        n + 3
    )))
    .bind(status);
    for p in paths {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let list = rows
        .iter()
        .map(|r| {
            let doc: String = r.try_get(7)?;
            let name = serde_json::from_str::<Guide>(&doc)
                .map(|g| g.name)
                .unwrap_or_default();
            let vs: String = r.try_get(6)?;
            Ok(AdminRow {
                item_id: r.try_get(0)?,
                task_code: r.try_get(1)?,
                item_status: r.try_get(2)?,
                org_name: r.try_get(3)?,
                version_id: r.try_get(4)?,
                version_no: r.try_get(5)?,
                version_status: VersionStatus::from_code(&vs).ok_or(CatalogError::WrongState)?,
                updated_at: r.try_get(8)?,
                name,
            })
        })
        .collect::<Result<Vec<_>, CatalogError>>()?;
    Ok((list, total))
}

/// One element where an implementation departs from the reference one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Divergence {
    /// Element: `name`, `legal_limit`, `promised_limit`, `materials`, `fees`, `online_depth`, `visits`, `conditions`.
    pub element: &'static str,
    /// The reference value.
    pub reference: String,
    /// This implementation's value.
    pub local: String,
}

/// An implementation of an item and how it differs from the reference.
#[derive(Debug, Clone, Serialize)]
pub struct LocalVariant {
    /// 实施编码.
    pub task_code: String,
    /// Implementing organisation.
    pub org_name: String,
    /// Division.
    pub division_code: String,
    /// Differences (empty when it follows the standard).
    pub divergences: Vec<Divergence>,
}

/// The standardisation picture of one basic item (同一事项、同一标准).
#[derive(Debug, Clone, Serialize)]
pub struct StandardReport {
    /// 基本编码.
    pub catalog_code: String,
    /// Name in the reference implementation.
    pub name: String,
    /// The reference implementation (the highest-level body's).
    pub reference: LocalVariant,
    /// The other implementations.
    pub variants: Vec<LocalVariant>,
}

fn compare_guides(reference: &Guide, local: &Guide) -> Vec<Divergence> {
    let names = |g: &Guide| {
        g.materials
            .iter()
            .map(|m| m.name.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let (ra, la) = (names(reference), names(local));
    let list = |v: Vec<&String>, label: &str| {
        if v.is_empty() {
            String::new()
        } else {
            format!(
                "{label}{}",
                v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、")
            )
        }
    };
    let fees = |g: &Guide| {
        g.fees
            .iter()
            .map(|f| format!("{} {}", f.name, f.standard))
            .collect::<Vec<_>>()
            .join("；")
    };
    let pairs: [(&'static str, String, String); 8] = [
        ("name", reference.name.clone(), local.name.clone()),
        (
            "legal_limit",
            reference.legal_limit.value.to_string(),
            local.legal_limit.value.to_string(),
        ),
        (
            "promised_limit",
            reference.promised_limit.value.to_string(),
            local.promised_limit.value.to_string(),
        ),
        (
            "materials",
            list(ra.iter().filter(|n| !la.contains(n)).collect(), "缺少："),
            list(la.iter().filter(|n| !ra.contains(n)).collect(), "增加："),
        ),
        ("fees", fees(reference), fees(local)),
        (
            "online_depth",
            reference.online_depth.to_string(),
            local.online_depth.to_string(),
        ),
        (
            "visits",
            reference.visits.to_string(),
            local.visits.to_string(),
        ),
        (
            "conditions",
            reference.conditions.join("；"),
            local.conditions.join("；"),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(element, reference, local)| Divergence {
            element,
            reference,
            local,
        })
        .collect()
}

/// For every basic item implemented by more than one body, how each
/// implementation departs from the one at the highest level. With
/// `only_divergent`, items whose implementations all agree are left out.
pub async fn standardisation(
    db: &Db,
    only_divergent: bool,
) -> Result<Vec<StandardReport>, CatalogError> {
    let rows = sqlx::query(
        "SELECT p.catalog_code, p.task_code, o.name_zh, p.division_code, o.admin_level, o.path, v.document \
         FROM published_items p JOIN organizations o ON o.id = p.org_id JOIN item_versions v ON v.id = p.version_id \
         WHERE p.catalog_code IN (SELECT catalog_code FROM published_items GROUP BY catalog_code HAVING COUNT(*) > 1) \
         ORDER BY p.catalog_code, o.admin_level, o.path",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<StandardReport> = Vec::new();
    let mut reference_guide: Option<Guide> = None;
    for r in &rows {
        let code: String = r.try_get(0)?;
        let doc: String = r.try_get(6)?;
        let g: Guide = serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
        let variant = LocalVariant {
            task_code: r.try_get(1)?,
            org_name: r.try_get(2)?,
            division_code: r.try_get(3)?,
            divergences: Vec::new(),
        };
        match out.last_mut().filter(|rep| rep.catalog_code == code) {
            Some(rep) => {
                let reference = reference_guide.as_ref().ok_or(CatalogError::NotFound)?;
                rep.variants.push(LocalVariant {
                    divergences: compare_guides(reference, &g),
                    ..variant
                });
            }
            None => {
                out.push(StandardReport {
                    catalog_code: code,
                    name: g.name.clone(),
                    reference: variant,
                    variants: Vec::new(),
                });
                reference_guide = Some(g);
            }
        }
    }
    if only_divergent {
        out.retain(|rep| rep.variants.iter().any(|v| !v.divergences.is_empty()));
    }
    Ok(out)
}

/// The catalog's generation: the ids of its latest public item event
/// (`published`, `scheduled`, `withdrawn`: what changes what the public
/// sees; drafts, reviews and rejections leave cached guides and the search
/// index valid) and latest code-list edit added up (0 when empty).
/// Both only grow, so the sum moves whenever either does; anything derived
/// from the published catalog or its wording is stale once it moves.
pub async fn generation(db: &Db) -> Result<i64, CatalogError> {
    // The IN list repeats the partial index's condition word for word
    // (migration 0015), so both databases answer from the index.
    Ok(sqlx::query(
        "SELECT COALESCE((SELECT id FROM item_events WHERE action IN ('published', 'scheduled', 'withdrawn') \
         ORDER BY id DESC LIMIT 1), 0) \
         + (SELECT COALESCE(MAX(id), 0) FROM code_list_events)",
    )
    .fetch_one(db.pool())
    .await?
    .try_get(0)?)
}

/// Whether a code of a platform list (themes, code lists) has the allowed
/// shape: 1–40 lower-case letters, digits or underscores.
fn code_shape_ok(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Adds a life-event theme or renames an existing one (system
/// administrators: the theme list is a platform-wide code list).
pub async fn save_theme(
    db: &Db,
    actor: &Principal,
    code: &str,
    audience: &str,
    name_zh: &str,
    name_en: &str,
    sort_order: i64,
) -> Result<(), CatalogError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(CatalogError::Forbidden);
    }
    let code = code.trim().to_owned();
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: &str| {
        problems.push(GuideError {
            field: field.into(),
            code: "theme",
            message: message.into(),
        });
    };
    if !code_shape_ok(&code) {
        problem("code", "主题代码应为1至40位小写字母、数字或下划线");
    }
    if !matches!(audience, "person" | "enterprise") {
        problem("audience", "服务对象应为自然人或法人");
    }
    if name_zh.trim().is_empty() {
        problem("name_zh", "主题名称不能为空");
    }
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let actor_id = actor.account.id;
    let (audience, name_zh, name_en) = (
        audience.to_owned(),
        name_zh.trim().to_owned(),
        name_en.trim().to_owned(),
    );
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO themes (code, audience, name_zh, name_en, sort_order) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET audience = excluded.audience, name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, sort_order = excluded.sort_order",
            )
            .bind(&code)
            .bind(&audience)
            .bind(&name_zh)
            .bind(&name_en)
            .bind(sort_order)
            .execute(&mut *c)
            .await?;
            log_code_edit(c, "theme", &code, &name_zh, &name_en, actor_id).await?;
            Ok::<_, CatalogError>(())
        })
    })
    .await
}

/// Records an edit of a code list or theme: the audit trail of the catalog's
/// vocabulary, and the move of its generation.
async fn log_code_edit(
    c: &mut AnyConnection,
    list: &str,
    code: &str,
    name_zh: &str,
    name_en: &str,
    actor_id: i64,
) -> Result<(), CatalogError> {
    sqlx::query(
        "INSERT INTO code_list_events (list, code, name_zh, name_en, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(list)
    .bind(code)
    .bind(name_zh)
    .bind(name_en)
    .bind(actor_id)
    .bind(now_ms())
    .execute(c)
    .await?;
    Ok(())
}

/// The configured code lists (defaults for lists never edited).
pub async fn code_lists(db: &Db) -> Result<CodeLists, CatalogError> {
    let rows = sqlx::query(
        "SELECT list, code, name_zh, name_en FROM code_lists ORDER BY list, sort_order, code",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let list: String = r.try_get(0)?;
        // A row of a list this build does not know is ignored, not fatal.
        if let Some(list) = CodeList::parse(&list) {
            out.push((
                list,
                CodeEntry {
                    code: r.try_get(1)?,
                    zh: r.try_get(2)?,
                    en: r.try_get(3)?,
                },
            ));
        }
    }
    Ok(CodeLists::from_rows(out))
}

/// One edit of a code-list entry, as a system administrator typed it.
#[derive(Debug, Clone)]
pub struct CodeEdit {
    /// The list.
    pub list: CodeList,
    /// Code (new, or the one being reworded).
    pub code: String,
    /// Chinese label.
    pub name_zh: String,
    /// English label.
    pub name_en: String,
    /// Position in the list.
    pub sort_order: i64,
}

/// Adds a code to a list or rewords one (system administrators: the lists
/// are platform-wide). Codes are never removed, since published guides may
/// use them; lists the publication rules depend on take no new codes.
pub async fn save_code(db: &Db, actor: &Principal, edit: CodeEdit) -> Result<(), CatalogError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(CatalogError::Forbidden);
    }
    let current = code_lists(db).await?;
    let code = edit.code.trim().to_owned();
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: &str| {
        problems.push(GuideError {
            field: field.into(),
            code: "code_list",
            message: message.into(),
        });
    };
    if !code_shape_ok(&code) {
        problem("code", "代码应为1至40位小写字母、数字或下划线");
    } else if !edit.list.extensible() && !current.contains(edit.list, &code) {
        problem("code", "此代码表的代码由办理规则固定，只能修改名称");
    }
    let name_zh = edit.name_zh.trim().to_owned();
    let name_en = edit.name_en.trim().to_owned();
    if name_zh.is_empty() || name_zh.chars().count() > 50 {
        problem("name_zh", "中文名称不能为空，且不超过50个字");
    }
    if name_en.chars().count() > 100 {
        problem("name_en", "英文名称不超过100个字符");
    }
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let list = edit.list;
    let sort_order = edit.sort_order;
    let actor_id = actor.account.id;
    // The first edit of a list stores what it shows now (its defaults), so
    // that adding a code never hides the others.
    let existing: Vec<CodeEntry> = current.entries(list).to_vec();
    db.write(move |c| {
        Box::pin(async move {
            let stored: i64 = sqlx::query("SELECT COUNT(*) FROM code_lists WHERE list = $1")
                .bind(list.as_str())
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?;
            if stored == 0 {
                for (i, e) in existing.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO code_lists (list, code, name_zh, name_en, sort_order) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(list.as_str())
                    .bind(&e.code)
                    .bind(&e.zh)
                    .bind(&e.en)
                    .bind((i as i64 + 1) * 10)
                    .execute(&mut *c)
                    .await?;
                }
            }
            sqlx::query(
                "INSERT INTO code_lists (list, code, name_zh, name_en, sort_order) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (list, code) DO UPDATE SET name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, sort_order = excluded.sort_order",
            )
            .bind(list.as_str())
            .bind(&code)
            .bind(&name_zh)
            .bind(&name_en)
            .bind(sort_order)
            .execute(&mut *c)
            .await?;
            log_code_edit(c, list.as_str(), &code, &name_zh, &name_en, actor_id).await?;
            Ok::<_, CatalogError>(())
        })
    })
    .await
}

/// One recorded edit of a code list or theme.
#[derive(Debug, Clone, Serialize)]
pub struct CodeListEdit {
    /// List name (`material_form`, …, or `theme`).
    pub list: String,
    /// Code.
    pub code: String,
    /// Chinese label as saved.
    pub name_zh: String,
    /// English label as saved.
    pub name_en: String,
    /// Who saved it.
    pub actor: String,
    /// When.
    pub at: Millis,
}

/// The latest edits of the catalog's code lists and themes, newest first.
pub async fn code_list_history(db: &Db, limit: i64) -> Result<Vec<CodeListEdit>, CatalogError> {
    let rows = sqlx::query(
        "SELECT e.list, e.code, e.name_zh, e.name_en, COALESCE(a.display_name, ''), e.at \
         FROM code_list_events e LEFT JOIN accounts a ON a.id = e.actor_id \
         ORDER BY e.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CodeListEdit {
                list: r.try_get(0)?,
                code: r.try_get(1)?,
                name_zh: r.try_get(2)?,
                name_en: r.try_get(3)?,
                actor: r.try_get(4)?,
                at: r.try_get(5)?,
            })
        })
        .collect()
}

/// The catalog's background job: scheduled publications and withdrawals,
/// checked every minute.
pub async fn jobs(db: &Db, r: &mut crate::platform::jobs::Registry) -> Result<(), DbError> {
    r.register("catalog.schedule", |ctx, _| {
        Box::pin(async move {
            let (published, withdrawn) = run_schedule(&ctx.db, now_ms()).await?;
            if published + withdrawn > 0 {
                tracing::info!(
                    catalog.published = published,
                    catalog.withdrawn = withdrawn,
                    "catalog.schedule"
                );
            }
            Ok(())
        })
    });
    crate::platform::jobs::ensure_schedule(db, "catalog.schedule", "catalog.schedule", 60).await?;
    Ok(())
}
