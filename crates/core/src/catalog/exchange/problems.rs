//! The problems of an import file, bounded.

use super::*;

/// A problem with one row of an import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowError {
    /// Row number as the person sees it in the file (CSV counts the header as row 1).
    pub row: usize,
    /// Field name (exchange name).
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// Most problems an import lists; the rest are counted.
pub const MAX_PROBLEMS: usize = 1_000;
/// Most rows one import file may hold (a city's whole catalog is a few
/// thousand implementations; a province imports in several files).
pub const MAX_ROWS: usize = 20_000;

/// Problems found in an import file: the first [`MAX_PROBLEMS`] of them,
/// and how many there were in all, so a broken 60 MB file answers with a
/// bounded list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problems {
    /// The first problems, in file order.
    pub listed: Vec<RowError>,
    /// How many problems there were in all.
    pub total: usize,
}

impl Problems {
    pub(super) fn push(&mut self, e: RowError) {
        self.total += 1;
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(e);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// One problem about the whole file.
    pub(super) fn whole_file(message: String) -> Self {
        Self {
            listed: vec![RowError {
                row: 0,
                field: String::new(),
                message,
            }],
            total: 1,
        }
    }
}
