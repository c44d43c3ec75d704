//! The demo's applications, one in every state of the journey to
//! acceptance, made through the same use cases people use: a draft of the
//! food business licence the demo citizen fills for the demo enterprise;
//! ID card replacements submitted, back for correction, accepted by the
//! window clerk with their deadlines, and not accepted.

use std::path::Path;

use serde_json::{Map, Value, json};
use tongban_domain::applications::{Action, Channel};
use tongban_domain::kernel::calendar::StartRule;

use super::DemoError;
use crate::applications::acceptance::{self, Act, FindingInput};
use crate::applications::{self, ApplicationError, Start, declaration};
use crate::identity::{Principal, accounts};
use crate::platform::crypto::DataKey;
use crate::platform::db::Db;

/// What a demo case needs besides the database.
pub struct CaseSetting<'a> {
    /// The data key (prefill reads the sealed ID number).
    pub key: &'a DataKey,
    /// The data folder (the file store).
    pub data_dir: &'a Path,
    /// The case-number pattern.
    pub case_number: &'a str,
    /// Whether the first day of a period is the next day.
    pub starts: StartRule,
}

fn failed(e: ApplicationError) -> DemoError {
    DemoError::Code(format!("demo case: {e:?}"))
}

async fn principal(db: &Db, username: &str) -> Result<Principal, DemoError> {
    let a = accounts::by_username(db, username)
        .await?
        .ok_or_else(|| DemoError::Code(format!("no demo account {username}")))?;
    accounts::principal(db, a.id)
        .await?
        .ok_or_else(|| DemoError::Code(format!("no principal {username}")))
}

async fn item(db: &Db, name: &str) -> Result<String, DemoError> {
    Ok(crate::platform::db::query(
        "SELECT task_code FROM published_items WHERE name = $1 AND division_code = '230100'",
    )
    .bind(name)
    .fetch_one(&db)
    .await?
    .try_get(0)?)
}

/// A draft started and saved with `fields`; returns its id.
async fn draft(
    db: &Db,
    s: &CaseSetting<'_>,
    actor: &Principal,
    task_code: &str,
    on_behalf_of: Option<String>,
    fields: Value,
) -> Result<String, DemoError> {
    let started = applications::start(
        db,
        s.key,
        actor,
        Start {
            task_code: task_code.to_owned(),
            situation: None,
            on_behalf_of,
            for_person: None,
            person_name: None,
            consent: false,
            channel: Channel::Portal,
            mobile: true,
            key: None,
            draft_days: 30,
            drafts_per_account: i64::MAX,
            confirmed: None,
        },
    )
    .await
    .map_err(failed)?;
    let patch: Map<String, Value> = fields.as_object().cloned().unwrap_or_default();
    applications::save(db, actor, &started.id, started.revision, &patch, 30)
        .await
        .map_err(failed)?;
    Ok(started.id)
}

/// Gives a small PDF for every required material not fetched, and submits.
async fn submit(
    db: &Db,
    s: &CaseSetting<'_>,
    actor: &Principal,
    id: &str,
) -> Result<String, DemoError> {
    let opened = applications::open(db, actor, id).await.map_err(failed)?;
    let codes: Vec<String> = opened
        .problems
        .iter()
        .filter_map(|p| p.field.strip_prefix("/materials/").map(str::to_owned))
        .collect();
    for code in codes {
        // A one-page PDF with a right cross-reference table: uploads are
        // checked for structure, the demo's too.
        let pdf: &'static [u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";
        applications::give(
            db,
            s.data_dir,
            actor,
            id,
            &code,
            "扫描件.pdf",
            futures::stream::iter([Ok::<_, std::io::Error>(pdf)]),
            i64::MAX,
        )
        .await
        .map_err(failed)?;
    }
    let revision = applications::open(db, actor, id)
        .await
        .map_err(failed)?
        .app
        .revision;
    Ok(applications::submit(
        db,
        s.data_dir,
        actor,
        id,
        applications::Submitting {
            revision,
            declared: declaration::VERSION,
            // The demo's walk-ins signed their printed forms.
            signed: true,
        },
        s.case_number,
        &crate::catalog::code_lists(db)
            .await
            .map_err(|e| failed(e.into()))?,
    )
    .await
    .map_err(failed)?
    .case_number)
}

/// Takes `act` on the case as the clerk, at the case's current revision.
async fn decide(
    db: &Db,
    s: &CaseSetting<'_>,
    clerk: &Principal,
    number: &str,
    mut act: Act,
) -> Result<(), DemoError> {
    let cal = crate::kernel::calendar::load(db).await?;
    let case = acceptance::case(db, clerk, &cal, number)
        .await
        .map_err(failed)?;
    act.revision = case.opened.app.revision;
    acceptance::act(db, clerk, &cal, s.starts, number, act)
        .await
        .map_err(failed)?;
    Ok(())
}

fn act(action: Action) -> Act {
    Act {
        action,
        findings: vec![],
        reason: String::new(),
        basis: String::new(),
        competent: String::new(),
        opinion: String::new(),
        revision: 0,
    }
}

/// Makes the demo cases unless the demo citizen already has applications.
/// Returns how many were made.
pub async fn seed_cases(db: &Db, s: &CaseSetting<'_>) -> Result<usize, DemoError> {
    let citizen = principal(db, "citizen").await?;
    if !applications::mine(db, &citizen)
        .await
        .map_err(failed)?
        .is_empty()
    {
        return Ok(0);
    }
    let clerk = principal(db, "clerk").await?;
    let id_card = item(db, "居民身份证补领").await?;
    let food = item(db, "食品经营许可").await?;
    let enterprise: String = {
        crate::platform::db::query("SELECT credit_code FROM accounts WHERE username = 'enterprise'")
            .fetch_one(&db)
            .await?
            .try_get(0)?
    };
    // A draft, half filled: the food business licence for the enterprise.
    draft(
        db,
        s,
        &citizen,
        &food,
        Some(enterprise),
        json!({"legal_rep_id": "230102198001010014", "email": "shop@demo.tongban.invalid"}),
    )
    .await?;
    let replacement = |reason: &str, collect: &str| json!({"reason": reason, "lost_date": "2026-11-01", "collect": collect});
    // Submitted, waiting for the clerk.
    let id = draft(
        db,
        s,
        &citizen,
        &id_card,
        None,
        replacement("lost", "window"),
    )
    .await?;
    submit(db, s, &citizen, &id).await?;
    // Back for correction, with one complete list.
    let id = draft(
        db,
        s,
        &citizen,
        &id_card,
        None,
        replacement("lost", "window"),
    )
    .await?;
    let number = submit(db, s, &citizen, &id).await?;
    decide(
        db,
        s,
        &clerk,
        &number,
        Act {
            findings: vec![FindingInput {
                target: String::new(),
                problem: "证件照片背景应为白色，请重新上传近六个月内的正面免冠照片".into(),
                basis: "《居民身份证法》第十一条".into(),
            }],
            ..act(Action::RequestCorrection)
        },
    )
    .await?;
    // Accepted, the clock running.
    let id = draft(
        db,
        s,
        &citizen,
        &id_card,
        None,
        replacement("damaged", "window"),
    )
    .await?;
    let number = submit(db, s, &citizen, &id).await?;
    decide(db, s, &clerk, &number, act(Action::Accept)).await?;
    // Not accepted, with reason and basis.
    let id = draft(
        db,
        s,
        &citizen,
        &id_card,
        None,
        replacement("lost", "window"),
    )
    .await?;
    let number = submit(db, s, &citizen, &id).await?;
    decide(
        db,
        s,
        &clerk,
        &number,
        Act {
            reason: "同一遗失证件已于本月申请补领并在办理中，不得重复申请".into(),
            basis: "《居民身份证法》第十一条".into(),
            ..act(Action::Reject)
        },
    )
    .await?;
    Ok(5)
}
