//! Kernel (行政区划、机构与法定工作日历): the home page, divisions and
//! organisations, and the legal calendar, on pages and in the API.

pub mod api;
pub mod calendar;
pub mod divisions;
pub mod home;
pub mod orgs;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The kernel's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home_get))
        .route("/divisions/{code}", get(divisions::division_get))
        .route("/organizations", get(orgs::orgs_get))
        .route("/organizations/{id}", get(orgs::org_get))
        .route(
            "/admin/organizations/{id}/windows",
            get(orgs::windows_get).post(orgs::windows_post),
        )
        .route("/api/v1/divisions", get(api::list_divisions))
        .route("/api/v1/divisions/{code}", get(api::get_division))
        .route(
            "/api/v1/organizations",
            get(api::list_organizations).post(api::create_organization),
        )
        .route("/api/v1/organizations/{id}", get(api::get_organization))
        .route(
            "/api/v1/organizations/{id}/windows",
            get(api::get_windows).put(api::put_windows),
        )
        .route("/api/v1/checks/id-card", post(api::check_id_card))
        .route("/api/v1/checks/credit-code", post(api::check_credit_code))
        .route("/api/v1/calendar/deadline", get(calendar::deadline_get))
        .route("/api/v1/calendar/{year}", get(calendar::year_get))
        .route("/admin/calendar", get(calendar::calendar_get))
        .route(
            "/admin/calendar/{year}",
            get(calendar::year_edit_get).post(calendar::year_edit_post),
        )
}
