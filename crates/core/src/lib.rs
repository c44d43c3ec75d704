//! tongban core: the use cases of the platform, each one transaction over
//! storage, grouped by capability (`kernel`, `identity`, `catalog`, …), and
//! the infrastructure they stand on (`platform`: storage on SQLite or
//! PostgreSQL, the job queue, the outbox, files, notification transport,
//! crypto, configuration, clock, backup), which knows no capability.
//!
//! `demo` composes every capability's demo data for `serve --demo`.

pub mod applications;
pub mod catalog;
pub mod demo;
pub mod identity;
pub mod kernel;
pub mod platform;

pub use platform::db::{Db, DbError, Engine};
