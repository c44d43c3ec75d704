//! Catalog administration: editors change drafts and submit them; an
//! administrator other than the submitter publishes or sends back; anyone
//! with a role over the item sees versions, history and differences.
//!
//! Forms work without JavaScript. A save that loses a race re-renders the
//! editor's input with a conflict notice, so nothing typed is lost.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::catalog::{self, CatalogError, NewItem, REVIEW_ROLES, Version, scope_paths};
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
use crate::http::error::FieldError;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render, render_form};
use crate::{AppError, AppState};

/// Roles that edit.
const EDIT_ROLES: &[Role] = &[Role::CatalogEditor, Role::SystemAdmin];

fn may(p: &Principal, roles: &[Role], org_path: &str) -> bool {
    roles.iter().any(|r| p.can(*r, org_path))
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

// ---------------------------------------------------------------- list

/// A row of the list.
#[derive(Debug)]
pub struct Row {
    /// item id
    pub item_id: i64,
    /// latest version id
    pub version_id: i64,
    /// name
    pub name: String,
    /// department
    pub org: String,
    /// "v3 · 待审核"
    pub version: String,
    /// status code, for styling
    pub status: String,
    /// updated
    pub updated: String,
}

/// `/admin/catalog` view.
#[derive(Template)]
#[template(path = "catalog/admin_list.html")]
pub struct ListView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// status filters (code, label, selected)
    pub filters: Vec<(String, String, bool)>,
    /// rows
    pub rows: Vec<Row>,
    /// total
    pub total: i64,
    /// notice
    pub notice: String,
    /// whether the person may create items
    pub can_create: bool,
}

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    done: Option<String>,
}

/// `GET /admin/catalog`.
pub async fn catalog_list_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(VersionStatus::from_code(s).ok_or_else(|| AppError::field("status", "状态无效"))?)
        }
        None => None,
    };
    let mut roles = EDIT_ROLES.to_vec();
    roles.extend_from_slice(REVIEW_ROLES);
    let paths = scope_paths(p, &roles);
    let (list, total) = catalog::admin_list(state.db(), &paths, status, 200, 0).await?;
    let mut filters = vec![(String::new(), t.get("acat.filter_all"), status.is_none())];
    for s in [
        VersionStatus::Draft,
        VersionStatus::InReview,
        VersionStatus::Scheduled,
        VersionStatus::Published,
        VersionStatus::Withdrawn,
    ] {
        filters.push((s.code().to_owned(), status_label(&t, s), status == Some(s)));
    }
    let notice = match q.done.as_deref() {
        Some("withdrawn") => t.get("acat.withdrawn"),
        Some("published") => t.get("acat.published"),
        Some("rejected") => t.get("acat.rejected"),
        Some("submitted") => t.get("acat.submitted"),
        _ => String::new(),
    };
    render(&ListView {
        t,
        nav: Nav::from_ctx(&ctx),
        filters,
        rows: list
            .into_iter()
            .map(|r| Row {
                item_id: r.item_id,
                version_id: r.version_id,
                name: r.name,
                org: r.org_name,
                version: format!("v{} · {}", r.version_no, status_label(&t, r.version_status)),
                status: r.version_status.code().to_owned(),
                updated: format_cst(r.updated_at),
            })
            .collect(),
        total,
        notice,
        can_create: p.has_role(Role::CatalogEditor) || p.has_role(Role::SystemAdmin),
    })
}

// ---------------------------------------------------------------- new

/// `/admin/catalog/new` view.
#[derive(Template)]
#[template(path = "catalog/admin_new.html")]
pub struct NewView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// organisations the editor may create items for (id, name)
    pub orgs: Vec<(i64, String)>,
    /// item types (code, label)
    pub types: Vec<(String, String)>,
    /// the form as typed
    pub form: NewForm,
    /// errors
    pub errors: Vec<FieldError>,
}

/// The new-item form.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct NewForm {
    /// basic code
    #[serde(default)]
    pub catalog_code: String,
    /// organisation id
    #[serde(default)]
    pub org_id: String,
    /// name
    #[serde(default)]
    pub name: String,
    /// type code
    #[serde(default)]
    pub item_type: String,
}

async fn editable_orgs(
    state: &AppState,
    t: &Tr,
    p: &Principal,
) -> Result<Vec<(i64, String)>, AppError> {
    let mut out = Vec::new();
    for path in scope_paths(p, EDIT_ROLES) {
        let Some(root) = orgs::list(state.db(), None, 10_000, 0)
            .await?
            .into_iter()
            .find(|o| o.path == path)
        else {
            continue;
        };
        for o in orgs::list(state.db(), Some(&root), 10_000, 0).await? {
            out.push((o.id, t.pick(&o.name_zh, &o.name_en).to_owned()));
        }
    }
    Ok(out)
}

fn types(t: &Tr) -> Vec<(String, String)> {
    rules::ITEM_TYPES
        .iter()
        .map(|(c, zh, en)| ((*c).to_owned(), format!("{c} {}", t.pick(zh, en))))
        .collect()
}

/// `GET /admin/catalog/new`.
pub async fn catalog_new_get(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let orgs = editable_orgs(&state, &t, p).await?;
    if orgs.is_empty() {
        return Err(AppError::Forbidden);
    }
    render(&NewView {
        t,
        nav: Nav::from_ctx(&ctx),
        orgs,
        types: types(&t),
        form: NewForm {
            item_type: "01".into(),
            ..NewForm::default()
        },
        errors: vec![],
    })
}

/// `POST /admin/catalog/new`.
pub async fn catalog_new_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let mut errors = Vec::new();
    if form.name.trim().is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            message: t.get("form.required"),
        });
    }
    let org_id = form.org_id.parse::<i64>().ok();
    if org_id.is_none() {
        errors.push(FieldError {
            field: "org_id".into(),
            message: t.get("form.required"),
        });
    }
    if errors.is_empty()
        && let Some(org_id) = org_id
    {
        let guide = Guide {
            name: form.name.trim().into(),
            item_type: form.item_type.clone(),
            online_depth: 1,
            ..Guide::default()
        };
        let new = NewItem {
            catalog_code: form.catalog_code.clone(),
            task_code: String::new(),
            org_id,
            division_code: String::new(),
            guide,
        };
        match catalog::create_item(state.db(), Actor::Person(p), new).await {
            Ok((_, version)) => {
                return Ok(
                    Redirect::to(&format!("/admin/catalog/versions/{version}")).into_response()
                );
            }
            Err(CatalogError::Code(e)) => errors.push(FieldError {
                field: "catalog_code".into(),
                message: e.to_string(),
            }),
            Err(CatalogError::DuplicateTaskCode) => errors.push(FieldError {
                field: "catalog_code".into(),
                message: CatalogError::DuplicateTaskCode.to_string(),
            }),
            Err(CatalogError::Forbidden | CatalogError::NotFound) => errors.push(FieldError {
                field: "org_id".into(),
                message: t.get("admin.org_out_of_scope"),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    let orgs = editable_orgs(&state, &t, p).await?;
    let mut res = render(&NewView {
        t,
        nav: Nav::from_ctx(&ctx),
        orgs,
        types: types(&t),
        form,
        errors,
    })?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

// ---------------------------------------------------------------- version

/// A material row of the form.
#[derive(Debug, Default)]
pub struct MRow {
    /// name
    pub name: String,
    /// required
    pub required: bool,
    /// originals
    pub originals: String,
    /// copies
    pub copies: String,
    /// `no`, `cert`, `shared`
    pub fetch: String,
    /// certificate or data set
    pub fetch_name: String,
    /// 材料形式 code
    pub form: String,
    /// 来源渠道 code
    pub source: String,
    /// 出具单位
    pub issuer: String,
    /// note
    pub note: String,
    /// blank form file id
    pub blank_form: String,
    /// sample file id
    pub sample: String,
}

/// The guide as form values.
#[derive(Debug, Default)]
pub struct GuideForm {
    /// scalar fields by name
    pub name: String,
    /// English name
    pub name_en: String,
    /// type
    pub item_type: String,
    /// legal basis
    pub legal_basis: String,
    /// conditions, one per line
    pub conditions: String,
    /// process, one per line
    pub process: String,
    /// special procedures, one per line
    pub special: String,
    /// aliases, one per line
    pub aliases: String,
    /// legal limit
    pub legal_limit: String,
    /// promised limit
    pub promised_limit: String,
    /// case kind code
    pub case_kind: String,
    /// depth
    pub online_depth: String,
    /// visits
    pub visits: String,
    /// minimum real-name level (`0` = none)
    pub min_level: String,
    /// flags
    pub appointment: bool,
    /// flags
    pub online_payment: bool,
    /// flags
    pub express_delivery: bool,
    /// place
    pub place: String,
    /// hours
    pub hours: String,
    /// consult
    pub consult_phone: String,
    /// supervise
    pub supervise_phone: String,
    /// result
    pub result_name: String,
    /// selected handling forms
    pub handling_forms: Vec<String>,
    /// selected service objects
    pub service_objects: Vec<String>,
    /// selected themes
    pub themes: Vec<String>,
    /// materials, with blank rows to add more
    pub materials: Vec<MRow>,
    /// fees (name, standard, basis)
    pub fees: Vec<(String, String, String)>,
    /// faq
    pub faq: Vec<(String, String)>,
    /// situations: (name, materials one per line in compact form)
    pub situations: Vec<(String, String)>,
}

fn lines(v: &[String]) -> String {
    v.join("\n")
}

impl GuideForm {
    /// The form for a guide, with blank rows for additions.
    pub fn from_guide(g: &Guide) -> Self {
        let mut materials: Vec<MRow> = g
            .materials
            .iter()
            .map(|m| {
                let (fetch, fetch_name) = match &m.fetchable {
                    Fetchable::No => ("no", String::new()),
                    Fetchable::Certificate(s) => ("cert", s.clone()),
                    Fetchable::SharedData(s) => ("shared", s.clone()),
                };
                MRow {
                    name: m.name.clone(),
                    required: m.required,
                    originals: m.originals.to_string(),
                    copies: m.copies.to_string(),
                    fetch: fetch.into(),
                    fetch_name,
                    form: m.form.clone(),
                    source: m.source.clone(),
                    issuer: m.issuer.clone(),
                    note: m.note.clone(),
                    blank_form: m.blank_form.clone(),
                    sample: m.sample.clone(),
                }
            })
            .collect();
        for _ in 0..3 {
            let blank = Material::default();
            materials.push(MRow {
                fetch: "no".into(),
                originals: "1".into(),
                copies: "0".into(),
                form: blank.form,
                source: blank.source,
                ..MRow::default()
            });
        }
        let mut fees: Vec<_> = g
            .fees
            .iter()
            .map(|f| (f.name.clone(), f.standard.clone(), f.basis.clone()))
            .collect();
        fees.push(Default::default());
        let mut faq: Vec<_> = g
            .faq
            .iter()
            .map(|q| (q.question.clone(), q.answer.clone()))
            .collect();
        let mut situations: Vec<(String, String)> = g
            .situations
            .iter()
            .map(|st| {
                let lines: Vec<String> = st
                    .materials
                    .iter()
                    .map(tongban_core::catalog::exchange::format_material)
                    .collect();
                (st.name.clone(), lines.join("\n"))
            })
            .collect();
        situations.push(Default::default());
        faq.push(Default::default());
        Self {
            name: g.name.clone(),
            name_en: g.name_en.clone(),
            item_type: g.item_type.clone(),
            legal_basis: g.legal_basis.clone(),
            conditions: lines(&g.conditions),
            process: lines(&g.process),
            special: lines(&g.special_procedures),
            aliases: lines(&g.aliases),
            legal_limit: g.legal_limit.value.to_string(),
            promised_limit: g.promised_limit.value.to_string(),
            case_kind: match g.case_kind {
                CaseKind::Immediate => "1",
                CaseKind::Promised => "2",
                CaseKind::Other => "9",
            }
            .into(),
            online_depth: g.online_depth.to_string(),
            visits: g.visits.to_string(),
            min_level: g.min_level.to_string(),
            appointment: g.appointment,
            online_payment: g.online_payment,
            express_delivery: g.express_delivery,
            place: g.place.clone(),
            hours: g.hours.clone(),
            consult_phone: g.consult_phone.clone(),
            supervise_phone: g.supervise_phone.clone(),
            result_name: g.result_name.clone(),
            handling_forms: g.handling_forms.clone(),
            service_objects: g.service_objects.clone(),
            themes: g.themes.clone(),
            materials,
            fees,
            faq,
            situations,
        }
    }

    /// Whether a checkbox value is selected.
    pub fn has(&self, list: &str, code: &str) -> bool {
        let l = match list {
            "handling_forms" => &self.handling_forms,
            "service_objects" => &self.service_objects,
            _ => &self.themes,
        };
        l.iter().any(|c| c == code)
    }
}

/// Reads the posted form into a guide; numbers that are not numbers are
/// reported and the form is shown again.
fn guide_from_pairs(
    t: &Tr,
    pairs: &[(String, String)],
    base: &Guide,
) -> (Guide, GuideForm, Vec<FieldError>) {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let all = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let split = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut errors = Vec::new();
    let mut num = |field: &str, v: &str| -> u32 {
        if v.is_empty() {
            return 0;
        }
        v.parse::<u32>().unwrap_or_else(|_| {
            errors.push(FieldError {
                field: field.into(),
                message: t.get("acat.not_number"),
            });
            0
        })
    };
    let legal = num("legal_limit", &one("legal_limit"));
    let promised = num("promised_limit", &one("promised_limit"));
    let depth = num("online_depth", &one("online_depth")).min(255) as u8;
    let visits = num("visits", &one("visits")).min(255) as u8;
    let min_level = num("min_level", &one("min_level")).min(255) as u8;
    let mut materials = Vec::new();
    let mut mrows = Vec::new();
    for i in 0..100 {
        let key = |f: &str| format!("m{i}_{f}");
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("m{i}_"))) {
            break;
        }
        let row = MRow {
            name: one(&key("name")),
            required: !one(&key("required")).is_empty(),
            originals: one(&key("originals")),
            copies: one(&key("copies")),
            fetch: one(&key("fetch")),
            fetch_name: one(&key("fetch_name")),
            form: one(&key("form")),
            source: one(&key("source")),
            issuer: one(&key("issuer")),
            note: one(&key("note")),
            blank_form: one(&key("blank_form")),
            sample: one(&key("sample")),
        };
        if !(row.name.is_empty()
            && row.fetch_name.is_empty()
            && row.issuer.is_empty()
            && row.note.is_empty())
        {
            materials.push(Material {
                name: row.name.clone(),
                required: row.required,
                originals: num(&key("originals"), &row.originals).min(255) as u8,
                copies: num(&key("copies"), &row.copies).min(255) as u8,
                fetchable: match row.fetch.as_str() {
                    "cert" => Fetchable::Certificate(row.fetch_name.clone()),
                    "shared" => Fetchable::SharedData(row.fetch_name.clone()),
                    _ => Fetchable::No,
                },
                form: row.form.clone(),
                source: row.source.clone(),
                issuer: row.issuer.clone(),
                note: row.note.clone(),
                blank_form: row.blank_form.clone(),
                sample: row.sample.clone(),
            });
        }
        mrows.push(row);
    }
    let mut fees = Vec::new();
    let mut frows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("f{i}_"))) {
            break;
        }
        let r = (
            one(&format!("f{i}_name")),
            one(&format!("f{i}_standard")),
            one(&format!("f{i}_basis")),
        );
        if !(r.0.is_empty() && r.1.is_empty() && r.2.is_empty()) {
            fees.push(Fee {
                name: r.0.clone(),
                standard: r.1.clone(),
                basis: r.2.clone(),
                ..Fee::default()
            });
        }
        frows.push(r);
    }
    let mut faq = Vec::new();
    let mut qrows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("q{i}_"))) {
            break;
        }
        let r = (one(&format!("q{i}_question")), one(&format!("q{i}_answer")));
        if !(r.0.is_empty() && r.1.is_empty()) {
            faq.push(Faq {
                question: r.0.clone(),
                answer: r.1.clone(),
            });
        }
        qrows.push(r);
    }
    let mut situations = Vec::new();
    let mut srows = Vec::new();
    for i in 0..50 {
        if !pairs.iter().any(|(n, _)| n.starts_with(&format!("s{i}_"))) {
            break;
        }
        let r = (one(&format!("s{i}_name")), one(&format!("s{i}_materials")));
        if !(r.0.is_empty() && r.1.is_empty()) {
            situations.push(tongban_domain::catalog::Situation {
                code: String::new(),
                name: r.0.clone(),
                materials: split(&r.1)
                    .iter()
                    .filter_map(|m| {
                        tongban_core::catalog::exchange::parse_material(m)
                            .map_err(|message| {
                                errors.push(FieldError {
                                    field: format!("situations[{i}]"),
                                    message,
                                })
                            })
                            .ok()
                    })
                    .collect(),
            });
        }
        srows.push(r);
    }
    let g = Guide {
        name: one("name"),
        name_en: one("name_en"),
        item_type: one("item_type"),
        legal_basis: one("legal_basis"),
        conditions: split(&one("conditions")),
        process: split(&one("process")),
        special_procedures: split(&one("special")),
        aliases: split(&one("aliases")),
        legal_limit: TimeLimit {
            value: legal,
            ..base.legal_limit.clone()
        },
        promised_limit: TimeLimit {
            value: promised,
            ..base.promised_limit.clone()
        },
        case_kind: match one("case_kind").as_str() {
            "1" => CaseKind::Immediate,
            "9" => CaseKind::Other,
            _ => CaseKind::Promised,
        },
        online_depth: depth,
        visits,
        min_level,
        appointment: !one("appointment").is_empty(),
        online_payment: !one("online_payment").is_empty(),
        express_delivery: !one("express_delivery").is_empty(),
        place: one("place"),
        hours: one("hours"),
        consult_phone: one("consult_phone"),
        supervise_phone: one("supervise_phone"),
        result_name: one("result_name"),
        handling_forms: all("handling_forms"),
        service_objects: all("service_objects"),
        themes: all("themes"),
        materials,
        fees,
        faq,
        // Elements this form does not edit are kept from the version.
        situations,
        quantity_limit: base.quantity_limit.clone(),
        intermediary: base.intermediary.clone(),
    };
    let mut form = GuideForm::from_guide(&g);
    // Show exactly what was typed (including rows the guide dropped as empty).
    form.legal_limit = one("legal_limit");
    form.promised_limit = one("promised_limit");
    form.online_depth = one("online_depth");
    form.visits = one("visits");
    form.min_level = one("min_level");
    if !mrows.is_empty() {
        form.materials = mrows;
    }
    if !frows.is_empty() {
        form.fees = frows;
    }
    if !qrows.is_empty() {
        form.faq = qrows;
    }
    if !srows.is_empty() {
        form.situations = srows;
    }
    (g, form, errors)
}

/// `/admin/catalog/versions/{id}` view.
#[derive(Template)]
#[template(path = "catalog/admin_version.html")]
pub struct VersionView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// version id
    pub id: i64,
    /// item id
    pub item_id: i64,
    /// heading
    pub heading: String,
    /// status label
    pub status: String,
    /// revision to post back
    pub revision: i64,
    /// whether the form is editable
    pub can_edit: bool,
    /// whether the review buttons show
    pub can_review: bool,
    /// the form
    pub form: GuideForm,
    /// field errors (blocking)
    pub errors: Vec<FieldError>,
    /// publication problems (advice while editing)
    pub problems: Vec<FieldError>,
    /// notice
    pub notice: String,
    /// whether a conflict happened
    pub conflict: bool,
    /// changes against the published version (None if nothing is published)
    pub changes: Option<Vec<Change>>,
    /// public page link when published
    pub public_task_code: Option<String>,
    /// choices
    pub types: Vec<(String, String)>,
    /// choices
    pub handling_forms: Vec<(String, String)>,
    /// choices
    pub service_objects: Vec<(String, String)>,
    /// choices
    pub themes: Vec<(String, String)>,
    /// choices
    pub depths: Vec<(String, String)>,
    /// choices of the minimum real-name level
    pub levels: Vec<(String, String)>,
    /// choices of 材料形式
    pub material_forms: Vec<(String, String)>,
    /// choices of 来源渠道
    pub material_sources: Vec<(String, String)>,
    /// scheduled dates, when any
    pub schedule_info: String,
}

impl VersionView {
    /// Whether a code is among the choices of a material list (`form` or
    /// `source`); an unknown stored code is then shown as itself, never
    /// silently replaced by the first choice.
    pub fn known(&self, list: &str, code: &str) -> bool {
        let choices = if list == "form" {
            &self.material_forms
        } else {
            &self.material_sources
        };
        choices.iter().any(|(c, _)| c == code)
    }
}

/// Query of the version page.
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    done: Option<String>,
}

struct Loaded {
    v: Version,
    item: catalog::Item,
    org_path: String,
}

async fn load(state: &AppState, id: i64) -> Result<Loaded, AppError> {
    let v = catalog::version(state.db(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = catalog::item(state.db(), v.item_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let org = orgs::get(state.db(), item.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        v,
        item,
        org_path: org.path,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one place assembles the page from its parts"
)]
async fn version_view(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    form: Option<GuideForm>,
    shown_guide: &Guide,
    errors: Vec<FieldError>,
    notice: String,
    conflict: bool,
) -> Result<VersionView, AppError> {
    let t = ctx.tr();
    let p = principal(ctx)?;
    if !may(p, EDIT_ROLES, &l.org_path) && !may(p, REVIEW_ROLES, &l.org_path) {
        return Err(AppError::Forbidden);
    }
    let published = match l.item.published_version_id {
        Some(pid) if pid != l.v.id => catalog::version(state.db(), pid).await?.map(|pv| pv.guide),
        _ => None,
    };
    let themes = state.themes().await?;
    let lists = state.code_lists().await?;
    let choices = |list: CodeList| -> Vec<(String, String)> {
        lists
            .entries(list)
            .iter()
            .map(|e| (e.code.clone(), t.pick(&e.zh, &e.en).to_owned()))
            .collect()
    };
    let label = |table: &[(&str, &str, &str)]| -> Vec<(String, String)> {
        table
            .iter()
            .map(|(c, zh, en)| ((*c).to_owned(), t.pick(zh, en).to_owned()))
            .collect()
    };
    Ok(VersionView {
        t,
        nav: Nav::from_ctx(ctx),
        id: l.v.id,
        item_id: l.item.id,
        heading: t.fmt(
            if l.v.status == VersionStatus::Draft {
                "acat.edit_title"
            } else {
                "acat.view_title"
            },
            &[
                ("name", &l.v.guide.name),
                ("v", &l.v.version_no.to_string()),
            ],
        ),
        status: status_label(&t, l.v.status),
        revision: l.v.revision,
        can_edit: l.v.status == VersionStatus::Draft && may(p, EDIT_ROLES, &l.org_path),
        can_review: l.v.status == VersionStatus::InReview && may(p, REVIEW_ROLES, &l.org_path),
        form: form.unwrap_or_else(|| GuideForm::from_guide(&l.v.guide)),
        errors,
        problems: rules::validate(shown_guide, &lists)
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
        notice,
        conflict,
        changes: published.map(|pg| diff(&pg, shown_guide)),
        public_task_code: (l.item.published_version_id == Some(l.v.id))
            .then(|| l.item.task_code.clone()),
        types: types(&t),
        handling_forms: label(rules::HANDLING_FORMS),
        service_objects: label(rules::SERVICE_OBJECTS),
        themes: themes
            .iter()
            .map(|th| (th.code.clone(), t.pick(&th.name_zh, &th.name_en).to_owned()))
            .collect(),
        schedule_info: if l.v.effective_at.is_some() || l.v.cancel_at.is_some() {
            let show = |at: Option<i64>| at.map(format_cst).unwrap_or_else(|| t.get("acat.none"));
            t.fmt(
                "acat.schedule_info",
                &[
                    ("effective", &show(l.v.effective_at)),
                    ("cancel", &show(l.v.cancel_at)),
                ],
            )
        } else {
            String::new()
        },
        depths: choices(CodeList::OnlineDepth),
        material_forms: choices(CodeList::MaterialForm),
        levels: std::iter::once(("0".to_owned(), t.get("guide.min_level_none")))
            .chain(
                state
                    .config()
                    .identity
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        (
                            (i + 1).to_string(),
                            t.pick(&l.name_zh, &l.name_en).to_owned(),
                        )
                    }),
            )
            .collect(),
        material_sources: choices(CodeList::MaterialSource),
    })
}

/// `GET /admin/catalog/versions/{id}`.
pub async fn version_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let l = load(&state, id).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => t.get("acat.saved"),
        Some("draft_opened") => t.get("acat.draft_opened"),
        _ => String::new(),
    };
    let guide = l.v.guide.clone();
    render(&version_view(&state, &ctx, &l, None, &guide, vec![], notice, false).await?)
}

/// `POST /admin/catalog/versions/{id}`: save, submit, publish or send back.
pub async fn version_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?.clone();
    let l = load(&state, id).await?;
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let revision: i64 = field("revision")
        .parse()
        .map_err(|_| AppError::field("revision", "缺少版本修订号"))?;
    let action = field("action");
    let db = state.db();
    match action.as_str() {
        "save" | "submit" => {
            let (guide, form, errors) = guide_from_pairs(&t, &pairs, &l.v.guide);
            if !errors.is_empty() {
                let view = version_view(
                    &state,
                    &ctx,
                    &l,
                    Some(form),
                    &guide,
                    errors,
                    String::new(),
                    false,
                )
                .await?;
                return unprocessable(&view);
            }
            let saved =
                match catalog::save_draft(db, Actor::Person(&p), id, revision, guide.clone()).await
                {
                    Ok(r) => r,
                    Err(CatalogError::Conflict) => {
                        let fresh = load(&state, id).await?;
                        let mut view = version_view(
                            &state,
                            &ctx,
                            &fresh,
                            Some(form),
                            &guide,
                            vec![],
                            String::new(),
                            true,
                        )
                        .await?;
                        view.errors.push(FieldError {
                            field: "name".into(),
                            message: t.get("acat.conflict"),
                        });
                        let mut res = render(&view)?;
                        *res.status_mut() = StatusCode::CONFLICT;
                        return Ok(res);
                    }
                    Err(e) => return Err(e.into()),
                };
            if action == "save" {
                return Ok(
                    Redirect::to(&format!("/admin/catalog/versions/{id}?done=saved"))
                        .into_response(),
                );
            }
            match catalog::submit(db, Actor::Person(&p), id, saved).await {
                Ok(()) => Ok(Redirect::to("/admin/catalog?done=submitted").into_response()),
                Err(CatalogError::Invalid(problems)) => {
                    let fresh = load(&state, id).await?;
                    let errors = problems
                        .into_iter()
                        .map(|e| FieldError {
                            field: e.field,
                            message: e.message,
                        })
                        .collect();
                    let view = version_view(
                        &state,
                        &ctx,
                        &fresh,
                        None,
                        &fresh.v.guide,
                        errors,
                        t.get("acat.saved"),
                        false,
                    )
                    .await?;
                    unprocessable(&view)
                }
                Err(e) => Err(e.into()),
            }
        }
        "publish" => {
            let date = |k: &str| -> Result<Option<i64>, AppError> {
                let v = field(k);
                if v.trim().is_empty() {
                    return Ok(None);
                }
                tongban_core::platform::clock::parse_cst_date(&v)
                    .map(Some)
                    .ok_or_else(|| AppError::field(k, t.get("acat.bad_date")))
            };
            let schedule = catalog::Schedule {
                effective_at: date("effective_date")?,
                cancel_at: date("cancel_date")?,
            };
            catalog::publish_on(
                db,
                Actor::Person(&p),
                id,
                revision,
                schedule,
                tongban_core::platform::clock::now_ms(),
            )
            .await?;
            state.catalog_touched().await;
            Ok(Redirect::to("/admin/catalog?done=published").into_response())
        }
        "reject" => {
            catalog::reject(db, Actor::Person(&p), id, revision, &field("note")).await?;
            Ok(Redirect::to("/admin/catalog?done=rejected").into_response())
        }
        _ => Err(AppError::field("action", "未知操作")),
    }
}

fn unprocessable(view: &VersionView) -> Result<Response, AppError> {
    let mut res = render(view)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

// ---------------------------------------------------------------- item

/// `/admin/catalog/items/{id}` view.
#[derive(Template)]
#[template(path = "catalog/admin_item.html")]
pub struct ItemAdminView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// item id
    pub id: i64,
    /// name
    pub name: String,
    /// task code
    pub task_code: String,
    /// published?
    pub published: bool,
    /// versions (id, no, status label, updated)
    pub versions: Vec<(i64, i64, String, String)>,
    /// history (when, action, who, note)
    pub history: Vec<(String, String, String, String)>,
    /// comparison (from no, to no, changes)
    pub compare: Option<(i64, i64, Vec<Change>)>,
    /// whether the person may edit
    pub can_edit: bool,
    /// whether the person may withdraw
    pub can_review: bool,
    /// notice
    pub notice: String,
}

/// Query of the item page.
#[derive(Debug, Deserialize)]
pub struct ItemQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /admin/catalog/items/{id}`.
pub async fn item_admin_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?;
    let item = catalog::item(state.db(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let org = orgs::get(state.db(), item.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (can_edit, can_review) = (
        may(p, EDIT_ROLES, &org.path),
        may(p, REVIEW_ROLES, &org.path),
    );
    if !can_edit && !can_review {
        return Err(AppError::Forbidden);
    }
    let versions = catalog::versions(state.db(), id).await?;
    let compare = match (q.from, q.to) {
        (Some(a), Some(b)) => {
            let va = versions
                .iter()
                .find(|v| v.version_no == a)
                .ok_or_else(|| AppError::field("from", "版本不存在"))?;
            let vb = versions
                .iter()
                .find(|v| v.version_no == b)
                .ok_or_else(|| AppError::field("to", "版本不存在"))?;
            Some((a, b, diff(&va.guide, &vb.guide)))
        }
        _ => None,
    };
    let history = catalog::history(state.db(), id)
        .await?
        .into_iter()
        .map(|e| {
            (
                format_cst(e.at),
                t.get(&format!("action.{}", e.action)),
                e.actor.unwrap_or_default(),
                e.note,
            )
        })
        .collect();
    render(&ItemAdminView {
        t,
        nav: Nav::from_ctx(&ctx),
        id,
        name: versions
            .first()
            .map(|v| v.guide.name.clone())
            .unwrap_or_default(),
        task_code: item.task_code.clone(),
        published: item.published_version_id.is_some(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version_no,
                    status_label(&t, v.status),
                    format_cst(v.updated_at),
                )
            })
            .collect(),
        history,
        compare,
        can_edit,
        can_review,
        notice: String::new(),
    })
}

/// The item actions form.
#[derive(Debug, Deserialize)]
pub struct ItemAction {
    action: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/catalog/items/{id}`: open a new draft, or withdraw.
pub async fn item_admin_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ItemAction>,
) -> Result<Response, AppError> {
    let p = principal(&ctx)?.clone();
    match f.action.as_str() {
        "open_draft" => {
            let v = catalog::open_draft(state.db(), Actor::Person(&p), id).await?;
            Ok(
                Redirect::to(&format!("/admin/catalog/versions/{v}?done=draft_opened"))
                    .into_response(),
            )
        }
        "withdraw" => {
            catalog::withdraw(state.db(), Actor::Person(&p), id, &f.note).await?;
            state.catalog_touched().await;
            Ok(Redirect::to("/admin/catalog?done=withdrawn").into_response())
        }
        _ => Err(AppError::field("action", "未知操作")),
    }
}

/// `/admin/catalog/standards` view.
#[derive(Template)]
#[template(path = "catalog/admin_standards.html")]
pub struct StandardsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the report
    pub reports: Vec<catalog::StandardReport>,
    /// whether all multi-place items are shown
    pub all: bool,
}

/// Query of the standardisation report.
#[derive(Debug, Deserialize)]
pub struct StandardsQuery {
    /// include items whose implementations agree
    #[serde(default)]
    pub all: bool,
}

/// Who may read the standardisation report: editors, admins, supervisors.
pub fn may_read_standards(ctx: &Ctx) -> Result<(), AppError> {
    let p = &ctx.require_session()?.principal;
    if [
        Role::CatalogEditor,
        Role::SystemAdmin,
        Role::DeptAdmin,
        Role::Supervisor,
    ]
    .iter()
    .any(|r| p.has_role(*r))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `GET /admin/catalog/standards`.
pub async fn standards_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StandardsQuery>,
) -> Result<Response, AppError> {
    may_read_standards(&ctx)?;
    let reports = catalog::standardisation(state.db(), !q.all).await?;
    render(&StandardsView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        reports,
        all: q.all,
    })
}

/// `/admin/catalog/transfer` view.
#[derive(Template)]
#[template(path = "catalog/admin_transfer.html")]
pub struct TransferView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// whether the person may publish on import
    pub can_publish: bool,
    /// problems of the last upload (row, field, message)
    pub problems: Vec<(usize, String, String)>,
    /// a message after an upload
    pub notice: String,
    /// errors for the summary (missing file)
    pub errors: Vec<FieldError>,
}

/// `GET /admin/catalog/transfer`.
pub async fn transfer_get(ctx: Ctx) -> Result<Response, AppError> {
    let p = principal(&ctx)?;
    tongban_core::catalog::exchange::may_import(p, false)?;
    let can_publish = p.has_role(Role::SystemAdmin);
    render(&TransferView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        can_publish,
        problems: vec![],
        notice: String::new(),
        errors: vec![],
    })
}

/// `POST /admin/catalog/transfer` (multipart: `file`, `publish`).
pub async fn transfer_post(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?.clone();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut publish = false;
    // Who may import is decided before the file is read; publishing is
    // checked again with the choice once the form is read.
    tongban_core::catalog::exchange::may_import(&p, false)?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_ascii_lowercase();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                if !bytes.is_empty() {
                    file = Some((name, bytes.to_vec()));
                }
            }
            Some("publish") => publish = true,
            _ => {}
        }
    }
    let view = |problems, notice, errors| TransferView {
        t,
        nav: Nav::from_ctx(&ctx),
        can_publish: p.has_role(Role::SystemAdmin),
        problems,
        notice,
        errors,
    };
    let Some((name, bytes)) = file else {
        let v = view(
            vec![],
            String::new(),
            vec![FieldError {
                field: "file".into(),
                message: t.get("xfer.no_file"),
            }],
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&v)?).into_response());
    };
    let format = if name.ends_with(".csv") {
        "csv"
    } else {
        "json"
    };
    let parsed = crate::catalog::api::parse_import(format, &bytes);
    let result = match parsed {
        Ok((rows, first)) => {
            tongban_core::catalog::exchange::import(state.db(), &p, rows, publish, first)
                .await
                .map_err(AppError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => {
            state.catalog_touched().await;
            let key = if publish {
                "xfer.done"
            } else {
                "xfer.done_drafts"
            };
            render(&view(vec![], t.fmt(key, &[("n", &n.to_string())]), vec![]))
        }
        Err(AppError::Validation(fields)) => {
            let problems = fields
                .into_iter()
                .map(|f| {
                    // "row 3 task_name" back into its parts for the table.
                    let mut parts = f.field.splitn(3, ' ');
                    let _ = parts.next();
                    let row = parts.next().and_then(|r| r.parse().ok()).unwrap_or(0);
                    (row, parts.next().unwrap_or("").to_owned(), f.message)
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&view(problems, String::new(), vec![]))?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// `/admin/catalog/themes` view.
#[derive(Template)]
#[template(path = "catalog/admin_themes.html")]
pub struct ThemesView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the themes
    pub themes: Vec<catalog::Theme>,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
}

/// The theme form.
#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    sort_order: String,
}

fn require_system_admin(ctx: &Ctx) -> Result<&Principal, AppError> {
    let p = &ctx.require_session()?.principal;
    if p.has_role(Role::SystemAdmin) {
        Ok(p)
    } else {
        Err(AppError::Forbidden)
    }
}

/// `GET /admin/catalog/themes`.
pub async fn themes_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    require_system_admin(&ctx)?;
    let themes = catalog::themes(state.db()).await?;
    render(&ThemesView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        themes,
        errors: vec![],
        notice: String::new(),
    })
}

/// `POST /admin/catalog/themes`: add a theme or change one.
pub async fn themes_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ThemeForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = require_system_admin(&ctx)?.clone();
    let sort: i64 = f.sort_order.trim().parse().unwrap_or(0);
    let result = catalog::save_theme(
        state.db(),
        &p,
        &f.code,
        &f.audience,
        &f.name_zh,
        &f.name_en,
        sort,
    )
    .await;
    let (errors, notice, status) = match result {
        Ok(()) => {
            state.catalog_touched().await;
            (vec![], t.get("themes.saved"), StatusCode::OK)
        }
        Err(CatalogError::Invalid(p)) => (
            p.into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let themes = catalog::themes(state.db()).await?;
    let mut res = render(&ThemesView {
        t,
        nav: Nav::from_ctx(&ctx),
        themes,
        errors,
        notice,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `POST /admin/catalog/versions/{id}/files` (multipart: `revision`,
/// `material`, `kind` = `blank_form` | `sample`, `file`): attaches a file to
/// a material of a draft and saves the draft.
pub async fn version_file_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let p = principal(&ctx)?.clone();
    let (mut revision, mut material, mut kind, mut file) = (None, None, String::new(), None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                file = Some((fname, bytes.to_vec()));
            }
            other => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                match other {
                    "revision" => revision = text.parse::<i64>().ok(),
                    "material" => material = text.parse::<usize>().ok(),
                    "kind" => kind = text,
                    _ => {}
                }
            }
        }
    }
    let revision = revision.ok_or_else(|| AppError::field("revision", "缺少版本修订号"))?;
    let l = load(&state, id).await?;
    let index = material
        .filter(|i| *i < l.v.guide.materials.len())
        .ok_or_else(|| AppError::field("material", "材料不存在"))?;
    if !matches!(kind.as_str(), "blank_form" | "sample") {
        return Err(AppError::field("kind", "附件类型无效"));
    }
    if !may(&p, EDIT_ROLES, &l.org_path) {
        return Err(AppError::Forbidden);
    }
    let (fname, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::field("file", ctx.tr().get("xfer.no_file")))?;
    let stored = tongban_core::platform::files::store(
        state.db(),
        &state.config().data_dir,
        &fname,
        bytes,
        Some(p.account.id),
    )
    .await
    .map_err(|e| match e {
        tongban_core::platform::files::FileError::Refused(m) => AppError::field("file", m),
        other => AppError::Internal(other.into()),
    })?;
    let mut guide = l.v.guide.clone();
    let m = &mut guide.materials[index];
    if kind == "blank_form" {
        m.blank_form = stored.key;
    } else {
        m.sample = stored.key;
    }
    catalog::save_draft(state.db(), Actor::Person(&p), id, revision, guide).await?;
    Ok(Redirect::to(&format!("/admin/catalog/versions/{id}?done=saved")).into_response())
}

/// `GET /files/{key}`: a blank form or sample linked from a guide, as an
/// attachment. Public files may be cached anywhere; a draft's only by the
/// person's own browser, never shared.
pub async fn file_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    use axum::http::header;
    let actor = ctx.session.as_ref().map(|s| &s.principal);
    let (f, public) = catalog::attachment(state.db(), Actor::of(actor), &key).await?;
    let bytes = tongban_core::platform::files::read(&state.config().data_dir, &f)
        .await
        .map_err(|e| match e {
            tongban_core::platform::files::FileError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        })?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        crate::http::ctx::urlencode(&f.name)
    );
    let cache = if public {
        "public, max-age=86400, immutable"
    } else {
        "private, no-store"
    };
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- code lists

/// One list on the code-lists page.
pub struct CodeListView {
    /// stored name, also the form's value
    pub name: &'static str,
    /// heading
    pub title: String,
    /// whether codes may be added
    pub extensible: bool,
    /// (code, 中文, English)
    pub entries: Vec<(String, String, String)>,
}

/// `/admin/catalog/code-lists` view.
#[derive(Template)]
#[template(path = "catalog/admin_code_lists.html")]
pub struct CodeListsView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the lists
    pub lists: Vec<CodeListView>,
    /// latest edits: (list title, code, 中文, English, who, when)
    pub history: Vec<(String, String, String, String, String, String)>,
    /// the form as typed (after an error)
    pub form: CodeForm,
    /// errors
    pub errors: Vec<FieldError>,
    /// notice
    pub notice: String,
}

/// The code-list form.
#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    /// list name
    #[serde(default)]
    pub list: String,
    /// code
    #[serde(default)]
    pub code: String,
    /// Chinese label
    #[serde(default)]
    pub name_zh: String,
    /// English label
    #[serde(default)]
    pub name_en: String,
    /// position
    #[serde(default)]
    pub sort_order: String,
}

fn list_title(t: &Tr, list: &str) -> String {
    match list {
        "material_form" => t.get("acat.m_form"),
        "material_source" => t.get("acat.m_source"),
        "online_depth" => t.get("guide.depth"),
        "theme" => t.get("themes.title"),
        other => other.to_owned(),
    }
}

async fn code_lists_view(
    state: &AppState,
    ctx: &Ctx,
    form: CodeForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let current = state.code_lists().await?;
    let lists = CodeList::ALL
        .into_iter()
        .map(|l| CodeListView {
            name: l.as_str(),
            title: list_title(&t, l.as_str()),
            extensible: l.extensible(),
            entries: current
                .entries(l)
                .iter()
                .map(|e| (e.code.clone(), e.zh.clone(), e.en.clone()))
                .collect(),
        })
        .collect();
    let history = catalog::code_list_history(state.db(), 20)
        .await?
        .into_iter()
        .map(|e| {
            (
                list_title(&t, &e.list),
                e.code,
                e.name_zh,
                e.name_en,
                e.actor,
                format_cst(e.at),
            )
        })
        .collect();
    let ok = errors.is_empty();
    render_form(
        &CodeListsView {
            t,
            nav: Nav::from_ctx(ctx),
            lists,
            history,
            form,
            errors,
            notice,
        },
        ok,
    )
}

/// `GET /admin/catalog/code-lists`: the catalog's configurable code lists.
pub async fn code_lists_get(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    require_system_admin(&ctx)?;
    code_lists_view(&state, &ctx, CodeForm::default(), vec![], String::new()).await
}

/// `POST /admin/catalog/code-lists`: add a code or reword one.
pub async fn code_lists_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = require_system_admin(&ctx)?.clone();
    let mut errors = Vec::new();
    let list = CodeList::parse(&f.list);
    if list.is_none() {
        errors.push(FieldError {
            field: "list".into(),
            message: t.get("form.required"),
        });
    }
    let sort_order = match f.sort_order.trim() {
        "" => Some(999),
        s => s.parse::<i64>().ok(),
    };
    if sort_order.is_none() {
        errors.push(FieldError {
            field: "sort_order".into(),
            message: t.get("acat.not_number"),
        });
    }
    if let (Some(list), Some(sort_order), true) = (list, sort_order, errors.is_empty()) {
        let edit = catalog::CodeEdit {
            list,
            code: f.code.clone(),
            name_zh: f.name_zh.clone(),
            name_en: f.name_en.clone(),
            sort_order,
        };
        match catalog::save_code(state.db(), &p, edit).await {
            Ok(()) => {
                state.catalog_touched().await;
                return code_lists_view(
                    &state,
                    &ctx,
                    CodeForm::default(),
                    vec![],
                    t.get("codes.saved"),
                )
                .await;
            }
            Err(CatalogError::Invalid(problems)) => {
                errors.extend(problems.into_iter().map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    code_lists_view(&state, &ctx, f, errors, String::new()).await
}
