//! Pre-review and acceptance (预审 → 受理, 行政许可法 Art. 32) by the
//! acceptance staff: the window clerks of a 政务服务中心 for the
//! departments of its division, or a department's own window clerks.
//!
//! A submitted case gets exactly one complete 补正告知书 (the automatic
//! checks of the item's definition and every finding of the staff, each
//! with its basis), or is accepted (受理通知书 with the promised and
//! statutory completion dates from the legal calendar; the clock starts),
//! or refused (不予受理通知书 with reason, basis, the competent authority
//! and the right of appeal). A notice later than five working days after
//! receipt is flagged, and the clock then runs from receipt. Each notice
//! reaches the applicant as a message and as a PDF kept as issued; every
//! staff read of a case is recorded.

use tongban_domain::FieldProblem;
use tongban_domain::applications::{Action, ReadPurpose, State, allowed_actions};
use tongban_domain::kernel::Role;
use tongban_domain::kernel::calendar::Calendar;

use super::drafts::{COLUMNS, from_row};
pub use super::standing::{Document, Finding, Standing};
pub use super::standing::{Place, place, place_of};
pub(super) use super::standing::{standing, tentative};
use super::{ApplicationError, Opened, readiness};
use crate::identity::Principal;
use crate::kernel::orgs;
use crate::platform::clock::{Millis, date_cst, now_ms, today_cst};
use crate::platform::db::{Db, DbError};

pub use super::decide::{Act, Acted, FindingInput, MAX_FINDINGS, act, preview};

/// Where the actor accepts applications, as ancestry paths of
/// organisations: for each window-clerk grant, the organisation of the
/// grant (and what lies below it) and, at a 政务服务中心, every department
/// with a window there (进驻部门, `orgs::windows`) and what lies below it.
pub(super) async fn accepting_at(db: &Db, actor: &Principal) -> Result<Vec<String>, DbError> {
    let mut paths = Vec::new();
    for g in actor.grants.iter().filter(|g| g.role == Role::WindowClerk) {
        paths.push(g.org_path.clone());
        paths.extend(
            orgs::windows(db, g.org_id)
                .await?
                .into_iter()
                .map(|o| o.path),
        );
    }
    Ok(paths)
}

/// Whether an item of the organisation with this path is in scope.
pub(super) fn covers(at: &[String], org_path: &str) -> bool {
    at.iter().any(|p| org_path.starts_with(p.as_str()))
}

/// A case as the acceptance staff see it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The application with its item, files, findings and documents.
    pub opened: Opened,
    /// What the caller may do now.
    pub allowed: Vec<Action>,
    /// What the item's definition finds missing or wrong now.
    pub automatic: Vec<FieldProblem>,
    /// Working days since receipt (the five of Art. 32).
    pub days_since_receipt: i64,
    /// Read by the acceptance staff in whose scope it is (not by its
    /// applicant or the person acting).
    pub staff: bool,
}

pub(super) async fn scoped(
    db: &Db,
    actor: &Principal,
    case_number: &str,
) -> Result<(i64, super::Application), ApplicationError> {
    let row = crate::platform::db::query(format!(
        "SELECT {COLUMNS}, o.path AS org_path \
         FROM applications a JOIN accounts p ON p.id = a.applicant_id JOIN accounts q ON q.id = a.acting_id \
         JOIN service_items i ON i.id = a.item_id JOIN organizations o ON o.id = i.org_id \
         WHERE a.case_number = $1"
    ))
    .bind(case_number.trim())
    .fetch_optional(&db)
    .await?;
    let r = row.ok_or(ApplicationError::NotFound)?;
    let path: String = r.try_get("org_path")?;
    if !covers(&accepting_at(db, actor).await?, &path) {
        return Err(ApplicationError::NotFound);
    }
    Ok(from_row(&r)?)
}

/// Working days after the day of receipt up to today.
pub(super) fn days_since(cal: &Calendar, received: Millis) -> i64 {
    cal.working_days_left(date_cst(received), today_cst())
        .unwrap_or(0)
}

pub(super) async fn own_case(
    db: &Db,
    actor: &Principal,
    case_number: &str,
) -> Result<(i64, super::Application), ApplicationError> {
    let row = crate::platform::db::query(format!(
        "SELECT {COLUMNS} FROM applications a JOIN accounts p ON p.id = a.applicant_id \
         JOIN accounts q ON q.id = a.acting_id \
         WHERE a.case_number = $1 AND (a.applicant_id = $2 OR a.acting_id = $2)"
    ))
    .bind(case_number.trim())
    .bind(actor.account.id)
    .fetch_optional(&db)
    .await?;
    let (row_id, a) = from_row(&row.ok_or(ApplicationError::NotFound)?)?;
    if a.applicant_id != actor.account.id {
        super::authority::hold_read(db, row_id, actor.account.id, now_ms()).await?;
    }
    Ok((row_id, a))
}

/// A case by its 办件编号: for the acceptance staff in whose scope it is
/// (the read is recorded, with what they may do), or for its applicant and
/// the person acting (who may do nothing here); `NotFound` for anyone else.
pub async fn case(
    db: &Db,
    actor: &Principal,
    cal: &Calendar,
    case_number: &str,
) -> Result<Case, ApplicationError> {
    let (row_id, a) = match scoped(db, actor, case_number).await {
        Err(ApplicationError::NotFound) => {
            let (row_id, a) = own_case(db, actor, case_number).await?;
            let opened = super::drafts::opened(db, row_id, a).await?;
            return Ok(Case {
                staff: false,
                allowed: vec![],
                days_since_receipt: opened.submitted_at.map_or(0, |at| days_since(cal, at)),
                automatic: vec![],
                opened,
            });
        }
        other => other?,
    };
    let opened = super::drafts::opened(db, row_id, a).await?;
    let actor_id = actor.account.id;
    db.write(crate::tx!(c => {
        crate::platform::db::query(
            "INSERT INTO application_reads (application_id, actor_id, purpose, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(row_id)
        .bind(actor_id)
        .bind(ReadPurpose::Acceptance.code())
        .bind(now_ms())
        .execute(c)
        .await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    let automatic = match &opened.item {
        Some(p) => readiness(
            &p.guide,
            &opened.app.situation,
            &opened.app.fields,
            &opened.app.files,
            None,
        ),
        None => vec![],
    };
    Ok(Case {
        staff: true,
        allowed: allowed_actions(opened.app.state, opened.standing.corrected),
        days_since_receipt: opened.submitted_at.map_or(0, |at| days_since(cal, at)),
        automatic,
        opened,
    })
}

/// A case in the acceptance queue.
#[derive(Debug, Clone)]
pub struct QueueLine {
    /// 办件编号.
    pub case_number: String,
    /// Item name.
    pub item_name: String,
    /// Its English name (empty where the catalog has none).
    pub item_name_en: String,
    /// Applicant.
    pub applicant: String,
    /// State.
    pub state: State,
    /// Received.
    pub submitted_at: Millis,
}

/// The cases waiting for the actor's acceptance decision (submitted or
/// back for correction), oldest first, at most 200.
pub async fn queue(db: &Db, actor: &Principal) -> Result<Vec<QueueLine>, ApplicationError> {
    let at = accepting_at(db, actor).await?;
    if at.is_empty() {
        return Ok(vec![]);
    }
    // The scope in the query, so cases elsewhere never crowd the list.
    let scope = (1..=at.len())
        .map(|i| format!("o.path LIKE ${i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT a.case_number, a.state, a.submitted_at, p.display_name AS applicant, v.name AS item_name, v.name_en AS item_name_en \
         FROM applications a JOIN accounts p ON p.id = a.applicant_id \
         JOIN service_items i ON i.id = a.item_id JOIN organizations o ON o.id = i.org_id \
         JOIN published_items v ON v.task_code = a.task_code \
         WHERE a.state IN ('submitted', 'correction') AND ({scope}) ORDER BY a.submitted_at, a.id LIMIT 200"
    );
    let mut q = crate::platform::db::query(sql);
    for p in &at {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.fetch_all(&db).await?;
    let mut out = Vec::new();
    for r in &rows {
        let state: String = r.try_get("state")?;
        out.push(QueueLine {
            case_number: r.try_get("case_number")?,
            item_name: r.try_get("item_name")?,
            item_name_en: r.try_get("item_name_en")?,
            applicant: r.try_get("applicant")?,
            state: State::from_code(&state).ok_or_else(|| DbError::Corrupt(state.clone()))?,
            submitted_at: r.try_get::<Option<i64>, _>("submitted_at")?.unwrap_or(0),
        });
    }
    Ok(out)
}
