//! The standardisation report: where an implementation departs from the city's.

use super::*;

/// `/admin/catalog/standards` view.
#[derive(Template)]
#[template(path = "catalog/admin_standards.html")]
pub struct StandardsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the report
    pub reports: Vec<catalog::StandardReport>,
    /// whether all multi-place items are shown
    pub all: bool,
}

/// Query of the standardisation report.
#[derive(Debug, Deserialize)]
pub struct StandardsQuery {
    /// include items whose implementations agree
    #[serde(default)]
    pub all: bool,
}

/// Who may read the standardisation report: editors, admins, supervisors.
pub fn may_read_standards(ctx: &Ctx) -> Result<(), AppError> {
    let p = &ctx.require_session()?.principal;
    if [
        Role::CatalogEditor,
        Role::SystemAdmin,
        Role::DeptAdmin,
        Role::Supervisor,
    ]
    .iter()
    .any(|r| p.has_role(*r))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `GET /admin/catalog/standards`.
pub async fn standards_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StandardsQuery>,
) -> Result<Response, AppError> {
    may_read_standards(&ctx)?;
    let reports = catalog::standardisation(state.db(), !q.all).await?;
    render(&StandardsView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        reports,
        all: q.all,
    })
}
