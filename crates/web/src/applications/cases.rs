//! Cases at acceptance (受理台): the acceptance staff's queue and case page
//! (leading to the three decisions, each on its own page in `decide`), the JSON API of the same (`GET
//! /api/v1/cases/{case_number}`, `POST …/actions`), and the official
//! documents as PDFs for the staff and the applicant.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_core::applications::acceptance::{self, Act, Case, FindingInput};
use tongban_core::applications::{self};
use tongban_core::platform::clock::format_cst;
use tongban_core::platform::pdf::Official;
use tongban_domain::applications::{Action, CaseNo};
use utoipa::ToSchema;

use super::api::GivenFileDto;
use crate::http::api::Problem;
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::json::Json;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A deficiency listed in a 补正告知书.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDto {
    /// Where: a JSON pointer (`/fields/area`), a material
    /// (`/materials/M001`), or empty.
    pub target: String,
    /// What is wrong and what to do.
    pub problem: String,
    /// Basis.
    pub basis: String,
    /// Found by the item's definition rather than by a person.
    pub automatic: bool,
}

/// An official document of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDto {
    /// Id.
    pub id: i64,
    /// `correction`, `acceptance` or `rejection`.
    pub kind: String,
    /// 文号.
    pub number: String,
    /// Title.
    pub title: String,
    /// Issued (milliseconds since the Unix epoch).
    pub issued_at: i64,
}

/// A case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    /// 办件编号.
    pub case_number: String,
    /// 实施编码.
    pub item: String,
    /// Item name.
    pub item_name: String,
    /// `submitted`, `correction`, `accepted`, `not_accepted` …
    pub state: String,
    /// Revision, to send with an action.
    pub revision: i64,
    /// Applicant.
    pub applicant: String,
    /// Acting person.
    pub acting: String,
    /// On what authority the acting person applied: `own`,
    /// `mandate:<id>` (an enterprise's agent), `window`, `consent` (代办)
    /// or `attorney` (a 授权委托书, given as material `POA`).
    pub authority: String,
    /// 申报来源 (A.5).
    pub source_code: String,
    /// Received (milliseconds since the Unix epoch).
    pub submitted_at: Option<i64>,
    /// Working days since receipt (Art. 32 allows five for a correction
    /// notice).
    pub days_since_receipt: i64,
    /// A notice came later than five working days after receipt.
    pub late_notice: bool,
    /// The answers.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The files given.
    pub files: Vec<GivenFileDto>,
    /// What the item's definition finds missing or wrong now (staff only).
    pub automatic: Vec<FieldError>,
    /// The findings of the correction notice.
    pub findings: Vec<FindingDto>,
    /// The official documents.
    pub documents: Vec<DocumentDto>,
    /// The day the clock runs from, once accepted (YYYY-MM-DD).
    pub clock_from: Option<String>,
    /// 承诺办结日期.
    pub promised_date: Option<String>,
    /// 法定办结日期.
    pub legal_date: Option<String>,
    /// The deadlines reach into a year whose arrangement of holidays is not
    /// yet published: provisional (暂定).
    pub deadlines_provisional: bool,
    /// What the caller may do now.
    pub allowed_actions: Vec<String>,
}

fn dto(t: &Tr, c: Case) -> CaseDto {
    let o = c.opened;
    let st = o.standing;
    let number = o.app.case_number.unwrap_or_default();
    let base = format!("/api/v1/cases/{number}");
    CaseDto {
        item: o.app.task_code,
        item_name: o.app.item_name,
        state: o.app.state.code().into(),
        revision: o.app.revision,
        applicant: o.app.applicant_name,
        acting: o.app.acting_name,
        authority: o.app.authority,
        source_code: o.app.source_code,
        submitted_at: o.submitted_at,
        days_since_receipt: c.days_since_receipt,
        late_notice: st.late_notice,
        fields: o.app.fields,
        files: o
            .app
            .files
            .into_iter()
            .map(|f| GivenFileDto::of(f, &base))
            .collect(),
        case_number: number,
        automatic: localize(t, c.automatic),
        findings: st
            .findings
            .into_iter()
            .map(|f| FindingDto {
                target: f.target,
                problem: f.problem,
                basis: f.basis,
                automatic: f.automatic,
            })
            .collect(),
        documents: st
            .documents
            .into_iter()
            .map(|d| DocumentDto {
                id: d.id,
                kind: d.kind,
                number: d.number,
                title: d.body.title,
                issued_at: d.issued_at,
            })
            .collect(),
        clock_from: st.clock_from,
        promised_date: st.promised_date,
        legal_date: st.legal_date,
        deadlines_provisional: st.provisional,
        allowed_actions: c.allowed.iter().map(|a| a.code().to_owned()).collect(),
    }
}

/// A case by its 办件编号: for the acceptance staff in whose scope it is,
/// and for its applicant.
#[utoipa::path(get, path = "/api/v1/cases/{case_number}", tag = "applications",
    params(("case_number" = String, Path, description = "办件编号")),
    responses((status = 200, body = CaseDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such case in the caller's scope")))]
pub async fn get_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(n): Path<String>,
) -> Result<Json<CaseDto>, AppError> {
    let n = case_no(&n)?;
    let s = ctx.require_session()?;
    let cal = state.calendar().await?;
    let c = acceptance::case(state.db(), &s.principal, &cal, n.as_str()).await?;
    Ok(Json(dto(&ctx.tr(), c)))
}

/// A finding as typed.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FindingBody {
    /// Where (a JSON pointer, a material, or empty).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub target: String,
    /// What is wrong and what to do.
    #[schema(max_length = 500)]
    pub problem: String,
    /// Basis (empty: Art. 32 and the item's guide).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub basis: String,
}

/// The parameters of an action.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionParams {
    /// `request_correction`: the staff's findings, besides what the item's
    /// definition finds by itself.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub findings: Vec<FindingBody>,
    /// `reject`: the reason.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: String,
    /// `reject`: the legal basis.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub basis: String,
    /// `reject`: the competent authority, when it is not this one.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub competent: String,
}

/// An acceptance decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// `request_correction`, `accept` or `reject`.
    #[schema(max_length = 30, pattern = "^(request_correction|accept|reject)$")]
    pub action: String,
    /// Its parameters.
    #[serde(default)]
    pub params: ActionParams,
    /// The opinion recorded with the step.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub opinion: String,
    /// The revision read.
    #[serde(deserialize_with = "crate::http::api::whole_number")]
    #[schema(minimum = 1)]
    pub revision: i64,
}

/// What an action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActedDto {
    /// The case's state now.
    pub state: String,
    /// The document issued (文号).
    pub document: String,
    /// The notice was later than five working days after receipt.
    pub late: bool,
}

fn act_of(b: ActionBody) -> Result<Act, AppError> {
    let action = Action::parse(&b.action).ok_or_else(|| {
        AppError::problem(
            "action",
            "invalid",
            "action 应为 request_correction、accept 或 reject",
        )
    })?;
    Ok(Act {
        action,
        findings: b
            .params
            .findings
            .into_iter()
            .map(|f| FindingInput {
                target: f.target,
                problem: f.problem,
                basis: f.basis,
            })
            .collect(),
        reason: b.params.reason,
        basis: b.params.basis,
        competent: b.params.competent,
        opinion: b.opinion,
        revision: b.revision,
    })
}

/// Takes an acceptance decision: a stale revision → 409, an action not
/// allowed now → 422 naming the allowed ones, a case outside the caller's
/// scope → 404, a case the caller applied in → 403 (`case.own`), a
/// calendar that cannot count the deadlines → 503
/// (`calendar.unavailable`, naming the year to load), nothing written.
#[utoipa::path(post, path = "/api/v1/cases/{case_number}/actions", tag = "applications", request_body = ActionBody,
    params(("case_number" = String, Path, description = "办件编号")),
    responses((status = 200, body = ActedDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the caller applied in this case, for themselves or another"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "changed since that revision"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "not allowed now, or missing what it needs")))]
pub async fn post_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(n): Path<String>,
    Json(body): Json<ActionBody>,
) -> Result<Json<ActedDto>, AppError> {
    let n = case_no(&n)?;
    let s = ctx.require_session()?;
    let cal = state.calendar().await?;
    let act = act_of(body)?;
    let done = acceptance::act(
        state.db(),
        &s.principal,
        &cal,
        state.config().calendar.period_starts,
        n.as_str(),
        act,
    )
    .await?;
    Ok(Json(ActedDto {
        state: done.state.code().into(),
        document: done.document,
        late: done.late,
    }))
}

// ------------------------------------------------------------- pages

/// `/work/cases` view: the acceptance queue.
#[derive(Template)]
#[template(path = "applications/queue.html")]
pub struct QueueView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// (case number, item, applicant, state label, received)
    pub lines: Vec<(String, String, String, String, String)>,
}

/// `GET /work/cases`.
pub async fn queue_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let lines = acceptance::queue(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|l| {
            (
                l.case_number,
                t.pick(&l.item_name, &l.item_name_en).to_owned(),
                l.applicant,
                t.get(&format!("apply.state_{}", l.state.code())),
                format_cst(l.submitted_at),
            )
        })
        .collect();
    render(&QueueView {
        nav: Nav::from_ctx(&ctx),
        lines,
        t,
    })
}

/// `/work/cases/{n}` view.
#[derive(Template)]
#[template(path = "applications/case.html")]
pub struct CaseView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the case
    pub c: CaseDto,
    /// the answers as (question, answer)
    pub answers: Vec<(String, String)>,
    /// state, worded
    pub state_label: String,
    /// problems of the last action
    pub errors: Vec<FieldError>,
    /// what was just done, worded
    pub done: String,
    /// may request correction / accept / reject
    pub can: (bool, bool, bool),
    /// what the correction changed
    pub changes: Option<super::pages::ChangesView>,
    /// the files given, each linked (opening one is recorded)
    pub files: Vec<super::pages::FileLine>,
    /// staff see each file's SHA-256 behind "details"
    pub staff: bool,
    /// the findings of the correction notice: (place, problem, basis)
    pub findings: Vec<(String, String, String)>,
    /// the case number in its parts
    pub number_shown: String,
    /// its steps so far
    pub timeline: Vec<super::pages::Step>,
}

async fn case_view(
    state: &AppState,
    ctx: &Ctx,
    n: &CaseNo,
    errors: Vec<FieldError>,
    done: String,
) -> Result<CaseView, AppError> {
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let cal = state.calendar().await?;
    let c = acceptance::case(state.db(), &s.principal, &cal, n.as_str()).await?;
    let form = c
        .opened
        .item
        .as_ref()
        .map(|p| applications::form_of(&p.guide, &c.opened.app.situation));
    // Addresses by their divisions' names, not their codes.
    let divisions = super::fields::division_options(
        &t,
        &tongban_core::kernel::divisions::all(state.db()).await?,
    );
    let answers = form
        .map(|f| {
            f.top_fields()
                .filter_map(|(_, fd)| {
                    c.opened.app.fields.get(&fd.key).map(|v| {
                        (
                            t.pick(&fd.label, &fd.label_en).to_owned(),
                            super::pages::answer_text(&t, fd, v, &divisions),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let changes = super::pages::changes_view(&t, &c.opened);
    let files = super::pages::file_lines(
        &t,
        c.opened.app.files.iter(),
        &|code| {
            c.opened
                .item
                .as_ref()
                .and_then(|p| applications::material_of(&p.guide, &c.opened.app.situation, code))
                .map_or_else(|| code.to_owned(), |m| m.name.clone())
        },
        &format!("/api/v1/cases/{}", n.as_str()),
        c.staff,
    );
    let findings = c
        .opened
        .standing
        .findings
        .iter()
        .map(|f| {
            let place = c
                .opened
                .item
                .as_ref()
                .map_or(acceptance::Place::Whole, |p| {
                    acceptance::place_of(&p.guide, &c.opened.app.situation, &f.target)
                });
            (place.words(t.lang), f.problem.clone(), f.basis.clone())
        })
        .collect();
    let can = (
        c.allowed.contains(&Action::RequestCorrection),
        c.allowed.contains(&Action::Accept),
        c.allowed.contains(&Action::Reject),
    );
    let staff = c.staff;
    let timeline = super::pages::steps(&t, &c.opened.standing.timeline);
    let d = dto(&t, c);
    Ok(CaseView {
        nav: Nav::from_ctx(ctx),
        state_label: t.get(&format!("apply.state_{}", d.state)),
        c: d,
        answers,
        errors,
        done,
        can,
        changes,
        files,
        staff,
        findings,
        number_shown: tongban_domain::applications::grouped_case_number(
            &state.config().applications.case_number,
            n.as_str(),
        ),
        timeline,
        t,
    })
}

/// Query of the case page.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// A case number from a path. A malformed one is no case (404), decided
/// before anything is looked up or decided with it: the lookup would
/// forgive surrounding spaces, and the redirect after a decision could not
/// carry a line break.
pub(super) fn case_no(n: &str) -> Result<CaseNo, AppError> {
    CaseNo::parse(n).map_err(|_| AppError::NotFound)
}

/// `GET /work/cases/{n}`.
pub async fn case_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(n): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, AppError> {
    let n = case_no(&n)?;
    let done = match q.done.as_str() {
        d @ ("request_correction" | "accept" | "reject") => ctx.tr().get(&format!("case.done_{d}")),
        _ => String::new(),
    };
    render(&case_view(&state, &ctx, &n, vec![], done).await?)
}

fn pdf_response(doc: Official, name: String) -> Result<Response, AppError> {
    let pdf =
        tongban_core::platform::pdf::official(&doc).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// An official document as an inline PDF named `name`, rendered on the
/// compute lane (off the async threads, and never waiting behind uploads).
pub(super) async fn render_pdf(doc: Official, name: String) -> Result<Response, AppError> {
    tongban_core::platform::lanes::compute()
        .run(move || pdf_response(doc, name))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

/// `GET /work/cases/{n}/documents/{id}`: an official document of a case in
/// the caller's scope (or their own), as PDF.
pub async fn case_document_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let n = case_no(&n)?;
    let s = ctx.require_session()?;
    let cal = state.calendar().await?;
    let c = acceptance::case(state.db(), &s.principal, &cal, n.as_str()).await?;
    let d = c
        .opened
        .standing
        .documents
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(AppError::NotFound)?;
    render_pdf(d.body, format!("{}-{}", d.kind, n)).await
}

/// `GET /applications/{id}/documents/{doc}`: an official document of one's
/// own application, as PDF.
pub async fn own_document_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    let d = o
        .standing
        .documents
        .into_iter()
        .find(|d| d.id == doc)
        .ok_or(AppError::NotFound)?;
    let n = o.app.case_number.unwrap_or_default();
    render_pdf(d.body, format!("{}-{}", d.kind, n)).await
}
