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
use tongban_core::identity::accounts::{self, AuthError, NewAccount, Principal};
use tongban_core::identity::password;
use tongban_core::kernel::orgs::{self, Org};
use tongban_core::platform::clock::now_ms;
use tongban_domain::identity::{AccountKind, Username, check_password_policy};
use tongban_domain::kernel::Role;

use crate::http::ctx::Ctx;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// Organisations an admin may manage staff in, with the best admin role
/// held over each.
async fn scope(state: &AppState, p: &Principal) -> Result<Vec<(Org, Role)>, AppError> {
    let mut out: Vec<(Org, Role)> = Vec::new();
    for g in p
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::SystemAdmin | Role::DeptAdmin))
    {
        let Some(root) = orgs::get(state.db(), g.org_id).await? else {
            continue;
        };
        for o in orgs::list(state.db(), Some(&root), 10_000, 0).await? {
            match out.iter_mut().find(|(x, _)| x.id == o.id) {
                Some(existing) if g.role == Role::SystemAdmin => existing.1 = Role::SystemAdmin,
                Some(_) => {}
                None => out.push((o, g.role)),
            }
        }
    }
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    Ok(out)
}

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
    let scope = scope(state, &s.principal).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let roots: Vec<&Org> = scope
        .iter()
        .map(|(o, _)| o)
        .filter(|o| {
            !scope
                .iter()
                .any(|(p, _)| p.id != o.id && orgs::is_within(o, p))
        })
        .collect();
    let mut rows = Vec::new();
    for root in &roots {
        for (a, org_name) in accounts::staff_within(state.db(), &root.path).await? {
            let grants = accounts::grants(state.db(), a.id).await?;
            let roles = grants
                .iter()
                .map(|g| {
                    format!(
                        "{}（{}）",
                        t.get(g.role.message_key()),
                        t.pick(&g.org_name_zh, &g.org_name_en)
                    )
                })
                .collect::<Vec<_>>()
                .join("、");
            rows.push(StaffRow {
                username: a.username,
                name: a.display_name,
                org: org_name,
                roles,
                status: t.get(&format!("status.{}", a.status)),
            });
        }
    }
    let best = if scope.iter().any(|(_, r)| *r == Role::SystemAdmin) {
        Role::SystemAdmin
    } else {
        Role::DeptAdmin
    };
    let role_choices = Role::ALL
        .iter()
        .filter(|r| best.may_grant(**r))
        .map(|r| (r.code().to_owned(), t.get(r.message_key())))
        .collect();
    let base_depth = roots
        .iter()
        .map(|o| o.path.matches('/').count())
        .min()
        .unwrap_or(0);
    let org_choices = scope
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
        scope_roots: roots
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
    let scope = scope(&state, &s.principal).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let err = |f: &str, m: String| FieldError {
        field: f.to_owned(),
        message: m,
    };
    let username = Username::parse(&form.username)
        .map_err(|e| errors.push(err("username", e.to_string())))
        .ok();
    if form.display_name.trim().is_empty() || form.display_name.chars().count() > 50 {
        errors.push(err("display_name", t.get("form.required")));
    }
    let target = form
        .org_id
        .parse::<i64>()
        .ok()
        .and_then(|id| scope.iter().find(|(o, _)| o.id == id));
    if target.is_none() {
        errors.push(err("org_id", t.get("admin.org_out_of_scope")));
    }
    let role = Role::from_code(&form.role);
    match (role, target) {
        (Some(r), Some((_, held))) if held.may_grant(r) => {}
        (None, _) => errors.push(err("role", t.get("form.required"))),
        (Some(_), Some(_)) => errors.push(err("role", t.get("admin.role_not_allowed"))),
        (Some(_), None) => {}
    }
    if let Err(p) = check_password_policy(&form.password, &form.username) {
        errors.push(err("password", super::account::policy_message(&t, &p)));
    }
    if let (true, Some(username), Some(role), Some((org, _))) =
        (errors.is_empty(), username.clone(), role, target)
    {
        let hash = password::hash(form.password.clone())
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let new = NewAccount {
            username: username.clone(),
            kind: AccountKind::Staff,
            display_name: form.display_name.trim().to_owned(),
            password_hash: hash,
            org_id: Some(org.id),
            credit_code: None,
            created_by: Some(s.principal.account.id),
        };
        let (org_id, by) = (org.id, s.principal.account.id);
        let created = state
            .db()
            .write(move |c| {
                Box::pin(async move {
                    let now = now_ms();
                    let id = accounts::insert(c, &new, now).await?;
                    accounts::insert_grant(c, id, role, org_id, Some(by), now).await?;
                    Ok::<_, AuthError>(id)
                })
            })
            .await;
        match created {
            Ok(_) => {
                let to = format!(
                    "/admin/staff?created={}",
                    crate::http::ctx::urlencode(username.as_str())
                );
                return Ok(Redirect::to(&to).into_response());
            }
            Err(AuthError::UsernameTaken) => {
                errors.push(err("username", t.get("admin.username_taken")))
            }
            Err(AuthError::Db(e)) => return Err(e.into()),
            Err(e) => return Err(AppError::Internal(e.into())),
        }
    }
    let mut shown = form;
    shown.password.clear();
    let mut res = render(&build(&state, &ctx, shown, errors, String::new()).await?)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}
