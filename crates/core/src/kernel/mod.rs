//! Kernel use cases: divisions, organisations and the legal calendar.

pub mod calendar;
pub mod divisions;
pub mod orgs;
