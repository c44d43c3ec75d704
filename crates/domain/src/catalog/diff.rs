//! What changed between two versions of a guide, element by element.

use std::collections::BTreeMap;

use super::*;
use serde::Serialize;

/// One changed element between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Path such as `materials[1].copies`.
    pub path: String,
    /// Value before (JSON text; empty when added).
    pub before: String,
    /// Value after (JSON text; empty when removed).
    pub after: String,
}

/// The elements that differ between two guides, in document order.
pub fn diff(a: &Guide, b: &Guide) -> Vec<Change> {
    let va = serde_json::to_value(a).unwrap_or_default();
    let vb = serde_json::to_value(b).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &va, &vb, &mut out);
    out
}

fn show(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<Change>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeMap<&String, ()> = x.keys().chain(y.keys()).map(|k| (k, ())).collect();
            for k in keys.keys() {
                let p = if path.is_empty() {
                    (*k).clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(*k), y.get(*k)) {
                    (Some(u), Some(v)) => walk(&p, u, v, out),
                    (u, v) => out.push(Change {
                        path: p,
                        before: show(u),
                        after: show(v),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(u), Some(v)) => walk(&p, u, v, out),
                    (u, v) => out.push(Change {
                        path: p,
                        before: show(u),
                        after: show(v),
                    }),
                }
            }
        }
        _ if a != b => out.push(Change {
            path: path.to_owned(),
            before: show(Some(a)),
            after: show(Some(b)),
        }),
        _ => {}
    }
}
