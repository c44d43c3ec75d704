//! 问题 a problem with one field of what a person or a program submitted:
//! which field, a stable code, and what is wrong. The one shape every layer
//! uses, from the rules here to the problem JSON and the error summary of a
//! page.
//!
//! The words a person reads come from the web layer's locale files, looked
//! up by the field (indices dropped) and the code: `problem.name.required`,
//! `problem.materials.name.required` with `{n}` the material's number. The
//! `message` here is the Chinese fallback, for logs and for a problem no
//! locale entry names yet.

use serde::Serialize;

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Path of the field: `name`, `materials[2].name`, `client_id`, …
    pub field: String,
    /// Stable code for programs and tests (`required`, `too_long`, …).
    pub code: &'static str,
    /// What is wrong, in Chinese: the fallback when no locale entry exists.
    pub message: String,
    /// Values the locale's sentence names (`{value}`, `{max}`, …).
    #[serde(skip)]
    pub args: Vec<(&'static str, String)>,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
            args: Vec::new(),
        }
    }

    /// The same problem naming `value` as `{name}` for the locale's sentence.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// The same problem about a number a form field asks for, named by the
    /// field's `label` (and `label_en`) instead of what such a number is
    /// generally called (its `subject`): a form with two ID numbers says
    /// which one is wrong, and says it once.
    #[must_use]
    pub fn subject(mut self, label: &str, label_en: &str) -> Self {
        let general = self
            .args
            .iter()
            .find(|(n, _)| *n == "subject")
            .map(|(_, v)| v.clone());
        if let Some(general) = general {
            self.message = self.message.replacen(&general, &format!("“{label}”"), 1);
        }
        self.args
            .retain(|(n, _)| *n != "subject" && *n != "subject_en");
        let en = if label_en.is_empty() { label } else { label_en };
        self.with("subject", format!("“{label}”"))
            .with("subject_en", format!("“{en}”"))
    }

    /// The field with its indices dropped (`materials[2].name` →
    /// `materials.name`) and the first index counted from one (3), the key
    /// under which the locale files word this field's problems.
    pub fn field_key(&self) -> (String, Option<usize>) {
        let mut key = String::with_capacity(self.field.len());
        let mut first = None;
        let mut chars = self.field.chars();
        while let Some(c) = chars.next() {
            if c == '[' {
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if first.is_none() {
                    first = digits.parse::<usize>().ok().map(|i| i + 1);
                }
            } else {
                key.push(c);
            }
        }
        (key, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_names_the_number_by_its_label_once() {
        let p = FieldProblem::new("/fields/x", "id_card.check", "公民身份号码校验码错误")
            .with("subject", "公民身份号码")
            .with("subject_en", "the ID number")
            .subject("法定代表人身份证号码", "");
        assert_eq!(p.message, "“法定代表人身份证号码”校验码错误");
        assert_eq!(
            p.args,
            vec![
                ("subject", "“法定代表人身份证号码”".to_owned()),
                ("subject_en", "“法定代表人身份证号码”".to_owned())
            ]
        );
    }

    #[test]
    fn field_key_drops_indices_and_counts_the_first_from_one() {
        let p = FieldProblem::new("materials[2].issuer", "required", "");
        assert_eq!(p.field_key(), ("materials.issuer".into(), Some(3)));
        let p = FieldProblem::new("name", "required", "");
        assert_eq!(p.field_key(), ("name".into(), None));
        let p = FieldProblem::new("a[0].b[7]", "x", "");
        assert_eq!(p.field_key(), ("a.b".into(), Some(1)));
    }
}
