//! 服务对象 who an item serves (GB/T 39046 A.4) and what an applicant
//! counts as, by the unified social credit code (GB 32100).

/// 服务对象 (GB/T 39046 A.4) an applicant counts as: `1` a person; an
/// organisation by the first character of its unified social credit code
/// (GB 32100 登记管理部门码): `9` (market regulation) an enterprise `2`,
/// `1` (机构编制) a public institution `3` unless its second character (机构
/// 类别码) is `1`, 机关, a government body `5`; `5` (civil affairs) a social
/// organisation `4`, any other `6`.
pub fn service_object(credit_code: Option<&str>) -> &'static str {
    let mut chars = credit_code.map(str::chars);
    let first = chars.as_mut().and_then(Iterator::next);
    let second = chars.as_mut().and_then(Iterator::next);
    match (first, second) {
        (None, _) => "1",
        (Some('9'), _) => "2",
        (Some('1'), Some('1')) => "5",
        (Some('1'), _) => "3",
        (Some('5'), _) => "4",
        (Some(_), _) => "6",
    }
}

/// Whether an item for `objects` (its guide's 服务对象 codes) may be applied
/// for online by an applicant counting as `object`. 行政机关 (`5`) never
/// apply online: their matters go between departments.
pub fn served(objects: &[String], object: &str) -> bool {
    object != "5" && objects.iter().any(|o| o == object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applicant_counts_as_the_service_object_its_credit_code_says() {
        assert_eq!(service_object(None), "1");
        for (code, object) in [
            ("91230100MA1B2C3D4E", "2"),
            ("12230100MB1234567X", "3"),
            ("11230100MB1234567X", "5"),
            ("52230100MJ1234567X", "4"),
            ("31230000MD1234567X", "6"),
            ("Y1230000MD1234567X", "6"),
        ] {
            assert_eq!(service_object(Some(code)), object, "{code}");
        }
        let enterprises = vec!["2".to_owned(), "6".to_owned()];
        assert!(served(&enterprises, "2") && served(&enterprises, "6"));
        assert!(!served(&enterprises, "1") && !served(&enterprises, "3"));
        // Government bodies never apply online, even where the guide names them.
        assert!(!served(&["5".to_owned()], "5"));
    }
}
