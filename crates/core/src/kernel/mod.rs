//! Kernel use cases: divisions and organisations.

pub mod divisions;
pub mod orgs;
