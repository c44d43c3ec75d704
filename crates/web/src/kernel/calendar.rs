//! The legal calendar: the API department systems count deadlines with,
//! and the page where system administrators load a year's arrangement.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tongban_core::kernel::calendar::{self as cal, CalendarEditError, Change, YearView};
use tongban_domain::FieldProblem;
use tongban_domain::kernel::calendar::{
    ArrangedDay, CalendarError, DayKind, FIRST_YEAR, LAST_YEAR, Period, Unit, parse_date,
};
use utoipa::{IntoParams, ToSchema};

use crate::http::api::Problem;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::json::Json;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState, ctx::Ctx};

/// A deadline question.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeadlineQuery {
    /// The day of the starting event (受理日 …), `YYYY-MM-DD`, in 2025–2030.
    #[param(
        required = true,
        pattern = r"^20(2[5-9]|30)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
    )]
    pub from: Option<String>,
    /// A period in working days (工作日); give this or `days`.
    #[param(minimum = 0, maximum = 2600)]
    pub working_days: Option<u32>,
    /// A period in calendar days (自然日).
    #[param(minimum = 0, maximum = 2600)]
    pub days: Option<u32>,
}

/// A deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineDto {
    /// The last day of the period, `YYYY-MM-DD`.
    pub deadline: String,
    /// Whether a year whose holiday arrangement is not loaded was used (only
    /// its statutory holidays were counted; the date may still move).
    pub provisional: bool,
}

/// The last day of a period counted on the legal calendar: working days
/// skip weekends, holidays and count make-up days; a calendar-day period
/// ending on a day off ends on the next working day (民法典 Art. 203). The
/// period starts the day after `from` unless the platform is set otherwise.
#[utoipa::path(get, path = "/api/v1/calendar/deadline", tag = "kernel", params(DeadlineQuery),
    responses((status = 200, body = DeadlineDto),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn deadline_get(
    State(state): State<AppState>,
    Query(q): Query<DeadlineQuery>,
) -> Result<Json<DeadlineDto>, AppError> {
    let from = q
        .from
        .as_deref()
        .ok_or_else(|| AppError::field("from", "required"))?;
    let from = parse_date(from).ok_or_else(|| AppError::field("from", "bad_date"))?;
    let period = match (q.working_days, q.days) {
        (Some(n), None) => Period {
            count: n,
            unit: Unit::WorkingDays,
        },
        (None, Some(n)) => Period {
            count: n,
            unit: Unit::CalendarDays,
        },
        _ => return Err(AppError::field("working_days", "one_of")),
    };
    let calendar = state.calendar().await?;
    let rule = state.config().calendar.period_starts;
    let d = calendar
        .deadline(from, period, rule, &[])
        .map_err(calendar_problem)?;
    Ok(Json(DeadlineDto {
        deadline: d.date.map(|d| d.to_string()).unwrap_or_default(),
        provisional: d.provisional,
    }))
}

fn calendar_problem(e: CalendarError) -> AppError {
    let field = match e {
        CalendarError::OutOfRange => "from",
        CalendarError::CountTooLarge => "working_days",
    };
    AppError::problem(field, e.code(), e.to_string())
}

/// A day of a year's arrangement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayDto {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The festival (春节, 国庆节 …).
    pub name: String,
}

impl DayDto {
    fn new(date: time::Date, name: &str) -> Self {
        Self {
            date: date.to_string(),
            name: name.to_owned(),
        }
    }
}

/// A year of the legal calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct YearDto {
    /// The year.
    pub year: i32,
    /// Whether the year's arrangement is loaded; if not, answers are
    /// provisional and only the statutory holidays count.
    pub provisional: bool,
    /// The notice the arrangement comes from.
    pub source: String,
    /// Days off (weekdays and weekend days alike).
    pub holidays: Vec<DayDto>,
    /// Weekend days that are working days (调休上班).
    pub workdays: Vec<DayDto>,
    /// The statutory holidays of 全国年节及纪念日放假办法 for the year.
    pub statutory: Vec<DayDto>,
}

/// A year's holidays and make-up working days.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "kernel",
    params(("year" = i32, Path, minimum = 2025, maximum = 2030, description = "the year")),
    responses((status = 200, body = YearDto),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn year_get(
    State(state): State<AppState>,
    Path(year): Path<i32>,
) -> Result<Json<YearDto>, AppError> {
    let y = cal::year(state.db(), year).await.map_err(edit_error)?;
    let statutory: Vec<DayDto> = y
        .statutory
        .iter()
        .map(|(d, n)| DayDto::new(*d, n))
        .collect();
    let arranged = |kind: DayKind| -> Vec<DayDto> {
        y.days
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| DayDto::new(d.date, &d.name))
            .collect()
    };
    // Without its notice, a year's days off are the statutory holidays.
    let (holidays, workdays) = if y.arranged {
        (arranged(DayKind::Holiday), arranged(DayKind::Workday))
    } else {
        (statutory.clone(), Vec::new())
    };
    Ok(Json(YearDto {
        year,
        provisional: !y.arranged,
        source: y.source.clone(),
        holidays,
        workdays,
        statutory,
    }))
}

fn edit_error(e: CalendarEditError) -> AppError {
    match e {
        CalendarEditError::Forbidden => AppError::Forbidden,
        CalendarEditError::OutOfRange => AppError::problem(
            "year",
            "out_of_range",
            format!("年份须在{FIRST_YEAR}至{LAST_YEAR}之间"),
        ),
        CalendarEditError::Invalid(p) => AppError::Validation(p),
        CalendarEditError::Conflict => AppError::Conflict("changed"),
        CalendarEditError::Db(e) => e.into(),
    }
}

/// A year in the list of the calendar page.
#[derive(Debug)]
pub struct YearRow {
    /// The year.
    pub year: i32,
    /// Whether its arrangement is loaded.
    pub arranged: bool,
    /// Its source.
    pub source: String,
}

/// `/admin/calendar` view.
#[derive(Template)]
#[template(path = "kernel/calendar.html")]
pub struct CalendarView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the supported years
    pub years: Vec<YearRow>,
    /// what was just done
    pub notice: String,
}

/// `?done=` after a save.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<i32>,
}

/// `GET /admin/calendar`.
pub async fn calendar_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    require_admin(&ctx)?;
    let mut years = Vec::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        let y = cal::year(state.db(), year).await.map_err(edit_error)?;
        years.push(YearRow {
            year,
            arranged: y.arranged,
            source: y.source,
        });
    }
    let notice = q
        .done
        .map(|y| t.fmt("calendar.saved", &[("year", &y.to_string())]))
        .unwrap_or_default();
    render(&CalendarView {
        t,
        nav: Nav::from_ctx(&ctx),
        years,
        notice,
    })
}

fn require_admin(ctx: &Ctx) -> Result<tongban_core::kernel::calendar::Editor, AppError> {
    let editor = ctx.require_session()?.principal.calendar_editor();
    if editor.system_admin {
        Ok(editor)
    } else {
        Err(AppError::Forbidden)
    }
}

/// `/admin/calendar/{year}` view.
#[derive(Template)]
#[template(path = "kernel/calendar_year.html")]
pub struct YearEditView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the year
    pub year: i32,
    /// whether it is loaded
    pub arranged: bool,
    /// the revision the form was drawn from
    pub revision: i64,
    /// the table being edited
    pub table: String,
    /// its source notice
    pub source: String,
    /// the statutory holidays, for comparison
    pub statutory: Vec<(String, String)>,
    /// what the table would change, once previewed
    pub change: Option<ChangeView>,
    /// problems
    pub errors: Vec<FieldError>,
    /// the edit lost a race
    pub conflict: bool,
}

/// The change an edit makes, as lines.
#[derive(Debug)]
pub struct ChangeView {
    /// newly arranged days
    pub added: Vec<String>,
    /// days back to the weekly rule
    pub removed: Vec<String>,
    /// days turned from off to on or back
    pub turned: Vec<String>,
    /// the running deadlines it moves: what, due now, due after
    pub moved: Vec<(String, String, String)>,
}

fn day_line(t: &Tr, d: &ArrangedDay) -> String {
    let kind = match d.kind {
        DayKind::Holiday => t.get("calendar.holiday"),
        DayKind::Workday => t.get("calendar.workday"),
    };
    format!("{} {} {}", d.date, kind, d.name).trim().to_owned()
}

fn change_view(t: &Tr, c: &Change) -> ChangeView {
    let lines = |v: &[ArrangedDay]| v.iter().map(|d| day_line(t, d)).collect();
    ChangeView {
        added: lines(&c.added),
        removed: lines(&c.removed),
        turned: lines(&c.turned),
        moved: c
            .moved
            .iter()
            .map(|m| {
                let day =
                    |d: Option<time::Date>| d.map_or_else(|| "—".to_owned(), |d| d.to_string());
                (m.label.clone(), day(m.old), day(m.new))
            })
            .collect(),
    }
}

/// The arrangement as the table an administrator edits.
fn table_of(y: &YearView) -> String {
    y.days
        .iter()
        .map(|d| format!("{},{},{}\n", d.date, d.kind.code(), d.name))
        .collect()
}

fn year_view(ctx: &Ctx, y: &YearView) -> YearEditView {
    YearEditView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        year: y.year,
        arranged: y.arranged,
        revision: y.revision,
        table: table_of(y),
        source: y.source.clone(),
        statutory: y
            .statutory
            .iter()
            .map(|(d, n)| (d.to_string(), n.clone()))
            .collect(),
        change: None,
        errors: Vec::new(),
        conflict: false,
    }
}

/// `GET /admin/calendar/{year}`.
pub async fn year_edit_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(year): Path<i32>,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let y = cal::year(state.db(), year).await.map_err(edit_error)?;
    render(&year_view(&ctx, &y))
}

/// The year form: `preview` shows what the table changes; `save` keeps it.
#[derive(Debug, Deserialize)]
pub struct YearForm {
    #[serde(default)]
    table: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    revision: i64,
    #[serde(default)]
    action: String,
}

/// `POST /admin/calendar/{year}`.
pub async fn year_edit_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(year): Path<i32>,
    axum::Form(f): axum::Form<YearForm>,
) -> Result<Response, AppError> {
    let editor = require_admin(&ctx)?;
    let t = ctx.tr();
    let y = cal::year(state.db(), year).await.map_err(edit_error)?;
    let mut view = year_view(&ctx, &y);
    view.table = f.table.clone();
    view.source = f.source.clone();
    view.revision = f.revision;
    let result = if f.action == "save" {
        cal::save_year(state.db(), editor, year, &f.table, &f.source, f.revision)
            .await
            .map(|_| None)
    } else {
        cal::preview(state.db(), editor, year, &f.table)
            .await
            .map(|(_, change)| Some(change))
    };
    match result {
        Ok(None) => {
            state.calendar_touched().await;
            Ok(Redirect::to(&format!("/admin/calendar?done={year}")).into_response())
        }
        Ok(Some(change)) => {
            view.change = Some(change_view(&t, &change));
            render(&view)
        }
        Err(CalendarEditError::Invalid(problems)) => {
            view.errors = localize(&t, problems);
            render_form(&view, false)
        }
        Err(CalendarEditError::Conflict) => {
            view.conflict = true;
            view.revision = y.revision;
            view.errors = localize(&t, vec![FieldProblem::new("table", "changed", "")]);
            let mut res = render(&view)?;
            *res.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(edit_error(e)),
    }
}
