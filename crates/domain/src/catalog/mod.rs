//! 政务服务事项目录: service items, their guides (办事指南) and the rules a
//! guide must satisfy before it can be published.
//!
//! A service item has a basic-catalog identity (基本编码, GB/T 39046 §1.4 of
//! the spec) and, per implementing body, an implementation list (实施清单)
//! whose elements (§1.5) form the [`Guide`]. Guides are versioned as whole
//! documents; [`validate`] lists every problem at once and [`diff`] tells
//! editors and reviewers exactly what changed between two versions.

mod code_lists;
mod codes;
mod diff;
pub mod form;
mod guide;
mod materials;
#[cfg(test)]
mod tests;
mod validate;
mod version;

pub use code_lists::*;
pub use codes::*;
pub use diff::*;
pub use guide::*;
pub use materials::*;
pub use validate::*;
pub use version::*;
