//! Public catalog pages: browse services by theme, audience, department and
//! division; read one guide (办事指南) with its "what to bring" checklist.

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

/// A theme filter link.
#[derive(Debug)]
pub struct ThemeLink {
    /// code
    pub code: String,
    /// name
    pub name: String,
    /// published items
    pub count: i64,
    /// whether it is the active filter
    pub selected: bool,
}

/// A row of the item list.
#[derive(Debug)]
pub struct ItemRow {
    /// 实施编码
    pub task_code: String,
    /// name
    pub name: String,
    /// name as HTML, with search matches in `<b>` (always escaped)
    pub name_html: String,
    /// matching passage as HTML (search only)
    pub snippet_html: String,
    /// implementing department
    pub org: String,
    /// promised limit, as text
    pub limit: String,
    /// online depth label
    pub depth: String,
}

/// The `/items` filters.
#[derive(Debug, Deserialize, Default)]
pub struct ItemsQuery {
    /// words to search for
    pub q: Option<String>,
    /// theme code
    pub theme: Option<String>,
    /// service object code
    pub object: Option<String>,
    /// organisation id
    pub dept: Option<i64>,
    /// division code
    pub division: Option<String>,
    /// 1-based page
    pub page: Option<i64>,
}

impl ItemsQuery {
    /// The search words, if any were typed.
    pub fn query(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }

    /// The query string for these filters on another page.
    fn url(&self, page: i64) -> String {
        let mut parts = Vec::new();
        if let Some(q) = self.query() {
            parts.push(format!("q={}", urlencode(q)));
        }
        if let Some(t) = &self.theme {
            parts.push(format!("theme={}", urlencode(t)));
        }
        if let Some(o) = &self.object {
            parts.push(format!("object={}", urlencode(o)));
        }
        if let Some(d) = self.dept {
            parts.push(format!("dept={d}"));
        }
        if let Some(d) = &self.division {
            parts.push(format!("division={}", urlencode(d)));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/items".into()
        } else {
            format!("/items?{}", parts.join("&"))
        }
    }
}

/// `/items` view.
#[derive(Template)]
#[template(path = "catalog/items.html")]
pub struct ItemsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// themes for individuals
    pub person_themes: Vec<ThemeLink>,
    /// themes for businesses
    pub enterprise_themes: Vec<ThemeLink>,
    /// the heading (active filters)
    pub heading: String,
    /// results
    pub rows: Vec<ItemRow>,
    /// total matches
    pub total: i64,
    /// current page
    pub page: i64,
    /// page count
    pub pages: i64,
    /// previous page link
    pub prev_url: Option<String>,
    /// next page link
    pub next_url: Option<String>,
    /// whether any filter is active
    pub filtered: bool,
    /// the search words
    pub q: String,
}

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
fn code_text(t: &Tr, lists: &CodeLists, list: CodeList, code: &str) -> String {
    lists
        .get(list, code)
        .map(|e| t.pick(&e.zh, &e.en).to_owned())
        .unwrap_or_default()
}

fn depth_text(t: &Tr, lists: &CodeLists, depth: i64) -> String {
    code_text(t, lists, CodeList::OnlineDepth, &depth.to_string())
}

fn row(t: &Tr, lists: &CodeLists, s: &Summary) -> ItemRow {
    let name = t.pick(&s.name, &s.name_en).to_owned();
    ItemRow {
        task_code: s.task_code.clone(),
        name_html: escape(&name),
        snippet_html: String::new(),
        name,
        org: t.pick(&s.org_name_zh, &s.org_name_en).to_owned(),
        limit: limit_text(
            t,
            &TimeLimit {
                value: s.promised_value.max(0) as u32,
                ..TimeLimit::default()
            },
        ),
        depth: depth_text(t, lists, s.online_depth),
    }
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The rows of a search, with highlights; and the total number of matches.
pub async fn search_rows(
    state: &AppState,
    t: &Tr,
    q: &str,
    f: &Browse,
) -> Result<(Vec<ItemRow>, i64, Vec<tongban_core::catalog::search::Hit>), AppError> {
    let index = state.search().await?;
    let (hits, total) = index
        .search(
            q,
            f.theme.as_deref(),
            f.object.as_deref(),
            f.limit as usize,
            f.offset as usize,
        )
        .map_err(|e| AppError::Internal(e.into()))?;
    let lists = state.code_lists().await?;
    let rows = hits
        .iter()
        .map(|h| {
            let mut r = row(t, &lists, &h.summary);
            // Highlights are for the Chinese name; English pages show the plain name.
            if t.lang == crate::http::i18n::Lang::ZhCn || h.name_en.is_empty() {
                r.name_html = h.name_html.clone();
            }
            r.snippet_html = h.snippet_html.clone();
            r
        })
        .collect();
    Ok((rows, total as i64, hits))
}

/// Parses `/items` filters into a core query; bad values are field errors.
pub fn browse_filter(q: &ItemsQuery, limit: i64) -> Result<Browse, AppError> {
    let page = q.page.unwrap_or(1);
    if q.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::field("q", "搜索词不能超过100个字符"));
    }
    if q.query().is_some() && (q.dept.is_some() || q.division.is_some()) {
        return Err(AppError::field(
            "q",
            "搜索时暂不能同时按部门或区划筛选，请去掉其中一项",
        ));
    }
    if !(1..=10_000).contains(&page) {
        return Err(AppError::field("page", "页码应为1至10000"));
    }
    if let Some(d) = &q.division {
        DivisionCode::parse(d).map_err(|e| AppError::field("division", e.to_string()))?;
    }
    if let Some(o) = &q.object
        && rules::label(rules::SERVICE_OBJECTS, o).is_none()
    {
        return Err(AppError::field("object", "服务对象代码无效"));
    }
    if let Some(th) = &q.theme
        && (th.is_empty()
            || th.len() > 40
            || !th.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(AppError::field("theme", "主题代码无效"));
    }
    Ok(Browse {
        theme: q.theme.clone(),
        org_id: q.dept,
        division: q.division.clone(),
        object: q.object.clone(),
        limit,
        offset: (page - 1) * limit,
    })
}

/// `GET /items`.
pub async fn items_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let filter = browse_filter(&q, PAGE_SIZE)?;
    let (rows, total) = match q.query() {
        Some(words) => {
            let (rows, total, _) = search_rows(&state, &t, words, &filter).await?;
            (rows, total)
        }
        None => {
            let found = state.browse(&filter).await?;
            let lists = state.code_lists().await?;
            (
                found.0.iter().map(|s| row(&t, &lists, s)).collect(),
                found.1,
            )
        }
    };
    let themes = state.themes().await?;
    let mut heading = Vec::new();
    let link = |th: &catalog::Theme| ThemeLink {
        code: th.code.clone(),
        name: t.pick(&th.name_zh, &th.name_en).to_owned(),
        count: th.items,
        selected: q.theme.as_deref() == Some(th.code.as_str()),
    };
    if let Some(words) = q.query() {
        heading.push(t.fmt("search.heading", &[("q", words)]));
    }
    if let Some(th) = themes
        .iter()
        .find(|th| Some(th.code.as_str()) == q.theme.as_deref())
    {
        heading.push(t.pick(&th.name_zh, &th.name_en).to_owned());
    }
    if let Some((zh, en)) = q
        .object
        .as_deref()
        .and_then(|o| rules::label(rules::SERVICE_OBJECTS, o))
    {
        heading.push(t.pick(zh, en).to_owned());
    }
    if let Some(id) = q.dept {
        let org = tongban_core::kernel::orgs::get(state.db(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        heading.push(t.pick(&org.name_zh, &org.name_en).to_owned());
    }
    if let Some(code) = q
        .division
        .as_deref()
        .and_then(|d| DivisionCode::parse(d).ok())
    {
        let d = divisions::get(state.db(), &code)
            .await?
            .ok_or(AppError::NotFound)?;
        heading.push(t.pick(&d.name_zh, &d.name_en).to_owned());
    }
    let page = filter.offset / PAGE_SIZE + 1;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    render(&ItemsView {
        t,
        nav: Nav::from_ctx(&ctx),
        person_themes: themes
            .iter()
            .filter(|th| th.audience == "person")
            .map(link)
            .collect(),
        enterprise_themes: themes
            .iter()
            .filter(|th| th.audience == "enterprise")
            .map(link)
            .collect(),
        heading: if heading.is_empty() {
            t.get("items.title")
        } else {
            heading.join(" · ")
        },
        rows,
        total,
        q: q.q.clone().unwrap_or_default(),
        page,
        pages,
        prev_url: (page > 1).then(|| q.url(page - 1)),
        next_url: (page < pages).then(|| q.url(page + 1)),
        filtered: q.theme.is_some()
            || q.object.is_some()
            || q.dept.is_some()
            || q.division.is_some(),
    })
}

/// A material on the checklist.
#[derive(Debug)]
pub struct MaterialRow {
    /// name
    pub name: String,
    /// required or not
    pub required: bool,
    /// counts, as text
    pub counts: String,
    /// "not needed" explanation when fetchable
    pub fetched: Option<String>,
    /// 材料形式 and 来源渠道, as text
    pub kind: String,
    /// issuing body
    pub issuer: String,
    /// notes
    pub note: String,
    /// blank form file id (empty when none)
    pub blank_form: String,
    /// sample file id (empty when none)
    pub sample: String,
}

/// A fee line.
#[derive(Debug)]
pub struct FeeRow {
    /// name
    pub name: String,
    /// standard
    pub standard: String,
    /// basis
    pub basis: String,
}

/// The body of a guide page: the same for everyone reading it in one
/// language, so it is rendered once per catalog change and cached.
#[derive(Template)]
#[template(path = "catalog/item_article.html")]
pub struct ItemArticle {
    /// translator
    pub t: Tr,
    /// name
    pub name: String,
    /// other-language name
    pub alt_name: String,
    /// 实施编码
    pub task_code: String,
    /// 基本编码
    pub catalog_code: String,
    /// type label
    pub item_type: String,
    /// implementing body
    pub org: OrgLink,
    /// division code and name
    pub division: (String, String),
    /// version
    pub version_no: i64,
    /// published at
    pub published_at: String,
    /// legal basis
    pub basis: String,
    /// conditions
    pub conditions: Vec<String>,
    /// checklist
    pub materials: Vec<MaterialRow>,
    /// how many are fetched for the applicant
    pub fetched_count: usize,
    /// process
    pub process: Vec<String>,
    /// legal limit
    pub legal_limit: String,
    /// promised limit
    pub promised_limit: String,
    /// case kind label
    pub case_kind: String,
    /// special procedures
    pub special: Vec<String>,
    /// fees
    pub fees: Vec<FeeRow>,
    /// handling forms
    pub channels: Vec<String>,
    /// service objects
    pub objects: Vec<String>,
    /// online depth
    pub depth: String,
    /// visits
    pub visits: String,
    /// the real-name level needed (empty when none)
    pub min_level: String,
    /// flags (label, yes/no)
    pub flags: Vec<(String, String)>,
    /// place
    pub place: String,
    /// hours
    pub hours: String,
    /// consult phone
    pub consult: String,
    /// supervise phone
    pub supervise: String,
    /// FAQ
    pub faq: Vec<(String, String)>,
    /// situations (name, materials)
    pub situations: Vec<(String, Vec<String>)>,
    /// the same item elsewhere
    pub other_places: Vec<ItemRow>,
    /// related items of the same theme
    pub related: Vec<ItemRow>,
}

/// `/items/{task_code}` page: the layout around a cached article.
#[derive(Template)]
#[template(path = "catalog/item.html")]
pub struct ItemPage {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// page title
    pub title: String,
    /// the rendered guide (escaped when it was rendered)
    pub article: std::sync::Arc<String>,
}

/// `GET /items/{task_code}`.
pub async fn item_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    if code.len() > 36 {
        return Err(AppError::NotFound);
    }
    let code = code.trim().to_ascii_uppercase();
    let generation = state.catalog_generation().await?;
    let (title, article) = match state.guide_cache_get(generation, &code, t.tag()) {
        Some(hit) => hit,
        None => {
            let (title, html) = render_article(&state, t, &code).await?;
            state.guide_cache_put(generation, &code, t.tag(), title, html)
        }
    };
    render(&ItemPage {
        t,
        nav: Nav::from_ctx(&ctx),
        title,
        article,
    })
}

/// Renders the article of a published guide; `NotFound` if there is none.
async fn render_article(state: &AppState, t: Tr, code: &str) -> Result<(String, String), AppError> {
    let p = catalog::published(state.db(), code)
        .await?
        .ok_or(AppError::NotFound)?;
    let lists = state.code_lists().await?;
    let g = &p.guide;
    let division_name = match DivisionCode::parse(&p.division_code) {
        Ok(c) => divisions::get(state.db(), &c)
            .await?
            .map(|d| t.pick(&d.name_zh, &d.name_en).to_owned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let materials: Vec<MaterialRow> = g
        .materials
        .iter()
        .map(|m| {
            let mut counts = Vec::new();
            if m.originals > 0 {
                counts.push(t.fmt("guide.originals", &[("n", &m.originals.to_string())]));
            }
            if m.copies > 0 {
                counts.push(t.fmt("guide.copies", &[("n", &m.copies.to_string())]));
            }
            MaterialRow {
                name: m.name.clone(),
                required: m.required,
                counts: counts.join("，"),
                fetched: match &m.fetchable {
                    Fetchable::No => None,
                    Fetchable::Certificate(what) => {
                        Some(t.fmt("guide.fetch_certificate", &[("what", what)]))
                    }
                    Fetchable::SharedData(what) => {
                        Some(t.fmt("guide.fetch_shared", &[("what", what)]))
                    }
                },
                // How to bring it matters only when it must be brought.
                kind: if m.fetchable == Fetchable::No {
                    [
                        code_text(&t, &lists, CodeList::MaterialForm, &m.form),
                        code_text(&t, &lists, CodeList::MaterialSource, &m.source),
                    ]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
                } else {
                    String::new()
                },
                issuer: m.issuer.clone(),
                note: m.note.clone(),
                blank_form: m.blank_form.clone(),
                sample: m.sample.clone(),
            }
        })
        .collect();
    let label = |table: &[(&str, &str, &str)], c: &str| {
        rules::label(table, c)
            .map(|(zh, en)| t.pick(zh, en).to_owned())
            .unwrap_or_default()
    };
    let yes_no = |b: bool| t.get(if b { "guide.yes" } else { "guide.no" });
    let other_places = catalog::same_entry(state.db(), &p.catalog_code, &p.task_code)
        .await?
        .iter()
        .map(|s| row(&t, &lists, s))
        .collect();
    // Related: other items of the guide's first life-event theme.
    let related = match g.themes.first() {
        Some(theme) => {
            let f = Browse {
                theme: Some(theme.clone()),
                limit: 40,
                ..Browse::default()
            };
            let mut list = state.browse(&f).await?.0.clone();
            // The same department's items first: they are the likeliest next step.
            list.sort_by_key(|s| s.org_id != p.org.id);
            list.iter()
                .filter(|s| s.name != g.name)
                .map(|s| row(&t, &lists, s))
                .fold(Vec::<ItemRow>::new(), |mut acc, r| {
                    if acc.len() < 6 && !acc.iter().any(|x| x.name == r.name) {
                        acc.push(r);
                    }
                    acc
                })
        }
        None => Vec::new(),
    };
    let article = ItemArticle {
        t,
        name: t.pick(&g.name, &g.name_en).to_owned(),
        alt_name: if t.lang == crate::http::i18n::Lang::En {
            g.name.clone()
        } else {
            g.name_en.clone()
        },
        task_code: p.task_code.clone(),
        catalog_code: p.catalog_code.clone(),
        item_type: label(rules::ITEM_TYPES, &g.item_type),
        org: OrgLink::new(&t, &p.org),
        division: (p.division_code.clone(), division_name),
        version_no: p.version_no,
        published_at: format_cst(p.published_at),
        basis: g.legal_basis.clone(),
        conditions: g.conditions.clone(),
        fetched_count: materials.iter().filter(|m| m.fetched.is_some()).count(),
        materials,
        process: g.process.clone(),
        legal_limit: limit_text(&t, &g.legal_limit),
        promised_limit: limit_text(&t, &g.promised_limit),
        case_kind: t.get(match g.case_kind {
            CaseKind::Immediate => "guide.immediate",
            _ => "guide.promised",
        }),
        special: g.special_procedures.clone(),
        fees: g
            .fees
            .iter()
            .map(|f| FeeRow {
                name: f.name.clone(),
                standard: f.standard.clone(),
                basis: f.basis.clone(),
            })
            .collect(),
        channels: g
            .handling_forms
            .iter()
            .map(|c| label(rules::HANDLING_FORMS, c))
            .collect(),
        objects: g
            .service_objects
            .iter()
            .map(|c| label(rules::SERVICE_OBJECTS, c))
            .collect(),
        depth: depth_text(&t, &lists, g.online_depth.into()),
        visits: t.fmt("guide.visits_n", &[("n", &g.visits.to_string())]),
        min_level: match g.min_level {
            0 => String::new(),
            n => state
                .config()
                .identity
                .level(n.into())
                .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
                .unwrap_or_default(),
        },
        flags: vec![
            (t.get("guide.appointment"), yes_no(g.appointment)),
            (t.get("guide.online_payment"), yes_no(g.online_payment)),
            (t.get("guide.express"), yes_no(g.express_delivery)),
        ],
        place: g.place.clone(),
        hours: g.hours.clone(),
        consult: g.consult_phone.clone(),
        supervise: g.supervise_phone.clone(),
        faq: g
            .faq
            .iter()
            .map(|f| (f.question.clone(), f.answer.clone()))
            .collect(),
        situations: g
            .situations
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.materials.iter().map(|m| m.name.clone()).collect(),
                )
            })
            .collect(),
        other_places,
        related,
    };
    Ok((article.name.clone(), article.render()?))
}

/// `GET /items/{task_code}/guide.pdf`: the printable guide with an embedded
/// Chinese font, rendered off the async threads.
pub async fn guide_pdf_get(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    if code.len() > 36 {
        return Err(AppError::NotFound);
    }
    let p = catalog::published(state.db(), &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = state.config().public_url.trim_end_matches('/').to_owned();
    let facts = tongban_core::catalog::guide_pdf::GuideFacts {
        task_code: p.task_code.clone(),
        org_name: p.org.name_zh.clone(),
        version_no: p.version_no,
        published_at: format_cst(p.published_at),
        url: format!("{base}/items/{}", p.task_code),
        lists: (*state.code_lists().await?).clone(),
        min_level: match p.guide.min_level {
            0 => String::new(),
            n => state
                .config()
                .identity
                .level(n.into())
                .map(|l| l.name_zh.clone())
                .unwrap_or_default(),
        },
    };
    let guide = p.guide;
    let pdf = tokio::task::spawn_blocking(move || {
        tongban_core::catalog::guide_pdf::render(&guide, &facts)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("inline; filename=\"guide-{}.pdf\"", p.task_code);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        ],
        pdf,
    )
        .into_response())
}
