//! Sign-in and sign-out with server-side sessions.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::clock::format_cst;
use tongban_core::identity::accounts::{self, AuthError};
use tongban_core::identity::sessions;

use super::{Nav, safe_back};
use crate::ctx::{Ctx, SESSION_COOKIE};
use crate::error::FieldError;
use crate::i18n::Tr;
use crate::{AppError, AppState};

/// `/login` view.
#[derive(Template)]
#[template(path = "account/login.html")]
pub struct LoginView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// where to go after sign-in
    pub next: String,
    /// the username typed (kept on error)
    pub username: String,
    /// errors to list in the summary
    pub errors: Vec<FieldError>,
    /// a notice (after sign-out, or "please sign in")
    pub notice: String,
}

/// Query of `/login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

/// `GET /login`.
pub async fn login_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let notice = match (q.done.as_deref(), q.next.is_some()) {
        (Some("logout"), _) => t.get("logout.done"),
        (_, true) => t.get("login.required"),
        _ => String::new(),
    };
    let next = safe_back(q.next.as_deref());
    let csp = crate::oidc::sign_in_csp(&state, &next).await;
    let mut res = super::render(&LoginView {
        t,
        nav: Nav::from_ctx(&ctx),
        next,
        username: String::new(),
        errors: vec![],
        notice,
    })?;
    if let Some(csp) = csp {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// The cookie that carries a session token.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config().session.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The cookie that clears the session.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Signs in; the error says what to show (shared with the API twin).
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<String, (StatusCode, FieldError)> {
    let t = ctx.tr();
    let field = |f: &str, m: String| FieldError {
        field: f.to_owned(),
        message: m,
    };
    if username.trim().is_empty() || password.is_empty() {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            field("username", t.get("login.missing")),
        ));
    }
    match accounts::authenticate(state.db(), username, password).await {
        Ok(account) => sessions::create(
            state.db(),
            account.id,
            ctx.user_agent.clone(),
            ctx.ip.clone(),
            state.lifetimes(),
        )
        .await
        .map_err(|e| {
            tracing::error!(request.id = %ctx.request_id, error = %e, "session create failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                field("username", t.get("error.unavailable")),
            )
        }),
        Err(AuthError::Locked { until }) => Err((
            StatusCode::TOO_MANY_REQUESTS,
            field(
                "username",
                t.fmt("login.locked", &[("until", &format_cst(until))]),
            ),
        )),
        Err(AuthError::Disabled) => Err((
            StatusCode::FORBIDDEN,
            field("username", t.get("login.disabled")),
        )),
        Err(AuthError::Db(e)) => {
            tracing::error!(request.id = %ctx.request_id, error = %e, "sign-in failed");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                field("username", t.get("error.unavailable")),
            ))
        }
        Err(_) => Err((
            StatusCode::UNAUTHORIZED,
            field("password", t.get("login.bad_credentials")),
        )),
    }
}

/// `POST /login`.
pub async fn login_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_back(form.next.as_deref());
    match sign_in(&state, &ctx, &form.username, &form.password).await {
        Ok(token) => Ok((
            [(header::SET_COOKIE, session_cookie(&state, &token))],
            Redirect::to(&next),
        )
            .into_response()),
        Err((status, err)) => {
            let t = ctx.tr();
            let view = LoginView {
                t,
                nav: Nav::from_ctx(&ctx),
                next,
                username: form.username.trim().to_owned(),
                errors: vec![err],
                notice: String::new(),
            };
            let csp = crate::oidc::sign_in_csp(&state, &view.next).await;
            let mut res = super::render(&view)?;
            *res.status_mut() = status;
            if let Some(csp) = csp {
                res.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            Ok(res)
        }
    }
}

/// `POST /logout`.
pub async fn logout_post(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(s) = &ctx.session {
        crate::oidc::end_session(&state, &s.token_hash).await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/login?done=logout"),
    )
        .into_response())
}
