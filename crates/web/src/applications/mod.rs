//! Applications (申办): the portal's pages (start, question pages,
//! materials, check your answers, confirmation and receipt, 我的办件) and
//! the JSON API, on the same use cases.

pub mod api;
pub mod cases;
pub mod consents;
pub mod decide;
pub mod fields;
pub mod files;
pub mod pages;
pub mod track;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tongban_core::applications::ApplicationError;
use tongban_domain::FieldProblem;

use crate::{AppError, AppState};

/// Applications' routes.
pub fn routes() -> Router<AppState> {
    let upload_limit = (tongban_domain::catalog::MAX_MB as usize) * 1024 * 1024 + 64 * 1024;
    Router::new()
        .route(
            "/apply/{code}",
            get(pages::start_get).post(pages::start_post),
        )
        .route("/applications", get(pages::mine_get))
        .route("/applications/consents", get(consents::given_get))
        .route("/applications/consents/{id}", post(consents::given_post))
        .route(
            "/apply/consents/{id}",
            get(consents::asked_get).post(consents::asked_post),
        )
        .route(
            "/api/v1/consents",
            get(consents::list_consents).post(consents::ask_consent),
        )
        .route("/api/v1/consents/{id}/begin", post(consents::begin_consent))
        .route(
            "/api/v1/consents/{id}/answer",
            post(consents::answer_consent),
        )
        .route("/applications/{id}", get(pages::overview_get))
        .route("/applications/{id}/after/{step}", get(pages::after_get))
        .route(
            "/applications/{id}/pages/{n}",
            get(pages::page_get).post(pages::page_post),
        )
        .route(
            "/applications/{id}/materials",
            get(pages::materials_get)
                .post(pages::materials_post)
                .layer(DefaultBodyLimit::max(2 * upload_limit)),
        )
        .route(
            "/applications/{id}/materials/{code}",
            post(pages::material_post).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/applications/{id}/materials/{code}/reuse",
            post(pages::material_reuse_post),
        )
        .route(
            "/applications/{id}/files/{file_id}/delete",
            post(pages::file_delete_post),
        )
        .route(
            "/applications/{id}/files/{file_id}/remove",
            get(pages::file_remove_get),
        )
        .route("/applications/{id}/check", get(pages::check_get))
        .route("/applications/{id}/submit", post(pages::submit_post))
        .route(
            "/applications/{id}/authority/end",
            post(pages::authority_end_post),
        )
        .route(
            "/api/v1/applications/{id}/authority/end",
            post(api::end_authority),
        )
        .route("/applications/{id}/upgrade", post(pages::upgrade_post))
        .route(
            "/applications/{id}/receipt.pdf",
            get(pages::receipt_pdf_get),
        )
        .route("/applications/{id}/form.pdf", get(pages::form_pdf_get))
        .route(
            "/applications/{id}/documents/{doc}",
            get(cases::own_document_get),
        )
        .route("/track", get(track::track_get).post(track::track_post))
        .route("/work/cases", get(cases::queue_get))
        .route("/work/cases/{n}", get(cases::case_get))
        .route(
            "/work/cases/{n}/decide/{action}",
            get(decide::decide_get).post(decide::decide_post),
        )
        .route(
            "/work/cases/{n}/documents/{doc}",
            get(cases::case_document_get),
        )
        .route("/api/v1/cases/{n}", get(cases::get_case))
        .route("/api/v1/cases/{n}/actions", post(cases::post_action))
        .route(
            "/api/v1/cases/{n}/files/{file_id}",
            get(files::case_file_get),
        )
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
            get(files::application_file_get).delete(api::delete_material_file),
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
            ApplicationError::NotAllowed(allowed) => AppError::Validation(vec![
                FieldProblem::new("action", "case.not_allowed", "当前不能进行此操作")
                    .with("allowed", allowed.join(", ")),
            ]),
            ApplicationError::AuthorityEnded { since } => {
                let (zh, en) = since.map_or_else(Default::default, |at| {
                    let at = tongban_core::platform::clock::format_cst(at);
                    (format!("（自{at}起）"), format!(" (since {at})"))
                });
                AppError::Denied(vec![
                    FieldProblem::new(
                        "authority",
                        "application.authority_ended",
                        "申请人给您的办理授权已终止",
                    )
                    .with("since", zh)
                    .with("since_en", en),
                ])
            }
            ApplicationError::OwnCase => AppError::Denied(vec![FieldProblem::new(
                "case",
                "case.own",
                "不能办理本人申请或本人代办的办件",
            )]),
            ApplicationError::CalendarUnavailable { year } => AppError::UnavailableBecause(vec![
                FieldProblem::new(
                    "calendar",
                    "calendar.unavailable",
                    "法定工作日历缺少所需年份",
                )
                .with("year", year.to_string()),
            ]),
            ApplicationError::Db(e) => e.into(),
        }
    }
}
