//! The signed-in person's account page and password change.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::accounts::{self, AuthError};
use tongban_core::kernel::orgs;

use super::{Nav, render};
use crate::ctx::Ctx;
use crate::error::FieldError;
use crate::i18n::Tr;
use crate::{AppError, AppState};

/// A role line on the account page.
#[derive(Debug)]
pub struct RoleLine {
    /// role label
    pub role: String,
    /// organisation id
    pub org_id: i64,
    /// organisation name
    pub org: String,
}

/// `/account` view.
#[derive(Template)]
#[template(path = "account/account.html")]
pub struct AccountView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// username
    pub username: String,
    /// name
    pub display_name: String,
    /// kind label
    pub kind: String,
    /// home organisation
    pub org: Option<(i64, String)>,
    /// credit code
    pub credit_code: String,
    /// roles
    pub roles: Vec<RoleLine>,
    /// password-form errors
    pub errors: Vec<FieldError>,
    /// success notice
    pub notice: String,
}

/// Query of `/account`.
#[derive(Debug, Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<AccountView, AppError> {
    let t = ctx.tr();
    let s = ctx.require_session()?;
    let a = &s.principal.account;
    let org = match a.org_id {
        Some(id) => orgs::get(state.db(), id)
            .await?
            .map(|o| (o.id, t.pick(&o.name_zh, &o.name_en).to_owned())),
        None => None,
    };
    let roles = s
        .principal
        .grants
        .iter()
        .map(|g| RoleLine {
            role: t.get(g.role.message_key()),
            org_id: g.org_id,
            org: t.pick(&g.org_name_zh, &g.org_name_en).to_owned(),
        })
        .collect();
    Ok(AccountView {
        t,
        nav: Nav::from_ctx(ctx),
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        kind: t.get(&format!("account_kind.{}", a.kind)),
        org,
        credit_code: a.credit_code.clone().unwrap_or_default(),
        roles,
        errors,
        notice,
    })
}

/// `GET /account`.
pub async fn account_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AccountQuery>,
) -> Result<Response, AppError> {
    let notice = if q.done.as_deref() == Some("password") {
        ctx.tr().get("account.password_changed")
    } else {
        String::new()
    };
    render(&view(&state, &ctx, vec![], notice).await?)
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`.
pub async fn password_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let s = ctx.require_session()?;
    let mut errors = Vec::new();
    let err = |field: &str, m: String| FieldError {
        field: field.to_owned(),
        message: m,
    };
    if f.current.is_empty() {
        errors.push(err("current", t.get("form.required")));
    }
    if f.new.is_empty() {
        errors.push(err("new", t.get("form.required")));
    } else if f.new != f.confirm {
        errors.push(err("confirm", t.get("account.password_mismatch")));
    }
    if errors.is_empty() {
        match accounts::change_password(
            state.db(),
            &s.principal.account,
            &f.current,
            &f.new,
            &s.token_hash,
        )
        .await
        {
            Ok(()) => return Ok(Redirect::to("/account?done=password").into_response()),
            Err(AuthError::BadCredentials) => {
                errors.push(err("current", t.get("account.current_wrong")))
            }
            Err(AuthError::Policy(p)) => errors.push(err("new", policy_message(&t, &p))),
            Err(AuthError::Conflict) => errors.push(err("current", t.get("error.conflict"))),
            Err(AuthError::Db(e)) => return Err(e.into()),
            Err(e) => return Err(AppError::Internal(e.into())),
        }
    }
    let mut res = render(&view(&state, &ctx, errors, String::new()).await?)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// The policy message in the request's language.
pub fn policy_message(t: &Tr, p: &tongban_domain::identity::PasswordPolicyError) -> String {
    match t.lang {
        crate::i18n::Lang::ZhCn => p.to_string(),
        crate::i18n::Lang::En => match p.code() {
            "password.too_short" => "The password needs at least 10 characters.".into(),
            "password.too_long" => "The password may not exceed 128 characters.".into(),
            "password.too_simple" => "Use at least two of letters, digits and symbols.".into(),
            _ => "The password may not contain the username.".into(),
        },
    }
}
