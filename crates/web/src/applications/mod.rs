//! Applications (申办): the JSON API of drafts today; the question pages,
//! materials, submission and acceptance build on the same use cases.

pub mod api;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use tongban_core::applications::ApplicationError;
use tongban_domain::FieldProblem;

use crate::{AppError, AppState};

/// Applications' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/applications",
            get(api::list_applications).post(api::create_application),
        )
        .route(
            "/api/v1/applications/{id}",
            get(api::get_application).patch(api::patch_application),
        )
        .route(
            "/api/v1/applications/{id}/upgrade",
            get(api::get_upgrade).post(api::post_upgrade),
        )
        // The material's own limit is checked as the file streams in.
        .route(
            "/api/v1/applications/{id}/materials/{code}/files",
            post(api::post_material_file).layer(DefaultBodyLimit::max(
                (tongban_domain::catalog::MAX_MB as usize) * 1024 * 1024 + 1,
            )),
        )
        .route(
            "/api/v1/applications/{id}/submit",
            post(api::submit_application),
        )
        .route(
            "/api/v1/applications/{id}/files/{file_id}",
            delete(api::delete_material_file),
        )
}

impl From<ApplicationError> for AppError {
    fn from(e: ApplicationError) -> Self {
        match e {
            ApplicationError::NotFound => AppError::NotFound,
            ApplicationError::NotOnline => {
                AppError::problem("item", "application.not_online", "该事项不能网上申请")
            }
            ApplicationError::LevelTooLow { need, have } => AppError::Validation(vec![
                FieldProblem::new("item", "application.level_too_low", "实名等级不足")
                    .with("need", need.to_string())
                    .with("have", have.to_string()),
            ]),
            ApplicationError::NotAuthorised => AppError::problem(
                "on_behalf_of",
                "application.not_authorised",
                "未获该企业授权办理此事项",
            ),
            ApplicationError::Invalid(p) => AppError::Validation(p),
            ApplicationError::Conflict => AppError::Conflict("changed"),
            ApplicationError::WrongState => AppError::Conflict("wrong_state"),
            ApplicationError::KeyReused => AppError::problem(
                "Idempotency-Key",
                "application.key_reused",
                "同一请求键已用于另一请求",
            ),
            ApplicationError::ItemWithdrawn => AppError::Conflict("item_withdrawn"),
            ApplicationError::Db(e) => e.into(),
        }
    }
}
