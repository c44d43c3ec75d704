//! The form: its definition checks, the answers' checks and the schema.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use time::macros::date;

use super::*;

fn field(key: &str, label: &str, kind: Kind, required: bool) -> Field {
    Field {
        key: key.into(),
        label: label.into(),
        label_en: key.replace('_', " "),
        kind,
        required,
        ..Field::default()
    }
}

fn text(max_len: u32) -> Kind {
    Kind::Text {
        max_len,
        multiline: false,
        pattern: String::new(),
    }
}

fn choice(codes: &[&str], multiple: bool) -> Kind {
    Kind::Choice {
        options: codes
            .iter()
            .map(|c| Choice {
                code: (*c).into(),
                label: format!("选项{c}"),
                label_en: (*c).into(),
            })
            .collect(),
        multiple,
    }
}

/// A food business licence form, much as the demo's.
fn food() -> FormDef {
    FormDef {
        sections: vec![
            Section {
                title: "经营者".into(),
                title_en: "Operator".into(),
                fields: vec![
                    field("operator", "经营者名称", text(100), true),
                    field("credit_code", "统一社会信用代码", Kind::CreditCode, true),
                    field("legal_rep_id", "法定代表人身份证号码", Kind::IdCard, true),
                    field("phone", "联系电话", Kind::Phone, false),
                    field(
                        "email",
                        "电子邮箱",
                        Kind::Text {
                            max_len: 100,
                            multiline: false,
                            pattern: r"[^@\s]+@[^@\s]+\.[^@\s]+".into(),
                        },
                        false,
                    ),
                    field("address", "经营场所", Kind::Address, true),
                ],
                show_if: None,
            },
            Section {
                title: "经营项目".into(),
                title_en: "Business".into(),
                fields: vec![
                    field(
                        "categories",
                        "经营项目",
                        choice(&["prepackaged", "bulk", "catering"], true),
                        true,
                    ),
                    Field {
                        show_if: Some(Condition {
                            field: "categories".into(),
                            any_of: vec!["catering".into()],
                        }),
                        ..field(
                            "kitchen_area",
                            "加工操作区面积（平方米）",
                            Kind::Number {
                                min: Some(1),
                                max: Some(100_000),
                                decimals: 1,
                            },
                            true,
                        )
                    },
                    field(
                        "area",
                        "经营场所面积（平方米）",
                        Kind::Number {
                            min: Some(1),
                            max: Some(100_000),
                            decimals: 1,
                        },
                        true,
                    ),
                    field(
                        "opening",
                        "计划开业日期",
                        Kind::Date {
                            past: false,
                            future: true,
                        },
                        false,
                    ),
                    field(
                        "closing",
                        "经营期限至",
                        Kind::Date {
                            past: false,
                            future: false,
                        },
                        false,
                    ),
                    field(
                        "capital",
                        "注册资本（元）",
                        Kind::Money {
                            max: Some(1_000_000_000),
                        },
                        false,
                    ),
                    field(
                        "staff",
                        "从业人员",
                        Kind::Group {
                            fields: vec![
                                field("name", "姓名", text(50), true),
                                field("id_number", "身份证号码", Kind::IdCard, true),
                            ],
                            min: 1,
                            max: 3,
                        },
                        true,
                    ),
                ],
                show_if: None,
            },
        ],
        rules: vec![
            Rule::DateOrder {
                first: "opening".into(),
                second: "closing".into(),
            },
            Rule::NotGreater {
                lesser: "kitchen_area".into(),
                greater: "area".into(),
            },
            Rule::OneOf {
                fields: vec!["phone".into(), "email".into()],
            },
        ],
    }
}

fn answers(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn good() -> Map<String, Value> {
    answers(json!({
        "operator": "哈尔滨市道里区冰城小厨餐饮店",
        "credit_code": "9144030071526726XG",
        "legal_rep_id": "230102199003071237",
        "phone": "13800000002",
        "address": {"division": "230102", "detail": "中央大街100号"},
        "categories": ["catering", "prepackaged"],
        "kitchen_area": 40.5,
        "area": 120,
        "opening": "2026-12-15",
        "capital": 50000.5,
        "staff": [{"name": "王建国", "id_number": "230102199003071237"}]
    }))
}

const TODAY: time::Date = date!(2026 - 11 - 30);

fn codes(p: &[crate::FieldProblem]) -> Vec<(String, &'static str)> {
    p.iter().map(|p| (p.field.clone(), p.code)).collect()
}

#[test]
fn a_well_made_form_has_no_definition_problems() {
    assert_eq!(food().problems(), vec![]);
    assert!(!food().is_empty());
}

#[test]
fn complete_answers_pass() {
    assert_eq!(food().check(&good(), TODAY, true), vec![]);
}

#[test]
fn every_problem_is_listed_at_once_at_its_pointer() {
    let a = answers(json!({
        "operator": "x".repeat(101),
        "credit_code": "9144030071526726XH",
        "legal_rep_id": "230102199003071230",
        "email": "not-an-address",
        "address": {"division": "999", "detail": ""},
        "categories": ["catering", "fireworks"],
        "kitchen_area": 500.25,
        "area": 0,
        "opening": "2026-11-01",
        "closing": "2026-02-30",
        "capital": -1,
        "staff": [{"name": "", "id_number": "1", "age": 3}, {"name": "李", "id_number": "230102199003071237"}],
        "colour": "red"
    }));
    let p = food().check(&a, TODAY, true);
    let got = codes(&p);
    for want in [
        ("/fields/colour", "form.unknown"),
        ("/fields/operator", "form.too_long"),
        ("/fields/credit_code", "credit_code.check"),
        ("/fields/legal_rep_id", "id_card.check"),
        ("/fields/email", "form.pattern"),
        ("/fields/address/division", "form.division"),
        ("/fields/address/detail", "form.address"),
        ("/fields/categories", "form.not_a_choice"),
        ("/fields/kitchen_area", "form.decimals"),
        ("/fields/area", "form.too_small"),
        ("/fields/opening", "form.not_future"),
        ("/fields/closing", "form.bad_date"),
        ("/fields/capital", "form.too_small"),
        ("/fields/staff/0/age", "form.unknown"),
        ("/fields/staff/0/name", "form.required"),
        ("/fields/staff/0/id_number", "id_card.length"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1)),
            "{want:?} not in {got:?}"
        );
    }
    // Each names its field for the sentence.
    let area = p.iter().find(|p| p.field == "/fields/area").unwrap();
    assert!(
        area.args
            .contains(&("label", "经营场所面积（平方米）".into()))
    );
    assert!(area.args.contains(&("min", "1".into())));
}

#[test]
fn required_rules_and_groups_count_only_when_complete() {
    let empty = Map::new();
    let draft = food().check(&empty, TODAY, false);
    assert_eq!(draft, vec![], "a draft may be empty");
    let p = food().check(&empty, TODAY, true);
    let got = codes(&p);
    for k in [
        "operator",
        "credit_code",
        "legal_rep_id",
        "address",
        "categories",
        "area",
        "staff",
    ] {
        assert!(
            got.contains(&(format!("/fields/{k}"), "form.required")),
            "{k}: {got:?}"
        );
    }
    // Hidden: 加工操作区 shows only for catering.
    assert!(!got.iter().any(|(f, _)| f == "/fields/kitchen_area"));
    assert!(got.contains(&("/fields/phone".into(), "form.one_of")));
    let mut a = good();
    a.insert("staff".into(), json!([]));
    assert!(
        codes(&food().check(&a, TODAY, true)).contains(&("/fields/staff".into(), "form.required"))
    );
    a.insert(
        "staff".into(),
        json!([{"name": "甲"}, {"name": "乙"}, {"name": "丙"}, {"name": "丁"}]),
    );
    assert!(
        codes(&food().check(&a, TODAY, false)).contains(&("/fields/staff".into(), "form.too_many"))
    );
}

#[test]
fn rules_between_fields() {
    let mut a = good();
    a.insert("closing".into(), json!("2026-12-01"));
    a.insert("kitchen_area".into(), json!(200));
    let got = codes(&food().check(&a, TODAY, true));
    assert!(
        got.contains(&("/fields/closing".into(), "form.date_order")),
        "{got:?}"
    );
    assert!(
        got.contains(&("/fields/kitchen_area".into(), "form.not_greater")),
        "{got:?}"
    );
}

#[test]
fn a_hidden_field_is_neither_checked_nor_submitted() {
    let mut a = good();
    a.insert("categories".into(), json!(["bulk"]));
    a.insert("kitchen_area".into(), json!("not even a number"));
    assert_eq!(food().check(&a, TODAY, true), vec![]);
    let shown = food().shown_answers(&a);
    assert!(!shown.contains_key("kitchen_area"));
    assert!(shown.contains_key("area"));
}

#[test]
fn badly_made_forms_are_refused_with_every_problem() {
    let mut f = food();
    f.sections[0].fields[1].key = "operator".into();
    f.sections[0].fields[3].key = "Phone".into();
    f.sections[1].fields[1].show_if = Some(Condition {
        field: "area".into(),
        any_of: vec!["x".into()],
    });
    f.sections[1].fields[0].kind = choice(&["a", "a"], false);
    f.sections[1].fields[2].kind = Kind::Number {
        min: Some(10),
        max: Some(1),
        decimals: 0,
    };
    f.sections[0].fields[4].kind = Kind::Text {
        max_len: 10,
        multiline: false,
        pattern: "([".into(),
    };
    if let Kind::Group { fields, .. } = &mut f.sections[1].fields[6].kind {
        fields.push(field(
            "nested",
            "嵌套",
            Kind::Group {
                fields: vec![],
                min: 0,
                max: 1,
            },
            false,
        ));
    }
    f.rules.push(Rule::DateOrder {
        first: "area".into(),
        second: "nowhere".into(),
    });
    let got: Vec<(String, &'static str)> = codes(&f.problems());
    for want in [
        ("form.sections[0].fields[1].key", "form_def.duplicate_key"),
        ("form.sections[0].fields[3].key", "form_def.bad_key"),
        (
            "form.sections[1].fields[1].show_if",
            "form_def.bad_condition",
        ),
        (
            "form.sections[1].fields[0].kind",
            "form_def.duplicate_option",
        ),
        ("form.sections[1].fields[2].kind", "form_def.range"),
        ("form.sections[0].fields[4].kind", "form_def.bad_pattern"),
        (
            "form.sections[1].fields[6].kind.fields[2].kind",
            "form_def.nested_group",
        ),
        ("form.rules[3]", "form_def.bad_rule"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1)),
            "{want:?} not in {got:?}"
        );
    }
}

#[test]
fn the_schema_describes_the_form() {
    let s = food().json_schema(
        "https://tongban.example/api/v1/items/X/form",
        "食品经营许可",
    );
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["additionalProperties"], false);
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"operator") && !required.contains(&"kitchen_area"));
    assert_eq!(
        s["properties"]["credit_code"]["format"],
        schema::FORMAT_CREDIT_CODE
    );
    assert_eq!(
        s["properties"]["legal_rep_id"]["format"],
        schema::FORMAT_ID_CARD
    );
    assert_eq!(s["properties"]["area"]["multipleOf"], 0.1);
    assert_eq!(s["properties"]["staff"]["maxItems"], 3);
    assert_eq!(
        s["properties"]["categories"]["items"]["enum"],
        json!(["prepackaged", "bulk", "catering"])
    );
    // The condition makes 加工操作区 required only for catering.
    assert_eq!(
        s["allOf"][0],
        json!({"if": {"allOf": [{"required": ["categories"], "properties": {"categories": {"type": "array", "contains": {"enum": ["catering"]}}}}]},
               "then": {"required": ["kitchen_area"]}})
    );
    let layout = food().layout();
    assert_eq!(layout[1]["fields"][1]["key"], "kitchen_area");
}

#[test]
fn a_definition_round_trips_through_json() {
    let f = food();
    let back: FormDef = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(back, f);
    // Stored forms name their kinds by tag.
    let text: FormDef = serde_json::from_value(json!({"sections": [{"title": "A", "fields": [
        {"key": "n", "label": "名称", "kind": {"type": "text"}}]}]}))
    .unwrap();
    assert_eq!(
        text.sections[0].fields[0].kind,
        Kind::Text {
            max_len: 200,
            multiline: false,
            pattern: String::new()
        }
    );
}

proptest! {
    /// Whatever a client sends, checking never panics, and a problem's
    /// pointer always names a field of the form or the unknown key sent.
    #[test]
    fn checking_arbitrary_answers_never_panics(
        keys in proptest::collection::vec("[a-z_]{1,12}", 0..6),
        strings in proptest::collection::vec(".{0,30}", 0..6),
        numbers in proptest::collection::vec(-1e9f64..1e9, 0..6),
    ) {
        let mut a = good();
        for (i, k) in keys.iter().enumerate() {
            let v = match i % 3 {
                0 => json!(strings.get(i).cloned().unwrap_or_default()),
                1 => json!(numbers.get(i).copied().unwrap_or(0.0)),
                _ => json!([strings.get(i).cloned().unwrap_or_default()]),
            };
            a.insert(k.clone(), v);
        }
        for (key, v) in ["area", "categories", "staff", "address", "opening"].iter().zip(strings.iter()) {
            a.insert((*key).into(), json!(v));
        }
        let form = food();
        for p in form.check(&a, TODAY, true) {
            let top = p.field.trim_start_matches("/fields/").split('/').next().unwrap_or("").to_owned();
            prop_assert!(form.field(&top).is_some() || a.contains_key(&top), "{}", p.field);
        }
    }

    /// A number within the range and the decimals passes; one beyond fails.
    #[test]
    fn numbers_pass_exactly_within_their_range(tenths in 0i64..2_000_000) {
        let x = tenths as f64 / 10.0;
        let mut a = good();
        a.insert("area".into(), json!(x));
        a.insert("kitchen_area".into(), json!(1));
        let ok = (1.0..=100_000.0).contains(&x);
        let problems = food().check(&a, TODAY, true);
        prop_assert_eq!(problems.is_empty(), ok, "{} {:?}", x, problems);
    }
}

#[test]
fn the_text_form_round_trips_and_reads_as_written() {
    let f = food();
    let written = text::format(&f);
    assert_eq!(text::parse(&written).unwrap(), f, "{written}");
    let typed = "\
# 经营者 | Operator
operator: 经营者名称 | Operator name | text 100 | required | prefill=enterprise_name
email: 电子邮箱 | Email | text 100 pattern=[^@ ]+@[^@ ]+|.+@example\\.cn
categories: 经营项目 | Business | choice+ prepackaged=预包装食品销售/Prepackaged food, catering=热食类食品制售/Hot food | required
# 加工场所 | Kitchen | if categories=catering
kitchen_area: 加工操作区面积 | Kitchen area | number 1..100000 decimals=1 | required | hint=不含仓库
staff: 从业人员 | Staff | group 1..20 | required
  name: 姓名 | Name | text 50 | required
rule: one_of operator email
";
    let g = text::parse(typed).unwrap();
    assert_eq!(g.sections.len(), 2);
    assert_eq!(g.sections[1].show_if.as_ref().unwrap().any_of, ["catering"]);
    assert_eq!(
        g.sections[0].fields[0].prefill,
        Some(Prefill::EnterpriseName)
    );
    assert_eq!(
        g.sections[0].fields[1].kind,
        Kind::Text {
            max_len: 100,
            multiline: false,
            pattern: "[^@ ]+@[^@ ]+|.+@example\\.cn".into()
        }
    );
    assert_eq!(g.sections[1].fields[0].hint, "不含仓库");
    let Kind::Group { fields, min, max } = &g.sections[1].fields[1].kind else {
        panic!()
    };
    assert_eq!((fields.len(), *min, *max), (1, 1, 20));
    assert_eq!(g.problems(), vec![]);
    assert_eq!(text::parse(&text::format(&g)).unwrap(), g);
}

#[test]
fn every_unreadable_line_is_named() {
    let bad = "\
# 一 | One
a: 甲 | A | colour
b: 乙 | B
  c: 丙 | C | text 10
d: 丁 | D | number ten..20
rule: sometimes a b
e: 戊 | E | text 10 | prefill=salary
";
    let lines: Vec<usize> = text::parse(bad)
        .unwrap_err()
        .iter()
        .map(|p| p.line)
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
}

#[test]
fn answers_typed_as_people_type_them_are_taken_and_a_wrong_one_says_what_to_type() {
    let form = text::parse(
        "# 申请人 | Applicant\n\
         mobile: 手机号码 | Mobile | phone\n\
         tel: 联系电话 | Phone | tel\n\
         card: 社会保障卡金融账号 | Card account | text 30 pattern=[0-9]{12,30}\n\
         area: 面积 | Area | number 1..1000",
    )
    .expect("form");
    let s = &form.sections[0];
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let typed = input::patch_of(
        &form,
        s,
        &Map::new(),
        &pairs(&[
            ("f.mobile", "138 0000 0001"),
            ("f.tel", "0451-86661234"),
            ("f.card", "6217 0001 2345 6789 012"),
            ("f.area", "120"),
        ]),
    );
    assert_eq!(typed["mobile"], "13800000001");
    assert_eq!(typed["card"], "6217000123456789012");
    assert!(form.check(&typed, date!(2026 - 12 - 07), true).is_empty());
    for (tel, ok) in [
        ("13800000001", true),
        ("045186661234", true),
        ("0451-8666123", true),
        ("010-12345678-123", true),
        ("86661234", false),
        ("0451-86", false),
    ] {
        let a = answers(json!({"tel": tel}));
        assert_eq!(
            form.check(&a, date!(2026 - 12 - 07), false).is_empty(),
            ok,
            "{tel}"
        );
    }
    let a = answers(json!({"area": "一百二十"}));
    let p = form.check(&a, date!(2026 - 12 - 07), false);
    assert_eq!(p[0].code, "form.not_a_number");
    assert_eq!(p[0].message, "“面积”请填写数字，例如 120");
}
