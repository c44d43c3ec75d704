//! A new implementation: its basic code, organisation, division and first draft.

use super::*;

/// `/admin/catalog/new` view.
#[derive(Template)]
#[template(path = "catalog/admin_new.html")]
pub struct NewView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// organisations the editor may create items for (id, name)
    pub orgs: Vec<(i64, String)>,
    /// item types (code, label)
    pub types: Vec<(String, String)>,
    /// the form as typed
    pub form: NewForm,
    /// errors
    pub errors: Vec<FieldError>,
}

/// The new-item form.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct NewForm {
    /// basic code
    #[serde(default)]
    pub catalog_code: String,
    /// organisation id
    #[serde(default)]
    pub org_id: String,
    /// name
    #[serde(default)]
    pub name: String,
    /// type code
    #[serde(default)]
    pub item_type: String,
}

pub(super) async fn editable_orgs(
    state: &AppState,
    t: &Tr,
    p: &Principal,
) -> Result<Vec<(i64, String)>, AppError> {
    let mut out = Vec::new();
    for path in scope_paths(p, EDIT_ROLES) {
        let Some(root) = orgs::list(state.db(), None, 10_000, 0)
            .await?
            .into_iter()
            .find(|o| o.path == path)
        else {
            continue;
        };
        for o in orgs::list(state.db(), Some(&root), 10_000, 0).await? {
            out.push((o.id, t.pick(&o.name_zh, &o.name_en).to_owned()));
        }
    }
    Ok(out)
}

pub(super) fn types(t: &Tr) -> Vec<(String, String)> {
    rules::ITEM_TYPES
        .iter()
        .map(|(c, zh, en)| ((*c).to_owned(), format!("{c} {}", t.pick(zh, en))))
        .collect()
}

/// `GET /admin/catalog/new`.
pub async fn catalog_new_get(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let orgs = editable_orgs(&state, &t, p).await?;
    if orgs.is_empty() {
        return Err(AppError::Forbidden);
    }
    render(&NewView {
        t,
        nav: Nav::from_ctx(&ctx),
        orgs,
        types: types(&t),
        form: NewForm {
            item_type: "01".into(),
            ..NewForm::default()
        },
        errors: vec![],
    })
}

/// `POST /admin/catalog/new`.
pub async fn catalog_new_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let mut errors = Vec::new();
    if form.name.trim().is_empty() {
        errors.push(FieldError::worded(
            "name",
            "invalid",
            t.get("form.required"),
        ));
    }
    let org_id = form.org_id.parse::<i64>().ok();
    if org_id.is_none() {
        errors.push(FieldError::worded(
            "org_id",
            "invalid",
            t.get("form.required"),
        ));
    }
    if errors.is_empty()
        && let Some(org_id) = org_id
    {
        let guide = Guide {
            name: form.name.trim().into(),
            item_type: form.item_type.clone(),
            online_depth: 1,
            ..Guide::default()
        };
        let new = NewItem {
            catalog_code: form.catalog_code.clone(),
            task_code: String::new(),
            org_id,
            division_code: String::new(),
            guide,
        };
        match catalog::create_item(state.db(), Actor::Person(p), new).await {
            Ok((_, version)) => {
                return Ok(
                    Redirect::to(&format!("/admin/catalog/versions/{version}")).into_response()
                );
            }
            Err(CatalogError::Code(e)) => {
                errors.push(FieldError::worded("catalog_code", "invalid", e.to_string()))
            }
            Err(CatalogError::DuplicateTaskCode) => errors.push(FieldError::worded(
                "catalog_code",
                "invalid",
                CatalogError::DuplicateTaskCode.to_string(),
            )),
            Err(CatalogError::Forbidden | CatalogError::NotFound) => errors.push(
                FieldError::worded("org_id", "invalid", t.get("admin.org_out_of_scope")),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    let orgs = editable_orgs(&state, &t, p).await?;
    let mut res = render(&NewView {
        t,
        nav: Nav::from_ctx(&ctx),
        orgs,
        types: types(&t),
        form,
        errors,
    })?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}
