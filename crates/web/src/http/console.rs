//! The admin console's front page: what each staff member may open.

use askama::Template;
use axum::response::Response;
use tongban_domain::kernel::Role;

use crate::AppError;
use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};

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
}

/// `GET /admin`.
pub async fn admin_index_get(ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let p = &s.principal;
    let staff = p.has_role(Role::SystemAdmin) || p.has_role(Role::DeptAdmin);
    let catalog = staff || p.has_role(Role::CatalogEditor);
    let standards = catalog || p.has_role(Role::Supervisor);
    if !standards {
        return Err(AppError::Forbidden);
    }
    render(&AdminIndexView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        staff,
        catalog,
        standards,
        clients: p.has_role(Role::SystemAdmin),
    })
}
