//! The words of a search: the synonym list mapping colloquial words to
//! official terms, the stop words, and the Chinese analyzer.

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, StopWordFilter, TextAnalyzer};

use super::SearchError;

const SYNONYMS: &str = include_str!("synonyms.txt");

/// Words too common to help ranking (how people phrase questions).
pub(super) const STOP_WORDS: &[&str] = &[
    "的", "了", "我", "要", "想", "怎么", "怎样", "如何", "办", "办理", "哪里", "在", "去", "需要",
    "什么", "吗", "呢", "啊", "么", "个", "一下", "可以", "能", "是", "和", "与", "及", "或",
    "请问", "应该", "手续",
];

/// The synonym list: (words, extra terms).
#[derive(Debug, Clone, Default)]
pub struct Synonyms(pub(super) Vec<(Vec<String>, String)>);

impl Synonyms {
    /// Parses lines of `word,word = terms`; `#` starts a comment.
    pub fn parse(text: &str) -> Self {
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((words, terms)) = line.split_once('=') {
                let words: Vec<String> = words
                    .split([',', '，'])
                    .map(|w| w.trim().to_owned())
                    .filter(|w| !w.is_empty())
                    .collect();
                if !words.is_empty() && !terms.trim().is_empty() {
                    out.push((words, terms.trim().to_owned()));
                }
            }
        }
        Self(out)
    }

    /// The built-in list.
    pub fn builtin() -> Self {
        Self::parse(SYNONYMS)
    }

    /// The list in `path`, or the built-in one when `path` is empty.
    pub fn load(path: &str) -> Result<Self, SearchError> {
        if path.is_empty() {
            return Ok(Self::builtin());
        }
        std::fs::read_to_string(path)
            .map(|t| Self::parse(&t))
            .map_err(|e| SearchError::Synonyms(format!("{path}: {e}")))
    }

    /// The query with the terms of every matching synonym appended.
    pub fn expand(&self, query: &str) -> String {
        let mut q = query.to_owned();
        for (words, terms) in &self.0 {
            if words.iter().any(|w| query.contains(w.as_str())) {
                q.push(' ');
                q.push_str(terms);
            }
        }
        q
    }
}

/// Jieba in its default mode: search mode emits overlapping sub-words whose
/// offsets go backwards, which tantivy's snippet generator cannot slice.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::with_search_mode(false))
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|s| (*s).to_owned()),
        ))
        .build()
}
