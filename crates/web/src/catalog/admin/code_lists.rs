//! The code lists the specification leaves open, kept by system administrators.

use super::*;

/// One list on the code-lists page.
pub struct CodeListView {
    /// stored name, also the form's value
    pub name: &'static str,
    /// heading
    pub title: String,
    /// whether codes may be added
    pub extensible: bool,
    /// (code, 中文, English)
    pub entries: Vec<(String, String, String)>,
}

/// One edit of a code list, as the history table shows it.
#[derive(Debug)]
pub struct CodeEditLine {
    /// the list's title
    pub list: String,
    /// the code
    pub code: String,
    /// its Chinese name
    pub name_zh: String,
    /// its English name
    pub name_en: String,
    /// who changed it
    pub who: String,
    /// when
    pub at: String,
}

/// `/admin/catalog/code-lists` view.
#[derive(Template)]
#[template(path = "catalog/admin_code_lists.html")]
pub struct CodeListsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the lists
    pub lists: Vec<CodeListView>,
    /// latest edits
    pub history: Vec<CodeEditLine>,
    /// the form as typed (after an error)
    pub form: CodeForm,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
}

/// The code-list form.
#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    /// list name
    #[serde(default)]
    pub list: String,
    /// code
    #[serde(default)]
    pub code: String,
    /// Chinese label
    #[serde(default)]
    pub name_zh: String,
    /// English label
    #[serde(default)]
    pub name_en: String,
    /// position
    #[serde(default)]
    pub sort_order: String,
}

fn list_title(t: &Tr, list: &str) -> String {
    match list {
        "material_form" => t.get("acat.m_form"),
        "material_source" => t.get("acat.m_source"),
        "online_depth" => t.get("guide.depth"),
        "notice_basis" => t.get("acat.notice_basis"),
        "declaration_basis" => t.get("acat.declaration_basis"),
        "theme" => t.get("themes.title"),
        other => other.to_owned(),
    }
}

async fn code_lists_view(
    state: &AppState,
    ctx: &Ctx,
    form: CodeForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let current = state.code_lists().await?;
    let lists = CodeList::ALL
        .into_iter()
        .map(|l| CodeListView {
            name: l.as_str(),
            title: list_title(&t, l.as_str()),
            extensible: l.extensible(),
            entries: current
                .entries(l)
                .iter()
                .map(|e| (e.code.clone(), e.zh.clone(), e.en.clone()))
                .collect(),
        })
        .collect();
    let history = catalog::code_list_history(state.db(), 20)
        .await?
        .into_iter()
        .map(|e| CodeEditLine {
            list: list_title(&t, &e.list),
            code: e.code,
            name_zh: e.name_zh,
            name_en: e.name_en,
            who: e.actor,
            at: format_cst(e.at),
        })
        .collect();
    let ok = errors.is_empty();
    render_form(
        &CodeListsView {
            t,
            nav: Nav::from_ctx(ctx),
            lists,
            history,
            form,
            errors,
            notice,
        },
        ok,
    )
}

/// `GET /admin/catalog/code-lists`: the catalog's configurable code lists.
pub async fn code_lists_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    require_system_admin(&ctx)?;
    code_lists_view(&state, &ctx, CodeForm::default(), vec![], String::new()).await
}

/// `POST /admin/catalog/code-lists`: add a code or reword one.
pub async fn code_lists_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = require_system_admin(&ctx)?.clone();
    let mut errors = Vec::new();
    let list = CodeList::parse(&f.list);
    if list.is_none() {
        errors.push(FieldError::worded(
            "list",
            "invalid",
            t.get("form.required"),
        ));
    }
    let sort_order = match f.sort_order.trim() {
        "" => Some(999),
        s => s.parse::<i64>().ok(),
    };
    if sort_order.is_none() {
        errors.push(FieldError::worded(
            "sort_order",
            "invalid",
            t.get("acat.not_number"),
        ));
    }
    if let (Some(list), Some(sort_order), true) = (list, sort_order, errors.is_empty()) {
        let edit = catalog::CodeEdit {
            list,
            code: f.code.clone(),
            name_zh: f.name_zh.clone(),
            name_en: f.name_en.clone(),
            sort_order,
        };
        match catalog::save_code(state.db(), &p, edit).await {
            Ok(()) => {
                state.catalog_touched().await;
                return code_lists_view(
                    &state,
                    &ctx,
                    CodeForm::default(),
                    vec![],
                    t.get("codes.saved"),
                )
                .await;
            }
            Err(CatalogError::Invalid(problems)) => {
                errors.extend(localize(&t, problems));
            }
            Err(e) => return Err(e.into()),
        }
    }
    code_lists_view(&state, &ctx, f, errors, String::new()).await
}
