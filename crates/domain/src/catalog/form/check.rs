//! A person's answers checked against the form: every problem at once, each
//! at its JSON pointer (`/fields/area`, `/fields/members/1/id_number`) with
//! a stable code (`form.required`, `form.too_large` …) and the values its
//! sentence names (`{label}`, `{max}` …).

use serde_json::{Map, Value};
use time::Date;

use super::{Condition, Field, FormDef, Kind, Rule, Section};
use crate::FieldProblem;
use crate::kernel::calendar::parse_date;
use crate::kernel::{CreditCode, DivisionCode, IdCardNo};

/// Whether a value counts as not answered.
pub fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| blank(Some(v))),
        _ => false,
    }
}

fn holds(c: &Condition, answers: &Map<String, Value>) -> bool {
    match answers.get(&c.field) {
        Some(Value::String(s)) => c.any_of.iter().any(|a| a == s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .any(|s| c.any_of.iter().any(|a| a == s)),
        _ => false,
    }
}

fn problem(pointer: &str, code: &'static str, f: &Field, message: &str) -> FieldProblem {
    FieldProblem::new(pointer, code, format!("“{}”{message}", f.label))
        .with("label", f.label.clone())
        .with("label_en", f.label_en.clone())
}

/// A landline with its area code: `0` and 2 or 3 more digits, an optional
/// `-`, 7 or 8 digits, and an optional extension after a `-`.
fn landline_ok(s: &str) -> bool {
    static LANDLINE: std::sync::LazyLock<Option<regex_lite::Regex>> =
        std::sync::LazyLock::new(|| {
            regex_lite::Regex::new(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$").ok()
        });
    LANDLINE.as_ref().is_some_and(|r| r.is_match(s))
}

fn decimals_of(n: &serde_json::Number) -> usize {
    let s = n.to_string();
    match s.split_once('.') {
        Some((_, frac)) if !s.contains(['e', 'E']) => frac.trim_end_matches('0').len(),
        Some(_) => usize::MAX,
        None => 0,
    }
}

impl FormDef {
    /// Whether a section is shown for these answers.
    pub fn section_shown(&self, s: &Section, answers: &Map<String, Value>) -> bool {
        s.show_if.as_ref().is_none_or(|c| holds(c, answers))
    }

    /// Whether a field outside groups is shown for these answers.
    pub fn field_shown(&self, s: &Section, f: &Field, answers: &Map<String, Value>) -> bool {
        self.section_shown(s, answers) && f.show_if.as_ref().is_none_or(|c| holds(c, answers))
    }

    /// The answers of shown fields only: what is kept when a choice hid a
    /// part of the form the person had filled. A hidden answer hides in
    /// turn what its own value showed, until nothing more changes.
    pub fn shown_answers(&self, answers: &Map<String, Value>) -> Map<String, Value> {
        let mut current = answers.clone();
        loop {
            let mut out = Map::new();
            for s in &self.sections {
                for f in &s.fields {
                    if self.field_shown(s, f, &current)
                        && let Some(v) = current.get(&f.key)
                    {
                        out.insert(f.key.clone(), v.clone());
                    }
                }
            }
            // Each round only removes answers, so this ends.
            if out.len() == current.len() {
                return out;
            }
            current = out;
        }
    }

    /// Checks answers on the day `today`. With `complete`, required shown
    /// fields must be answered (submission); without, only what is given is
    /// checked (saving a draft). A key the form does not have is refused.
    pub fn check(
        &self,
        answers: &Map<String, Value>,
        today: Date,
        complete: bool,
    ) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        for key in answers.keys() {
            if self.field(key).is_none() {
                out.push(
                    FieldProblem::new(format!("/fields/{key}"), "form.unknown", "表单没有这一项")
                        .with("value", key.clone()),
                );
            }
        }
        for s in &self.sections {
            for f in &s.fields {
                if !self.field_shown(s, f, answers) {
                    continue;
                }
                let pointer = format!("/fields/{}", f.key);
                check_field(&pointer, f, answers.get(&f.key), today, complete, &mut out);
            }
        }
        let answered = |k: &str| !blank(answers.get(k)) && self.field(k).is_some();
        for r in &self.rules {
            match r {
                Rule::DateOrder { first, second } if answered(first) && answered(second) => {
                    let d = |k: &str| answers.get(k).and_then(Value::as_str).and_then(parse_date);
                    if let (Some(a), Some(b)) = (d(first), d(second))
                        && a > b
                        && let (Some(fa), Some(fb)) = (self.field(first), self.field(second))
                    {
                        out.push(
                            problem(
                                &format!("/fields/{second}"),
                                "form.date_order",
                                fb,
                                "不能早于前一日期",
                            )
                            .with("other", fa.label.clone())
                            .with("other_en", fa.label_en.clone()),
                        );
                    }
                }
                Rule::NotGreater { lesser, greater } if answered(lesser) && answered(greater) => {
                    let n = |k: &str| answers.get(k).and_then(Value::as_f64);
                    if let (Some(a), Some(b)) = (n(lesser), n(greater))
                        && a > b
                        && let (Some(fa), Some(fb)) = (self.field(lesser), self.field(greater))
                    {
                        out.push(
                            problem(
                                &format!("/fields/{lesser}"),
                                "form.not_greater",
                                fa,
                                "不能大于另一项",
                            )
                            .with("other", fb.label.clone())
                            .with("other_en", fb.label_en.clone()),
                        );
                    }
                }
                Rule::OneOf { fields } if complete => {
                    let shown: Vec<&Field> = self
                        .sections
                        .iter()
                        .flat_map(|s| {
                            s.fields
                                .iter()
                                .filter(move |f| fields.contains(&f.key))
                                .map(move |f| (s, f))
                        })
                        .filter(|(s, f)| self.field_shown(s, f, answers))
                        .map(|(_, f)| f)
                        .collect();
                    if !shown.is_empty() && shown.iter().all(|f| blank(answers.get(&f.key))) {
                        let labels = shown
                            .iter()
                            .map(|f| f.label.as_str())
                            .collect::<Vec<_>>()
                            .join("、");
                        let labels_en = shown
                            .iter()
                            .map(|f| f.label_en.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        out.push(
                            FieldProblem::new(
                                format!("/fields/{}", shown[0].key),
                                "form.one_of",
                                format!("请至少填写{labels}中的一项"),
                            )
                            .with("labels", labels)
                            .with("labels_en", labels_en),
                        );
                    }
                }
                _ => {}
            }
        }
        out
    }
}

fn check_field(
    pointer: &str,
    f: &Field,
    v: Option<&Value>,
    today: Date,
    complete: bool,
    out: &mut Vec<FieldProblem>,
) {
    if blank(v) {
        if complete && f.required {
            out.push(problem(pointer, "form.required", f, "为必填项"));
        }
        return;
    }
    let Some(v) = v else { return };
    let text = v.as_str().map(str::trim);
    let wrong_type = |out: &mut Vec<FieldProblem>| {
        out.push(
            problem(pointer, "form.wrong_type", f, "的填写方式不对").with("kind", f.kind.name()),
        );
    };
    match &f.kind {
        Kind::Text {
            max_len, pattern, ..
        } => {
            let Some(s) = text else {
                return wrong_type(out);
            };
            if s.chars().count() > *max_len as usize {
                out.push(
                    problem(pointer, "form.too_long", f, "过长").with("max", max_len.to_string()),
                );
            } else if !pattern.is_empty()
                && regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| !r.is_match(s))
            {
                out.push(problem(pointer, "form.pattern", f, "的格式不符合要求"));
            }
        }
        Kind::Number { min, max, decimals } => {
            let Some(n) = v.as_number() else {
                let example = 120.clamp(
                    min.unwrap_or(i64::MIN),
                    max.unwrap_or(i64::MAX).max(min.unwrap_or(i64::MIN)),
                );
                out.push(
                    problem(
                        pointer,
                        "form.not_a_number",
                        f,
                        &format!("请填写数字，例如 {example}"),
                    )
                    .with("example", example.to_string()),
                );
                return;
            };
            let x = n.as_f64().unwrap_or(f64::NAN);
            if decimals_of(n) > usize::from(*decimals) {
                out.push(
                    problem(pointer, "form.decimals", f, "的小数位数过多")
                        .with("n", decimals.to_string()),
                );
            } else if let Some(m) = min.filter(|m| x < *m as f64) {
                out.push(problem(pointer, "form.too_small", f, "过小").with("min", m.to_string()));
            } else if let Some(m) = max.filter(|m| x > *m as f64) {
                out.push(problem(pointer, "form.too_large", f, "过大").with("max", m.to_string()));
            }
        }
        Kind::Money { max } => {
            let Some(n) = v.as_number() else {
                out.push(
                    problem(
                        pointer,
                        "form.not_a_number",
                        f,
                        "请填写金额（元），例如 1500.00",
                    )
                    .with("example", "1500.00"),
                );
                return;
            };
            let x = n.as_f64().unwrap_or(f64::NAN);
            if decimals_of(n) > 2 {
                out.push(problem(pointer, "form.decimals", f, "最多精确到分").with("n", "2"));
            } else if x.is_nan() || x < 0.0 {
                out.push(problem(pointer, "form.too_small", f, "不能为负数").with("min", "0"));
            } else if let Some(m) = max.filter(|m| x > *m as f64) {
                out.push(problem(pointer, "form.too_large", f, "过大").with("max", m.to_string()));
            }
        }
        Kind::Date { past, future } => {
            let Some(d) = text.and_then(parse_date) else {
                return out.push(problem(
                    pointer,
                    "form.bad_date",
                    f,
                    "应为有效日期（年-月-日）",
                ));
            };
            if *past && d > today {
                out.push(problem(pointer, "form.not_past", f, "不能晚于今天"));
            } else if *future && d < today {
                out.push(problem(pointer, "form.not_future", f, "不能早于今天"));
            }
        }
        Kind::Choice { options, multiple } => {
            let known = |s: &str| options.iter().any(|o| o.code == s);
            let ok = match (multiple, v) {
                (false, Value::String(s)) => known(s),
                (true, Value::Array(items)) => {
                    let codes: Vec<Option<&str>> = items.iter().map(Value::as_str).collect();
                    codes.iter().all(|c| c.is_some_and(known))
                        && codes
                            .iter()
                            .enumerate()
                            .all(|(i, c)| !codes[..i].contains(c))
                }
                _ => false,
            };
            if !ok {
                out.push(problem(
                    pointer,
                    "form.not_a_choice",
                    f,
                    "应从给出的选项中选择",
                ));
            }
        }
        Kind::IdCard | Kind::CreditCode => {
            let Some(s) = text else {
                return wrong_type(out);
            };
            let problem = match &f.kind {
                Kind::IdCard => IdCardNo::parse(s).err().map(|e| e.problem(pointer)),
                _ => CreditCode::parse(s).err().map(|e| e.problem(pointer)),
            };
            if let Some(p) = problem {
                out.push(
                    p.subject(&f.label, &f.label_en)
                        .with("label", f.label.clone())
                        .with("label_en", f.label_en.clone()),
                );
            }
        }
        Kind::Phone => {
            let Some(s) = text else {
                return wrong_type(out);
            };
            if !crate::identity::phone_ok(s) {
                out.push(problem(pointer, "form.phone", f, "应为11位手机号码"));
            }
        }
        Kind::Telephone => {
            let Some(s) = text else {
                return wrong_type(out);
            };
            if !crate::identity::phone_ok(s) && !landline_ok(s) {
                out.push(problem(
                    pointer,
                    "form.telephone",
                    f,
                    "应为11位手机号码或带区号的固定电话，例如 0451-86661234",
                ));
            }
        }
        Kind::Address => {
            let Some(o) = v.as_object() else {
                return wrong_type(out);
            };
            let division = o.get("division").and_then(Value::as_str).unwrap_or("");
            let detail = o.get("detail").and_then(Value::as_str).unwrap_or("").trim();
            if o.keys().any(|k| k != "division" && k != "detail") {
                return wrong_type(out);
            }
            if DivisionCode::parse(division).is_err() {
                out.push(problem(
                    &format!("{pointer}/division"),
                    "form.division",
                    f,
                    "应选择所在行政区划",
                ));
            }
            if detail.is_empty() || detail.chars().count() > 200 {
                out.push(problem(
                    &format!("{pointer}/detail"),
                    "form.address",
                    f,
                    "应填写详细地址（200字以内）",
                ));
            }
        }
        Kind::Group { fields, min, max } => {
            let Some(items) = v.as_array() else {
                return wrong_type(out);
            };
            if complete && (items.len() as u32) < *min {
                out.push(
                    problem(pointer, "form.too_few", f, "条数不足").with("min", min.to_string()),
                );
            }
            if items.len() as u32 > *max {
                out.push(
                    problem(pointer, "form.too_many", f, "条数过多").with("max", max.to_string()),
                );
            }
            for (i, item) in items.iter().enumerate() {
                let at = format!("{pointer}/{i}");
                let Some(o) = item.as_object() else {
                    out.push(
                        problem(&at, "form.wrong_type", f, "的填写方式不对").with("kind", "group"),
                    );
                    continue;
                };
                for k in o.keys() {
                    if !fields.iter().any(|g| &g.key == k) {
                        out.push(
                            FieldProblem::new(
                                format!("{at}/{k}"),
                                "form.unknown",
                                "表单没有这一项",
                            )
                            .with("value", k.clone()),
                        );
                    }
                }
                for g in fields {
                    check_field(
                        &format!("{at}/{}", g.key),
                        g,
                        o.get(&g.key),
                        today,
                        complete,
                        out,
                    );
                }
            }
        }
    }
}
