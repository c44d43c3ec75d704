//! The admin console's front page: what each staff member may open.

use askama::Template;
use axum::response::Response;
use tongban_domain::kernel::Role;

use axum::extract::State;

use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// `/admin` view.
#[derive(Template)]
#[template(path = "http/console.html")]
pub struct AdminIndexView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// may manage staff
    pub staff: bool,
    /// may manage the catalog
    pub catalog: bool,
    /// may read the standardisation report
    pub standards: bool,
    /// connected systems (system admins)
    pub clients: bool,
    /// the legal calendar (system admins)
    pub calendar: bool,
    /// years from this one whose holiday arrangement is not loaded
    pub years_to_load: Vec<i32>,
}

/// `GET /admin`.
pub async fn admin_index_get(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let p = &s.principal;
    let staff = p.has_role(Role::SystemAdmin) || p.has_role(Role::DeptAdmin);
    let catalog = staff || p.has_role(Role::CatalogEditor);
    let standards = catalog || p.has_role(Role::Supervisor);
    if !standards {
        return Err(AppError::Forbidden);
    }
    let admin = p.has_role(Role::SystemAdmin);
    let years_to_load = if admin {
        let today = tongban_core::platform::clock::today_cst();
        tongban_core::kernel::calendar::years_to_load(state.db(), today).await?
    } else {
        Vec::new()
    };
    render(&AdminIndexView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        staff,
        catalog,
        standards,
        clients: admin,
        calendar: admin,
        years_to_load,
    })
}
