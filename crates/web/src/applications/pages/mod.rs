//! Applying on the portal, phone first and without JavaScript: the start
//! page of an item (for oneself or an enterprise one acts for), a question
//! page per section of the form, the materials, check your answers with the
//! declaration, the confirmation with the 办件编号 and query code, the
//! receipt as PDF, and 我的办件. Every page saves to the draft on the server,
//! so a person resumes on any device; a page saved elsewhere meanwhile is
//! not overwritten: the person is told and keeps what they typed.

mod changes;
mod check;
mod materials;
mod mine;
mod overview;
mod question;
mod receipt;
mod start;
mod timeline;

pub use changes::{ChangesView, answer_text, changes_view};
pub use check::{check_get, submit_post};
pub use materials::{
    FileLine, file_delete_post, file_lines, file_remove_get, material_post, material_reuse_post,
    materials_get, materials_post, size_text, trust_text,
};
pub use mine::mine_get;
pub use overview::{authority_end_post, overview_get, upgrade_post};
pub use question::{page_get, page_post};
pub use receipt::{form_pdf_get, receipt_pdf_get};
pub use start::{start_get, start_post};
pub use timeline::{Step, steps};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value};
use tongban_core::applications::{self, Opened};
use tongban_domain::applications::Channel;
use tongban_domain::catalog::form::FormDef;
use tongban_domain::catalog::{Fetchable, Guide};
use tongban_domain::kernel::Role;

use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::render;
use crate::{AppError, AppState};

fn pairs_get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The channel of an application for another person: a window clerk's
/// window, a community agent's 代办, otherwise `own` (the person acting
/// holds a 授权委托书 and applies online).
pub fn channel_for_person(p: &tongban_core::identity::Principal, own: Channel) -> Channel {
    if p.has_role(Role::WindowClerk) {
        Channel::Window
    } else if p.has_role(Role::CommunityAgent) {
        Channel::Agent
    } else {
        own
    }
}

/// A page shown again after a refused save or submission: 409 when the
/// application changed meanwhile, 422 when it has problems.
fn refused<T: Template>(view: &T, conflict: bool) -> Result<Response, AppError> {
    let mut res = render(view)?;
    *res.status_mut() = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(res)
}

/// The translator for pages of application `o`: speaking to the person
/// acting for the applicant (a clerk at a window, a community agent, an
/// enterprise's agent) when that is who reads, to the applicant otherwise.
fn voice(ctx: &Ctx, o: &Opened) -> Tr {
    let reader = ctx.session.as_deref().map(|s| s.principal.account.id);
    ctx.tr().proxy(reader != Some(o.app.applicant_id))
}

/// The item's name in the page's language.
fn name_of(t: &Tr, o: &Opened) -> String {
    o.item.as_ref().map_or_else(
        || o.app.item_name.clone(),
        |p| t.pick(&p.guide.name, &p.guide.name_en).to_owned(),
    )
}

fn form_and_guide(o: &Opened) -> Option<(&Guide, FormDef)> {
    let g = &o.item.as_ref()?.guide;
    Some((g, applications::form_of(g, &o.app.situation)))
}

fn shown_sections(form: &FormDef, answers: &Map<String, Value>) -> Vec<usize> {
    (0..form.sections.len())
        .filter(|i| form.section_shown(&form.sections[*i], answers))
        .collect()
}

fn materials_to_give(g: &Guide, situation: &str) -> bool {
    applications::materials_of(g, situation).any(|m| m.fetchable == Fetchable::No)
}

/// `GET /applications/{id}/after/{step}`: where "continue" leads after a
/// page (`start`, a section's index, `materials`): the next section the
/// answers show, then the materials, then check your answers.
pub async fn after_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    let base = format!("/applications/{id}");
    let Some((g, form)) = form_and_guide(&o).filter(|_| o.app.state.editable()) else {
        return Ok(Redirect::to(&base).into_response());
    };
    let next = match step.as_str() {
        "materials" => None,
        "start" => shown_sections(&form, &o.app.fields).first().copied(),
        n => {
            let n: usize = n.parse().map_err(|_| AppError::NotFound)?;
            shown_sections(&form, &o.app.fields)
                .into_iter()
                .find(|i| *i > n)
        }
    };
    let to = match next {
        Some(i) => format!("{base}/pages/{i}"),
        None if step != "materials" && materials_to_give(g, &o.app.situation) => {
            format!("{base}/materials")
        }
        None => format!("{base}/check"),
    };
    Ok(Redirect::to(&to).into_response())
}
