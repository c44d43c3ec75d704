//! The signed-in person's account page and password change.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::accounts::{self, AuthError};
use tongban_core::identity::agents;
use tongban_core::identity::oidc;
use tongban_core::identity::sessions;
use tongban_core::kernel::orgs;
use tongban_core::platform::clock::format_cst;

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
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
#[template(path = "identity/account.html")]
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
    /// real-name level, named
    pub level: String,
    /// ID number, masked (empty when none is recorded)
    pub id_number: String,
    /// whether the window-registration page is offered
    pub is_clerk: bool,
    /// enterprise: whether the agent section is shown
    pub is_enterprise: bool,
    /// enterprise: agents authorised (live and past)
    pub agents: Vec<MandateLine>,
    /// person: enterprises this person may act for
    pub mandates: Vec<MandateLine>,
    /// the enterprise this session acts for, by name
    pub acting: String,
    /// agent-form values (kept on error)
    pub agent_form: (String, String, String),
    /// signed-in devices
    pub sessions: Vec<DeviceLine>,
    /// systems allowed to use this identity
    pub consents: Vec<ConsentLine>,
}

/// An authorisation as listed.
#[derive(Debug)]
pub struct MandateLine {
    /// id
    pub id: i64,
    /// the other party's name (agent or enterprise)
    pub who: String,
    /// the enterprise account id (to act for it)
    pub enterprise_id: i64,
    /// scope, as text
    pub items: String,
    /// until
    pub until: String,
    /// in force
    pub live: bool,
}

/// A signed-in device.
#[derive(Debug)]
pub struct DeviceLine {
    /// public id
    pub id: String,
    /// signed in at
    pub created: String,
    /// last used
    pub last_seen: String,
    /// browser
    pub agent: String,
    /// address
    pub ip: String,
    /// this very browser
    pub current: bool,
}

/// A system the person allowed.
#[derive(Debug)]
pub struct ConsentLine {
    /// client id
    pub client_id: String,
    /// name
    pub name: String,
    /// what it receives
    pub scope: String,
    /// since
    pub granted: String,
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
    let sessions = sessions::list_for(state.db(), a.id)
        .await?
        .into_iter()
        .map(|x| DeviceLine {
            current: x.token_hash == s.token_hash,
            id: x.id,
            created: format_cst(x.created_at),
            last_seen: format_cst(x.last_seen_at),
            agent: x
                .user_agent
                .map(|u| u.chars().take(80).collect())
                .unwrap_or_default(),
            ip: x.ip.unwrap_or_default(),
        })
        .collect();
    let consents = oidc::consents(state.db(), a.id)
        .await?
        .into_iter()
        .map(|c| ConsentLine {
            scope: c
                .scope
                .iter()
                .map(|s| t.get(&format!("oauth.scope_{s}")))
                .collect::<Vec<_>>()
                .join("；"),
            client_id: c.client_id,
            name: c.name,
            granted: format_cst(c.granted_at),
        })
        .collect();
    let level_no = tongban_core::identity::oidc::real_name_level(state.db(), a.id).await?;
    let level = state
        .config()
        .identity
        .level(level_no)
        .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
        .unwrap_or_default();
    let id_number = tongban_core::identity::realname::id_number(state.db(), state.data_key(), a.id)
        .await?
        .and_then(|n| tongban_domain::kernel::IdCardNo::parse(&n).ok())
        .map(|n| n.masked())
        .unwrap_or_default();
    let is_clerk = s
        .principal
        .has_role(tongban_domain::kernel::Role::WindowClerk);
    let now = tongban_core::platform::clock::now_ms();
    let line = |m: agents::Mandate, who: String| MandateLine {
        id: m.id,
        who,
        enterprise_id: m.enterprise_id,
        items: if m.items.is_empty() {
            t.get("agents.all_items")
        } else {
            m.items.join("、")
        },
        until: format_cst(m.expires_at - 1),
        live: m.live(now),
    };
    let is_enterprise = a.kind == "enterprise";
    let agents_given = if is_enterprise {
        agents::given_by(state.db(), a.id)
            .await?
            .into_iter()
            .map(|m| {
                let who = format!("{}（{}）", m.agent_name, m.agent_username);
                line(m, who)
            })
            .collect()
    } else {
        vec![]
    };
    let mandates = agents::held_by(state.db(), a.id)
        .await?
        .into_iter()
        .filter(|m| m.live(now))
        .map(|m| {
            let who = format!("{}（{}）", m.enterprise_name, m.credit_code);
            line(m, who)
        })
        .collect();
    let acting = agents::acting(state.db(), &s.token_hash)
        .await?
        .map(|m| m.enterprise_name)
        .unwrap_or_default();
    Ok(AccountView {
        is_enterprise,
        agents: agents_given,
        mandates,
        acting,
        agent_form: Default::default(),
        level,
        id_number,
        is_clerk,
        sessions,
        consents,
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
    let notice = match q.done.as_deref() {
        Some("password") => ctx.tr().get("account.password_changed"),
        Some("session") => ctx.tr().get("account.session_ended"),
        Some("consent") => ctx.tr().get("account.consent_withdrawn"),
        Some("agent_granted") => ctx.tr().get("agents.granted"),
        Some("agent_revoked") => ctx.tr().get("agents.revoked"),
        Some("acting") => ctx.tr().get("agents.acting_changed"),
        Some("registered") => ctx.tr().get("register.done"),
        _ => String::new(),
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
    let err = |field: &str, m: String| FieldError::worded(field, "invalid", m);
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

/// The policy message in the request's language (the locale entry
/// `problem.password.*`).
pub fn policy_message(t: &Tr, p: &tongban_domain::identity::PasswordPolicyError) -> String {
    FieldError::of(
        t,
        tongban_domain::FieldProblem::new("password", p.code(), p.to_string()),
    )
    .message
}

/// The device-list form: `id` of one session, or `all`.
#[derive(Debug, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    id: String,
}

/// `POST /account/sessions`: ends one of my sessions, or all of them (sign
/// out everywhere, including every system signed in with this identity).
pub async fn sessions_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SessionForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let account_id = s.principal.account.id;
    if f.id == "all" {
        sessions::revoke_all(state.db(), account_id).await?;
        return Ok((
            [(
                axum::http::header::SET_COOKIE,
                super::auth::clear_session_cookie(),
            )],
            Redirect::to("/login?done=logout"),
        )
            .into_response());
    }
    let target = sessions::list_for(state.db(), account_id)
        .await?
        .into_iter()
        .find(|x| x.id == f.id)
        .ok_or(AppError::NotFound)?;
    crate::identity::oidc::end_session(&state, &target.token_hash).await?;
    if target.token_hash == s.token_hash {
        return Ok((
            [(
                axum::http::header::SET_COOKIE,
                super::auth::clear_session_cookie(),
            )],
            Redirect::to("/login?done=logout"),
        )
            .into_response());
    }
    Ok(Redirect::to("/account?done=session").into_response())
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    client_id: String,
}

/// `POST /account/consents`: withdraws what a system was allowed.
pub async fn consents_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    oidc::withdraw_consent(state.db(), s.principal.account.id, &f.client_id).await?;
    Ok(Redirect::to("/account?done=consent").into_response())
}

/// The agent form (enterprise accounts).
#[derive(Debug, Deserialize)]
pub struct AgentForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    id: i64,
}

/// `POST /account/agents`: an enterprise authorises (`grant`) or revokes
/// (`revoke`) an agent.
pub async fn agents_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<AgentForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let p = &s.principal;
    let result = if f.action == "revoke" {
        agents::revoke(state.db(), p, f.id)
            .await
            .map(|()| "revoked")
    } else {
        let form = agents::MandateForm {
            agent: f.agent.clone(),
            items: f.items.clone(),
            until: f.until.clone(),
        };
        agents::grant(state.db(), p, &form).await.map(|_| "granted")
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/account?done=agent_{done}")).into_response()),
        Err(agents::AgentError::Invalid(problems)) => {
            let errors = localize(&ctx.tr(), problems);
            let mut v = view(&state, &ctx, errors, String::new()).await?;
            v.agent_form = (f.agent, f.items, f.until);
            let mut res = render(&v)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(agents::AgentError::Forbidden) => Err(AppError::Forbidden),
        Err(agents::AgentError::NotFound) => Err(AppError::NotFound),
        Err(agents::AgentError::Db(e)) => Err(e.into()),
    }
}

/// The acting form: `enterprise_id`, or 0 to act as oneself again.
#[derive(Debug, Deserialize)]
pub struct ActingForm {
    #[serde(default)]
    enterprise_id: i64,
}

/// `POST /account/acting`: act for an enterprise that authorised me, or stop.
pub async fn acting_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ActingForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let target = (f.enterprise_id != 0).then_some(f.enterprise_id);
    match agents::act_for(state.db(), &s.token_hash, s.principal.account.id, target).await {
        Ok(()) => Ok(Redirect::to("/account?done=acting").into_response()),
        Err(agents::AgentError::NotFound) => Err(AppError::Forbidden),
        Err(agents::AgentError::Db(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(e.into())),
    }
}
