//! Answers read from a posted HTML form (a question page that works without
//! scripts): `f.<key>` for a field, repeated for a multiple choice,
//! `f.<key>.division` and `f.<key>.detail` for an address,
//! `f.<key>.<i>.<field>` for an entry of a repeating group. The typed text
//! becomes the JSON the answers keep; what does not read as its kind is
//! kept as typed, for [`FormDef::check`] to refuse with its reason.

use serde_json::{Map, Number, Value};

use super::{Field, FormDef, Kind, Section};

/// The answer typed for one field, as JSON: text as given (trimmed),
/// numbers as numbers when they read as one (otherwise the text, which the
/// form's check then refuses with its reason), `null` for nothing.
fn value_of(f: &Field, name: &str, pairs: &[(String, String)]) -> Value {
    // Invisible controls are dropped as the text comes in (see
    // `crate::text`); a text of several lines keeps its line breaks.
    let lines = matches!(
        f.kind,
        Kind::Text {
            multiline: true,
            ..
        }
    );
    let clean = |v: &str| {
        if lines {
            crate::text::visible_lines(v).trim().to_owned()
        } else {
            crate::text::visible(v).trim().to_owned()
        }
    };
    let one = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| clean(v))
            .unwrap_or_default()
    };
    let text = |s: String| {
        if s.is_empty() {
            Value::Null
        } else {
            Value::String(s)
        }
    };
    match &f.kind {
        Kind::Number { .. } | Kind::Money { .. } => {
            let s = one(name).replace([',', '，', ' '], "");
            if s.is_empty() {
                Value::Null
            } else {
                s.parse::<Number>()
                    .map(Value::Number)
                    .unwrap_or(Value::String(s))
            }
        }
        Kind::IdCard | Kind::CreditCode => text(one(name).to_ascii_uppercase()),
        // A number is typed as people group it: `138 0000 0001`.
        Kind::Phone => text(one(name).replace([' ', '-'], "")),
        Kind::Telephone => text(one(name).replace(' ', "")),
        // A card or account number typed in groups is the number, when the
        // field's pattern takes it without the spaces.
        Kind::Text { pattern, .. } if !pattern.is_empty() => {
            let s = one(name);
            let joined: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            let fits = |x: &str| {
                regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(x))
            };
            if joined != s && !fits(&s) && fits(&joined) {
                text(joined)
            } else {
                text(s)
            }
        }
        Kind::Choice { multiple: true, .. } => {
            let chosen: Vec<Value> = pairs
                .iter()
                .filter(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| Value::String(clean(v)))
                .collect();
            if chosen.is_empty() {
                Value::Null
            } else {
                Value::Array(chosen)
            }
        }
        Kind::Address => {
            let (division, detail) = (
                one(&format!("{name}.division")),
                one(&format!("{name}.detail")),
            );
            if division.is_empty() && detail.is_empty() {
                Value::Null
            } else {
                serde_json::json!({"division": division, "detail": detail})
            }
        }
        Kind::Group { fields, max, .. } => {
            let mut entries = Vec::new();
            for i in 0..*max as usize {
                let prefix = format!("{name}.{i}.");
                if !pairs.iter().any(|(k, _)| k.starts_with(&prefix)) {
                    continue;
                }
                let mut entry = Map::new();
                for g in fields {
                    let v = value_of(g, &format!("{prefix}{}", g.key), pairs);
                    if !v.is_null() {
                        entry.insert(g.key.clone(), v);
                    }
                }
                // An entry left blank is no entry: clearing one removes it.
                if !entry.is_empty() {
                    entries.push(Value::Object(entry));
                }
            }
            if entries.is_empty() {
                Value::Null
            } else {
                Value::Array(entries)
            }
        }
        _ => text(one(name)),
    }
}

/// The fields a question page of section `s` shows for these answers:
/// those shown, and those whose condition is on this same page (a page
/// without scripts cannot reveal them as the choice is made, so it shows
/// them with when they apply).
pub fn page_fields<'f>(
    form: &'f FormDef,
    s: &'f Section,
    answers: &'f Map<String, Value>,
) -> impl Iterator<Item = &'f Field> {
    s.fields.iter().filter(move |f| match &f.show_if {
        Some(c) if s.fields.iter().any(|g| g.key == c.field) => form.section_shown(s, answers),
        _ => form.field_shown(s, f, answers),
    })
}

/// The merge patch a posted page makes: every field the page showed,
/// `null` for those left blank (which removes them).
pub fn patch_of(
    form: &FormDef,
    s: &Section,
    answers: &Map<String, Value>,
    pairs: &[(String, String)],
) -> Map<String, Value> {
    page_fields(form, s, answers)
        .map(|f| (f.key.clone(), value_of(f, &format!("f.{}", f.key), pairs)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::form::text::parse;

    fn form() -> FormDef {
        parse(
            "# 基本信息\n\
             name: 姓名 | Name | text 50 | required\n\
             area: 面积 | Area | number 0..1000 decimals=2\n\
             kinds: 类别 | Kinds | choice+ a=甲/A, b=乙/B\n\
             addr: 地址 | Address | address\n\
             # 家庭成员\n\
             members: 成员 | Members | group 0..3\n  \
               who: 姓名 | Name | text 50\n  \
               id: 身份证 | ID | id_card\n",
        )
        .expect("form")
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_posted_page_becomes_a_typed_merge_patch() {
        let f = form();
        let p = patch_of(
            &f,
            &f.sections[0],
            &Map::new(),
            &pairs(&[
                ("f.name", "  张三 "),
                ("f.area", "1,200.5"),
                ("f.kinds", "a"),
                ("f.kinds", "b"),
                ("f.addr.division", ""),
                ("f.addr.detail", ""),
            ]),
        );
        assert_eq!(p["name"], "张三");
        assert_eq!(p["area"], serde_json::json!(1200.5));
        assert_eq!(p["kinds"], serde_json::json!(["a", "b"]));
        assert_eq!(p["addr"], Value::Null, "blank removes");
        // A number that does not read as one is kept as typed, for the
        // check to refuse with its reason and the page to show again.
        let p = patch_of(&f, &f.sections[0], &Map::new(), &pairs(&[("f.area", "十")]));
        assert_eq!(p["area"], "十");
    }

    #[test]
    fn invisible_controls_are_dropped_as_answers_come_in() {
        let f = parse(
            "# 基本信息\n\
             name: 姓名 | Name | text 50\n\
             note: 说明 | Note | text 500 multiline\n\
             kinds: 类别 | Kinds | choice+ a=甲/A, b=乙/B\n",
        )
        .expect("form");
        let p = patch_of(
            &f,
            &f.sections[0],
            &Map::new(),
            &pairs(&[
                ("f.name", "\u{200B}张\u{202E}三\n"),
                ("f.note", "第一行\u{2066}\r\n第二行\t完"),
                ("f.kinds", "a\u{200B}"),
            ]),
        );
        assert_eq!(p["name"], "张三");
        assert_eq!(p["note"], "第一行\n第二行\t完");
        assert_eq!(p["kinds"], serde_json::json!(["a"]));
        let p = patch_of(
            &f,
            &f.sections[0],
            &Map::new(),
            &pairs(&[("f.name", "\u{200B}")]),
        );
        assert_eq!(p["name"], Value::Null, "nothing visible is nothing");
    }

    #[test]
    fn blank_group_entries_are_dropped_and_ids_upper_cased() {
        let f = form();
        let p = patch_of(
            &f,
            &f.sections[1],
            &Map::new(),
            &pairs(&[
                ("f.members.0.who", "李四"),
                ("f.members.0.id", "11010519491231002x"),
                ("f.members.1.who", ""),
                ("f.members.1.id", ""),
            ]),
        );
        assert_eq!(
            p["members"],
            serde_json::json!([{"who": "李四", "id": "11010519491231002X"}])
        );
    }
}
