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

mod attachments;
mod code_lists;
mod console;
mod create;
pub mod materials;
mod public;
mod review;

pub use attachments::*;
pub use code_lists::*;
pub use console::*;
pub use create::*;
pub use public::*;
pub use review::*;

use crate::platform::db::Conn as AnyConnection;
use crate::platform::db::Row;
use serde::Serialize;
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

fn version_from_row(r: &Row) -> Result<Version, CatalogError> {
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

fn item_from_row(r: &Row) -> Result<Item, CatalogError> {
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
    let r = crate::platform::db::query(format!(
        "SELECT {ICOLS} FROM service_items i JOIN catalog_entries e ON e.id = i.entry_id WHERE i.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db)
    .await?;
    r.as_ref().map(item_from_row).transpose()
}

/// One version by id.
pub async fn version(db: &Db, id: i64) -> Result<Option<Version>, CatalogError> {
    let r = crate::platform::db::query(format!("SELECT {VCOLS} FROM item_versions WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db)
        .await?;
    r.as_ref().map(version_from_row).transpose()
}

/// All versions of an item, newest first.
pub async fn versions(db: &Db, item_id: i64) -> Result<Vec<Version>, CatalogError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {VCOLS} FROM item_versions WHERE item_id = $1 ORDER BY version_no DESC"
    ))
    .bind(item_id)
    .fetch_all(&db)
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
    let rows = crate::platform::db::query(
        "SELECT ev.version_id, ev.action, a.display_name, ev.at, ev.note FROM item_events ev \
         LEFT JOIN accounts a ON a.id = ev.actor_id WHERE ev.item_id = $1 ORDER BY ev.id",
    )
    .bind(item_id)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                version_id: r.try_get("version_id")?,
                action: r.try_get("action")?,
                actor: r.try_get("display_name")?,
                at: r.try_get("at")?,
                note: r.try_get("note")?,
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
    crate::platform::db::query("INSERT INTO item_events (item_id, version_id, action, actor_id, at, note) VALUES ($1, $2, $3, $4, $5, $6)")
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

/// Roles that edit drafts.
pub const EDIT_ROLES: &[Role] = &[Role::CatalogEditor, Role::SystemAdmin];

/// What an actor may do with the items of the organisation at `org_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// Edit drafts and submit them (编辑).
    pub edit: bool,
    /// Publish, reject and withdraw (审核).
    pub review: bool,
}

impl Rights {
    /// Whether the actor may see the item in the console at all.
    pub fn any(self) -> bool {
        self.edit || self.review
    }
}

/// The actor's rights over the items of the organisation at `org_path`:
/// the one place the console's pages and the use cases learn them from.
pub fn rights(actor: Actor<'_>, org_path: &str) -> Rights {
    Rights {
        edit: actor.holds_any(EDIT_ROLES, org_path),
        review: actor.holds_any(REVIEW_ROLES, org_path),
    }
}

/// The owner kind under which catalog versions refer to stored files.
pub const FILE_OWNER: &str = "catalog_version";

/// Roles that may publish, reject and withdraw.
pub const REVIEW_ROLES: &[Role] = &[Role::SystemAdmin, Role::DeptAdmin];

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
