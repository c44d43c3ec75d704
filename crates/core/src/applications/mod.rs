//! Applications (申办): drafts kept on the server under the version of the
//! item's form they were started with, prefilled from the account, changed
//! by merge patches that are checked as they come, resumable on any device
//! and revision-checked, for the applicant by the person acting on a
//! recorded authority.
//!
//! Submission, materials, pre-review and acceptance build on this.

pub mod acceptance;
mod authority;
pub mod consents;
mod decide;
pub mod declaration;
mod drafts;
pub mod expiry;
pub mod files;
mod materials;
mod naming;
pub mod receipt;
mod standing;
mod start;
mod submit;
pub mod track;
mod upgrade;
pub mod usage;

pub use authority::end_authority;
pub use drafts::*;
pub use materials::*;
pub use start::*;
pub use submit::*;
pub use upgrade::*;

use crate::platform::clock::now_ms;
use crate::platform::db::Db;
use crate::platform::jobs::{Registry, ensure_schedule};

/// Applications' background jobs: drafts reminded and expired hourly.
pub async fn jobs(db: &Db, r: &mut Registry) -> Result<(), DbError> {
    r.register("applications.expire", |ctx, _| {
        Box::pin(async move {
            let (reminded, expired) = expiry::expire(&ctx.db, now_ms()).await?;
            if reminded + expired > 0 {
                tracing::info!(
                    drafts.reminded = reminded,
                    drafts.expired = expired,
                    "applications.expire"
                );
            }
            Ok(())
        })
    });
    ensure_schedule(db, "applications.expire", "applications.expire", 3600).await?;
    Ok(())
}

use tongban_domain::FieldProblem;

use crate::catalog::CatalogError;
use crate::platform::db::DbError;

/// Why an application use case was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// No such item published, or no such application of the actor's.
    #[error("未找到")]
    NotFound,
    /// The item is information only (网上办理深度 Ⅰ).
    #[error("该事项不能网上申请")]
    NotOnline,
    /// The acting person's real-name level is below the item's minimum.
    #[error("实名等级不足")]
    LevelTooLow {
        /// the level needed
        need: i64,
        /// the level the person has
        have: i64,
    },
    /// No authorisation to apply for that enterprise on that item.
    #[error("未获该企业授权办理此事项")]
    NotAuthorised,
    /// The answers or the request have problems, all listed.
    #[error("申请内容有误")]
    Invalid(Vec<FieldProblem>),
    /// Someone saved the draft first (another tab or device).
    #[error("草稿已在别处修改")]
    Conflict,
    /// The application is no longer a draft.
    #[error("申请已不是草稿")]
    WrongState,
    /// The action is not allowed on the case now: these are.
    #[error("当前不能进行此操作")]
    NotAllowed(Vec<&'static str>),
    /// The Idempotency-Key was used with another request.
    #[error("同一请求键已用于另一请求")]
    KeyReused,
    /// The item's published version the draft was started under is gone
    /// (the item was withdrawn): the draft is kept.
    #[error("事项已停止办理")]
    ItemWithdrawn,
    /// The person acting is no longer authorised by the applicant (the
    /// mandate revoked or expired, the consent withdrawn, the window role
    /// gone), since then when known; the applicant keeps the application.
    #[error("代办授权已终止")]
    AuthorityEnded {
        /// When it ended, when that is known.
        since: Option<crate::platform::clock::Millis>,
    },
    /// The caller applied in this case (for themselves or for someone
    /// else) and so may not decide it.
    #[error("不能办理本人申请或本人代办的办件")]
    OwnCase,
    /// The legal calendar cannot count the deadlines a notice must state
    /// (its years end before them): nothing is written; an administrator
    /// loads the year named.
    #[error("法定工作日历缺少 {year} 年")]
    CalendarUnavailable {
        /// The year to load.
        year: i32,
    },
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<CatalogError> for ApplicationError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Db(e) => Self::Db(e),
            CatalogError::NotFound => Self::NotFound,
            other => Self::Db(DbError::Internal(other.to_string())),
        }
    }
}
