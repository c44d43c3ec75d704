//! 政务服务事项目录: service items, their guides (办事指南) and the rules a
//! guide must satisfy before it can be published.
//!
//! A service item has a basic-catalog identity (基本编码, GB/T 39046 §1.4 of
//! the spec) and, per implementing body, an implementation list (实施清单)
//! whose elements (§1.5) form the [`Guide`]. Guides are versioned as whole
//! documents; [`validate`] lists every problem at once and [`diff`] tells
//! editors and reviewers exactly what changed between two versions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kernel::CreditCode;

/// 事项类型 (GB/T 39046 A.1), by wire code.
pub const ITEM_TYPES: &[(&str, &str, &str)] = &[
    ("00", "行政权力事项", "Administrative power"),
    ("01", "行政许可", "Administrative licensing"),
    ("02", "行政处罚", "Administrative penalty"),
    ("03", "行政强制", "Administrative coercion"),
    ("04", "行政征收", "Administrative levy"),
    ("05", "行政给付", "Administrative benefit"),
    ("06", "行政检查", "Administrative inspection"),
    ("07", "行政确认", "Administrative confirmation"),
    ("08", "行政奖励", "Administrative reward"),
    ("09", "行政裁决", "Administrative adjudication"),
    ("10", "其他类别事项", "Other"),
    ("20", "公共服务事项", "Public service"),
];

/// 服务对象 (A.4).
pub const SERVICE_OBJECTS: &[(&str, &str, &str)] = &[
    ("1", "自然人", "Natural persons"),
    ("2", "企业法人", "Enterprises"),
    ("3", "事业法人", "Public institutions"),
    ("4", "社会组织法人", "Social organisations"),
    ("5", "行政机关", "Government bodies"),
    ("6", "其他组织", "Other organisations"),
];

/// 办理形式 (A.5).
pub const HANDLING_FORMS: &[(&str, &str, &str)] = &[
    ("1", "窗口办理", "At a service window"),
    ("2", "电脑端网上办理", "Online (computer)"),
    ("3", "移动端网上申请", "Online (mobile)"),
    ("4", "快递申请", "By post"),
    ("9", "其他", "Other"),
];

/// 网上办理深度 levels I–IV. The publication rules depend on the numbers,
/// so they are fixed; their wording is [U] in the spec and is a configurable
/// code list ([`CodeLists`]), of which these are the defaults.
pub const ONLINE_DEPTHS: &[(&str, &str, &str)] = &[
    ("1", "Ⅰ级 网上咨询", "Level I: information online"),
    ("2", "Ⅱ级 网上预审", "Level II: online pre-review"),
    (
        "3",
        "Ⅲ级 网上受理（最多跑一次）",
        "Level III: online acceptance, at most one visit",
    ),
    ("4", "Ⅳ级 全程网办", "Level IV: fully online, no visit"),
];

/// 材料形式 defaults (values [U]; a configurable code list).
pub const MATERIAL_FORMS: &[(&str, &str, &str)] = &[
    ("paper", "纸质", "Paper"),
    ("electronic", "电子", "Electronic"),
    ("both", "纸质或电子", "Paper or electronic"),
];

/// 来源渠道 defaults (values [U]; a configurable code list).
pub const MATERIAL_SOURCES: &[(&str, &str, &str)] = &[
    ("applicant", "申请人自备", "Provided by the applicant"),
    (
        "government",
        "政府部门核发",
        "Issued by a government department",
    ),
    ("intermediary", "中介机构出具", "Issued by an intermediary"),
    ("other", "其他", "Other"),
];

/// The catalog's configurable code lists: those whose values the spec marks
/// [U]. The platform ships the defaults above; a system administrator may
/// reword them and add codes (never remove one a published guide may use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeList {
    /// 材料形式.
    MaterialForm,
    /// 来源渠道.
    MaterialSource,
    /// 网上办理深度 (wording only: the levels are fixed).
    OnlineDepth,
}

impl CodeList {
    /// Every list, in display order.
    pub const ALL: [CodeList; 3] = [
        CodeList::MaterialForm,
        CodeList::MaterialSource,
        CodeList::OnlineDepth,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeList::MaterialForm => "material_form",
            CodeList::MaterialSource => "material_source",
            CodeList::OnlineDepth => "online_depth",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether administrators may add codes (not to a list rules depend on).
    pub fn extensible(self) -> bool {
        !matches!(self, CodeList::OnlineDepth)
    }

    /// The shipped defaults.
    pub fn defaults(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            CodeList::MaterialForm => MATERIAL_FORMS,
            CodeList::MaterialSource => MATERIAL_SOURCES,
            CodeList::OnlineDepth => ONLINE_DEPTHS,
        }
    }
}

/// One code of a list with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeEntry {
    /// Wire code.
    pub code: String,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
}

/// The configured code lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLists {
    lists: Vec<(CodeList, Vec<CodeEntry>)>,
}

impl Default for CodeLists {
    fn default() -> Self {
        Self::defaults()
    }
}

impl CodeLists {
    /// The shipped defaults.
    pub fn defaults() -> Self {
        Self {
            lists: CodeList::ALL
                .into_iter()
                .map(|l| {
                    let entries = l
                        .defaults()
                        .iter()
                        .map(|(c, zh, en)| CodeEntry {
                            code: (*c).into(),
                            zh: (*zh).into(),
                            en: (*en).into(),
                        })
                        .collect();
                    (l, entries)
                })
                .collect(),
        }
    }

    /// Builds lists from stored rows `(list, entry)` in display order; lists
    /// with no rows keep their defaults.
    pub fn from_rows(rows: impl IntoIterator<Item = (CodeList, CodeEntry)>) -> Self {
        let mut stored: Vec<(CodeList, Vec<CodeEntry>)> = Vec::new();
        for (list, entry) in rows {
            match stored.iter_mut().find(|(l, _)| *l == list) {
                Some((_, v)) => v.push(entry),
                None => stored.push((list, vec![entry])),
            }
        }
        let mut out = Self::defaults();
        for (list, entries) in stored {
            if let Some(slot) = out.lists.iter_mut().find(|(l, _)| *l == list) {
                slot.1 = entries;
            }
        }
        out
    }

    /// The entries of a list.
    pub fn entries(&self, list: CodeList) -> &[CodeEntry] {
        self.lists
            .iter()
            .find(|(l, _)| *l == list)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The entry of a code, if the list has it.
    pub fn get(&self, list: CodeList, code: &str) -> Option<&CodeEntry> {
        self.entries(list).iter().find(|e| e.code == code)
    }

    /// Whether the list has the code.
    pub fn contains(&self, list: CodeList, code: &str) -> bool {
        self.get(list, code).is_some()
    }
}

/// Looks up the Chinese and English labels of a code in a table.
pub fn label<'a>(table: &'a [(&str, &'a str, &'a str)], code: &str) -> Option<(&'a str, &'a str)> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| (*zh, *en))
}

/// 办件类型 (A.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CaseKind {
    /// 1 即办件: decided on the spot or the same working day.
    #[serde(rename = "1")]
    Immediate,
    /// 2 承诺件: decided within the promised limit.
    #[serde(rename = "2")]
    #[default]
    Promised,
    /// 9 其他.
    #[serde(rename = "9")]
    Other,
}

/// Unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 工作日 (the statutory default).
    #[default]
    Workday,
    /// 自然日.
    Day,
}

/// A time limit with its unit and explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TimeLimit {
    /// Number of units; 0 for decided on the spot.
    pub value: u32,
    /// Unit.
    pub unit: TimeUnit,
    /// 说明.
    pub explain: String,
}

/// Where a material can be fetched from instead of being asked for (一次告知、不再提交).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fetchable {
    /// Must be provided by the applicant.
    #[default]
    No,
    /// From the e-certificate library: the certificate type's name.
    Certificate(String),
    /// From a shared base library (人口, 法人, …): the data set's name.
    SharedData(String),
}

/// 申请材料: one required or optional material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Material {
    /// 材料名称.
    pub name: String,
    /// 是否必备.
    pub required: bool,
    /// 原件份数.
    pub originals: u8,
    /// 复印件份数.
    pub copies: u8,
    /// 材料形式: a code of [`CodeList::MaterialForm`].
    pub form: String,
    /// 来源渠道: a code of [`CodeList::MaterialSource`].
    pub source: String,
    /// 出具机构.
    pub issuer: String,
    /// 受理标准 / 填报须知.
    pub note: String,
    /// Whether and where it can be fetched instead.
    pub fetchable: Fetchable,
    /// 空白表格 file name (served from the file store), if any.
    pub blank_form: String,
    /// 示例样表 file name, if any.
    pub sample: String,
}

impl Default for Material {
    /// A required-unless-said-otherwise material: one original, paper or
    /// electronic, provided by the applicant.
    fn default() -> Self {
        Self {
            name: String::new(),
            required: false,
            originals: 0,
            copies: 0,
            form: "both".into(),
            source: "applicant".into(),
            issuer: String::new(),
            note: String::new(),
            fetchable: Fetchable::No,
            blank_form: String::new(),
            sample: String::new(),
        }
    }
}

/// 收费项目.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Fee {
    /// 收费项目名称.
    pub name: String,
    /// 收费标准.
    pub standard: String,
    /// 收费依据.
    pub basis: String,
    /// 是否允许减免.
    pub waivable: bool,
    /// 减免依据.
    pub waiver_basis: String,
}

/// 常见问题.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Faq {
    /// Question.
    pub question: String,
    /// Answer.
    pub answer: String,
}

/// 业务办理项: a situation with its own materials (e.g. 补领 vs 换领).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Situation {
    /// 业务办理项编码.
    pub code: String,
    /// Name.
    pub name: String,
    /// Materials in addition to the item's own.
    pub materials: Vec<Material>,
}

/// The guide (办事指南): every published element of an implementation list.
/// One version of an item is one `Guide`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Guide {
    /// 事项名称.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// 事项类型 code (A.1).
    pub item_type: String,
    /// 设定依据.
    pub legal_basis: String,
    /// 受理条件.
    pub conditions: Vec<String>,
    /// 申请材料.
    pub materials: Vec<Material>,
    /// 办理流程 steps.
    pub process: Vec<String>,
    /// 法定办结时限.
    pub legal_limit: TimeLimit,
    /// 承诺办结时限.
    pub promised_limit: TimeLimit,
    /// 办件类型.
    pub case_kind: CaseKind,
    /// 特别程序 (听证、检验、专家评审…), as described to applicants.
    pub special_procedures: Vec<String>,
    /// 收费项目; empty means free of charge.
    pub fees: Vec<Fee>,
    /// 办理形式 codes (A.5).
    pub handling_forms: Vec<String>,
    /// 服务对象 codes (A.4).
    pub service_objects: Vec<String>,
    /// Life-event theme codes (自然人主题 / 法人主题).
    pub themes: Vec<String>,
    /// 网上办理深度 1–4.
    pub online_depth: u8,
    /// 到办事现场次数.
    pub visits: u8,
    /// The lowest real-name level an applicant needs (1–4; 0 = none beyond
    /// having an account).
    pub min_level: u8,
    /// 是否支持预约办理.
    pub appointment: bool,
    /// 是否支持网上支付.
    pub online_payment: bool,
    /// 是否支持物流快递.
    pub express_delivery: bool,
    /// 办理地点.
    pub place: String,
    /// 办理时间.
    pub hours: String,
    /// 咨询电话.
    pub consult_phone: String,
    /// 监督电话.
    pub supervise_phone: String,
    /// 审批结果名称.
    pub result_name: String,
    /// 数量限制.
    pub quantity_limit: String,
    /// 中介服务.
    pub intermediary: String,
    /// 常见问题.
    pub faq: Vec<Faq>,
    /// 业务办理项.
    pub situations: Vec<Situation>,
    /// Colloquial names people type (开饭店 for 食品经营许可), for search.
    pub aliases: Vec<String>,
}

impl Guide {
    /// The stored files this guide links (its materials' blank forms and
    /// samples), each once.
    pub fn file_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for m in &self.materials {
            for k in [m.blank_form.trim(), m.sample.trim()] {
                if !k.is_empty() && !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }
}

/// A problem with a guide, tied to the field it concerns.
pub type GuideError = crate::FieldProblem;

fn err(
    errors: &mut Vec<GuideError>,
    field: impl Into<String>,
    code: &'static str,
    message: impl Into<String>,
) {
    errors.push(GuideError {
        field: field.into(),
        code,
        message: message.into(),
    });
}

/// Every rule a guide must satisfy to be published, checked at once so the
/// editor sees the whole list (一次性告知 applies to editors too).
pub fn validate(g: &Guide, lists: &CodeLists) -> Vec<GuideError> {
    let mut e = Vec::new();
    if g.name.trim().is_empty() {
        err(&mut e, "name", "required", "事项名称不能为空");
    } else if g.name.chars().count() > 200 {
        err(&mut e, "name", "too_long", "事项名称不能超过200个字符");
    }
    if label(ITEM_TYPES, &g.item_type).is_none() {
        err(
            &mut e,
            "item_type",
            "invalid_code",
            "事项类型代码无效（GB/T 39046 附录A.1）",
        );
    }
    if g.legal_basis.trim().is_empty() {
        err(&mut e, "legal_basis", "required", "设定依据不能为空");
    }
    if g.conditions.iter().all(|c| c.trim().is_empty()) {
        err(&mut e, "conditions", "required", "至少填写一项受理条件");
    }
    if g.process.iter().all(|c| c.trim().is_empty()) {
        err(&mut e, "process", "required", "至少填写一个办理流程步骤");
    }
    for (i, m) in g.materials.iter().enumerate() {
        if m.name.trim().is_empty() {
            err(
                &mut e,
                format!("materials[{i}].name"),
                "required",
                format!("第{}项材料缺少名称", i + 1),
            );
        }
        if m.originals > 20 || m.copies > 20 {
            err(
                &mut e,
                format!("materials[{i}].copies"),
                "out_of_range",
                format!("第{}项材料的份数不能超过20", i + 1),
            );
        }
        if !lists.contains(CodeList::MaterialForm, &m.form) {
            err(
                &mut e,
                format!("materials[{i}].form"),
                "invalid_code",
                format!("第{}项材料的材料形式代码无效", i + 1),
            );
        }
        if !lists.contains(CodeList::MaterialSource, &m.source) {
            err(
                &mut e,
                format!("materials[{i}].source"),
                "invalid_code",
                format!("第{}项材料的来源渠道代码无效", i + 1),
            );
        }
        match &m.fetchable {
            Fetchable::Certificate(s) | Fetchable::SharedData(s) if s.trim().is_empty() => err(
                &mut e,
                format!("materials[{i}].fetchable"),
                "required",
                format!("第{}项材料可免提交时，须写明证照或共享数据名称", i + 1),
            ),
            _ => {}
        }
    }
    for (si, s) in g.situations.iter().enumerate() {
        if s.name.trim().is_empty() {
            err(
                &mut e,
                format!("situations[{si}].name"),
                "required",
                format!("第{}个业务办理项缺少名称", si + 1),
            );
        }
        for (i, m) in s.materials.iter().enumerate() {
            if m.name.trim().is_empty() {
                err(
                    &mut e,
                    format!("situations[{si}].materials[{i}].name"),
                    "required",
                    "业务办理项的材料缺少名称",
                );
            }
        }
    }
    if g.legal_limit.unit != g.promised_limit.unit && g.promised_limit.value > 0 {
        err(
            &mut e,
            "promised_limit.unit",
            "unit_mismatch",
            "承诺办结时限应与法定办结时限使用相同单位",
        );
    } else if g.promised_limit.value > g.legal_limit.value {
        err(
            &mut e,
            "promised_limit.value",
            "exceeds_legal",
            "承诺办结时限不能长于法定办结时限",
        );
    }
    if g.case_kind == CaseKind::Immediate && g.promised_limit.value != 0 {
        err(
            &mut e,
            "promised_limit.value",
            "immediate_nonzero",
            "即办件的承诺办结时限应为0（当场办结）",
        );
    }
    for (i, f) in g.fees.iter().enumerate() {
        if f.name.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].name"),
                "required",
                format!("第{}项收费缺少名称", i + 1),
            );
        }
        if f.standard.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].standard"),
                "required",
                format!("第{}项收费缺少收费标准", i + 1),
            );
        }
        if f.basis.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].basis"),
                "required",
                format!("第{}项收费缺少收费依据", i + 1),
            );
        }
        if f.waivable && f.waiver_basis.trim().is_empty() {
            err(
                &mut e,
                format!("fees[{i}].waiver_basis"),
                "required",
                format!("第{}项收费允许减免，须写明减免依据", i + 1),
            );
        }
    }
    if !(1..=4).contains(&g.online_depth) {
        err(
            &mut e,
            "online_depth",
            "invalid_code",
            "网上办理深度应为Ⅰ至Ⅳ级",
        );
    }
    if g.min_level > 4 {
        err(
            &mut e,
            "min_level",
            "out_of_range",
            "实名等级要求应为一至四级",
        );
    }
    if g.online_depth == 4 && g.visits > 0 {
        err(
            &mut e,
            "visits",
            "depth4_visits",
            "全程网办（Ⅳ级）事项的到办事现场次数必须为0",
        );
    }
    if g.online_depth == 3 && g.visits > 1 {
        err(
            &mut e,
            "visits",
            "depth3_visits",
            "Ⅲ级事项到办事现场次数不能超过1次",
        );
    }
    if g.handling_forms.is_empty() {
        err(&mut e, "handling_forms", "required", "至少选择一种办理形式");
    }
    for (i, c) in g.handling_forms.iter().enumerate() {
        if label(HANDLING_FORMS, c).is_none() {
            err(
                &mut e,
                format!("handling_forms[{i}]"),
                "invalid_code",
                "办理形式代码无效（附录A.5）",
            );
        }
    }
    if g.visits == 0 && g.online_depth < 4 && !g.handling_forms.iter().any(|c| c == "4") {
        err(
            &mut e,
            "visits",
            "zero_visits_needs_post",
            "非全程网办事项到现场0次的，办理形式须包含快递申请",
        );
    }
    if g.service_objects.is_empty() {
        err(
            &mut e,
            "service_objects",
            "required",
            "至少选择一个服务对象",
        );
    }
    for (i, c) in g.service_objects.iter().enumerate() {
        if label(SERVICE_OBJECTS, c).is_none() {
            err(
                &mut e,
                format!("service_objects[{i}]"),
                "invalid_code",
                "服务对象代码无效（附录A.4）",
            );
        }
    }
    for (field, v, what) in [
        ("place", &g.place, "办理地点"),
        ("hours", &g.hours, "办理时间"),
        ("consult_phone", &g.consult_phone, "咨询电话"),
        ("supervise_phone", &g.supervise_phone, "监督电话"),
    ] {
        if v.trim().is_empty() {
            err(&mut e, field, "required", format!("{what}不能为空"));
        }
    }
    for (i, q) in g.faq.iter().enumerate() {
        if q.question.trim().is_empty() || q.answer.trim().is_empty() {
            err(
                &mut e,
                format!("faq[{i}]"),
                "required",
                format!("第{}个常见问题须有问有答", i + 1),
            );
        }
    }
    e
}

/// 基本编码: an opaque code of 1–12 digits or capital letters (the layout of
/// GB/T 39554.1 is [U], so only length and charset are checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CatalogCode(String);

/// 实施编码: the implementing body's credit code, one character, and the
/// basic code (31 characters as observed on the national platform).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TaskCode(String);

/// Why a code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Wrong length or characters.
    #[error("{0}")]
    Format(&'static str),
    /// The first 18 characters are not a valid credit code.
    #[error("实施编码前18位不是有效的统一社会信用代码：{0}")]
    CreditCode(String),
    /// The last 12 characters are not the item's basic code.
    #[error("实施编码后12位应与基本编码一致")]
    CatalogMismatch,
}

impl CatalogCode {
    /// Parses a basic code.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty()
            || s.len() > 12
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(CodeError::Format("基本编码应为1至12位数字或大写字母"));
        }
        Ok(Self(s))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TaskCode {
    /// Parses an implementation code. With `strict`, checks the observed
    /// 31-character layout: a valid credit code, one character, then the
    /// basic code `catalog` (switchable until GB/T 39554.1 is confirmed).
    pub fn parse(s: &str, catalog: Option<&CatalogCode>, strict: bool) -> Result<Self, CodeError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty()
            || s.len() > 36
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(CodeError::Format("实施编码应为不超过36位的数字或大写字母"));
        }
        if strict {
            if s.len() != 31 {
                return Err(CodeError::Format(
                    "实施编码应为31位：18位统一社会信用代码、1位、12位基本编码",
                ));
            }
            CreditCode::parse(&s[..18]).map_err(|e| CodeError::CreditCode(e.to_string()))?;
            if let Some(c) = catalog
                && format!("{:0>12}", c.as_str()) != s[19..]
            {
                return Err(CodeError::CatalogMismatch);
            }
        }
        Ok(Self(s))
    }

    /// Builds the strict code of an implementing body for a basic code.
    pub fn compose(
        body: &CreditCode,
        level_char: char,
        catalog: &CatalogCode,
    ) -> Result<Self, CodeError> {
        Self::parse(
            &format!("{}{}{:0>12}", body.as_str(), level_char, catalog.as_str()),
            Some(catalog),
            true,
        )
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One changed element between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Path such as `materials[1].copies`.
    pub path: String,
    /// Value before (JSON text; empty when added).
    pub before: String,
    /// Value after (JSON text; empty when removed).
    pub after: String,
}

/// The elements that differ between two guides, in document order.
pub fn diff(a: &Guide, b: &Guide) -> Vec<Change> {
    let va = serde_json::to_value(a).unwrap_or_default();
    let vb = serde_json::to_value(b).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &va, &vb, &mut out);
    out
}

fn show(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<Change>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeMap<&String, ()> = x.keys().chain(y.keys()).map(|k| (k, ())).collect();
            for k in keys.keys() {
                let p = if path.is_empty() {
                    (*k).clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(*k), y.get(*k)) {
                    (Some(u), Some(v)) => walk(&p, u, v, out),
                    (u, v) => out.push(Change {
                        path: p,
                        before: show(u),
                        after: show(v),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(u), Some(v)) => walk(&p, u, v, out),
                    (u, v) => out.push(Change {
                        path: p,
                        before: show(u),
                        after: show(v),
                    }),
                }
            }
        }
        _ if a != b => out.push(Change {
            path: path.to_owned(),
            before: show(Some(a)),
            after: show(Some(b)),
        }),
        _ => {}
    }
}

/// Lifecycle of one version of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Being edited.
    Draft,
    /// Submitted, waiting for a reviewer.
    InReview,
    /// Approved, waiting for its effective date.
    Scheduled,
    /// Published: the current public version.
    Published,
    /// Replaced by a later published version.
    Superseded,
    /// Taken off the catalog.
    Withdrawn,
}

impl VersionStatus {
    /// Wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Superseded => "superseded",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses a wire code.
    pub fn from_code(c: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::InReview,
            Self::Scheduled,
            Self::Published,
            Self::Superseded,
            Self::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == c)
    }
}

/// What an editor or reviewer may do with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionAction {
    /// Save changes to the document.
    Edit,
    /// Send to review.
    Submit,
    /// Send back to the editor.
    Reject,
    /// Publish now.
    Publish,
    /// Approve for publication on a later date.
    Schedule,
    /// A scheduled version's date has come.
    Activate,
    /// Take off the catalog.
    Withdraw,
}

/// The state a version moves to, or `None` when the action is not allowed
/// in its current state.
pub fn transition(from: VersionStatus, action: VersionAction) -> Option<VersionStatus> {
    use VersionAction as A;
    use VersionStatus as S;
    match (from, action) {
        (S::Draft, A::Edit) => Some(S::Draft),
        (S::Draft, A::Submit) => Some(S::InReview),
        (S::InReview, A::Reject) => Some(S::Draft),
        (S::InReview, A::Publish) => Some(S::Published),
        (S::InReview, A::Schedule) => Some(S::Scheduled),
        (S::Scheduled, A::Activate) => Some(S::Published),
        (S::Scheduled, A::Reject) => Some(S::Draft),
        (S::Published, A::Withdraw) => Some(S::Withdrawn),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A guide that passes every rule.
    pub fn sample() -> Guide {
        Guide {
            name: "食品经营许可".into(),
            item_type: "01".into(),
            legal_basis: "《中华人民共和国食品安全法》第三十五条".into(),
            conditions: vec!["具有与经营的食品品种、数量相适应的经营场所".into()],
            materials: vec![Material {
                name: "食品经营许可申请书".into(),
                required: true,
                originals: 1,
                ..Default::default()
            }],
            process: vec!["申请".into(), "受理".into(), "审查".into(), "决定".into()],
            legal_limit: TimeLimit {
                value: 20,
                ..Default::default()
            },
            promised_limit: TimeLimit {
                value: 10,
                ..Default::default()
            },
            handling_forms: vec!["1".into(), "2".into()],
            service_objects: vec!["2".into()],
            online_depth: 3,
            visits: 1,
            place: "哈尔滨市政务服务中心".into(),
            hours: "工作日 9:00-17:00".into(),
            consult_phone: "0451-12345".into(),
            supervise_phone: "0451-12345".into(),
            ..Default::default()
        }
    }

    fn codes(g: &Guide) -> Vec<(&str, String)> {
        validate(g, &CodeLists::defaults())
            .into_iter()
            .map(|e| (e.code, e.field))
            .collect()
    }

    #[test]
    fn a_complete_guide_passes() {
        assert_eq!(validate(&sample(), &CodeLists::defaults()), vec![]);
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut g = sample();
        g.name.clear();
        g.promised_limit.value = 30;
        g.online_depth = 4;
        g.visits = 2;
        g.materials.push(Material::default());
        g.fees.push(Fee {
            name: "工本费".into(),
            standard: "10元".into(),
            ..Default::default()
        });
        let c = codes(&g);
        assert!(c.contains(&("required", "name".into())));
        assert!(c.contains(&("exceeds_legal", "promised_limit.value".into())));
        assert!(c.contains(&("depth4_visits", "visits".into())));
        assert!(c.contains(&("required", "materials[1].name".into())));
        assert!(c.contains(&("required", "fees[0].basis".into())));
        assert_eq!(c.len(), 5, "{c:?}");
    }

    #[test]
    fn immediate_items_promise_zero_and_zero_visits_need_post() {
        let mut g = sample();
        g.case_kind = CaseKind::Immediate;
        assert!(codes(&g).contains(&("immediate_nonzero", "promised_limit.value".into())));
        let mut g = sample();
        g.visits = 0;
        assert!(codes(&g).contains(&("zero_visits_needs_post", "visits".into())));
        g.handling_forms.push("4".into());
        assert_eq!(validate(&g, &CodeLists::defaults()), vec![]);
        let mut g = sample();
        g.item_type = "99".into();
        g.service_objects = vec!["7".into()];
        let c = codes(&g);
        assert!(
            c.contains(&("invalid_code", "item_type".into()))
                && c.contains(&("invalid_code", "service_objects[0]".into()))
        );
    }

    #[test]
    fn material_codes_come_from_the_configured_lists() {
        let mut g = sample();
        g.materials[0].form = "microfilm".into();
        g.materials[0].source = "notary".into();
        let c = codes(&g);
        assert!(c.contains(&("invalid_code", "materials[0].form".into())));
        assert!(c.contains(&("invalid_code", "materials[0].source".into())));
        let added = |list, code: &str| {
            (
                list,
                CodeEntry {
                    code: code.into(),
                    zh: code.into(),
                    en: code.into(),
                },
            )
        };
        let mut rows: Vec<_> = CodeLists::defaults()
            .entries(CodeList::MaterialForm)
            .iter()
            .map(|e| (CodeList::MaterialForm, e.clone()))
            .collect();
        rows.push(added(CodeList::MaterialForm, "microfilm"));
        rows.push(added(CodeList::MaterialSource, "notary"));
        let lists = CodeLists::from_rows(rows);
        assert_eq!(validate(&g, &lists), vec![]);
        // A list with stored rows replaces its defaults; one without keeps them.
        assert_eq!(lists.entries(CodeList::MaterialSource).len(), 1);
        assert!(lists.contains(CodeList::OnlineDepth, "4"));
        assert!(!lists.contains(CodeList::MaterialSource, "applicant"));
    }

    #[test]
    fn codes_are_checked() {
        let cat = CatalogCode::parse("000117001001").unwrap();
        assert!(TaskCode::parse("11100000000013127D3000117001001", Some(&cat), true).is_ok());
        assert_eq!(
            TaskCode::parse("11100000000013127D3000117001002", Some(&cat), true),
            Err(CodeError::CatalogMismatch)
        );
        assert!(matches!(
            TaskCode::parse("11100000000013127X3000117001001", Some(&cat), true),
            Err(CodeError::CreditCode(_))
        ));
        assert!(matches!(
            TaskCode::parse("123", Some(&cat), true),
            Err(CodeError::Format(_))
        ));
        assert!(TaskCode::parse("LOCAL-1".replace('-', "").as_str(), None, false).is_ok());
        assert!(
            CatalogCode::parse("").is_err()
                && CatalogCode::parse("1234567890123").is_err()
                && CatalogCode::parse("ab_1").is_err()
        );
        let body = CreditCode::parse("11100000000013127D").unwrap();
        assert_eq!(
            TaskCode::compose(&body, '3', &cat).unwrap().as_str(),
            "11100000000013127D3000117001001"
        );
    }

    #[test]
    fn diff_names_each_changed_element() {
        let a = sample();
        let mut b = sample();
        b.promised_limit.value = 5;
        b.materials[0].copies = 2;
        b.materials.push(Material {
            name: "营业执照".into(),
            ..Default::default()
        });
        let d = diff(&a, &b);
        let paths: Vec<_> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "materials[0].copies",
                "materials[1]",
                "promised_limit.value"
            ]
        );
        assert_eq!(d[2].before, "10");
        assert_eq!(d[2].after, "5");
        assert!(d[1].before.is_empty() && d[1].after.contains("营业执照"));
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn version_lifecycle() {
        use VersionAction as A;
        use VersionStatus as S;
        assert_eq!(transition(S::Draft, A::Submit), Some(S::InReview));
        assert_eq!(transition(S::InReview, A::Publish), Some(S::Published));
        assert_eq!(transition(S::InReview, A::Reject), Some(S::Draft));
        assert_eq!(
            transition(S::Published, A::Edit),
            None,
            "a published version never changes"
        );
        assert_eq!(
            transition(S::Draft, A::Publish),
            None,
            "publishing needs a review"
        );
        assert_eq!(transition(S::Withdrawn, A::Publish), None);
        assert_eq!(transition(S::InReview, A::Schedule), Some(S::Scheduled));
        assert_eq!(transition(S::Scheduled, A::Activate), Some(S::Published));
        assert_eq!(
            transition(S::Scheduled, A::Edit),
            None,
            "an approved version never changes"
        );
        assert_eq!(transition(S::Draft, A::Activate), None);
        for s in [
            S::Draft,
            S::InReview,
            S::Scheduled,
            S::Published,
            S::Superseded,
            S::Withdrawn,
        ] {
            assert_eq!(VersionStatus::from_code(s.code()), Some(s));
        }
    }

    proptest! {
        #[test]
        fn promised_never_exceeds_legal_in_a_valid_guide(legal in 0u32..100, promised in 0u32..100) {
            let mut g = sample();
            g.legal_limit.value = legal;
            g.promised_limit.value = promised;
            let ok = !codes(&g).iter().any(|(c, _)| *c == "exceeds_legal");
            prop_assert_eq!(ok, promised <= legal);
        }

        #[test]
        fn diff_of_a_guide_with_itself_is_empty_and_round_trips(name in "\\PC{0,20}", copies in 0u8..5) {
            let mut g = sample();
            g.name = name;
            g.materials[0].copies = copies;
            prop_assert!(diff(&g, &g.clone()).is_empty());
            let back: Guide = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
            prop_assert_eq!(back, g);
        }
    }
}
