//! The guide (办事指南): every element of an implementation list as data.

use serde::{Deserialize, Serialize};

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

impl TimeLimit {
    /// The limit in Chinese words, as guides and notices print it
    /// (即办（当场办结）, 20 个工作日, 30 个自然日).
    pub fn words_zh(&self) -> String {
        match (self.value, self.unit) {
            (0, _) => "即办（当场办结）".into(),
            (n, TimeUnit::Workday) => format!("{n} 个工作日"),
            (n, TimeUnit::Day) => format!("{n} 个自然日"),
        }
    }

    /// The period the legal calendar counts for it.
    pub fn period(&self) -> crate::kernel::calendar::Period {
        use crate::kernel::calendar::{Period, Unit};
        Period {
            count: self.value,
            unit: match self.unit {
                TimeUnit::Workday => Unit::WorkingDays,
                TimeUnit::Day => Unit::CalendarDays,
            },
        }
    }
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
    /// 由申请表生成: the application form itself is this material (a
    /// 申请书 whose contents the online form asks for); nothing is uploaded,
    /// and on submission the form as submitted stands in its place.
    FromForm,
}

/// 申请材料: one required or optional material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Material {
    /// 材料编码: stable across the item's versions (see [`assign_codes`]).
    pub code: String,
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
    /// File types accepted online (codes of [`FILE_TYPES`]).
    pub file_types: Vec<String>,
    /// Size limit of one file, in MB.
    pub max_mb: u32,
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
            file_types: super::default_file_types(),
            max_mb: super::DEFAULT_MAX_MB,
            code: String::new(),
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
    /// Questions in addition to the item's form (申请表单), asked in this
    /// situation only.
    pub form: super::form::FormDef,
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
    /// 申请表单: what an application asks (empty: the item is not applied
    /// for online with a form of its own).
    pub form: super::form::FormDef,
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
