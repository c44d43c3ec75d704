//! Catalog API: published service items.

use axum::extract::{Path, Query, State};
use serde::Serialize;
use tongban_core::catalog;
use utoipa::ToSchema;

use crate::catalog::portal::{ItemsQuery, browse_filter};
use crate::http::api::Problem;
use crate::http::json::Json;
use crate::{AppError, AppState};

/// A published item in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemSummaryDto {
    /// 实施编码.
    pub task_code: String,
    /// 事项名称.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// 事项类型 code (GB/T 39046 A.1).
    pub item_type: String,
    /// Implementing organisation id.
    pub org_id: i64,
    /// Its name.
    pub org_name_zh: String,
    /// Division code.
    pub division_code: String,
    /// 网上办理深度 1–4.
    pub online_depth: i64,
    /// 承诺办结时限 (working days).
    pub promised_limit: i64,
    /// Searches only: relevance score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Searches only: the name with matches in `<b>`, HTML-escaped otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_html: Option<String>,
    /// Searches only: a matching passage, same format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_html: Option<String>,
}

impl From<catalog::Summary> for ItemSummaryDto {
    fn from(s: catalog::Summary) -> Self {
        Self {
            task_code: s.task_code,
            name: s.name,
            name_en: s.name_en,
            item_type: s.item_type,
            org_id: s.org_id,
            org_name_zh: s.org_name_zh,
            division_code: s.division_code,
            online_depth: s.online_depth,
            promised_limit: s.promised_value,
            score: None,
            name_html: None,
            snippet_html: None,
        }
    }
}

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    /// Matching items in total.
    pub total: i64,
    /// This page (1-based).
    pub page: i64,
    /// Page size.
    pub page_size: i64,
    /// The items.
    pub items: Vec<ItemSummaryDto>,
}

/// A published item with its whole guide.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    /// 实施编码.
    pub task_code: String,
    /// 基本编码.
    pub catalog_code: String,
    /// Implementing organisation id.
    pub org_id: i64,
    /// Its credit code.
    pub org_credit_code: String,
    /// Its name.
    pub org_name_zh: String,
    /// Division code.
    pub division_code: String,
    /// Version number.
    pub version: i64,
    /// Published at (milliseconds since the Unix epoch).
    pub published_at: i64,
    /// The guide (办事指南): name, item_type, legal_basis, conditions,
    /// materials (each with its stable `code`, the `file_types` taken online
    /// and the size limit `max_mb`), process, legal_limit, promised_limit, case_kind, fees,
    /// handling_forms, service_objects, themes, online_depth, visits, place,
    /// hours, phones, faq, situations, aliases.
    #[schema(value_type = Object)]
    pub guide: serde_json::Value,
}

/// Published items, filtered by theme, service object, department (and the
/// departments below it) and division.
#[utoipa::path(get, path = "/api/v1/items", tag = "catalog",
    params(("q" = Option<String>, Query, max_length = 100, description = "words to search for (Chinese or English; colloquial words are understood), ranked by relevance"),
           ("theme" = Option<String>, Query, pattern = "^[A-Za-z0-9_]{1,40}$", description = "theme code, e.g. p_birth, e_permits"),
           ("object" = Option<String>, Query, pattern = "^[1-6]$", description = "服务对象 code (A.4): 1 natural person, 2 enterprise, 3 public institution, 4 social organisation, 5 government body, 6 other"),
           ("dept" = Option<i64>, Query, description = "organisation id: items it or the organisations below it implement"),
           ("division" = Option<String>, Query, pattern = "^(0[1-9]|[1-9][0-9])[0-9]{4}([0-9]{3}([0-9]{3})?)?$", description = "division code"),
           ("page" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "1-based page, 20 per page")),
    responses((status = 200, body = ItemPage), (status = 404, description = "no organisation has the id `dept`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_items(
    State(state): State<AppState>,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<ItemPage>, AppError> {
    let size = crate::catalog::portal::PAGE_SIZE;
    let f = browse_filter(&q, size)?;
    let (items, total) = match q.query() {
        Some(words) => {
            let t = crate::http::i18n::Tr::default();
            let (_, total, hits) =
                crate::catalog::portal::search_rows(&state, &t, words, &f).await?;
            let items = hits
                .into_iter()
                .map(|h| ItemSummaryDto {
                    score: Some(h.score),
                    name_html: Some(h.name_html),
                    snippet_html: Some(h.snippet_html),
                    ..ItemSummaryDto::from(h.summary)
                })
                .collect();
            (items, total)
        }
        None => {
            let found = state.browse(&f).await?;
            (
                found.0.iter().cloned().map(ItemSummaryDto::from).collect(),
                found.1,
            )
        }
    };
    Ok(Json(ItemPage {
        total,
        page: f.offset / size + 1,
        page_size: size,
        items,
    }))
}

/// One published item and its guide.
#[utoipa::path(get, path = "/api/v1/items/{task_code}", tag = "catalog", params(("task_code" = String, Path, description = "实施编码")),
    responses((status = 200, body = ItemDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_item(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ItemDto>, AppError> {
    let p = catalog::published(state.db(), &code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ItemDto {
        task_code: p.task_code,
        catalog_code: p.catalog_code,
        org_id: p.org.id,
        org_credit_code: p.org.credit_code,
        org_name_zh: p.org.name_zh,
        division_code: p.division_code,
        version: p.version_no,
        published_at: p.published_at,
        guide: serde_json::to_value(&p.guide).map_err(|e| AppError::Internal(e.into()))?,
    }))
}

/// Where implementations of the same basic item differ from the
/// highest-level one (同一事项、同一标准). Staff with a catalog, admin or
/// supervision role.
#[utoipa::path(get, path = "/api/v1/catalog/standardisation", tag = "catalog",
    params(("all" = Option<bool>, Query, description = "include items whose implementations agree")),
    responses((status = 200, body = Vec<Object>, description = "one report per basic code: the reference implementation and each variant with its divergences"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get_standardisation(
    State(state): State<AppState>,
    ctx: crate::http::ctx::Ctx,
    Query(q): Query<crate::catalog::admin::standards::StandardsQuery>,
) -> Result<Json<Vec<catalog::StandardReport>>, AppError> {
    crate::catalog::admin::standards::may_read_standards(&ctx)?;
    Ok(Json(catalog::standardisation(state.db(), !q.all).await?))
}

/// Largest import file (a whole city's catalog in CSV is a few MB).
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// Export and import format.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct TransferQuery {
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Import only: publish at once (system administrators).
    #[serde(default)]
    pub publish: bool,
}

/// The published catalog in the national exchange field names, as JSON or
/// CSV (UTF-8 with BOM). Open data: no sign-in needed.
#[utoipa::path(get, path = "/api/v1/catalog/export", tag = "catalog", params(TransferQuery),
    responses((status = 200, description = "JSON array or CSV file of exchange rows")))]
pub async fn export_catalog(
    State(state): State<AppState>,
    Query(q): Query<TransferQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let rows = tongban_core::catalog::exchange::export(state.db()).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(rows).into_response()),
        "csv" => {
            let body = tongban_core::catalog::exchange::to_csv(&rows)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"tongban-catalog.csv\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        _ => Err(AppError::field("format", "invalid")),
    }
}

/// Result of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Implementations created.
    pub imported: usize,
    /// Whether they were published (otherwise they are drafts for review).
    pub published: bool,
}

/// Reads an import file in either format; `first_row` is the row number of
/// the first record as people count in the file.
pub fn parse_import(
    format: &str,
    body: &[u8],
) -> Result<(Vec<tongban_core::catalog::exchange::ExchangeRow>, usize), AppError> {
    match format {
        "csv" => tongban_core::catalog::exchange::from_csv(body)
            .map(|rows| (rows, 2))
            .map_err(|e| tongban_core::catalog::exchange::ImportError::Rows(e).into()),
        "json" => serde_json::from_slice(body)
            .map(|rows| (rows, 1))
            .map_err(|e| AppError::BadRequest(format!("JSON: {e}"))),
        _ => Err(AppError::field("format", "invalid")),
    }
}

/// Import exchange rows: every row is checked first; a file with any
/// problem imports nothing and lists every problem with its row and field.
#[utoipa::path(post, path = "/api/v1/catalog/import", tag = "catalog", params(TransferQuery),
    request_body(content((Vec<Object> = "application/json"), (String = "text/csv")), description = "exchange rows: a JSON array (`format=json`, the default) or a CSV file with a header row (`format=csv`); at most 20,000 rows"),
    responses((status = 201, body = ImportResult), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn import_catalog(
    State(state): State<AppState>,
    ctx: crate::http::ctx::Ctx,
    Query(q): Query<TransferQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<(axum::http::StatusCode, Json<ImportResult>), AppError> {
    let s = ctx.require_session()?;
    // Decided before a byte of the file is read.
    tongban_core::catalog::exchange::may_import(&s.principal, q.publish)?;
    let body = axum::body::to_bytes(body, IMPORT_LIMIT)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    // Without `format`, a body sent as text/csv is read as CSV.
    let sent_csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/csv"));
    let format = q
        .format
        .as_deref()
        .unwrap_or(if sent_csv { "csv" } else { "json" });
    let (rows, first) = parse_import(format, &body)?;
    let n =
        tongban_core::catalog::exchange::import(state.db(), &s.principal, rows, q.publish, first)
            .await?;
    state.catalog_touched().await;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(ImportResult {
            imported: n,
            published: q.publish,
        }),
    ))
}

/// A material as an application form lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormMaterialDto {
    /// Stable code (kept across versions).
    pub code: String,
    /// Name.
    pub name: String,
    /// Must be given.
    pub required: bool,
    /// File types taken: `pdf`, `ofd`, `jpeg`, `png`.
    pub file_types: Vec<String>,
    /// Size limit of one file, in bytes.
    pub max_bytes: u64,
    /// Whether it is fetched instead of asked for.
    pub fetchable: FetchableKind,
    /// The certificate type or data set it is fetched from.
    pub fetched_from: String,
}

/// A situation (业务办理项) with the questions and materials it adds.
#[derive(Debug, Serialize, ToSchema)]
pub struct SituationFormDto {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// JSON Schema 2020-12 of the questions it adds.
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    /// Their sections.
    #[schema(value_type = Vec<Object>)]
    pub layout: serde_json::Value,
    /// The materials it adds.
    pub materials: Vec<FormMaterialDto>,
}

/// An item's application form in one published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFormDto {
    /// 实施编码.
    pub task_code: String,
    /// Item name.
    pub name: String,
    /// The version the form belongs to.
    pub version: i64,
    /// 网上办理深度 1–4: 3 and 4 are applied for online, 2 is an online
    /// pre-review before the visit, 1 is information only.
    pub online_depth: u8,
    /// The lowest real-name level an applicant needs.
    pub min_level: u8,
    /// JSON Schema 2020-12 of the answers (`fields` of an application);
    /// custom formats `gb11643-id-card`, `gb32100-credit-code`,
    /// `gbt2260-division` are checked with their check characters.
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    /// The question pages: each section's title and its fields in order,
    /// with the conditions that show them and what is prefilled.
    #[schema(value_type = Vec<Object>)]
    pub layout: serde_json::Value,
    /// The materials asked for.
    pub materials: Vec<FormMaterialDto>,
    /// Situations, each adding questions and materials.
    pub situations: Vec<SituationFormDto>,
}

/// Query of the form.
#[derive(Debug, serde::Deserialize)]
pub struct FormQuery {
    version: Option<i64>,
}

/// Where a material comes from instead of a file the applicant gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FetchableKind {
    /// The applicant gives it.
    No,
    /// From the e-certificate library (`fetched_from` names the type).
    Certificate,
    /// From a shared base library (`fetched_from` names the data set).
    SharedData,
    /// The application form itself is this material: nothing is uploaded,
    /// and the form as submitted stands in its place (origin `form`).
    FromForm,
}

fn form_materials(ms: &[tongban_domain::catalog::Material]) -> Vec<FormMaterialDto> {
    use tongban_domain::catalog::Fetchable;
    ms.iter()
        .map(|m| {
            let (fetchable, from) = match &m.fetchable {
                Fetchable::No => (FetchableKind::No, String::new()),
                Fetchable::Certificate(s) => (FetchableKind::Certificate, s.clone()),
                Fetchable::SharedData(s) => (FetchableKind::SharedData, s.clone()),
                Fetchable::FromForm => (FetchableKind::FromForm, String::new()),
            };
            FormMaterialDto {
                code: m.code.clone(),
                name: m.name.clone(),
                required: m.required,
                file_types: m.file_types.clone(),
                max_bytes: u64::from(m.max_mb) * 1024 * 1024,
                fetchable,
                fetched_from: from,
            }
        })
        .collect()
}

/// The application form of a published item: its questions as JSON Schema
/// 2020-12 and page layout, and the materials with their codes, file types
/// and size limits; of the current version, or of `version` (an
/// application keeps the version it was started under).
#[utoipa::path(get, path = "/api/v1/items/{task_code}/form", tag = "catalog",
    params(("task_code" = String, Path, description = "实施编码"),
           ("version" = Option<i64>, Query, minimum = 1, description = "a version that was published (default: the current one)")),
    responses((status = 200, body = ItemFormDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_item_form(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<FormQuery>,
) -> Result<Json<ItemFormDto>, AppError> {
    let p = catalog::published_version(state.db(), &code, q.version)
        .await?
        .ok_or(AppError::NotFound)?;
    let g = &p.guide;
    let id = format!(
        "{}/api/v1/items/{}/form?version={}",
        state.issuer(),
        p.task_code,
        p.version_no
    );
    Ok(Json(ItemFormDto {
        schema: g.form.json_schema(&id, &g.name),
        layout: g.form.layout(),
        materials: form_materials(&g.materials),
        situations: g
            .situations
            .iter()
            .map(|s| SituationFormDto {
                schema: s
                    .form
                    .json_schema(&format!("{id}#situation-{}", s.code), &s.name),
                layout: s.form.layout(),
                materials: form_materials(&s.materials),
                code: s.code.clone(),
                name: s.name.clone(),
            })
            .collect(),
        task_code: p.task_code,
        name: g.name.clone(),
        version: p.version_no,
        online_depth: g.online_depth,
        min_level: g.min_level,
    }))
}
