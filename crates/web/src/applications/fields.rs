//! The fields of a question page: built from the form definition, the
//! answers so far and the problems found, and read back from the posted
//! HTML form into the JSON answers the drafts keep. Works without
//! JavaScript: a repeating group shows its entries and one blank entry,
//! with a button to add another.

use serde_json::{Map, Value};
use tongban_core::kernel::divisions::Division;
use tongban_domain::catalog::form::input::page_fields;
use tongban_domain::catalog::form::{Field, FormDef, Kind, Section};

use crate::catalog::admin::form_preview::condition_words;
use crate::http::error::FieldError;
use crate::http::i18n::Tr;

/// A choice option as shown.
#[derive(Debug)]
pub struct OptionView {
    /// stored code
    pub code: String,
    /// label in the page's language
    pub label: String,
    /// chosen
    pub checked: bool,
}

/// A field as a question page shows it.
#[derive(Debug)]
pub struct FieldView {
    /// the form field's name in the HTML form (`f.area`, `f.members.0.name`)
    pub name: String,
    /// element id, also the error summary's anchor (`f-area`)
    pub id: String,
    /// label in the page's language
    pub label: String,
    /// hint
    pub hint: String,
    /// must be answered
    pub required: bool,
    /// kind name (`text`, `choice` …)
    pub kind: &'static str,
    /// several lines (text)
    pub multiline: bool,
    /// several may be chosen (choice)
    pub multiple: bool,
    /// the options (choice)
    pub options: Vec<OptionView>,
    /// the value typed (text-like kinds; the address's detail)
    pub value: String,
    /// the address's division code
    pub division: String,
    /// `type` of the input (`text`, `date`, `tel`)
    pub input_type: &'static str,
    /// `inputmode` of the input (empty: none)
    pub inputmode: &'static str,
    /// `autocomplete` (empty: none)
    pub autocomplete: &'static str,
    /// `maxlength` (0: none)
    pub max_len: u32,
    /// filled in from the account
    pub prefilled: bool,
    /// says who the applicant is: shown, not edited
    pub locked: bool,
    /// when it applies, worded (a condition on this same page)
    pub shown_when: String,
    /// what is wrong with it (empty: nothing)
    pub error: String,
    /// a group's entries, each a list of fields
    pub entries: Vec<Vec<FieldView>>,
    /// a group may take another entry
    pub can_add: bool,
}

/// A division of the address picker: code and full name.
pub type DivisionOption = (String, String);

/// The divisions an address can be in, each with its full name
/// (哈尔滨市 道里区 兆麟街道), below the province.
pub fn division_options(t: &Tr, all: &[Division]) -> Vec<DivisionOption> {
    let name = |d: &Division| t.pick(&d.name_zh, &d.name_en).to_owned();
    let by_code = |c: &str| all.iter().find(|d| d.code == c);
    all.iter()
        .filter(|d| d.kind != "province")
        .map(|d| {
            let mut parts = vec![name(d)];
            let mut parent = d.parent_code.as_deref().and_then(by_code);
            while let Some(p) = parent.filter(|p| p.kind != "province") {
                parts.push(name(p));
                parent = p.parent_code.as_deref().and_then(by_code);
            }
            parts.reverse();
            (d.code.clone(), parts.join(" "))
        })
        .collect()
}

/// The element id of a JSON pointer's field: `/fields/members/1/name` →
/// `members-1-name`.
pub fn anchor(pointer: &str) -> String {
    pointer
        .trim_start_matches("/fields/")
        .trim_start_matches('/')
        .replace('/', "-")
}

/// Problems with their anchors on a question page (`/fields/a/0/b` →
/// `a-0-b`), in the page's language.
pub fn anchored(t: &Tr, problems: Vec<tongban_domain::FieldProblem>) -> Vec<FieldError> {
    crate::http::error::localize(t, problems)
        .into_iter()
        .map(|mut e| {
            e.field = anchor(&e.field);
            e
        })
        .collect()
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn error_at(errors: &[FieldError], id: &str) -> String {
    errors
        .iter()
        .filter(|e| e.field == id || e.field.starts_with(&format!("{id}-")))
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn view(
    t: &Tr,
    f: &Field,
    name: String,
    id: String,
    v: Option<&Value>,
    errors: &[FieldError],
    extra_entry: bool,
) -> FieldView {
    let (input_type, inputmode, autocomplete) = match &f.kind {
        Kind::Date { .. } => ("date", "", ""),
        Kind::Phone => ("tel", "numeric", "tel"),
        Kind::Telephone => ("tel", "tel", "tel"),
        Kind::Number { decimals: 0, .. } => ("text", "numeric", ""),
        Kind::Number { .. } | Kind::Money { .. } => ("text", "decimal", ""),
        Kind::IdCard | Kind::CreditCode => ("text", "text", "off"),
        _ => ("text", "", ""),
    };
    let mut out = FieldView {
        error: error_at(errors, &id),
        name,
        id,
        label: t.pick(&f.label, &f.label_en).to_owned(),
        hint: t.pick(&f.hint, &f.hint_en).to_owned(),
        required: f.required,
        kind: f.kind.name(),
        multiline: false,
        multiple: false,
        options: vec![],
        value: text_of(v),
        division: String::new(),
        input_type,
        inputmode,
        autocomplete,
        max_len: 0,
        prefilled: f.prefill.is_some(),
        locked: false,
        shown_when: String::new(),
        entries: vec![],
        can_add: false,
    };
    match &f.kind {
        Kind::Text {
            max_len, multiline, ..
        } => {
            out.max_len = *max_len;
            out.multiline = *multiline;
        }
        Kind::IdCard | Kind::CreditCode => out.max_len = 18,
        Kind::Phone => out.max_len = 13,
        Kind::Telephone => out.max_len = 20,
        Kind::Choice { options, multiple } => {
            out.multiple = *multiple;
            let chosen = |code: &str| match v {
                Some(Value::String(s)) => s == code,
                Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(code)),
                _ => false,
            };
            out.options = options
                .iter()
                .map(|o| OptionView {
                    code: o.code.clone(),
                    label: t.pick(&o.label, &o.label_en).to_owned(),
                    checked: chosen(&o.code),
                })
                .collect();
        }
        Kind::Address => {
            let o = v.and_then(Value::as_object);
            out.division = text_of(o.and_then(|o| o.get("division")));
            out.value = text_of(o.and_then(|o| o.get("detail")));
        }
        Kind::Group { fields, max, min } => {
            let given: Vec<&Map<String, Value>> = v
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_object).collect())
                .unwrap_or_default();
            let blank = (*min as usize).max(1);
            let count = (given.len() + usize::from(extra_entry))
                .max(blank)
                .min(*max as usize);
            out.can_add = count < *max as usize;
            out.entries = (0..count)
                .map(|i| {
                    fields
                        .iter()
                        .map(|g| {
                            view(
                                t,
                                g,
                                format!("{}.{i}.{}", out.name, g.key),
                                format!("{}-{i}-{}", out.id, g.key),
                                given.get(i).and_then(|e| e.get(&g.key)),
                                errors,
                                false,
                            )
                        })
                        .collect()
                })
                .collect();
        }
        _ => {}
    }
    out
}

/// The fields of section `s` as a page shows them (see [`page_fields`]),
/// each with its value and problems, and when it applies for one whose
/// condition is on the same page; `add` gives the group with that key one more blank
/// entry.
pub fn section_fields(
    t: &Tr,
    form: &FormDef,
    s: &Section,
    answers: &Map<String, Value>,
    errors: &[FieldError],
    add: Option<&str>,
    locked: &[String],
) -> Vec<FieldView> {
    let here = |key: &str| s.fields.iter().any(|f| f.key == key);
    page_fields(form, s, answers)
        .map(|f| {
            let mut v = view(
                t,
                f,
                format!("f.{}", f.key),
                f.key.clone(),
                answers.get(&f.key),
                errors,
                add == Some(f.key.as_str()),
            );
            v.locked = locked.contains(&f.key) && !v.value.is_empty();
            if let Some(c) = f.show_if.as_ref().filter(|c| here(&c.field)) {
                v.shown_when = condition_words(t, form, c, "apply.applies_when");
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_domain::catalog::form::text::parse;

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

    #[test]
    fn a_group_shows_its_entries_one_blank_more_on_adding_and_errors_by_anchor() {
        let f = form();
        let t = Tr::new(crate::http::i18n::Lang::ZhCn);
        let mut answers = Map::new();
        answers.insert(
            "members".into(),
            serde_json::json!([{"who": "李四"}, {"who": "王五"}]),
        );
        let errors = vec![FieldError::worded("members-1-id", "x", "不对".into())];
        let v = section_fields(
            &t,
            &f,
            &f.sections[1],
            &answers,
            &errors,
            Some("members"),
            &[],
        );
        assert_eq!(v[0].entries.len(), 3);
        assert!(!v[0].can_add, "three is the most");
        assert_eq!(v[0].entries[1][0].value, "王五");
        assert_eq!(v[0].entries[1][1].name, "f.members.1.id");
        assert_eq!(v[0].entries[1][1].error, "不对");
        assert_eq!(v[0].entries[0][1].error, "");
        assert_eq!(anchor("/fields/members/1/id"), "members-1-id");
    }
}
