//! Organisation pages: the list of departments and one organisation.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tongban_core::kernel::{divisions, orgs};
use tongban_domain::kernel::{AdminLevel, DivisionCode};

use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::kernel::home::OrgLink;
use crate::{AppError, AppState, ctx::Ctx};

/// An organisation in the list, indented by depth.
#[derive(Debug)]
pub struct OrgRow {
    /// link
    pub link: OrgLink,
    /// depth below the root (for indentation)
    pub depth: usize,
}

/// `/organizations` view.
#[derive(Template)]
#[template(path = "kernel/orgs.html")]
pub struct OrgsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the tree, flattened in path order
    pub rows: Vec<OrgRow>,
}

/// `GET /organizations`.
pub async fn orgs_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let t = ctx.tr();
    let all = orgs::list(state.db(), None, 10_000, 0).await?;
    let rows = all
        .iter()
        .map(|o| OrgRow {
            link: OrgLink::new(&t, o),
            depth: o.path.matches('/').count().saturating_sub(2),
        })
        .collect();
    render(&OrgsView {
        t,
        nav: Nav::from_ctx(&ctx),
        rows,
    })
}

/// `/organizations/{id}` view.
#[derive(Template)]
#[template(path = "kernel/org.html")]
pub struct OrgView {
    /// translator
    pub t: Tr,
    /// organisation id
    pub id: i64,
    /// navigation
    pub nav: Nav,
    /// display name
    pub name: String,
    /// the other-language name
    pub alt_name: String,
    /// credit code
    pub credit_code: String,
    /// level label
    pub level: String,
    /// kind label
    pub kind: String,
    /// division code
    pub division_code: String,
    /// division name
    pub division_name: String,
    /// parent
    pub parent: Option<OrgLink>,
    /// children
    pub children: Vec<OrgLink>,
    /// phone
    pub phone: String,
    /// at a service centre: the departments with a window there (进驻部门)
    pub windows: Vec<OrgLink>,
}

/// `GET /organizations/{id}`.
pub async fn org_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let db = state.db();
    let org = orgs::get(db, id).await?.ok_or(AppError::NotFound)?;
    let link = |o: &orgs::Org| OrgLink::new(&t, o);
    let parent = match org.parent_id {
        Some(p) => orgs::get(db, p).await?.as_ref().map(link),
        None => None,
    };
    let children = orgs::children(db, org.id).await?.iter().map(link).collect();
    let windows = orgs::windows(db, org.id).await?.iter().map(link).collect();
    let division_name = match DivisionCode::parse(&org.division_code) {
        Ok(c) => divisions::get(db, &c)
            .await?
            .map(|d| t.pick(&d.name_zh, &d.name_en).to_owned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let level = AdminLevel::from_code(org.admin_level)
        .map(|l| t.get(l.message_key()))
        .unwrap_or_default();
    render(&OrgView {
        t,
        id: org.id,
        nav: Nav::from_ctx(&ctx),
        name: t.pick(&org.name_zh, &org.name_en).to_owned(),
        alt_name: if t.lang == crate::http::i18n::Lang::En {
            org.name_zh.clone()
        } else {
            org.name_en.clone()
        },
        credit_code: org.credit_code.clone(),
        level,
        kind: t.get(&format!("orgkind.{}", org.kind)),
        division_code: org.division_code.clone(),
        division_name,
        parent,
        children,
        phone: org.phone.clone().unwrap_or_default(),
        windows,
    })
}
