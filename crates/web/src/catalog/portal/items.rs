//! Lists of services: by theme, audience, department and division, and search.

use super::*;

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

pub(super) fn row(t: &Tr, lists: &CodeLists, s: &Summary) -> ItemRow {
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

/// The rows of a search, with highlights; and the total number of matches.
pub async fn search_rows(
    state: &AppState,
    t: &Tr,
    q: &str,
    f: &Browse,
) -> Result<(Vec<ItemRow>, i64, Vec<tongban_core::catalog::search::Hit>), AppError> {
    let org_path = match f.org_id {
        Some(id) => Some(
            tongban_core::catalog::org_scope(state.db(), id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let index = state.search().await?;
    let filter = tongban_core::catalog::search::Filter {
        theme: f.theme.as_deref(),
        object: f.object.as_deref(),
        division: f.division.as_deref(),
        org_path: org_path.as_deref(),
    };
    let (hits, total) = index
        .search(q, filter, f.limit as usize, f.offset as usize)
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
        return Err(AppError::field("q", "too_long"));
    }
    if !(1..=10_000).contains(&page) {
        return Err(AppError::field("page", "out_of_range"));
    }
    if let Some(d) = &q.division {
        DivisionCode::parse(d)
            .map_err(|e| AppError::problem("division", "invalid_code", e.to_string()))?;
    }
    if let Some(o) = &q.object
        && rules::label(rules::SERVICE_OBJECTS, o).is_none()
    {
        return Err(AppError::field("object", "invalid_code"));
    }
    if let Some(th) = &q.theme
        && (th.is_empty()
            || th.len() > 40
            || !th.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(AppError::field("theme", "invalid_code"));
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
