//! A version's states and the actions that move it.

use serde::{Deserialize, Serialize};

/// Lifecycle of one version of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Being edited.
    Draft,
    /// Submitted, waiting for a reviewer.
    InReview,
    /// Approved, waiting for its effective date.
    Scheduled,
    /// Published: the current public version.
    Published,
    /// Replaced by a later published version.
    Superseded,
    /// Taken off the catalog.
    Withdrawn,
}

impl VersionStatus {
    /// Wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Superseded => "superseded",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses a wire code.
    pub fn from_code(c: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::InReview,
            Self::Scheduled,
            Self::Published,
            Self::Superseded,
            Self::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == c)
    }
}

/// What an editor or reviewer may do with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionAction {
    /// Save changes to the document.
    Edit,
    /// Send to review.
    Submit,
    /// Send back to the editor.
    Reject,
    /// Publish now.
    Publish,
    /// Approve for publication on a later date.
    Schedule,
    /// A scheduled version's date has come.
    Activate,
    /// Take off the catalog.
    Withdraw,
}

/// The state a version moves to, or `None` when the action is not allowed
/// in its current state.
pub fn transition(from: VersionStatus, action: VersionAction) -> Option<VersionStatus> {
    use VersionAction as A;
    use VersionStatus as S;
    match (from, action) {
        (S::Draft, A::Edit) => Some(S::Draft),
        (S::Draft, A::Submit) => Some(S::InReview),
        (S::InReview, A::Reject) => Some(S::Draft),
        (S::InReview, A::Publish) => Some(S::Published),
        (S::InReview, A::Schedule) => Some(S::Scheduled),
        (S::Scheduled, A::Activate) => Some(S::Published),
        (S::Scheduled, A::Reject) => Some(S::Draft),
        (S::Published, A::Withdraw) => Some(S::Withdrawn),
        _ => None,
    }
}
