//! The life of a version: drafts saved, submitted, sent back, published now or on a date, withdrawn, and the next draft opened. Four eyes: the reviewer is never the editor or an account the reviewer made.

use super::*;

/// Loads a version with its item's organisation, for authorisation.
pub(super) async fn version_with_org(
    db: &Db,
    version_id: i64,
) -> Result<(Version, Item, Org), CatalogError> {
    let v = version(db, version_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let it = item(db, v.item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    Ok((v, it, org))
}

/// A status change of one version, applied only if nobody moved it first.
pub(super) struct Step {
    pub(super) version_id: i64,
    pub(super) revision: i64,
    pub(super) from: VersionStatus,
    pub(super) to: VersionStatus,
}

/// Applies a [`Step`]; `extra_sql` sets more columns, with `$2` = now and
/// `$6` = the actor.
pub(super) async fn move_status(
    c: &mut AnyConnection,
    step: Step,
    extra_sql: &'static str,
    actor: Option<i64>,
    now: Millis,
) -> Result<(), CatalogError> {
    let n = crate::platform::db::query(format!(
        "UPDATE item_versions SET status = $1, revision = revision + 1, updated_at = $2{extra_sql} \
         WHERE id = $3 AND revision = $4 AND status = $5"
    ))
    .bind(step.to.code())
    .bind(now)
    .bind(step.version_id)
    .bind(step.revision)
    .bind(step.from.code())
    .bind(actor)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(CatalogError::Conflict)
    }
}

/// Saves an edited draft. `expected_revision` is the revision the editor
/// loaded: if someone saved in between, the save is refused and nothing of
/// either edit is lost (the other edit stays; this one is returned to the
/// editor to reapply).
pub async fn save_draft(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    mut guide: Guide,
) -> Result<i64, CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, EDIT_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    if catalog::transition(v.status, VersionAction::Edit).is_none() {
        return Err(CatalogError::WrongState);
    }
    // New materials and situations get codes; one named like one of an
    // earlier version (or of this draft as last saved) takes its code back.
    let earlier = super::materials::codes_of_item(db, it.id).await?;
    catalog::assign_codes(&mut guide, &earlier);
    let actor_id = actor.account_id();
    let doc = serde_json::to_string(&guide).map_err(|e| DbError::Internal(e.to_string()))?;
    let keys: Vec<String> = guide.file_keys().into_iter().map(str::to_owned).collect();
    db.write(crate::tx!(c => {
            let now = now_ms();
            let n = crate::platform::db::query(
                "UPDATE item_versions SET document = $1, revision = revision + 1, updated_by = $2, updated_at = $3 \
                 WHERE id = $4 AND revision = $5 AND status = 'draft'",
            )
            .bind(&doc)
            .bind(actor_id)
            .bind(now)
            .bind(version_id)
            .bind(expected_revision)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(CatalogError::Conflict);
            }
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            files::set_refs(c, FILE_OWNER, version_id, &keys).await?;
            event(c, it.id, Some(version_id), "saved", actor_id, "", now).await?;
            Ok(expected_revision + 1)
        }))
    .await
}

/// Submits a draft for review; refused with every problem if the guide is
/// not publishable.
pub async fn submit(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, EDIT_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let to =
        catalog::transition(v.status, VersionAction::Submit).ok_or(CatalogError::WrongState)?;
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    let actor_id = actor.account_id();
    db.write(crate::tx!(c => {
        let now = now_ms();
        move_status(
            c,
            Step {
                version_id,
                revision: expected_revision,
                from: v.status,
                to,
            },
            ", submitted_by = $6, submitted_at = $2",
            actor_id,
            now,
        )
        .await?;
        event(c, it.id, Some(version_id), "submitted", actor_id, "", now).await
    }))
    .await
}

/// Sends a version in review back to its editor with a note.
pub async fn reject(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    note: &str,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let to =
        catalog::transition(v.status, VersionAction::Reject).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    let note = note.trim().to_owned();
    db.write(crate::tx!(c => {
        let now = now_ms();
        move_status(
            c,
            Step {
                version_id,
                revision: expected_revision,
                from: v.status,
                to,
            },
            ", submitted_by = NULL, submitted_at = NULL, updated_by = COALESCE($6, updated_by)",
            actor_id,
            now,
        )
        .await?;
        event(c, it.id, Some(version_id), "rejected", actor_id, &note, now).await
    }))
    .await
}

/// Publishes a version in review: it becomes the public guide, the previous
/// published version is superseded, and the read model is updated, all in
/// one transaction. The publisher must not be the one who submitted or last
/// edited it (four eyes).
pub async fn publish(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
) -> Result<(), CatalogError> {
    publish_on(
        db,
        actor,
        version_id,
        expected_revision,
        Schedule::default(),
        now_ms(),
    )
    .await
}

/// When a version takes effect and when it is taken off again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    /// 计划生效日期: publish then rather than now (None or past = now).
    pub effective_at: Option<Millis>,
    /// 计划取消日期: withdraw the item then.
    pub cancel_at: Option<Millis>,
}

fn schedule_problem(field: &str, code: &'static str, message: &str) -> CatalogError {
    CatalogError::Invalid(vec![GuideError::new(field, code, message)])
}

/// Whether the reviewer opened any of these accounts or granted them their
/// editor role: four eyes must be two people, not one person and an account
/// they made. Grants recorded without a granter count as the system's.
async fn made_by(db: &Db, reviewer: i64, accounts: &[Option<i64>]) -> Result<bool, DbError> {
    for id in accounts.iter().flatten() {
        let hit = crate::platform::db::query(
            "SELECT 1 FROM accounts WHERE id = $1 AND created_by = $2 \
             UNION ALL SELECT 1 FROM role_grants WHERE account_id = $1 AND role = $3 AND granted_by = $2",
        )
        .bind(*id)
        .bind(reviewer)
        .bind(Role::CatalogEditor.code())
        .fetch_optional(&db)
        .await?;
        if hit.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Approves a version in review: published at once, or scheduled for its
/// effective date (then a job publishes it); with a cancellation date the
/// job withdraws it when that comes. `now` is the approval time.
pub async fn publish_on(
    db: &Db,
    actor: Actor<'_>,
    version_id: i64,
    expected_revision: i64,
    schedule: Schedule,
    now: Millis,
) -> Result<(), CatalogError> {
    let (v, it, org) = version_with_org(db, version_id).await?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let later = schedule.effective_at.filter(|e| *e > now);
    let action = if later.is_some() {
        VersionAction::Schedule
    } else {
        VersionAction::Publish
    };
    let to = catalog::transition(v.status, action).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    if actor_id.is_some() && (v.submitted_by == actor_id || v.updated_by == actor_id) {
        return Err(CatalogError::SameReviewer);
    }
    if let Some(reviewer) = actor_id
        && made_by(db, reviewer, &[v.submitted_by, v.updated_by]).await?
    {
        return Err(CatalogError::ReviewerMadeSubmitter);
    }
    if let Some(cancel) = schedule.cancel_at {
        if cancel <= now {
            return Err(schedule_problem(
                "cancel_at",
                "not_future",
                "计划取消日期应晚于今天",
            ));
        }
        if later.is_some_and(|e| cancel <= e) {
            return Err(schedule_problem(
                "cancel_at",
                "before_effective",
                "计划取消日期应晚于计划生效日期",
            ));
        }
    }
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    db.write(crate::tx!(c => {
        let step = Step {
            version_id,
            revision: expected_revision,
            from: v.status,
            to,
        };
        move_status(
            c,
            step,
            ", published_by = $6, published_at = $2",
            actor_id,
            now,
        )
        .await?;
        crate::platform::db::query("UPDATE item_versions SET effective_at = $1, cancel_at = $2 WHERE id = $3")
            .bind(later)
            .bind(schedule.cancel_at)
            .bind(version_id)
            .execute(&mut *c)
            .await?;
        if later.is_some() {
            event(c, it.id, Some(version_id), "scheduled", actor_id, "", now).await
        } else {
            publish_in(c, &it, &v, now).await?;
            event(c, it.id, Some(version_id), "published", actor_id, "", now).await
        }
    }))
    .await
}

/// Publishes scheduled versions whose date has come and withdraws items
/// whose cancellation date has come (job `catalog.schedule`). Returns how
/// many of each.
pub async fn run_schedule(db: &Db, now: Millis) -> Result<(usize, usize), CatalogError> {
    let due = crate::platform::db::query("SELECT id FROM item_versions WHERE status = 'scheduled' AND effective_at <= $1 ORDER BY effective_at")
        .bind(now)
        .fetch_all(&db)
        .await?;
    let mut activated = 0;
    for r in due {
        let id: i64 = r.try_get(0)?;
        let (v, _, _) = version_with_org(db, id).await?;
        let it = item(db, v.item_id).await?.ok_or(CatalogError::NotFound)?;
        let done = db
            .write(crate::tx!(c => {
                let step = Step {
                    version_id: v.id,
                    revision: v.revision,
                    from: VersionStatus::Scheduled,
                    to: VersionStatus::Published,
                };
                match move_status(
                    c,
                    step,
                    ", published_at = $2, published_by = COALESCE($6, published_by)",
                    None,
                    now,
                )
                .await
                {
                    // Another node got there first.
                    Err(CatalogError::Conflict) => return Ok(false),
                    other => other?,
                }
                publish_in(c, &it, &v, now).await?;
                event(c, it.id, Some(v.id), "published", None, "计划生效", now).await?;
                Ok::<_, CatalogError>(true)
            }))
            .await?;
        activated += usize::from(done);
    }
    let cancel = crate::platform::db::query(
        "SELECT item_id FROM item_versions WHERE status = 'published' AND cancel_at <= $1",
    )
    .bind(now)
    .fetch_all(&db)
    .await?;
    let mut cancelled = 0;
    for r in cancel {
        match withdraw(db, Actor::System, r.try_get(0)?, "计划取消").await {
            Ok(()) => cancelled += 1,
            Err(CatalogError::Conflict | CatalogError::WrongState) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((activated, cancelled))
}

/// The publishing step shared by review and the demo loader: supersede the
/// previous version, point the item at this one, refresh the read model.
pub(super) async fn publish_in(
    c: &mut AnyConnection,
    it: &Item,
    v: &Version,
    now: Millis,
) -> Result<(), CatalogError> {
    if let Some(prev) = it.published_version_id.filter(|p| *p != v.id) {
        crate::platform::db::query("UPDATE item_versions SET status = 'superseded', revision = revision + 1 WHERE id = $1 AND status = 'published'")
            .bind(prev)
            .execute(&mut *c)
            .await?;
    }
    crate::platform::db::query("UPDATE service_items SET published_version_id = $1, status = 'published', updated_at = $2 WHERE id = $3")
        .bind(v.id)
        .bind(now)
        .bind(it.id)
        .execute(&mut *c)
        .await?;
    let g = &v.guide;
    unpublish_rows(c, it.id).await?;
    for theme in &g.themes {
        crate::platform::db::query(
            "INSERT INTO published_item_themes (theme, item_id) VALUES ($1, $2)",
        )
        .bind(theme)
        .bind(it.id)
        .execute(&mut *c)
        .await?;
    }
    crate::platform::db::query(
        "INSERT INTO published_items (item_id, version_id, task_code, catalog_code, name, name_en, item_type, org_id, \
         division_code, themes, service_objects, online_depth, promised_value, version_no, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(it.id)
    .bind(v.id)
    .bind(&it.task_code)
    .bind(&it.catalog_code)
    .bind(g.name.trim())
    .bind(g.name_en.trim())
    .bind(&g.item_type)
    .bind(it.org_id)
    .bind(&it.division_code)
    .bind(format!("|{}|", g.themes.join("|")))
    .bind(format!("|{}|", g.service_objects.join("|")))
    .bind(i64::from(g.online_depth))
    .bind(i64::from(g.promised_limit.value))
    .bind(v.version_no)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Removes an item from the public read model (`published_items` and its
/// theme rows).
async fn unpublish_rows(c: &mut AnyConnection, item_id: i64) -> Result<(), CatalogError> {
    crate::platform::db::query("DELETE FROM published_item_themes WHERE item_id = $1")
        .bind(item_id)
        .execute(&mut *c)
        .await?;
    crate::platform::db::query("DELETE FROM published_items WHERE item_id = $1")
        .bind(item_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Publishes a draft directly, without review: for imports of guides that
/// were already approved elsewhere, and the demo. Validation still applies.
pub async fn publish_imported(db: &Db, version_id: i64) -> Result<(), CatalogError> {
    let (v, it, _) = version_with_org(db, version_id).await?;
    if v.status != VersionStatus::Draft {
        return Err(CatalogError::WrongState);
    }
    let problems = catalog::validate(&v.guide, &code_lists(db).await?);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    db.write(crate::tx!(c => {
        let now = now_ms();
        move_status(
            c,
            Step {
                version_id,
                revision: v.revision,
                from: VersionStatus::Draft,
                to: VersionStatus::Published,
            },
            ", published_at = $2, published_by = $6",
            None,
            now,
        )
        .await?;
        publish_in(c, &it, &v, now).await?;
        event(c, it.id, Some(version_id), "published", None, "import", now).await
    }))
    .await
}

/// Withdraws an item from the public catalog.
pub async fn withdraw(
    db: &Db,
    actor: Actor<'_>,
    item_id: i64,
    note: &str,
) -> Result<(), CatalogError> {
    let it = item(db, item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if !may(actor, REVIEW_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let vid = it.published_version_id.ok_or(CatalogError::WrongState)?;
    let v = version(db, vid).await?.ok_or(CatalogError::NotFound)?;
    let to =
        catalog::transition(v.status, VersionAction::Withdraw).ok_or(CatalogError::WrongState)?;
    let actor_id = actor.account_id();
    let note = note.trim().to_owned();
    db.write(crate::tx!(c => {
            let now = now_ms();
            move_status(c, Step { version_id: vid, revision: v.revision, from: v.status, to }, ", updated_by = COALESCE($6, updated_by)", actor_id, now).await?;
            crate::platform::db::query("UPDATE service_items SET published_version_id = NULL, status = 'withdrawn', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(item_id)
                .execute(&mut *c)
                .await?;
            unpublish_rows(c, item_id).await?;
            event(c, item_id, Some(vid), "withdrawn", actor_id, &note, now).await
        }))
    .await
}

/// Opens the next version as a draft copied from the published one (or the
/// latest version). Only one open draft or review per item at a time.
pub async fn open_draft(db: &Db, actor: Actor<'_>, item_id: i64) -> Result<i64, CatalogError> {
    let it = item(db, item_id).await?.ok_or(CatalogError::NotFound)?;
    let org = orgs::get(db, it.org_id)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if !may(actor, EDIT_ROLES, &org) {
        return Err(CatalogError::Forbidden);
    }
    let actor_id = actor.account_id();
    db.write(crate::tx!(c => {
            let now = now_ms();
            let open = crate::platform::db::query("SELECT 1 FROM item_versions WHERE item_id = $1 AND status IN ('draft', 'in_review', 'scheduled')")
                .bind(item_id)
                .fetch_optional(&mut *c)
                .await?;
            if open.is_some() {
                return Err(CatalogError::DraftExists);
            }
            let latest = crate::platform::db::query("SELECT version_no, document FROM item_versions WHERE item_id = $1 ORDER BY version_no DESC LIMIT 1")
                .bind(item_id)
                .fetch_one(&mut *c)
                .await?;
            let no: i64 = latest.try_get("version_no")?;
            let doc: String = latest.try_get("document")?;
            let id: i64 = crate::platform::db::query(
                "INSERT INTO item_versions (item_id, version_no, status, document, revision, created_by, created_at, updated_by, updated_at) \
                 VALUES ($1, $2, 'draft', $3, 1, $4, $5, $4, $5) RETURNING id",
            )
            .bind(item_id)
            .bind(no + 1)
            .bind(doc)
            .bind(actor_id)
            .bind(now)
            .fetch_one(&mut *c)
            .await
            .map_err(|e| {
                let e = e;
                if e.is_unique_violation() { CatalogError::DraftExists } else { CatalogError::Db(e) }
            })?
            .try_get(0)?;
            // The copy links what the version it copies links.
            crate::platform::db::query(
                "INSERT INTO file_refs (file_id, owner_kind, owner_id) \
                 SELECT r.file_id, r.owner_kind, $1 FROM file_refs r JOIN item_versions v ON v.id = r.owner_id \
                 WHERE r.owner_kind = $2 AND v.item_id = $3 AND v.version_no = $4",
            )
            .bind(id)
            .bind(FILE_OWNER)
            .bind(item_id)
            .bind(no)
            .execute(&mut *c)
            .await?;
            event(c, item_id, Some(id), "draft_opened", actor_id, "", now).await?;
            Ok(id)
        }))
    .await
}
