//! 法定工作日历 the legal calendar as data: each year's arrangement of
//! holidays and make-up working days, loaded by system administrators from
//! the State Council's notice; the calendar built from them, cached and
//! rebuilt when an arrangement changes; and the edits, with what they move.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::Date;
use tongban_domain::FieldProblem;
use tongban_domain::kernel::calendar::{
    ArrangedDay, Calendar, DayKind, FIRST_YEAR, LAST_YEAR, parse_date, parse_table,
    shipped_lunar_dates,
};

use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

/// How long a built calendar is trusted before the database is asked
/// whether an arrangement changed (another node may have loaded a year).
const RECHECK: Duration = Duration::from_secs(1);

/// The calendar of the platform, built once and rebuilt when an
/// arrangement changes.
#[derive(Default)]
pub struct Calendars {
    cached: tokio::sync::Mutex<Option<Cached>>,
}

struct Cached {
    stamp: (i64, i64),
    checked: Instant,
    calendar: Arc<Calendar>,
}

impl Calendars {
    /// The current calendar.
    pub async fn get(&self, db: &Db) -> Result<Arc<Calendar>, DbError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_mut() {
            if c.checked.elapsed() < RECHECK {
                return Ok(c.calendar.clone());
            }
            let now = stamp(db).await?;
            if now == c.stamp {
                c.checked = Instant::now();
                return Ok(c.calendar.clone());
            }
        }
        let stamp = stamp(db).await?;
        let calendar = Arc::new(load(db).await?);
        *cached = Some(Cached {
            stamp,
            checked: Instant::now(),
            calendar: calendar.clone(),
        });
        Ok(calendar)
    }

    /// Forgets the built calendar (after an edit on this node).
    pub async fn touched(&self) {
        *self.cached.lock().await = None;
    }
}

/// What changes when any arrangement changes.
async fn stamp(db: &Db) -> Result<(i64, i64), DbError> {
    let r = crate::platform::db::query(
        "SELECT COUNT(*) AS years, COALESCE(SUM(revision), 0) AS revisions FROM calendar_years",
    )
    .fetch_one(&db)
    .await?;
    Ok((r.try_get("years")?, r.try_get("revisions")?))
}

/// Builds the calendar from every loaded arrangement and the shipped table
/// of statutory dates.
pub async fn load(db: &Db) -> Result<Calendar, DbError> {
    Ok(Calendar::new(
        &arrangements(db).await?,
        &shipped_lunar_dates(),
    ))
}

/// The calendar as it would be with `year` arranged as `days`.
async fn with_year(db: &Db, year: i32, days: &[ArrangedDay]) -> Result<Calendar, DbError> {
    let mut arranged = arrangements(db).await?;
    arranged.insert(year, days.to_vec());
    Ok(Calendar::new(&arranged, &shipped_lunar_dates()))
}

/// Every loaded year's arranged days.
async fn arrangements(db: &Db) -> Result<BTreeMap<i32, Vec<ArrangedDay>>, DbError> {
    let mut arranged: BTreeMap<i32, Vec<ArrangedDay>> = BTreeMap::new();
    for r in crate::platform::db::query("SELECT year FROM calendar_years")
        .fetch_all(&db)
        .await?
    {
        arranged.insert(r.try_get::<i32, _>("year")?, Vec::new());
    }
    for day in days(db, None).await? {
        arranged.entry(day.date.year()).or_default().push(day);
    }
    Ok(arranged)
}

/// The arranged days of one year, or of all years.
async fn days(db: &Db, year: Option<i32>) -> Result<Vec<ArrangedDay>, DbError> {
    let rows = match year {
        Some(y) => {
            crate::platform::db::query(
                "SELECT day, kind, name FROM calendar_days WHERE year = $1 ORDER BY day",
            )
            .bind(y)
            .fetch_all(&db)
            .await?
        }
        None => {
            crate::platform::db::query("SELECT day, kind, name FROM calendar_days ORDER BY day")
                .fetch_all(&db)
                .await?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let day: String = r.try_get("day")?;
        let kind: String = r.try_get("kind")?;
        let (Some(date), Some(kind)) = (parse_date(&day), DayKind::parse(&kind)) else {
            return Err(DbError::Internal(format!(
                "calendar day {day} ({kind}) is unreadable"
            )));
        };
        out.push(ArrangedDay {
            date,
            kind,
            name: r.try_get("name")?,
        });
    }
    Ok(out)
}

/// One year as the calendar page and the API show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct YearView {
    /// The year.
    pub year: i32,
    /// Whether its arrangement is loaded (otherwise answers are provisional).
    pub arranged: bool,
    /// The notice it was loaded from (国办发明电〔2025〕7号 …).
    pub source: String,
    /// Revision of the arrangement (0 when none is loaded).
    pub revision: i64,
    /// The arranged days off and make-up working days.
    pub days: Vec<ArrangedDay>,
    /// The statutory holidays of the year (放假办法), for comparison.
    pub statutory: Vec<(Date, String)>,
}

/// Why a calendar question or edit failed.
#[derive(Debug, thiserror::Error)]
pub enum CalendarEditError {
    /// Only system administrators keep the calendar.
    #[error("forbidden")]
    Forbidden,
    /// The year lies outside the supported years.
    #[error("year out of range")]
    OutOfRange,
    /// The table has problems (every line at once).
    #[error("invalid table")]
    Invalid(Vec<FieldProblem>),
    /// Someone else changed the year first.
    #[error("changed")]
    Conflict,
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

fn supported(year: i32) -> Result<(), CalendarEditError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarEditError::OutOfRange)
    }
}

/// One year: its arrangement if loaded, and its statutory holidays.
pub async fn year(db: &Db, year: i32) -> Result<YearView, CalendarEditError> {
    supported(year)?;
    let row =
        crate::platform::db::query("SELECT source, revision FROM calendar_years WHERE year = $1")
            .bind(year)
            .fetch_optional(&db)
            .await?;
    let statutory = shipped_lunar_dates()
        .into_iter()
        .filter(|l| l.year == year)
        .flat_map(|l| l.statutory_holidays())
        .map(|(d, name)| (d, name.to_owned()))
        .collect();
    let (source, revision) = match &row {
        Some(r) => (r.try_get("source")?, r.try_get("revision")?),
        None => (String::new(), 0),
    };
    Ok(YearView {
        year,
        arranged: row.is_some(),
        source,
        revision,
        days: if row.is_some() {
            days(db, Some(year)).await?
        } else {
            Vec::new()
        },
        statutory,
    })
}

/// Who edits the calendar: the account, and whether it administers the
/// platform (the only role that may).
#[derive(Debug, Clone, Copy)]
pub struct Editor {
    /// The account.
    pub account_id: i64,
    /// Whether it holds the system-administrator role.
    pub system_admin: bool,
}

/// How a year's days change with an edit.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Change {
    /// Days newly off or on.
    pub added: Vec<ArrangedDay>,
    /// Days back to the weekly rule.
    pub removed: Vec<ArrangedDay>,
    /// Days that turn from off to on or back (the new form).
    pub turned: Vec<ArrangedDay>,
    /// The running deadlines it moves (the cases they belong to).
    pub moved: Vec<super::clocks::Moved>,
}

impl Change {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.turned.is_empty()
    }
}

/// Reads `table` for `year` and tells what it changes, saving nothing: the
/// page shows this before the administrator confirms.
pub async fn preview(
    db: &Db,
    editor: Editor,
    year: i32,
    table: &str,
) -> Result<(Vec<ArrangedDay>, Change), CalendarEditError> {
    if !editor.system_admin {
        return Err(CalendarEditError::Forbidden);
    }
    supported(year)?;
    let new = parse_table(year, table).map_err(|lines| {
        CalendarEditError::Invalid(
            lines
                .into_iter()
                .map(|(n, message)| {
                    FieldProblem::new("table", "bad_line", message).with("line", n.to_string())
                })
                .collect(),
        )
    })?;
    if new.is_empty() {
        return Err(CalendarEditError::Invalid(vec![FieldProblem::new(
            "table",
            "required",
            "请粘贴当年的放假调休安排表",
        )]));
    }
    let old: BTreeMap<Date, ArrangedDay> = days(db, Some(year))
        .await?
        .into_iter()
        .map(|d| (d.date, d))
        .collect();
    let new_map: BTreeMap<Date, &ArrangedDay> = new.iter().map(|d| (d.date, d)).collect();
    let mut change = Change::default();
    for d in &new {
        match old.get(&d.date) {
            None => change.added.push(d.clone()),
            Some(o) if o.kind != d.kind => change.turned.push(d.clone()),
            Some(_) => {}
        }
    }
    change.removed = old
        .values()
        .filter(|o| !new_map.contains_key(&o.date))
        .cloned()
        .collect();
    change.moved = super::clocks::moved(db, &with_year(db, year, &new).await?).await?;
    Ok((new, change))
}

/// Replaces the arrangement of `year` with `table` (from the notice
/// `source`), if the year is still at `expected_revision` (0: not loaded);
/// the table text is kept for supervision. Returns the new revision.
pub async fn save_year(
    db: &Db,
    editor: Editor,
    year: i32,
    table: &str,
    source: &str,
    expected_revision: i64,
) -> Result<i64, CalendarEditError> {
    let (days, _) = preview(db, editor, year, table).await?;
    let changed = with_year(db, year, &days).await?;
    let (table, source) = (
        table.to_owned(),
        source.trim().chars().take(100).collect::<String>(),
    );
    let account = editor.account_id;
    let now = now_ms();
    db.write(crate::tx!(c => {
            let current: Option<i64> =
                crate::platform::db::query("SELECT revision FROM calendar_years WHERE year = $1")
                    .bind(year)
                    .fetch_optional(&mut *c)
                    .await?
                    .map(|r| r.try_get("revision"))
                    .transpose()?;
            if current.unwrap_or(0) != expected_revision {
                return Err(CalendarEditError::Conflict);
            }
            let revision = expected_revision + 1;
            let n = if current.is_some() {
                crate::platform::db::query(
                    "UPDATE calendar_years SET source = $1, revision = $2, updated_by = $3, updated_at = $4 \
                     WHERE year = $5 AND revision = $6",
                )
                .bind(&source)
                .bind(revision)
                .bind(account)
                .bind(now)
                .bind(year)
                .bind(expected_revision)
                .execute(&mut *c)
                .await?
                .rows_affected()
            } else {
                crate::platform::db::query(
                    "INSERT INTO calendar_years (year, source, revision, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(year)
                .bind(&source)
                .bind(revision)
                .bind(account)
                .bind(now)
                .execute(&mut *c)
                .await
                .map_err(|e| {
                    let e = e;
                    if e.is_unique_violation() {
                        CalendarEditError::Conflict
                    } else {
                        CalendarEditError::Db(e)
                    }
                })?
                .rows_affected()
            };
            if n != 1 {
                return Err(CalendarEditError::Conflict);
            }
            crate::platform::db::query("DELETE FROM calendar_days WHERE year = $1")
                .bind(year)
                .execute(&mut *c)
                .await?;
            for d in &days {
                crate::platform::db::query("INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)")
                    .bind(d.date.to_string())
                    .bind(year)
                    .bind(d.kind.code())
                    .bind(&d.name)
                    .execute(&mut *c)
                    .await?;
            }
            crate::platform::db::query(
                "INSERT INTO calendar_changes (year, revision, table_text, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(year)
            .bind(revision)
            .bind(&table)
            .bind(account)
            .bind(now)
            .execute(&mut *c)
            .await?;
            // The running deadlines follow the new arrangement.
            super::clocks::follow(c, &changed).await?;
            Ok(revision)
        }))
    .await
}

/// The years from `today`'s to the next one whose arrangement is not
/// loaded: the console warns administrators about them, since deadlines
/// reaching into them are provisional.
pub async fn years_to_load(db: &Db, today: Date) -> Result<Vec<i32>, DbError> {
    let mut out = Vec::new();
    for y in today.year()..=today.year() + 1 {
        let loaded = crate::platform::db::query("SELECT 1 FROM calendar_years WHERE year = $1")
            .bind(y)
            .fetch_optional(&db)
            .await?
            .is_some();
        if !loaded {
            out.push(y);
        }
    }
    Ok(out)
}
