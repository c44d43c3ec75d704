//! Organisation pages: the list of departments and one organisation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::kernel::orgs::OrgError;
use tongban_core::kernel::{divisions, orgs};
use tongban_domain::kernel::{AdminLevel, DivisionCode, Role};

use crate::http::error::{FieldError, localize};
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
    /// the reader may change them (a system administrator above the centre)
    pub edit_windows: bool,
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
        edit_windows: org.kind == "service_center"
            && ctx.session.as_deref().is_some_and(|s| {
                s.principal
                    .paths_of(Role::SystemAdmin)
                    .iter()
                    .any(|p| org.path.starts_with(p))
            }),
    })
}

/// A department that may have a window at a centre, on the editing page.
#[derive(Debug)]
pub struct WindowRow {
    /// organisation id
    pub id: i64,
    /// name in the page's language
    pub name: String,
    /// depth below the root (for indentation)
    pub depth: usize,
    /// whether it has a window there (or was ticked)
    pub checked: bool,
}

/// `/admin/organizations/{id}/windows` view: the departments with a window
/// at a 政务服务中心 (进驻部门), for a system administrator to change.
#[derive(Template)]
#[template(path = "kernel/windows.html")]
pub struct WindowsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the centre's id
    pub id: i64,
    /// the centre's name
    pub name: String,
    /// every department and government, in tree order
    pub rows: Vec<WindowRow>,
    /// the list as read, sent back with the save (ids, comma-separated)
    pub seen: String,
    /// problems of the last save
    pub errors: Vec<FieldError>,
    /// the list was changed by someone else since it was read
    pub conflict: bool,
    /// saved
    pub saved: bool,
}

/// The centre, when the caller administers the platform above it.
async fn centre_for_admin(state: &AppState, ctx: &Ctx, id: &str) -> Result<orgs::Org, AppError> {
    let s = ctx.require_session()?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let org = orgs::get(state.db(), id)
        .await?
        .filter(|o| o.kind == "service_center")
        .ok_or(AppError::NotFound)?;
    if !s
        .principal
        .paths_of(Role::SystemAdmin)
        .iter()
        .any(|p| org.path.starts_with(p))
    {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

async fn windows_view(
    state: &AppState,
    ctx: &Ctx,
    centre: &orgs::Org,
    ticked: Option<&[i64]>,
    errors: Vec<FieldError>,
) -> Result<WindowsView, AppError> {
    let t = ctx.tr();
    let now: Vec<i64> = orgs::windows(state.db(), centre.id)
        .await?
        .iter()
        .map(|o| o.id)
        .collect();
    let mut seen = now.clone();
    seen.sort_unstable();
    let s = ctx.require_session()?;
    let rows =
        orgs::window_candidates(state.db(), &s.principal.paths_of(Role::SystemAdmin), centre)
            .await?
            .into_iter()
            .map(|o| WindowRow {
                id: o.id,
                name: t.pick(&o.name_zh, &o.name_en).to_owned(),
                depth: o.path.matches('/').count().saturating_sub(2),
                checked: ticked.map_or(now.contains(&o.id), |t| t.contains(&o.id)),
            })
            .collect();
    Ok(WindowsView {
        nav: Nav::from_ctx(ctx),
        id: centre.id,
        name: t.pick(&centre.name_zh, &centre.name_en).to_owned(),
        rows,
        seen: seen
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        errors,
        conflict: false,
        saved: false,
        t,
    })
}

/// `?done=1` after a save.
#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /admin/organizations/{id}/windows`.
pub async fn windows_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let centre = centre_for_admin(&state, &ctx, &id).await?;
    let mut v = windows_view(&state, &ctx, &centre, None, vec![]).await?;
    v.saved = q.done.is_some();
    render(&v)
}

/// `POST /admin/organizations/{id}/windows`: the ticked departments
/// (`department`, repeated) and the list as read (`seen`). A list changed
/// meanwhile is not overwritten: the page comes back (409) with the ticks
/// kept, and saving again overwrites deliberately.
pub async fn windows_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let centre = centre_for_admin(&state, &ctx, &id).await?;
    let s = ctx.require_session()?;
    let number = |v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| AppError::BadRequest(format!("not an organisation id: {v}")))
    };
    let mut ticked = Vec::new();
    let mut seen = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "department" => ticked.push(number(v)?),
            "seen" => {
                for part in v.split(',').filter(|p| !p.trim().is_empty()) {
                    seen.push(number(part)?);
                }
            }
            _ => {}
        }
    }
    let result = orgs::set_windows(
        state.db(),
        &s.principal.paths_of(Role::SystemAdmin),
        centre.id,
        &ticked,
        Some(&seen),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/admin/organizations/{}/windows?done=1",
            centre.id
        ))
        .into_response()),
        Err(OrgError::Stale) => {
            let mut v = windows_view(&state, &ctx, &centre, Some(&ticked), vec![]).await?;
            v.conflict = true;
            let mut res = render(&v)?;
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(OrgError::Invalid(problems)) => {
            let errors = localize(&ctx.tr(), problems);
            let v = windows_view(&state, &ctx, &centre, Some(&ticked), errors).await?;
            let mut res = render(&v)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(super::api::org_error(e)),
    }
}
