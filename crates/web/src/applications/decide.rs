//! The acceptance desk's decisions, one per page: 一次性告知补正 (each
//! finding placed on a question or material of the case, or the whole
//! application), 受理 and 不予受理. Each page shows where the case stands
//! and the working days since receipt; "preview" shows the notice exactly
//! as it will be issued; only "issue" on the preview issues it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_core::applications::acceptance::{self, Act, Case, FindingInput, Place};
use tongban_core::applications::{self, ApplicationError};
use tongban_core::platform::pdf::Official;
use tongban_domain::FieldProblem;
use tongban_domain::applications::Action;

use super::cases::case_no;
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// Finding rows a correction page starts with.
const ROWS: usize = 3;

/// A finding row as typed.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// index
    pub i: usize,
    /// the place (`/fields/<key>`, `/materials/<code>`, empty)
    pub target: String,
    /// what is wrong and what to do
    pub problem: String,
    /// the basis (empty: Art. 32 and the guide)
    pub basis: String,
    /// what is wrong with the row
    pub error: String,
}

/// `/work/cases/{n}/decide/{action}` view.
#[derive(Template)]
#[template(path = "applications/decide.html")]
pub struct DecideView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// 办件编号
    pub number: String,
    /// 办件编号 in its parts
    pub number_shown: String,
    /// the action's path segment
    pub action: &'static str,
    /// the page's heading
    pub heading: String,
    /// the words of the button that issues the notice
    pub issue_label: String,
    /// item name
    pub item: String,
    /// applicant
    pub applicant: String,
    /// the state, worded
    pub state_label: String,
    /// working days since receipt
    pub days: i64,
    /// more than five: the notice is late (Art. 32)
    pub late: bool,
    /// the revision read
    pub revision: i64,
    /// the places a finding may point at (value, words)
    pub places: Vec<(String, String)>,
    /// the finding rows
    pub rows: Vec<Row>,
    /// what the item's definition finds by itself (listed in the notice)
    pub automatic: Vec<String>,
    /// the opinion, reason, basis, competent authority as typed
    pub opinion: String,
    /// reason (reject)
    pub reason: String,
    /// basis (reject)
    pub basis: String,
    /// competent authority (reject)
    pub competent: String,
    /// the notice as it will be issued, on the preview
    pub preview: Option<Official>,
    /// problems
    pub errors: Vec<FieldError>,
}

/// The action of a path segment.
fn action_of(segment: &str) -> Result<Action, AppError> {
    match segment {
        "correction" => Ok(Action::RequestCorrection),
        "accept" => Ok(Action::Accept),
        "reject" => Ok(Action::Reject),
        _ => Err(AppError::NotFound),
    }
}

fn segment(a: Action) -> &'static str {
    match a {
        Action::RequestCorrection => "correction",
        Action::Accept => "accept",
        Action::Reject => "reject",
    }
}

/// The places of a case a finding may point at, worded in `t`'s language.
fn places(t: &Tr, c: &Case) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), Place::Whole.words(t.lang))];
    let Some(p) = &c.opened.item else {
        return out;
    };
    let form = applications::form_of(&p.guide, &c.opened.app.situation);
    // The answers that say who the applicant is cannot be corrected by
    // them (they come from the account): a finding about them is about the
    // whole application.
    for (_, f) in form
        .top_fields()
        .filter(|(_, f)| !c.opened.app.locked.contains(&f.key))
    {
        let place = Place::Field {
            key: f.key.clone(),
            label: f.label.clone(),
            label_en: f.label_en.clone(),
        };
        out.push((format!("/fields/{}", f.key), place.words(t.lang)));
    }
    for m in applications::materials_of(&p.guide, &c.opened.app.situation) {
        let place = Place::Material {
            code: m.code.clone(),
            name: m.name.clone(),
        };
        out.push((format!("/materials/{}", m.code), place.words(t.lang)));
    }
    out
}

/// What a decision page posts, as pairs (the finding rows are numbered).
struct Typed(Vec<(String, String)>);

impl Typed {
    fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The finding rows, at least [`ROWS`], up to the highest index typed
    /// (and at most the notice's limit).
    fn rows(&self) -> Vec<Row> {
        let count = self
            .0
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("problem.")?.parse::<usize>().ok())
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
            .clamp(ROWS, acceptance::MAX_FINDINGS);
        (0..count)
            .map(|i| Row {
                i,
                target: self.get(&format!("target.{i}")),
                problem: self.get(&format!("problem.{i}")),
                basis: self.get(&format!("basis.{i}")),
                error: String::new(),
            })
            .collect()
    }

    fn act(&self, action: Action) -> Act {
        // Rows left blank are not findings; their places are not checked.
        let findings = self
            .rows()
            .into_iter()
            .filter(|r| !r.problem.trim().is_empty())
            .map(|r| FindingInput {
                target: r.target,
                problem: r.problem,
                basis: r.basis,
            })
            .collect();
        Act {
            action,
            findings,
            reason: self.get("reason"),
            basis: self.get("basis"),
            competent: self.get("competent"),
            opinion: self.get("opinion"),
            revision: self.get("revision").parse().unwrap_or(0),
        }
    }
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    number: &str,
    action: Action,
    typed: &Typed,
) -> Result<DecideView, AppError> {
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let cal = state.calendar().await?;
    let c = acceptance::case(state.db(), &s.principal, &cal, number).await?;
    if !c.allowed.contains(&action) {
        return Err(AppError::NotFound);
    }
    let revision = typed
        .get("revision")
        .parse()
        .unwrap_or(c.opened.app.revision);
    let mut rows = typed.rows();
    if typed.get("step") == "add" && rows.len() < acceptance::MAX_FINDINGS {
        rows.push(Row {
            i: rows.len(),
            ..Row::default()
        });
    }
    Ok(DecideView {
        nav: Nav::from_ctx(ctx),
        number: number.to_owned(),
        number_shown: tongban_domain::applications::grouped_case_number(
            &state.config().applications.case_number,
            number,
        ),
        action: segment(action),
        heading: t.get(&format!("case.{}", action.code())),
        issue_label: t.get(&format!("case.issue_{}", segment(action))),
        item: c.opened.app.item_name.clone(),
        applicant: c.opened.app.applicant_name.clone(),
        state_label: t.get(&format!("apply.state_{}", c.opened.app.state.code())),
        days: c.days_since_receipt,
        late: tongban_domain::applications::notice_late(c.days_since_receipt),
        revision,
        places: places(&t, &c),
        rows,
        automatic: if action == Action::RequestCorrection {
            localize(&t, c.automatic.clone())
                .into_iter()
                .map(|e| e.message)
                .collect()
        } else {
            vec![]
        },
        opinion: typed.get("opinion"),
        reason: typed.get("reason"),
        basis: typed.get("basis"),
        competent: typed.get("competent"),
        preview: None,
        errors: vec![],
        t,
    })
}

/// `GET /work/cases/{n}/decide/{action}`: the decision's page.
pub async fn decide_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, action)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let n = case_no(&n)?;
    let action = action_of(&action)?;
    render(&view(&state, &ctx, n.as_str(), action, &Typed(vec![])).await?)
}

/// Problems of a decision placed on the page's fields: a finding's place
/// or text on its row, the rest on their own fields.
fn placed(t: &Tr, v: &mut DecideView, problems: Vec<FieldProblem>) {
    let mut errors = Vec::new();
    for mut e in localize(t, problems) {
        let row = e
            .field
            .strip_prefix("/params/findings/")
            .and_then(|rest| rest.split('/').next()?.parse::<usize>().ok());
        e.field = match (row, e.field.as_str()) {
            (Some(i), _) => {
                // The use case numbers the findings it was given: the
                // rows typed, blanks left out.
                let typed: Vec<usize> = v
                    .rows
                    .iter()
                    .filter(|r| !r.problem.trim().is_empty())
                    .map(|r| r.i)
                    .collect();
                let i = typed.get(i).copied().unwrap_or(0);
                if let Some(r) = v.rows.get_mut(i) {
                    r.error.clone_from(&e.message);
                }
                format!("finding-{i}-target")
            }
            (None, "findings") => "finding-0-problem".to_owned(),
            (None, f) => f.to_owned(),
        };
        errors.push(e);
    }
    v.errors = errors;
}

/// `POST /work/cases/{n}/decide/{action}`: `step` is `add` (one more
/// finding row), `preview` (the notice as it will be issued) or `issue`
/// (issued; the case page says so).
pub async fn decide_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, action)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let n = case_no(&n)?;
    let action = action_of(&action)?;
    let s = ctx.require_session()?;
    let typed = Typed(pairs);
    let step = typed.get("step");
    let mut v = view(&state, &ctx, n.as_str(), action, &typed).await?;
    if step == "add" || step == "edit" {
        return render(&v);
    }
    let cal = state.calendar().await?;
    let starts = state.config().calendar.period_starts;
    let act = typed.act(action);
    let result = if step == "issue" {
        acceptance::act(state.db(), &s.principal, &cal, starts, n.as_str(), act)
            .await
            .map(|_| None)
    } else {
        acceptance::preview(state.db(), &s.principal, &cal, starts, n.as_str(), &act)
            .await
            .map(Some)
    };
    let t = ctx.tr();
    let status = match result {
        Ok(None) => {
            return Ok(
                Redirect::to(&format!("/work/cases/{n}?done={}", action.code())).into_response(),
            );
        }
        Ok(Some(doc)) => {
            v.preview = Some(doc);
            return render(&v);
        }
        Err(ApplicationError::Invalid(p)) => {
            placed(&t, &mut v, p);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(ApplicationError::Conflict) => {
            v.errors = vec![FieldError::worded(
                "revision",
                "changed",
                t.get("case.changed"),
            )];
            StatusCode::CONFLICT
        }
        Err(ApplicationError::NotAllowed(_)) => {
            v.errors = vec![FieldError::worded(
                "action",
                "not_allowed",
                t.get("case.not_allowed"),
            )];
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e.into()),
    };
    let mut res = render(&v)?;
    *res.status_mut() = status;
    Ok(res)
}
