//! A material's identity and what the platform takes for it: a stable code
//! per material, kept across versions (a form, a case and a reused file go
//! on pointing at the same material when the guide is revised), the file
//! types accepted and a size limit (a drawing may be 50 MB, an ID card scan
//! a few).

use std::collections::BTreeSet;

use super::{Guide, Material};

/// File types an applicant may upload, decided by content: PDF, OFD (GB/T
/// 33190, the national fixed-layout format), JPEG, PNG.
pub const FILE_TYPES: &[&str] = &["pdf", "ofd", "jpeg", "png"];
/// A material's size limit when the guide does not set one, in MB.
pub const DEFAULT_MAX_MB: u32 = 10;
/// The largest size limit a guide may set, in MB.
pub const MAX_MB: u32 = 200;

/// Every file type, as a new material accepts by default.
pub fn default_file_types() -> Vec<String> {
    FILE_TYPES.iter().map(|t| (*t).to_owned()).collect()
}

/// Whether a material code is well formed: 1–16 letters, digits, `_` or
/// `-` (the national exchange's codes fit; ours are `M001`, `M002` …).
pub fn code_ok(code: &str) -> bool {
    (1..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The codes an item's versions have given: `(code, name)` of materials
/// and of situations (业务办理项).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeBook {
    /// Materials' codes and names.
    pub materials: Vec<(String, String)>,
    /// Situations' codes and names.
    pub situations: Vec<(String, String)>,
}

impl CodeBook {
    /// The codes a guide holds.
    pub fn of(g: &Guide) -> Self {
        Self {
            materials: g
                .materials
                .iter()
                .chain(g.situations.iter().flat_map(|s| s.materials.iter()))
                .filter(|m| !m.code.is_empty())
                .map(|m| (m.code.clone(), m.name.trim().to_owned()))
                .collect(),
            situations: g
                .situations
                .iter()
                .filter(|s| !s.code.is_empty())
                .map(|s| (s.code.clone(), s.name.trim().to_owned()))
                .collect(),
        }
    }

    /// Adds another book's codes.
    pub fn extend(&mut self, other: CodeBook) {
        self.materials.extend(other.materials);
        self.situations.extend(other.situations);
    }
}

/// Gives codes to what has none, one numbered series per kind with its
/// prefix (`M001`, `S01`): a name already coded (here or in `known`) takes
/// that code unless it is taken here; anything else takes the next number
/// above every code ever used, so a removed one's code is never reused.
fn give_codes<'a>(
    items: impl Iterator<Item = (&'a mut String, String)>,
    known: &[(String, String)],
    prefix: char,
    width: usize,
) {
    let mut items: Vec<(&'a mut String, String)> = items.collect();
    let mut by_name: Vec<(String, String)> = known.to_vec();
    for (code, name) in items.iter().filter(|(c, _)| !c.is_empty()) {
        by_name.push(((**code).clone(), name.clone()));
    }
    let mut next = by_name
        .iter()
        .filter_map(|(c, _)| {
            c.strip_prefix(prefix)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u32>().ok())
        })
        .max()
        .unwrap_or(0);
    let mut taken: BTreeSet<String> = items
        .iter()
        .filter(|(c, _)| !c.is_empty())
        .map(|(c, _)| (**c).clone())
        .collect();
    for (code, name) in items.iter_mut().filter(|(c, _)| c.is_empty()) {
        let reuse = by_name
            .iter()
            .rev()
            .find(|(c, n)| n == name && !taken.contains(c))
            .map(|(c, _)| c.clone());
        let c = reuse.unwrap_or_else(|| {
            next += 1;
            format!("{prefix}{next:0width$}")
        });
        taken.insert(c.clone());
        by_name.push((c.clone(), name.clone()));
        **code = c;
    }
}

/// Gives every material and situation without a code one, keeping codes
/// stable across an item's versions (`known`: the codes its other versions
/// gave). A material named like one already coded takes that code; two
/// materials of one name in one list get two codes. The item's own list
/// and each situation's list are numbered from one series.
pub fn assign_codes(g: &mut Guide, known: &CodeBook) {
    let mut book = known.clone();
    book.extend(CodeBook::of(g));
    give_codes(
        g.situations.iter_mut().map(|s| {
            let name = s.name.trim().to_owned();
            (&mut s.code, name)
        }),
        &book.situations,
        'S',
        2,
    );
    // The item's list first, then each situation's: a code is unique
    // within a list, and the series never goes back.
    let mut lists: Vec<&mut Vec<Material>> = vec![&mut g.materials];
    lists.extend(g.situations.iter_mut().map(|s| &mut s.materials));
    for list in lists {
        give_codes(
            list.iter_mut().map(|m| {
                let name = m.name.trim().to_owned();
                (&mut m.code, name)
            }),
            &book.materials,
            'M',
            3,
        );
        book.materials.extend(
            list.iter()
                .map(|m| (m.code.clone(), m.name.trim().to_owned())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Situation;

    fn named(names: &[&str]) -> Vec<Material> {
        names
            .iter()
            .map(|n| Material {
                name: (*n).to_owned(),
                ..Material::default()
            })
            .collect()
    }

    #[test]
    fn codes_are_given_once_and_kept_across_versions() {
        let mut v1 = Guide {
            materials: named(&["申请书", "营业执照", "场所证明"]),
            ..Guide::default()
        };
        assign_codes(&mut v1, &CodeBook::default());
        let codes: Vec<&str> = v1.materials.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["M001", "M002", "M003"]);
        // Version 2 drops 营业执照, adds 健康证明, reorders the rest; it is
        // edited from scratch (no codes carried in the form).
        let mut v2 = Guide {
            materials: named(&["场所证明", "健康证明", "申请书"]),
            situations: vec![Situation {
                name: "变更".into(),
                materials: named(&["申请书", "变更说明"]),
                ..Situation::default()
            }],
            ..Guide::default()
        };
        assign_codes(&mut v2, &CodeBook::of(&v1));
        let codes: Vec<&str> = v2.materials.iter().map(|m| m.code.as_str()).collect();
        // The removed M002 is not reused for the new material.
        assert_eq!(codes, ["M003", "M004", "M001"]);
        let s: Vec<&str> = v2.situations[0]
            .materials
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(s, ["M001", "M005"]);
        // Codes already there are kept, even when renamed.
        let mut v3 = v2.clone();
        v3.materials[0].name = "经营场所证明".into();
        assign_codes(&mut v3, &CodeBook::of(&v2));
        assert_eq!(v3.materials[0].code, "M003");
    }

    #[test]
    fn two_materials_of_one_name_get_two_codes() {
        let mut g = Guide {
            materials: named(&["照片", "照片"]),
            ..Guide::default()
        };
        assign_codes(&mut g, &CodeBook::default());
        assert_eq!(g.materials[0].code, "M001");
        assert_eq!(g.materials[1].code, "M002");
    }

    #[test]
    fn codes_are_checked() {
        assert!(code_ok("M001") && code_ok("CL_0012-a"));
        assert!(
            !code_ok("") && !code_ok("材料1") && !code_ok("M 1") && !code_ok("M00000000000000001")
        );
    }
}
