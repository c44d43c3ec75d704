//! 我的办件: every application of the person, however it came.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tongban_core::applications;
use tongban_core::platform::clock::format_cst;
use tongban_domain::applications::{State as AppState_, grouped_case_number};

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
    /// the date that matters now, worded (kept until, submitted, changed)
    pub when: String,
    /// what happens next, worded
    pub next: String,
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
    let t = ctx.tr();
    let pattern = &state.config().applications.case_number;
    let lines = applications::mine(state.db(), &s.principal)
        .await?
        .into_iter()
        .map(|a| {
            let code = a.state.code();
            let when = match a.state {
                AppState_::Draft => t.fmt(
                    "apply.mine_kept_until",
                    &[("date", &format_cst(a.expires_at))],
                ),
                _ => t.fmt("apply.mine_changed", &[("date", &format_cst(a.updated_at))]),
            };
            MineLine {
                state: code,
                case_number: a
                    .case_number
                    .as_deref()
                    .map(|n| grouped_case_number(pattern, n))
                    .unwrap_or_default(),
                when,
                next: t.get(&format!("apply.mine_next_{code}")),
                id: a.id,
                name: t.pick(&a.item_name, &a.item_name_en).to_owned(),
                applicant: a.applicant_name,
            }
        })
        .collect();
    render(&MineView {
        t,
        nav: Nav::from_ctx(&ctx),
        lines,
    })
}
