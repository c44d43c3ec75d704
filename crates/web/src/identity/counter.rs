//! 窗口实名: a window clerk registers a person who shows an ID card, or
//! verifies an existing account in person (real-name level 4).

use askama::Template;
use axum::Form;
use axum::extract::State;

use axum::response::Response;
use serde::Deserialize;
use tongban_core::identity::Principal;
use tongban_core::identity::realname::{self, PersonForm, RealNameError};
use tongban_domain::kernel::Role;

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render_form};
use crate::{AppError, AppState};

/// `/counter` view.
#[derive(Template)]
#[template(path = "identity/counter.html")]
pub struct CounterView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the registration as typed (kept on error)
    pub form: CounterForm,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
    /// a new account to hand over: (username, initial password)
    pub created: Option<(String, String)>,
}

/// Both forms of the page.
#[derive(Debug, Default, Deserialize)]
pub struct CounterForm {
    /// `register` or `verify`
    #[serde(default)]
    pub action: String,
    /// name
    #[serde(default)]
    pub name: String,
    /// ID number
    #[serde(default)]
    pub id_number: String,
    /// phone
    #[serde(default)]
    pub phone: String,
    /// email
    #[serde(default)]
    pub email: String,
    /// existing account (verify)
    #[serde(default)]
    pub username: String,
}

fn clerk(ctx: &Ctx) -> Result<&Principal, AppError> {
    let p = &ctx.require_session()?.principal;
    if !(p.has_role(Role::WindowClerk) || p.has_role(Role::SystemAdmin)) {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

fn view(
    ctx: &Ctx,
    form: CounterForm,
    errors: Vec<FieldError>,
    notice: String,
    created: Option<(String, String)>,
) -> Result<Response, AppError> {
    let ok = errors.is_empty();
    render_form(
        &CounterView {
            t: ctx.tr(),
            nav: Nav::from_ctx(ctx),
            form,
            errors,
            notice,
            created,
        },
        ok,
    )
}

/// `GET /counter`.
pub async fn counter_get(ctx: Ctx) -> Result<Response, AppError> {
    clerk(&ctx)?;
    view(&ctx, CounterForm::default(), vec![], String::new(), None)
}

/// `POST /counter`: register or verify.
pub async fn counter_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CounterForm>,
) -> Result<Response, AppError> {
    let p = clerk(&ctx)?.clone();
    let t = ctx.tr();
    let result = if f.action == "verify" {
        realname::verify_in_person(state.db(), state.data_key(), &p, &f.username, &f.id_number)
            .await
            .map(|()| None)
    } else {
        let person = PersonForm {
            name: f.name.clone(),
            id_number: f.id_number.clone(),
            phone: f.phone.clone(),
            email: f.email.clone(),
        };
        realname::register_at_counter(state.db(), state.data_key(), &p, &person)
            .await
            .map(Some)
    };
    let fail = |field: &str, message: String| vec![FieldError::worded(field, "invalid", message)];
    match result {
        Ok(Some(created)) => {
            tracing::info!(request.id = %ctx.request_id, "person registered at the window");
            view(
                &ctx,
                CounterForm::default(),
                vec![],
                t.get("counter.registered"),
                Some(created),
            )
        }
        Ok(None) => view(
            &ctx,
            CounterForm::default(),
            vec![],
            t.get("counter.verified"),
            None,
        ),
        Err(RealNameError::Invalid(problems)) => {
            let errors = localize(&t, problems);
            view(&ctx, f, errors, String::new(), None)
        }
        Err(RealNameError::Exists { username }) => {
            let m = t.fmt("counter.exists", &[("username", &username)]);
            view(&ctx, f, fail("id_number", m), String::new(), None)
        }
        Err(RealNameError::NotFound) => view(
            &ctx,
            f,
            fail("username", t.get("counter.not_found")),
            String::new(),
            None,
        ),
        Err(RealNameError::Forbidden) => Err(AppError::Forbidden),
        Err(RealNameError::Db(e)) => Err(e.into()),
        Err(RealNameError::Auth(e)) => Err(AppError::Internal(e.into())),
        // The window registers without the online limit.
        Err(e @ RealNameError::TooMany { .. }) => Err(AppError::Internal(e.into())),
    }
}
