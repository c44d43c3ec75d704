//! tongban-bench: load runs against real tongban processes.
//!
//! The tool starts release builds of tongban on SQLite or PostgreSQL, seeds
//! N catalog items and M accounts, and drives a weighted mix of what people
//! and department systems do — portal pages, guides, search, sign-in, single
//! sign-on, catalog edits — with virtual clients on 127.0.0.1 for a bounded
//! time. Limits (the bare handler on the same stack, raw database commits)
//! and a peer (node oidc-provider) are measured in the same run, so that the
//! figures hold as ratios on a noisy shared machine. `BENCHMARKS.md` is its
//! report.

pub mod applying;
pub mod form;
pub mod load;
pub mod ops;
pub mod peer;
pub mod seed;
pub mod server;
pub mod storage;
pub mod suite;
