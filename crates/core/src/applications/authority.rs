//! Whether the person acting for an applicant still may: the recorded
//! authority is checked again on every read and write of the application or
//! its case by someone other than the applicant, not only when the draft
//! was started. An enterprise that revokes its 经办人, a clerk who no longer
//! holds a window over the item, an applicant who withdraws a community
//! agent's consent or revokes a 授权委托书: from that moment the acting
//! person neither reads nor changes it; the applicant keeps it.

use crate::platform::db::Conn as AnyConnection;
use tongban_domain::applications::Authority;

use super::ApplicationError;
use crate::platform::clock::Millis;
use crate::platform::db::{Db, DbError};

/// Checks, on `c` (the caller's transaction for a write, a read connection
/// for a read), that `actor_id` may still act on application `row_id`: the
/// applicant always may; the person acting while their authority holds;
/// anyone else never (`NotFound`, so nobody learns it exists).
pub(super) async fn hold(
    c: &mut AnyConnection,
    row_id: i64,
    actor_id: i64,
    now: Millis,
) -> Result<(), ApplicationError> {
    let r = crate::platform::db::query(
        "SELECT a.applicant_id, a.acting_id, a.authority, a.authority_ended_at, a.item_id, \
         e.catalog_code FROM applications a JOIN service_items i ON i.id = a.item_id \
         JOIN catalog_entries e ON e.id = i.entry_id WHERE a.id = $1",
    )
    .bind(row_id)
    .fetch_optional(&mut *c)
    .await?
    .ok_or(ApplicationError::NotFound)?;
    let (applicant, acting): (i64, i64) = (r.try_get("applicant_id")?, r.try_get("acting_id")?);
    if applicant == actor_id {
        return Ok(());
    }
    if acting != actor_id {
        return Err(ApplicationError::NotFound);
    }
    let code: String = r.try_get("authority")?;
    let authority =
        Authority::from_code(&code).ok_or_else(|| DbError::Corrupt(format!("authority {code}")))?;
    let ended = |since: Option<Millis>| Err(ApplicationError::AuthorityEnded { since });
    match authority {
        Authority::Own => Ok(()),
        Authority::Mandate(id) => {
            let m = crate::platform::db::query(
                "SELECT items, expires_at, revoked_at FROM enterprise_agents \
                 WHERE id = $1 AND agent_id = $2 AND enterprise_id = $3",
            )
            .bind(id)
            .bind(acting)
            .bind(applicant)
            .fetch_optional(&mut *c)
            .await?;
            let Some(m) = m else { return ended(None) };
            let catalog_code: String = r.try_get("catalog_code")?;
            let items: String = m.try_get("items")?;
            // The same reading of the items as `agents::Mandate::covers`.
            let listed: Vec<&str> = items
                .split(' ')
                .filter(|s| !s.is_empty() && *s != "*")
                .collect();
            let covers = listed.is_empty() || listed.contains(&catalog_code.as_str());
            let expires: Millis = m.try_get("expires_at")?;
            match m.try_get::<Option<Millis>, _>("revoked_at")? {
                Some(at) => ended(Some(at)),
                None if expires <= now => ended(Some(expires)),
                None if !covers => ended(None),
                None => Ok(()),
            }
        }
        Authority::Window => {
            // A window-clerk grant whose organisation holds the item's, or
            // a service centre with a window of a department that does.
            let live = crate::platform::db::query(
                "SELECT 1 FROM role_grants g JOIN organizations go ON go.id = g.org_id, \
                 service_items i JOIN organizations io ON io.id = i.org_id \
                 WHERE i.id = $1 AND g.account_id = $2 AND g.role = 'window_clerk' \
                 AND (substr(io.path, 1, length(go.path)) = go.path OR EXISTS ( \
                   SELECT 1 FROM center_windows w JOIN organizations wo ON wo.id = w.org_id \
                   WHERE w.center_id = g.org_id AND substr(io.path, 1, length(wo.path)) = wo.path)) \
                 LIMIT 1",
            )
            .bind(r.try_get::<i64, _>("item_id")?)
            .bind(acting)
            .fetch_optional(&mut *c)
            .await?;
            if live.is_some() { Ok(()) } else { ended(None) }
        }
        Authority::Consent | Authority::Attorney => {
            match r.try_get::<Option<Millis>, _>("authority_ended_at")? {
                Some(at) => ended(Some(at)),
                None => Ok(()),
            }
        }
    }
}

/// [`hold`] for a read, on a connection of the pool.
pub(super) async fn hold_read(
    db: &Db,
    row_id: i64,
    actor_id: i64,
    now: Millis,
) -> Result<(), ApplicationError> {
    db.read(crate::tx!(c => { hold(c, row_id, actor_id, now).await }))
        .await
}

/// The applicant ends the power of the person acting for them on one
/// application: a community agent's 代办 consent withdrawn, a 授权委托书
/// revoked. From then on that person neither reads nor changes it (see
/// [`hold`]); they are told. Ending it again changes nothing. A mandate
/// is ended by the enterprise on its agents page, a clerk's window by the
/// clerk's role; those are refused here.
pub async fn end_authority(
    db: &Db,
    actor: &crate::identity::Principal,
    public_id: &str,
) -> Result<(), ApplicationError> {
    let (row_id, a) = super::drafts::load(db, actor, public_id).await?;
    if a.applicant_id != actor.account.id {
        return Err(ApplicationError::NotFound);
    }
    let endable = Authority::from_code(&a.authority).is_some_and(|x| x.ended_by_applicant());
    if !endable || a.acting_id == a.applicant_id {
        return Err(ApplicationError::Invalid(vec![
            tongban_domain::FieldProblem::new(
                "authority",
                "application.authority_not_endable",
                "这件申请不是他人受您委托代办的",
            ),
        ]));
    }
    let item = super::drafts::item_name_of(db, &a).await?;
    let (acting, applicant) = (a.acting_id, a.applicant_id);
    db.write(crate::tx!(c => {
        let now = crate::platform::clock::now_ms();
        let n = crate::platform::db::query(
            "UPDATE applications SET authority_ended_at = $1 WHERE id = $2 AND authority_ended_at IS NULL",
        )
        .bind(now)
        .bind(row_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok::<_, ApplicationError>(());
        }
        crate::platform::db::query(
            "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
             VALUES ($1, 'authority_ended', $2, '', $3)",
        )
        .bind(row_id)
        .bind(applicant)
        .bind(now)
        .execute(&mut *c)
        .await?;
        let date = crate::platform::clock::format_cst(now);
        let n = crate::identity::contacts::Notice {
            topic: "applications.authority_ended".into(),
            dedupe_key: format!("applications.authority_ended:{row_id}"),
            templates: &super::expiry::TEMPLATES,
            template: "authority_ended",
            values: &[("item", &item), ("date", &date)],
            link: None,
        };
        crate::identity::contacts::tell(c, acting, &n).await?;
        Ok(())
    }))
    .await?;
    db.jobs_queued();
    Ok(())
}
