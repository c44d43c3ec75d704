//! The catalog rules, tested.

use super::*;
use crate::kernel::CreditCode;
use proptest::prelude::*;

/// A guide that passes every rule.
pub fn sample() -> Guide {
    Guide {
        name: "食品经营许可".into(),
        item_type: "01".into(),
        legal_basis: "《中华人民共和国食品安全法》第三十五条".into(),
        conditions: vec!["具有与经营的食品品种、数量相适应的经营场所".into()],
        materials: vec![Material {
            name: "食品经营许可申请书".into(),
            required: true,
            originals: 1,
            ..Default::default()
        }],
        process: vec!["申请".into(), "受理".into(), "审查".into(), "决定".into()],
        legal_limit: TimeLimit {
            value: 20,
            ..Default::default()
        },
        promised_limit: TimeLimit {
            value: 10,
            ..Default::default()
        },
        handling_forms: vec!["1".into(), "2".into()],
        service_objects: vec!["2".into()],
        online_depth: 3,
        visits: 1,
        place: "哈尔滨市政务服务中心".into(),
        hours: "工作日 9:00-17:00".into(),
        consult_phone: "0451-12345".into(),
        supervise_phone: "0451-12345".into(),
        ..Default::default()
    }
}

fn codes(g: &Guide) -> Vec<(&str, String)> {
    validate(g, &CodeLists::defaults())
        .into_iter()
        .map(|e| (e.code, e.field))
        .collect()
}

#[test]
fn a_complete_guide_passes() {
    assert_eq!(validate(&sample(), &CodeLists::defaults()), vec![]);
}

#[test]
fn every_problem_is_listed_at_once() {
    let mut g = sample();
    g.name.clear();
    g.promised_limit.value = 30;
    g.online_depth = 4;
    g.visits = 2;
    g.materials.push(Material::default());
    g.fees.push(Fee {
        name: "工本费".into(),
        standard: "10元".into(),
        ..Default::default()
    });
    let c = codes(&g);
    assert!(c.contains(&("required", "name".into())));
    assert!(c.contains(&("exceeds_legal", "promised_limit.value".into())));
    assert!(c.contains(&("depth4_visits", "visits".into())));
    assert!(c.contains(&("required", "materials[1].name".into())));
    assert!(c.contains(&("required", "fees[0].basis".into())));
    assert_eq!(c.len(), 5, "{c:?}");
}

#[test]
fn immediate_items_promise_zero_and_zero_visits_need_post() {
    let mut g = sample();
    g.case_kind = CaseKind::Immediate;
    assert!(codes(&g).contains(&("immediate_nonzero", "promised_limit.value".into())));
    let mut g = sample();
    g.visits = 0;
    assert!(codes(&g).contains(&("zero_visits_needs_post", "visits".into())));
    g.handling_forms.push("4".into());
    assert_eq!(validate(&g, &CodeLists::defaults()), vec![]);
    let mut g = sample();
    g.item_type = "99".into();
    g.service_objects = vec!["7".into()];
    let c = codes(&g);
    assert!(
        c.contains(&("invalid_code", "item_type".into()))
            && c.contains(&("invalid_code", "service_objects[0]".into()))
    );
}

#[test]
fn material_codes_come_from_the_configured_lists() {
    let mut g = sample();
    g.materials[0].form = "microfilm".into();
    g.materials[0].source = "notary".into();
    let c = codes(&g);
    assert!(c.contains(&("invalid_code", "materials[0].form".into())));
    assert!(c.contains(&("invalid_code", "materials[0].source".into())));
    let added = |list, code: &str| {
        (
            list,
            CodeEntry {
                code: code.into(),
                zh: code.into(),
                en: code.into(),
            },
        )
    };
    let mut rows: Vec<_> = CodeLists::defaults()
        .entries(CodeList::MaterialForm)
        .iter()
        .map(|e| (CodeList::MaterialForm, e.clone()))
        .collect();
    rows.push(added(CodeList::MaterialForm, "microfilm"));
    rows.push(added(CodeList::MaterialSource, "notary"));
    let lists = CodeLists::from_rows(rows);
    assert_eq!(validate(&g, &lists), vec![]);
    // A list with stored rows replaces its defaults; one without keeps them.
    assert_eq!(lists.entries(CodeList::MaterialSource).len(), 1);
    assert!(lists.contains(CodeList::OnlineDepth, "4"));
    assert!(!lists.contains(CodeList::MaterialSource, "applicant"));
}

#[test]
fn codes_are_checked() {
    let cat = CatalogCode::parse("000117001001").unwrap();
    assert!(TaskCode::parse("11100000000013127D3000117001001", Some(&cat), true).is_ok());
    assert_eq!(
        TaskCode::parse("11100000000013127D3000117001002", Some(&cat), true),
        Err(CodeError::CatalogMismatch)
    );
    assert!(matches!(
        TaskCode::parse("11100000000013127X3000117001001", Some(&cat), true),
        Err(CodeError::CreditCode(_))
    ));
    assert!(matches!(
        TaskCode::parse("123", Some(&cat), true),
        Err(CodeError::TaskLayout)
    ));
    assert!(TaskCode::parse("LOCAL-1".replace('-', "").as_str(), None, false).is_ok());
    assert!(
        CatalogCode::parse("").is_err()
            && CatalogCode::parse("1234567890123").is_err()
            && CatalogCode::parse("ab_1").is_err()
    );
    let body = CreditCode::parse("11100000000013127D").unwrap();
    assert_eq!(
        TaskCode::compose(&body, '3', &cat).unwrap().as_str(),
        "11100000000013127D3000117001001"
    );
}

#[test]
fn diff_names_each_changed_element() {
    let a = sample();
    let mut b = sample();
    b.promised_limit.value = 5;
    b.materials[0].copies = 2;
    b.materials.push(Material {
        name: "营业执照".into(),
        ..Default::default()
    });
    let d = diff(&a, &b);
    let paths: Vec<_> = d.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "materials[0].copies",
            "materials[1]",
            "promised_limit.value"
        ]
    );
    assert_eq!(d[2].before, "10");
    assert_eq!(d[2].after, "5");
    assert!(d[1].before.is_empty() && d[1].after.contains("营业执照"));
    assert!(diff(&a, &a).is_empty());
}

#[test]
fn version_lifecycle() {
    use VersionAction as A;
    use VersionStatus as S;
    assert_eq!(transition(S::Draft, A::Submit), Some(S::InReview));
    assert_eq!(transition(S::InReview, A::Publish), Some(S::Published));
    assert_eq!(transition(S::InReview, A::Reject), Some(S::Draft));
    assert_eq!(
        transition(S::Published, A::Edit),
        None,
        "a published version never changes"
    );
    assert_eq!(
        transition(S::Draft, A::Publish),
        None,
        "publishing needs a review"
    );
    assert_eq!(transition(S::Withdrawn, A::Publish), None);
    assert_eq!(transition(S::InReview, A::Schedule), Some(S::Scheduled));
    assert_eq!(transition(S::Scheduled, A::Activate), Some(S::Published));
    assert_eq!(
        transition(S::Scheduled, A::Edit),
        None,
        "an approved version never changes"
    );
    assert_eq!(transition(S::Draft, A::Activate), None);
    for s in [
        S::Draft,
        S::InReview,
        S::Scheduled,
        S::Published,
        S::Superseded,
        S::Withdrawn,
    ] {
        assert_eq!(VersionStatus::from_code(s.code()), Some(s));
    }
}

proptest! {
    #[test]
    fn promised_never_exceeds_legal_in_a_valid_guide(legal in 0u32..100, promised in 0u32..100) {
        let mut g = sample();
        g.legal_limit.value = legal;
        g.promised_limit.value = promised;
        let ok = !codes(&g).iter().any(|(c, _)| *c == "exceeds_legal");
        prop_assert_eq!(ok, promised <= legal);
    }

    #[test]
    fn diff_of_a_guide_with_itself_is_empty_and_round_trips(name in "\\PC{0,20}", copies in 0u8..5) {
        let mut g = sample();
        g.name = name;
        g.materials[0].copies = copies;
        prop_assert!(diff(&g, &g.clone()).is_empty());
        let back: Guide = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        prop_assert_eq!(back, g);
    }
}
