//! The form as JSON Schema 2020-12, for department systems and apps: one
//! object with a property per field, `additionalProperties: false`, the
//! required fields (those shown only on a condition are required through
//! `if`/`then`), and the national identifiers as custom formats
//! (`gb11643-id-card`, `gb32100-credit-code`, `gbt2260-division`), which
//! the platform checks with their check characters whatever a client's
//! validator makes of an unknown format.

use serde_json::{Map, Value, json};

use super::{Condition, Field, FormDef, Kind};

/// The custom `format` of a 公民身份号码.
pub const FORMAT_ID_CARD: &str = "gb11643-id-card";
/// The custom `format` of a 统一社会信用代码.
pub const FORMAT_CREDIT_CODE: &str = "gb32100-credit-code";
/// The custom `format` of a division code.
pub const FORMAT_DIVISION: &str = "gbt2260-division";

fn described(f: &Field, mut s: Map<String, Value>) -> Value {
    s.insert("title".into(), json!(f.label));
    if !f.label_en.is_empty() {
        s.insert("x-title-en".into(), json!(f.label_en));
    }
    if !f.hint.is_empty() {
        s.insert("description".into(), json!(f.hint));
    }
    Value::Object(s)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn field_schema(f: &Field) -> Value {
    let s = match &f.kind {
        Kind::Text {
            max_len, pattern, ..
        } => {
            let mut m = obj(json!({"type": "string", "maxLength": max_len}));
            if !pattern.is_empty() {
                m.insert("pattern".into(), json!(format!("^(?:{pattern})$")));
            }
            m
        }
        Kind::Number { min, max, decimals } => {
            let mut m = obj(if *decimals == 0 {
                json!({"type": "integer"})
            } else {
                json!({"type": "number", "multipleOf": 10f64.powi(-i32::from(*decimals))})
            });
            if let Some(v) = min {
                m.insert("minimum".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maximum".into(), json!(v));
            }
            m
        }
        Kind::Money { max } => {
            let mut m = obj(json!({"type": "number", "minimum": 0, "multipleOf": 0.01}));
            if let Some(v) = max {
                m.insert("maximum".into(), json!(v));
            }
            m
        }
        Kind::Date { .. } => obj(json!({"type": "string", "format": "date"})),
        Kind::Choice { options, multiple } => {
            let codes: Vec<&str> = options.iter().map(|o| o.code.as_str()).collect();
            let labels: Vec<Value> = options
                .iter()
                .map(|o| json!({"const": o.code, "title": o.label, "x-title-en": o.label_en}))
                .collect();
            if *multiple {
                obj(json!({"type": "array", "uniqueItems": true,
                    "items": {"enum": codes, "oneOf": labels}}))
            } else {
                obj(json!({"type": "string", "enum": codes, "oneOf": labels}))
            }
        }
        Kind::IdCard => {
            obj(json!({"type": "string", "format": FORMAT_ID_CARD, "pattern": "^[0-9]{17}[0-9X]$"}))
        }
        Kind::CreditCode => obj(json!({"type": "string", "format": FORMAT_CREDIT_CODE,
            "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"})),
        Kind::Phone => obj(json!({"type": "string", "pattern": "^1[0-9]{10}$"})),
        Kind::Telephone => obj(json!({"type": "string",
            "pattern": "^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?)$"})),
        Kind::Address => obj(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["division", "detail"],
            "properties": {
                "division": {"type": "string", "format": FORMAT_DIVISION, "pattern": "^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"},
                "detail": {"type": "string", "minLength": 1, "maxLength": 200}
            }
        })),
        Kind::Group { fields, min, max } => {
            let mut items = Map::new();
            let mut required = Vec::new();
            for g in fields {
                items.insert(g.key.clone(), field_schema(g));
                if g.required {
                    required.push(json!(g.key));
                }
            }
            obj(json!({
                "type": "array",
                "minItems": min,
                "maxItems": max,
                "items": {"type": "object", "additionalProperties": false,
                          "properties": items, "required": required}
            }))
        }
    };
    described(f, s)
}

fn condition_schema(c: &Condition, def: &FormDef) -> Value {
    let multiple = matches!(
        def.field(&c.field).map(|f| &f.kind),
        Some(Kind::Choice { multiple: true, .. })
    );
    let test = if multiple {
        json!({"type": "array", "contains": {"enum": c.any_of}})
    } else {
        json!({"enum": c.any_of})
    };
    json!({"required": [c.field], "properties": {c.field.clone(): test}})
}

impl FormDef {
    /// The answers' JSON Schema (2020-12), titled `title`.
    pub fn json_schema(&self, id: &str, title: &str) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut conditional = Vec::new();
        for s in &self.sections {
            for f in &s.fields {
                properties.insert(f.key.clone(), field_schema(f));
                if !f.required {
                    continue;
                }
                let conditions: Vec<&Condition> = [s.show_if.as_ref(), f.show_if.as_ref()]
                    .into_iter()
                    .flatten()
                    .collect();
                if conditions.is_empty() {
                    required.push(json!(f.key));
                } else {
                    let all: Vec<Value> = conditions
                        .iter()
                        .map(|c| condition_schema(c, self))
                        .collect();
                    conditional.push(json!({"if": {"allOf": all}, "then": {"required": [f.key]}}));
                }
            }
        }
        let mut schema = obj(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": id,
            "title": title,
            "type": "object",
            "additionalProperties": false,
            "properties": properties,
            "required": required,
        }));
        if !conditional.is_empty() {
            schema.insert("allOf".into(), Value::Array(conditional));
        }
        Value::Object(schema)
    }

    /// The page layout: each section's title and its fields' keys in
    /// order, with the conditions that show them.
    pub fn layout(&self) -> Value {
        Value::Array(
            self.sections
                .iter()
                .map(|s| {
                    json!({
                        "title": s.title,
                        "title_en": s.title_en,
                        "show_if": s.show_if,
                        "fields": s.fields.iter().map(|f| json!({
                            "key": f.key,
                            "type": f.kind.name(),
                            "show_if": f.show_if,
                            "prefill": f.prefill,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }
}
