//! The person's inbox (`/inbox`): the notices sent to them, with each
//! channel's delivery, and read marks.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_core::identity::inbox;
use tongban_core::identity::otp::mask;
use tongban_core::platform::clock::format_cst;

use crate::http::ctx::Ctx;
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// A delivery as listed.
#[derive(Debug)]
pub struct DeliveryLine {
    /// channel and address, worded (`短信 138****0001`)
    pub to: String,
    /// `queued`, `sent` or `failed`
    pub status: String,
    /// status, worded
    pub status_text: String,
}

/// A message as listed.
#[derive(Debug)]
pub struct NoticeLine {
    /// id
    pub id: i64,
    /// subject
    pub subject: String,
    /// the page it is about (empty: none)
    pub link: String,
    /// text
    pub body: String,
    /// when
    pub at: String,
    /// not yet read
    pub unread: bool,
    /// its deliveries
    pub deliveries: Vec<DeliveryLine>,
}

/// `/inbox` view.
#[derive(Template)]
#[template(path = "identity/inbox.html")]
pub struct InboxView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the messages on this page
    pub notices: Vec<NoticeLine>,
    /// messages in all
    pub total: i64,
    /// unread in all
    pub unread: i64,
    /// this page
    pub page: i64,
    /// pages in all
    pub pages: i64,
}

/// A subject without the signature an SMS begins with (`【通办】`,
/// `[Tongban] `).
fn unsigned(subject: &str) -> &str {
    if let Some(rest) = subject.strip_prefix('【')
        && let Some((_, after)) = rest.split_once('】')
    {
        return after.trim_start();
    }
    if let Some(rest) = subject.strip_prefix('[')
        && let Some((_, after)) = rest.split_once(']')
    {
        return after.trim_start();
    }
    subject
}

/// Query of `/inbox`.
#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    page: Option<i64>,
}

/// `GET /inbox`.
pub async fn inbox_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let t = ctx.tr();
    let p = inbox::page(state.db(), &s.principal, q.page.unwrap_or(1)).await?;
    let notices = p
        .notices
        .into_iter()
        .map(|n| {
            // In the page's language when kept in it, without the SMS
            // signature (【通办】) that leads the subject on a phone.
            let (subject, body) = match n.alt {
                Some(alt) if n.lang != ctx.lang => alt,
                _ => (n.subject, n.body),
            };
            let subject = unsigned(&subject).to_owned();
            NoticeLine {
                id: n.id,
                subject,
                body,
                link: n
                    .link
                    .filter(|l| crate::http::page::is_local_path(l))
                    .unwrap_or_default(),
                at: format_cst(n.created_at),
                unread: n.read_at.is_none(),
                deliveries: n
                    .deliveries
                    .into_iter()
                    .map(|d| DeliveryLine {
                        to: format!(
                            "{} {}",
                            t.get(&format!("inbox.channel_{}", d.channel.as_str())),
                            mask(&d.address)
                        ),
                        status_text: match (d.status.as_str(), d.last_error.is_some()) {
                            ("queued", true) => {
                                t.fmt("inbox.retrying", &[("attempts", &d.attempts.to_string())])
                            }
                            (s, _) => t.get(&format!("inbox.status_{s}")),
                        },
                        status: d.status,
                    })
                    .collect(),
            }
        })
        .collect();
    let mut nav = Nav::from_ctx(&ctx);
    nav.unread = p.unread;
    render(&InboxView {
        t,
        nav,
        notices,
        total: p.total,
        unread: p.unread,
        page: p.page,
        pages: p.pages,
    })
}

/// Which message to mark read (`all` for every one).
#[derive(Debug, Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    page: Option<i64>,
}

/// `POST /inbox/read`.
pub async fn read_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ReadForm>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let id = match f.id.as_str() {
        "all" => None,
        n => Some(
            n.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| AppError::field("id", "invalid"))?,
        ),
    };
    inbox::mark_read(state.db(), &s.principal, id).await?;
    let page = f.page.unwrap_or(1).max(1);
    Ok(Redirect::to(&format!("/inbox?page={page}")).into_response())
}
