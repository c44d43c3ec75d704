//! 我的办件: every application of the person, however it came.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tongban_core::applications;
use tongban_core::platform::clock::format_cst;

use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A line of 我的办件.
#[derive(Debug)]
pub struct MineLine {
    /// id
    pub id: String,
    /// item name
    pub name: String,
    /// state code
    pub state: &'static str,
    /// 办件编号 (empty for a draft)
    pub case_number: String,
    /// applicant
    pub applicant: String,
    /// last change
    pub updated: String,
}

/// `/applications` view.
#[derive(Template)]
#[template(path = "applications/mine.html")]
pub struct MineView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the applications
    pub lines: Vec<MineLine>,
}

/// `GET /applications`: 我的办件, every application however it came.
pub async fn mine_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let lines = applications::mine(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|a| MineLine {
            state: a.state.code(),
            case_number: a.case_number.unwrap_or_default(),
            updated: format_cst(a.updated_at),
            id: a.id,
            name: a.item_name,
            applicant: a.applicant_name,
        })
        .collect();
    render(&MineView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        lines,
    })
}
