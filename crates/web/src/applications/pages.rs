//! Applying on the portal, phone first and without JavaScript: the start
//! page of an item (for oneself or an enterprise one acts for), a question
//! page per section of the form, the materials, check your answers with the
//! declaration, the confirmation with the 办件编号 and query code, the
//! receipt as PDF, and 我的办件. Every page saves to the draft on the server,
//! so a person resumes on any device; a page saved elsewhere meanwhile is
//! not overwritten: the person is told and keeps what they typed.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use tongban_core::applications::consents::Begun;
use tongban_core::applications::{self, ApplicationError, Opened, Start, declaration};
use tongban_core::platform::clock::format_cst;
use tongban_domain::FieldProblem;
use tongban_domain::applications::{Channel, State as AppState_};
use tongban_domain::catalog::form::{FormDef, input};
use tongban_domain::catalog::{Fetchable, Guide};
use tongban_domain::kernel::Role;

use super::fields::{
    DivisionOption, FieldView, anchor, anchored, division_options, section_fields,
};
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::http::uploads::Upload;
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

// ---------------------------------------------------------------- start

/// `/apply/{task_code}` view.
#[derive(Template)]
#[template(path = "applications/start.html")]
pub struct StartView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// 实施编码
    pub task_code: String,
    /// item name
    pub name: String,
    /// implementing organisation
    pub org: String,
    /// online depth (2: pre-review before the visit)
    pub depth: u8,
    /// the situations (code, name)
    pub situations: Vec<(String, String)>,
    /// the enterprises the person may apply for (credit code, name)
    pub enterprises: Vec<(String, String)>,
    /// the person's own name
    pub own_name: String,
    /// the level needed, named, when the person's is below it
    pub level_needed: String,
    /// the materials the person will give (names)
    pub to_give: Vec<String>,
    /// the materials fetched for them (names)
    pub fetched: Vec<String>,
    /// problems of the last attempt
    pub errors: Vec<FieldError>,
    /// for a window clerk or a community agent: the heading of applying for
    /// a person (empty for anyone else)
    pub for_person_label: String,
    /// a community agent names the person too (their consent is asked)
    pub ask_name: bool,
    /// the consent they confirm
    pub consent_label: String,
    /// a person (not staff) may apply for another under a 授权委托书
    pub attorney: bool,
    /// the name and ID number typed for that, kept after a refusal
    pub typed: (String, String),
    /// whether that part is shown open (it was used and refused)
    pub attorney_open: bool,
}

/// The translator for pages of application `o`: speaking to the person
/// acting for the applicant (a clerk at a window, a community agent, an
/// enterprise's agent) when that is who reads, to the applicant otherwise.
fn voice(ctx: &Ctx, o: &Opened) -> Tr {
    let reader = ctx.session.as_deref().map(|s| s.principal.account.id);
    ctx.tr().proxy(reader != Some(o.app.applicant_id))
}

/// The words of a staff-only part of the start page, by the person's role
/// (`<prefix>_window` or `<prefix>_agent`); empty for everyone else.
fn staff_words(t: &Tr, p: &tongban_core::identity::Principal, prefix: &str) -> String {
    if p.has_role(Role::WindowClerk) {
        t.get(&format!("{prefix}_window"))
    } else if p.has_role(Role::CommunityAgent) {
        t.get(&format!("{prefix}_agent"))
    } else {
        String::new()
    }
}

async fn start_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    errors: Vec<FieldError>,
    typed: Option<&StartForm>,
) -> Result<StartView, AppError> {
    let s = ctx.require_session()?;
    // A clerk or a community agent starts applications for others.
    let t = ctx.tr().proxy(
        s.principal.has_role(Role::WindowClerk) || s.principal.has_role(Role::CommunityAgent),
    );
    let st = applications::starting(state.db(), &s.principal, code).await?;
    let g = &st.item.guide;
    let level_needed = if st.level < i64::from(g.min_level) {
        state
            .config()
            .identity
            .level(g.min_level.into())
            .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
            .unwrap_or_else(|| g.min_level.to_string())
    } else {
        String::new()
    };
    let (fetched, to_give): (Vec<_>, Vec<_>) = g
        .materials
        .iter()
        .partition(|m| m.fetchable != Fetchable::No);
    Ok(StartView {
        nav: Nav::from_ctx(ctx),
        task_code: st.item.task_code.clone(),
        name: g.name.clone(),
        org: t
            .pick(&st.item.org.name_zh, &st.item.org.name_en)
            .to_owned(),
        depth: g.online_depth,
        situations: g
            .situations
            .iter()
            .map(|x| (x.code.clone(), x.name.clone()))
            .collect(),
        enterprises: st.enterprises,
        own_name: s.principal.account.display_name.clone(),
        level_needed,
        to_give: to_give.iter().map(|m| m.name.clone()).collect(),
        fetched: fetched.iter().map(|m| m.name.clone()).collect(),
        errors,
        for_person_label: staff_words(&t, &s.principal, "apply.for_person"),
        ask_name: s.principal.has_role(Role::CommunityAgent)
            && !s.principal.has_role(Role::WindowClerk),
        consent_label: staff_words(&t, &s.principal, "apply.consent"),
        attorney: s.principal.account.kind == "person"
            && !s.principal.has_role(Role::WindowClerk)
            && !s.principal.has_role(Role::CommunityAgent),
        attorney_open: typed.is_some_and(|f| !f.person.trim().is_empty()),
        typed: typed.map_or_else(Default::default, |f| {
            (f.person_name.trim().to_owned(), f.person.trim().to_owned())
        }),
        t,
    })
}

/// `GET /apply/{task_code}`: what applying takes, and for whom.
pub async fn start_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    if code.len() > 36 {
        return Err(AppError::NotFound);
    }
    let v = start_view(&state, &ctx, &code, vec![], None).await?;
    if v.depth < 2 {
        return Err(AppError::NotFound);
    }
    render(&v)
}

/// What the start page posts.
#[derive(Debug, Clone, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    situation: String,
    #[serde(default)]
    applicant: String,
    /// the ID number of a person at the window or helped by an agent
    #[serde(default)]
    person: String,
    /// the name of a person applied for under a power of attorney
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    consent: String,
}

/// `POST /apply/{task_code}`: starts a draft and opens its first page.
pub async fn start_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<StartForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let typed = f.clone();
    let started = applications::consents::start_or_ask(
        state.db(),
        state.data_key(),
        &s.principal,
        Start {
            task_code: code.clone(),
            situation: Some(f.situation).filter(|x| !x.trim().is_empty()),
            on_behalf_of: Some(f.applicant).filter(|x| !x.trim().is_empty() && x != "self"),
            channel: if f.person.trim().is_empty() {
                Channel::Portal
            } else {
                channel_for_person(&s.principal, Channel::Portal)
            },
            for_person: Some(f.person).filter(|x| !x.trim().is_empty()),
            person_name: Some(f.person_name).filter(|x| !x.trim().is_empty()),
            consent: !f.consent.is_empty(),
            mobile: super::api::mobile(&headers),
            key: None,
            draft_days: state.config().applications.draft_days,
            drafts_per_account: state.config().applications.drafts_per_account,
            confirmed: None,
        },
    )
    .await;
    match started {
        Ok(Begun::Started(d)) => {
            Ok(Redirect::to(&format!("/applications/{}/after/start", d.id)).into_response())
        }
        Ok(Begun::Asked(id)) => Ok(Redirect::to(&format!("/apply/consents/{id}")).into_response()),
        Err(ApplicationError::Invalid(p)) => {
            let errors = localize(&ctx.tr(), p);
            render_form(
                &start_view(&state, &ctx, &code, errors, Some(&typed)).await?,
                false,
            )
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------- navigation

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

// ------------------------------------------------------------- overview

/// A line of the task list.
#[derive(Debug)]
pub struct TaskLine {
    /// title
    pub title: String,
    /// link
    pub href: String,
    /// done
    pub done: bool,
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
    /// 实施编码
    pub task_code: String,
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
    /// the corrections asked (problem, basis), while being corrected
    pub findings: Vec<(String, String)>,
    /// the official documents (id, title and number)
    pub documents: Vec<(i64, String)>,
    /// the promised and statutory completion dates, once accepted
    pub deadlines: Option<(String, String)>,
    /// what the correction changed, once submitted again
    pub changes: Option<ChangesView>,
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
    let mut tasks = Vec::new();
    if let Some((g, form)) = form_and_guide(&o) {
        let problems: Vec<String> = o.problems.iter().map(|p| anchor(&p.field)).collect();
        for i in shown_sections(&form, &a.fields) {
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
            });
        }
        tasks.push(TaskLine {
            title: t.get("apply.check"),
            href: format!("{base}/check"),
            done: false,
        });
    }
    let mut facts = Vec::new();
    if let (Some(n), Some(at)) = (&a.case_number, o.submitted_at) {
        facts.push(Fact {
            label: t.get("apply.case_number"),
            value: n.clone(),
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
        task_code: a.task_code.clone(),
        state_label: t.get(&format!("apply.state_{}", a.state.code())),
        state_code: a.state.code(),
        draft: a.state.editable(),
        withdrawn: o.item.is_none(),
        newer: a.newer_version,
        revision: a.revision,
        tasks,
        facts,
        case_number: a.case_number.clone().unwrap_or_default(),
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
        findings: if a.state == AppState_::CorrectionNotified {
            o.standing
                .findings
                .iter()
                .map(|f| (f.problem.clone(), f.basis.clone()))
                .collect()
        } else {
            vec![]
        },
        documents: o
            .standing
            .documents
            .iter()
            .map(|d| (d.id, format!("{} {}", d.body.title, d.number)))
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

// --------------------------------------------------------- question page

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
    let fields = section_fields(&t, &form, sec, answers, &errors, add);
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
        t,
    })
}

/// `GET /applications/{id}/pages/{n}`.
pub async fn page_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(p): Path<PagePath>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &p.id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{}", p.id)).into_response());
    }
    render(&page_view(&state, &ctx, &o, p.n, &o.app.fields, vec![], None).await?)
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
    let saved = applications::save_page(
        state.db(),
        &s.principal,
        &p.id,
        revision,
        p.n,
        &pairs,
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
            render(&v)
        }
        Ok(_) if action == "later" => Ok(Redirect::to(&base).into_response()),
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
            refused(&v, conflict)
        }
        Err(ApplicationError::WrongState) => Ok(Redirect::to(&base).into_response()),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------- materials

/// A material as its page shows it.
#[derive(Debug)]
pub struct MaterialView {
    /// code
    pub code: String,
    /// name
    pub name: String,
    /// required
    pub required: bool,
    /// fetched from (worded), when the person gives nothing
    pub fetched: String,
    /// accepted types and size, worded
    pub accepts: String,
    /// `accept` attribute of the file input
    pub accept: String,
    /// a note
    pub note: String,
    /// the files given (id, name, type, size worded, trust and origin worded)
    pub files: Vec<(i64, String, String, String, String)>,
    /// files given in earlier cases that this material takes (giving id,
    /// name and where from)
    pub reusable: Vec<(i64, String)>,
    /// what is wrong
    pub error: String,
}

/// `/applications/{id}/materials` view.
#[derive(Template)]
#[template(path = "applications/materials.html")]
pub struct MaterialsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// application id
    pub id: String,
    /// item name
    pub name: String,
    /// the materials
    pub materials: Vec<MaterialView>,
    /// problems
    pub errors: Vec<FieldError>,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn materials_view(
    ctx: &Ctx,
    o: &Opened,
    reusable: &[applications::Reusable],
    errors: Vec<FieldError>,
) -> Result<MaterialsView, AppError> {
    let t = voice(ctx, o);
    let (g, _) = form_and_guide(o).ok_or(AppError::NotFound)?;
    let materials = applications::materials_of(g, &o.app.situation)
        .map(|m| {
            let fetched = match &m.fetchable {
                Fetchable::No => String::new(),
                Fetchable::Certificate(what) => {
                    t.fmt("apply.fetched_certificate", &[("what", what)])
                }
                Fetchable::SharedData(what) => t.fmt("apply.fetched_shared", &[("what", what)]),
            };
            let types: Vec<String> = m
                .file_types
                .iter()
                .map(|x| x.to_ascii_uppercase())
                .collect();
            MaterialView {
                accepts: t.fmt(
                    "apply.accepts",
                    &[("types", &types.join("、")), ("mb", &m.max_mb.to_string())],
                ),
                accept: m
                    .file_types
                    .iter()
                    .map(|x| match x.as_str() {
                        "pdf" => ".pdf,application/pdf",
                        "ofd" => ".ofd",
                        "jpeg" => ".jpg,.jpeg,image/jpeg",
                        "png" => ".png,image/png",
                        _ => "",
                    })
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(","),
                files: o
                    .app
                    .files
                    .iter()
                    .filter(|f| f.material == m.code)
                    .map(|f| {
                        (
                            f.id,
                            f.name.clone(),
                            f.kind.to_ascii_uppercase(),
                            size_text(f.size),
                            trust_text(&t, &f.trust, &f.origin),
                        )
                    })
                    .collect(),
                reusable: reusable
                    .iter()
                    .filter(|r| r.material_name == m.name && m.file_types.contains(&r.kind))
                    .map(|r| {
                        (
                            r.given_id,
                            t.fmt(
                                "apply.reuse_line",
                                &[
                                    ("name", &r.name),
                                    ("case", &r.case_number),
                                    ("size", &size_text(r.size)),
                                ],
                            ),
                        )
                    })
                    .collect(),
                error: errors
                    .iter()
                    .filter(|e| e.field == format!("m-{}", m.code))
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                code: m.code.clone(),
                name: m.name.clone(),
                required: m.required,
                fetched,
                note: m.note.clone(),
            }
        })
        .collect();
    Ok(MaterialsView {
        nav: Nav::from_ctx(ctx),
        id: o.app.id.clone(),
        name: name_of(&t, o),
        materials,
        errors,
        t,
    })
}

/// A file's trust grade and origin, worded.
pub fn trust_text(t: &Tr, trust: &str, origin: &str) -> String {
    let from = match origin.split_once(':') {
        Some(("reuse", case)) => t.fmt("apply.origin_reuse", &[("case", case)]),
        _ => t.get(&format!("apply.origin_{origin}")),
    };
    format!("{} · {from}", t.get(&format!("apply.trust_{trust}")))
}

/// Problems about materials, anchored at `m-<code>`.
fn material_errors(t: &Tr, problems: Vec<FieldProblem>) -> Vec<FieldError> {
    localize(t, problems)
        .into_iter()
        .map(|mut e| {
            if let Some(code) = e.field.strip_prefix("/materials/") {
                e.field = format!("m-{code}");
            }
            e
        })
        .collect()
}

/// `GET /applications/{id}/materials`.
pub async fn materials_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
    if !o.app.state.editable() {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    render(&materials_view(&ctx, &o, &reusable, vec![])?)
}

/// `POST /applications/{id}/materials/{code}`: a file for a material, as
/// `multipart/form-data` (the field `file`), streamed to the store.
pub async fn material_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    upload: Upload<Multipart>,
) -> Result<Response, AppError> {
    let Upload {
        body: mut form,
        admitted,
    } = upload;
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let mut result = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or(&code).to_owned();
        result = Some(
            applications::give(
                state.db(),
                &state.config().data_dir,
                &s.principal,
                &id,
                &code,
                &name,
                Box::pin(field),
                state.config().applications.bytes_per_account,
            )
            .await,
        );
        break;
    }
    if let Some(Err(_)) = &result
        && let Some(stopped) = admitted.stopped()
    {
        return Err(stopped);
    }
    let problems = match result {
        Some(Ok(_)) => {
            return Ok(
                Redirect::to(&format!("/applications/{id}/materials#m-{code}")).into_response(),
            );
        }
        Some(Err(ApplicationError::Invalid(p))) => p,
        Some(Err(e)) => return Err(e.into()),
        None => vec![FieldProblem::new(
            format!("/materials/{code}"),
            "file.empty",
            "请选择要上传的文件",
        )],
    };
    let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
    render_form(
        &materials_view(&ctx, &o, &reusable, material_errors(&t, problems))?,
        false,
    )
}

/// What the reuse button posts.
#[derive(Debug, Deserialize)]
pub struct ReuseForm {
    #[serde(default)]
    from: i64,
}

/// `POST /applications/{id}/materials/{code}/reuse`: gives a file from an
/// earlier case again, by reference.
pub async fn material_reuse_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<ReuseForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    match applications::reuse(state.db(), &s.principal, &id, &code, f.from).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/applications/{id}/materials#m-{code}")).into_response())
        }
        Err(ApplicationError::Invalid(p)) => {
            let (o, reusable) = applications::open_materials(state.db(), &s.principal, &id).await?;
            render_form(
                &materials_view(&ctx, &o, &reusable, material_errors(&ctx.tr(), p))?,
                false,
            )
        }
        Err(e) => Err(e.into()),
    }
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

/// `POST /applications/{id}/files/{file_id}/delete`: takes a file back.
pub async fn file_delete_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    applications::take_back(state.db(), &s.principal, &id, file_id).await?;
    Ok(Redirect::to(&format!("/applications/{id}/materials")).into_response())
}

// ------------------------------------------------------- check and submit

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
    pub declaration: &'static str,
    /// its version
    pub declaration_version: &'static str,
    /// revision the page was read at
    pub revision: i64,
    /// every problem left, each with where it is fixed
    pub fixes: Vec<Fix>,
    /// saved elsewhere meanwhile
    pub conflict: bool,
}

/// What a correction changed, as a page lists it.
#[derive(Debug, Default)]
pub struct ChangesView {
    /// (question, before, after)
    pub answers: Vec<(String, String, String)>,
    /// files given since: (material, file)
    pub added: Vec<(String, String)>,
    /// files taken back since: (material, file)
    pub removed: Vec<(String, String)>,
}

/// The last correction's changes of an application, worded; `None` when
/// it was not corrected and submitted again.
pub fn changes_view(t: &Tr, o: &Opened) -> Option<ChangesView> {
    let c = o.standing.changes.as_ref()?;
    let (g, form) = form_and_guide(o)?;
    let material = |code: &str| {
        applications::materials_of(g, &o.app.situation)
            .find(|m| m.code == code)
            .map_or_else(|| code.to_owned(), |m| m.name.clone())
    };
    let none = t.get("apply.not_answered");
    Some(ChangesView {
        answers: c
            .answers
            .iter()
            .map(|(key, before, after)| {
                let f = form.field(key);
                let words = |v: &Option<serde_json::Value>| match (f, v) {
                    (Some(f), Some(v)) => answer_text(t, f, v, &[]),
                    (None, Some(v)) => v.to_string(),
                    _ => none.clone(),
                };
                (
                    f.map_or_else(|| key.clone(), |f| t.pick(&f.label, &f.label_en).to_owned()),
                    words(before),
                    words(after),
                )
            })
            .collect(),
        added: c
            .files_added
            .iter()
            .map(|(m, n)| (material(m), n.clone()))
            .collect(),
        removed: c
            .files_removed
            .iter()
            .map(|(m, n)| (material(m), n.clone()))
            .collect(),
    })
}

/// An answer as a person reads it: choices by their labels, an address with
/// its division's name, a group's entries one after another.
pub fn answer_text(
    t: &Tr,
    f: &tongban_domain::catalog::form::Field,
    v: &Value,
    divisions: &[DivisionOption],
) -> String {
    let name = |code: &str| {
        divisions
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
    };
    tongban_domain::catalog::form::words::answer(f, v, t.lang, &name)
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
                href: format!("{base}/pages/{i}"),
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
                format!("{base}/materials#m-{code}")
            } else if pointer == "/declaration" {
                "#f-declaration".to_owned()
            } else if pointer == "version" {
                base.clone()
            } else {
                let key = anchor(&pointer);
                let top = key.split('-').next().unwrap_or("");
                match shown
                    .iter()
                    .find(|i| form.sections[**i].fields.iter().any(|f| f.key == top))
                {
                    Some(i) => format!("{base}/pages/{i}#f-{key}"),
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
        declaration: declaration::text(ctx.lang),
        declaration_version: declaration::VERSION,
        revision: a.revision,
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
    let done = applications::submit(
        state.db(),
        &s.principal,
        &id,
        f.revision,
        &f.declaration,
        &state.config().applications.case_number,
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

// ------------------------------------------------------------- receipt

/// `GET /applications/{id}/receipt.pdf`: the receipt of a submitted
/// application (申请材料接收回执).
pub async fn receipt_pdf_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    let track = format!("{}/track", state.config().public_url.trim_end_matches('/'));
    let doc = applications::receipt::receipt(&o, &track).ok_or(AppError::NotFound)?;
    let pdf = tongban_core::platform::lanes::compute()
        .run(move || tongban_core::platform::pdf::official(&doc))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let number = o.app.case_number.unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"receipt-{number}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// `GET /applications/{id}/form.pdf`: the application form (申请表) with
/// every answer, the declaration and signature lines, for an applicant at a
/// window to sign.
pub async fn form_pdf_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let doc = applications::receipt::form_document(state.db(), &s.principal, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::cases::render_pdf(doc, format!("application-{id}")).await
}

// ------------------------------------------------------------- 我的办件

/// A line of 我的办件.
#[derive(Debug)]
pub struct MineLine {
    /// id
    pub id: String,
    /// item name
    pub name: String,
    /// state code
    pub state: &'static str,
    /// 办件编号 (empty for a draft)
    pub case_number: String,
    /// applicant
    pub applicant: String,
    /// last change
    pub updated: String,
}

/// `/applications` view.
#[derive(Template)]
#[template(path = "applications/mine.html")]
pub struct MineView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the applications
    pub lines: Vec<MineLine>,
}

/// `GET /applications`: 我的办件, every application however it came.
pub async fn mine_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let lines = applications::mine(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|a| MineLine {
            state: a.state.code(),
            case_number: a.case_number.unwrap_or_default(),
            updated: format_cst(a.updated_at),
            id: a.id,
            name: a.item_name,
            applicant: a.applicant_name,
        })
        .collect();
    render(&MineView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        lines,
    })
}
