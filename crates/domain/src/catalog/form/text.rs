//! The form as text, for editors and the demo: one line per field, a `#`
//! line per section, indented lines for a repeating group's fields, and
//! `rule:` lines. [`parse`] lists every problem at once by line number;
//! [`format`] writes a form back so that parsing it gives the same form.
//!
//! ```text
//! # 经营者 | Operator
//! operator: 经营者名称 | Operator name | text 100 | required | prefill=enterprise_name
//! phone: 联系电话 | Phone | phone | prefill=phone
//! categories: 经营项目 | Business | choice+ prepackaged=预包装食品销售/Prepackaged food, catering=热食类食品制售/Hot food | required
//! # 加工场所 | Kitchen | if categories=catering
//! kitchen_area: 加工操作区面积 | Kitchen area | number 1..100000 decimals=1 | required
//! staff: 从业人员 | Staff | group 1..20 | required
//!   name: 姓名 | Name | text 50 | required
//! rule: one_of phone email
//! ```
//!
//! Parts are separated by ` | ` (with spaces, so a pattern may hold `|`).
//! Kinds: `text N [multiline] [pattern=…]`, `number [MIN..MAX]
//! [decimals=D]`, `money [max=N]`, `date [past|future]`, `choice` or
//! `choice+` (several) `code=中文/English, …`, `id_card`, `credit_code`,
//! `phone` (a mobile), `tel` (a mobile or a landline), `address`,
//! `group MIN..MAX`. Flags: `required`,
//! `if field=a,b`, `prefill=name|id_number|phone|enterprise_name|
//! credit_code|legal_representative`, `hint=…`, `hint_en=…`. Rules:
//! `rule: date_order A B`, `rule: not_greater A B`, `rule: one_of A B …`.

use super::{Choice, Condition, Field, FormDef, Kind, Prefill, Rule, Section};

/// A line that cannot be read, and why (the line counts from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// Line number.
    pub line: usize,
    /// Stable code of what is wrong (`kind`, `range`, `flag`, …), for a
    /// locale's sentence `formtext.<code>` naming `{value}`.
    pub code: &'static str,
    /// The words of the line at fault (may be empty).
    pub value: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// Why a part of a line cannot be read.
struct Bad {
    code: &'static str,
    value: String,
    message: String,
}

fn bad(code: &'static str, value: &str, message: String) -> Bad {
    Bad {
        code,
        value: value.trim().to_owned(),
        message,
    }
}

const SEP: &str = " | ";

fn prefill_name(p: Prefill) -> &'static str {
    match p {
        Prefill::Name => "name",
        Prefill::IdNumber => "id_number",
        Prefill::Phone => "phone",
        Prefill::EnterpriseName => "enterprise_name",
        Prefill::CreditCode => "credit_code",
        Prefill::LegalRepresentative => "legal_representative",
    }
}

fn prefill_of(s: &str) -> Option<Prefill> {
    [
        Prefill::Name,
        Prefill::IdNumber,
        Prefill::Phone,
        Prefill::EnterpriseName,
        Prefill::CreditCode,
        Prefill::LegalRepresentative,
    ]
    .into_iter()
    .find(|p| prefill_name(*p) == s)
}

fn condition_of(s: &str) -> Option<Condition> {
    let (field, codes) = s.split_once('=')?;
    let any_of: Vec<String> = codes
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    (!any_of.is_empty()).then(|| Condition {
        field: field.trim().to_owned(),
        any_of,
    })
}

fn range_of(s: &str) -> Option<(Option<i64>, Option<i64>)> {
    let (a, b) = s.split_once("..")?;
    let num = |x: &str| -> Option<Option<i64>> {
        if x.trim().is_empty() {
            Some(None)
        } else {
            x.trim().parse().ok().map(Some)
        }
    };
    Some((num(a)?, num(b)?))
}

fn kind_of(spec: &str) -> Result<Kind, Bad> {
    let spec = spec.trim();
    let (head, rest) = spec.split_once(' ').unwrap_or((spec, ""));
    let rest = rest.trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    match head {
        "text" => {
            let mut max_len = 200;
            let mut multiline = false;
            let mut pattern = String::new();
            let (before, pat) = match rest.split_once("pattern=") {
                Some((b, p)) => (b, Some(p)),
                None => (rest, None),
            };
            for w in before.split_whitespace() {
                match w {
                    "multiline" => multiline = true,
                    n => {
                        max_len = n
                            .parse()
                            .map_err(|_| bad("text_len", n, format!("文本长度“{n}”应为整数")))?
                    }
                }
            }
            if let Some(p) = pat {
                pattern = p.trim().to_owned();
            }
            Ok(Kind::Text {
                max_len,
                multiline,
                pattern,
            })
        }
        "number" => {
            let (mut min, mut max, mut decimals) = (None, None, 0u8);
            for w in words {
                if let Some(d) = w.strip_prefix("decimals=") {
                    decimals = d
                        .parse()
                        .map_err(|_| bad("decimals", d, format!("小数位数“{d}”应为整数")))?;
                } else {
                    (min, max) = range_of(w).ok_or_else(|| {
                        bad("range", w, format!("数值范围“{w}”应写作 最小..最大"))
                    })?;
                }
            }
            Ok(Kind::Number { min, max, decimals })
        }
        "money" => {
            let mut max = None;
            for w in words {
                let m = w.strip_prefix("max=").ok_or_else(|| {
                    bad("money_word", w, format!("金额只接受 max=上限，不认识“{w}”"))
                })?;
                max =
                    Some(m.parse().map_err(|_| {
                        bad("money_max", m, format!("金额上限“{m}”应为整数（元）"))
                    })?);
            }
            Ok(Kind::Money { max })
        }
        "date" => Ok(Kind::Date {
            past: words.contains(&"past"),
            future: words.contains(&"future"),
        }),
        "choice" | "choice+" => {
            let mut options = Vec::new();
            for o in rest.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                let (code, labels) = o.split_once('=').ok_or_else(|| {
                    bad(
                        "choice",
                        o,
                        format!("选项“{o}”应写作 代码=中文名称/English"),
                    )
                })?;
                let (label, label_en) = labels.split_once('/').unwrap_or((labels, ""));
                options.push(Choice {
                    code: code.trim().to_owned(),
                    label: label.trim().to_owned(),
                    label_en: label_en.trim().to_owned(),
                });
            }
            Ok(Kind::Choice {
                options,
                multiple: head == "choice+",
            })
        }
        "id_card" => Ok(Kind::IdCard),
        "credit_code" => Ok(Kind::CreditCode),
        "phone" => Ok(Kind::Phone),
        "tel" => Ok(Kind::Telephone),
        "address" => Ok(Kind::Address),
        "group" => {
            let (min, max) = words
                .first()
                .and_then(|w| range_of(w))
                .ok_or_else(|| bad("group", "", "重复组应写作 group 最少..最多".into()))?;
            Ok(Kind::Group {
                fields: Vec::new(),
                min: min.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
                max: max.unwrap_or(20).clamp(0, u32::MAX as i64) as u32,
            })
        }
        other => Err(bad(
            "kind",
            other,
            format!(
                "不认识的字段类型“{other}”（可用：text、number、money、date、choice、choice+、id_card、credit_code、phone、address、group）"
            ),
        )),
    }
}

fn field_of(line: &str) -> Result<Field, Bad> {
    let (key, rest) = line.split_once(':').ok_or_else(|| {
        bad(
            "field",
            "",
            "字段应写作 键: 名称 | English | 类型 | 选项…".into(),
        )
    })?;
    let parts: Vec<&str> = rest.split(SEP).map(str::trim).collect();
    if parts.len() < 3 {
        return Err(bad(
            "parts",
            "",
            "字段至少要有 名称 | English | 类型 三部分（以“ | ”分隔）".into(),
        ));
    }
    let mut f = Field {
        key: key.trim().to_owned(),
        label: parts[0].to_owned(),
        label_en: parts[1].to_owned(),
        kind: kind_of(parts[2])?,
        ..Field::default()
    };
    for flag in &parts[3..] {
        if *flag == "required" {
            f.required = true;
        } else if let Some(c) = flag.strip_prefix("if ") {
            f.show_if = Some(condition_of(c).ok_or_else(|| {
                bad("condition", c, format!("条件“{c}”应写作 if 字段=选项,选项"))
            })?);
        } else if let Some(p) = flag.strip_prefix("prefill=") {
            f.prefill = Some(
                prefill_of(p).ok_or_else(|| bad("prefill", p, format!("不认识的预填来源“{p}”")))?,
            );
        } else if let Some(h) = flag.strip_prefix("hint_en=") {
            f.hint_en = h.to_owned();
        } else if let Some(h) = flag.strip_prefix("hint=") {
            f.hint = h.to_owned();
        } else if !flag.is_empty() {
            return Err(bad("flag", flag, format!("不认识的选项“{flag}”")));
        }
    }
    Ok(f)
}

fn rule_of(s: &str) -> Result<Rule, Bad> {
    let words: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
    match (words.first().map(String::as_str), words.len()) {
        (Some("date_order"), 3) => Ok(Rule::DateOrder {
            first: words[1].clone(),
            second: words[2].clone(),
        }),
        (Some("not_greater"), 3) => Ok(Rule::NotGreater {
            lesser: words[1].clone(),
            greater: words[2].clone(),
        }),
        (Some("one_of"), n) if n >= 2 => Ok(Rule::OneOf {
            fields: words[1..].to_vec(),
        }),
        _ => Err(bad(
            "rule",
            s.trim(),
            format!("规则“{s}”应写作 date_order A B、not_greater A B 或 one_of A B …"),
        )),
    }
}

/// Reads a form from its text; every unreadable line is listed.
pub fn parse(text: &str) -> Result<FormDef, Vec<LineProblem>> {
    let mut form = FormDef::default();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let indented = raw.starts_with(' ') || raw.starts_with('\t');
        let body = raw.trim();
        let fail = |b: Bad, p: &mut Vec<LineProblem>| {
            p.push(LineProblem {
                line,
                code: b.code,
                value: b.value,
                message: b.message,
            })
        };
        if let Some(h) = body.strip_prefix('#') {
            let parts: Vec<&str> = h.split(SEP).map(str::trim).collect();
            let mut s = Section {
                title: parts[0].to_owned(),
                title_en: parts.get(1).copied().unwrap_or("").to_owned(),
                ..Section::default()
            };
            if let Some(c) = parts.get(2) {
                match c.strip_prefix("if ").and_then(condition_of) {
                    Some(c) => s.show_if = Some(c),
                    None => fail(
                        bad(
                            "section_condition",
                            c,
                            format!("分节条件“{c}”应写作 if 字段=选项"),
                        ),
                        &mut problems,
                    ),
                }
            }
            form.sections.push(s);
        } else if let Some(r) = body.strip_prefix("rule:") {
            match rule_of(r) {
                Ok(r) => form.rules.push(r),
                Err(m) => fail(m, &mut problems),
            }
        } else {
            let f = match field_of(body) {
                Ok(f) => f,
                Err(m) => {
                    fail(m, &mut problems);
                    continue;
                }
            };
            if form.sections.is_empty() {
                form.sections.push(Section {
                    title: "申请信息".into(),
                    title_en: "Application".into(),
                    ..Section::default()
                });
            }
            let fields = &mut form.sections.last_mut().map(|s| &mut s.fields);
            let Some(fields) = fields.as_mut() else {
                continue;
            };
            if indented {
                match fields.last_mut().map(|g| &mut g.kind) {
                    Some(Kind::Group { fields: inner, .. }) => inner.push(f),
                    _ => fail(
                        bad(
                            "indent",
                            "",
                            "缩进的字段应跟在一个重复组（group）之后".into(),
                        ),
                        &mut problems,
                    ),
                }
            } else {
                fields.push(f);
            }
        }
    }
    if problems.is_empty() {
        Ok(form)
    } else {
        Err(problems)
    }
}

fn clean(s: &str) -> String {
    s.replace(SEP, " / ").replace(['\n', '\r'], " ")
}

fn kind_text(k: &Kind) -> String {
    match k {
        Kind::Text {
            max_len,
            multiline,
            pattern,
        } => {
            let mut s = format!("text {max_len}");
            if *multiline {
                s.push_str(" multiline");
            }
            if !pattern.is_empty() {
                s.push_str(&format!(" pattern={pattern}"));
            }
            s
        }
        Kind::Number { min, max, decimals } => {
            let mut s = "number".to_owned();
            if min.is_some() || max.is_some() {
                let n = |v: &Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                s.push_str(&format!(" {}..{}", n(min), n(max)));
            }
            if *decimals > 0 {
                s.push_str(&format!(" decimals={decimals}"));
            }
            s
        }
        Kind::Money { max } => match max {
            Some(m) => format!("money max={m}"),
            None => "money".into(),
        },
        Kind::Date { past, future } => match (past, future) {
            (true, _) => "date past".into(),
            (_, true) => "date future".into(),
            _ => "date".into(),
        },
        Kind::Choice { options, multiple } => {
            let opts: Vec<String> = options
                .iter()
                .map(|o| {
                    let l = clean(&o.label).replace([',', '/'], "，");
                    let e = clean(&o.label_en).replace([',', '/'], ";");
                    if e.is_empty() {
                        format!("{}={l}", o.code)
                    } else {
                        format!("{}={l}/{e}", o.code)
                    }
                })
                .collect();
            format!(
                "{} {}",
                if *multiple { "choice+" } else { "choice" },
                opts.join(", ")
            )
        }
        Kind::IdCard => "id_card".into(),
        Kind::CreditCode => "credit_code".into(),
        Kind::Phone => "phone".into(),
        Kind::Telephone => "tel".into(),
        Kind::Address => "address".into(),
        Kind::Group { min, max, .. } => format!("group {min}..{max}"),
    }
}

fn field_text(f: &Field, indent: &str, out: &mut String) {
    let mut parts = vec![clean(&f.label), clean(&f.label_en), kind_text(&f.kind)];
    if f.required {
        parts.push("required".into());
    }
    if let Some(c) = &f.show_if {
        parts.push(format!("if {}={}", c.field, c.any_of.join(",")));
    }
    if let Some(p) = f.prefill {
        parts.push(format!("prefill={}", prefill_name(p)));
    }
    if !f.hint.is_empty() {
        parts.push(format!("hint={}", clean(&f.hint)));
    }
    if !f.hint_en.is_empty() {
        parts.push(format!("hint_en={}", clean(&f.hint_en)));
    }
    out.push_str(&format!("{indent}{}: {}\n", f.key, parts.join(SEP)));
    if let Kind::Group { fields, .. } = &f.kind {
        for g in fields {
            field_text(g, "  ", out);
        }
    }
}

/// Writes a form as text.
pub fn format(form: &FormDef) -> String {
    let mut out = String::new();
    for s in &form.sections {
        let mut head = format!("# {}{SEP}{}", clean(&s.title), clean(&s.title_en));
        if let Some(c) = &s.show_if {
            head.push_str(&format!("{SEP}if {}={}", c.field, c.any_of.join(",")));
        }
        out.push_str(head.trim_end());
        out.push('\n');
        for f in &s.fields {
            field_text(f, "", &mut out);
        }
    }
    for r in &form.rules {
        let line = match r {
            Rule::DateOrder { first, second } => format!("date_order {first} {second}"),
            Rule::NotGreater { lesser, greater } => format!("not_greater {lesser} {greater}"),
            Rule::OneOf { fields } => format!("one_of {}", fields.join(" ")),
        };
        out.push_str(&format!("rule: {line}\n"));
    }
    out
}
