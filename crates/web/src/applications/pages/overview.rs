//! An application's own page: a draft's task list, or a submitted case's
//! confirmation, where it stands and its documents; the upgrade to a newer
//! form and the applicant ending the acting person's authority.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::applications;
use tongban_core::applications::acceptance::{Place, place_of};
use tongban_core::platform::clock::format_cst;
use tongban_domain::applications::{State as AppState_, grouped_case_number};

use super::{
    ChangesView, FileLine, changes_view, file_lines, form_and_guide, materials_to_give, name_of,
    shown_sections, voice,
};
use crate::applications::fields::anchor;
use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A line of the task list.
#[derive(Debug)]
pub struct TaskLine {
    /// title
    pub title: String,
    /// link
    pub href: String,
    /// done
    pub done: bool,
    /// a finding of the correction notice points here: 需补正
    pub fix: bool,
}

/// A finding of the correction notice, as the applicant reads it.
#[derive(Debug)]
pub struct FindingLine {
    /// where, in words
    pub place: String,
    /// where it is corrected (empty for the whole application)
    pub href: String,
    /// what is wrong and what to do
    pub problem: String,
    /// on what basis
    pub basis: String,
}

/// A line of the receipt's "what happens next" and facts.
#[derive(Debug)]
pub struct Fact {
    /// label
    pub label: String,
    /// value
    pub value: String,
}

/// `/applications/{id}` view: a draft's task list, or a submitted case's
/// confirmation.
#[derive(Template)]
#[template(path = "applications/overview.html")]
pub struct OverviewView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// id
    pub id: String,
    /// item name
    pub name: String,
    /// the state, worded
    pub state_label: String,
    /// the state's code
    pub state_code: &'static str,
    /// still a draft
    pub draft: bool,
    /// the item was withdrawn since the draft began
    pub withdrawn: bool,
    /// a newer version of the form: its number
    pub newer: Option<i64>,
    /// revision (for the upgrade button)
    pub revision: i64,
    /// the task list
    pub tasks: Vec<TaskLine>,
    /// the facts of a submitted case (number, query code …)
    pub facts: Vec<Fact>,
    /// 办件编号
    pub case_number: String,
    /// 办件编号 in its parts, as people read and quote it
    pub number_shown: String,
    /// query code
    pub query_code: String,
    /// the draft is deleted after this
    pub expires: String,
    /// the last save
    pub saved: String,
    /// the applicant and the person acting
    pub applicant: String,
    /// the person acting, when not the applicant
    pub acting: String,
    /// what was just done (`submitted`, `upgraded`)
    pub done: String,
    /// the applicant sees this and may end the acting person's authority
    /// (a community agent's consent, a 授权委托书)
    pub authority_endable: bool,
    /// when the applicant ended it, if they did
    pub authority_ended: String,
    /// the corrections asked, while being corrected
    pub findings: Vec<FindingLine>,
    /// the official documents (id, title and number)
    pub documents: Vec<(i64, String)>,
    /// the promised and statutory completion dates, once accepted
    pub deadlines: Option<(String, String)>,
    /// what the correction changed, once submitted again
    pub changes: Option<ChangesView>,
    /// the files given, once submitted (each opens)
    pub files: Vec<FileLine>,
    /// never on the applicant's side: hashes are for staff
    pub staff: bool,
    /// submitted again after the one correction: a decision follows
    pub resubmitted: bool,
    /// its steps so far, once submitted
    pub timeline: Vec<super::Step>,
}

/// Query of the overview.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// `GET /applications/{id}`.
pub async fn overview_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    let t = voice(&ctx, &o);
    let a = &o.app;
    let base = format!("/applications/{id}");
    let correcting = a.state == AppState_::CorrectionNotified;
    // The places the correction notice points at, while it is corrected.
    let places: Vec<Place> = match (&o.item, correcting) {
        (Some(p), true) => o
            .standing
            .findings
            .iter()
            .map(|f| place_of(&p.guide, &a.situation, &f.target))
            .collect(),
        _ => vec![],
    };
    let mut tasks = Vec::new();
    let mut findings = Vec::new();
    if let Some((g, form)) = form_and_guide(&o) {
        let problems: Vec<String> = o.problems.iter().map(|p| anchor(&p.field)).collect();
        let shown = shown_sections(&form, &a.fields);
        let section_of = |key: &str| {
            shown
                .iter()
                .copied()
                .find(|i| form.sections[*i].fields.iter().any(|f| f.key == key))
        };
        for i in shown.iter().copied() {
            let sec = &form.sections[i];
            let done = !problems.iter().any(|p| {
                sec.fields
                    .iter()
                    .any(|f| p == &f.key || p.starts_with(&format!("{}-", f.key)))
            });
            tasks.push(TaskLine {
                title: t.pick(&sec.title, &sec.title_en).to_owned(),
                href: format!("{base}/pages/{i}"),
                done,
                fix: places
                    .iter()
                    .any(|p| matches!(p, Place::Field { key, .. } if section_of(key) == Some(i))),
            });
        }
        if materials_to_give(g, &a.situation) {
            tasks.push(TaskLine {
                title: t.get("apply.materials"),
                href: format!("{base}/materials"),
                done: !o
                    .problems
                    .iter()
                    .any(|p| p.field.starts_with("/materials/")),
                fix: places.iter().any(|p| matches!(p, Place::Material { .. })),
            });
        }
        tasks.push(TaskLine {
            title: t.get("apply.check"),
            href: format!("{base}/check"),
            done: false,
            fix: false,
        });
        for (f, place) in o.standing.findings.iter().zip(&places) {
            let href = match place {
                Place::Field { key, .. } => section_of(key)
                    .map(|i| format!("{base}/pages/{i}#f-{key}"))
                    .unwrap_or_default(),
                Place::Material { code, .. } => format!("{base}/materials#m-{code}"),
                Place::Whole => String::new(),
            };
            findings.push(FindingLine {
                place: place.words(t.lang),
                href,
                problem: f.problem.clone(),
                basis: f.basis.clone(),
            });
        }
    }
    let mut facts = Vec::new();
    if let (Some(n), Some(at)) = (&a.case_number, o.submitted_at) {
        facts.push(Fact {
            label: t.get("apply.case_number"),
            value: grouped_case_number(&state.config().applications.case_number, n),
        });
        facts.push(Fact {
            label: t.get("apply.submitted_at"),
            value: format_cst(at),
        });
    }
    render(&OverviewView {
        nav: Nav::from_ctx(&ctx),
        id: a.id.clone(),
        name: name_of(&t, &o),
        state_label: t.get(&format!("apply.state_{}", a.state.code())),
        state_code: a.state.code(),
        draft: a.state.editable(),
        withdrawn: o.item.is_none(),
        newer: a.newer_version,
        revision: a.revision,
        tasks,
        facts,
        case_number: a.case_number.clone().unwrap_or_default(),
        number_shown: a
            .case_number
            .as_deref()
            .map(|n| grouped_case_number(&state.config().applications.case_number, n))
            .unwrap_or_default(),
        query_code: o.query_code.clone().unwrap_or_default(),
        expires: format_cst(a.expires_at),
        saved: format_cst(a.updated_at),
        applicant: a.applicant_name.clone(),
        acting: if a.acting_name == a.applicant_name {
            String::new()
        } else {
            a.acting_name.clone()
        },
        done: match q.done.as_str() {
            d @ ("submitted" | "upgraded" | "authority_ended") => d.to_owned(),
            _ => String::new(),
        },
        authority_endable: a.applicant_id == s.principal.account.id
            && a.acting_id != a.applicant_id
            && a.authority_ended_at.is_none()
            && tongban_domain::applications::Authority::from_code(&a.authority)
                .is_some_and(|x| x.ended_by_applicant()),
        authority_ended: a.authority_ended_at.map(format_cst).unwrap_or_default(),
        findings,
        documents: o
            .standing
            .documents
            .iter()
            .map(|d| {
                let title = t
                    .lookup(&format!("apply.doc_{}", d.kind))
                    .unwrap_or_else(|| d.body.title.clone());
                (d.id, format!("{title} {}", d.number))
            })
            .collect(),
        deadlines: o
            .standing
            .promised_date
            .clone()
            .zip(o.standing.legal_date.clone())
            .map(|(p, l)| {
                let mark = if o.standing.provisional {
                    t.get("calendar.tentative")
                } else {
                    String::new()
                };
                (format!("{p}{mark}"), format!("{l}{mark}"))
            }),
        changes: changes_view(&t, &o),
        files: match (&o.app.case_number, form_and_guide(&o)) {
            (Some(_), Some((g, _))) => file_lines(
                &t,
                o.app.files.iter(),
                &|code| {
                    applications::material_of(g, &o.app.situation, code)
                        .map_or_else(|| code.to_owned(), |m| m.name.clone())
                },
                &format!("/api/v1/applications/{}", a.id),
                false,
            ),
            _ => vec![],
        },
        staff: false,
        resubmitted: a.state == AppState_::Submitted && o.standing.corrected > 0,
        timeline: super::steps(&t, &o.standing.timeline),
        t,
    })
}

/// What the upgrade button posts.
#[derive(Debug, Deserialize)]
pub struct RevisionForm {
    #[serde(default)]
    revision: i64,
}

/// `POST /applications/{id}/upgrade`: moves the draft to the item's current
/// form in one step.
pub async fn upgrade_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RevisionForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    applications::upgrade(state.db(), &s.principal, &id, f.revision).await?;
    Ok(Redirect::to(&format!("/applications/{id}?done=upgraded")).into_response())
}

/// `POST /applications/{id}/authority/end`: the applicant ends the power
/// of the person acting for them on this application.
pub async fn authority_end_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    applications::end_authority(state.db(), &s.principal, &id).await?;
    Ok(Redirect::to(&format!("/applications/{id}?done=authority_ended")).into_response())
}
