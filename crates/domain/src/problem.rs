//! 问题 a problem with one field of what a person or a program submitted:
//! which field, a stable code, and what is wrong. The one shape every layer
//! uses, from the rules here to the problem JSON and the error summary of a
//! page.

use serde::Serialize;

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Path of the field: `name`, `materials[2].name`, `client_id`, …
    pub field: String,
    /// Stable code for programs and tests (`required`, `too_long`, …).
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}
