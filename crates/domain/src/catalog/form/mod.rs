//! The application form of an implementation (申请表单): typed fields in
//! sections, with required fields, patterns, ranges, choices, conditional
//! visibility, repeating groups and cross-field rules. It is part of the
//! guide, so it is versioned and published with it, and a draft keeps the
//! version it was started under.
//!
//! [`FormDef::problems`] says whether a definition is well made (checked
//! before a guide is published); [`FormDef::check`] checks a person's
//! answers, every problem at once, each at its JSON pointer
//! (`/fields/members/1/id_number`); [`FormDef::json_schema`] serves the
//! definition as JSON Schema 2020-12 for department systems and apps.

mod check;
pub mod input;
mod schema;
#[cfg(test)]
mod tests;
pub mod text;
pub mod words;

use serde::{Deserialize, Serialize};

use crate::FieldProblem;

/// A form: sections of fields, and rules between fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FormDef {
    /// Question pages, in order.
    pub sections: Vec<Section>,
    /// Rules between fields.
    pub rules: Vec<Rule>,
}

/// A section: one question page of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Section {
    /// Title (Chinese).
    pub title: String,
    /// Title (English).
    pub title_en: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Shown only when this holds.
    pub show_if: Option<Condition>,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Field {
    /// Key in the answers: a lower-case letter, then letters, digits or `_`
    /// (40 at most); unique in the form (in a group: unique in the group).
    pub key: String,
    /// Label (Chinese).
    pub label: String,
    /// Label (English).
    pub label_en: String,
    /// Hint under the label (Chinese).
    pub hint: String,
    /// Hint (English).
    pub hint_en: String,
    /// What it takes.
    pub kind: Kind,
    /// Whether it must be answered (when shown).
    pub required: bool,
    /// Shown only when this holds.
    pub show_if: Option<Condition>,
    /// Filled from the applicant's account when the form starts.
    pub prefill: Option<Prefill>,
}

/// What a field takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// Text, at most `max_len` characters, matching `pattern` when set.
    Text {
        /// Characters at most.
        #[serde(default = "default_max_len")]
        max_len: u32,
        /// Several lines.
        #[serde(default)]
        multiline: bool,
        /// A regular expression the whole text must match (empty: none).
        #[serde(default)]
        pattern: String,
    },
    /// A number with at most `decimals` decimal places, within the range.
    Number {
        /// Smallest allowed.
        #[serde(default)]
        min: Option<i64>,
        /// Largest allowed.
        #[serde(default)]
        max: Option<i64>,
        /// Decimal places allowed (0 for whole numbers).
        #[serde(default)]
        decimals: u8,
    },
    /// An amount of money in 元, two decimal places, not negative.
    Money {
        /// Largest allowed, in 元.
        #[serde(default)]
        max: Option<i64>,
    },
    /// A date (`YYYY-MM-DD`).
    Date {
        /// Not after the day of answering (a birth date).
        #[serde(default)]
        past: bool,
        /// Not before the day of answering (a planned opening).
        #[serde(default)]
        future: bool,
    },
    /// One of the options, or several when `multiple`.
    Choice {
        /// The options.
        options: Vec<Choice>,
        /// Several may be chosen.
        #[serde(default)]
        multiple: bool,
    },
    /// 公民身份号码 (GB 11643, check character verified).
    IdCard,
    /// 统一社会信用代码 (GB 32100, check character verified).
    CreditCode,
    /// A mainland mobile number.
    Phone,
    /// A telephone number: a mobile, or a landline with its area code
    /// (`0451-86661234`, an extension after a further `-`).
    Telephone,
    /// An address: the division (GB/T 2260) and the rest.
    Address,
    /// A repeating group of fields (家庭成员, 从业人员 …).
    Group {
        /// The fields of one entry.
        fields: Vec<Field>,
        /// Entries at least.
        #[serde(default)]
        min: u32,
        /// Entries at most.
        #[serde(default = "default_group_max")]
        max: u32,
    },
}

fn default_max_len() -> u32 {
    200
}

fn default_group_max() -> u32 {
    20
}

impl Default for Kind {
    fn default() -> Self {
        Kind::Text {
            max_len: default_max_len(),
            multiline: false,
            pattern: String::new(),
        }
    }
}

impl Kind {
    /// Stable name of the kind (`text`, `id_card` …).
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Text { .. } => "text",
            Kind::Number { .. } => "number",
            Kind::Money { .. } => "money",
            Kind::Date { .. } => "date",
            Kind::Choice { .. } => "choice",
            Kind::IdCard => "id_card",
            Kind::CreditCode => "credit_code",
            Kind::Phone => "phone",
            Kind::Telephone => "tel",
            Kind::Address => "address",
            Kind::Group { .. } => "group",
        }
    }
}

/// An option of a choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Choice {
    /// Stored code.
    pub code: String,
    /// Label (Chinese).
    pub label: String,
    /// Label (English).
    pub label_en: String,
}

/// A field is shown when the choice field `field` has one of `any_of`
/// (for a multiple choice: when any of them is chosen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Condition {
    /// Key of a choice field outside any group.
    pub field: String,
    /// Codes that show it.
    pub any_of: Vec<String>,
}

/// A rule between fields outside groups, checked when both are answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// The date `first` is not after the date `second` (开始 ≤ 结束).
    DateOrder {
        /// Earlier date field.
        first: String,
        /// Later date field.
        second: String,
    },
    /// The number `lesser` is not greater than the number `greater`.
    NotGreater {
        /// Smaller number field.
        lesser: String,
        /// Larger number field.
        greater: String,
    },
    /// At least one of the fields is answered (联系电话或电子邮箱).
    OneOf {
        /// The fields.
        fields: Vec<String>,
    },
}

/// What a field is filled with from the applicant's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    /// The person's name (or the enterprise's name).
    Name,
    /// The person's ID number.
    IdNumber,
    /// The mobile number of record.
    Phone,
    /// The enterprise's name.
    EnterpriseName,
    /// The enterprise's credit code.
    CreditCode,
    /// The enterprise's legal representative.
    LegalRepresentative,
}

impl Prefill {
    /// Who the applicant is (name, ID number, enterprise name, credit
    /// code): once filled from the account, not an answer to edit. The
    /// phone and the legal representative stay editable.
    pub fn identity(self) -> bool {
        matches!(
            self,
            Self::Name | Self::IdNumber | Self::EnterpriseName | Self::CreditCode
        )
    }
}

/// Whether a field key is well formed.
pub fn key_ok(key: &str) -> bool {
    let b = key.as_bytes();
    (1..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

impl FormDef {
    /// Whether the form asks nothing.
    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|s| s.fields.is_empty())
    }

    /// Every field outside groups, with its section's index.
    pub fn top_fields(&self) -> impl Iterator<Item = (usize, &Field)> {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.fields.iter().map(move |f| (i, f)))
    }

    /// The field outside groups with this key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.top_fields().map(|(_, f)| f).find(|f| f.key == key)
    }

    /// What is wrong with the definition itself, every problem at once, at
    /// `form.sections[i].fields[j]…` paths: keys malformed or repeated,
    /// a choice without options or with repeated codes, a range upside
    /// down, a pattern that is not a regular expression, a group inside a
    /// group, conditions and rules naming fields that are not there or not
    /// of the right kind.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (si, s) in self.sections.iter().enumerate() {
            let at = format!("form.sections[{si}]");
            if s.title.trim().is_empty() {
                out.push(FieldProblem::new(
                    format!("{at}.title"),
                    "form_def.no_title",
                    "表单分节缺少标题",
                ));
            }
            if let Some(c) = &s.show_if {
                self.condition_problems(&format!("{at}.show_if"), c, &mut out);
            }
            for (fi, f) in s.fields.iter().enumerate() {
                let at = format!("{at}.fields[{fi}]");
                if seen.contains(&f.key.as_str()) {
                    out.push(
                        FieldProblem::new(
                            format!("{at}.key"),
                            "form_def.duplicate_key",
                            "字段键重复",
                        )
                        .with("value", f.key.clone()),
                    );
                }
                seen.push(&f.key);
                self.field_problems(&at, f, false, &mut out);
            }
        }
        for (ri, r) in self.rules.iter().enumerate() {
            let at = format!("form.rules[{ri}]");
            let want = |key: &str, kind: &str, out: &mut Vec<FieldProblem>| match self.field(key) {
                Some(f) if f.kind.name() == kind => {}
                _ => out.push(
                    FieldProblem::new(
                        at.clone(),
                        "form_def.bad_rule",
                        "规则引用的字段不存在或类型不符",
                    )
                    .with("value", key.to_owned()),
                ),
            };
            match r {
                Rule::DateOrder { first, second } => {
                    want(first, "date", &mut out);
                    want(second, "date", &mut out);
                }
                Rule::NotGreater { lesser, greater } => {
                    want(lesser, "number", &mut out);
                    want(greater, "number", &mut out);
                }
                Rule::OneOf { fields } => {
                    if fields.len() < 2 {
                        out.push(FieldProblem::new(
                            at.clone(),
                            "form_def.too_few",
                            "“至少填写一项”规则至少需要两个字段",
                        ));
                    }
                    for k in fields {
                        if self.field(k).is_none() {
                            out.push(
                                FieldProblem::new(
                                    at.clone(),
                                    "form_def.bad_rule",
                                    "规则引用的字段不存在或类型不符",
                                )
                                .with("value", k.clone()),
                            );
                        }
                    }
                }
            }
        }
        out
    }

    fn condition_problems(&self, at: &str, c: &Condition, out: &mut Vec<FieldProblem>) {
        let ok = match self.field(&c.field).map(|f| &f.kind) {
            Some(Kind::Choice { options, .. }) => {
                !c.any_of.is_empty()
                    && c.any_of
                        .iter()
                        .all(|a| options.iter().any(|o| &o.code == a))
            }
            _ => false,
        };
        if !ok {
            out.push(
                FieldProblem::new(
                    at,
                    "form_def.bad_condition",
                    "显示条件应引用一个选择题字段及其选项",
                )
                .with("value", c.field.clone()),
            );
        }
    }

    fn field_problems(&self, at: &str, f: &Field, in_group: bool, out: &mut Vec<FieldProblem>) {
        if !key_ok(&f.key) {
            out.push(
                FieldProblem::new(
                    format!("{at}.key"),
                    "form_def.bad_key",
                    "字段键应以小写字母开头，由小写字母、数字和下划线组成，不超过40个字符",
                )
                .with("value", f.key.clone()),
            );
        }
        if f.label.trim().is_empty() {
            out.push(FieldProblem::new(
                format!("{at}.label"),
                "form_def.no_label",
                "字段缺少名称",
            ));
        }
        if let (Some(c), false) = (&f.show_if, in_group) {
            self.condition_problems(&format!("{at}.show_if"), c, out);
        }
        let kind_at = format!("{at}.kind");
        match &f.kind {
            Kind::Text {
                max_len, pattern, ..
            } => {
                if !(1..=10_000).contains(max_len) {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.range",
                        "文本长度上限应为1至10000",
                    ));
                }
                if !pattern.is_empty() && regex_lite::Regex::new(pattern).is_err() {
                    out.push(
                        FieldProblem::new(
                            &kind_at,
                            "form_def.bad_pattern",
                            "格式要求不是有效的正则表达式",
                        )
                        .with("value", pattern.clone()),
                    );
                }
            }
            Kind::Number { min, max, decimals } => {
                if matches!((min, max), (Some(a), Some(b)) if a > b) || *decimals > 6 {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.range",
                        "数值范围或小数位数不正确",
                    ));
                }
            }
            Kind::Money { max } => {
                if matches!(max, Some(m) if *m <= 0) {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.range",
                        "金额上限应大于0",
                    ));
                }
            }
            Kind::Date { past, future } => {
                if *past && *future {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.range",
                        "日期不能同时要求早于和晚于当天",
                    ));
                }
            }
            Kind::Choice { options, .. } => {
                if options.is_empty() {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.no_options",
                        "选择题至少需要一个选项",
                    ));
                }
                for (i, o) in options.iter().enumerate() {
                    let code_ok = (1..=40).contains(&o.code.len())
                        && o.code
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !code_ok {
                        out.push(
                            FieldProblem::new(
                                &kind_at,
                                "form_def.bad_option",
                                "选项代码应由字母、数字、下划线或连字符组成",
                            )
                            .with("value", o.code.clone()),
                        );
                    }
                    if options[..i].iter().any(|p| p.code == o.code) {
                        out.push(
                            FieldProblem::new(
                                &kind_at,
                                "form_def.duplicate_option",
                                "选项代码重复",
                            )
                            .with("value", o.code.clone()),
                        );
                    }
                    if o.label.trim().is_empty() {
                        out.push(
                            FieldProblem::new(&kind_at, "form_def.bad_option", "选项缺少名称")
                                .with("value", o.code.clone()),
                        );
                    }
                }
            }
            Kind::Group { fields, min, max } => {
                if in_group {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.nested_group",
                        "重复组内不能再嵌套重复组",
                    ));
                }
                if min > max || *max == 0 || *max > 200 {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.range",
                        "重复组的条数范围不正确（最多200条）",
                    ));
                }
                if fields.is_empty() {
                    out.push(FieldProblem::new(
                        &kind_at,
                        "form_def.no_fields",
                        "重复组至少需要一个字段",
                    ));
                }
                for (gi, g) in fields.iter().enumerate() {
                    let gat = format!("{kind_at}.fields[{gi}]");
                    if fields[..gi].iter().any(|o| o.key == g.key) {
                        out.push(
                            FieldProblem::new(
                                format!("{gat}.key"),
                                "form_def.duplicate_key",
                                "字段键重复",
                            )
                            .with("value", g.key.clone()),
                        );
                    }
                    if g.show_if.is_some() {
                        out.push(FieldProblem::new(
                            format!("{gat}.show_if"),
                            "form_def.group_condition",
                            "重复组内的字段不支持显示条件",
                        ));
                    }
                    self.field_problems(&gat, g, true, out);
                }
            }
            Kind::IdCard | Kind::CreditCode | Kind::Phone | Kind::Telephone | Kind::Address => {}
        }
    }
}
