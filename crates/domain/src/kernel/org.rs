//! Organisations: government bodies and departments (部门) that implement services.

use serde::{Deserialize, Serialize};

/// 行使层级 (GB/T 39046 Annex A.2): the tier at which an organisation exercises power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AdminLevel {
    /// 1 国家级
    National = 1,
    /// 2 省级
    Provincial = 2,
    /// 3 市级
    Municipal = 3,
    /// 4 县级
    County = 4,
    /// 5 镇（乡、街道）级
    Township = 5,
    /// 6 村（社区）级
    Village = 6,
    /// 7 分级管理
    Tiered = 7,
}

impl AdminLevel {
    /// The A.2 wire code.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// Parses an A.2 wire code.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Every level in code order.
    pub const ALL: [Self; 7] = [
        Self::National,
        Self::Provincial,
        Self::Municipal,
        Self::County,
        Self::Township,
        Self::Village,
        Self::Tiered,
    ];

    /// Message-catalog key of the level's name.
    pub fn message_key(self) -> &'static str {
        match self {
            Self::National => "level.national",
            Self::Provincial => "level.provincial",
            Self::Municipal => "level.municipal",
            Self::County => "level.county",
            Self::Township => "level.township",
            Self::Village => "level.village",
            Self::Tiered => "level.tiered",
        }
    }
}

/// What an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 人民政府 (a people's government at some level)
    Government,
    /// 政府工作部门 (a department such as 市场监管局)
    Department,
    /// 政务服务中心 (a service hall with windows)
    ServiceCenter,
    /// 便民服务站 (a street or community service point)
    ServicePoint,
}

impl OrgKind {
    /// Wire code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::Department => "department",
            Self::ServiceCenter => "service_center",
            Self::ServicePoint => "service_point",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Government,
            Self::Department,
            Self::ServiceCenter,
            Self::ServicePoint,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_codes_match_annex_a2() {
        assert_eq!(AdminLevel::Municipal.code(), 3);
        assert_eq!(AdminLevel::from_code(5), Some(AdminLevel::Township));
        assert_eq!(AdminLevel::from_code(0), None);
        assert_eq!(AdminLevel::from_code(8), None);
        for l in AdminLevel::ALL {
            assert_eq!(AdminLevel::from_code(l.code()), Some(l));
        }
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in [
            OrgKind::Government,
            OrgKind::Department,
            OrgKind::ServiceCenter,
            OrgKind::ServicePoint,
        ] {
            assert_eq!(OrgKind::from_code(k.code()), Some(k));
        }
        assert_eq!(OrgKind::from_code("x"), None);
    }
}
