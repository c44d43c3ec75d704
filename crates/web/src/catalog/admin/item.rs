//! One implementation: its versions, history, opening the next draft, withdrawal.

use super::*;

/// One event of an item's history.
#[derive(Debug)]
pub struct HistoryLine {
    /// when
    pub at: String,
    /// what, in words
    pub action: String,
    /// who
    pub who: String,
    /// the note given (a reason to send back, a withdrawal's reason)
    pub note: String,
}

/// `/admin/catalog/items/{id}` view.
#[derive(Template)]
#[template(path = "catalog/admin_item.html")]
pub struct ItemAdminView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// item id
    pub id: i64,
    /// name
    pub name: String,
    /// task code
    pub task_code: String,
    /// published?
    pub published: bool,
    /// versions (id, no, status label, updated)
    pub versions: Vec<(i64, i64, String, String)>,
    /// what happened to the item, newest first
    pub history: Vec<HistoryLine>,
    /// comparison (from no, to no, changes)
    pub compare: Option<(i64, i64, Vec<Change>)>,
    /// whether the person may edit
    pub can_edit: bool,
    /// whether the person may withdraw
    pub can_review: bool,
    /// notice
    pub notice: String,
}

/// Query of the item page.
#[derive(Debug, Deserialize)]
pub struct ItemQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /admin/catalog/items/{id}`.
pub async fn item_admin_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let item = catalog::item(state.db(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let org = orgs::get(state.db(), item.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalog::Rights {
        edit: can_edit,
        review: can_review,
    } = rights(p, &org.path);
    if !can_edit && !can_review {
        return Err(AppError::Forbidden);
    }
    let versions = catalog::versions(state.db(), id).await?;
    let compare = match (q.from, q.to) {
        (Some(a), Some(b)) => {
            let va = versions
                .iter()
                .find(|v| v.version_no == a)
                .ok_or_else(|| AppError::field("from", "not_found"))?;
            let vb = versions
                .iter()
                .find(|v| v.version_no == b)
                .ok_or_else(|| AppError::field("to", "not_found"))?;
            Some((a, b, diff(&va.guide, &vb.guide)))
        }
        _ => None,
    };
    let history = catalog::history(state.db(), id)
        .await?
        .into_iter()
        .map(|e| HistoryLine {
            at: format_cst(e.at),
            action: t.get(&format!("action.{}", e.action)),
            who: e.actor.unwrap_or_default(),
            note: e.note,
        })
        .collect();
    render(&ItemAdminView {
        t,
        nav: Nav::from_ctx(&ctx),
        id,
        name: versions
            .first()
            .map(|v| v.guide.name.clone())
            .unwrap_or_default(),
        task_code: item.task_code.clone(),
        published: item.published_version_id.is_some(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version_no,
                    status_label(&t, v.status),
                    format_cst(v.updated_at),
                )
            })
            .collect(),
        history,
        compare,
        can_edit,
        can_review,
        notice: String::new(),
    })
}

/// The item actions form.
#[derive(Debug, Deserialize)]
pub struct ItemAction {
    action: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/catalog/items/{id}`: open a new draft, or withdraw.
pub async fn item_admin_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ItemAction>,
) -> Result<Response, AppError> {
    let p = principal(&ctx)?.clone();
    match f.action.as_str() {
        "open_draft" => {
            let v = catalog::open_draft(state.db(), Actor::Person(&p), id).await?;
            Ok(
                Redirect::to(&format!("/admin/catalog/versions/{v}?done=draft_opened"))
                    .into_response(),
            )
        }
        "withdraw" => {
            catalog::withdraw(state.db(), Actor::Person(&p), id, &f.note).await?;
            state.catalog_touched().await;
            Ok(Redirect::to("/admin/catalog?done=withdrawn").into_response())
        }
        _ => Err(AppError::field("action", "invalid")),
    }
}
