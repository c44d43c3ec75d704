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

fn generated_number(code: &str) -> Option<u32> {
    code.strip_prefix('M')
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
}

/// Gives every material without a code one. A material named like one
/// already coded (in this guide, or in `earlier`: the `(code, name)` pairs of
/// the item's earlier versions) takes that code; any other takes the next
/// `M###` above every code the item has used, so a removed material's code
/// is never given to a different one.
pub fn assign_codes(g: &mut Guide, earlier: &[(String, String)]) {
    let mut by_name: Vec<(String, String)> = earlier.to_vec();
    let mut used: BTreeSet<String> = earlier.iter().map(|(c, _)| c.clone()).collect();
    let all = |g: &Guide| -> Vec<(String, String)> {
        g.materials
            .iter()
            .chain(g.situations.iter().flat_map(|s| s.materials.iter()))
            .filter(|m| !m.code.is_empty())
            .map(|m| (m.code.clone(), m.name.trim().to_owned()))
            .collect()
    };
    for (code, name) in all(g) {
        used.insert(code.clone());
        by_name.push((code, name));
    }
    let mut next = used
        .iter()
        .filter_map(|c| generated_number(c))
        .max()
        .unwrap_or(0);
    let mut give = |m: &mut Material, taken_here: &mut BTreeSet<String>| {
        if !m.code.is_empty() {
            return;
        }
        let name = m.name.trim();
        let known = by_name
            .iter()
            .rev()
            .find(|(c, n)| n == name && !taken_here.contains(c))
            .map(|(c, _)| c.clone());
        m.code = known.unwrap_or_else(|| {
            next += 1;
            format!("M{next:03}")
        });
        by_name.push((m.code.clone(), name.to_owned()));
    };
    let mut main: BTreeSet<String> = g.materials.iter().map(|m| m.code.clone()).collect();
    for m in &mut g.materials {
        give(m, &mut main);
        main.insert(m.code.clone());
    }
    for s in &mut g.situations {
        let mut here: BTreeSet<String> = s.materials.iter().map(|m| m.code.clone()).collect();
        for m in &mut s.materials {
            give(m, &mut here);
            here.insert(m.code.clone());
        }
    }
}

/// The `(code, name)` pairs of a guide's materials, for [`assign_codes`]
/// on its later versions.
pub fn material_codes(g: &Guide) -> Vec<(String, String)> {
    g.materials
        .iter()
        .chain(g.situations.iter().flat_map(|s| s.materials.iter()))
        .filter(|m| !m.code.is_empty())
        .map(|m| (m.code.clone(), m.name.trim().to_owned()))
        .collect()
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
        assign_codes(&mut v1, &[]);
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
        assign_codes(&mut v2, &material_codes(&v1));
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
        assign_codes(&mut v3, &material_codes(&v2));
        assert_eq!(v3.materials[0].code, "M003");
    }

    #[test]
    fn two_materials_of_one_name_get_two_codes() {
        let mut g = Guide {
            materials: named(&["照片", "照片"]),
            ..Guide::default()
        };
        assign_codes(&mut g, &[]);
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
