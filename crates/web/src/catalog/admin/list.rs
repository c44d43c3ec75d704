//! The catalog list: implementations in the editor's scope, with their latest version.

use super::*;

/// A row of the list.
#[derive(Debug)]
pub struct Row {
    /// item id
    pub item_id: i64,
    /// latest version id
    pub version_id: i64,
    /// name
    pub name: String,
    /// department
    pub org: String,
    /// "v3 · 待审核"
    pub version: String,
    /// status code, for styling
    pub status: String,
    /// updated
    pub updated: String,
}

/// `/admin/catalog` view.
#[derive(Template)]
#[template(path = "catalog/admin_list.html")]
pub struct ListView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// status filters (code, label, selected)
    pub filters: Vec<(String, String, bool)>,
    /// rows
    pub rows: Vec<Row>,
    /// total
    pub total: i64,
    /// notice
    pub notice: String,
    /// whether the person may create items
    pub can_create: bool,
}

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    done: Option<String>,
}

/// `GET /admin/catalog`.
pub async fn catalog_list_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(VersionStatus::from_code(s).ok_or_else(|| AppError::field("status", "invalid"))?)
        }
        None => None,
    };
    let mut roles = EDIT_ROLES.to_vec();
    roles.extend_from_slice(REVIEW_ROLES);
    let paths = scope_paths(p, &roles);
    let (list, total) = catalog::admin_list(state.db(), &paths, status, 200, 0).await?;
    let mut filters = vec![(String::new(), t.get("acat.filter_all"), status.is_none())];
    for s in [
        VersionStatus::Draft,
        VersionStatus::InReview,
        VersionStatus::Scheduled,
        VersionStatus::Published,
        VersionStatus::Withdrawn,
    ] {
        filters.push((s.code().to_owned(), status_label(&t, s), status == Some(s)));
    }
    let notice = match q.done.as_deref() {
        Some("withdrawn") => t.get("acat.withdrawn"),
        Some("published") => t.get("acat.published"),
        Some("rejected") => t.get("acat.rejected"),
        Some("submitted") => t.get("acat.submitted"),
        _ => String::new(),
    };
    render(&ListView {
        t,
        nav: Nav::from_ctx(&ctx),
        filters,
        rows: list
            .into_iter()
            .map(|r| Row {
                item_id: r.item_id,
                version_id: r.version_id,
                name: r.name,
                org: r.org_name,
                version: format!("v{} · {}", r.version_no, status_label(&t, r.version_status)),
                status: r.version_status.code().to_owned(),
                updated: format_cst(r.updated_at),
            })
            .collect(),
        total,
        notice,
        can_create: p.has_role(Role::CatalogEditor) || p.has_role(Role::SystemAdmin),
    })
}
