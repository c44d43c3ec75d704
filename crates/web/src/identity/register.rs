//! 网上注册: a person opens an account with name, ID number and a mobile
//! number confirmed by a code (real-name level 1; a window raises it to 4).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::realname::{self, OnlineForm, RealNameError};

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render_form};
use crate::{AppError, AppState};

/// `/register` view: the form, or the code step.
#[derive(Template)]
#[template(path = "identity/register.html")]
pub struct RegisterView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the code step is shown for this username
    pub confirming: String,
    /// the form as typed
    pub form: RegisterForm,
    /// errors
    pub errors: Vec<FieldError>,
}

/// The registration form (both steps).
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    /// name
    #[serde(default)]
    pub name: String,
    /// ID number
    #[serde(default)]
    pub id_number: String,
    /// phone
    #[serde(default)]
    pub phone: String,
    /// password
    #[serde(default)]
    pub password: String,
    /// password again
    #[serde(default)]
    pub confirm: String,
    /// agreement accepted
    #[serde(default)]
    pub agree: Option<String>,
    /// code (step 2)
    #[serde(default)]
    pub code: String,
    /// username (step 2)
    #[serde(default)]
    pub username: String,
}

fn page(
    ctx: &Ctx,
    form: RegisterForm,
    confirming: String,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let ok = errors.is_empty();
    render_form(
        &RegisterView {
            t: ctx.tr(),
            nav: Nav::from_ctx(ctx),
            confirming,
            form: RegisterForm {
                password: String::new(),
                confirm: String::new(),
                ..form
            },
            errors,
        },
        ok,
    )
}

fn problems(e: RealNameError, t: &Tr) -> Result<Vec<FieldError>, AppError> {
    match e {
        RealNameError::Invalid(p) => Ok(localize(t, p)),
        RealNameError::Exists { .. } => Ok(vec![FieldError::worded(
            "id_number",
            "invalid",
            t.get("register.exists"),
        )]),
        RealNameError::NotFound => Ok(vec![FieldError::worded(
            "code",
            "invalid",
            t.get("register.expired"),
        )]),
        RealNameError::Db(e) => Err(e.into()),
        other => Err(AppError::Internal(other.into())),
    }
}

/// `GET /register`.
pub async fn register_get(ctx: Ctx) -> Result<Response, AppError> {
    page(&ctx, RegisterForm::default(), String::new(), vec![])
}

/// `POST /register`: checks the form and sends a code to the phone.
pub async fn register_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let form = OnlineForm {
        name: f.name.clone(),
        id_number: f.id_number.clone(),
        phone: f.phone.clone(),
        password: f.password.clone(),
        confirm: f.confirm.clone(),
        agreed: f.agree.is_some(),
        address: ctx.ip.clone().unwrap_or_else(|| "unknown".into()),
    };
    match realname::register_online(state.db(), state.data_key(), &form).await {
        Ok(username) => page(&ctx, f, username, vec![]),
        Err(RealNameError::TooMany { until }) => {
            let message = t.fmt(
                "reset.too_many",
                &[("until", &tongban_core::platform::clock::format_cst(until))],
            );
            let errors = vec![FieldError::worded("phone", "too_many", message)];
            let mut res = page(&ctx, f, String::new(), errors)?;
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(res)
        }
        Err(e) => {
            let errors = problems(e, &t)?;
            page(&ctx, f, String::new(), errors)
        }
    }
}

/// `POST /register/confirm`: the code opens the account and signs in.
pub async fn confirm_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    match realname::confirm_online(state.db(), &f.username, &f.code).await {
        Ok(account_id) => match super::auth::start_session(&state, &ctx, account_id).await {
            Ok(token) => Ok((
                [(
                    header::SET_COOKIE,
                    super::auth::session_cookie(&state, &token),
                )],
                Redirect::to("/account?done=registered"),
            )
                .into_response()),
            Err(e) => {
                let (status, e) = super::auth::refusal(&ctx, &e);
                let mut res = page(&ctx, RegisterForm::default(), String::new(), vec![e])?;
                *res.status_mut() = status;
                Ok(res)
            }
        },
        Err(e) => {
            let errors = problems(e, &t)?;
            let username = f.username.clone();
            page(&ctx, f, username, errors)
        }
    }
}
