//! A case's steps (办理进程) as the applicant's page, the clerk's page and
//! `/track` list them.

use tongban_core::platform::clock::{Millis, format_cst};
use tongban_domain::applications::Milestone;

use crate::http::i18n::Tr;

/// One step, worded.
#[derive(Debug, Clone)]
pub struct Step {
    /// When, in China Standard Time (`2026-11-28 21:05`).
    pub when: String,
    /// What happened, in the page's language.
    pub what: String,
    /// `<time datetime>`: the same moment, machine-readable.
    pub iso: String,
}

/// The steps of a case, oldest first, worded in `t`'s language.
pub fn steps(t: &Tr, timeline: &[(Milestone, Millis)]) -> Vec<Step> {
    timeline
        .iter()
        .map(|(m, at)| {
            let when = format_cst(*at);
            Step {
                iso: format!("{}+08:00", when.replace(' ', "T")),
                when,
                what: t.get(&format!("timeline.{}", m.code())),
            }
        })
        .collect()
}
