//! The life-event themes, kept by system administrators.

use super::*;

/// `/admin/catalog/themes` view.
#[derive(Template)]
#[template(path = "catalog/admin_themes.html")]
pub struct ThemesView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the themes
    pub themes: Vec<catalog::Theme>,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
}

/// The theme form.
#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    sort_order: String,
}

/// `GET /admin/catalog/themes`.
pub async fn themes_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    require_system_admin(&ctx)?;
    let themes = catalog::themes(state.db()).await?;
    render(&ThemesView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        themes,
        errors: vec![],
        notice: String::new(),
    })
}

/// `POST /admin/catalog/themes`: add a theme or change one.
pub async fn themes_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ThemeForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = require_system_admin(&ctx)?.clone();
    let sort: i64 = f.sort_order.trim().parse().unwrap_or(0);
    let result = catalog::save_theme(
        state.db(),
        &p,
        &f.code,
        &f.audience,
        &f.name_zh,
        &f.name_en,
        sort,
    )
    .await;
    let (errors, notice, status) = match result {
        Ok(()) => {
            state.catalog_touched().await;
            (vec![], t.get("themes.saved"), StatusCode::OK)
        }
        Err(CatalogError::Invalid(p)) => (
            localize(&t, p),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let themes = catalog::themes(state.db()).await?;
    let mut res = render(&ThemesView {
        t,
        nav: Nav::from_ctx(&ctx),
        themes,
        errors,
        notice,
    })?;
    *res.status_mut() = status;
    Ok(res)
}
