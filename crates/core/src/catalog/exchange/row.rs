//! One implementation in exchange form, and the CSV header.

use super::*;

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
    /// 申请表单 (local extension): the item's application form in the form
    /// text of `tongban_domain::catalog::form::text`.
    pub form: String,
    /// 业务办理项表单 (local extension): the questions each situation adds,
    /// a line `@ 名称` before each situation's form text.
    pub situation_forms: String,
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
    "situations",
    "form",
    "situation_forms",
];
