//! Code tables of the guide (事项类型, 服务对象, 办理形式, 网办深度, 材料形式, 来源渠道): the built-in defaults and the configured lists that replace the ones the specification leaves open.

use serde::{Deserialize, Serialize};

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

/// The law an acceptance notice (回执, 补正告知书, 受理通知书) cites, by
/// 事项类型: a 行政许可 follows Art. 32 of the Administrative Licensing Law;
/// a type not listed cites its own guide's 设定依据. Which law governs the
/// other types' acceptance is [U]: a system administrator adds them.
pub const NOTICE_BASES: &[(&str, &str, &str)] = &[(
    "01",
    "《中华人民共和国行政许可法》第三十二条",
    "Article 32 of the Administrative Licensing Law of the PRC",
)];

/// The law the applicant's declaration names for false statements, by
/// 事项类型 (Arts. 31, 78 and 79 for a 行政许可); a type not listed names
/// its own guide's 设定依据 ([U], as [`NOTICE_BASES`]).
pub const DECLARATION_BASES: &[(&str, &str, &str)] = &[(
    "01",
    "《中华人民共和国行政许可法》第三十一条、第七十八条、第七十九条",
    "Articles 31, 78 and 79 of the Administrative Licensing Law of the PRC",
)];

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
    /// The law acceptance notices cite, by 事项类型.
    NoticeBasis,
    /// The law the declaration names, by 事项类型.
    DeclarationBasis,
}

impl CodeList {
    /// Every list, in display order.
    pub const ALL: [CodeList; 5] = [
        CodeList::MaterialForm,
        CodeList::MaterialSource,
        CodeList::OnlineDepth,
        CodeList::NoticeBasis,
        CodeList::DeclarationBasis,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeList::MaterialForm => "material_form",
            CodeList::MaterialSource => "material_source",
            CodeList::OnlineDepth => "online_depth",
            CodeList::NoticeBasis => "notice_basis",
            CodeList::DeclarationBasis => "declaration_basis",
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
            CodeList::NoticeBasis => NOTICE_BASES,
            CodeList::DeclarationBasis => DECLARATION_BASES,
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

    /// The law `list` (a basis list) gives for an item of `item_type`, in
    /// Chinese and English; `None` when the type is not listed (the item's
    /// own 设定依据 is cited then).
    pub fn basis(&self, list: CodeList, item_type: &str) -> Option<(&str, &str)> {
        self.get(list, item_type)
            .filter(|e| !e.zh.trim().is_empty())
            .map(|e| (e.zh.as_str(), e.en.as_str()))
    }
}

/// Looks up the Chinese and English labels of a code in a table.
pub fn label<'a>(table: &'a [(&str, &'a str, &'a str)], code: &str) -> Option<(&'a str, &'a str)> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| (*zh, *en))
}
