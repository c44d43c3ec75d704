//! 代办同意 on the web: the community agent's page where the person's code
//! is entered (`/apply/consents/{id}`), the person's page of requests and
//! consents given (`/applications/consents`), and their API twins under
//! `/api/v1/consents`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tongban_core::applications::ApplicationError;
use tongban_core::applications::consents::{self, Answer, Ask, Begin, Consent};
use tongban_core::platform::clock::format_cst;
use utoipa::ToSchema;

use super::api::DraftRef;
use crate::http::api::Problem;
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::json::Json;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState};

/// A consent request as its page shows it.
#[derive(Debug)]
pub struct ConsentLine {
    /// Public id.
    pub id: String,
    /// 实施编码.
    pub task_code: String,
    /// Item name.
    pub item: String,
    /// The agent.
    pub agent: String,
    /// Asked when.
    pub asked: String,
    /// `waiting`, `confirmed`, `expired` or `withdrawn`.
    pub status: &'static str,
    /// The application started under it.
    pub application: String,
}

fn line(c: Consent, now: i64) -> ConsentLine {
    let status = if c.withdrawn_at.is_some() {
        "withdrawn"
    } else if c.confirmed_at.is_some() {
        "confirmed"
    } else if c.expires_at <= now {
        "expired"
    } else {
        "waiting"
    };
    ConsentLine {
        id: c.id,
        task_code: c.task_code,
        item: c.item_name,
        agent: c.agent_name,
        asked: format_cst(c.created_at),
        status,
        application: c.application.unwrap_or_default(),
    }
}

/// `/apply/consents/{id}` view: the agent enters the person's code.
#[derive(Template)]
#[template(path = "applications/consent_asked.html")]
pub struct AskedView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the request
    pub c: ConsentLine,
    /// until when the code may be entered
    pub until: String,
    /// problems
    pub errors: Vec<FieldError>,
}

async fn asked_view(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: Vec<FieldError>,
) -> Result<AskedView, AppError> {
    let s = ctx.require_session()?;
    let c = consents::asked(state.db(), &s.principal, id).await?;
    let until = format_cst(c.expires_at);
    Ok(AskedView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        c: line(c, tongban_core::platform::clock::now_ms()),
        until,
        errors,
    })
}

/// `GET /apply/consents/{id}`.
pub async fn asked_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render(&asked_view(&state, &ctx, &id, vec![]).await?)
}

/// What the agent posts.
#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /apply/consents/{id}`: with the person's code (or once they
/// confirmed in their inbox) the draft starts.
pub async fn asked_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let begun = consents::begin(
        state.db(),
        state.data_key(),
        &s.principal,
        &id,
        Begin {
            code: Some(f.code).filter(|c| !c.trim().is_empty()),
            mobile: super::api::mobile(&headers),
            draft_days: state.config().applications.draft_days,
            drafts_per_account: state.config().applications.drafts_per_account,
        },
    )
    .await;
    match begun {
        Ok(d) => Ok(Redirect::to(&format!("/applications/{}/after/start", d.id)).into_response()),
        Err(ApplicationError::Invalid(p)) => {
            let errors = localize(&ctx.tr(), p);
            render_form(&asked_view(&state, &ctx, &id, errors).await?, false)
        }
        Err(e) => Err(e.into()),
    }
}

/// `/applications/consents` view: the requests made to the person.
#[derive(Template)]
#[template(path = "applications/consents.html")]
pub struct GivenView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the requests, newest first
    pub lines: Vec<ConsentLine>,
}

/// `GET /applications/consents`.
pub async fn given_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let now = tongban_core::platform::clock::now_ms();
    let lines = consents::given(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|c| line(c, now))
        .collect();
    render(&GivenView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        lines,
    })
}

/// What the person posts.
#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    action: String,
}

fn answer_of(s: &str) -> Result<Answer, AppError> {
    match s {
        "confirm" => Ok(Answer::Confirm),
        "withdraw" => Ok(Answer::Withdraw),
        _ => Err(AppError::field("action", "invalid")),
    }
}

/// `POST /applications/consents/{id}`: confirm, decline or withdraw.
pub async fn given_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    consents::answer(state.db(), &s.principal, &id, answer_of(&f.action)?).await?;
    Ok(Redirect::to("/applications/consents").into_response())
}

/// A community agent's request for a person's consent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentAsk {
    /// 实施编码 of the item.
    #[schema(min_length = 1)]
    pub item: String,
    /// 业务办理项 code.
    #[serde(default)]
    pub situation: Option<String>,
    /// The person's 公民身份号码.
    pub for_person: String,
    /// The person's name as on their ID card.
    pub person_name: String,
    /// The agent holds the person's signed consent form.
    #[serde(default)]
    pub consent: bool,
}

/// A consent request's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRef {
    /// Id, for `begin`.
    pub id: String,
}

/// A community agent asks a person's consent to apply for them. The
/// answer is the same whether or not the name and number match a
/// registered person (nothing is learnt); a matching person is sent a
/// code to their phone of record and told in their inbox.
#[utoipa::path(post, path = "/api/v1/consents", tag = "applications", request_body = ConsentAsk,
    responses((status = 202, body = ConsentRef), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such published item"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "not a community agent, a problem with the request, or too many requests")))]
pub async fn ask_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(body): Json<ConsentAsk>,
) -> Result<(StatusCode, Json<ConsentRef>), AppError> {
    let s = ctx.require_session()?;
    let id = consents::ask(
        state.db(),
        state.data_key(),
        &s.principal,
        Ask {
            task_code: body.item,
            situation: body.situation.filter(|x| !x.trim().is_empty()),
            id_number: body.for_person,
            name: body.person_name,
            consent: body.consent,
        },
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(ConsentRef { id })))
}

/// The person's code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentCode {
    /// The six digits the person was sent; omitted once they confirmed in
    /// their inbox.
    #[serde(default)]
    pub code: Option<String>,
}

/// The agent begins the application under a consent: with the person's
/// code, or once they confirmed in their inbox.
#[utoipa::path(post, path = "/api/v1/consents/{id}/begin", tag = "applications", request_body = ConsentCode,
    params(("id" = String, Path, description = "consent request id")),
    responses((status = 201, body = DraftRef), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the person withdrew their consent"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "a wrong, spent or late code")))]
pub async fn begin_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<ConsentCode>,
) -> Result<(StatusCode, Json<DraftRef>), AppError> {
    let s = ctx.require_session()?;
    let started = consents::begin(
        state.db(),
        state.data_key(),
        &s.principal,
        &id,
        Begin {
            code: body.code,
            mobile: super::api::mobile(&headers),
            draft_days: state.config().applications.draft_days,
            drafts_per_account: state.config().applications.drafts_per_account,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(DraftRef {
            id: started.id,
            revision: started.revision,
        }),
    ))
}

/// A consent request as the person sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentDto {
    /// Id.
    pub id: String,
    /// 实施编码.
    pub item: String,
    /// Item name.
    pub item_name: String,
    /// The agent.
    pub agent: String,
    /// Asked (ms since the epoch).
    pub created_at: i64,
    /// Where it stands.
    pub status: ConsentStatus,
    /// The application started under it.
    pub application: Option<String>,
}

/// Where a consent request stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    /// Waiting for the code or the person's answer.
    Waiting,
    /// Confirmed.
    Confirmed,
    /// Not confirmed in time.
    Expired,
    /// Declined or withdrawn.
    Withdrawn,
}

/// The consent requests made to the caller, newest first.
#[utoipa::path(get, path = "/api/v1/consents", tag = "applications",
    responses((status = 200, body = Vec<ConsentDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_consents(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ConsentDto>>, AppError> {
    let s = ctx.require_session()?;
    let now = tongban_core::platform::clock::now_ms();
    let out = consents::given(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|c| {
            let created_at = c.created_at;
            let l = line(c, now);
            ConsentDto {
                id: l.id,
                item: l.task_code,
                item_name: l.item,
                agent: l.agent,
                created_at,
                status: match l.status {
                    "confirmed" => ConsentStatus::Confirmed,
                    "expired" => ConsentStatus::Expired,
                    "withdrawn" => ConsentStatus::Withdrawn,
                    _ => ConsentStatus::Waiting,
                },
                application: Some(l.application).filter(|a| !a.is_empty()),
            }
        })
        .collect();
    Ok(Json(out))
}

/// The person's answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentAnswer {
    /// What the person does.
    pub answer: AnswerDto,
}

/// What the person does with a request made to them.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerDto {
    /// Agrees, instead of telling the agent the code.
    Confirm,
    /// Declines, or ends a consent given.
    Withdraw,
}

impl From<AnswerDto> for Answer {
    fn from(a: AnswerDto) -> Self {
        match a {
            AnswerDto::Confirm => Answer::Confirm,
            AnswerDto::Withdraw => Answer::Withdraw,
        }
    }
}

/// The person confirms, declines or withdraws a consent; withdrawing ends
/// the agent's power over the application started under it at once.
#[utoipa::path(post, path = "/api/v1/consents/{id}/answer", tag = "applications", request_body = ConsentAnswer,
    params(("id" = String, Path, description = "consent request id")),
    responses((status = 204, description = "answered"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such request made to the caller"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn answer_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<ConsentAnswer>,
) -> Result<StatusCode, AppError> {
    let s = ctx.require_session()?;
    consents::answer(state.db(), &s.principal, &id, body.answer.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
