//! tongban domain: the rules of the platform as plain Rust.
//!
//! Nothing here performs I/O, reads the clock or draws random numbers: time and
//! randomness are parameters, so every rule can be tested exhaustively.
//! Modules are named by capability, as in every layer of tongban.

pub mod applications;
pub mod catalog;
pub mod identity;
pub mod kernel;
pub mod lang;
pub mod problem;
pub mod text;

pub use lang::Lang;
pub use problem::FieldProblem;
