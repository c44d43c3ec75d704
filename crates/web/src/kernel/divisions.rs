//! A division's page: where it sits, what lies within, who serves there.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tongban_core::kernel::{divisions, orgs};
use tongban_domain::kernel::DivisionCode;

use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::kernel::home::OrgLink;
use crate::{AppError, AppState, ctx::Ctx};

/// A division link.
#[derive(Debug)]
pub struct DivLink {
    /// code
    pub code: String,
    /// name
    pub name: String,
    /// kind label
    pub kind: String,
}

/// `/divisions/{code}` view.
#[derive(Template)]
#[template(path = "kernel/division.html")]
pub struct DivisionView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// this division
    pub this: DivLink,
    /// breadcrumb from the province down (excluding this one)
    pub ancestors: Vec<DivLink>,
    /// divisions within
    pub children: Vec<DivLink>,
    /// organisations here
    pub orgs: Vec<OrgLink>,
}

/// `GET /divisions/{code}`.
pub async fn division_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let code = DivisionCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let db = state.db();
    let mut chain = divisions::ancestry(db, &code).await?;
    let Some(this) = chain.pop() else {
        return Err(AppError::NotFound);
    };
    let link = |d: &divisions::Division| DivLink {
        code: d.code.clone(),
        name: t.pick(&d.name_zh, &d.name_en).to_owned(),
        kind: t.get(&format!("kind.{}", d.kind)),
    };
    let children = divisions::children(db, &code)
        .await?
        .iter()
        .map(link)
        .collect();
    let orgs = orgs::in_division(db, &code)
        .await?
        .iter()
        .map(|o| OrgLink::new(&t, o))
        .collect();
    render(&DivisionView {
        t,
        nav: Nav::from_ctx(&ctx),
        this: link(&this),
        ancestors: chain.iter().map(link).collect(),
        children,
        orgs,
    })
}
