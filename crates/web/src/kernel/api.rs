//! Kernel API: divisions, organisations and identifier checks.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tongban_core::kernel::divisions;
use tongban_core::kernel::orgs::{self, NewOrg, OrgError};
use tongban_domain::kernel::{CreditCode, DivisionCode, IdCardNo, Role};
use utoipa::{IntoParams, ToSchema};

use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// A division.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionDto {
    /// GB/T 2260 code (6 digits) or statistical code (9 or 12).
    pub code: String,
    /// Containing division.
    pub parent_code: Option<String>,
    /// `province`, `city`, `district`, `county`, `county_city`, `street`, `town`, `township`, `community`, `village`.
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

impl From<divisions::Division> for DivisionDto {
    fn from(d: divisions::Division) -> Self {
        Self {
            code: d.code,
            parent_code: d.parent_code,
            kind: d.kind,
            name_zh: d.name_zh,
            name_en: d.name_en,
        }
    }
}

/// A division with what lies within.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionDetail {
    /// The division.
    #[serde(flatten)]
    pub division: DivisionDto,
    /// Divisions directly within.
    pub children: Vec<DivisionDto>,
}

/// Filter of the division list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DivisionQuery {
    /// Only the divisions directly inside this one (a 6, 9 or 12 digit code).
    #[param(pattern = "^(0[1-9]|[1-9][0-9])[0-9]{4}([0-9]{3}([0-9]{3})?)?$")]
    pub parent: Option<String>,
}

/// List divisions (all, or those directly inside `parent`).
#[utoipa::path(get, path = "/api/v1/divisions", tag = "kernel", params(DivisionQuery),
    responses((status = 200, body = Vec<DivisionDto>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_divisions(
    State(state): State<AppState>,
    Query(q): Query<DivisionQuery>,
) -> Result<Json<Vec<DivisionDto>>, AppError> {
    let list = match q.parent {
        Some(p) => {
            let code = DivisionCode::parse(&p)
                .map_err(|e| AppError::problem("parent", "invalid_code", e.to_string()))?;
            divisions::children(state.db(), &code).await?
        }
        None => divisions::all(state.db()).await?,
    };
    Ok(Json(list.into_iter().map(DivisionDto::from).collect()))
}

/// One division and its children.
#[utoipa::path(get, path = "/api/v1/divisions/{code}", tag = "kernel", params(("code" = String, Path, description = "division code: 6, 9 or 12 digits", pattern = "^(0[1-9]|[1-9][0-9])[0-9]{4}([0-9]{3}([0-9]{3})?)?$")),
    responses((status = 200, body = DivisionDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_division(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<DivisionDetail>, AppError> {
    let code = DivisionCode::parse(&code)
        .map_err(|e| AppError::problem("code", "invalid_code", e.to_string()))?;
    let d = divisions::get(state.db(), &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let children = divisions::children(state.db(), &code)
        .await?
        .into_iter()
        .map(DivisionDto::from)
        .collect();
    Ok(Json(DivisionDetail {
        division: d.into(),
        children,
    }))
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    /// Id.
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Short Chinese name.
    pub short_name_zh: String,
    /// `government`, `department`, `service_center`, `service_point`.
    pub kind: String,
    /// 行使层级 (GB/T 39046 A.2): 1 national … 7 tiered.
    pub admin_level: i64,
    /// Division code.
    pub division_code: String,
    /// Parent organisation id.
    pub parent_id: Option<i64>,
    /// Public phone.
    pub phone: Option<String>,
    /// Version (increases with every change).
    pub version: i64,
}

impl From<orgs::Org> for OrgDto {
    fn from(o: orgs::Org) -> Self {
        Self {
            id: o.id,
            credit_code: o.credit_code,
            name_zh: o.name_zh,
            name_en: o.name_en,
            short_name_zh: o.short_name_zh,
            kind: o.kind,
            admin_level: o.admin_level,
            division_code: o.division_code,
            parent_id: o.parent_id,
            phone: o.phone,
            version: o.version,
        }
    }
}

/// Paging and scope of the organisation list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrgQuery {
    /// Only this organisation and those below it.
    pub within: Option<i64>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Rows to skip (negative counts as 0).
    pub offset: Option<i64>,
}

/// List organisations in tree order.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "kernel", params(OrgQuery),
    responses((status = 200, body = Vec<OrgDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(state): State<AppState>,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<OrgDto>>, AppError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::field("limit", "out_of_range"));
    }
    let offset = q.offset.unwrap_or(0).max(0);
    let within = match q.within {
        Some(id) => Some(orgs::get(state.db(), id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let list = orgs::list(state.db(), within.as_ref(), limit, offset).await?;
    Ok(Json(list.into_iter().map(OrgDto::from).collect()))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "kernel", params(("id" = i64, Path, description = "organisation id")),
    responses((status = 200, body = OrgDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<OrgDto>, AppError> {
    Ok(Json(
        orgs::get(state.db(), id)
            .await?
            .ok_or(AppError::NotFound)?
            .into(),
    ))
}

/// The departments with a window at a 政务服务中心 (进驻部门), whose items
/// the centre's window clerks accept.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/windows", tag = "kernel", params(("id" = i64, Path, description = "organisation id (a service centre)")),
    responses((status = 200, body = Vec<OrgDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_windows(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<OrgDto>>, AppError> {
    orgs::get(state.db(), id).await?.ok_or(AppError::NotFound)?;
    let list = orgs::windows(state.db(), id).await?;
    Ok(Json(list.into_iter().map(OrgDto::from).collect()))
}

/// The departments to have a window at a service centre.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WindowsDto {
    /// Organisation ids (departments or governments); the list replaces
    /// the earlier one.
    #[schema(schema_with = organisation_ids)]
    pub departments: Vec<i64>,
}

/// The schema of [`WindowsDto::departments`]: up to 500 ids, each at least
/// 1 (ids are positive; the attributes of a list cannot say so of its
/// items).
fn organisation_ids() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1)),
        )
        .max_items(Some(500))
        .description(Some(
            "Organisation ids (departments or governments); the list replaces\nthe earlier one.",
        ))
        .build()
}

/// Sets the departments with a window at a 政务服务中心 (system admin above
/// the centre); the centre's window clerks accept their items from then on.
#[utoipa::path(put, path = "/api/v1/organizations/{id}/windows", tag = "kernel", request_body = WindowsDto,
    params(("id" = i64, Path, description = "organisation id (a service centre)")),
    responses((status = 200, body = Vec<OrgDto>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_windows(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(body): Json<WindowsDto>,
) -> Result<Json<Vec<OrgDto>>, AppError> {
    let s = ctx.require_session()?;
    if body.departments.len() > 500 {
        return Err(AppError::field("departments", "too_many"));
    }
    match orgs::set_windows(
        state.db(),
        &s.principal.paths_of(Role::SystemAdmin),
        id,
        &body.departments,
        None,
    )
    .await
    {
        Ok(list) => Ok(Json(list.into_iter().map(OrgDto::from).collect())),
        Err(e) => Err(org_error(e)),
    }
}

/// What an organisation's refusal answers, where no field is to blame for
/// a missing organisation.
pub(crate) fn org_error(e: OrgError) -> AppError {
    match e {
        OrgError::Invalid(problems) => AppError::Validation(problems),
        OrgError::Forbidden => AppError::Forbidden,
        OrgError::NotFound(_) => AppError::NotFound,
        OrgError::DuplicateCreditCode => AppError::Conflict("credit_code_taken"),
        OrgError::Stale => AppError::Conflict("changed"),
        OrgError::Db(e) => e.into(),
    }
}

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgDto {
    /// 统一社会信用代码 (checked per GB 32100, check character included).
    #[schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")]
    pub credit_code: String,
    /// Chinese name.
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name_en: String,
    /// Short Chinese name.
    pub short_name_zh: Option<String>,
    /// `government`, `department`, `service_center`, `service_point`.
    #[schema(pattern = "^(government|department|service_center|service_point)$")]
    pub kind: String,
    /// 行使层级 1–7.
    #[schema(minimum = 1, maximum = 7)]
    pub admin_level: i64,
    /// Division code (6, 9 or 12 digits).
    #[schema(pattern = "^(0[1-9]|[1-9][0-9])[0-9]{4}([0-9]{3}([0-9]{3})?)?$")]
    pub division_code: String,
    /// Parent organisation (required: new bodies sit inside the admin's scope).
    #[schema(minimum = 1)]
    pub parent_id: i64,
    /// Public phone.
    pub phone: Option<String>,
}

/// Create an organisation below one the caller administers (system admin).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "kernel", request_body = NewOrgDto,
    responses((status = 201, body = OrgDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(n): Json<NewOrgDto>,
) -> Result<(StatusCode, Json<OrgDto>), AppError> {
    let s = ctx.require_session()?;
    let new = NewOrg {
        credit_code: n.credit_code,
        name_zh: n.name_zh,
        name_en: n.name_en,
        short_name_zh: n.short_name_zh,
        kind: n.kind,
        admin_level: n.admin_level,
        division_code: n.division_code,
        parent_id: Some(n.parent_id),
        phone: n.phone,
        address_zh: None,
    };
    match orgs::create(state.db(), &s.principal.paths_of(Role::SystemAdmin), new).await {
        Ok(o) => Ok((StatusCode::CREATED, Json(o.into()))),
        Err(OrgError::Invalid(problems)) => Err(AppError::Validation(problems)),
        Err(OrgError::DuplicateCreditCode) => Err(AppError::Conflict("credit_code_taken")),
        Err(OrgError::Forbidden) => Err(AppError::Forbidden),
        Err(OrgError::Stale) => Err(AppError::Conflict("changed")),
        Err(OrgError::NotFound(what)) => Err(AppError::field(
            if what == "division" {
                "division_code"
            } else {
                "parent_id"
            },
            "not_found",
        )),
        Err(OrgError::Db(e)) => Err(e.into()),
    }
}

/// A value to check.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// The number as typed.
    pub value: String,
}

/// The outcome of a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the value is valid.
    pub valid: bool,
    /// The normalised value when valid.
    pub normalized: Option<String>,
    /// Why not, as a stable code (`id_card.check`, `credit_code.length`, …).
    pub code: Option<String>,
    /// Why not, in Chinese.
    pub message: Option<String>,
    /// Region code embedded in the value, when valid.
    pub region_code: Option<String>,
    /// ID numbers: date of birth (YYYY-MM-DD), when valid.
    pub birth_date: Option<String>,
}

/// Check a 公民身份号码 (GB 11643): length, region, date and check character.
/// The number is sent in the body, not the URL, so it stays out of access logs.
#[utoipa::path(post, path = "/api/v1/checks/id-card", tag = "kernel", request_body = CheckRequest, responses((status = 200, body = CheckResult)))]
pub async fn check_id_card(Json(r): Json<CheckRequest>) -> Json<CheckResult> {
    Json(match IdCardNo::parse(&r.value) {
        Ok(id) => CheckResult {
            valid: true,
            normalized: Some(id.as_str().to_owned()),
            code: None,
            message: None,
            region_code: Some(id.region_code().to_owned()),
            birth_date: Some(format!(
                "{:04}-{:02}-{:02}",
                id.birth_date().year(),
                u8::from(id.birth_date().month()),
                id.birth_date().day()
            )),
        },
        Err(e) => CheckResult {
            valid: false,
            normalized: None,
            code: Some(e.code().into()),
            message: Some(e.to_string()),
            region_code: None,
            birth_date: None,
        },
    })
}

/// Check a 统一社会信用代码 (GB 32100), including its embedded organisation code.
#[utoipa::path(post, path = "/api/v1/checks/credit-code", tag = "kernel", request_body = CheckRequest, responses((status = 200, body = CheckResult)))]
pub async fn check_credit_code(Json(r): Json<CheckRequest>) -> Json<CheckResult> {
    Json(match CreditCode::parse(&r.value) {
        Ok(c) => CheckResult {
            valid: true,
            normalized: Some(c.as_str().to_owned()),
            code: None,
            message: None,
            region_code: Some(c.region_code().to_owned()),
            birth_date: None,
        },
        Err(e) => CheckResult {
            valid: false,
            normalized: None,
            code: Some(e.code().into()),
            message: Some(e.to_string()),
            region_code: None,
            birth_date: None,
        },
    })
}

use crate::http::api::Problem;
use crate::http::json::Json;
