//! The two languages people read tongban in: Simplified Chinese first,
//! English available. Pages, problems and notices all choose by it.

/// A display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文
    #[default]
    ZhCn,
    /// English
    En,
}

impl Lang {
    /// BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// Parses a tag (`zh`, `zh-CN`, `en`, `en-GB`, …).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let t = tag.trim().to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Self::ZhCn)
        } else if t.starts_with("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Self {
        match self {
            Self::ZhCn => Self::En,
            Self::En => Self::ZhCn,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header
            .split(',')
            .filter_map(|part| Self::from_tag(part.split(';').next().unwrap_or("")))
            .next()
    }
}
