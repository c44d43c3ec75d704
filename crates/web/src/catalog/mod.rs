//! Catalog (政务服务事项目录): the public item pages and guides, the
//! editors' console, attachments, and the catalog API.

pub mod admin;
pub mod api;
pub mod portal;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

/// The catalog's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/items", get(portal::items_get))
        .route("/items/{task_code}", get(portal::item_get))
        .route("/items/{task_code}/guide.pdf", get(portal::guide_pdf_get))
        .route("/files/{key}", get(admin::files::file_get))
        .route("/admin/catalog", get(admin::list::catalog_list_get))
        .route(
            "/admin/catalog/new",
            get(admin::new::catalog_new_get).post(admin::new::catalog_new_post),
        )
        .route(
            "/admin/catalog/versions/{id}",
            get(admin::version::version_get).post(admin::version::version_post),
        )
        .route(
            "/admin/catalog/versions/{id}/files",
            post(admin::files::version_file_post).layer(DefaultBodyLimit::max(
                tongban_core::platform::files::MAX_FILE + 64 * 1024,
            )),
        )
        .route(
            "/admin/catalog/items/{id}",
            get(admin::item::item_admin_get).post(admin::item::item_admin_post),
        )
        .route(
            "/admin/catalog/standards",
            get(admin::standards::standards_get),
        )
        .route(
            "/admin/catalog/code-lists",
            get(admin::code_lists::code_lists_get).post(admin::code_lists::code_lists_post),
        )
        .route(
            "/admin/catalog/themes",
            get(admin::themes::themes_get).post(admin::themes::themes_post),
        )
        .route(
            "/admin/catalog/transfer",
            get(admin::transfer::transfer_get)
                .post(admin::transfer::transfer_post)
                .layer(DefaultBodyLimit::max(api::IMPORT_LIMIT)),
        )
        .route("/api/v1/items", get(api::list_items))
        .route("/api/v1/items/{task_code}", get(api::get_item))
        .route("/api/v1/items/{task_code}/form", get(api::get_item_form))
        .route("/api/v1/catalog/export", get(api::export_catalog))
        .route(
            "/api/v1/catalog/import",
            post(api::import_catalog).layer(DefaultBodyLimit::max(api::IMPORT_LIMIT)),
        )
        .route(
            "/api/v1/catalog/standardisation",
            get(api::get_standardisation),
        )
}
