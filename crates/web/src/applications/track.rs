//! `/track`: a walk-in applicant follows a case with the 办件编号 and query
//! code printed on the receipt, without signing in.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tongban_core::applications::track::{self, TrackError, Tracked};
use tongban_core::platform::clock::format_cst;
use tongban_domain::applications::{CaseNo, grouped_case_number};

use crate::http::ctx::Ctx;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// What the form posts (kept on error).
#[derive(Debug, Default, Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    code: String,
}

/// `/track` view.
#[derive(Template)]
#[template(path = "applications/track.html")]
pub struct TrackView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the case number typed
    pub case_number: String,
    /// problems
    pub errors: Vec<FieldError>,
    /// the case found
    pub found: Option<Tracked>,
    /// its state, worded
    pub state_label: String,
    /// its steps so far, worded
    pub timeline: Vec<super::pages::Step>,
    /// the case found's number, in its parts
    pub number_shown: String,
}

fn view(
    ctx: &Ctx,
    pattern: &str,
    case_number: String,
    errors: Vec<FieldError>,
    found: Option<Tracked>,
) -> TrackView {
    let t = ctx.tr();
    TrackView {
        nav: Nav::from_ctx(ctx),
        state_label: found
            .as_ref()
            .map(|f| t.get(&format!("apply.state_{}", f.state.code())))
            .unwrap_or_default(),
        timeline: found
            .as_ref()
            .map(|f| super::pages::steps(&t, &f.timeline))
            .unwrap_or_default(),
        number_shown: found
            .as_ref()
            .map(|f| grouped_case_number(pattern, &f.case_number))
            .unwrap_or_default(),
        case_number,
        errors,
        found,
        t,
    }
}

/// `GET /track`.
pub async fn track_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render(&view(
        &ctx,
        &state.config().applications.case_number,
        String::new(),
        vec![],
        None,
    ))
}

/// `POST /track`.
pub async fn track_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TrackForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let origin = ctx.ip.clone().unwrap_or_default();
    // Taken as people copy or type it: grouped with spaces, in any case.
    let tracked = match CaseNo::parse_typed(&f.case_number) {
        Ok(n) => track::track(state.db(), &origin, &n, &f.code).await,
        Err(_) => Err(TrackError::NotFound),
    };
    let (status, errors, found) = match tracked {
        Ok(found) => (StatusCode::OK, vec![], Some(found)),
        Err(TrackError::NotFound) => (
            StatusCode::NOT_FOUND,
            vec![FieldError::worded(
                "case_number",
                "not_found",
                t.get("track.not_found"),
            )],
            None,
        ),
        Err(TrackError::TooMany { until }) => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![FieldError::worded(
                "case_number",
                "too_many",
                t.fmt("track.too_many", &[("until", &format_cst(until))]),
            )],
            None,
        ),
        Err(TrackError::Application(e)) => return Err(e.into()),
    };
    let mut res = render(&view(
        &ctx,
        &state.config().applications.case_number,
        f.case_number.trim().to_owned(),
        errors,
        found,
    ))?;
    *res.status_mut() = status;
    Ok(res)
}
