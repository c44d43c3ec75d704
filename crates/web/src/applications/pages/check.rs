//! Check your answers, the declaration and submission: every problem left
//! is listed with where it is fixed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::applications::{self, ApplicationError, Opened, declaration};
use tongban_domain::FieldProblem;
use tongban_domain::catalog::Fetchable;

use super::{answer_text, form_and_guide, name_of, refused, shown_sections, voice};
use crate::applications::fields::{anchor, division_options};
use crate::http::ctx::Ctx;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A section of check your answers.
#[derive(Debug)]
pub struct AnswerSection {
    /// title
    pub title: String,
    /// where to change it
    pub href: String,
    /// (question, answer)
    pub rows: Vec<(String, String)>,
}

/// A problem with where to fix it.
#[derive(Debug)]
pub struct Fix {
    /// what is wrong
    pub message: String,
    /// where it is fixed
    pub href: String,
}

/// `/applications/{id}/check` view.
#[derive(Template)]
#[template(path = "applications/check.html")]
pub struct CheckView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// application id
    pub id: String,
    /// item name
    pub name: String,
    /// the answers by section
    pub sections: Vec<AnswerSection>,
    /// the materials: (name, what was given)
    pub materials: Vec<(String, String)>,
    /// the applicant
    pub applicant: String,
    /// the person acting, when not the applicant
    pub acting: String,
    /// the declaration's words
    pub declaration: String,
    /// taken in at this clerk's window: the applicant's signature on the
    /// printed form is confirmed before submitting
    pub ask_signed: bool,
    /// what ticking it posts: the hash of the words shown
    pub declaration_version: String,
    /// revision the page was read at
    pub revision: i64,
    /// every problem left, each with where it is fixed
    pub fixes: Vec<Fix>,
    /// saved elsewhere meanwhile
    pub conflict: bool,
}

async fn check_view(
    state: &AppState,
    ctx: &Ctx,
    o: &Opened,
    problems: Option<Vec<FieldProblem>>,
) -> Result<CheckView, AppError> {
    let t = voice(ctx, o);
    let (g, form) = form_and_guide(o).ok_or(AppError::NotFound)?;
    let a = &o.app;
    let base = format!("/applications/{}", a.id);
    let divisions = division_options(&t, &tongban_core::kernel::divisions::all(state.db()).await?);
    let shown = shown_sections(&form, &a.fields);
    let sections = shown
        .iter()
        .map(|i| {
            let sec = &form.sections[*i];
            AnswerSection {
                title: t.pick(&sec.title, &sec.title_en).to_owned(),
                href: format!("{base}/pages/{i}?back=check"),
                rows: sec
                    .fields
                    .iter()
                    .filter(|f| form.field_shown(sec, f, &a.fields))
                    .map(|f| {
                        (
                            t.pick(&f.label, &f.label_en).to_owned(),
                            a.fields
                                .get(&f.key)
                                .map(|v| answer_text(&t, f, v, &divisions))
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let materials = applications::materials_of(g, &a.situation)
        .map(|m| {
            let given: Vec<&str> = a
                .files
                .iter()
                .filter(|f| f.material == m.code)
                .map(|f| f.name.as_str())
                .collect();
            let what = match &m.fetchable {
                Fetchable::Certificate(w) => t.fmt("apply.fetched_certificate", &[("what", w)]),
                Fetchable::SharedData(w) => t.fmt("apply.fetched_shared", &[("what", w)]),
                Fetchable::FromForm => t.get("apply.from_form"),
                Fetchable::No if given.is_empty() => t.get("apply.not_given"),
                Fetchable::No => given.join("、"),
            };
            (m.name.clone(), what)
        })
        .collect();
    // The problems a submission would meet, listed before it is tried.
    let problems = problems.unwrap_or_else(|| o.problems.clone());
    let fixes = problems
        .into_iter()
        .map(|p| {
            let pointer = p.field.clone();
            let e = FieldError::of(&t, p);
            let href = if let Some(code) = pointer.strip_prefix("/materials/") {
                format!("{base}/materials?back=check#m-{code}")
            } else if pointer == "/declaration" {
                "#f-declaration".to_owned()
            } else if pointer == "/signed" {
                "#f-signed".to_owned()
            } else if pointer == "version" {
                base.clone()
            } else {
                let key = anchor(&pointer);
                let top = key.split('-').next().unwrap_or("");
                match shown
                    .iter()
                    .find(|i| form.sections[**i].fields.iter().any(|f| f.key == top))
                {
                    Some(i) => format!("{base}/pages/{i}?back=check#f-{key}"),
                    None => base.clone(),
                }
            };
            Fix {
                message: e.message,
                href,
            }
        })
        .collect();
    Ok(CheckView {
        nav: Nav::from_ctx(ctx),
        id: a.id.clone(),
        name: name_of(&t, o),
        sections,
        materials,
        applicant: a.applicant_name.clone(),
        acting: if a.acting_name == a.applicant_name {
            String::new()
        } else {
            a.acting_name.clone()
        },
        declaration: a
            .declaration
            .as_ref()
            .map(|d| d.text(ctx.lang).to_owned())
            .unwrap_or_default(),
        // The box accepts the very words shown: their hash.
        declaration_version: a
            .declaration
            .as_ref()
            .map_or_else(|| declaration::VERSION.to_owned(), |d| d.sha256.clone()),
        revision: a.revision,
        ask_signed: a.authority == tongban_domain::applications::Authority::Window.code()
            && ctx
                .session
                .as_ref()
                .is_some_and(|s| s.principal.account.id == a.acting_id),
        fixes,
        conflict: false,
        t,
    })
}

/// `GET /applications/{id}/check`: check your answers, then declare and
/// submit.
pub async fn check_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    render(&check_view(&state, &ctx, &o, None).await?)
}

/// What the check page posts.
#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    revision: i64,
    #[serde(default)]
    declaration: String,
    /// `1` when the window clerk confirms the applicant signed the form.
    #[serde(default)]
    signed: String,
}

/// `POST /applications/{id}/submit`: submits; every problem left is listed
/// on the check page with where to fix it.
pub async fn submit_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SubmitForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let lists = state.code_lists().await?;
    let done = applications::submit(
        state.db(),
        &state.config().data_dir,
        &s.principal,
        &id,
        applications::Submitting {
            revision: f.revision,
            declared: &f.declaration,
            signed: f.signed == "1",
        },
        &state.config().applications.case_number,
        &lists,
    )
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?done=submitted")).into_response()),
        Err(e @ (ApplicationError::Invalid(_) | ApplicationError::Conflict)) => {
            let o = applications::open(state.db(), &s.principal, &id).await?;
            let conflict = matches!(e, ApplicationError::Conflict);
            let problems = match e {
                ApplicationError::Invalid(p) => Some(p),
                _ => None,
            };
            let mut v = check_view(&state, &ctx, &o, problems).await?;
            v.conflict = conflict;
            refused(&v, conflict)
        }
        Err(ApplicationError::WrongState) => {
            Ok(Redirect::to(&format!("/applications/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
