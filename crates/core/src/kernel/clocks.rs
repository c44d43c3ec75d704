//! Running legal clocks (法定时限) as data: a capability that starts a
//! deadline (the promised and statutory completion dates of an accepted
//! case, …) registers it here in its own transaction, with the day it
//! counts from, the period and the start rule. The calendar owns the
//! arithmetic, so when an administrator changes a year's arrangement the
//! preview lists the clocks it would move and saving moves them, in the
//! same transaction as the arrangement.

use crate::platform::db::Conn as AnyConnection;
use time::Date;
use tongban_domain::kernel::calendar::{Calendar, Period, StartRule, Unit, parse_date};

use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

/// A clock to start.
#[derive(Debug, Clone)]
pub struct NewClock<'a> {
    /// Who owns it, unique (`application:42:promised`).
    pub owner: &'a str,
    /// What it is, for people (办件 … 承诺办结).
    pub label: &'a str,
    /// The day of the starting event.
    pub from: Date,
    /// How long.
    pub period: Period,
    /// Whether the event's day counts.
    pub starts: StartRule,
}

fn unit_code(u: Unit) -> &'static str {
    match u {
        Unit::WorkingDays => "working",
        Unit::CalendarDays => "calendar",
    }
}

fn starts_code(s: StartRule) -> &'static str {
    match s {
        StartRule::NextDay => "next_day",
        StartRule::SameDay => "same_day",
    }
}

/// Starts (or restarts) a clock inside the caller's transaction; returns
/// its due date under `cal` (`None` when the period reaches past the years
/// the calendar knows).
pub async fn start(
    c: &mut AnyConnection,
    cal: &Calendar,
    k: &NewClock<'_>,
) -> Result<Option<Date>, DbError> {
    let due = cal
        .deadline(k.from, k.period, k.starts, &[])
        .ok()
        .and_then(|d| d.date);
    crate::platform::db::query(
        "INSERT INTO clocks (owner, label, from_day, count, unit, starts, due, running, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) \
         ON CONFLICT (owner) DO UPDATE SET label = $2, from_day = $3, count = $4, unit = $5, starts = $6, \
         due = $7, running = 1, updated_at = $8",
    )
    .bind(k.owner)
    .bind(k.label)
    .bind(k.from.to_string())
    .bind(i64::from(k.period.count))
    .bind(unit_code(k.period.unit))
    .bind(starts_code(k.starts))
    .bind(due.map(|d| d.to_string()))
    .bind(now_ms())
    .execute(c)
    .await?;
    Ok(due)
}

/// The due dates of clocks by owner prefix (`application:42:`), as
/// (owner, due).
pub async fn due_of(db: &Db, prefix: &str) -> Result<Vec<(String, Option<String>)>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT owner, due FROM clocks WHERE owner LIKE $1 ORDER BY owner",
    )
    .bind(format!("{prefix}%"))
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("owner")?, r.try_get("due")?)))
        .collect()
}

/// A clock a calendar change moves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    /// Owner.
    pub owner: String,
    /// What it is.
    pub label: String,
    /// Due now.
    pub old: Option<Date>,
    /// Due under the changed calendar.
    pub new: Option<Date>,
}

struct Running {
    owner: String,
    label: String,
    from: Date,
    period: Period,
    starts: StartRule,
    due: Option<Date>,
}

async fn running(c: &mut AnyConnection) -> Result<Vec<Running>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT owner, label, from_day, count, unit, starts, due FROM clocks WHERE running = 1 ORDER BY owner",
    )
    .fetch_all(c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let from: String = r.try_get("from_day")?;
        let unit: String = r.try_get("unit")?;
        let starts: String = r.try_get("starts")?;
        let count: i64 = r.try_get("count")?;
        let due: Option<String> = r.try_get("due")?;
        out.push(Running {
            owner: r.try_get("owner")?,
            label: r.try_get("label")?,
            from: parse_date(&from)
                .ok_or_else(|| DbError::Corrupt(format!("clock from {from}")))?,
            period: Period {
                count: u32::try_from(count)
                    .map_err(|_| DbError::Corrupt(format!("clock count {count}")))?,
                unit: if unit == "calendar" {
                    Unit::CalendarDays
                } else {
                    Unit::WorkingDays
                },
            },
            starts: if starts == "same_day" {
                StartRule::SameDay
            } else {
                StartRule::NextDay
            },
            due: due.as_deref().and_then(parse_date),
        });
    }
    Ok(out)
}

fn moves(cal: &Calendar, clocks: Vec<Running>) -> Vec<Moved> {
    clocks
        .into_iter()
        .filter_map(|k| {
            let new = cal
                .deadline(k.from, k.period, k.starts, &[])
                .ok()
                .and_then(|d| d.date);
            (new != k.due).then_some(Moved {
                owner: k.owner,
                label: k.label,
                old: k.due,
                new,
            })
        })
        .collect()
}

/// The running clocks whose due date `cal` (a changed calendar) would move.
pub async fn moved(db: &Db, cal: &Calendar) -> Result<Vec<Moved>, DbError> {
    let now_running = db.read(crate::tx!(c => { running(c).await })).await?;
    Ok(moves(cal, now_running))
}

/// Moves the running clocks to `cal` inside the caller's transaction;
/// returns what moved.
pub async fn follow(c: &mut AnyConnection, cal: &Calendar) -> Result<Vec<Moved>, DbError> {
    let moved = moves(cal, running(&mut *c).await?);
    let now = now_ms();
    for m in &moved {
        crate::platform::db::query("UPDATE clocks SET due = $1, updated_at = $2 WHERE owner = $3")
            .bind(m.new.map(|d| d.to_string()))
            .bind(now)
            .bind(&m.owner)
            .execute(&mut *c)
            .await?;
    }
    Ok(moved)
}
