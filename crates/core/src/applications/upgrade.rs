//! A draft keeps the form version it was started under; when the item
//! publishes a newer one, the person is shown what changes for them (the
//! answers the new form no longer asks for, the questions it adds, the
//! answers it no longer accepts) and moves to it in one step.

use serde_json::{Map, Value};
use tongban_domain::FieldProblem;
use tongban_domain::applications::State;
use tongban_domain::catalog::form::FormDef;

use super::drafts::load;
use super::{ApplicationError, form_of};
use crate::catalog;
use crate::identity::Principal;
use crate::platform::clock::{now_ms, today_cst};
use crate::platform::db::Db;

/// What moving a draft to the item's current form changes for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgrade {
    /// The version the draft answers.
    pub from: i64,
    /// The current version.
    pub to: i64,
    /// Answers the new form does not ask for (labels): dropped on moving.
    pub dropped: Vec<String>,
    /// Required questions the new form adds that the draft has not
    /// answered (labels).
    pub added: Vec<String>,
    /// Answers kept that the new form does not accept as they are.
    pub problems: Vec<FieldProblem>,
}

fn label_of(form: &FormDef, key: &str) -> String {
    form.field(key)
        .map_or_else(|| key.to_owned(), |f| f.label.clone())
}

fn compare(
    old: &FormDef,
    new: &FormDef,
    fields: &Map<String, Value>,
) -> (
    Map<String, Value>,
    Vec<String>,
    Vec<String>,
    Vec<FieldProblem>,
) {
    let mut kept = Map::new();
    let mut dropped = Vec::new();
    for (k, v) in fields {
        if new.field(k).is_some() {
            kept.insert(k.clone(), v.clone());
        } else {
            dropped.push(label_of(old, k));
        }
    }
    let added = new
        .sections
        .iter()
        .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
        .filter(|(s, f)| {
            f.required
                && old.field(&f.key).is_none()
                && new.field_shown(s, f, &kept)
                && !kept.contains_key(&f.key)
        })
        .map(|(_, f)| f.label.clone())
        .collect();
    let problems = new.check(&kept, today_cst(), false);
    (kept, dropped, added, problems)
}

/// What moving to the current form would change, when the item has
/// published a newer version than the draft's; `None` when it has not.
pub async fn newer(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<Option<Upgrade>, ApplicationError> {
    let (_, a) = load(db, actor, public_id).await?;
    let Some(current) = catalog::published(db, &a.task_code).await? else {
        return Err(ApplicationError::ItemWithdrawn);
    };
    if current.version_no <= a.version_no || a.state != State::Draft {
        return Ok(None);
    }
    let old = catalog::published_version(db, &a.task_code, Some(a.version_no))
        .await?
        .map(|p| form_of(&p.guide, &a.situation))
        .unwrap_or_default();
    let new = form_of(&current.guide, &a.situation);
    let (_, dropped, added, problems) = compare(&old, &new, &a.fields);
    Ok(Some(Upgrade {
        from: a.version_no,
        to: current.version_no,
        dropped,
        added,
        problems,
    }))
}

/// Moves a draft to the item's current form against `revision`: answers
/// the new form does not ask for are dropped, the rest kept (those it no
/// longer accepts are listed for the person to correct). Returns the new
/// revision and what changed.
pub async fn upgrade(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    revision: i64,
) -> Result<(i64, Upgrade), ApplicationError> {
    let (row_id, a) = load(db, actor, public_id).await?;
    if a.state != State::Draft {
        return Err(ApplicationError::WrongState);
    }
    if a.revision != revision {
        return Err(ApplicationError::Conflict);
    }
    let current = catalog::published(db, &a.task_code)
        .await?
        .ok_or(ApplicationError::ItemWithdrawn)?;
    if current.version_no <= a.version_no {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "version",
            "application.up_to_date",
            "草稿已是最新版本的表单",
        )]));
    }
    if !current
        .guide
        .situations
        .iter()
        .any(|s| s.code == a.situation)
        && !a.situation.is_empty()
    {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new("situation", "invalid", "新版本没有这个业务办理项")
                .with("value", a.situation.clone()),
        ]));
    }
    let old = catalog::published_version(db, &a.task_code, Some(a.version_no))
        .await?
        .map(|p| form_of(&p.guide, &a.situation))
        .unwrap_or_default();
    let new = form_of(&current.guide, &a.situation);
    let (kept, dropped, added, problems) = compare(&old, &new, &a.fields);
    let doc = Value::Object(kept).to_string();
    let (from, to) = (a.version_no, current.version_no);
    let actor_id = actor.account.id;
    let moved = db
        .write(crate::tx!(c => {
            let now = now_ms();
            super::authority::hold(c, row_id, actor_id, now).await?;
            let n = crate::platform::db::query(
                "UPDATE applications SET version_no = $1, fields = $2, revision = revision + 1, updated_at = $3 \
                 WHERE id = $4 AND revision = $5 AND state = 'draft'",
            )
            .bind(to)
            .bind(&doc)
            .bind(now)
            .bind(row_id)
            .bind(revision)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok::<_, ApplicationError>(false);
            }
            crate::platform::db::query(
                "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
                 VALUES ($1, 'upgraded', $2, $3, $4)",
            )
            .bind(row_id)
            .bind(actor_id)
            .bind(format!("{from} -> {to}"))
            .bind(now)
            .execute(&mut *c)
            .await?;
            Ok(true)
        }))
        .await?;
    if !moved {
        return Err(ApplicationError::Conflict);
    }
    Ok((
        revision + 1,
        Upgrade {
            from,
            to,
            dropped,
            added,
            problems,
        },
    ))
}
