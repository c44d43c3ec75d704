//! The OpenAPI document of the JSON API under `/api/v1` (served at
//! `/api/openapi.json`, readable at `/api/docs`), gathering each
//! capability's operations, and the RFC 9457 problem they answer errors
//! with. The handlers live with their capability and call the same core
//! functions as the pages.

use utoipa::OpenApi;

use crate::catalog::api as catalog;
use crate::identity::api as identity;
use crate::kernel::api as kernel;

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "tongban API", version = "1", description = "通办 一网通办政务服务平台 JSON API. Errors are RFC 9457 problem details."),
    paths(
        kernel::list_divisions,
        kernel::get_division,
        kernel::list_organizations,
        kernel::get_organization,
        kernel::create_organization,
        kernel::check_id_card,
        kernel::check_credit_code,
        identity::get_me,
        catalog::list_items,
        catalog::get_item,
        catalog::get_standardisation,
        catalog::export_catalog,
        catalog::import_catalog,
        identity::create_session,
        identity::delete_session,
    ),
    components(schemas(
        kernel::DivisionDto,
        kernel::DivisionDetail,
        kernel::OrgDto,
        kernel::NewOrgDto,
        kernel::CheckRequest,
        kernel::CheckResult,
        identity::MeDto,
        catalog::ItemSummaryDto,
        catalog::ItemPage,
        catalog::ItemDto,
        catalog::ImportResult,
        identity::GrantDto,
        identity::SessionRequest,
        crate::http::error::FieldError,
        Problem,
    )),
    tags((name = "kernel", description = "行政区划与机构 divisions and organisations"), (name = "identity", description = "账号与会话 accounts and sessions"), (name = "catalog", description = "政务服务事项 service items"))
)]
pub struct ApiDoc;

/// An RFC 9457 problem.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct Problem {
    /// URI of the problem type.
    pub r#type: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation in the request's language.
    pub detail: String,
    /// Machine code: `not_found`, `validation`, `conflict`, …
    pub code: String,
    /// Request id to quote to support.
    pub request_id: String,
    /// Why, for a `conflict`: `changed` (a stale revision: reload and
    /// retry), `task_code_taken`, `credit_code_taken`, `wrong_state`,
    /// `draft_exists`, `same_reviewer`, `reviewer_made_submitter`.
    pub reason: Option<String>,
    /// Field errors, for `validation`.
    pub errors: Option<Vec<crate::http::error::FieldError>>,
}
