//! 行政区划 administrative divisions.
//!
//! County level and above use the 6-digit GB/T 2260 code; streets and towns
//! (乡镇街道) extend it to 9 digits and villages and communities (村居) to 12,
//! following the statistical division codes (统计用区划代码).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A division code of 6, 9 or 12 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DivisionCode(String);

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    /// Length other than 6, 9 or 12, or a non-digit.
    #[error("行政区划代码应为6、9或12位数字")]
    Format,
    /// The province part is zero.
    #[error("行政区划代码的省级部分不能为00")]
    Province,
}

impl DivisionCode {
    /// Parses a 6-, 9- or 12-digit division code.
    pub fn parse(input: &str) -> Result<Self, DivisionCodeError> {
        let s = input.trim();
        if !matches!(s.len(), 6 | 9 | 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DivisionCodeError::Format);
        }
        if &s[..2] == "00" {
            return Err(DivisionCodeError::Province);
        }
        Ok(Self(s.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level this code's shape implies.
    pub fn level(&self) -> DivisionLevel {
        let s = self.0.as_bytes();
        match s.len() {
            12 => DivisionLevel::Village,
            9 => DivisionLevel::Township,
            _ if &s[2..6] == b"0000" => DivisionLevel::Province,
            _ if &s[4..6] == b"00" => DivisionLevel::Prefecture,
            _ => DivisionLevel::County,
        }
    }

    /// The code of the division that contains this one, by its shape.
    pub fn parent(&self) -> Option<DivisionCode> {
        let s = &self.0;
        let p = match self.level() {
            DivisionLevel::Province => return None,
            DivisionLevel::Prefecture => format!("{}0000", &s[..2]),
            DivisionLevel::County => format!("{}00", &s[..4]),
            DivisionLevel::Township => s[..6].to_owned(),
            DivisionLevel::Village => s[..9].to_owned(),
        };
        Some(DivisionCode(p))
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &DivisionCode) -> bool {
        let mut cur = Some(self.clone());
        while let Some(c) = cur {
            if &c == other {
                return true;
            }
            cur = c.parent();
        }
        false
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tier of a division, from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省级
    Province,
    /// 地级 (cities such as 哈尔滨市)
    Prefecture,
    /// 县级 (districts, counties, county-level cities)
    County,
    /// 乡级 (streets, towns, townships)
    Township,
    /// 村级 (communities, villages)
    Village,
}

/// What kind of division it is, beyond its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionKind {
    /// 省
    Province,
    /// 副省级市 / 地级市
    City,
    /// 市辖区
    District,
    /// 县
    County,
    /// 县级市
    CountyCity,
    /// 街道
    Street,
    /// 镇
    Town,
    /// 乡
    Township,
    /// 社区
    Community,
    /// 村
    Village,
}

impl DivisionKind {
    /// Wire code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::District => "district",
            Self::County => "county",
            Self::CountyCity => "county_city",
            Self::Street => "street",
            Self::Town => "town",
            Self::Township => "township",
            Self::Community => "community",
            Self::Village => "village",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Every kind, in order.
    pub const ALL: [Self; 10] = [
        Self::Province,
        Self::City,
        Self::District,
        Self::County,
        Self::CountyCity,
        Self::Street,
        Self::Town,
        Self::Township,
        Self::Community,
        Self::Village,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents_follow_the_code_shape() {
        let c = DivisionCode::parse("230102001002").unwrap();
        assert_eq!(c.level(), DivisionLevel::Village);
        let street = c.parent().unwrap();
        assert_eq!(street.as_str(), "230102001");
        let district = street.parent().unwrap();
        assert_eq!(district.as_str(), "230102");
        assert_eq!(district.level(), DivisionLevel::County);
        let city = district.parent().unwrap();
        assert_eq!(city.as_str(), "230100");
        assert_eq!(city.level(), DivisionLevel::Prefecture);
        let prov = city.parent().unwrap();
        assert_eq!(prov.as_str(), "230000");
        assert_eq!(prov.parent(), None);
        assert!(c.is_within(&city));
        assert!(!city.is_within(&c));
    }

    #[test]
    fn bad_codes_are_rejected() {
        assert_eq!(DivisionCode::parse("2301"), Err(DivisionCodeError::Format));
        assert_eq!(
            DivisionCode::parse("23010a"),
            Err(DivisionCodeError::Format)
        );
        assert_eq!(
            DivisionCode::parse("000100"),
            Err(DivisionCodeError::Province)
        );
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in DivisionKind::ALL {
            assert_eq!(DivisionKind::from_code(k.code()), Some(k));
        }
        assert_eq!(DivisionKind::from_code("planet"), None);
    }
}
