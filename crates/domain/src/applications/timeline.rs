//! 办理进程 the steps of a case a person follows: when it was received,
//! sent back for correction, corrected, accepted or refused. Drawn from the
//! case's events (`application_events.kind`); a draft's own saves and
//! files are not steps.

use super::Action;

/// One step a person sees on the case's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// 提交申请: received, with its case number.
    Submitted,
    /// 一次性告知补正: sent back with the complete list of corrections.
    CorrectionRequested,
    /// 补正后再次提交.
    Corrected,
    /// 受理: the clock starts.
    Accepted,
    /// 不予受理.
    NotAccepted,
}

impl Milestone {
    /// Every step, in the order a case can take them.
    pub const ALL: [Self; 5] = [
        Self::Submitted,
        Self::CorrectionRequested,
        Self::Corrected,
        Self::Accepted,
        Self::NotAccepted,
    ];

    /// The event kind that records it.
    pub fn event(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Corrected => "corrected",
            Self::CorrectionRequested => Action::RequestCorrection.code(),
            Self::Accepted => Action::Accept.code(),
            Self::NotAccepted => Action::Reject.code(),
        }
    }

    /// The step an event kind records, if it is one.
    pub fn of_event(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.event() == kind)
    }

    /// Its name in locale keys and the API (`timeline.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::CorrectionRequested => "correction_requested",
            Self::Corrected => "corrected",
            Self::Accepted => "accepted",
            Self::NotAccepted => "not_accepted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_read_back_from_its_event_and_nothing_else_is_a_step() {
        for m in Milestone::ALL {
            assert_eq!(Milestone::of_event(m.event()), Some(m));
        }
        for kind in ["material_given", "created", "expired", "upgraded", "read"] {
            assert_eq!(Milestone::of_event(kind), None, "{kind}");
        }
        assert_eq!(Milestone::of_event("accept"), Some(Milestone::Accepted));
    }
}
