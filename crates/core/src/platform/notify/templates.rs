//! The words of notices: each capability keeps its templates in a TOML file
//! of its own (what to say is its business), one table per template with
//! the subject and body in both languages; `{name}` is filled from the
//! values the caller gives. Parsing checks that both languages are there
//! and name the same values, so a template cannot lose a placeholder in
//! translation.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use tongban_domain::{Lang, text};

/// A message's words in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// Subject (email; the inbox's title).
    pub subject: String,
    /// Text.
    pub body: String,
}

/// One template in both languages.
#[derive(Debug, Clone)]
struct Template {
    zh: Words,
    en: Words,
}

/// A capability's notice templates.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_key: HashMap<String, Template>,
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                out.insert(after[..j].to_owned());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

impl Templates {
    /// Parses a template file: `[key]` tables with `zh.subject`, `zh.body`,
    /// `en.subject` and `en.body`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_key = HashMap::new();
        for (key, v) in table {
            let words = |lang: &str| -> Result<Words, String> {
                let t = v
                    .get(lang)
                    .and_then(|l| l.as_table())
                    .ok_or_else(|| format!("{key}: no [{key}.{lang}]"))?;
                let field = |name: &str| {
                    t.get(name)
                        .and_then(|x| x.as_str())
                        .map(str::to_owned)
                        .ok_or_else(|| format!("{key}.{lang}: no {name}"))
                };
                Ok(Words {
                    subject: field("subject")?,
                    body: field("body")?,
                })
            };
            let (zh, en) = (words("zh")?, words("en")?);
            // The English may name a value's English form, `{x_en}`, where
            // the Chinese names `{x}`.
            let names = |w: &Words| {
                let mut s = placeholders(&w.subject);
                s.extend(placeholders(&w.body));
                s.into_iter()
                    .map(|n| {
                        n.strip_suffix("_en")
                            .map_or_else(|| n.clone(), str::to_owned)
                    })
                    .collect::<BTreeSet<String>>()
            };
            if names(&zh) != names(&en) {
                return Err(format!(
                    "{key}: the languages name different values ({:?} and {:?})",
                    names(&zh),
                    names(&en)
                ));
            }
            by_key.insert(key, Template { zh, en });
        }
        Ok(Self { by_key })
    }

    /// The template `key` in `lang` with its values filled in; `None` for
    /// a key the file does not have. The values lose their invisible
    /// controls (`tongban_domain::text`): many are what people typed (a
    /// name, an item, a reason), some stored before inputs were cleaned,
    /// and a message must not be turned around by them. A subject is one
    /// line; a body keeps the line breaks of a value.
    pub fn render(&self, key: &str, lang: Lang, values: &[(&str, &str)]) -> Option<Words> {
        let t = self.by_key.get(key)?;
        let w = match lang {
            Lang::ZhCn => &t.zh,
            Lang::En => &t.en,
        };
        let fill = |s: &str, clean: fn(&str) -> Cow<'_, str>| {
            values.iter().fold(s.to_owned(), |acc, (k, v)| {
                acc.replace(&format!("{{{k}}}"), &clean(v))
            })
        };
        Some(Words {
            subject: fill(&w.subject, text::visible),
            body: fill(&w.body, text::visible_lines),
        })
    }

    /// The values template `key` names, for tests of its callers.
    pub fn names(&self, key: &str) -> Option<BTreeSet<String>> {
        self.by_key.get(key).map(|t| {
            let mut s = placeholders(&t.zh.subject);
            s.extend(placeholders(&t.zh.body));
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[code]
zh.subject = "验证码"
zh.body = "您的验证码是 {code}，用于{purpose}。"
en.subject = "Your code"
en.body = "Your code is {code}, for {purpose}."
"#;

    #[test]
    fn renders_in_the_chosen_language_with_values() {
        let t = Templates::parse(FILE).unwrap();
        let zh = t
            .render(
                "code",
                Lang::ZhCn,
                &[("code", "123456"), ("purpose", "注册")],
            )
            .unwrap();
        assert_eq!(zh.body, "您的验证码是 123456，用于注册。");
        let en = t
            .render(
                "code",
                Lang::En,
                &[("code", "654321"), ("purpose", "sign-up")],
            )
            .unwrap();
        assert_eq!(en.subject, "Your code");
        assert_eq!(en.body, "Your code is 654321, for sign-up.");
        assert!(t.render("nope", Lang::En, &[]).is_none());
        assert_eq!(
            t.names("code").unwrap().into_iter().collect::<Vec<_>>(),
            ["code", "purpose"]
        );
    }

    #[test]
    fn english_may_name_a_values_english_form_and_nothing_else() {
        let file = "[x]\nzh.subject = \"补正\"\nzh.body = \"位置：{places}\"\n\
                    en.subject = \"Corrections\"\nen.body = \"At: {places_en}\"\n";
        let t = Templates::parse(file).unwrap();
        let values = [("places", "申请表“日期”"), ("places_en", "question “Date”")];
        assert_eq!(
            t.render("x", Lang::En, &values).unwrap().body,
            "At: question “Date”"
        );
        assert_eq!(
            t.render("x", Lang::ZhCn, &values).unwrap().body,
            "位置：申请表“日期”"
        );
        let other = file.replace("{places_en}", "{other}");
        assert!(Templates::parse(&other).is_err());
    }

    #[test]
    fn values_lose_invisible_controls() {
        let t = Templates::parse(FILE).unwrap();
        let w = t
            .render(
                "code",
                Lang::ZhCn,
                &[("code", "12\u{202E}34"), ("purpose", "注\u{200B}册\n")],
            )
            .unwrap();
        assert_eq!(w.body, "您的验证码是 1234，用于注册\n。");
    }

    #[test]
    fn refuses_a_translation_that_loses_a_value_or_a_language() {
        let lost = FILE.replace("for {purpose}", "for sign-up");
        assert!(
            Templates::parse(&lost)
                .unwrap_err()
                .contains("different values")
        );
        let no_en = "[x]\nzh.subject = \"a\"\nzh.body = \"b\"\n";
        assert!(Templates::parse(no_en).unwrap_err().contains("[x.en]"));
    }
}
