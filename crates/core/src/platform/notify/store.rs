//! The notice store: a message is queued in the transaction of the change
//! it tells of, kept once under its dedupe key, and delivered channel by
//! channel by `notify.deliver` jobs with back-off. A failed channel never
//! blocks another and never loses the message: it stays in the person's
//! inbox with every delivery's status.
//!
//! Delivery is at least once for outside channels: a crash after the SMTP
//! server or SMS gateway accepted a message and before it was marked sent
//! sends it again on the retry (neither offers an idempotency key). The
//! platform's own channels (the inbox, the development outbox) record and
//! mark in one transaction, exactly once.

use crate::platform::db::Conn as AnyConnection;
use serde_json::json;
use tongban_domain::Lang;

use super::{Channel, Message, Notifier, NotifyError, Words};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::jobs::{self, NewJob};

/// The job kind that delivers one message on one channel.
pub const DELIVER_JOB: &str = "notify.deliver";
/// Attempts per delivery: with the queue's back-off, about eight minutes.
pub const ATTEMPTS: i64 = 8;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The person's account (whose inbox shows it).
    pub account_id: Option<i64>,
    /// What it is about, such as `identity.test`.
    pub topic: String,
    /// Unique per message: the same event queued twice is one message.
    pub dedupe_key: String,
    /// The language its words are in.
    pub lang: Lang,
    /// Its words.
    pub words: Words,
    /// Its words in the other language (shown in the inbox on pages in
    /// that language).
    pub alt_words: Option<Words>,
    /// The page it is about (a local path), when there is one.
    pub link: Option<String>,
    /// Shown in the person's inbox.
    pub inbox: bool,
    /// A secret (a one-time code): kept out of the inbox and its text
    /// erased once every channel has finished.
    pub sensitive: bool,
    /// The channels and addresses it goes to besides the inbox.
    pub to: Vec<(Channel, String)>,
}

/// Queues a message inside the caller's transaction; `None` when its
/// dedupe key was queued before (nothing more is done). The caller rings
/// [`Db::jobs_queued`] after the commit.
pub async fn queue(
    conn: &mut AnyConnection,
    m: &Outgoing,
    now: Millis,
) -> Result<Option<i64>, DbError> {
    let row = crate::platform::db::query(
        "INSERT INTO notices (account_id, topic, dedupe_key, lang, subject, body, inbox, sensitive, created_at, \
         alt_subject, alt_body, link) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(m.account_id)
    .bind(&m.topic)
    .bind(&m.dedupe_key)
    .bind(m.lang.tag())
    .bind(&m.words.subject)
    .bind(&m.words.body)
    .bind(i32::from(m.inbox))
    .bind(i32::from(m.sensitive))
    .bind(now)
    .bind(m.alt_words.as_ref().map(|w| w.subject.clone()))
    .bind(m.alt_words.as_ref().map(|w| w.body.clone()))
    .bind(m.link.clone())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let notice_id: i64 = row.try_get("id")?;
    for (channel, address) in &m.to {
        let d = crate::platform::db::query(
            "INSERT INTO notice_deliveries (notice_id, channel, address, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, $4) RETURNING id",
        )
        .bind(notice_id)
        .bind(channel.as_str())
        .bind(address)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let delivery: i64 = d.try_get("id")?;
        let job = NewJob {
            kind: DELIVER_JOB.into(),
            payload: json!({ "delivery": delivery }),
            run_at: now,
            max_attempts: ATTEMPTS,
        };
        jobs::enqueue(conn, &job, now).await?;
    }
    Ok(Some(notice_id))
}

/// What became of one delivery attempt.
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

/// Delivers one queued message on its channel (the `notify.deliver` job).
/// A delivery already sent or failed is left alone, so a job run twice
/// does not send twice. An error means "try again later".
pub async fn deliver(
    db: &Db,
    notifier: &Notifier,
    delivery_id: i64,
    attempt: i64,
    max_attempts: i64,
) -> Result<(), NotifyError> {
    let row = crate::platform::db::query(
        "SELECT d.channel, d.address, d.status, d.notice_id, n.subject, n.body \
         FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id WHERE d.id = $1",
    )
    .bind(delivery_id)
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else { return Ok(()) };
    let status: String = r.try_get("status")?;
    if status != "queued" {
        return Ok(());
    }
    let channel: String = r.try_get("channel")?;
    let Some(channel) = Channel::parse(&channel) else {
        return Ok(());
    };
    let m = Message {
        channel,
        to: r.try_get("address")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
    };
    let notice_id: i64 = r.try_get("notice_id")?;
    if let Some(outbox) = notifier.kept_here(channel) {
        // The development outbox keeps the message and marks it sent in
        // one transaction: exactly once.
        let outbox = outbox.clone();
        return db
            .write(crate::tx!(c => {
                outbox.keep_in(c, &m).await?;
                finish(c, delivery_id, notice_id, Outcome::Sent).await
            }))
            .await
            .map_err(NotifyError::from);
    }
    let outcome = match notifier.send(&m).await {
        Ok(()) => Outcome::Sent,
        // A malformed address will not improve with time.
        Err(NotifyError::Address(a)) => Outcome::Failed(format!("address refused: {a}")),
        Err(e) if attempt >= max_attempts => Outcome::Failed(e.to_string()),
        Err(e) => Outcome::Retry(e.to_string()),
    };
    let retry = match &outcome {
        Outcome::Retry(e) => Some(e.clone()),
        _ => None,
    };
    db.write(crate::tx!(c => { finish(c, delivery_id, notice_id, outcome).await }))
        .await?;
    match retry {
        Some(e) => Err(NotifyError::Send(e)),
        None => Ok(()),
    }
}

async fn finish(
    c: &mut AnyConnection,
    delivery_id: i64,
    notice_id: i64,
    outcome: Outcome,
) -> Result<(), DbError> {
    let (status, error) = match outcome {
        Outcome::Sent => ("sent", None),
        Outcome::Retry(e) => ("queued", Some(e)),
        Outcome::Failed(e) => ("failed", Some(e)),
    };
    let error = error.map(|e| e.chars().take(500).collect::<String>());
    crate::platform::db::query(
        "UPDATE notice_deliveries SET status = $1, attempts = attempts + 1, last_error = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'queued'",
    )
    .bind(status)
    .bind(error)
    .bind(now_ms())
    .bind(delivery_id)
    .execute(&mut *c)
    .await?;
    erase_if_finished(c, notice_id).await
}

/// Erases a secret's text once none of its deliveries is still queued.
async fn erase_if_finished(c: &mut AnyConnection, notice_id: i64) -> Result<(), DbError> {
    crate::platform::db::query(
        "UPDATE notices SET body = '', alt_subject = NULL, alt_body = NULL WHERE id = $1 AND sensitive = 1 AND NOT EXISTS \
         (SELECT 1 FROM notice_deliveries WHERE notice_id = $1 AND status = 'queued')",
    )
    .bind(notice_id)
    .execute(c)
    .await?;
    Ok(())
}

/// One channel's delivery of a message, as the inbox shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Channel.
    pub channel: Channel,
    /// Address or phone number.
    pub address: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// A message in a person's inbox.
#[derive(Debug, Clone)]
pub struct InboxNotice {
    /// Id.
    pub id: i64,
    /// Topic.
    pub topic: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// The language of `subject` and `body`.
    pub lang: Lang,
    /// Subject and text in the other language, when kept.
    pub alt: Option<(String, String)>,
    /// The page it is about.
    pub link: Option<String>,
    /// When it was queued.
    pub created_at: Millis,
    /// When the person read it.
    pub read_at: Option<Millis>,
    /// Its deliveries by SMS and email.
    pub deliveries: Vec<Delivery>,
}

/// A page of a person's inbox, newest first, with the total and the
/// number unread.
pub async fn inbox(
    db: &Db,
    account_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<InboxNotice>, i64, i64), DbError> {
    let counts = crate::platform::db::query(
        "SELECT COUNT(*) AS total, COUNT(read_at) AS read FROM notices WHERE account_id = $1 AND inbox = 1",
    )
    .bind(account_id)
    .fetch_one(&db)
    .await?;
    let total: i64 = counts.try_get("total")?;
    let read: i64 = counts.try_get("read")?;
    let rows = crate::platform::db::query(
        "SELECT id, topic, subject, body, lang, alt_subject, alt_body, link, created_at, read_at FROM notices \
         WHERE account_id = $1 AND inbox = 1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(account_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let ds = crate::platform::db::query(
            "SELECT channel, address, status, attempts, last_error FROM notice_deliveries \
             WHERE notice_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&db)
        .await?;
        let mut deliveries = Vec::with_capacity(ds.len());
        for d in &ds {
            let channel: String = d.try_get("channel")?;
            let Some(channel) = Channel::parse(&channel) else {
                continue;
            };
            deliveries.push(Delivery {
                channel,
                address: d.try_get("address")?,
                status: d.try_get("status")?,
                attempts: d.try_get("attempts")?,
                last_error: d.try_get("last_error")?,
            });
        }
        out.push(InboxNotice {
            id,
            topic: r.try_get("topic")?,
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
            lang: Lang::from_tag(&r.try_get::<String, _>("lang")?).unwrap_or_default(),
            alt: r
                .try_get::<Option<String>, _>("alt_subject")?
                .zip(r.try_get::<Option<String>, _>("alt_body")?),
            link: r.try_get("link")?,
            created_at: r.try_get("created_at")?,
            read_at: r.try_get("read_at")?,
            deliveries,
        });
    }
    Ok((out, total, total - read))
}

/// Marks one message of the person's inbox read (`Some(id)`), or all of
/// them (`None`). Returns how many changed.
pub async fn mark_read(db: &Db, account_id: i64, id: Option<i64>) -> Result<u64, DbError> {
    db.write(crate::tx!(c => {
        let r = crate::platform::db::query(
            "UPDATE notices SET read_at = $1 WHERE account_id = $2 AND inbox = 1 AND read_at IS NULL \
             AND ($3 = 0 OR id = $3)",
        )
        .bind(now_ms())
        .bind(account_id)
        .bind(id.unwrap_or(0))
        .execute(c)
        .await?;
        Ok(r.rows_affected())
    }))
    .await
}

/// Registers the `notify.deliver` job, which sends through `notifier`.
pub fn jobs(r: &mut crate::platform::jobs::Registry, notifier: &Notifier) {
    let notifier = notifier.clone();
    r.register(DELIVER_JOB, move |ctx, payload| {
        let notifier = notifier.clone();
        Box::pin(async move {
            let id = payload
                .get("delivery")
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| anyhow::anyhow!("notify.deliver without a delivery id"))?;
            deliver(&ctx.db, &notifier, id, ctx.attempt, ctx.max_attempts).await?;
            Ok(())
        })
    });
}
