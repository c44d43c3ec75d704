//! The OpenAPI document and a readable, script-free page generated from it.

use askama::Template;
use axum::Json;
use axum::response::Response;
use utoipa::OpenApi;

use crate::AppError;
use crate::http::api::ApiDoc;
use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// One operation on the docs page.
#[derive(Debug)]
pub struct Op {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Summary and description.
    pub summary: String,
    /// Parameters, as `name (in): description`.
    pub params: Vec<String>,
    /// Response statuses.
    pub responses: String,
}

/// `/api/docs` view.
#[derive(Template)]
#[template(path = "http/api_docs.html")]
pub struct DocsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// operations
    pub ops: Vec<Op>,
}

/// `GET /api/docs`.
pub async fn docs_page(ctx: Ctx) -> Result<Response, AppError> {
    let doc = serde_json::to_value(ApiDoc::openapi()).map_err(|e| AppError::Internal(e.into()))?;
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let text = |k: &str| op.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                let summary = [text("summary"), text("description")]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" — ");
                let params = op
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                let g = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("");
                                format!("{} ({}): {}", g("name"), g("in"), g("description"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let responses = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                ops.push(Op {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary,
                    params,
                    responses,
                });
            }
        }
    }
    render(&DocsView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        ops,
    })
}
