//! The person's inbox (我的消息): every notice sent to them, newest first,
//! with how each channel fared, and read marks. The messages themselves are
//! kept by the platform's notice store; this is the person's view of them.

use super::accounts::Principal;
use crate::platform::db::{Db, DbError};
use crate::platform::notify::{InboxNotice, store};

/// Messages per page.
pub const PAGE_SIZE: i64 = 20;

/// One page of the inbox.
#[derive(Debug, Clone)]
pub struct InboxPage {
    /// The messages on it.
    pub notices: Vec<InboxNotice>,
    /// Messages in all.
    pub total: i64,
    /// Unread messages in all.
    pub unread: i64,
    /// This page (1-based, clamped to the last).
    pub page: i64,
    /// Pages in all (at least 1).
    pub pages: i64,
}

/// Page `page` (1-based) of the signed-in person's inbox.
pub async fn page(db: &Db, actor: &Principal, page: i64) -> Result<InboxPage, DbError> {
    let id = actor.account.id;
    let (_, total, _) = store::inbox(db, id, 0, 0).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let (notices, total, unread) = store::inbox(db, id, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    Ok(InboxPage {
        notices,
        total,
        unread,
        page,
        pages,
    })
}

/// Marks one of the person's messages read, or all of them (`None`); a
/// message of someone else's is left alone. Returns how many changed.
pub async fn mark_read(db: &Db, actor: &Principal, id: Option<i64>) -> Result<u64, DbError> {
    store::mark_read(db, actor.account.id, id).await
}
