//! Kernel use cases: divisions, organisations, the legal calendar and the
//! running clocks counted on it.

pub mod calendar;
pub mod clocks;
pub mod divisions;
pub mod orgs;
