//! The declaration a person makes when submitting (申请人承诺书): one text
//! for every item, versioned; the version, the hash of the words shown,
//! the person's real-name level and the time are kept with the case, so
//! what was promised can be shown later word for word.

use sha2::{Digest, Sha256};
use tongban_domain::Lang;

/// The declaration's current version.
pub const VERSION: &str = "2026-1";

const ZH: &str = "本人承诺：所填写的申请内容和提交的材料真实、准确、完整、有效，\
复印件与原件一致；本人（或所代理的申请人）对申请内容和材料的真实性负责。\
如有隐瞒有关情况或者提供虚假材料，愿意承担《中华人民共和国行政许可法》第七十八条、\
第七十九条规定的法律责任，并同意将相关失信信息依法纳入信用记录。\
本人同意办理机关为办理本事项查验、调取本人的电子证照和共享数据。";

const EN: &str = "I declare that the answers I have given and the documents I have \
submitted are true, accurate, complete and valid, and that copies match their originals; \
I (or the applicant I act for) am responsible for their truth. If I have concealed facts \
or given false documents, I accept the legal liability set out in Articles 78 and 79 of \
the Administrative Licensing Law of the PRC, and agree that the record may be entered \
in the credit records as the law provides. I agree that the handling authority may check \
and fetch my electronic certificates and shared data to handle this matter.";

/// The declaration's words in a language (the Chinese text is the one
/// that binds; the English is its translation).
pub fn text(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => ZH,
        Lang::En => EN,
    }
}

/// SHA-256 (hex) of the binding Chinese words of the current version.
pub fn hash() -> String {
    hex::encode(Sha256::digest(format!("{VERSION}\n{ZH}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_of_the_version_and_the_chinese_words() {
        assert_eq!(hash().len(), 64);
        assert_eq!(
            hash(),
            hex::encode(Sha256::digest(format!("{VERSION}\n{}", text(Lang::ZhCn))))
        );
        assert_ne!(text(Lang::ZhCn), text(Lang::En));
    }
}
