use super::*;

#[test]
fn synonyms_expand_colloquial_words() {
    let s = Synonyms::parse("# c\n丢了,掉了 = 补领\n\nbad line\n开饭店 = 食品经营许可 餐饮\n");
    assert_eq!(s.expand("身份证丢了"), "身份证丢了 补领");
    assert_eq!(s.expand("想开饭店"), "想开饭店 食品经营许可 餐饮");
    assert_eq!(s.expand("社保卡"), "社保卡");
    assert!(!Synonyms::builtin().0.is_empty());
}

#[test]
fn a_configured_synonyms_file_replaces_the_builtin_list() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("syn.txt");
    std::fs::write(&f, "冰灯 = 冰雪大世界\n").unwrap();
    let s = Synonyms::load(f.to_str().unwrap()).unwrap();
    assert_eq!(s.expand("看冰灯"), "看冰灯 冰雪大世界");
    assert_eq!(
        s.expand("身份证丢了"),
        "身份证丢了",
        "the built-in list is replaced, not merged"
    );
    assert!(matches!(
        Synonyms::load("/no/such/file"),
        Err(SearchError::Synonyms(_))
    ));
    assert_eq!(
        Synonyms::load("").unwrap().expand("丢了"),
        Synonyms::builtin().expand("丢了")
    );
}

#[test]
fn analyzer_drops_question_words() {
    let mut a = analyzer();
    let mut s = a.token_stream("我想办理身份证怎么办");
    let mut tokens = Vec::new();
    while let Some(t) = s.next() {
        tokens.push(t.text.clone());
    }
    assert!(tokens.contains(&"身份证".to_owned()), "{tokens:?}");
    assert!(
        !tokens.iter().any(|t| t == "怎么" || t == "我" || t == "想"),
        "{tokens:?}"
    );
}
