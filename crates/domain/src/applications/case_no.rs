//! 办件编号 as it arrives from outside (a path segment, a form), parsed
//! before anything is looked up or decided with it.

use std::fmt;

/// Longest case number: GB/T 39046 gives it as an..50.
pub const CASE_NO_MAX: usize = 50;

/// A 办件编号: 1 to 50 ASCII letters, digits, `-`, `_` or `.` (the
/// 实施编码, the date and the sequence the pattern joins, and the literal
/// text a configured pattern may add). Nothing is trimmed or changed: a
/// number with a space or a line break is no number, so it never reaches
/// a lookup that might forgive it, nor a `Location` header that cannot
/// carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseNo(String);

/// Why a string is not a case number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNoError {
    /// Empty.
    #[error("办件编号为空")]
    Empty,
    /// Longer than [`CASE_NO_MAX`].
    #[error("办件编号不超过50位")]
    TooLong,
    /// A character other than letters, digits, `-`, `_` and `.`.
    #[error("办件编号只能包含字母、数字和 - _ .")]
    Characters,
}

impl CaseNo {
    /// Parses a case number exactly as given.
    pub fn parse(input: &str) -> Result<Self, CaseNoError> {
        if input.is_empty() {
            return Err(CaseNoError::Empty);
        }
        if input.len() > CASE_NO_MAX {
            return Err(CaseNoError::TooLong);
        }
        if !input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(CaseNoError::Characters);
        }
        Ok(Self(input.to_owned()))
    }

    /// Parses a case number as a person typed or pasted it: spaces (as it
    /// is shown, grouped) and surrounding whitespace dropped, letters in
    /// either case taken as capitals.
    pub fn parse_typed(input: &str) -> Result<Self, CaseNoError> {
        let joined: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Self::parse(&joined)
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_number_is_taken_exactly_as_given_or_not_at_all() {
        let n = "11230100MB1234567X3012001000001202601010001";
        assert_eq!(CaseNo::parse(n).map(|c| c.to_string()), Ok(n.to_owned()));
        assert!(CaseNo::parse("HRB-20260101-000005_x.1").is_ok());
        for (bad, why) in [
            ("", CaseNoError::Empty),
            (&"9".repeat(51), CaseNoError::TooLong),
            ("1123\n", CaseNoError::Characters),
            (" 1123", CaseNoError::Characters),
            ("1123 ", CaseNoError::Characters),
            ("11/23", CaseNoError::Characters),
            ("办件1", CaseNoError::Characters),
            ("1123\r\nSet-Cookie:x", CaseNoError::Characters),
        ] {
            assert_eq!(CaseNo::parse(bad), Err(why), "{bad:?}");
        }
        assert!(CaseNo::parse(&"9".repeat(50)).is_ok());
    }
}
