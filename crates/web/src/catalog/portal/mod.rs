//! Public catalog pages: browse services by theme, audience, department and
//! division; read one guide (办事指南) with its "what to bring" checklist.

mod guide;
mod items;
mod pdf;

pub use guide::*;
pub use items::*;
pub use pdf::*;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tongban_core::catalog::{self, Browse, Summary};
use tongban_core::kernel::divisions;
use tongban_core::platform::clock::format_cst;
use tongban_domain::catalog::{
    self as rules, CaseKind, CodeList, CodeLists, Fetchable, TimeLimit, TimeUnit,
};
use tongban_domain::kernel::DivisionCode;

use crate::http::ctx::{Ctx, urlencode};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::kernel::home::OrgLink;
use crate::{AppError, AppState};

/// Items per page.
pub const PAGE_SIZE: i64 = 20;

/// A limit as people read it.
pub fn limit_text(t: &Tr, l: &TimeLimit) -> String {
    if l.value == 0 {
        return t.get("guide.on_the_spot");
    }
    let key = match l.unit {
        TimeUnit::Workday => "guide.workdays",
        TimeUnit::Day => "guide.days",
    };
    t.fmt(key, &[("n", &l.value.to_string())])
}

/// The label of a code in a configured list, in the page's language.
pub(super) fn code_text(t: &Tr, lists: &CodeLists, list: CodeList, code: &str) -> String {
    lists
        .get(list, code)
        .map(|e| t.pick(&e.zh, &e.en).to_owned())
        .unwrap_or_default()
}

pub(super) fn depth_text(t: &Tr, lists: &CodeLists, depth: i64) -> String {
    code_text(t, lists, CodeList::OnlineDepth, &depth.to_string())
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
