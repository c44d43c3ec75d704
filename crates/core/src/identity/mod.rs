//! Identity use cases: accounts, passwords, role grants and sessions.

pub mod accounts;
pub mod agents;
pub mod mfa;
pub mod otp;
pub mod password;
pub mod realname;
pub mod sessions;
pub mod signin;
pub mod throttle;

pub use accounts::{Account, AuthError, Grant, Principal};
