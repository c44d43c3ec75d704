//! Catalog administration: editors change drafts and submit them; an
//! administrator other than the submitter publishes or sends back; anyone
//! with a role over the item sees versions, history and differences.
//!
//! One file per page. Forms work without JavaScript. A save that loses a race re-renders the
//! editor's input with a conflict notice, so nothing typed is lost.

pub mod code_lists;
pub mod files;
pub mod form_preview;
pub mod guide_form;
pub mod item;
pub mod list;
pub mod new;
pub mod standards;
pub mod themes;
pub mod transfer;
pub mod version;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::catalog::{
    self, CatalogError, EDIT_ROLES, NewItem, REVIEW_ROLES, Version, scope_paths,
};
use tongban_core::identity::Actor;
use tongban_core::identity::Principal;
use tongban_core::kernel::orgs;
use tongban_core::platform::clock::format_cst;
use tongban_domain::catalog::{
    self as rules, CaseKind, Change, CodeList, Faq, Fee, Fetchable, Guide, Material, TimeLimit,
    VersionStatus, diff,
};
use tongban_domain::kernel::Role;

use crate::http::ctx::Ctx;
use crate::http::error::{FieldError, localize};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState};

/// The principal's rights over the items of the organisation at `org_path`.
fn rights(p: &Principal, org_path: &str) -> catalog::Rights {
    catalog::rights(Actor::Person(p), org_path)
}

fn principal(ctx: &Ctx) -> Result<&Principal, AppError> {
    let s = ctx.require_session()?;
    let p = &s.principal;
    if p.has_role(Role::CatalogEditor)
        || p.has_role(Role::SystemAdmin)
        || p.has_role(Role::DeptAdmin)
    {
        Ok(p)
    } else {
        Err(AppError::Forbidden)
    }
}

fn status_label(t: &Tr, s: VersionStatus) -> String {
    t.get(&format!("vstatus.{}", s.code()))
}

/// The signed-in system administrator, or a refusal.
pub(super) fn require_system_admin(ctx: &Ctx) -> Result<&Principal, AppError> {
    let p = &ctx.require_session()?.principal;
    if p.has_role(Role::SystemAdmin) {
        Ok(p)
    } else {
        Err(AppError::Forbidden)
    }
}
