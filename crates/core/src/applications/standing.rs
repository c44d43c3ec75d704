//! Where a case stands at acceptance: its findings, its documents as
//! issued, its deadlines (following calendar edits through the clocks, 暂定
//! when they reach an unpublished year) and what a correction changed.

use serde_json::{Map, Value};
use tongban_domain::applications::{Changes, Milestone, SubmittedFile, changes};

use crate::kernel::clocks;
use crate::platform::clock::Millis;
use crate::platform::db::{Db, DbError};
use crate::platform::pdf::Official;

/// One deficiency of a 补正告知书.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where: a field's JSON pointer (`/fields/area`), a material
    /// (`/materials/M001`), or empty for the application as a whole.
    pub target: String,
    /// What is wrong and what to do.
    pub problem: String,
    /// On what basis.
    pub basis: String,
    /// Found by the item's definition rather than by a person.
    pub automatic: bool,
}

/// Where a finding points, named from the case's own form and materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The application as a whole.
    Whole,
    /// A question of the form (a group's entry points at the group).
    Field {
        /// Its key.
        key: String,
        /// Its label.
        label: String,
        /// Its English label (may be empty).
        label_en: String,
    },
    /// A material.
    Material {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
    },
}

impl Place {
    /// The place as a notice states it: 申请表“…” / 材料“…” / 整个申请.
    pub fn words_zh(&self) -> String {
        self.words(tongban_domain::Lang::ZhCn)
    }

    /// The place in a language, as notices, messages and pages all state
    /// it: a question by its English label where it has one; a material by
    /// its name (the catalog names materials in Chinese only).
    pub fn words(&self, lang: tongban_domain::Lang) -> String {
        use tongban_domain::Lang;
        match (self, lang) {
            (Self::Whole, Lang::ZhCn) => "整个申请".to_owned(),
            (Self::Whole, Lang::En) => "The whole application".to_owned(),
            (Self::Field { label, .. }, Lang::ZhCn) => format!("申请表“{label}”"),
            (
                Self::Field {
                    label, label_en, ..
                },
                Lang::En,
            ) => format!(
                "Question “{}”",
                if label_en.is_empty() { label } else { label_en }
            ),
            (Self::Material { name, .. }, Lang::ZhCn) => format!("材料“{name}”"),
            (Self::Material { name, .. }, Lang::En) => format!("Material “{name}”"),
        }
    }
}

/// The place a target names in a case under guide `g` and situation
/// `situation`, when it names one of its questions or materials: a
/// question (`/fields/<key>`, or deeper into a group), a material
/// (`/materials/<code>`), or the whole application (empty). `None` for
/// anything else.
pub fn place(g: &tongban_domain::catalog::Guide, situation: &str, target: &str) -> Option<Place> {
    let target = target.trim();
    if target.is_empty() {
        return Some(Place::Whole);
    }
    if let Some(rest) = target.strip_prefix("/fields/") {
        let key = rest.split('/').next().unwrap_or("");
        let form = super::form_of(g, situation);
        let f = form.field(key)?;
        return Some(Place::Field {
            key: key.to_owned(),
            label: f.label.clone(),
            label_en: f.label_en.clone(),
        });
    }
    if let Some(code) = target.strip_prefix("/materials/") {
        let m = super::material_of(g, situation, code)?;
        return Some(Place::Material {
            code: m.code.clone(),
            name: m.name.clone(),
        });
    }
    None
}

/// The place of a finding as recorded: what [`place`] names, the whole
/// application for a target that no longer names anything (an automatic
/// check's `/declaration`, a question since removed).
pub fn place_of(g: &tongban_domain::catalog::Guide, situation: &str, target: &str) -> Place {
    place(g, situation, target).unwrap_or(Place::Whole)
}

/// An official document of a case, as issued.
#[derive(Debug, Clone)]
pub struct Document {
    /// Id.
    pub id: i64,
    /// `correction`, `acceptance` or `rejection`.
    pub kind: String,
    /// 文号.
    pub number: String,
    /// When.
    pub issued_at: Millis,
    /// The document.
    pub body: Official,
}

/// Where a case stands at acceptance.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    /// Corrections asked so far (at most one round).
    pub corrected: u32,
    /// Every finding of the correction notice.
    pub findings: Vec<Finding>,
    /// The official documents, oldest first.
    pub documents: Vec<Document>,
    /// When it was accepted.
    pub accepted_at: Option<Millis>,
    /// The day the clock runs from.
    pub clock_from: Option<String>,
    /// 承诺办结日期.
    pub promised_date: Option<String>,
    /// 法定办结日期.
    pub legal_date: Option<String>,
    /// A notice came later than five working days after receipt.
    pub late_notice: bool,
    /// What the last correction changed (once submitted again).
    pub changes: Option<Changes>,
    /// The deadlines reach into a year whose arrangement of holidays is
    /// not yet published: 暂定 wherever they show.
    pub provisional: bool,
    /// Its steps so far, oldest first, with when each was taken.
    pub timeline: Vec<(Milestone, Millis)>,
}

/// The steps a case has taken, oldest first (see [`Milestone`]).
pub(super) async fn timeline(db: &Db, row_id: i64) -> Result<Vec<(Milestone, Millis)>, DbError> {
    // One placeholder per step, however many there are.
    let marks = (2..Milestone::ALL.len() + 2)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT kind, created_at FROM application_events WHERE application_id = $1 \
         AND kind IN ({marks}) ORDER BY id"
    );
    let mut q = crate::platform::db::query(sql).bind(row_id);
    for m in Milestone::ALL {
        q = q.bind(m.event());
    }
    let rows = q.fetch_all(&db).await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let step = Milestone::of_event(&kind)
                .ok_or_else(|| DbError::Corrupt(format!("event kind {kind}")))?;
            Ok((step, r.try_get("created_at")?))
        })
        .collect()
}

/// Whether dates (`YYYY-MM-DD`) reach into a year whose arrangement is not
/// loaded in the legal calendar (the days were counted with the statutory
/// holidays only, so they are 暂定).
pub(super) async fn tentative(db: &Db, days: &[Option<&str>]) -> Result<bool, DbError> {
    let years: Vec<i64> = days
        .iter()
        .flatten()
        .filter_map(|d| d.get(..4)?.parse().ok())
        .collect();
    let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else {
        return Ok(false);
    };
    let loaded: i64 = crate::platform::db::query(
        "SELECT COUNT(*) AS n FROM calendar_years WHERE year BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_one(&db)
    .await?
    .try_get("n")?;
    Ok(loaded < last - first + 1)
}

/// What the last submission changed from the one before, if there were two.
async fn last_changes(db: &Db, row_id: i64) -> Result<Option<Changes>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT fields, files FROM application_submissions WHERE application_id = $1 ORDER BY round DESC LIMIT 2",
    )
    .bind(row_id)
    .fetch_all(&db)
    .await?;
    let [after, before] = rows.as_slice() else {
        return Ok(None);
    };
    let read =
        |r: &crate::platform::db::Row| -> Result<(Map<String, Value>, Vec<SubmittedFile>), DbError> {
            let fields: String = r.try_get("fields")?;
            let files: String = r.try_get("files")?;
            Ok((
                serde_json::from_str(&fields).map_err(|e| DbError::Corrupt(e.to_string()))?,
                serde_json::from_str(&files).map_err(|e| DbError::Corrupt(e.to_string()))?,
            ))
        };
    let (a, af) = read(after)?;
    let (b, bf) = read(before)?;
    Ok(Some(changes(&b, &a, &bf, &af)))
}

pub(super) async fn standing(db: &Db, row_id: i64) -> Result<Standing, DbError> {
    let r = crate::platform::db::query(
        "SELECT corrected, accepted_at, clock_from, promised_date, legal_date, late_notice FROM applications WHERE id = $1",
    )
    .bind(row_id)
    .fetch_one(&db)
    .await?;
    let findings = crate::platform::db::query(
        "SELECT target, problem, basis, automatic FROM application_findings WHERE application_id = $1 ORDER BY id",
    )
    .bind(row_id)
    .fetch_all(&db)
    .await?
    .iter()
    .map(|f| {
        Ok(Finding {
            target: f.try_get("target")?,
            problem: f.try_get("problem")?,
            basis: f.try_get("basis")?,
            automatic: f.try_get::<i64, _>("automatic")? != 0,
        })
    })
    .collect::<Result<Vec<_>, DbError>>()?;
    let documents = crate::platform::db::query(
        "SELECT id, kind, number, body, issued_at FROM application_documents WHERE application_id = $1 ORDER BY id",
    )
    .bind(row_id)
    .fetch_all(&db)
    .await?
    .iter()
    .map(|d| {
        let body: String = d.try_get("body")?;
        Ok(Document {
            id: d.try_get("id")?,
            kind: d.try_get("kind")?,
            number: d.try_get("number")?,
            issued_at: d.try_get("issued_at")?,
            body: serde_json::from_str(&body).map_err(|e| DbError::Corrupt(e.to_string()))?,
        })
    })
    .collect::<Result<Vec<_>, DbError>>()?;
    // The clocks' dates, which follow calendar changes, over the ones
    // notified at acceptance.
    let mut promised_date: Option<String> = r.try_get("promised_date")?;
    let mut legal_date: Option<String> = r.try_get("legal_date")?;
    for (owner, due) in clocks::due_of(db, &format!("application:{row_id}:")).await? {
        if owner.ends_with(":promised") {
            promised_date = due;
        } else if owner.ends_with(":legal") {
            legal_date = due;
        }
    }
    let clock_from: Option<String> = r.try_get("clock_from")?;
    let provisional = tentative(
        db,
        &[
            clock_from.as_deref(),
            promised_date.as_deref(),
            legal_date.as_deref(),
        ],
    )
    .await?;
    Ok(Standing {
        provisional,
        corrected: u32::try_from(r.try_get::<i64, _>("corrected")?).unwrap_or(0),
        findings,
        documents,
        accepted_at: r.try_get("accepted_at")?,
        clock_from,
        promised_date,
        legal_date,
        late_notice: r.try_get::<i64, _>("late_notice")? != 0,
        changes: last_changes(db, row_id).await?,
        timeline: timeline(db, row_id).await?,
    })
}
