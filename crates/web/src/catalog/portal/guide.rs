//! One guide (办事指南): the article, cached per catalog generation, with its "what to bring" checklist.

use super::items::row;
use super::*;

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
    /// what an online application takes (file types, size limit), as
    /// text; empty when the item is not applied for online
    pub upload: String,
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
    /// online depth number (2 and above: applied for online)
    pub online_depth: u8,
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
                    Fetchable::FromForm => Some(t.get("guide.from_form")),
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
                // Depth Ⅲ and Ⅳ take the materials online.
                upload: if g.online_depth >= 3 && m.fetchable == Fetchable::No {
                    let types = m
                        .file_types
                        .iter()
                        .map(|t| t.to_ascii_uppercase())
                        .collect::<Vec<_>>()
                        .join(t.get("guide.list_sep").as_str());
                    t.fmt(
                        "guide.upload",
                        &[("types", &types), ("mb", &m.max_mb.to_string())],
                    )
                } else {
                    String::new()
                },
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
        fetched_count: g
            .materials
            .iter()
            .filter(|m| {
                matches!(
                    m.fetchable,
                    Fetchable::Certificate(_) | Fetchable::SharedData(_)
                )
            })
            .count(),
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
        online_depth: g.online_depth,
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
