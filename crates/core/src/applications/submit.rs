//! Submission (提交): a draft becomes a case with its 办件编号 when every
//! required answer and material is there, all problems listed at once
//! (answers at their JSON pointers, materials at `/materials/{code}`); the
//! person is told with the number. Materials fetched from e-certificates or
//! shared data are recorded as to be fetched, not asked for.

use std::sync::LazyLock;

use tongban_domain::FieldProblem;
use tongban_domain::applications::{State, case_number};
use tongban_domain::catalog::{Fetchable, Guide};

use super::drafts::{form_of, load, version_of};
use super::materials::given;
use super::{ApplicationError, declaration};
use crate::identity::Principal;
use crate::identity::contacts::{Notice, tell};
use crate::platform::clock::{now_ms, today_cst};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::Templates;
use crate::platform::outbox;

static TEMPLATES: LazyLock<Templates> =
    LazyLock::new(|| Templates::parse(include_str!("notices.toml")).unwrap_or_default());

/// The materials of a draft: (code, name, required, where it comes from
/// instead of a file the applicant gives).
fn materials_of(g: &Guide, situation: &str) -> Vec<(String, String, bool, Fetchable)> {
    super::materials::materials_of(g, situation)
        .map(|m| {
            (
                m.code.clone(),
                m.name.clone(),
                m.required,
                m.fetchable.clone(),
            )
        })
        .collect()
}

/// What stands in the way of submitting a draft, every problem at once:
/// a newer form published (`newer`), answers missing or wrong, required
/// materials not fetched and without a file. The declaration is asked
/// when submitting.
pub fn readiness(
    g: &Guide,
    situation: &str,
    fields: &serde_json::Map<String, serde_json::Value>,
    files: &[super::GivenFile],
    newer: Option<i64>,
) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if let Some(v) = newer {
        problems.push(
            FieldProblem::new(
                "version",
                "application.outdated",
                "事项已发布新版表单，请先更新草稿",
            )
            .with("version", v.to_string()),
        );
    }
    problems.extend(form_of(g, situation).check(fields, today_cst(), true));
    for (code, name, required, from) in &materials_of(g, situation) {
        if *required && *from == Fetchable::No && !files.iter().any(|f| &f.material == code) {
            problems.push(
                FieldProblem::new(
                    format!("/materials/{code}"),
                    "material.required",
                    format!("请提交“{name}”"),
                )
                .with("label", name.clone()),
            );
        }
    }
    problems
}

/// The problem when the item does not serve the applicant (its guide's
/// 服务对象 do not include what they count as): a draft started before
/// the rule, or before the guide changed, is stopped at submission with
/// the words the start gives.
pub fn not_served(g: &Guide, credit_code: Option<&str>) -> Option<FieldProblem> {
    let object = tongban_domain::applications::service_object(credit_code);
    if tongban_domain::applications::served(&g.service_objects, object) {
        return None;
    }
    // A government body's matters go between departments, never by an
    // online application, whatever the item serves.
    if object == "5" {
        return Some(FieldProblem::new(
            "item",
            "application.not_served_government",
            "行政机关不通过网上申请办理事项，请直接联系该事项的实施机关",
        ));
    }
    let names = |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
        g.service_objects
            .iter()
            .filter(|o| o.as_str() != "5")
            .filter_map(|o| {
                tongban_domain::catalog::SERVICE_OBJECTS
                    .iter()
                    .find(|x| x.0 == o.as_str())
                    .map(pick)
            })
            .collect::<Vec<_>>()
    };
    let who = tongban_domain::catalog::SERVICE_OBJECTS
        .iter()
        .find(|x| x.0 == object);
    let zh = names(|x| x.1).join("、");
    let en = names(|x| x.2).join(", ").to_lowercase();
    let online = !zh.is_empty();
    if !online {
        return Some(FieldProblem::new(
            "item",
            "application.not_served_online",
            "该事项不受理网上申请",
        ));
    }
    Some(
        FieldProblem::new(
            "item",
            "application.not_served",
            if online {
                format!("该事项面向{zh}，不能以{}身份申请", who.map_or("", |x| x.1))
            } else {
                "该事项不受理网上申请".to_owned()
            },
        )
        .with("objects", zh)
        .with("objects_en", en)
        .with("who", who.map_or("", |x| x.1).to_owned())
        .with("who_en", who.map_or("", |x| x.2).to_lowercase()),
    )
}

/// What the person submitting says: the revision they read, the
/// declaration they accepted (its version or the hash of the words shown),
/// and, for a clerk at a window, that the applicant signed the printed form.
#[derive(Debug, Clone, Copy)]
pub struct Submitting<'a> {
    /// The revision last read.
    pub revision: i64,
    /// The declaration accepted.
    pub declared: &'a str,
    /// The applicant signed the printed 申请表 (a window's intake).
    pub signed: bool,
}

/// A submitted application: its 办件编号 and the query code printed on the
/// receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// 办件编号.
    pub case_number: String,
    /// 查询码: with the case number, follows the case without an account.
    pub query_code: String,
}

/// Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L).
fn query_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    (0..8)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Submits a draft against `revision`, the person having accepted the
/// declaration of version `declared`: refused with every problem at once
/// (missing or wrong answers, required materials without a file, a form
/// the item has since replaced, the declaration not accepted or since
/// changed, and, for the clerk who took it in at a window, the applicant's
/// signature on the printed form not confirmed by `signed`); otherwise the application is submitted with a case number
/// from `pattern` and a query code, the declaration's version, hash, the
/// person's real-name level and the time kept, in one transaction with its
/// event, its outbox entry and the notice to the person acting. Where the
/// item takes the application form as a material, the form as submitted
/// is kept as that material's file (`root` is the file store). `lists` are
/// the configured code lists (a node keeps them per catalog generation).
pub async fn submit(
    db: &Db,
    root: &std::path::Path,
    actor: &Principal,
    public_id: &str,
    said: Submitting<'_>,
    pattern: &str,
    lists: &tongban_domain::catalog::CodeLists,
) -> Result<Submission, ApplicationError> {
    let Submitting {
        revision,
        declared,
        signed,
    } = said;
    let (row_id, a) = load(db, actor, public_id).await?;
    if !a.state.editable() {
        return Err(ApplicationError::WrongState);
    }
    // Back for correction: the same case, its number and query code kept.
    let again = (a.state == State::CorrectionNotified)
        .then(|| a.case_number.clone())
        .flatten();
    if a.revision != revision {
        return Err(ApplicationError::Conflict);
    }
    let (g, current) = version_of(db, &a).await?;
    let newer = Some(current).filter(|v| *v > a.version_no);
    let files = given(db, row_id).await?;
    let mut problems = readiness(&g, &a.situation, &a.fields, &files, newer);
    // A case corrected and submitted again stays as it was submitted.
    if again.is_none() {
        problems.extend(not_served(&g, a.applicant_credit.as_deref()));
    }
    // The declaration is accepted by its version, or by the hash of the
    // words the person was shown: words changed since (an administrator
    // edited the law they name) are shown again before anything is kept.
    let words = declaration::for_guide(&g, lists);
    let receipt_basis = declaration::notice_basis(&g, lists);
    let declared_hash = words.sha256.clone();
    let declared_words = words.words_json();
    let shown_hash = declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit());
    if shown_hash && !declared.eq_ignore_ascii_case(&declared_hash) {
        problems.push(FieldProblem::new(
            "/declaration",
            "application.declaration_changed",
            "承诺书的内容刚刚更新，请重新阅读后再确认",
        ));
    } else if !shown_hash && declared != declaration::VERSION {
        problems.push(
            FieldProblem::new(
                "/declaration",
                "application.declaration",
                "请阅读并同意申请人承诺书",
            )
            .with("version", declaration::VERSION),
        );
    }
    // Taken in at a window: the person present signs the printed form, and
    // the clerk says so before submitting it for them (an applicant who
    // submits it from home declares online, as above).
    let at_window = a.authority == tongban_domain::applications::Authority::Window.code()
        && a.acting_id == actor.account.id;
    if at_window && !signed {
        problems.push(FieldProblem::new(
            "/signed",
            "application.not_signed",
            "请打印申请表，由申请人核对并签字后，确认“申请人已签字”再提交",
        ));
    }
    let materials = materials_of(&g, &a.situation);
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid(problems));
    }
    let today = today_cst();
    let day = format!(
        "{:04}{:02}{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    // What departments fetch for the case (the form itself is here).
    let fetched: Vec<String> = materials
        .iter()
        .filter_map(|(code, _, _, from)| match from {
            Fetchable::Certificate(t) => Some(format!("{code}=证照:{t}")),
            Fetchable::SharedData(t) => Some(format!("{code}=共享:{t}")),
            Fetchable::No | Fetchable::FromForm => None,
        })
        .collect();
    let (task_code, item_name, pattern) = (a.task_code.clone(), g.name.clone(), pattern.to_owned());
    let acting = actor.account.id;
    let applicant = a.applicant_id;
    // The level of the person acting, as this request read their account.
    let level = actor.account.real_name_level;
    // What this submission says, kept so a correction's changes show: the
    // answers the form shows (a hidden one is neither checked nor kept).
    let said_fields =
        serde_json::Value::Object(form_of(&g, &a.situation).shown_answers(&a.fields)).to_string();
    let files_revision = a.files_revision;
    // The form itself, where it is one of the materials: made now, as it
    // is submitted, and kept with the submission.
    let form = if materials
        .iter()
        .any(|(_, _, _, from)| *from == Fetchable::FromForm)
    {
        super::receipt::form_file(db, root, row_id, &a, at_window).await?
    } else {
        None
    };
    // The files said, the form aside: what a correction changed in it
    // shows as the answers that changed.
    let said: Vec<(String, String, String)> = files
        .iter()
        .filter(|f| f.origin != super::receipt::FORM_ORIGIN)
        .map(|f| (f.material.clone(), f.name.clone(), f.sha256.clone()))
        .collect();
    let engine = db.engine();
    let form_row = form
        .as_ref()
        .map(|f| (f.received.row.clone(), f.materials.clone()));
    let said_files = serde_json::to_string(&said)
        .map_err(|e| ApplicationError::Db(DbError::Internal(e.to_string())))?;
    let code = match &again {
        Some(_) => crate::platform::db::query("SELECT query_code FROM applications WHERE id = $1")
            .bind(row_id)
            .fetch_one(&db)
            .await?
            .try_get::<Option<String>, _>("query_code")?
            .unwrap_or_else(query_code),
        None => query_code(),
    };
    let query = code.clone();
    let public = a.id.clone();
    let number = db
        .write(crate::tx!(c => {
            let now = now_ms();
            super::authority::hold(c, row_id, acting, now).await?;
            let number = match &again {
                Some(n) => n.clone(),
                None => {
                    // The item's sequence for the day: a row per item and day.
                    let seq: i64 = crate::platform::db::query(
                        "INSERT INTO case_sequences (task_code, day, last) VALUES ($1, $2, 1) \
                         ON CONFLICT (task_code, day) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
                    )
                    .bind(&task_code)
                    .bind(&day)
                    .fetch_one(&mut *c)
                    .await?
                    .try_get("last")?;
                    case_number(&pattern, &task_code, today, seq)
                        .map_err(|e| ApplicationError::Db(DbError::Internal(e.to_string())))?
                }
            };
            let n = crate::platform::db::query(
                "UPDATE applications SET state = 'submitted', case_number = $1, revision = revision + 1, updated_at = $2, \
                 submitted_at = $2, declaration_version = $5, declaration_hash = $6, declared_level = $7, \
                 query_code = COALESCE(query_code, $8), fields = $9, receipt_basis = $11 \
                 WHERE id = $3 AND revision = $4 AND files_revision = $10 AND state IN ('draft', 'correction')",
            )
            .bind(&number)
            .bind(now)
            .bind(row_id)
            .bind(revision)
            .bind(declaration::VERSION)
            .bind(&declared_hash)
            .bind(level)
            .bind(&code)
            .bind(&said_fields)
            .bind(files_revision)
            .bind(&receipt_basis)
            .execute(&mut *c)
            .await?
            .rows_affected();
            // Saved meanwhile, or a file given or taken back since the
            // files above were read: nothing is submitted; the person
            // looks again.
            if n != 1 {
                return Err(ApplicationError::Conflict);
            }
            // The words declared, kept once per text under their hash.
            crate::platform::db::query("INSERT INTO declaration_texts (sha256, words) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&declared_hash)
                .bind(&declared_words)
                .execute(&mut *c)
                .await?;
            if let Some(f) = &form_row {
                super::receipt::record_form_file(c, engine, row_id, acting, f, now).await?;
            }
            crate::platform::db::query(
                "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) \
                 VALUES ($1, $5, $2, $3, $4)",
            )
            .bind(row_id)
            .bind(acting)
            .bind(format!(
                "{number} declaration {}{} level {level} fetch: {}",
                declaration::VERSION,
                if at_window { " signed on paper" } else { "" },
                fetched.join(" ")
            ))
            .bind(now)
            .bind(if again.is_some() { "corrected" } else { "submitted" })
            .execute(&mut *c)
            .await?;
            crate::platform::db::query(
                "INSERT INTO application_submissions (application_id, round, fields, files, submitted_at, declaration_hash) VALUES \
                 ($1, (SELECT COALESCE(MAX(round), 0) + 1 FROM application_submissions WHERE application_id = $1), $2, $3, $4, $5)",
            )
            .bind(row_id)
            .bind(&said_fields)
            .bind(&said_files)
            .bind(now)
            .bind(&declared_hash)
            .execute(&mut *c)
            .await?;
            outbox::append(
                c,
                "application.submitted",
                &serde_json::json!({"application": public, "case_number": number, "task_code": task_code, "fetch": fetched}),
                now,
            )
            .await?;
            // The person acting is told, and the applicant when it is
            // someone else (a person applied for at a window, an
            // enterprise by its agent).
            let kind = if again.is_some() { "corrected" } else { "submitted" };
            let mut told = vec![acting];
            if applicant != acting {
                told.push(applicant);
            }
            for who in told {
                let n = Notice {
                    topic: "applications.submitted".into(),
                    dedupe_key: format!("applications.{kind}:{number}:{who}"),
                    templates: &TEMPLATES,
                    template: "submitted",
                    values: &[("item", &item_name), ("number", &number)],
                    link: Some(format!("/applications/{public}")),
                };
                tell(c, who, &n).await?;
            }
            Ok::<_, ApplicationError>(number)
        }))
        .await?;
    db.jobs_queued();
    // The case is submitted and the person told: a form that cannot be
    // placed now is logged for the operators, not reported as a failed
    // submission the person would try again.
    if let Some(f) = form
        && let Err(e) = f.received.place().await
    {
        tracing::error!(case = %number, error = %e, "the submitted form's file could not be placed");
    }
    Ok(Submission {
        case_number: number,
        query_code: query,
    })
}
