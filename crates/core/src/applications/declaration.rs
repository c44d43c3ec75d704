//! The declaration a person makes when submitting (申请人承诺书): one text,
//! versioned, naming the law that governs false statements for the item's
//! type (行政许可法 Arts. 31, 78 and 79 for a 行政许可; the item's own 设定依据
//! for the types the administrators' table does not list). The version,
//! the hash of the words shown, the person's real-name level and the time
//! are kept with the case, so what was promised can be shown later word
//! for word.

use sha2::{Digest, Sha256};
use tongban_domain::Lang;
use tongban_domain::catalog::{CodeList, CodeLists, Guide};

/// The declaration's current version (of its wording; the law it names
/// comes from the item).
pub const VERSION: &str = "2026-2";

/// The declaration of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The version a submission accepts (or accepted).
    pub version: String,
    /// The binding Chinese words.
    pub zh: String,
    /// Their English translation.
    pub en: String,
    /// SHA-256 (hex) of the version and the Chinese words.
    pub sha256: String,
}

impl Declaration {
    /// The words as kept with a submitted case (JSON of both languages).
    pub fn words_json(&self) -> String {
        serde_json::json!({"zh": self.zh, "en": self.en}).to_string()
    }

    /// The declaration a case was submitted with: its version, hash and
    /// the words kept (see [`Declaration::words_json`]); `None` when the
    /// words were not kept (submitted before they were).
    pub fn kept(version: &str, sha256: &str, words: &str) -> Option<Self> {
        let w: serde_json::Value = serde_json::from_str(words).ok()?;
        Some(Self {
            version: version.to_owned(),
            zh: w["zh"].as_str()?.to_owned(),
            en: w["en"].as_str()?.to_owned(),
            sha256: sha256.to_owned(),
        })
    }

    /// The words in a language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The declaration for an item under guide `g`, its law from `lists`.
pub fn for_guide(g: &Guide, lists: &CodeLists) -> Declaration {
    let own = g.legal_basis.trim();
    let (liability_zh, liability_en) = match lists.basis(CodeList::DeclarationBasis, &g.item_type) {
        Some((zh, en)) => (
            format!("愿意承担{zh}规定的法律责任"),
            format!("I accept the legal liability set out in {en}"),
        ),
        None if !own.is_empty() => (
            format!("愿意依照{own}等规定承担相应的法律责任"),
            format!("I accept the legal liability under {own} and other rules that apply"),
        ),
        None => (
            "愿意依法承担相应的法律责任".to_owned(),
            "I accept the legal liability the law provides".to_owned(),
        ),
    };
    let zh = format!(
        "本人承诺：所填写的申请内容和提交的材料真实、准确、完整、有效，复印件与原件一致；\
         本人（或所代理的申请人）对申请内容和材料的真实性负责。如有隐瞒有关情况或者提供虚假材料，\
         {liability_zh}，并同意将相关失信信息依法纳入信用记录。\
         本人同意办理机关为办理本事项查验、调取本人的电子证照和共享数据。"
    );
    let en = format!(
        "I declare that the answers I have given and the documents I have submitted are true, \
         accurate, complete and valid, and that copies match their originals; I (or the applicant \
         I act for) am responsible for their truth. If I have concealed facts or given false \
         documents, {liability_en}, and agree that the record may be entered in the credit \
         records as the law provides. I agree that the handling authority may check and fetch \
         my electronic certificates and shared data to handle this matter."
    );
    let sha256 = hex::encode(Sha256::digest(format!("{VERSION}\n{zh}").as_bytes()));
    Declaration {
        version: VERSION.to_owned(),
        zh,
        en,
        sha256,
    }
}

/// The law an acceptance notice of the item cites: the administrators'
/// table by 事项类型, else the item's own 设定依据, else its guide.
pub fn notice_basis(g: &Guide, lists: &CodeLists) -> String {
    match lists.basis(CodeList::NoticeBasis, &g.item_type) {
        Some((zh, _)) => zh.to_owned(),
        None if !g.legal_basis.trim().is_empty() => g.legal_basis.trim().to_owned(),
        None => format!("《{}》办事指南", g.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_names_the_law_of_the_items_type_and_hashes_its_chinese_words() {
        let lists = CodeLists::defaults();
        let mut g = Guide {
            item_type: "01".into(),
            legal_basis: "《中华人民共和国食品安全法》第三十五条".into(),
            ..Guide::default()
        };
        let licence = for_guide(&g, &lists);
        assert!(
            licence
                .zh
                .contains("行政许可法》第三十一条、第七十八条、第七十九条")
        );
        assert!(licence.en.contains("Articles 31, 78 and 79"));
        g.item_type = "05".into();
        g.legal_basis = "《失业保险条例》第十四条".into();
        let benefit = for_guide(&g, &lists);
        assert!(!benefit.zh.contains("行政许可法"), "{}", benefit.zh);
        assert!(
            benefit
                .zh
                .contains("愿意依照《失业保险条例》第十四条等规定")
        );
        assert_eq!(
            benefit.sha256,
            hex::encode(Sha256::digest(format!("{VERSION}\n{}", benefit.zh)))
        );
        assert_ne!(benefit.sha256, licence.sha256);
    }
}
