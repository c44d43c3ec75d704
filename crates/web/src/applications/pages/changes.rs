//! Answers worded as people read them, and what a correction changed.

use serde_json::Value;
use tongban_core::applications::{self, Opened};

use super::form_and_guide;
use crate::applications::fields::DivisionOption;
use crate::http::i18n::Tr;

/// What a correction changed, as a page lists it.
#[derive(Debug, Default)]
pub struct ChangesView {
    /// (question, before, after)
    pub answers: Vec<(String, String, String)>,
    /// files given since: (material, file)
    pub added: Vec<(String, String)>,
    /// files taken back since: (material, file)
    pub removed: Vec<(String, String)>,
}

/// The last correction's changes of an application, worded; `None` when
/// it was not corrected and submitted again.
pub fn changes_view(t: &Tr, o: &Opened) -> Option<ChangesView> {
    let c = o.standing.changes.as_ref()?;
    let (g, form) = form_and_guide(o)?;
    let material = |code: &str| {
        applications::materials_of(g, &o.app.situation)
            .find(|m| m.code == code)
            .map_or_else(|| code.to_owned(), |m| m.name.clone())
    };
    let none = t.get("apply.not_answered");
    Some(ChangesView {
        answers: c
            .answers
            .iter()
            .map(|(key, before, after)| {
                let f = form.field(key);
                let words = |v: &Option<serde_json::Value>| match (f, v) {
                    (Some(f), Some(v)) => answer_text(t, f, v, &[]),
                    (None, Some(v)) => v.to_string(),
                    _ => none.clone(),
                };
                (
                    f.map_or_else(|| key.clone(), |f| t.pick(&f.label, &f.label_en).to_owned()),
                    words(before),
                    words(after),
                )
            })
            .collect(),
        added: c
            .files_added
            .iter()
            .map(|(m, n)| (material(m), n.clone()))
            .collect(),
        removed: c
            .files_removed
            .iter()
            .map(|(m, n)| (material(m), n.clone()))
            .collect(),
    })
}

/// An answer as a person reads it: choices by their labels, an address with
/// its division's name, a group's entries one after another.
pub fn answer_text(
    t: &Tr,
    f: &tongban_domain::catalog::form::Field,
    v: &Value,
    divisions: &[DivisionOption],
) -> String {
    let name = |code: &str| {
        divisions
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
    };
    tongban_domain::catalog::form::words::answer(f, v, t.lang, &name)
}
