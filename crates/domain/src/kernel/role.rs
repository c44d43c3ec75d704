//! Staff roles. A role is granted at one organisation and covers that
//! organisation and every organisation below it.

use serde::{Deserialize, Serialize};

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 窗口人员: accepts applications in person.
    WindowClerk,
    /// 审查人员: reviews cases.
    Reviewer,
    /// 决定人员: decides cases.
    Decider,
    /// 部门管理员: manages the department's staff.
    DeptAdmin,
    /// 事项编辑: edits the service catalog.
    CatalogEditor,
    /// 监察人员: electronic supervision.
    Supervisor,
    /// 系统管理员: runs the platform.
    SystemAdmin,
    /// 代办员: a community agent who applies on behalf of residents.
    CommunityAgent,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 8] = [
        Self::WindowClerk,
        Self::Reviewer,
        Self::Decider,
        Self::DeptAdmin,
        Self::CatalogEditor,
        Self::Supervisor,
        Self::SystemAdmin,
        Self::CommunityAgent,
    ];

    /// Wire code, as stored and in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::WindowClerk => "window_clerk",
            Self::Reviewer => "reviewer",
            Self::Decider => "decider",
            Self::DeptAdmin => "dept_admin",
            Self::CatalogEditor => "catalog_editor",
            Self::Supervisor => "supervisor",
            Self::SystemAdmin => "system_admin",
            Self::CommunityAgent => "community_agent",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Message-catalog key of the role's name.
    pub fn message_key(self) -> &'static str {
        match self {
            Self::WindowClerk => "role.window_clerk",
            Self::Reviewer => "role.reviewer",
            Self::Decider => "role.decider",
            Self::DeptAdmin => "role.dept_admin",
            Self::CatalogEditor => "role.catalog_editor",
            Self::Supervisor => "role.supervisor",
            Self::SystemAdmin => "role.system_admin",
            Self::CommunityAgent => "role.community_agent",
        }
    }

    /// Whether holders of this role may grant `other` to staff within their scope.
    /// A department admin may hand out working roles but not admin or supervision
    /// roles; a system admin may grant any role.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Self::SystemAdmin => true,
            Self::DeptAdmin => matches!(
                other,
                Self::WindowClerk
                    | Self::Reviewer
                    | Self::Decider
                    | Self::CatalogEditor
                    | Self::CommunityAgent
            ),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn dept_admin_cannot_grant_admin_or_supervision() {
        assert!(Role::DeptAdmin.may_grant(Role::Reviewer));
        assert!(!Role::DeptAdmin.may_grant(Role::DeptAdmin));
        assert!(!Role::DeptAdmin.may_grant(Role::Supervisor));
        assert!(!Role::DeptAdmin.may_grant(Role::SystemAdmin));
        assert!(Role::SystemAdmin.may_grant(Role::Supervisor));
        assert!(!Role::Reviewer.may_grant(Role::Reviewer));
    }
}
