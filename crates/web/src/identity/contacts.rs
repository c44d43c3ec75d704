//! The person's contacts and notice preferences (`/account/contacts`):
//! the language and channels their messages come in, a new email address
//! or phone number proved by a code, and a test message to see it work.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::contacts::{self, ContactError};
use tongban_core::identity::otp::mask;
use tongban_core::platform::clock::format_cst;
use tongban_core::platform::notify::Channel;

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::{Lang, Tr};
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A channel as the page lists it.
#[derive(Debug)]
pub struct ChannelLine {
    /// `sms` or `email`
    pub code: &'static str,
    /// the address of record, masked (empty when none)
    pub address: String,
    /// chosen for notices
    pub chosen: bool,
}

/// `/account/contacts` view.
#[derive(Template)]
#[template(path = "identity/contacts.html")]
pub struct ContactsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the language messages are written in (`zh-CN` or `en`)
    pub lang: &'static str,
    /// the two channels
    pub channels: Vec<ChannelLine>,
    /// problems of the last form
    pub errors: Vec<FieldError>,
    /// success notice
    pub notice: String,
    /// a code was sent for this channel and is awaited
    pub awaiting: Option<&'static str>,
    /// the address typed for a change (kept on error)
    pub typed: String,
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    notice: String,
    awaiting: Option<Channel>,
    typed: String,
) -> Result<ContactsView, AppError> {
    let s = ctx.require_session()?;
    let p = contacts::preferences(state.db(), &s.principal).await?;
    let channels = [Channel::Sms, Channel::Email]
        .into_iter()
        .map(|ch| ChannelLine {
            code: ch.as_str(),
            address: p.address(ch).map(mask).unwrap_or_default(),
            chosen: p.channels.contains(&ch),
        })
        .collect();
    Ok(ContactsView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        lang: p.lang.tag(),
        channels,
        errors,
        notice,
        awaiting: awaiting.map(Channel::as_str),
        typed,
    })
}

fn refused(
    t: &Tr,
    e: ContactError,
    field: &str,
) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    match e {
        ContactError::Invalid(problems) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, localize(t, problems)))
        }
        ContactError::TooMany { until } => {
            let m = t.fmt("contacts.too_many", &[("until", &format_cst(until))]);
            Ok((
                StatusCode::TOO_MANY_REQUESTS,
                vec![FieldError::worded(field, "too_many", m)],
            ))
        }
        ContactError::Db(e) => Err(e.into()),
    }
}

async fn answer(
    state: &AppState,
    ctx: &Ctx,
    refusal: (StatusCode, Vec<FieldError>),
    awaiting: Option<Channel>,
    typed: String,
) -> Result<Response, AppError> {
    let mut res = render(&view(state, ctx, refusal.1, String::new(), awaiting, typed).await?)?;
    *res.status_mut() = refusal.0;
    Ok(res)
}

/// Query of `/account/contacts`.
#[derive(Debug, Deserialize)]
pub struct ContactsQuery {
    done: Option<String>,
}

/// `GET /account/contacts`.
pub async fn contacts_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ContactsQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let notice = match q.done.as_deref() {
        Some(d @ ("saved" | "test" | "sms" | "email")) => t.get(&format!("contacts.done_{d}")),
        _ => String::new(),
    };
    render(&view(&state, &ctx, vec![], notice, None, String::new()).await?)
}

/// `POST /account/contacts`: language and channels. The chosen language
/// also becomes the language of the pages in this browser.
pub async fn preferences_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    // Checkboxes come as repeated `channels` fields.
    let lang = pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let channels: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "channels")
        .map(|(_, v)| v.clone())
        .collect();
    match contacts::save_preferences(state.db(), &s.principal, lang, &channels).await {
        Ok(()) => {
            let lang = Lang::from_tag(lang).unwrap_or_default();
            let cookie = crate::http::page::lang_cookie(lang);
            Ok((
                [(axum::http::header::SET_COOKIE, cookie)],
                Redirect::to("/account/contacts?done=saved"),
            )
                .into_response())
        }
        Err(e) => {
            answer(
                &state,
                &ctx,
                refused(&ctx.tr(), e, "lang")?,
                None,
                String::new(),
            )
            .await
        }
    }
}

/// A new address to prove.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    address: String,
}

/// `POST /account/contacts/change`: sends a code to the new address.
pub async fn change_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ChangeForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let channel =
        Channel::parse(&f.channel).ok_or_else(|| AppError::field("channel", "invalid"))?;
    let field = if channel == Channel::Email {
        "email"
    } else {
        "phone"
    };
    match contacts::start_change(state.db(), &s.principal, channel, &f.address).await {
        Ok(address) => {
            let t = ctx.tr();
            let notice = t.fmt("contacts.code_sent", &[("address", &mask(&address))]);
            render(&view(&state, &ctx, vec![], notice, Some(channel), f.address).await?)
        }
        Err(e) => answer(&state, &ctx, refused(&ctx.tr(), e, field)?, None, f.address).await,
    }
}

/// The code that proves a new address.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    code: String,
}

/// `POST /account/contacts/confirm`: records the new address.
pub async fn confirm_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let channel =
        Channel::parse(&f.channel).ok_or_else(|| AppError::field("channel", "invalid"))?;
    match contacts::confirm_change(state.db(), &s.principal, channel, &f.code).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/account/contacts?done={}", channel.as_str())).into_response(),
        ),
        Err(e) => {
            answer(
                &state,
                &ctx,
                refused(&ctx.tr(), e, "code")?,
                Some(channel),
                String::new(),
            )
            .await
        }
    }
}

/// `POST /account/contacts/test`: a test message on every chosen channel.
pub async fn test_post(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    match contacts::send_test(state.db(), &s.principal).await {
        Ok(()) => Ok(Redirect::to("/account/contacts?done=test").into_response()),
        Err(e) => {
            answer(
                &state,
                &ctx,
                refused(&ctx.tr(), e, "test")?,
                None,
                String::new(),
            )
            .await
        }
    }
}
