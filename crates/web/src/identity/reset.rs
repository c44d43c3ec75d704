//! 找回密码: a one-time code to the registered phone or email, then a new
//! password. The answers never reveal whether an account exists.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::otp::{self, OtpError};
use tongban_core::platform::clock::format_cst;
use tongban_core::platform::notify::{self, Channel};

use crate::http::ctx::Ctx;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState};

/// `/password/reset` view: step 1 (who, which channel) or step 2 (code and
/// new password).
#[derive(Template)]
#[template(path = "identity/reset.html")]
pub struct ResetView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// step 2 shown
    pub sent: bool,
    /// username as typed
    pub username: String,
    /// channel as chosen
    pub channel: String,
    /// notice
    pub notice: String,
    /// errors
    pub errors: Vec<FieldError>,
}

/// The form of both steps.
#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

fn page(
    ctx: &Ctx,
    f: &ResetForm,
    sent: bool,
    notice: String,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let ok = errors.is_empty();
    render_form(
        &ResetView {
            t: ctx.tr(),
            nav: Nav::from_ctx(ctx),
            sent,
            username: f.username.trim().to_owned(),
            channel: if f.channel == "email" {
                "email".into()
            } else {
                "sms".into()
            },
            notice,
            errors,
        },
        ok,
    )
}

fn err(field: &str, message: String) -> Vec<FieldError> {
    vec![FieldError::worded(field, "invalid", message)]
}

/// `GET /password/reset`.
pub async fn reset_get(ctx: Ctx) -> Result<Response, AppError> {
    page(&ctx, &ResetForm::default(), false, String::new(), vec![])
}

/// `POST /password/reset`: sends a code when the account has that contact.
pub async fn reset_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    if f.username.trim().is_empty() {
        return page(
            &ctx,
            &f,
            false,
            String::new(),
            err("username", t.get("form.required")),
        );
    }
    let channel = Channel::parse(&f.channel).unwrap_or(Channel::Sms);
    match otp::request_reset(state.db(), &f.username, channel).await {
        Ok(()) => {}
        Err(OtpError::TooMany { until }) => {
            let m = t.fmt("reset.too_many", &[("until", &format_cst(until))]);
            let mut res = page(&ctx, &f, false, String::new(), err("username", m))?;
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return Ok(res);
        }
        Err(OtpError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.into())),
    }
    // The same answer whether or not the account exists.
    page(
        &ctx,
        &f,
        true,
        t.get(&format!("reset.sent_{}", channel.as_str())),
        vec![],
    )
}

/// `POST /password/reset/verify`: the code and the new password.
pub async fn reset_verify_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    if f.new != f.confirm {
        return page(
            &ctx,
            &f,
            true,
            String::new(),
            err("confirm", t.get("account.password_mismatch")),
        );
    }
    // The policy first, so that a weak password does not spend the code.
    if let Err(p) = tongban_domain::identity::check_password_policy(&f.new, f.username.trim()) {
        let message = super::account::policy_message(&t, &p);
        return page(&ctx, &f, true, String::new(), err("new", message));
    }
    let channel = Channel::parse(&f.channel).unwrap_or(Channel::Sms);
    let Some((id, _)) = otp::contact(state.db(), &f.username, channel).await? else {
        return page(
            &ctx,
            &f,
            true,
            String::new(),
            err("code", t.get("reset.bad_code")),
        );
    };
    match otp::verify(state.db(), id, otp::Purpose::Reset, &f.code).await {
        Ok(_) => {}
        Err(OtpError::BadCode) => {
            return page(
                &ctx,
                &f,
                true,
                String::new(),
                err("code", t.get("reset.bad_code")),
            );
        }
        Err(e) => return Err(AppError::Internal(e.into())),
    }
    otp::reset_password(state.db(), id, f.username.trim(), &f.new)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Redirect::to("/login?done=reset").into_response())
}

/// `/dev/messages` view.
#[derive(Template)]
#[template(path = "identity/dev_messages.html")]
pub struct DevMessagesView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the messages, newest first
    pub messages: Vec<DevMessageLine>,
}

/// One message of the development outbox.
#[derive(Debug)]
pub struct DevMessageLine {
    /// when it was sent
    pub at: String,
    /// `sms` or `email`
    pub channel: String,
    /// the address
    pub to: String,
    /// the subject (email)
    pub subject: String,
    /// the text
    pub body: String,
}

/// `GET /dev/messages`: the development outbox, in demo mode only, and
/// only to the operator's addresses (`metrics.allow`): it holds
/// password-reset codes, so a demo reachable from a network shows it to
/// nobody else.
pub async fn dev_messages_get(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    if !state.demo() || !crate::http::ops::from_operator(&state, &ctx) {
        return Err(AppError::NotFound);
    }
    let messages = notify::dev_messages(state.db(), 50)
        .await?
        .into_iter()
        .map(|m| DevMessageLine {
            at: format_cst(m.at),
            channel: m.channel,
            to: m.to,
            subject: m.subject,
            body: m.body,
        })
        .collect();
    render(&DevMessagesView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        messages,
    })
}
