//! Bulk import and export of the catalog in the national exchange field
//! names (spec §1.4–1.5: `catalog_code`, `task_code`, `task_name`, …), as
//! JSON or CSV.
//!
//! One flat record per implementation. Lists use `；` between entries;
//! materials use the compact form `名称*#证照:类型` (`*` = required,
//! `#证照:` / `#共享:` = fetched instead of asked for); fees `名称=标准@依据`;
//! FAQ `问题=回答`. Local extensions to the national names: `task_name_en`,
//! `division_code`, `theme`, `materials`, `charges`, `faq`, `aliases`.
//!
//! An import is all or nothing: every row is checked first and every
//! problem reported with its row and field; only a clean file is written,
//! in one transaction.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use tongban_domain::catalog::{
    CaseKind, Faq, Fee, Fetchable, Guide, Material, Situation, TimeLimit, TimeUnit, validate,
};
use tongban_domain::kernel::Role;

use crate::catalog::{self, CatalogError, NewItem, Prepared};
use crate::identity::Principal;
use crate::kernel::orgs::{self, Org};
use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

/// One implementation in exchange form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ExchangeRow {
    /// 基本编码.
    pub catalog_code: String,
    /// 实施编码 (empty on import: derived from `dept_code`).
    pub task_code: String,
    /// 事项名称.
    pub task_name: String,
    /// English name (local extension).
    pub task_name_en: String,
    /// 事项类型 (A.1).
    pub task_type: String,
    /// 设定依据.
    pub by_law: String,
    /// 行使层级 (A.2); export only.
    pub use_level: String,
    /// 实施主体.
    pub dept_name: String,
    /// 实施主体代码 (统一社会信用代码).
    pub dept_code: String,
    /// 行政区划 (local extension; empty = the body's own).
    pub division_code: String,
    /// 受理条件.
    pub accept_condition: String,
    /// 办理流程.
    pub handle_flow: String,
    /// 法定办结时限.
    pub anticipate_day: String,
    /// 单位: `workday` or `day`.
    pub anticipate_type: String,
    /// 承诺办结时限.
    pub promise_day: String,
    /// 单位.
    pub promise_type: String,
    /// 办件类型 (A.6).
    pub project_type: String,
    /// 特别程序.
    pub special_procedure: String,
    /// 服务对象 (A.4), `^`-joined.
    pub server_type: String,
    /// 办理形式 (A.5), `^`-joined.
    pub handle_type: String,
    /// 主题 (local extension), `^`-joined.
    pub theme: String,
    /// 网上办理深度 1–4.
    pub online_handle_depth: String,
    /// 到办事现场次数.
    pub limit_scene_num: String,
    /// 实名等级要求 1–4 (local extension; empty = none).
    pub min_level: String,
    /// 是否支持预约 1/0.
    pub is_schedule: String,
    /// 是否支持网上支付 1/0.
    pub is_pay_online: String,
    /// 是否支持物流快递 1/0.
    pub is_express: String,
    /// 办理地点.
    pub transact_addr: String,
    /// 办理时间.
    pub transact_time: String,
    /// 咨询方式.
    pub link_way: String,
    /// 监督投诉方式.
    pub supervise_way: String,
    /// 结果名称.
    pub result_name: String,
    /// 申请材料 (compact form).
    pub materials: String,
    /// 收费 (compact form).
    pub charges: String,
    /// 常见问题.
    pub faq: String,
    /// Colloquial aliases for search.
    pub aliases: String,
    /// 业务办理项: `名称=材料、材料；…`, materials in compact form.
    pub situations: String,
}

/// CSV column order.
pub const CSV_HEADER: &[&str] = &[
    "catalog_code",
    "task_code",
    "task_name",
    "task_name_en",
    "task_type",
    "by_law",
    "use_level",
    "dept_name",
    "dept_code",
    "division_code",
    "accept_condition",
    "handle_flow",
    "anticipate_day",
    "anticipate_type",
    "promise_day",
    "promise_type",
    "project_type",
    "special_procedure",
    "server_type",
    "handle_type",
    "theme",
    "online_handle_depth",
    "limit_scene_num",
    "min_level",
    "is_schedule",
    "is_pay_online",
    "is_express",
    "transact_addr",
    "transact_time",
    "link_way",
    "supervise_way",
    "result_name",
    "materials",
    "charges",
    "faq",
    "aliases",
];

fn split(s: &str) -> Vec<String> {
    s.split(['；', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(['^', ',', '，'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses a material in compact form:
/// `名称[*][{key=value|…}][#证照:类型 | #共享:数据集]`.
///
/// `*` marks it required; the optional attributes are `originals`, `copies`
/// (counts), `form` and `source` (codes of the configurable lists),
/// `issuer` and `note`. Left out, a material has one original and no
/// copies, may be paper or electronic, and comes from the applicant (or from
/// the government when it is a certificate). An unknown attribute or a count
/// that is not a number is an error naming it.
pub fn parse_material(spec: &str) -> Result<Material, String> {
    let (head, fetch) = match spec.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (spec, None),
    };
    let head = head.trim();
    let (head, attrs) = match head.strip_suffix('}').and_then(|h| h.split_once('{')) {
        Some((h, a)) => (h, Some(a)),
        None => (head, None),
    };
    let required = head.trim_end().ends_with('*');
    let name = head.trim().trim_end_matches('*').trim().to_owned();
    let fetchable = match fetch.and_then(|f| f.split_once([':', '：'])) {
        Some(("证照", t)) => Fetchable::Certificate(t.trim().to_owned()),
        Some(("共享", t)) => Fetchable::SharedData(t.trim().to_owned()),
        Some((other, _)) => {
            return Err(format!(
                "材料“{name}”的免提交来源“{other}”应为“证照”或“共享”"
            ));
        }
        None if fetch.is_some() => {
            return Err(format!(
                "材料“{name}”的免提交来源应写作“#证照:类型”或“#共享:数据集”"
            ));
        }
        None => Fetchable::No,
    };
    let mut m = Material {
        name,
        required,
        originals: 1,
        copies: 0,
        source: if matches!(fetchable, Fetchable::Certificate(_)) {
            "government".into()
        } else {
            "applicant".into()
        },
        fetchable,
        ..Material::default()
    };
    for pair in attrs.into_iter().flat_map(|a| a.split('|')) {
        if pair.trim().is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = value.trim();
        let count = |what: &str| {
            value
                .parse::<u8>()
                .map_err(|_| format!("材料“{}”的{what}“{value}”不是0至255的整数", m.name))
        };
        match key.trim() {
            "originals" => m.originals = count("原件份数")?,
            "copies" => m.copies = count("复印件份数")?,
            "form" => m.form = value.to_owned(),
            "source" => m.source = value.to_owned(),
            "issuer" => m.issuer = value.to_owned(),
            "note" => m.note = value.to_owned(),
            other => {
                return Err(format!(
                    "材料“{}”的属性“{other}”无法识别（可用：originals、copies、form、source、issuer、note）",
                    m.name
                ));
            }
        }
    }
    Ok(m)
}

/// Text stored inside the compact form may not hold its separators.
fn attr_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '{' | '}' | '|' | '#' | ';' | '；' | '、' | '\n' | '\r' => '，',
            c => c,
        })
        .collect()
}

/// Formats a material in compact form; attributes that hold their default
/// are left out, so simple materials stay simple.
pub fn format_material(m: &Material) -> String {
    let mut s = m.name.clone();
    if m.required {
        s.push('*');
    }
    let default_source = if matches!(m.fetchable, Fetchable::Certificate(_)) {
        "government"
    } else {
        "applicant"
    };
    let mut attrs = Vec::new();
    if m.originals != 1 {
        attrs.push(format!("originals={}", m.originals));
    }
    if m.copies != 0 {
        attrs.push(format!("copies={}", m.copies));
    }
    if m.form != Material::default().form {
        attrs.push(format!("form={}", attr_text(&m.form)));
    }
    if m.source != default_source {
        attrs.push(format!("source={}", attr_text(&m.source)));
    }
    if !m.issuer.is_empty() {
        attrs.push(format!("issuer={}", attr_text(&m.issuer)));
    }
    if !m.note.is_empty() {
        attrs.push(format!("note={}", attr_text(&m.note)));
    }
    if !attrs.is_empty() {
        s.push('{');
        s.push_str(&attrs.join("|"));
        s.push('}');
    }
    match &m.fetchable {
        Fetchable::Certificate(t) => s.push_str(&format!("#证照:{t}")),
        Fetchable::SharedData(t) => s.push_str(&format!("#共享:{t}")),
        Fetchable::No => {}
    }
    s
}

/// Parses a fee `名称=标准@依据`.
pub fn parse_fee(spec: &str) -> Fee {
    let (name, rest) = spec.split_once('=').unwrap_or((spec, ""));
    let (standard, basis) = rest.split_once('@').unwrap_or((rest, ""));
    Fee {
        name: name.trim().into(),
        standard: standard.trim().into(),
        basis: basis.trim().into(),
        ..Fee::default()
    }
}

fn flag(b: bool) -> String {
    if b { "1".into() } else { "0".into() }
}

fn unit(u: TimeUnit) -> String {
    match u {
        TimeUnit::Workday => "workday".into(),
        TimeUnit::Day => "day".into(),
    }
}

/// The exchange form of a published guide.
pub fn to_row(
    catalog_code: &str,
    task_code: &str,
    org: &Org,
    division_code: &str,
    g: &Guide,
) -> ExchangeRow {
    ExchangeRow {
        catalog_code: catalog_code.into(),
        task_code: task_code.into(),
        task_name: g.name.clone(),
        task_name_en: g.name_en.clone(),
        task_type: g.item_type.clone(),
        by_law: g.legal_basis.clone(),
        use_level: org.admin_level.to_string(),
        dept_name: org.name_zh.clone(),
        dept_code: org.credit_code.clone(),
        division_code: division_code.into(),
        accept_condition: g.conditions.join("；"),
        handle_flow: g.process.join("；"),
        anticipate_day: g.legal_limit.value.to_string(),
        anticipate_type: unit(g.legal_limit.unit),
        promise_day: g.promised_limit.value.to_string(),
        promise_type: unit(g.promised_limit.unit),
        project_type: match g.case_kind {
            CaseKind::Immediate => "1",
            CaseKind::Promised => "2",
            CaseKind::Other => "9",
        }
        .into(),
        special_procedure: g.special_procedures.join("；"),
        server_type: g.service_objects.join("^"),
        handle_type: g.handling_forms.join("^"),
        theme: g.themes.join("^"),
        online_handle_depth: g.online_depth.to_string(),
        min_level: if g.min_level == 0 {
            String::new()
        } else {
            g.min_level.to_string()
        },
        limit_scene_num: g.visits.to_string(),
        is_schedule: flag(g.appointment),
        is_pay_online: flag(g.online_payment),
        is_express: flag(g.express_delivery),
        transact_addr: g.place.clone(),
        transact_time: g.hours.clone(),
        link_way: g.consult_phone.clone(),
        supervise_way: g.supervise_phone.clone(),
        result_name: g.result_name.clone(),
        materials: g
            .materials
            .iter()
            .map(format_material)
            .collect::<Vec<_>>()
            .join("；"),
        charges: g
            .fees
            .iter()
            .map(|f| format!("{}={}@{}", f.name, f.standard, f.basis))
            .collect::<Vec<_>>()
            .join("；"),
        faq: g
            .faq
            .iter()
            .map(|q| format!("{}={}", q.question, q.answer))
            .collect::<Vec<_>>()
            .join("；"),
        aliases: g.aliases.join("；"),
        situations: g
            .situations
            .iter()
            .map(|st| {
                format!(
                    "{}={}",
                    st.name,
                    st.materials
                        .iter()
                        .map(format_material)
                        .collect::<Vec<_>>()
                        .join("、")
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
    }
}

/// A problem with one row of an import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowError {
    /// Row number as the person sees it in the file (CSV counts the header as row 1).
    pub row: usize,
    /// Field name (exchange name).
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// Most problems an import lists; the rest are counted.
pub const MAX_PROBLEMS: usize = 1_000;
/// Most rows one import file may hold (a city's whole catalog is a few
/// thousand implementations; a province imports in several files).
pub const MAX_ROWS: usize = 20_000;

/// Problems found in an import file: the first [`MAX_PROBLEMS`] of them,
/// and how many there were in all, so a broken 60 MB file answers with a
/// bounded list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problems {
    /// The first problems, in file order.
    pub listed: Vec<RowError>,
    /// How many problems there were in all.
    pub total: usize,
}

impl Problems {
    fn push(&mut self, e: RowError) {
        self.total += 1;
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(e);
        }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// One problem about the whole file.
    fn whole_file(message: String) -> Self {
        Self {
            listed: vec![RowError {
                row: 0,
                field: String::new(),
                message,
            }],
            total: 1,
        }
    }
}

fn num(row: usize, field: &str, v: &str, errors: &mut Vec<RowError>) -> u32 {
    let v = v.trim();
    if v.is_empty() {
        return 0;
    }
    v.parse().unwrap_or_else(|_| {
        errors.push(RowError {
            row,
            field: field.into(),
            message: format!("“{v}”不是数字"),
        });
        0
    })
}

fn parse_unit(row: usize, field: &str, v: &str, errors: &mut Vec<RowError>) -> TimeUnit {
    match v.trim() {
        "" | "workday" | "工作日" => TimeUnit::Workday,
        "day" | "自然日" => TimeUnit::Day,
        other => {
            errors.push(RowError {
                row,
                field: field.into(),
                message: format!("时限单位“{other}”无效，应为 workday 或 day"),
            });
            TimeUnit::Workday
        }
    }
}

/// The guide a row describes, with the problems of its fields.
pub fn guide_from_row(row_no: usize, r: &ExchangeRow) -> (Guide, Vec<RowError>) {
    let mut errors = Vec::new();
    let g = Guide {
        name: r.task_name.trim().into(),
        name_en: r.task_name_en.trim().into(),
        item_type: r.task_type.trim().into(),
        legal_basis: r.by_law.trim().into(),
        conditions: split(&r.accept_condition),
        process: split(&r.handle_flow),
        legal_limit: TimeLimit {
            value: num(row_no, "anticipate_day", &r.anticipate_day, &mut errors),
            unit: parse_unit(row_no, "anticipate_type", &r.anticipate_type, &mut errors),
            explain: String::new(),
        },
        promised_limit: TimeLimit {
            value: num(row_no, "promise_day", &r.promise_day, &mut errors),
            unit: parse_unit(row_no, "promise_type", &r.promise_type, &mut errors),
            explain: String::new(),
        },
        case_kind: match r.project_type.trim() {
            "1" => CaseKind::Immediate,
            "9" => CaseKind::Other,
            _ => CaseKind::Promised,
        },
        special_procedures: split(&r.special_procedure),
        service_objects: split_codes(&r.server_type),
        handling_forms: split_codes(&r.handle_type),
        themes: split_codes(&r.theme),
        online_depth: num(
            row_no,
            "online_handle_depth",
            &r.online_handle_depth,
            &mut errors,
        )
        .min(255) as u8,
        visits: num(row_no, "limit_scene_num", &r.limit_scene_num, &mut errors).min(255) as u8,
        min_level: num(row_no, "min_level", &r.min_level, &mut errors).min(255) as u8,
        appointment: r.is_schedule.trim() == "1",
        online_payment: r.is_pay_online.trim() == "1",
        express_delivery: r.is_express.trim() == "1",
        place: r.transact_addr.trim().into(),
        hours: r.transact_time.trim().into(),
        consult_phone: r.link_way.trim().into(),
        supervise_phone: r.supervise_way.trim().into(),
        result_name: r.result_name.trim().into(),
        materials: split(&r.materials)
            .iter()
            .filter_map(|m| match parse_material(m) {
                Ok(m) => Some(m),
                Err(message) => {
                    errors.push(RowError {
                        row: row_no,
                        field: "materials".into(),
                        message,
                    });
                    None
                }
            })
            .collect(),
        fees: split(&r.charges).iter().map(|f| parse_fee(f)).collect(),
        faq: split(&r.faq)
            .iter()
            .map(|q| {
                let (question, answer) = q.split_once('=').unwrap_or((q, ""));
                Faq {
                    question: question.trim().into(),
                    answer: answer.trim().into(),
                }
            })
            .collect(),
        aliases: split(&r.aliases),
        situations: split(&r.situations)
            .iter()
            .map(|entry| {
                let (name, mats) = entry.split_once('=').unwrap_or((entry, ""));
                Situation {
                    code: String::new(),
                    name: name.trim().into(),
                    materials: mats
                        .split('、')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .filter_map(|m| match parse_material(m) {
                            Ok(m) => Some(m),
                            Err(message) => {
                                errors.push(RowError {
                                    row: row_no,
                                    field: "situations".into(),
                                    message,
                                });
                                None
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        ..Guide::default()
    };
    (g, errors)
}

/// Every published implementation within `paths` (all when empty), in
/// exchange form, ordered by organisation and code.
pub async fn export(db: &Db) -> Result<Vec<ExchangeRow>, CatalogError> {
    let rows = sqlx::query(
        "SELECT p.catalog_code, p.task_code, p.org_id, p.division_code, v.document FROM published_items p \
         JOIN organizations o ON o.id = p.org_id JOIN item_versions v ON v.id = p.version_id ORDER BY o.path, p.task_code",
    )
    .fetch_all(db.pool())
    .await?;
    let mut orgs_cache: Vec<Org> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let org_id: i64 = r.try_get(2)?;
        let org = match orgs_cache.iter().find(|o| o.id == org_id) {
            Some(o) => o.clone(),
            None => {
                let o = orgs::get(db, org_id).await?.ok_or(CatalogError::NotFound)?;
                orgs_cache.push(o.clone());
                o
            }
        };
        let doc: String = r.try_get(4)?;
        let g: Guide = serde_json::from_str(&doc)
            .map_err(|e| DbError::Corrupt(format!("stored guide unreadable: {e}")))?;
        out.push(to_row(
            &r.try_get::<String, _>(0)?,
            &r.try_get::<String, _>(1)?,
            &org,
            &r.try_get::<String, _>(3)?,
            &g,
        ));
    }
    Ok(out)
}

/// Writes rows as CSV (UTF-8 with a byte-order mark, so spreadsheet
/// programs used in government offices open the Chinese text correctly).
pub fn to_csv(rows: &[ExchangeRow]) -> Result<Vec<u8>, CatalogError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for r in rows {
        w.serialize(r)
            .map_err(|e| DbError::Internal(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| CatalogError::Db(DbError::Internal(e.to_string())))
}

/// Reads CSV rows; a malformed row is reported with its line. More than
/// [`MAX_ROWS`] rows are refused.
pub fn from_csv(data: &[u8]) -> Result<Vec<ExchangeRow>, Problems> {
    let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(data);
    let mut rows = Vec::new();
    let mut errors = Problems::default();
    for (i, rec) in r.deserialize::<ExchangeRow>().enumerate() {
        if i == MAX_ROWS {
            return Err(too_many_rows());
        }
        match rec {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(RowError {
                row: i + 2,
                field: String::new(),
                message: format!("无法读取该行：{e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn too_many_rows() -> Problems {
    Problems::whole_file(format!(
        "一个导入文件最多 {MAX_ROWS} 行，请分成几个文件导入"
    ))
}

/// Whether the actor may import at all (editors and system administrators),
/// and publish at once (system administrators). Decided before the file is
/// read, so an account without the right costs the platform nothing.
pub fn may_import(actor: &Principal, publish: bool) -> Result<(), CatalogError> {
    let editor = [Role::CatalogEditor, Role::SystemAdmin]
        .iter()
        .any(|r| actor.has_role(*r));
    if !editor || (publish && !actor.has_role(Role::SystemAdmin)) {
        return Err(CatalogError::Forbidden);
    }
    Ok(())
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has problems; nothing was imported.
    #[error("导入文件有 {} 处问题，未导入任何数据", .0.total)]
    Rows(Problems),
    /// Storage failure.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<DbError> for ImportError {
    fn from(e: DbError) -> Self {
        Self::Catalog(CatalogError::Db(e))
    }
}

/// Imports rows: checks all, then writes all in one transaction. Items are
/// created as drafts for review, or published at once when `publish` is
/// set (system administrators only: for guides approved elsewhere, such as
/// the provincial catalog). `first_row` is the file row of `rows[0]`.
pub async fn import(
    db: &Db,
    actor: &Principal,
    rows: Vec<ExchangeRow>,
    publish: bool,
    first_row: usize,
) -> Result<usize, ImportError> {
    may_import(actor, publish)?;
    if rows.len() > MAX_ROWS {
        return Err(ImportError::Rows(too_many_rows()));
    }
    let lists = catalog::code_lists(db).await?;
    let mut errors = Problems::default();
    let mut prepared: Vec<Prepared> = Vec::new();
    // Departments by credit code, the unknown ones too: one lookup per code.
    let mut orgs_cache: std::collections::HashMap<String, Option<Org>> = Default::default();
    for (i, r) in rows.into_iter().enumerate() {
        let row_no = first_row + i;
        let (guide, problems) = guide_from_row(row_no, &r);
        for e in problems {
            errors.push(e);
        }
        for e in validate(&guide, &lists) {
            errors.push(RowError {
                row: row_no,
                field: exchange_field(&e.field).into(),
                message: e.message,
            });
        }
        let code = r.dept_code.trim().to_ascii_uppercase();
        let org = match orgs_cache.get(&code) {
            Some(o) => o.clone(),
            None => {
                let found = sqlx::query("SELECT id FROM organizations WHERE credit_code = $1")
                    .bind(&code)
                    .fetch_optional(db.pool())
                    .await
                    .map_err(DbError::from)?;
                let o = match found {
                    Some(row) => Some(
                        orgs::get(db, row.try_get(0).map_err(DbError::from)?)
                            .await?
                            .ok_or(CatalogError::NotFound)?,
                    ),
                    None => None,
                };
                orgs_cache.insert(code.clone(), o.clone());
                o
            }
        };
        let Some(org) = org else {
            errors.push(RowError {
                row: row_no,
                field: "dept_code".into(),
                message: format!("实施主体代码“{code}”不是平台上的机构"),
            });
            continue;
        };
        if ![Role::CatalogEditor, Role::SystemAdmin]
            .iter()
            .any(|role| actor.can(*role, &org.path))
        {
            errors.push(RowError {
                row: row_no,
                field: "dept_code".into(),
                message: "该实施主体不在您的管理范围内".into(),
            });
            continue;
        }
        let new = NewItem {
            catalog_code: r.catalog_code,
            task_code: r.task_code,
            org_id: org.id,
            division_code: r.division_code,
            guide,
        };
        match catalog::prepare(&org, new) {
            Ok(p) => {
                if prepared.iter().any(|q| q.task_code() == p.task_code()) {
                    errors.push(RowError {
                        row: row_no,
                        field: "task_code".into(),
                        message: "实施编码在文件中重复".into(),
                    });
                } else {
                    let exists = sqlx::query("SELECT 1 FROM service_items WHERE task_code = $1")
                        .bind(p.task_code())
                        .fetch_optional(db.pool())
                        .await
                        .map_err(DbError::from)?;
                    if exists.is_some() {
                        errors.push(RowError {
                            row: row_no,
                            field: "task_code".into(),
                            message: format!("实施编码 {} 已存在", p.task_code()),
                        });
                    }
                    prepared.push(p);
                }
            }
            Err(CatalogError::Code(e)) => errors.push(RowError {
                row: row_no,
                field: "catalog_code".into(),
                message: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    let actor_id = Some(actor.account.id);
    let n = prepared.len();
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            for p in &prepared {
                let ids = catalog::insert_prepared(c, p, actor_id, now).await?;
                if publish {
                    catalog::publish_inserted(c, p, ids, actor_id, now).await?;
                }
            }
            Ok::<_, CatalogError>(())
        })
    })
    .await?;
    Ok(n)
}

/// The exchange name of a guide field, for error messages.
fn exchange_field(path: &str) -> &str {
    let head = path.split(['.', '[']).next().unwrap_or(path);
    match head {
        "name" => "task_name",
        "item_type" => "task_type",
        "legal_basis" => "by_law",
        "conditions" => "accept_condition",
        "process" => "handle_flow",
        "legal_limit" => "anticipate_day",
        "promised_limit" => "promise_day",
        "service_objects" => "server_type",
        "handling_forms" => "handle_type",
        "online_depth" => "online_handle_depth",
        "min_level" => "min_level",
        "visits" => "limit_scene_num",
        "place" => "transact_addr",
        "hours" => "transact_time",
        "consult_phone" => "link_way",
        "supervise_phone" => "supervise_way",
        "fees" => "charges",
        "materials" => "materials",
        "faq" => "faq",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn materials_round_trip_through_the_compact_form() {
        for s in [
            "营业执照*#证照:营业执照",
            "户口簿*#共享:人口库",
            "照片",
            "申请书*",
        ] {
            assert_eq!(format_material(&parse_material(s).unwrap()), s);
        }
        let m = parse_material(
            "营业执照*{copies=2|form=electronic|issuer=市场监督管理局|note=加盖公章}#证照:营业执照",
        )
        .unwrap();
        assert_eq!(
            (m.originals, m.copies, m.form.as_str(), m.source.as_str()),
            (1, 2, "electronic", "government")
        );
        assert_eq!(
            (m.issuer.as_str(), m.note.as_str()),
            ("市场监督管理局", "加盖公章")
        );
        assert_eq!(parse_material(&format_material(&m)).unwrap(), m);
        // Separators inside free text cannot break the list apart.
        let tricky = Material {
            name: "证明".into(),
            note: "a|b；c{d}".into(),
            ..Material::default()
        };
        let back = parse_material(&format_material(&tricky)).unwrap();
        assert_eq!(back.note, "a，b，c，d，");
        assert!(
            parse_material("照片{colour=red}")
                .unwrap_err()
                .contains("colour")
        );
        assert!(
            parse_material("照片{copies=two}")
                .unwrap_err()
                .contains("two")
        );
        assert!(
            parse_material("照片#档案:人事")
                .unwrap_err()
                .contains("档案")
        );
        let f = parse_fee("工本费=20元/证@《收费通知》");
        assert_eq!(
            (f.name.as_str(), f.standard.as_str(), f.basis.as_str()),
            ("工本费", "20元/证", "《收费通知》")
        );
    }

    #[test]
    fn situations_round_trip() {
        let g = Guide {
            situations: vec![Situation {
                code: String::new(),
                name: "委托他人办理".into(),
                materials: vec![
                    parse_material("授权委托书*").unwrap(),
                    parse_material("受托人身份证*#证照:居民身份证").unwrap(),
                ],
            }],
            ..Guide::default()
        };
        let org = Org {
            id: 1,
            credit_code: "X".into(),
            name_zh: "x".into(),
            name_en: String::new(),
            short_name_zh: String::new(),
            kind: "department".into(),
            admin_level: 3,
            division_code: "230100".into(),
            parent_id: None,
            path: "/".into(),
            phone: None,
            address_zh: None,
            version: 1,
        };
        let row = to_row("1", "2", &org, "230100", &g);
        assert_eq!(
            row.situations,
            "委托他人办理=授权委托书*、受托人身份证*#证照:居民身份证"
        );
        assert_eq!(guide_from_row(1, &row).0.situations, g.situations);
    }

    #[test]
    fn csv_round_trips_and_bad_numbers_are_reported_per_row() {
        let row = ExchangeRow {
            catalog_code: "01".into(),
            task_name: "测试, \"引号\"".into(),
            anticipate_day: "二十".into(),
            ..ExchangeRow::default()
        };
        let bytes = to_csv(std::slice::from_ref(&row)).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let back = from_csv(&bytes).unwrap();
        assert_eq!(back, vec![row.clone()]);
        let (_, errors) = guide_from_row(2, &back[0]);
        assert_eq!(
            errors,
            vec![RowError {
                row: 2,
                field: "anticipate_day".into(),
                message: "“二十”不是数字".into()
            }]
        );
        assert!(from_csv(b"catalog_code,task_code\nx,y,z\n").is_err());
    }
}
