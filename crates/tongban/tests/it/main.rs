//! tongban integration tests: one binary, a module per capability, each test
//! on its own fresh database (SQLite by default, PostgreSQL with
//! `TONGBAN_TEST_PG`).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails loudly at the first surprise"
)]

mod api;
mod applications;
mod architecture;
mod bench;
mod calendar;
mod catalog;
mod cli;
mod helpers;
mod identity;
mod oidc;
mod outage;
mod portal;
mod security;
mod snapshots;
mod storage;
