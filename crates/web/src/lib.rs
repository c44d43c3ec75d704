//! tongban web: the portal, the workbench and admin pages, the JSON API
//! under `/api/v1`, the OpenID Connect provider, health, readiness and
//! metrics — thin handlers over the core use cases.
//!
//! One folder per capability (`kernel`, `identity`, `catalog`), each with
//! its pages, its API and its `routes()`; `http` is the shared shell
//! (state, request context, errors, words, layout, assets, operations).

pub mod applications;
pub mod catalog;
pub mod http;
pub mod identity;
pub mod kernel;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;

pub use http::error::AppError;
pub use http::state::AppState;

use http::{assets, ctx, ops, page};

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let mut csrf = CsrfLayer::new();
    if !state.config().public_url.is_empty() {
        // Behind a proxy that rewrites Host, the public origin must be trusted
        // explicitly (validated at start-up by `Config::validate`).
        match csrf
            .clone()
            .add_trusted_origin(state.config().public_url.trim_end_matches('/'))
        {
            Ok(c) => csrf = c,
            Err(e) => {
                tracing::warn!(error = ?e, "public_url is not a valid origin; ignored for CSRF")
            }
        }
    }
    let csrf = csrf.with_rejection_response(|_| ctx::csrf_rejection());

    Router::new()
        .merge(kernel::routes())
        .merge(identity::routes())
        .merge(catalog::routes())
        .merge(applications::routes())
        .route("/admin", get(http::console::admin_index_get))
        .route("/lang/{tag}", get(page::lang_get))
        .route("/assets/{file}", get(assets::asset_get))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_get))
        .route("/api/openapi.json", get(http::docs::openapi_json))
        .route("/api/docs", get(http::docs::docs_page))
        .layer(csrf)
        // Programs calling the provider carry no cookies and authenticate
        // themselves: outside the CSRF check, so that browser-based clients
        // on other origins can reach the token endpoint.
        .merge(identity::oidc::machine_routes())
        .route_layer(axum::middleware::from_fn(ctx::keep_matched_path))
        .fallback(page::not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn(ctx::deadline))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ctx::frame,
        ))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// Every capability's background jobs, for this node's worker: the
/// platform's housekeeping and message delivery (through the state's
/// senders), then identity's, the catalog's and applications'. The binary and the test
/// harness run the same set.
pub async fn jobs(
    state: &AppState,
) -> Result<tongban_core::platform::jobs::Registry, tongban_core::platform::db::DbError> {
    use tongban_core::platform::{jobs::Registry, notify, worker};
    let db = state.db();
    let mut r = Registry::default();
    worker::housekeeping(db, &mut r, &state.config().data_dir).await?;
    notify::store::jobs(&mut r, state.notifier());
    tongban_core::identity::jobs(db, &mut r).await?;
    tongban_core::catalog::jobs(db, &mut r).await?;
    tongban_core::applications::jobs(db, &mut r).await?;
    Ok(r)
}
