//! Drafts do not stay forever: a draft not saved for the configured days
//! expires: its answers are cleared and its files released (the store's
//! clean-up removes the files nothing else refers to), while the
//! application and its history stay, as `expired`. The person filling it
//! in is told three days before (once per approach: a draft saved again and
//! left again is told again). Run hourly by the `applications.expire` job.

use std::sync::LazyLock;

use crate::identity::contacts::{Notice, tell};
use crate::platform::clock::{Millis, format_cst};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::Templates;

/// Applications' notice templates (`notices.toml`).
pub static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    // Compiled in and parsed by a unit test.
    Templates::parse(include_str!("notices.toml")).unwrap_or_default()
});

/// How long before deletion the reminder goes.
pub const REMIND_BEFORE_MS: i64 = 3 * 86_400_000;
/// Drafts handled per run (the next run takes the rest).
const BATCH: i64 = 500;

/// Reminds the people whose drafts will expire within three days, and
/// expires the drafts whose time is up. Returns (reminded, expired).
pub async fn expire(db: &Db, now: Millis) -> Result<(usize, usize), DbError> {
    let (reminded, deleted) = db
        .write(crate::tx!(c => {
            let due = crate::platform::db::query(
                "SELECT a.id, a.public_id, a.acting_id, a.expires_at, \
                 COALESCE(p.name, a.task_code) AS item_name FROM applications a \
                 LEFT JOIN published_items p ON p.task_code = a.task_code \
                 WHERE a.state = 'draft' AND a.expires_at > $1 AND a.expires_at <= $2 \
                 AND (a.reminded_at IS NULL OR a.reminded_at < a.updated_at) \
                 ORDER BY a.expires_at LIMIT $3",
            )
            .bind(now)
            .bind(now + REMIND_BEFORE_MS)
            .bind(BATCH)
            .fetch_all(&mut *c)
            .await?;
            for r in &due {
                let (id, acting): (i64, i64) = (r.try_get("id")?, r.try_get("acting_id")?);
                let public_id: String = r.try_get("public_id")?;
                let expires: i64 = r.try_get("expires_at")?;
                let item: String = r.try_get("item_name")?;
                let date = format_cst(expires);
                let n = Notice {
                    topic: "applications.draft_expiring".into(),
                    dedupe_key: format!("applications.draft_expiring:{public_id}:{expires}"),
                    templates: &TEMPLATES,
                    template: "draft_expiring",
                    values: &[("item", &item), ("date", &date)],
                    link: Some(format!("/applications/{public_id}")),
                };
                tell(c, acting, &n).await?;
                crate::platform::db::query("UPDATE applications SET reminded_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
            }
            let gone: Vec<i64> = crate::platform::db::query(
                "SELECT id FROM applications WHERE state = 'draft' AND expires_at <= $1 ORDER BY id LIMIT $2",
            )
            .bind(now)
            .bind(BATCH)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<_, _>>()?;
            let mut expired = 0;
            for id in &gone {
                // The state guard first: a draft submitted at this moment
                // is not touched, whichever transaction commits first.
                let n = crate::platform::db::query(
                    "UPDATE applications SET state = 'expired', fields = '{}', revision = revision + 1, \
                     files_revision = files_revision + 1, updated_at = $2 WHERE id = $1 AND state = 'draft'",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 0 {
                    continue;
                }
                // Its files are released (the store's clean-up removes what
                // nothing else refers to); its history stays.
                for sql in [
                    "DELETE FROM file_refs WHERE owner_kind = 'application' AND owner_id = $1",
                    "DELETE FROM application_files WHERE application_id = $1",
                ] {
                    crate::platform::db::query(sql).bind(id).execute(&mut *c).await?;
                }
                crate::platform::db::query(
                    "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
                     VALUES ($1, 'expired', NULL, '', $2)",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *c)
                .await?;
                expired += 1;
            }
            Ok::<_, DbError>((due.len(), expired))
        }))
        .await?;
    if reminded > 0 {
        db.jobs_queued();
    }
    Ok((reminded, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_names_the_item_and_the_date_in_both_languages() {
        let t = Templates::parse(include_str!("notices.toml")).expect("notices.toml");
        let names: Vec<String> = t.names("draft_expiring").unwrap().into_iter().collect();
        assert_eq!(names, ["date", "item"]);
        let names: Vec<String> = t.names("submitted").unwrap().into_iter().collect();
        assert_eq!(names, ["item", "number"]);
    }
}
