//! National identifiers with their check characters.
//!
//! * 公民身份号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit
//!   sequence, ISO 7064 MOD 11-2 check character.
//! * 组织机构代码 (GB 11714): 8 characters and a MOD 11 check character.
//! * 统一社会信用代码 (GB 32100-2015): 18 characters over a 31-symbol alphabet,
//!   embedding the organisation code at positions 9–17, checked with GB/T 17710.
//!
//! Each `parse` says exactly what is wrong (length, characters, region, date or
//! check character), because a clerk typing a number off a card needs to know
//! which digit to look at again.

use std::fmt;

use serde::{Serialize, Serializer};
use time::{Date, Month};

/// Weights of GB 11643 (2^(17-i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check characters of GB 11643 indexed by the weighted sum mod 11.
const ID_CHECK: &[u8; 11] = b"10X98765432";
/// Province-level prefixes that appear in 公民身份号码 (GB/T 2260 plus 81/82/83
/// used in residence-permit numbers for Hong Kong, Macao and Taiwan residents).
const PROVINCE_PREFIXES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// 公民身份号码: an 18-character resident identity number, validated.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo(String);

/// Why a string is not a valid 公民身份号码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardNoError {
    /// Not 18 characters long.
    #[error("公民身份号码应为18位，实际为{found}位")]
    Length {
        /// how many characters were given
        found: usize,
    },
    /// A character other than a digit (or a final X).
    #[error("公民身份号码前17位只能是数字，第18位只能是数字或X")]
    Characters,
    /// The first two digits are not a province-level region.
    #[error("公民身份号码前两位“{code}”不是有效的省级行政区划代码")]
    Region {
        /// the two digits found
        code: String,
    },
    /// Positions 7–14 are not a real calendar date.
    #[error("公民身份号码第7至14位“{date}”不是有效的出生日期")]
    BirthDate {
        /// the eight digits found
        date: String,
    },
    /// The check character does not match.
    #[error("公民身份号码校验码错误：第18位应为{expected}，实际为{found}")]
    CheckCharacter {
        /// the check character the first 17 digits require
        expected: char,
        /// the check character that was given
        found: char,
    },
}

/// What an ID number is called in a problem's words where no form field
/// names it: (Chinese, English); its Chinese is how each message begins.
pub const SUBJECT_ID: (&str, &str) = ("公民身份号码", "the ID number");
/// The same for a unified social credit code.
pub const SUBJECT_CREDIT: (&str, &str) = ("统一社会信用代码", "the credit code");

impl IdCardNoError {
    /// This error as a problem with `field`, with the values the locale's
    /// sentence names (`{found}`, `{expected}`, `{value}`, and `{subject}`,
    /// what the number is called: a form names it by its field's label,
    /// see [`crate::FieldProblem::subject`]).
    pub fn problem(&self, field: &str) -> crate::FieldProblem {
        let p = crate::FieldProblem::new(field, self.code(), self.to_string())
            .with("subject", SUBJECT_ID.0)
            .with("subject_en", SUBJECT_ID.1);
        match self {
            Self::Length { found } => p.with("found", found.to_string()),
            Self::Characters => p,
            Self::Region { code } => p.with("value", code.clone()),
            Self::BirthDate { date } => p.with("value", date.clone()),
            Self::CheckCharacter { expected, found } => p
                .with("expected", expected.to_string())
                .with("found", found.to_string()),
        }
    }

    /// Stable code for API problem details and message catalogs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "id_card.length",
            Self::Characters => "id_card.characters",
            Self::Region { .. } => "id_card.region",
            Self::BirthDate { .. } => "id_card.birth_date",
            Self::CheckCharacter { .. } => "id_card.check",
        }
    }
}

/// The GB 11643 check character for the first 17 digits.
fn id_check_char(digits17: &[u8]) -> char {
    let sum: u32 = digits17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(ID_CHECK[(sum % 11) as usize])
}

impl IdCardNo {
    /// Parses and validates an identity number; surrounding spaces are ignored
    /// and a lower-case `x` is normalised to `X`.
    pub fn parse(input: &str) -> Result<Self, IdCardNoError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdCardNoError::Length { found: n });
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdCardNoError::Characters);
        }
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(IdCardNoError::Region {
                code: s[..2].to_owned(),
            });
        }
        if birth_date(&s[6..14]).is_none() {
            return Err(IdCardNoError::BirthDate {
                date: s[6..14].to_owned(),
            });
        }
        let expected = id_check_char(&b[..17]);
        let found = char::from(b[17]);
        if expected != found {
            return Err(IdCardNoError::CheckCharacter { expected, found });
        }
        Ok(Self(s))
    }

    /// Builds a valid number from its first 17 digits by appending the check
    /// character (used to generate test and demo data).
    pub fn with_check(first17: &str) -> Result<Self, IdCardNoError> {
        if first17.len() != 17 || !first17.bytes().all(|c| c.is_ascii_digit()) {
            return Err(IdCardNoError::Characters);
        }
        let check = id_check_char(first17.as_bytes());
        Self::parse(&format!("{first17}{check}"))
    }

    /// The number as 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit region code of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// Date of birth.
    pub fn birth_date(&self) -> Date {
        // Checked in `parse`; the fallback is unreachable but keeps this total.
        birth_date(&self.0[6..14]).unwrap_or(Date::MIN)
    }

    /// Whether the sequence code marks a man (odd) or a woman (even).
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// The number masked for screens: `2301**********123X` (first 4 and last 4).
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..4], "*".repeat(10), &self.0[14..])
    }
}

/// Parses `YYYYMMDD` into a date within 1800–2199 (the range GB 11643 numbers use).
fn birth_date(s: &str) -> Option<Date> {
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(4..6)?.parse().ok()?;
    let day: u8 = s.get(6..8)?.parse().ok()?;
    if !(1800..=2199).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

impl fmt::Debug for IdCardNo {
    // Never print a whole identity number into a log by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

/// Value of a character in the organisation-code alphabet (digits 0–9, letters 10–35).
fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// 组织机构代码 (GB 11714): 8 body characters and a check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OrgCode(String);

/// Why a string is not a valid 组织机构代码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    /// Not 9 characters.
    #[error("组织机构代码应为9位，实际为{found}位")]
    Length {
        /// how many characters were given
        found: usize,
    },
    /// A character outside digits and capital letters.
    #[error("组织机构代码只能包含数字和大写字母")]
    Characters,
    /// The check character does not match.
    #[error("组织机构代码校验码错误：第9位应为{expected}，实际为{found}")]
    CheckCharacter {
        /// the required check character
        expected: char,
        /// the given check character
        found: char,
    },
}

fn org_check_char(body: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in body.iter().zip(ORG_WEIGHTS) {
        sum += org_value(*c)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from_digit(v, 10)?,
    })
}

impl OrgCode {
    /// Parses and validates a 9-character organisation code (a hyphen before
    /// the check character, as printed on old certificates, is accepted).
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let s: String = input.trim().to_ascii_uppercase().replace('-', "");
        let n = s.chars().count();
        if n != 9 {
            return Err(OrgCodeError::Length { found: n });
        }
        let b = s.as_bytes();
        let expected = org_check_char(&b[..8]).ok_or(OrgCodeError::Characters)?;
        let found = char::from(b[8]);
        if !(found.is_ascii_digit() || found == 'X') {
            return Err(OrgCodeError::Characters);
        }
        if expected != found {
            return Err(OrgCodeError::CheckCharacter { expected, found });
        }
        Ok(Self(s))
    }

    /// Builds a valid code from its 8 body characters.
    pub fn with_check(body8: &str) -> Result<Self, OrgCodeError> {
        let body = body8.to_ascii_uppercase();
        if body.len() != 8 {
            return Err(OrgCodeError::Length {
                found: body.chars().count() + 1,
            });
        }
        let c = org_check_char(body.as_bytes()).ok_or(OrgCodeError::Characters)?;
        Self::parse(&format!("{body}{c}"))
    }

    /// The 9 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Alphabet of GB 32100: digits and capitals without I, O, S, V, Z; values 0–30.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of GB 32100 (3^(i-1) mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

fn uscc_check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(*c)? * w;
    }
    Some(char::from(USCC_ALPHABET[((31 - sum % 31) % 31) as usize]))
}

/// 统一社会信用代码: the 18-character unified social credit code, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// Why a string is not a valid 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Not 18 characters.
    #[error("统一社会信用代码应为18位，实际为{found}位")]
    Length {
        /// how many characters were given
        found: usize,
    },
    /// A character outside the GB 32100 alphabet (I, O, S, V, Z never appear).
    #[error("统一社会信用代码第{position}位“{found}”不是允许的字符（不含I、O、S、V、Z）")]
    Characters {
        /// 1-based position of the first bad character
        position: usize,
        /// the character found there
        found: char,
    },
    /// Positions 3–8 are not a 6-digit region code.
    #[error("统一社会信用代码第3至8位“{code}”不是6位行政区划代码")]
    Region {
        /// the six characters found
        code: String,
    },
    /// The embedded organisation code (positions 9–17) fails its own check.
    #[error("统一社会信用代码第9至17位的组织机构代码无效：{0}")]
    OrgCode(OrgCodeError),
    /// The final check character does not match.
    #[error("统一社会信用代码校验码错误：第18位应为{expected}，实际为{found}")]
    CheckCharacter {
        /// the required check character
        expected: char,
        /// the given check character
        found: char,
    },
}

impl CreditCodeError {
    /// This error as a problem with `field`, with the values the locale's
    /// sentence names (`{found}`, `{expected}`, `{position}`, `{value}`,
    /// `{subject}`).
    pub fn problem(&self, field: &str) -> crate::FieldProblem {
        let p = crate::FieldProblem::new(field, self.code(), self.to_string())
            .with("subject", SUBJECT_CREDIT.0)
            .with("subject_en", SUBJECT_CREDIT.1);
        match self {
            Self::Length { found } => p.with("found", found.to_string()),
            Self::Characters { position, found } => p
                .with("position", position.to_string())
                .with("found", found.to_string()),
            Self::Region { code } => p.with("value", code.clone()),
            Self::OrgCode(_) => p,
            Self::CheckCharacter { expected, found } => p
                .with("expected", expected.to_string())
                .with("found", found.to_string()),
        }
    }

    /// Stable code for API problem details and message catalogs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "credit_code.length",
            Self::Characters { .. } => "credit_code.characters",
            Self::Region { .. } => "credit_code.region",
            Self::OrgCode(_) => "credit_code.org_code",
            Self::CheckCharacter { .. } => "credit_code.check",
        }
    }
}

impl CreditCode {
    /// Parses and validates a credit code; spaces around it are ignored and
    /// letters are upper-cased.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(CreditCodeError::Length { found: n });
        }
        if let Some((i, c)) = s
            .bytes()
            .enumerate()
            .find(|(_, c)| uscc_value(*c).is_none())
        {
            return Err(CreditCodeError::Characters {
                position: i + 1,
                found: char::from(c),
            });
        }
        let b = s.as_bytes();
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::Region {
                code: s[2..8].to_owned(),
            });
        }
        OrgCode::parse(&s[8..17]).map_err(CreditCodeError::OrgCode)?;
        let expected = uscc_check_char(&b[..17]).ok_or(CreditCodeError::Characters {
            position: 1,
            found: char::from(b[0]),
        })?;
        let found = char::from(b[17]);
        if expected != found {
            return Err(CreditCodeError::CheckCharacter { expected, found });
        }
        Ok(Self(s))
    }

    /// Builds a valid code: registration authority and category (2 chars),
    /// region (6 digits) and organisation-code body (8 chars); both check
    /// characters are computed. Used for demo and test data.
    pub fn compose(prefix2: &str, region6: &str, org_body8: &str) -> Result<Self, CreditCodeError> {
        let org = OrgCode::with_check(org_body8).map_err(CreditCodeError::OrgCode)?;
        let first17 = format!("{prefix2}{region6}{}", org.as_str());
        let check = uscc_check_char(first17.as_bytes()).ok_or(CreditCodeError::Characters {
            position: 1,
            found: first17.chars().next().unwrap_or(' '),
        })?;
        Self::parse(&format!("{first17}{check}"))
    }

    /// The code as 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registration authority's region code (positions 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_worked_examples_from_the_spec() {
        let a = IdCardNo::parse("11010519491231002X").unwrap();
        assert_eq!(a.region_code(), "110105");
        assert_eq!(
            a.birth_date(),
            Date::from_calendar_date(1949, Month::December, 31).unwrap()
        );
        assert!(!a.is_male());
        assert_eq!(a.masked(), "1101**********002X");
        assert!(IdCardNo::parse("440524188001010014").is_ok());
    }

    #[test]
    fn id_lower_case_x_and_spaces_are_normalised() {
        let a = IdCardNo::parse(" 11010519491231002x ").unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
    }

    #[test]
    fn id_errors_name_the_reason() {
        assert_eq!(
            IdCardNo::parse("1101051949123100"),
            Err(IdCardNoError::Length { found: 16 })
        );
        assert_eq!(
            IdCardNo::parse("11010519491231A02X"),
            Err(IdCardNoError::Characters)
        );
        assert_eq!(
            IdCardNo::parse("99010519491231002X"),
            Err(IdCardNoError::Region { code: "99".into() })
        );
        assert_eq!(
            IdCardNo::parse("110105194902300021"),
            Err(IdCardNoError::BirthDate {
                date: "19490230".into()
            })
        );
        assert_eq!(
            IdCardNo::parse("110105194912310021"),
            Err(IdCardNoError::CheckCharacter {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn id_debug_masks_the_number() {
        let a = IdCardNo::parse("11010519491231002X").unwrap();
        assert!(!format!("{a:?}").contains("19491231"));
    }

    #[test]
    fn credit_code_worked_examples_from_the_spec() {
        for ok in [
            "9144030071526726XG",
            "11100000000013338W",
            "11110000000021135M",
            "11220000013544541J",
            "11370800MB28559184",
            "11100000000013127D",
        ] {
            assert!(CreditCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            CreditCode::parse("9144030071526726xg")
                .unwrap()
                .region_code(),
            "440300"
        );
    }

    #[test]
    fn credit_code_errors_name_the_reason() {
        assert_eq!(
            CreditCode::parse("914403"),
            Err(CreditCodeError::Length { found: 6 })
        );
        assert_eq!(
            CreditCode::parse("9144030071526726IG"),
            Err(CreditCodeError::Characters {
                position: 17,
                found: 'I'
            })
        );
        assert!(matches!(
            CreditCode::parse("91AB030071526726XG"),
            Err(CreditCodeError::Region { .. })
        ));
        assert!(matches!(
            CreditCode::parse("91440300715267261G"),
            Err(CreditCodeError::OrgCode(OrgCodeError::CheckCharacter {
                expected: 'X',
                found: '1'
            }))
        ));
        assert_eq!(
            CreditCode::parse("9144030071526726XH"),
            Err(CreditCodeError::CheckCharacter {
                expected: 'G',
                found: 'H'
            })
        );
    }

    #[test]
    fn org_code_worked_example() {
        assert_eq!(
            OrgCode::with_check("71526726").unwrap().as_str(),
            "71526726X"
        );
        assert!(OrgCode::parse("71526726-X").is_ok());
    }

    fn digits(n: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..10, n)
            .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
    }

    proptest! {
        #[test]
        fn id_with_check_always_parses_and_any_single_digit_change_fails(
            seq in digits(3), year in 1900i32..2100, month in 1u8..=12, day in 1u8..=28, pos in 0usize..17, delta in 1u8..10
        ) {
            let first17 = format!("230102{year:04}{month:02}{day:02}{seq}");
            let id = IdCardNo::with_check(&first17).unwrap();
            prop_assert_eq!(IdCardNo::parse(id.as_str()), Ok(id.clone()));
            // MOD 11-2 detects every single-digit substitution.
            let mut b = id.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(IdCardNo::parse(&changed).is_err());
        }

        #[test]
        fn credit_code_compose_parses_and_single_changes_fail(
            body in "[0-9A-HJ-NP-RTUWXY]{8}", pos in 0usize..18, shift in 1u32..31
        ) {
            let c = CreditCode::compose("11", "230100", &body).unwrap();
            prop_assert_eq!(CreditCode::parse(c.as_str()), Ok(c.clone()));
            let mut b = c.as_str().as_bytes().to_vec();
            let v = uscc_value(b[pos]).unwrap();
            b[pos] = USCC_ALPHABET[((v + shift) % 31) as usize];
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = IdCardNo::parse(&s);
            let _ = CreditCode::parse(&s);
            let _ = OrgCode::parse(&s);
        }
    }
}
