//! A question page: one section of the form, saved to the draft against
//! the revision it was read at.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use tongban_core::applications::{self, ApplicationError, Opened};
use tongban_domain::catalog::form::input;

use super::{form_and_guide, name_of, pairs_get, refused, shown_sections, voice};
use crate::applications::fields::{
    DivisionOption, FieldView, anchored, division_options, section_fields,
};
use crate::http::ctx::Ctx;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// `/applications/{id}/pages/{n}` view.
#[derive(Template)]
#[template(path = "applications/page.html")]
pub struct PageView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// application id
    pub id: String,
    /// item name
    pub name: String,
    /// section index
    pub n: usize,
    /// "page 2 of 4"
    pub progress: String,
    /// section title
    pub title: String,
    /// the fields
    pub fields: Vec<FieldView>,
    /// the divisions an address may be in (only when the page has one)
    pub divisions: Vec<DivisionOption>,
    /// revision the page was read at
    pub revision: i64,
    /// problems
    pub errors: Vec<FieldError>,
    /// saved elsewhere meanwhile: the input is kept and the person told
    pub conflict: bool,
    /// where a person applying as themselves goes to apply for someone
    /// else (empty for anyone else)
    pub not_you: String,
    /// opened from check your answers: continuing returns there
    pub back_to_check: bool,
}

/// Path of a question page.
#[derive(Debug, Deserialize)]
pub struct PagePath {
    id: String,
    n: usize,
}

async fn page_view(
    state: &AppState,
    ctx: &Ctx,
    o: &Opened,
    n: usize,
    answers: &Map<String, Value>,
    errors: Vec<FieldError>,
    add: Option<&str>,
) -> Result<PageView, AppError> {
    let t = voice(ctx, o);
    let (_, form) = form_and_guide(o).ok_or(AppError::NotFound)?;
    let sec = form.sections.get(n).ok_or(AppError::NotFound)?;
    let shown = shown_sections(&form, answers);
    let at = shown.iter().position(|i| *i == n).unwrap_or(0);
    let fields = section_fields(&t, &form, sec, answers, &errors, add, &o.app.locked);
    let has_address = fields
        .iter()
        .any(|f| f.kind == "address" || f.entries.iter().flatten().any(|g| g.kind == "address"));
    let divisions = if has_address {
        division_options(&t, &tongban_core::kernel::divisions::all(state.db()).await?)
    } else {
        vec![]
    };
    Ok(PageView {
        nav: Nav::from_ctx(ctx),
        id: o.app.id.clone(),
        name: name_of(&t, o),
        n,
        progress: t.fmt(
            "apply.progress",
            &[
                ("n", &(at + 1).to_string()),
                ("total", &shown.len().max(1).to_string()),
            ],
        ),
        title: t.pick(&sec.title, &sec.title_en).to_owned(),
        fields,
        divisions,
        revision: o.app.revision,
        errors,
        conflict: false,
        back_to_check: false,
        not_you: if o.app.authority == "own"
            && o.app.applicant_credit.is_none()
            && ctx.session.as_deref().map(|s| s.principal.account.id) == Some(o.app.applicant_id)
        {
            format!("/apply/{}#f-for_person", o.app.task_code)
        } else {
            String::new()
        },
        t,
    })
}

/// `GET /applications/{id}/pages/{n}`.
pub async fn page_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(p): Path<PagePath>,
    Query(q): Query<BackQuery>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &p.id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{}", p.id)).into_response());
    }
    let mut v = page_view(&state, &ctx, &o, p.n, &o.app.fields, vec![], None).await?;
    v.back_to_check = q.back == "check";
    render(&v)
}

/// Where a page was opened from: `check` when "change" on check your
/// answers opened it (continuing returns there).
#[derive(Debug, Deserialize)]
pub struct BackQuery {
    #[serde(default)]
    back: String,
}

/// `POST /applications/{id}/pages/{n}`: saves the page against the revision
/// it was read at. `action` is `continue`, `later` (save and go to the
/// task list) or `add.<group key>` (save, and show one more blank entry).
pub async fn page_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(p): Path<PagePath>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let revision: i64 = pairs_get(&pairs, "revision").parse().unwrap_or(0);
    let action = pairs_get(&pairs, "action").to_owned();
    let back_to_check = pairs_get(&pairs, "back") == "check";
    let saved = applications::save_page(
        state.db(),
        &s.principal,
        &p.id,
        revision,
        p.n,
        &pairs,
        action == "continue" || action.is_empty(),
        state.config().applications.draft_days,
    )
    .await;
    let base = format!("/applications/{}", p.id);
    let add = action.strip_prefix("add.");
    match saved {
        Ok(_) if add.is_some() => {
            let o = applications::open(state.db(), &s.principal, &p.id).await?;
            let mut v = page_view(&state, &ctx, &o, p.n, &o.app.fields, vec![], add).await?;
            v.conflict = false;
            v.back_to_check = back_to_check;
            render(&v)
        }
        Ok(_) if action == "later" => Ok(Redirect::to(&base).into_response()),
        Ok(_) if back_to_check => Ok(Redirect::to(&format!("{base}/check")).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("{base}/after/{}", p.n)).into_response()),
        Err(e @ (ApplicationError::Invalid(_) | ApplicationError::Conflict)) => {
            // Shown again with what the person typed, over the draft as it
            // is now; a conflict is saved over only when they save again.
            let o = applications::open(state.db(), &s.principal, &p.id).await?;
            let (_, form) = form_and_guide(&o).ok_or(AppError::NotFound)?;
            let sec = form.sections.get(p.n).ok_or(AppError::NotFound)?;
            let mut answers = o.app.fields.clone();
            let typed = input::patch_of(&form, sec, &answers, &pairs);
            tongban_domain::applications::merge_patch(&mut answers, &typed);
            let conflict = matches!(e, ApplicationError::Conflict);
            let errors = match e {
                ApplicationError::Invalid(problems) => anchored(&ctx.tr(), problems),
                _ => vec![],
            };
            let mut v = page_view(&state, &ctx, &o, p.n, &answers, errors, None).await?;
            v.conflict = conflict;
            v.back_to_check = back_to_check;
            refused(&v, conflict)
        }
        Err(ApplicationError::WrongState) => Ok(Redirect::to(&base).into_response()),
        Err(e) => Err(e.into()),
    }
}
