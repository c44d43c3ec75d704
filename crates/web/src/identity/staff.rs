//! Admin console: staff accounts and their roles, within the admin's scope.
//! A system admin manages everything below the organisation they were
//! granted at; a department admin manages their department's subtree and
//! may grant only working roles.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::staff::{self, StaffError};

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A staff row.
#[derive(Debug)]
pub struct StaffRow {
    /// username
    pub username: String,
    /// name
    pub name: String,
    /// home organisation
    pub org: String,
    /// role labels
    pub roles: String,
    /// status label
    pub status: String,
}

/// `/admin/staff` view.
#[derive(Template)]
#[template(path = "identity/staff.html")]
pub struct StaffView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// top organisations of the scope
    pub scope_roots: Vec<String>,
    /// staff in scope
    pub rows: Vec<StaffRow>,
    /// organisation choices (id, indented name)
    pub org_choices: Vec<(i64, String)>,
    /// role choices (code, label)
    pub role_choices: Vec<(String, String)>,
    /// the form as typed
    pub form: StaffForm,
    /// form errors
    pub errors: Vec<FieldError>,
    /// success notice
    pub notice: String,
}

/// The new-staff form.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct StaffForm {
    /// username
    #[serde(default)]
    pub username: String,
    /// name
    #[serde(default)]
    pub display_name: String,
    /// organisation id
    #[serde(default)]
    pub org_id: String,
    /// role code
    #[serde(default)]
    pub role: String,
    /// initial password
    #[serde(default)]
    pub password: String,
}

/// Query of `/admin/staff`.
#[derive(Debug, Deserialize)]
pub struct StaffQuery {
    created: Option<String>,
}

async fn build(
    state: &AppState,
    ctx: &Ctx,
    form: StaffForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<StaffView, AppError> {
    let t = ctx.tr();
    let s = ctx.require_session()?;
    let d = staff::directory(state.db(), &s.principal).await?;
    let rows = d
        .staff
        .into_iter()
        .map(|m| StaffRow {
            roles: m
                .grants
                .iter()
                .map(|g| {
                    format!(
                        "{}（{}）",
                        t.get(g.role.message_key()),
                        t.pick(&g.org_name_zh, &g.org_name_en)
                    )
                })
                .collect::<Vec<_>>()
                .join("、"),
            status: t.get(&format!("status.{}", m.account.status)),
            username: m.account.username,
            name: m.account.display_name,
            org: m.org_name,
        })
        .collect();
    let role_choices = d
        .grantable
        .iter()
        .map(|r| (r.code().to_owned(), t.get(r.message_key())))
        .collect();
    let base_depth = d
        .roots
        .iter()
        .map(|o| o.path.matches('/').count())
        .min()
        .unwrap_or(0);
    let org_choices = d
        .scope
        .iter()
        .map(|(o, _)| {
            (
                o.id,
                format!(
                    "{}{}",
                    "　".repeat(o.path.matches('/').count().saturating_sub(base_depth)),
                    t.pick(&o.name_zh, &o.name_en)
                ),
            )
        })
        .collect();
    Ok(StaffView {
        t,
        nav: Nav::from_ctx(ctx),
        scope_roots: d
            .roots
            .iter()
            .map(|o| t.pick(&o.name_zh, &o.name_en).to_owned())
            .collect(),
        rows,
        org_choices,
        role_choices,
        form,
        errors,
        notice,
    })
}

/// `GET /admin/staff`.
pub async fn staff_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StaffQuery>,
) -> Result<Response, AppError> {
    let notice = q
        .created
        .map(|u| ctx.tr().fmt("admin.created", &[("username", &u)]))
        .unwrap_or_default();
    render(&build(&state, &ctx, StaffForm::default(), vec![], notice).await?)
}

/// `POST /admin/staff`.
pub async fn staff_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<StaffForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let s = ctx.require_session()?;
    let new = staff::NewStaff {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        org_id: form.org_id.clone(),
        role: form.role.clone(),
        password: form.password.clone(),
    };
    let errors = match staff::create(state.db(), &s.principal, new).await {
        Ok(username) => {
            let to = format!(
                "/admin/staff?created={}",
                crate::http::ctx::urlencode(username.as_str())
            );
            return Ok(Redirect::to(&to).into_response());
        }
        Err(StaffError::Invalid(problems)) => localize(&t, problems),
        Err(e) => return Err(e.into()),
    };
    let mut shown = form;
    shown.password.clear();
    let mut res = render(&build(&state, &ctx, shown, errors, String::new()).await?)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}
