//! The applications API: start a draft (with an Idempotency-Key), read it,
//! change its answers by JSON merge patch against the revision last seen,
//! and list one's applications.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tongban_core::applications::declaration;
use tongban_core::applications::{self, Application, Start};
use tongban_domain::applications::Channel;
use utoipa::ToSchema;

use crate::http::api::Problem;
use crate::http::ctx::Ctx;
use crate::http::json::Json;
use crate::http::uploads::Upload;
use crate::{AppError, AppState};

/// What starting an application asks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// 实施编码 of a published item.
    #[schema(min_length = 1, max_length = 50)]
    pub item: String,
    /// 业务办理项 code, when the item has situations.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub situation: Option<String>,
    /// 统一社会信用代码 of the enterprise applied for (by its agent).
    #[serde(default)]
    #[schema(max_length = 18)]
    pub on_behalf_of: Option<String>,
    /// 公民身份号码 of the person applied for: by a window clerk (the
    /// person present at the window), a community agent (代办), or anyone
    /// else holding the person's signed 授权委托书 (then `person_name` too,
    /// and the case asks for the 授权委托书 as material `POA`).
    #[serde(default)]
    #[schema(max_length = 18)]
    pub for_person: Option<String>,
    /// With `for_person` under a power of attorney: the person's name as on
    /// their ID card.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub person_name: Option<String>,
    /// With `for_person`: the person's identity was checked and their
    /// signed consent recorded (or the 授权委托书 is held).
    #[serde(default)]
    pub consent: bool,
}

/// A draft's id and revision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftRef {
    /// Id.
    pub id: String,
    /// Revision, to send with the next change.
    pub revision: i64,
}

/// A change of a draft's answers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPatch {
    /// The revision last read.
    #[serde(deserialize_with = "crate::http::api::whole_number")]
    #[schema(minimum = 1)]
    pub revision: i64,
    /// A JSON merge patch (RFC 7396) of the answers: `null` removes one.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// An application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDto {
    /// Id.
    pub id: String,
    /// 实施编码.
    pub item: String,
    /// Item name.
    pub item_name: String,
    /// The version of the item's form it answers.
    pub version: i64,
    /// 业务办理项 code (empty: none).
    pub situation: String,
    /// `draft`, `submitted`, `correction`, `accepted`, `not_accepted`,
    /// `withdrawn` or `expired`.
    pub state: String,
    /// Revision, to send with the next change.
    pub revision: i64,
    /// The answers.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// 办件编号, once submitted.
    pub case_number: Option<String>,
    /// The applicant (申请人).
    pub applicant: String,
    /// The person acting (经办人).
    pub acting: String,
    /// `own`, or `mandate:<id>` for an enterprise's agent.
    pub authority: String,
    /// `portal`, `api`, `window` or `agent`.
    pub channel: String,
    /// 申报来源 (GB/T 39046 A.5).
    pub source_code: String,
    /// Started (milliseconds since the Unix epoch).
    pub created_at: i64,
    /// Last saved.
    pub updated_at: i64,
    /// A draft not saved again is deleted after this.
    pub expires_at: i64,
    /// The item's current version, when newer than the draft's: see
    /// `…/upgrade`.
    pub newer_version: Option<i64>,
    /// The files given for its materials.
    pub files: Vec<GivenFileDto>,
    /// The declaration a submission accepts.
    pub declaration: DeclarationDto,
}

/// A file given for a material.
#[derive(Debug, Serialize, ToSchema)]
pub struct GivenFileDto {
    /// Id of this giving (remove it with `DELETE …/files/{id}`).
    pub id: i64,
    /// The material's code.
    pub material: String,
    /// Name as uploaded.
    pub name: String,
    /// Type, decided by content: `pdf`, `ofd`, `jpeg`, `png`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Trust grade (国办函〔2016〕108号): `A` issued with a seal, `B` checked
    /// against the original at a window, `C` uploaded (the original is
    /// checked at the window), `D` made under a declaration.
    pub trust: String,
    /// `upload`, `window` (scanned by the clerk) or `reuse:<case number>`.
    pub origin: String,
    /// Where the file is opened (`GET`): PDF, PNG and JPEG in the browser,
    /// anything else downloaded.
    pub href: String,
}

/// A file given in an earlier case, to give again by reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseFile {
    /// The id of the earlier giving (`files[].id` of that application).
    #[schema(minimum = 1)]
    pub file_id: i64,
}

impl GivenFileDto {
    /// A file given, opened under `base` (the application's or the case's
    /// path in the API).
    pub fn of(f: applications::GivenFile, base: &str) -> Self {
        Self {
            href: format!("{base}/files/{}", f.id),
            id: f.id,
            material: f.material,
            name: f.name,
            kind: f.kind,
            size: f.size,
            sha256: f.sha256,
            trust: f.trust,
            origin: f.origin,
        }
    }
}

impl ApplicationDto {
    /// An application as the API gives it, words in `lang`.
    pub fn of(a: Application, lang: tongban_domain::Lang) -> Self {
        let base = format!("/api/v1/applications/{}", a.id);
        let declaration = a.declaration.clone();
        Self {
            id: a.id,
            item: a.task_code,
            item_name: a.item_name,
            version: a.version_no,
            situation: a.situation,
            state: a.state.code().into(),
            revision: a.revision,
            fields: a.fields,
            case_number: a.case_number,
            applicant: a.applicant_name,
            acting: a.acting_name,
            authority: a.authority,
            channel: a.channel,
            source_code: a.source_code,
            created_at: a.created_at,
            updated_at: a.updated_at,
            expires_at: a.expires_at,
            newer_version: a.newer_version,
            files: a
                .files
                .into_iter()
                .map(|f| GivenFileDto::of(f, &base))
                .collect(),
            declaration: DeclarationDto::of(declaration.as_ref(), lang),
        }
    }
}

/// Whether the request comes from a phone (申报来源 3 rather than 2).
pub fn mobile(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.contains("Mobile") || ua.contains("Android") || ua.contains("iPhone"))
}

/// Starts a draft. With an `Idempotency-Key`, the same key and body give
/// the same draft for 24 hours, and the same key with another body is
/// refused (422).
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = NewApplication,
    params(("Idempotency-Key" = Option<String>, Header, max_length = 200, description = "makes a retried request start one draft")),
    responses((status = 201, body = DraftRef, links(
        ("GetApplication" = (operation_id = "get_application", parameters(("id" = "$response.body#/id")))),
        ("PatchApplication" = (operation_id = "patch_application", parameters(("id" = "$response.body#/id")))),
        ("GetUpgrade" = (operation_id = "get_upgrade", parameters(("id" = "$response.body#/id")))),
        ("SubmitApplication" = (operation_id = "submit_application", parameters(("id" = "$response.body#/id")))))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such published item")))]
pub async fn create_application(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Json(body): Json<NewApplication>,
) -> Result<(StatusCode, Json<DraftRef>), AppError> {
    let s = ctx.require_session()?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| (1..=200).contains(&k.len()))
                .ok_or_else(|| AppError::field("Idempotency-Key", "invalid"))?
                .to_owned(),
        ),
    };
    let started = applications::start(
        state.db(),
        state.data_key(),
        &s.principal,
        Start {
            task_code: body.item,
            situation: body.situation.filter(|x| !x.trim().is_empty()),
            on_behalf_of: body.on_behalf_of.filter(|x| !x.trim().is_empty()),
            channel: if body.for_person.is_some() {
                super::pages::channel_for_person(&s.principal, Channel::Api)
            } else {
                Channel::Api
            },
            for_person: body.for_person.filter(|x| !x.trim().is_empty()),
            person_name: body.person_name.filter(|x| !x.trim().is_empty()),
            consent: body.consent,
            mobile: mobile(&headers),
            key,
            draft_days: state.config().applications.draft_days,
            drafts_per_account: state.config().applications.drafts_per_account,
            confirmed: None,
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

/// One of the caller's applications (as applicant or as the person acting).
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, body = ApplicationDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ApplicationDto>, AppError> {
    let s = ctx.require_session()?;
    let a = applications::get(state.db(), &s.principal, &id).await?;
    Ok(Json(ApplicationDto::of(a, ctx.lang)))
}

/// Changes a draft's answers: a JSON merge patch against the revision last
/// read. What it gives is checked at once against the item's form, every
/// problem listed with its JSON pointer; a stale revision is refused (409)
/// and nothing changes.
#[utoipa::path(patch, path = "/api/v1/applications/{id}", tag = "applications", request_body = DraftPatch,
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, body = DraftRef), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "changed since that revision, or no longer a draft")))]
pub async fn patch_application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<DraftPatch>,
) -> Result<Json<DraftRef>, AppError> {
    let s = ctx.require_session()?;
    let revision = applications::save(
        state.db(),
        &s.principal,
        &id,
        body.revision,
        &body.fields,
        state.config().applications.draft_days,
    )
    .await?;
    Ok(Json(DraftRef { id, revision }))
}

/// The applicant ends the power of the person acting for them on this
/// application (a community agent's consent, a 授权委托书): from then on
/// that person can neither read nor change it, and is told. Ending it
/// again changes nothing.
#[utoipa::path(post, path = "/api/v1/applications/{id}/authority/end", tag = "applications",
    params(("id" = String, Path, description = "application id")),
    responses((status = 204, description = "ended"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such application of the caller's as applicant"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "nobody acts for the applicant under a consent or a power of attorney")))]
pub async fn end_authority(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let s = ctx.require_session()?;
    applications::end_authority(state.db(), &s.principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's applications, newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, body = Vec<ApplicationDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_applications(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ApplicationDto>>, AppError> {
    let s = ctx.require_session()?;
    Ok(Json(
        applications::mine(state.db(), &s.principal)
            .await?
            .into_iter()
            .map(|a| ApplicationDto::of(a, ctx.lang))
            .collect(),
    ))
}

/// What moving a draft to the item's current form changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpgradeDto {
    /// Revision (after moving; the current one when only asked).
    pub revision: i64,
    /// The version the draft answered.
    pub from: i64,
    /// The current version.
    pub to: i64,
    /// Answers the new form no longer asks for (dropped on moving).
    pub dropped: Vec<String>,
    /// Required questions the new form adds, not yet answered.
    pub added: Vec<String>,
    /// Answers kept that the new form does not accept as they are.
    pub problems: Vec<crate::http::error::FieldError>,
}

fn upgrade_dto(ctx: &Ctx, revision: i64, u: applications::Upgrade) -> UpgradeDto {
    UpgradeDto {
        revision,
        from: u.from,
        to: u.to,
        dropped: u.dropped,
        added: u.added,
        problems: crate::http::error::localize(&ctx.tr(), u.problems),
    }
}

/// What would change for a draft if it moved to the item's newer form;
/// 404 when its form is the current one.
#[utoipa::path(get, path = "/api/v1/applications/{id}/upgrade", tag = "applications",
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, body = UpgradeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such draft, or its form is current")))]
pub async fn get_upgrade(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<UpgradeDto>, AppError> {
    let s = ctx.require_session()?;
    let a = applications::get(state.db(), &s.principal, &id).await?;
    let u = applications::newer(state.db(), &s.principal, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(upgrade_dto(&ctx, a.revision, u)))
}

/// The revision a step is taken against.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionRef {
    /// The revision last read.
    #[serde(deserialize_with = "crate::http::api::whole_number")]
    #[schema(minimum = 1)]
    pub revision: i64,
}

/// Moves a draft to the item's current form in one step: answers it no
/// longer asks for are dropped, the rest kept.
#[utoipa::path(post, path = "/api/v1/applications/{id}/upgrade", tag = "applications", request_body = RevisionRef,
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, body = UpgradeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "changed since that revision")))]
pub async fn post_upgrade(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<RevisionRef>,
) -> Result<Json<UpgradeDto>, AppError> {
    let s = ctx.require_session()?;
    let (revision, u) = applications::upgrade(state.db(), &s.principal, &id, body.revision).await?;
    Ok(Json(upgrade_dto(&ctx, revision, u)))
}

/// The name of an uploaded file.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    name: String,
}

/// Gives a file for a material of a draft: the file is the request body,
/// its name the `name` query parameter. Its type is decided by its content
/// (PDF, OFD, JPEG, PNG) and must be one the material takes; it may not pass
/// the material's size limit (up to 200 MB; it is written to disk as it
/// arrives).
#[utoipa::path(post, path = "/api/v1/applications/{id}/materials/{code}/files", tag = "applications",
    params(("id" = String, Path, description = "application id"), ("code" = String, Path, description = "material code"),
           ("name" = Option<String>, Query, max_length = 120, description = "the file's name")),
    request_body(description = "the file itself, or (as JSON) a file given in an earlier case of the same applicant, by reference",
        content((Vec<u8> = "application/octet-stream"), (ReuseFile = "application/json"))),
    responses((status = 201, body = GivenFileDto, links(
        ("DeleteMaterialFile" = (operation_id = "delete_material_file",
            parameters(("id" = "$request.path.id"), ("file_id" = "$response.body#/id")))))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "no longer a draft")))]
pub async fn post_material_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<UploadQuery>,
    headers: HeaderMap,
    upload: Upload<axum::body::Body>,
) -> Result<(StatusCode, Json<GivenFileDto>), AppError> {
    let Upload { body, admitted } = upload;
    let s = ctx.require_session()?;
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let given = if json {
        let bytes = axum::body::to_bytes(body, 4096)
            .await
            .map_err(|_| admitted.failed(AppError::BadRequest("body too large".into())))?;
        let r: ReuseFile = crate::http::json::from_slice(&bytes)?;
        applications::reuse(state.db(), &s.principal, &id, &code, r.file_id).await?
    } else {
        let name = if q.name.trim().is_empty() {
            code.clone()
        } else {
            q.name
        };
        applications::give(
            state.db(),
            &state.config().data_dir,
            &s.principal,
            &id,
            &code,
            &name,
            body.into_data_stream(),
            state.config().applications.bytes_per_account,
        )
        .await
        .map_err(|e| admitted.failed(e))?
    };
    let base = format!("/api/v1/applications/{id}");
    Ok((StatusCode::CREATED, Json(GivenFileDto::of(given, &base))))
}

/// Removes a file given for a material of a draft.
#[utoipa::path(delete, path = "/api/v1/applications/{id}/files/{file_id}", tag = "applications",
    params(("id" = String, Path, description = "application id"), ("file_id" = i64, Path, description = "the id of the giving")),
    responses((status = 204, description = "removed"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "no longer a draft")))]
pub async fn delete_material_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file_id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let s = ctx.require_session()?;
    applications::take_back(state.db(), &s.principal, &id, file_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A submission: the revision last read and the version of the declaration
/// (申请人承诺书) the person accepted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The revision last read.
    #[serde(deserialize_with = "crate::http::api::whole_number")]
    #[schema(minimum = 1)]
    pub revision: i64,
    /// The declaration accepted: its version (`declaration.version` of the
    /// application), or the `declaration.sha256` of the words shown, which
    /// then must still be the words (422 `application.declaration_changed`
    /// otherwise); a missing or old one is a problem at `/declaration`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub declaration: String,
    /// Taken in at a window: the applicant has read and signed the printed
    /// 申请表 (`/applications/{id}/form.pdf`). Required when the clerk who
    /// took it in submits it (422 `application.not_signed` at `/signed`).
    #[serde(default)]
    pub signed: bool,
}

/// A submitted application's case number.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// 办件编号.
    pub case_number: String,
    /// 查询码: with the case number, follows the case without an account.
    pub query_code: String,
}

/// The declaration (申请人承诺书) a submission accepts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationDto {
    /// Version, to send with the submission.
    pub version: String,
    /// SHA-256 of the version and the binding Chinese words.
    pub sha256: String,
    /// The words in the request's language.
    pub text: String,
}

impl DeclarationDto {
    /// An application's declaration in a language; for an item withdrawn
    /// since, the wording without an item's law.
    pub fn of(d: Option<&declaration::Declaration>, lang: tongban_domain::Lang) -> Self {
        let d = d.cloned().unwrap_or_else(|| {
            declaration::for_guide(
                &tongban_domain::catalog::Guide::default(),
                &tongban_domain::catalog::CodeLists::defaults(),
            )
        });
        Self {
            text: d.text(lang).into(),
            version: d.version,
            sha256: d.sha256,
        }
    }
}

/// Submits a draft: refused with every problem at once (each answer at its
/// JSON pointer, each missing material at `/materials/{code}`), otherwise
/// the application gets its 办件编号 and the person is told.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", request_body = SubmitBody,
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, body = Submitted, links(
        ("GetCase" = (operation_id = "get_case", parameters(("case_number" = "$response.body#/case_number")))),
        ("PostAction" = (operation_id = "post_action", parameters(("case_number" = "$response.body#/case_number")))))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "changed since that revision, or already submitted")))]
pub async fn submit_application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<SubmitBody>,
) -> Result<Json<Submitted>, AppError> {
    let s = ctx.require_session()?;
    let lists = state.code_lists().await?;
    let done = applications::submit(
        state.db(),
        &state.config().data_dir,
        &s.principal,
        &id,
        applications::Submitting {
            revision: body.revision,
            declared: &body.declaration,
            signed: body.signed,
        },
        &state.config().applications.case_number,
        &lists,
    )
    .await?;
    Ok(Json(Submitted {
        case_number: done.case_number,
        query_code: done.query_code,
    }))
}
