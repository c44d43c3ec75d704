//! Message catalogs: every user-facing string, in Simplified Chinese (the
//! default) and English. Templates call `t.get("key")`; a key missing from a
//! catalog shows the key itself, and a test keeps the catalogs in step.

use std::collections::HashMap;
use std::sync::OnceLock;

pub use tongban_domain::Lang;

type Catalog = HashMap<String, String>;

fn parse_catalog(text: &str) -> Catalog {
    // The catalogs are compiled in; a parse failure is caught by the tests.
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
        .collect()
}

fn catalogs() -> &'static (Catalog, Catalog) {
    static C: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    C.get_or_init(|| {
        (
            parse_catalog(include_str!("../../locales/zh-CN.toml")),
            parse_catalog(include_str!("../../locales/en.toml")),
        )
    })
}

/// The translator handed to every page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    /// The language in use.
    pub lang: Lang,
    /// Speaking to someone who acts for the applicant (a window clerk, a
    /// community agent, an enterprise's agent), not to the applicant: a
    /// message with a `<key>.proxy` variant says "the applicant" (申请人)
    /// where the plain one says "you" (您).
    pub proxy: bool,
}

impl Tr {
    /// A translator for `lang`.
    pub fn new(lang: Lang) -> Self {
        Self { lang, proxy: false }
    }

    /// The same translator, speaking to someone acting for the applicant
    /// when `on`.
    pub fn proxy(self, on: bool) -> Self {
        Self { proxy: on, ..self }
    }

    /// The message for `key` (its `.proxy` variant first, when speaking to
    /// someone acting for the applicant).
    pub fn get(&self, key: &str) -> String {
        let (zh, en) = catalogs();
        let cat = match self.lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        };
        if self.proxy
            && let Some(m) = cat.get(&format!("{key}.proxy"))
        {
            return m.clone();
        }
        cat.get(key).cloned().unwrap_or_else(|| key.to_owned())
    }

    /// The message for `key`, if the catalog has one.
    pub fn lookup(&self, key: &str) -> Option<String> {
        let (zh, en) = catalogs();
        match self.lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
        .get(key)
        .cloned()
    }

    /// The message for `key` with `{name}` placeholders filled.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.get(key);
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// Picks the Chinese or English form of a stored name.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::En if !en.is_empty() => en,
            _ => zh,
        }
    }

    /// The language tag.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys_and_no_empty_values() {
        let (zh, en) = catalogs();
        assert!(zh.len() > 100, "zh catalog failed to load: {}", zh.len());
        let mut missing_en: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut missing_zh: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        missing_en.sort();
        missing_zh.sort();
        assert!(
            missing_en.is_empty() && missing_zh.is_empty(),
            "en lacks {missing_en:?}; zh lacks {missing_zh:?}"
        );
        assert!(zh.values().chain(en.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn someone_acting_for_the_applicant_is_told_about_the_applicant() {
        let own = Tr::new(Lang::ZhCn);
        let proxy = own.proxy(true);
        assert_eq!(own.get("apply.you_need"), "您需要准备");
        assert_eq!(proxy.get("apply.you_need"), "申请人需要准备");
        assert_eq!(
            Tr::new(Lang::En).proxy(true).get("apply.you_need"),
            "What the applicant needs"
        );
        // A message without a variant reads the same to both.
        assert_eq!(proxy.get("nav.home"), own.get("nav.home"));
        // Every variant has its plain message.
        let (zh, _) = catalogs();
        for k in zh.keys().filter_map(|k| k.strip_suffix(".proxy")) {
            assert!(zh.contains_key(k), "{k}.proxy has no plain message");
        }
    }

    #[test]
    fn lookup_formatting_and_fallback() {
        let zh = Tr::new(Lang::ZhCn);
        let en = Tr::new(Lang::En);
        assert_eq!(zh.get("nav.home"), "首页");
        assert_eq!(en.get("nav.home"), "Home");
        assert_eq!(
            en.fmt("admin.created", &[("username", "li")]),
            "Staff account li created."
        );
        assert_eq!(en.get("no.such.key"), "no.such.key");
        assert_eq!(en.pick("道里区", "Daoli District"), "Daoli District");
        assert_eq!(en.pick("道里区", ""), "道里区");
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,zh;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr, zh-CN;q=0.5"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
    }
}
