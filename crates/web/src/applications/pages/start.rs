//! The start page of an item: what applying takes, and for whom (oneself,
//! an enterprise one acts for, a person at a window or helped by an agent,
//! a person under a 授权委托书).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::applications::consents::Begun;
use tongban_core::applications::{self, ApplicationError, Start};
use tongban_domain::applications::Channel;
use tongban_domain::catalog::Fetchable;
use tongban_domain::kernel::Role;

use super::channel_for_person;
use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState};

/// `/apply/{task_code}` view.
#[derive(Template)]
#[template(path = "applications/start.html")]
pub struct StartView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// 实施编码
    pub task_code: String,
    /// item name
    pub name: String,
    /// implementing organisation
    pub org: String,
    /// online depth (2: pre-review before the visit)
    pub depth: u8,
    /// the situations (code, name)
    pub situations: Vec<(String, String)>,
    /// the enterprises the person may apply for (credit code, name)
    pub enterprises: Vec<(String, String)>,
    /// the person's own name
    pub own_name: String,
    /// the level needed, named, when the person's is below it
    pub level_needed: String,
    /// the materials the person will give (names)
    pub to_give: Vec<String>,
    /// the materials fetched for them (names)
    pub fetched: Vec<String>,
    /// problems of the last attempt
    pub errors: Vec<FieldError>,
    /// for a window clerk or a community agent: the heading of applying for
    /// a person (empty for anyone else)
    pub for_person_label: String,
    /// a community agent names the person too (their consent is asked)
    pub ask_name: bool,
    /// the consent they confirm
    pub consent_label: String,
    /// a person (not staff) may apply for another under a 授权委托书
    pub attorney: bool,
    /// the name and ID number typed for that, kept after a refusal
    pub typed: (String, String),
    /// whether that part is shown open (it was used and refused)
    pub attorney_open: bool,
    /// why the person may not apply as themselves (or for a person): the
    /// item does not serve them; empty when it does
    pub not_served: String,
    /// whether an enterprise account or a mandate would help (not for a
    /// government body, which never applies online)
    pub not_served_hint: bool,
}

/// The words of a staff-only part of the start page, by the person's role
/// (`<prefix>_window` or `<prefix>_agent`); empty for everyone else.
fn staff_words(t: &Tr, p: &tongban_core::identity::Principal, prefix: &str) -> String {
    if p.has_role(Role::WindowClerk) {
        t.get(&format!("{prefix}_window"))
    } else if p.has_role(Role::CommunityAgent) {
        t.get(&format!("{prefix}_agent"))
    } else {
        String::new()
    }
}

async fn start_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    errors: Vec<FieldError>,
    typed: Option<&StartForm>,
) -> Result<StartView, AppError> {
    let s = ctx.require_session()?;
    // A clerk or a community agent starts applications for others.
    let t = ctx.tr().proxy(
        s.principal.has_role(Role::WindowClerk) || s.principal.has_role(Role::CommunityAgent),
    );
    let st = applications::starting(state.db(), &s.principal, code).await?;
    let g = &st.item.guide;
    let level_needed = if st.level < i64::from(g.min_level) {
        state
            .config()
            .identity
            .level(g.min_level.into())
            .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
            .unwrap_or_else(|| g.min_level.to_string())
    } else {
        String::new()
    };
    let (fetched, to_give): (Vec<_>, Vec<_>) = g
        .materials
        .iter()
        .partition(|m| m.fetchable != Fetchable::No);
    Ok(StartView {
        nav: Nav::from_ctx(ctx),
        task_code: st.item.task_code.clone(),
        name: t.pick(&g.name, &g.name_en).to_owned(),
        org: t
            .pick(&st.item.org.name_zh, &st.item.org.name_en)
            .to_owned(),
        depth: g.online_depth,
        situations: g
            .situations
            .iter()
            .map(|x| (x.code.clone(), x.name.clone()))
            .collect(),
        enterprises: st.enterprises,
        own_name: s.principal.account.display_name.clone(),
        level_needed,
        to_give: to_give.iter().map(|m| m.name.clone()).collect(),
        fetched: fetched.iter().map(|m| m.name.clone()).collect(),
        errors,
        for_person_label: if st.not_served.is_none() {
            staff_words(&t, &s.principal, "apply.for_person")
        } else {
            String::new()
        },
        ask_name: s.principal.has_role(Role::CommunityAgent)
            && !s.principal.has_role(Role::WindowClerk),
        consent_label: staff_words(&t, &s.principal, "apply.consent"),
        not_served: st
            .not_served
            .clone()
            .map(|p| crate::http::error::FieldError::of(&t, p).message)
            .unwrap_or_default(),
        not_served_hint: st
            .not_served
            .as_ref()
            .is_some_and(|p| p.code != "application.not_served_government"),
        attorney: st.not_served.is_none()
            && s.principal.account.kind == "person"
            && !s.principal.has_role(Role::WindowClerk)
            && !s.principal.has_role(Role::CommunityAgent),
        attorney_open: typed.is_some_and(|f| !f.person.trim().is_empty()),
        typed: typed.map_or_else(Default::default, |f| {
            (f.person_name.trim().to_owned(), f.person.trim().to_owned())
        }),
        t,
    })
}

/// `GET /apply/{task_code}`: what applying takes, and for whom.
pub async fn start_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    if code.len() > 36 {
        return Err(AppError::NotFound);
    }
    let v = start_view(&state, &ctx, &code, vec![], None).await?;
    if v.depth < 2 {
        return Err(AppError::NotFound);
    }
    render(&v)
}

/// What the start page posts.
#[derive(Debug, Clone, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    situation: String,
    #[serde(default)]
    applicant: String,
    /// the ID number of a person at the window or helped by an agent
    #[serde(default)]
    person: String,
    /// the name of a person applied for under a power of attorney
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    consent: String,
}

/// `POST /apply/{task_code}`: starts a draft and opens its first page.
pub async fn start_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<StartForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let typed = f.clone();
    let started = applications::consents::start_or_ask(
        state.db(),
        state.data_key(),
        &s.principal,
        Start {
            task_code: code.clone(),
            situation: Some(f.situation).filter(|x| !x.trim().is_empty()),
            on_behalf_of: Some(f.applicant).filter(|x| !x.trim().is_empty() && x != "self"),
            channel: if f.person.trim().is_empty() {
                Channel::Portal
            } else {
                channel_for_person(&s.principal, Channel::Portal)
            },
            for_person: Some(f.person).filter(|x| !x.trim().is_empty()),
            person_name: Some(f.person_name).filter(|x| !x.trim().is_empty()),
            consent: !f.consent.is_empty(),
            mobile: crate::applications::api::mobile(&headers),
            key: None,
            draft_days: state.config().applications.draft_days,
            drafts_per_account: state.config().applications.drafts_per_account,
            confirmed: None,
        },
    )
    .await;
    match started {
        Ok(Begun::Started(d)) => {
            Ok(Redirect::to(&format!("/applications/{}/after/start", d.id)).into_response())
        }
        Ok(Begun::Asked(id)) => Ok(Redirect::to(&format!("/apply/consents/{id}")).into_response()),
        Err(ApplicationError::Invalid(p)) => {
            let errors = localize(&ctx.tr(), p);
            render_form(
                &start_view(&state, &ctx, &code, errors, Some(&typed)).await?,
                false,
            )
        }
        Err(e) => Err(e.into()),
    }
}
