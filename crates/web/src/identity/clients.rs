//! 接入系统管理: system administrators register the relying parties
//! (department systems, the citizen app) and service clients of the identity
//! provider, with exact redirect URIs; secrets are shown once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};

use axum::response::Response;
use serde::Deserialize;
use tongban_core::identity::Principal;
use tongban_core::identity::oidc::{self, Client, ClientError, ClientForm};
use tongban_domain::kernel::Role;

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render_form};
use crate::{AppError, AppState};

/// `/admin/clients` view.
#[derive(Template)]
#[template(path = "identity/clients.html")]
pub struct ClientsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// registered clients
    pub clients: Vec<Client>,
    /// the form (new client, or the one being edited)
    pub form: FormValues,
    /// whether the form edits an existing client
    pub editing: bool,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
    /// a secret to show once: (client id, secret)
    pub secret: Option<(String, String)>,
}

impl ClientsView {
    /// The label of a client kind.
    pub fn kind_label(&self, kind: &str) -> String {
        self.t.get(&format!("clients.kind_{kind}"))
    }
}

/// The registration form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct FormValues {
    /// client id
    #[serde(default)]
    pub client_id: String,
    /// name
    #[serde(default)]
    pub name: String,
    /// kind
    #[serde(default)]
    pub kind: String,
    /// redirect URIs
    #[serde(default)]
    pub redirect_uris: String,
    /// post-logout URIs
    #[serde(default)]
    pub logout_uris: String,
    /// scopes
    #[serde(default)]
    pub scopes: String,
    /// ID token algorithm
    #[serde(default)]
    pub id_token_alg: String,
    /// consent checkbox
    #[serde(default)]
    pub require_consent: Option<String>,
    /// action on an existing client: `save`, `rotate_secret`, `disable`, `enable`
    #[serde(default)]
    pub action: String,
}

impl FormValues {
    fn of(c: &Client) -> Self {
        Self {
            client_id: c.client_id.clone(),
            name: c.name.clone(),
            kind: c.kind.as_str().into(),
            redirect_uris: c.redirect_uris.join("\n"),
            logout_uris: c.logout_uris.join("\n"),
            scopes: c.scopes.join(" "),
            id_token_alg: c.id_token_alg.into(),
            require_consent: c.require_consent.then(|| "1".into()),
            action: String::new(),
        }
    }

    fn blank() -> Self {
        Self {
            kind: "confidential".into(),
            scopes: "openid profile".into(),
            id_token_alg: "ES256".into(),
            require_consent: Some("1".into()),
            ..Self::default()
        }
    }

    fn core(&self) -> ClientForm {
        ClientForm {
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            redirect_uris: self.redirect_uris.clone(),
            logout_uris: self.logout_uris.clone(),
            scopes: self.scopes.clone(),
            id_token_alg: self.id_token_alg.clone(),
            require_consent: self.require_consent.is_some(),
            org_id: None,
        }
    }
}

fn admin(ctx: &Ctx) -> Result<&Principal, AppError> {
    let p = &ctx.require_session()?.principal;
    if !p.has_role(Role::SystemAdmin) {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    form: FormValues,
    editing: bool,
    errors: Vec<FieldError>,
    notice: String,
    secret: Option<(String, String)>,
) -> Result<Response, AppError> {
    let ok = errors.is_empty();
    render_form(
        &ClientsView {
            t: ctx.tr(),
            nav: Nav::from_ctx(ctx),
            clients: oidc::clients(state.db()).await?,
            form,
            editing,
            errors,
            notice,
            secret,
        },
        ok,
    )
}

fn problems(t: &Tr, e: ClientError) -> Result<Vec<FieldError>, AppError> {
    match e {
        ClientError::Invalid(p) => Ok(localize(t, p)),
        ClientError::Forbidden => Err(AppError::Forbidden),
        ClientError::NotFound => Err(AppError::NotFound),
        ClientError::Db(e) => Err(e.into()),
    }
}

/// `GET /admin/clients`.
pub async fn clients_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    admin(&ctx)?;
    view(
        &state,
        &ctx,
        FormValues::blank(),
        false,
        vec![],
        String::new(),
        None,
    )
    .await
}

/// `POST /admin/clients`: registers a client; its secret is shown once.
pub async fn clients_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FormValues>,
) -> Result<Response, AppError> {
    let p = admin(&ctx)?.clone();
    let t = ctx.tr();
    let outcome = oidc::register(state.db(), &p, &f.core()).await;
    state.clients_changed();
    match outcome {
        Ok((c, secret)) => {
            let notice = t.fmt("clients.registered", &[("name", &c.name)]);
            let secret = secret.map(|s| (c.client_id.clone(), s));
            view(
                &state,
                &ctx,
                FormValues::blank(),
                false,
                vec![],
                notice,
                secret,
            )
            .await
        }
        Err(e) => {
            let errors = problems(&ctx.tr(), e)?;
            view(&state, &ctx, f, false, errors, String::new(), None).await
        }
    }
}

/// `GET /admin/clients/{client_id}`: the edit form.
pub async fn client_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    admin(&ctx)?;
    let c = oidc::clients(state.db())
        .await?
        .into_iter()
        .find(|c| c.client_id == id)
        .ok_or(AppError::NotFound)?;
    view(
        &state,
        &ctx,
        FormValues::of(&c),
        true,
        vec![],
        String::new(),
        None,
    )
    .await
}

/// `POST /admin/clients/{client_id}`: save, new secret, disable or enable.
pub async fn client_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(mut f): Form<FormValues>,
) -> Result<Response, AppError> {
    let p = admin(&ctx)?.clone();
    let t = ctx.tr();
    let current = oidc::clients(state.db())
        .await?
        .into_iter()
        .find(|c| c.client_id == id)
        .ok_or(AppError::NotFound)?;
    // The id and kind are fixed once registered.
    f.client_id = current.client_id.clone();
    f.kind = current.kind.as_str().into();
    if f.action == "save" || f.action.is_empty() {
        let outcome = oidc::update_client(state.db(), &p, &id, &f.core()).await;
        state.clients_changed();
        return match outcome {
            Ok(()) => {
                let c = oidc::clients(state.db())
                    .await?
                    .into_iter()
                    .find(|c| c.client_id == id)
                    .ok_or(AppError::NotFound)?;
                view(
                    &state,
                    &ctx,
                    FormValues::of(&c),
                    true,
                    vec![],
                    t.get("clients.saved"),
                    None,
                )
                .await
            }
            Err(e) => {
                let errors = problems(&ctx.tr(), e)?;
                view(&state, &ctx, f, true, errors, String::new(), None).await
            }
        };
    }
    let outcome = oidc::client_action(state.db(), &p, &id, &f.action).await;
    state.clients_changed();
    let secret = outcome.map_err(|e| match e {
        ClientError::Forbidden => AppError::Forbidden,
        ClientError::NotFound => AppError::BadRequest("action".into()),
        ClientError::Db(e) => e.into(),
        ClientError::Invalid(_) => AppError::BadRequest("action".into()),
    })?;
    let c = oidc::clients(state.db())
        .await?
        .into_iter()
        .find(|c| c.client_id == id)
        .ok_or(AppError::NotFound)?;
    let notice = t.get(match f.action.as_str() {
        "rotate_secret" => "clients.rotated",
        "disable" => "clients.disabled",
        _ => "clients.enabled",
    });
    view(
        &state,
        &ctx,
        FormValues::of(&c),
        true,
        vec![],
        notice,
        secret.map(|s| (id, s)),
    )
    .await
}
