//! tongban core: the use cases of the platform, each one transaction over
//! storage, plus the storage itself (SQLite or PostgreSQL), the job queue, the
//! outbox, configuration, backup and the demo data.
//!
//! Modules are named by capability, as in every layer.

pub mod backup;
pub mod catalog;
pub mod catalog_exchange;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod demo_catalog;
pub mod files;
pub mod guide_pdf;
pub mod identity;
pub mod jobs;
pub mod kernel;
pub mod notify;
pub mod oidc;
pub mod outbox;
pub mod search;

pub use db::{Db, DbError, Engine};
