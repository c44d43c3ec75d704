//! Drafts: read, save by merge patch with the revision the client last
//! saw, the actor's list and what the pages open (starting one is in
//! `start`).

use serde_json::{Map, Value};
use tongban_domain::FieldProblem;
use tongban_domain::applications::{State, merge_patch};
use tongban_domain::catalog::Guide;
use tongban_domain::catalog::form::{FormDef, input};

use super::ApplicationError;
use crate::catalog;
use crate::identity::{Principal, agents, oidc};
use crate::platform::clock::{Millis, now_ms, today_cst};
use crate::platform::db::{Db, DbError};

/// An application as its applicant and acting person see it.
#[derive(Debug, Clone)]
pub struct Application {
    /// Public id.
    pub id: String,
    /// The applicant's account.
    pub applicant_id: i64,
    /// The acting person's account.
    pub acting_id: i64,
    /// The applicant's unified social credit code (an organisation's; none
    /// for a person): the 服务对象 they count as.
    pub applicant_credit: Option<String>,
    /// 实施编码.
    pub task_code: String,
    /// Item name (of the version it was started under).
    pub item_name: String,
    /// The item's English name (empty when the catalog has none).
    pub item_name_en: String,
    /// The version of the item's form it uses.
    pub version_no: i64,
    /// 业务办理项 code (empty: none).
    pub situation: String,
    /// State.
    pub state: State,
    /// The answers.
    pub fields: Map<String, Value>,
    /// Revision, for the next save.
    pub revision: i64,
    /// 办件编号, once submitted.
    pub case_number: Option<String>,
    /// The applicant's name.
    pub applicant_name: String,
    /// The acting person's name.
    pub acting_name: String,
    /// Authority (`own`, `mandate:<id>`).
    pub authority: String,
    /// Channel code.
    pub channel: String,
    /// 申报来源 (A.5).
    pub source_code: String,
    /// Started.
    pub created_at: Millis,
    /// Last saved.
    pub updated_at: Millis,
    /// Deleted after this unless saved again.
    pub expires_at: Millis,
    /// The item's current version, when it is newer than the draft's
    /// (see `upgrade`).
    pub newer_version: Option<i64>,
    /// The files given for its materials.
    pub files: Vec<super::GivenFile>,
    /// Bumped by every file given or taken back (what submission guards).
    pub files_revision: i64,
    /// When the applicant ended the acting person's authority, if they did.
    pub authority_ended_at: Option<Millis>,
    /// The answers that say who the applicant is, filled when the draft
    /// started: no save changes them.
    pub locked: Vec<String>,
    /// The declaration a submission accepts (while its item is published).
    pub declaration: Option<super::declaration::Declaration>,
}

/// The form a draft answers: the item's, with its situation's questions
/// after them.
pub fn form_of(g: &Guide, situation: &str) -> FormDef {
    let mut f = g.form.clone();
    if let Some(s) = g.situations.iter().find(|s| s.code == situation) {
        f.sections.extend(s.form.sections.iter().cloned());
        f.rules.extend(s.form.rules.iter().cloned());
    }
    f
}

pub(super) const COLUMNS: &str = "a.id AS row_id, a.applicant_id, a.acting_id, a.public_id, a.task_code, a.version_no, a.situation_code, a.state, a.fields, \
     a.revision, a.case_number, a.authority, a.channel, a.source_code, a.created_at, a.updated_at, a.expires_at, a.files_revision, a.authority_ended_at, a.locked_fields, \
     a.declaration_version, a.declaration_hash, \
     (SELECT d.words FROM declaration_texts d WHERE d.sha256 = a.declaration_hash) AS declaration_words, \
     p.display_name AS applicant_name, p.credit_code AS applicant_credit, q.display_name AS acting_name";

pub(super) fn from_row(r: &crate::platform::db::Row) -> Result<(i64, Application), DbError> {
    let fields: String = r.try_get("fields")?;
    let state: String = r.try_get("state")?;
    Ok((
        r.try_get("row_id")?,
        Application {
            id: r.try_get("public_id")?,
            applicant_id: r.try_get("applicant_id")?,
            acting_id: r.try_get("acting_id")?,
            task_code: r.try_get("task_code")?,
            item_name: String::new(),
            item_name_en: String::new(),
            version_no: r.try_get("version_no")?,
            situation: r.try_get("situation_code")?,
            state: State::from_code(&state)
                .ok_or_else(|| DbError::Corrupt(format!("state {state}")))?,
            fields: serde_json::from_str(&fields).map_err(|e| DbError::Corrupt(e.to_string()))?,
            revision: r.try_get("revision")?,
            case_number: r.try_get("case_number")?,
            applicant_name: r.try_get("applicant_name")?,
            applicant_credit: r.try_get("applicant_credit")?,
            acting_name: r.try_get("acting_name")?,
            authority: r.try_get("authority")?,
            channel: r.try_get("channel")?,
            source_code: r.try_get("source_code")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            expires_at: r.try_get("expires_at")?,
            newer_version: None,
            files: Vec::new(),
            files_revision: r.try_get("files_revision")?,
            authority_ended_at: r.try_get("authority_ended_at")?,
            locked: serde_json::from_str(&r.try_get::<String, _>("locked_fields")?)
                .map_err(|e| DbError::Corrupt(format!("locked_fields: {e}")))?,
            // What a submitted case's person accepted, in the words kept
            // (a case back for correction is declared again, in today's).
            declaration: match (
                State::from_code(&state).is_some_and(|s| !s.editable()),
                r.try_get::<Option<String>, _>("declaration_version")?,
                r.try_get::<Option<String>, _>("declaration_hash")?,
                r.try_get::<Option<String>, _>("declaration_words")?,
            ) {
                (true, Some(v), Some(h), Some(w)) => {
                    super::declaration::Declaration::kept(&v, &h, &w)
                }
                _ => None,
            },
        },
    ))
}

/// One of the actor's applications (as applicant, as the person acting, or
/// as the enterprise applied for); `NotFound` for anyone else's, so that
/// nobody learns another's application exists; `AuthorityEnded` for the
/// person acting once the applicant's authority has ended.
pub(super) async fn load(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<(i64, Application), ApplicationError> {
    let row = crate::platform::db::query(format!(
        "SELECT {COLUMNS} FROM applications a JOIN accounts p ON p.id = a.applicant_id \
         JOIN accounts q ON q.id = a.acting_id \
         WHERE a.public_id = $1 AND (a.applicant_id = $2 OR a.acting_id = $2)"
    ))
    .bind(public_id)
    .bind(actor.account.id)
    .fetch_optional(&db)
    .await?;
    let r = row.ok_or(ApplicationError::NotFound)?;
    let (row_id, a) = from_row(&r)?;
    if a.applicant_id != actor.account.id {
        super::authority::hold_read(db, row_id, actor.account.id, now_ms()).await?;
    }
    Ok((row_id, a))
}

/// The name of an application's item: of its version while published, of
/// the published items' list otherwise (its task code as a last resort).
pub(super) async fn item_name_of(db: &Db, a: &Application) -> Result<String, ApplicationError> {
    match version_of(db, a).await {
        Ok((g, _)) => Ok(g.name),
        Err(ApplicationError::ItemWithdrawn) => Ok(a.task_code.clone()),
        Err(e) => Err(e),
    }
}

/// The guide of the version a draft was started under, in one read (while
/// the item is published).
pub(super) async fn guide_of(db: &Db, a: &Application) -> Result<Guide, ApplicationError> {
    Ok(version_of(db, a).await?.0)
}

/// The guide of the version a draft was started under and the number of
/// the version published now, in one read; `ItemWithdrawn` when the item
/// is no longer published.
pub(super) async fn version_of(db: &Db, a: &Application) -> Result<(Guide, i64), ApplicationError> {
    let row = crate::platform::db::query(
        "SELECT v.document, p.version_no AS current_version FROM published_items p \
         JOIN item_versions v ON v.item_id = p.item_id \
         WHERE p.task_code = $1 AND v.version_no = $2 AND v.status IN ('published', 'superseded')",
    )
    .bind(&a.task_code)
    .bind(a.version_no)
    .fetch_optional(&db)
    .await?
    .ok_or(ApplicationError::ItemWithdrawn)?;
    let doc: String = row.try_get("document")?;
    let guide = serde_json::from_str(&doc)
        .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
    Ok((
        super::materials::for_authority(guide, &a.authority),
        row.try_get("current_version")?,
    ))
}

/// One of the actor's applications.
pub async fn get(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<Application, ApplicationError> {
    let (row_id, mut a) = load(db, actor, public_id).await?;
    a.files = super::materials::given(db, row_id).await?;
    match version_of(db, &a).await {
        Ok((g, current)) => {
            let lists = catalog::code_lists(db).await?;
            if a.declaration.is_none() {
                a.declaration = Some(super::declaration::for_guide(&g, &lists));
            }
            a.item_name = g.name;
            if current > a.version_no && a.state == State::Draft {
                a.newer_version = Some(current);
            }
        }
        // Withdrawn since: no published version to name it from.
        Err(ApplicationError::ItemWithdrawn) => {}
        Err(e) => return Err(e),
    }
    Ok(a)
}

/// Saves a change to a draft: `patch` (a JSON merge patch of its answers)
/// against `revision`, the one the client last saw. What the patch gives is
/// checked against the draft's form at once (a key the form does not have,
/// a malformed number or ID, …), every problem listed; required answers
/// wait for submission. A stale revision is refused and nothing changes:
/// the client keeps its input and is told. Returns the new revision.
pub async fn save(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    revision: i64,
    patch: &Map<String, Value>,
    draft_days: i64,
) -> Result<i64, ApplicationError> {
    save_with(db, actor, public_id, revision, draft_days, None, |_, _| {
        Ok(patch.clone())
    })
    .await
}

/// Saves a question page of a draft: `pairs` as the HTML form posted them
/// for section `section` (see [`input::patch_of`]), against `revision`,
/// checked like [`save`]; when the person goes on (`complete`), the
/// section's required questions are asked for at once, not at submission:
/// what was typed is saved, then the missing answers are refused
/// (`Invalid`, the draft at its next revision). Returns the new revision.
#[expect(
    clippy::too_many_arguments,
    reason = "the page, its revision and what was posted come as the request gives them"
)]
pub async fn save_page(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    revision: i64,
    section: usize,
    pairs: &[(String, String)],
    complete: bool,
    draft_days: i64,
) -> Result<i64, ApplicationError> {
    save_with(
        db,
        actor,
        public_id,
        revision,
        draft_days,
        complete.then_some(section),
        |form, fields| {
            let s = form
                .sections
                .get(section)
                .ok_or(ApplicationError::NotFound)?;
            Ok(input::patch_of(form, s, fields, pairs))
        },
    )
    .await
}

/// The answers saying who the applicant is that a save would change: each
/// refused at its field.
fn locked_changed(
    form: &FormDef,
    a: &Application,
    fields: &Map<String, Value>,
) -> Vec<FieldProblem> {
    a.locked
        .iter()
        .filter(|k| a.fields.get(k.as_str()) != fields.get(k.as_str()))
        .map(|k| {
            let (label, label_en) = form.field(k).map_or((k.as_str(), ""), |f| {
                (f.label.as_str(), f.label_en.as_str())
            });
            FieldProblem::new(
                format!("/fields/{k}"),
                "application.identity_locked",
                format!("“{label}”来自申请人的实名信息，不能修改"),
            )
            .with("label", label.to_owned())
            .with("label_en", label_en.to_owned())
        })
        .collect()
}

async fn save_with(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    revision: i64,
    draft_days: i64,
    complete: Option<usize>,
    patch: impl FnOnce(&FormDef, &Map<String, Value>) -> Result<Map<String, Value>, ApplicationError>,
) -> Result<i64, ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    if !a.state.editable() {
        return Err(ApplicationError::WrongState);
    }
    if a.revision != revision {
        return Err(ApplicationError::Conflict);
    }
    let g = guide_of(db, &a).await?;
    let form = form_of(&g, &a.situation);
    let mut fields = a.fields.clone();
    let patch = patch(&form, &fields)?;
    merge_patch(&mut fields, &patch);
    let mut problems = form.check(&fields, today_cst(), false);
    problems.extend(locked_changed(&form, &a, &fields));
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid(problems));
    }
    // Going on from a page: its required questions are asked for now. What
    // was typed is saved first, so nothing is lost if the person leaves.
    let missing: Vec<FieldProblem> = match complete.and_then(|i| form.sections.get(i)) {
        Some(sec) => {
            let here = |pointer: &str| {
                let key = pointer.trim_start_matches("/fields/").split('/').next();
                sec.fields.iter().any(|f| Some(f.key.as_str()) == key)
            };
            form.check(&fields, today_cst(), true)
                .into_iter()
                .filter(|p| p.code == "form.required" && here(&p.field))
                .collect()
        }
        None => vec![],
    };
    // An answer its condition hides is not checked, so it is not kept
    // either: what is stored is always what the form shows.
    let doc = Value::Object(form.shown_answers(&fields)).to_string();
    let actor_id = actor.account.id;
    let changed = db
        .write(crate::tx!(c => {
            let now = now_ms();
            super::authority::hold(c, row_id, actor_id, now).await?;
            let n = crate::platform::db::query(
                "UPDATE applications SET fields = $1, revision = revision + 1, updated_at = $2, expires_at = $3 \
                 WHERE id = $4 AND revision = $5 AND state IN ('draft', 'correction')",
            )
            .bind(&doc)
            .bind(now)
            .bind(now + draft_days * 86_400_000)
            .bind(row_id)
            .bind(revision)
            .execute(c)
            .await?
            .rows_affected();
            Ok::<_, ApplicationError>(n == 1)
        }))
        .await?;
    if !changed {
        Err(ApplicationError::Conflict)
    } else if !missing.is_empty() {
        Err(ApplicationError::Invalid(missing))
    } else {
        Ok(revision + 1)
    }
}

/// The actor's applications, newest first (as applicant or as the person
/// acting), at most 200.
pub async fn mine(db: &Db, actor: &Principal) -> Result<Vec<Application>, ApplicationError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {COLUMNS} FROM applications a JOIN accounts p ON p.id = a.applicant_id \
         JOIN accounts q ON q.id = a.acting_id \
         WHERE a.applicant_id = $1 OR a.acting_id = $1 ORDER BY a.updated_at DESC, a.id DESC LIMIT 200"
    ))
    .bind(actor.account.id)
    .fetch_all(&db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let now = now_ms();
    for r in &rows {
        let (row_id, mut a) = from_row(r)?;
        // Someone else's application shows only while the authority to act
        // on it holds.
        if a.applicant_id != actor.account.id
            && super::authority::hold_read(db, row_id, actor.account.id, now)
                .await
                .is_err()
        {
            continue;
        }
        if let Some(p) = catalog::published(db, &a.task_code).await? {
            a.item_name = p.guide.name;
            a.item_name_en = p.guide.name_en;
        }
        out.push(a);
    }
    Ok(out)
}

/// What the start page of an item offers the signed-in person.
#[derive(Debug, Clone)]
pub struct Starting {
    /// Why the actor may not apply as themselves (or for a person, at a
    /// window or as an agent): the item does not serve them.
    pub not_served: Option<FieldProblem>,
    /// The published item.
    pub item: catalog::Published,
    /// The enterprises the person may apply for on this item (credit
    /// code, name), besides themselves.
    pub enterprises: Vec<(String, String)>,
    /// The person's real-name level.
    pub level: i64,
}

/// The start page of an item: the published item, the enterprises whose
/// live authorisation covers it, and the person's real-name level (the
/// page says how to go up when it is below the item's minimum).
pub async fn starting(
    db: &Db,
    actor: &Principal,
    task_code: &str,
) -> Result<Starting, ApplicationError> {
    let item = catalog::published(db, task_code)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    let now = now_ms();
    // Only the enterprises the item serves are offered.
    let enterprises = agents::held_by(db, actor.account.id)
        .await?
        .into_iter()
        .filter(|m| m.live(now) && m.covers(&item.catalog_code))
        .filter(|m| super::not_served(&item.guide, Some(&m.credit_code)).is_none())
        .map(|m| (m.credit_code, m.enterprise_name))
        .collect();
    let level = oidc::real_name_level(db, actor.account.id).await?;
    let not_served = super::not_served(&item.guide, actor.account.credit_code.as_deref());
    Ok(Starting {
        item,
        enterprises,
        level,
        not_served,
    })
}

/// An application with what its pages show: the published version it
/// answers (its guide, organisation and dates).
#[derive(Debug, Clone)]
pub struct Opened {
    /// The application, with its files.
    pub app: Application,
    /// The published version it was started under; `None` when the item
    /// has been withdrawn since (the draft is kept and says so).
    pub item: Option<catalog::Published>,
    /// The query code printed on the receipt, once submitted.
    pub query_code: Option<String>,
    /// When it was submitted.
    pub submitted_at: Option<Millis>,
    /// While a draft (or back for correction): what stands in the way of
    /// submitting it (see [`super::readiness`]).
    pub problems: Vec<FieldProblem>,
    /// Corrections, documents and deadlines of the acceptance stage.
    pub standing: super::acceptance::Standing,
    /// The law its acceptance notices cite, today.
    pub notice_basis: String,
    /// The law its receipt cites: as it was when the case was received.
    pub receipt_basis: String,
}

/// One of the actor's applications with its item's version, for its pages.
pub async fn open(db: &Db, actor: &Principal, public_id: &str) -> Result<Opened, ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    opened(db, row_id, a).await
}

/// An application loaded for someone entitled to it, with everything its
/// pages show.
pub(super) async fn opened(
    db: &Db,
    row_id: i64,
    mut app: Application,
) -> Result<Opened, ApplicationError> {
    app.files = super::materials::given(db, row_id).await?;
    let item = catalog::published_version(db, &app.task_code, Some(app.version_no))
        .await?
        .map(|mut p| {
            p.guide = super::materials::for_authority(p.guide, &app.authority);
            p
        });
    let mut notice_basis = String::new();
    if let Some(p) = &item {
        app.item_name = p.guide.name.clone();
        if p.current_version > app.version_no && app.state == State::Draft {
            app.newer_version = Some(p.current_version);
        }
        let lists = catalog::code_lists(db).await?;
        if app.declaration.is_none() {
            app.declaration = Some(super::declaration::for_guide(&p.guide, &lists));
        }
        notice_basis = super::declaration::notice_basis(&p.guide, &lists);
    }
    let r = crate::platform::db::query(
        "SELECT query_code, submitted_at, receipt_basis FROM applications WHERE id = $1",
    )
    .bind(row_id)
    .fetch_one(&db)
    .await?;
    let problems = match &item {
        Some(p) if app.state.editable() => {
            let mut problems = super::readiness(
                &p.guide,
                &app.situation,
                &app.fields,
                &app.files,
                app.newer_version,
            );
            // A case corrected and submitted again stays as it was.
            if app.state == State::Draft {
                problems.extend(super::not_served(&p.guide, app.applicant_credit.as_deref()));
            }
            problems
        }
        _ => Vec::new(),
    };
    Ok(Opened {
        query_code: r.try_get("query_code")?,
        submitted_at: r.try_get("submitted_at")?,
        standing: super::acceptance::standing(db, row_id).await?,
        problems,
        app,
        item,
        // Received before the law was kept with it: today's.
        receipt_basis: r
            .try_get::<Option<String>, _>("receipt_basis")?
            .unwrap_or_else(|| notice_basis.clone()),
        notice_basis,
    })
}
