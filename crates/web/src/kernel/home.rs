//! The portal home page: Harbin's divisions and departments.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tongban_core::kernel::{divisions, orgs};
use tongban_domain::kernel::DivisionCode;

use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState, ctx::Ctx};

impl OrgLink {
    /// The link to an organisation, named in the request's language.
    pub fn new(t: &Tr, o: &orgs::Org) -> Self {
        Self {
            id: o.id,
            name: t.pick(&o.name_zh, &o.name_en).to_owned(),
            kind: t.get(&format!("orgkind.{}", o.kind)),
        }
    }
}

/// The city this deployment serves (GB/T 2260).
pub const CITY_CODE: &str = "230100";

/// A district or county on the home page.
#[derive(Debug)]
pub struct DivisionCard {
    /// code
    pub code: String,
    /// display name
    pub name: String,
    /// kind label
    pub kind: String,
    /// number of streets/towns
    pub streets: usize,
}

/// A department on the home page.
#[derive(Debug)]
pub struct OrgLink {
    /// id
    pub id: i64,
    /// display name
    pub name: String,
    /// kind label
    pub kind: String,
}

/// `/` view.
#[derive(Template)]
#[template(path = "kernel/home.html")]
pub struct HomeView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the city's name
    pub city_name: String,
    /// districts and counties
    pub divisions: Vec<DivisionCard>,
    /// municipal departments
    pub departments: Vec<OrgLink>,
    /// the city government, if present
    pub city_gov: Option<OrgLink>,
    /// whether demo accounts should be shown
    pub demo: bool,
    /// life-event themes with published items: (code, name, count, audience)
    pub themes: Vec<(String, String, i64, String)>,
    /// the items most applied for lately: (code, name)
    pub most_used: Vec<(String, String)>,
}

/// `GET /`.
pub async fn home_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let t = ctx.tr();
    let db = state.db();
    let city = DivisionCode::parse(CITY_CODE).map_err(|e| AppError::Internal(e.into()))?;
    let city_row = divisions::get(db, &city).await?;
    let mut cards = Vec::new();
    for (d, streets) in divisions::children_with_counts(db, &city).await? {
        cards.push(DivisionCard {
            name: t.pick(&d.name_zh, &d.name_en).to_owned(),
            kind: t.get(&format!("kind.{}", d.kind)),
            code: d.code,
            streets: usize::try_from(streets).unwrap_or(0),
        });
    }
    let in_city = orgs::in_division(db, &city).await?;
    let link = |o: &orgs::Org| OrgLink::new(&t, o);
    let themes = state
        .themes()
        .await?
        .iter()
        .filter(|th| th.items > 0)
        .map(|th| {
            (
                th.code.clone(),
                t.pick(&th.name_zh, &th.name_en).to_owned(),
                th.items,
                th.audience.clone(),
            )
        })
        .collect();
    // The home page stands without its most used list if it cannot be
    // counted now.
    let most_used = match state.most_used().await {
        Ok(list) => list
            .iter()
            .map(|m| (m.task_code.clone(), t.pick(&m.name, &m.name_en).to_owned()))
            .collect(),
        Err(e) => {
            tracing::warn!(error = ?e, "most used items not counted");
            Vec::new()
        }
    };
    let city_gov = in_city.iter().find(|o| o.kind == "government").map(link);
    let departments = in_city
        .iter()
        .filter(|o| o.kind != "government")
        .map(link)
        .collect();
    render(&HomeView {
        t,
        nav: Nav::from_ctx(&ctx),
        city_name: city_row
            .map(|d| t.pick(&d.name_zh, &d.name_en).to_owned())
            .unwrap_or_default(),
        divisions: cards,
        departments,
        city_gov,
        themes,
        most_used,
        demo: state.demo(),
    })
}
