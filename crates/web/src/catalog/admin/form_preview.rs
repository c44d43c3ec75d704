//! The application form as an applicant will see it, shown to the editor
//! beside the text that defines it (预览), in the page's language.

use tongban_domain::catalog::form::{Condition, Field, FormDef, Kind};

use crate::http::i18n::Tr;

/// A field as previewed.
#[derive(Debug)]
pub struct PreviewField {
    /// key
    pub key: String,
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
    pub options: Vec<String>,
    /// what the answer must be (range, length …), worded
    pub limits: String,
    /// when it is shown, worded (empty: always)
    pub shown_when: String,
    /// where it is filled from, worded (empty: typed)
    pub prefill: String,
    /// a group's fields
    pub fields: Vec<PreviewField>,
}

/// A section as previewed.
#[derive(Debug)]
pub struct PreviewSection {
    /// title
    pub title: String,
    /// when it is shown, worded
    pub shown_when: String,
    /// its fields
    pub fields: Vec<PreviewField>,
}

fn when(t: &Tr, form: &FormDef, c: &Option<Condition>) -> String {
    c.as_ref()
        .map(|c| condition_words(t, form, c, "acat.form_shown_when"))
        .unwrap_or_default()
}

/// A field's condition in words, by the message `key` (with `{field}` and
/// `{options}`): the choice field's label and the chosen options' labels,
/// in the page's language. The editor's preview and the applicant's
/// question pages word it each their own way.
pub fn condition_words(t: &Tr, form: &FormDef, c: &Condition, key: &str) -> String {
    let Some(f) = form.field(&c.field) else {
        return String::new();
    };
    let options = match &f.kind {
        Kind::Choice { options, .. } => c
            .any_of
            .iter()
            .map(|a| {
                options
                    .iter()
                    .find(|o| &o.code == a)
                    .map(|o| t.pick(&o.label, &o.label_en).to_owned())
                    .unwrap_or_else(|| a.clone())
            })
            .collect::<Vec<_>>()
            .join(t.get("guide.list_sep").as_str()),
        _ => c.any_of.join(", "),
    };
    t.fmt(
        key,
        &[
            ("field", t.pick(&f.label, &f.label_en)),
            ("options", &options),
        ],
    )
}

fn field(t: &Tr, form: &FormDef, f: &Field) -> PreviewField {
    let (limits, options, multiline, multiple, fields) = match &f.kind {
        Kind::Text {
            max_len, multiline, ..
        } => (
            t.fmt("acat.form_max_len", &[("n", &max_len.to_string())]),
            vec![],
            *multiline,
            false,
            vec![],
        ),
        Kind::Number { min, max, decimals } => {
            let n = |v: &Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
            (
                t.fmt(
                    "acat.form_range",
                    &[
                        ("min", &n(min)),
                        ("max", &n(max)),
                        ("d", &decimals.to_string()),
                    ],
                ),
                vec![],
                false,
                false,
                vec![],
            )
        }
        Kind::Choice { options, multiple } => (
            String::new(),
            options
                .iter()
                .map(|o| t.pick(&o.label, &o.label_en).to_owned())
                .collect(),
            false,
            *multiple,
            vec![],
        ),
        Kind::Group { fields, min, max } => (
            t.fmt(
                "acat.form_entries",
                &[("min", &min.to_string()), ("max", &max.to_string())],
            ),
            vec![],
            false,
            false,
            fields.iter().map(|g| field(t, form, g)).collect(),
        ),
        _ => (String::new(), vec![], false, false, vec![]),
    };
    PreviewField {
        key: f.key.clone(),
        label: t.pick(&f.label, &f.label_en).to_owned(),
        hint: t.pick(&f.hint, &f.hint_en).to_owned(),
        required: f.required,
        kind: f.kind.name(),
        multiline,
        multiple,
        options,
        limits,
        shown_when: when(t, form, &f.show_if),
        prefill: f
            .prefill
            .map(|p| {
                let name = serde_json::to_value(p)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                t.get(&format!("acat.prefill_{name}"))
            })
            .unwrap_or_default(),
        fields,
    }
}

/// The sections of a form as an applicant will meet them.
pub fn preview(t: &Tr, form: &FormDef) -> Vec<PreviewSection> {
    form.sections
        .iter()
        .map(|s| PreviewSection {
            title: t.pick(&s.title, &s.title_en).to_owned(),
            shown_when: when(t, form, &s.show_if),
            fields: s.fields.iter().map(|f| field(t, form, f)).collect(),
        })
        .collect()
}
