//! Sign-in and sign-out with server-side sessions.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::mfa;
use tongban_core::identity::sessions;
use tongban_core::identity::signin::{self, SignInError};
use tongban_core::platform::clock::format_cst;

use crate::http::ctx::{Ctx, SESSION_COOKIE};
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, safe_back};
use crate::{AppError, AppState};

/// `/login` view.
#[derive(Template)]
#[template(path = "identity/login.html")]
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
        (Some("reset"), _) => t.get("login.reset_done"),
        (_, true) => t.get("login.required"),
        _ => String::new(),
    };
    let next = safe_back(q.next.as_deref());
    let csp = crate::identity::oidc::sign_in_csp(&state, &next).await;
    let mut res = crate::http::page::render(&LoginView {
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

/// The outcome of a correct password.
#[derive(Debug)]
pub enum SignedIn {
    /// Signed in: the session token.
    Session(String),
    /// A second factor is owed by this account.
    SecondFactor(i64),
}

fn field(f: &str, m: String) -> FieldError {
    FieldError::worded(f, "invalid", m)
}

/// Starts a session for an account that has passed every factor.
pub async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    account_id: i64,
) -> Result<String, SignInError> {
    Ok(sessions::create(
        state.db(),
        account_id,
        ctx.user_agent.clone(),
        ctx.ip.clone(),
        state.lifetimes(),
    )
    .await?)
}

/// The sign-in origin of a request: its address and the address limit.
fn origin<'a>(state: &AppState, ctx: &'a Ctx) -> signin::Origin<'a> {
    signin::Origin {
        address: ctx.ip.as_deref(),
        limit: state.address_limit(),
    }
}

/// What to show for a refused sign-in step: the status and the message on
/// its field (shared with the API twin).
pub fn refusal(ctx: &Ctx, e: &SignInError) -> (StatusCode, FieldError) {
    let t = ctx.tr();
    let until = |key: &str, until: i64| t.fmt(key, &[("until", &format_cst(until))]);
    match e {
        SignInError::Missing => (
            StatusCode::UNPROCESSABLE_ENTITY,
            field("username", t.get("login.missing")),
        ),
        SignInError::AddressBlocked { until: u } => (
            StatusCode::TOO_MANY_REQUESTS,
            field("username", until("login.address_blocked", *u)),
        ),
        SignInError::Locked { until: u } => (
            StatusCode::TOO_MANY_REQUESTS,
            field("username", until("login.locked", *u)),
        ),
        SignInError::BadCredentials => (
            StatusCode::UNAUTHORIZED,
            field("password", t.get("login.bad_credentials")),
        ),
        SignInError::BadCode => (
            StatusCode::UNAUTHORIZED,
            field("totp", t.get("totp.bad_code")),
        ),
        SignInError::Expired => (
            StatusCode::UNAUTHORIZED,
            field("totp", t.get("totp.expired")),
        ),
        SignInError::Disabled => (
            StatusCode::FORBIDDEN,
            field("username", t.get("login.disabled")),
        ),
        SignInError::Pending => (
            StatusCode::FORBIDDEN,
            field("username", t.get("login.pending")),
        ),
        SignInError::Busy => (
            StatusCode::TOO_MANY_REQUESTS,
            field("username", t.get("login.busy")),
        ),
        SignInError::Db(err) if err.is_unavailable() => {
            tracing::warn!(request.id = %ctx.request_id, error = %err, "sign-in: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                field("username", t.get("error.unavailable")),
            )
        }
        SignInError::Db(err) => {
            tracing::error!(request.id = %ctx.request_id, error = %err, "sign-in failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                field("username", t.get("error.internal")),
            )
        }
    }
}

/// Signs in with a password, and a TOTP code when one is given (the API);
/// the page and its API twin each say what a refusal means.
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let passed = signin::with_password(
        state.db(),
        state.data_key(),
        origin(state, ctx),
        username,
        password,
        code,
    )
    .await?;
    match passed {
        signin::Passed::SignedIn(id) => start_session(state, ctx, id).await.map(SignedIn::Session),
        signin::Passed::SecondFactorOwed(id) => Ok(SignedIn::SecondFactor(id)),
    }
}

/// `POST /login`.
pub async fn login_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_back(form.next.as_deref());
    match sign_in(&state, &ctx, &form.username, &form.password, None).await {
        Ok(SignedIn::Session(token)) => Ok((
            [(header::SET_COOKIE, session_cookie(&state, &token))],
            Redirect::to(&next),
        )
            .into_response()),
        Ok(SignedIn::SecondFactor(account_id)) => {
            let token = mfa::start(state.db(), account_id, &next).await?;
            Ok((
                [(header::SET_COOKIE, mfa_cookie(&state, &token))],
                Redirect::to("/login/totp"),
            )
                .into_response())
        }
        Err(e) => {
            let (status, err) = refusal(&ctx, &e);
            let t = ctx.tr();
            let view = LoginView {
                t,
                nav: Nav::from_ctx(&ctx),
                next,
                username: form.username.trim().to_owned(),
                errors: vec![err],
                notice: String::new(),
            };
            let csp = crate::identity::oidc::sign_in_csp(&state, &view.next).await;
            let mut res = crate::http::page::render(&view)?;
            *res.status_mut() = status;
            if let Some(csp) = csp {
                res.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            Ok(res)
        }
    }
}

/// The cookie that carries a pending second-factor challenge.
const MFA_COOKIE: &str = "tb_mfa";

fn mfa_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config().session.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    format!("{MFA_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Lax; Max-Age=300{secure}")
}

fn clear_mfa_cookie() -> String {
    format!("{MFA_COOKIE}=; Path=/login; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// `/login/totp` view: the code, and on first use the secret to enrol.
#[derive(Template)]
#[template(path = "identity/totp.html")]
pub struct TotpView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the secret to add to an authenticator app (first use only), in groups of four
    pub secret: Option<String>,
    /// the `otpauth://` URI of that secret
    pub otpauth: String,
    /// errors
    pub errors: Vec<FieldError>,
}

/// The code page. `csp` widens `form-action` when the sign-in continues an
/// authorization: the code form's answer then ends at the relying party.
fn totp_view(
    ctx: &Ctx,
    ch: &mfa::Challenge,
    errors: Vec<FieldError>,
    csp: Option<header::HeaderValue>,
) -> Result<Response, AppError> {
    let grouped = ch.pending_secret.as_ref().map(|s| {
        s.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let otpauth = ch
        .pending_secret
        .as_deref()
        .map(|s| tongban_domain::identity::totp::otpauth_uri("tongban", &ch.username, s))
        .unwrap_or_default();
    let mut res = crate::http::page::render(&TotpView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        secret: grouped,
        otpauth,
        errors,
    })?;
    if let Some(csp) = csp {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// `GET /login/totp`.
pub async fn totp_get(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let token = crate::http::ctx::cookie(&headers, MFA_COOKIE).unwrap_or_default();
    match mfa::challenge(state.db(), token).await? {
        Some(ch) => {
            let csp = crate::identity::oidc::sign_in_csp(&state, &ch.next).await;
            totp_view(&ctx, &ch, vec![], csp)
        }
        None => Ok(Redirect::to("/login").into_response()),
    }
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
}

/// `POST /login/totp`.
pub async fn totp_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Form(form): Form<TotpForm>,
) -> Result<Response, AppError> {
    let token = crate::http::ctx::cookie(&headers, MFA_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let Some(ch) = mfa::challenge(state.db(), &token).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let csp = crate::identity::oidc::sign_in_csp(&state, &ch.next).await;
    let refused = |status: StatusCode, message: String| -> Result<Response, AppError> {
        let mut res = totp_view(&ctx, &ch, vec![field("code", message)], csp.clone())?;
        *res.status_mut() = status;
        Ok(res)
    };
    match signin::with_code(
        state.db(),
        state.data_key(),
        origin(&state, &ctx),
        &token,
        &form.code,
    )
    .await
    {
        Ok((account_id, next)) => match start_session(&state, &ctx, account_id).await {
            Ok(session) => {
                // Staff with nowhere else to go land on their desk.
                let mut next = safe_back(Some(&next));
                if next == "/"
                    && tongban_core::identity::accounts::principal(state.db(), account_id)
                        .await?
                        .is_some_and(|p| p.has_role(tongban_domain::kernel::Role::WindowClerk))
                {
                    next = "/work/cases".to_owned();
                }
                let mut res = Redirect::to(&next).into_response();
                let h = res.headers_mut();
                for c in [session_cookie(&state, &session), clear_mfa_cookie()] {
                    if let Ok(v) = header::HeaderValue::from_str(&c) {
                        h.append(header::SET_COOKIE, v);
                    }
                }
                Ok(res)
            }
            Err(e) => {
                let (status, f) = refusal(&ctx, &e);
                refused(status, f.message)
            }
        },
        Err(SignInError::Expired) => Ok(Redirect::to("/login").into_response()),
        Err(SignInError::Db(e)) => Err(e.into()),
        Err(e) => {
            let (status, f) = refusal(&ctx, &e);
            refused(status, f.message)
        }
    }
}

/// `POST /logout`.
pub async fn logout_post(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(s) = &ctx.session {
        crate::identity::oidc::end_session(&state, &s.token_hash).await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/login?done=logout"),
    )
        .into_response())
}
