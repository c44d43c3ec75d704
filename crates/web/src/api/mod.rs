//! The JSON API under `/api/v1`, described by OpenAPI at
//! `/api/openapi.json` and readable at `/api/docs`. Handlers call the same
//! core functions as the pages.

pub mod catalog;
pub mod docs;
pub mod identity;
pub mod kernel;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::AppState;

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
        crate::error::FieldError,
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
    /// Field errors, for `validation`.
    pub errors: Option<Vec<crate::error::FieldError>>,
}

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
        .route("/api/v1/divisions", get(kernel::list_divisions))
        .route("/api/v1/divisions/{code}", get(kernel::get_division))
        .route(
            "/api/v1/organizations",
            get(kernel::list_organizations).post(kernel::create_organization),
        )
        .route("/api/v1/organizations/{id}", get(kernel::get_organization))
        .route("/api/v1/checks/id-card", post(kernel::check_id_card))
        .route(
            "/api/v1/checks/credit-code",
            post(kernel::check_credit_code),
        )
        .route("/api/v1/me", get(identity::get_me))
        .route("/api/v1/items", get(catalog::list_items))
        .route("/api/v1/catalog/export", get(catalog::export_catalog))
        .route(
            "/api/v1/catalog/import",
            post(catalog::import_catalog)
                .layer(axum::extract::DefaultBodyLimit::max(catalog::IMPORT_LIMIT)),
        )
        .route(
            "/api/v1/catalog/standardisation",
            get(catalog::get_standardisation),
        )
        .route("/api/v1/items/{task_code}", get(catalog::get_item))
        .route(
            "/api/v1/session",
            post(identity::create_session).delete(identity::delete_session),
        )
}
