//! Identity (统一身份认证): accounts, passwords, second factors, real-name
//! levels, enterprise agents, role grants, sessions, sign-in, and the
//! OpenID Connect provider (`oidc`) that lets every department system trust
//! one login.

pub mod accounts;
pub mod agents;
pub mod contacts;
pub mod inbox;
pub mod mfa;
pub mod oidc;
pub mod otp;
pub mod password;
pub mod realname;
pub mod sessions;
pub mod signin;
pub mod staff;

pub use accounts::{Account, Actor, AuthError, Grant, Principal};

use crate::platform::db::{Db, DbError};
use crate::platform::jobs::{Registry, ensure_schedule};

/// Identity's background jobs: ended sessions and spent codes and tokens
/// purged hourly.
pub async fn jobs(db: &Db, r: &mut Registry) -> Result<(), DbError> {
    r.register("sessions.purge", |ctx, _| {
        Box::pin(async move {
            let n = sessions::purge(&ctx.db).await?;
            tracing::info!(sessions.purged = n, "sessions.purge");
            Ok(())
        })
    });
    r.register("oidc.purge", |ctx, _| {
        Box::pin(async move {
            let n = oidc::purge(&ctx.db).await?;
            tracing::info!(rows.purged = n, "oidc.purge");
            Ok(())
        })
    });
    ensure_schedule(db, "sessions.purge", "sessions.purge", 3600).await?;
    ensure_schedule(db, "oidc.purge", "oidc.purge", 3600).await?;
    Ok(())
}
