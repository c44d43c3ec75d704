//! An answer in words, as a person reads it on a page or a printed form:
//! choices by their labels, an address with its division's name, a group's
//! entries one after another.

use serde_json::Value;

use super::{Field, Kind};
use crate::Lang;

/// The answer `v` of field `f` in `lang`; `division` names a division code
/// (falling back to the code).
pub fn answer(
    f: &Field,
    v: &Value,
    lang: Lang,
    division: &dyn Fn(&str) -> Option<String>,
) -> String {
    let pick = |zh: &str, en: &str| match lang {
        Lang::En if !en.is_empty() => en.to_owned(),
        _ => zh.to_owned(),
    };
    let (list, part, entry) = match lang {
        Lang::En => (", ", ", ", "; "),
        Lang::ZhCn => ("、", "，", "；"),
    };
    match (&f.kind, v) {
        (Kind::Choice { options, .. }, _) => {
            let label = |c: &str| {
                options
                    .iter()
                    .find(|o| o.code == c)
                    .map_or_else(|| c.to_owned(), |o| pick(&o.label, &o.label_en))
            };
            match v {
                Value::String(s) => label(s),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(label)
                    .collect::<Vec<_>>()
                    .join(list),
                _ => String::new(),
            }
        }
        (Kind::Address, Value::Object(o)) => {
            let code = o.get("division").and_then(Value::as_str).unwrap_or("");
            let place = division(code).unwrap_or_else(|| code.to_owned());
            format!(
                "{place} {}",
                o.get("detail").and_then(Value::as_str).unwrap_or("")
            )
            .trim()
            .to_owned()
        }
        (Kind::Group { fields, .. }, Value::Array(entries)) => entries
            .iter()
            .filter_map(Value::as_object)
            .map(|e| {
                fields
                    .iter()
                    .filter_map(|g| e.get(&g.key).map(|v| answer(g, v, lang, division)))
                    .collect::<Vec<_>>()
                    .join(part)
            })
            .collect::<Vec<_>>()
            .join(entry),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::form::text::parse;

    #[test]
    fn answers_read_as_labels_places_and_entries_in_either_language() {
        let form = parse(
            "# 基本\n\
             kinds: 类别 | Kinds | choice+ a=甲/A, b=乙/B\n\
             addr: 地址 | Address | address\n\
             people: 成员 | People | group 0..3\n  \
               who: 姓名 | Name | text 20\n  \
               age: 年龄 | Age | number 0..150\n",
        )
        .expect("form");
        let f = |k: &str| form.field(k).expect("field").clone();
        let places = |c: &str| (c == "230102").then(|| "道里区".to_owned());
        let v: Value = serde_json::json!(["a", "b"]);
        assert_eq!(answer(&f("kinds"), &v, Lang::ZhCn, &places), "甲、乙");
        assert_eq!(answer(&f("kinds"), &v, Lang::En, &places), "A, B");
        let v = serde_json::json!({"division": "230102", "detail": "中央大街1号"});
        assert_eq!(
            answer(&f("addr"), &v, Lang::ZhCn, &places),
            "道里区 中央大街1号"
        );
        let v = serde_json::json!([{"who": "李四", "age": 30}, {"who": "王五"}]);
        assert_eq!(
            answer(&f("people"), &v, Lang::ZhCn, &places),
            "李四，30；王五"
        );
    }
}
