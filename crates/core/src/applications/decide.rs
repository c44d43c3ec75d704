//! Acceptance decisions (Art. 32): the one complete 补正告知书 (every
//! finding with its place, its problem and its basis), 受理 with the
//! calendar's deadlines, 不予受理 with reason, basis and the right of
//! appeal. Each decision is first prepared: [`preview`] shows the notice as
//! it will be issued and writes nothing; [`act`] issues it, writing the
//! step, the document, the state and the notices in one transaction.

use std::sync::LazyLock;

use crate::platform::db::Conn as AnyConnection;
use time::Date;
use tongban_domain::FieldProblem;
use tongban_domain::applications::{Action, State, allowed_actions, notice_late};
use tongban_domain::catalog::TimeLimit;
use tongban_domain::kernel::calendar::{Calendar, FIRST_YEAR, LAST_YEAR, Period, StartRule};

use super::acceptance::{days_since, scoped};
use super::standing::{Finding, place, place_of};
use super::{ApplicationError, readiness};
use crate::identity::Principal;
use crate::identity::contacts::{Notice, tell};
use crate::kernel::clocks::{self, NewClock};
use crate::platform::clock::{date_cst, format_cst, now_ms, today_cst};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::Templates;
use crate::platform::outbox;
use crate::platform::pdf::Official;

static TEMPLATES: LazyLock<Templates> =
    LazyLock::new(|| Templates::parse(include_str!("notices.toml")).unwrap_or_default());

/// Findings one correction notice lists at most.
pub const MAX_FINDINGS: usize = 100;

/// A finding as the staff typed it.
#[derive(Debug, Clone, Default)]
pub struct FindingInput {
    /// Where (a JSON pointer or a material; may be empty).
    pub target: String,
    /// What is wrong.
    pub problem: String,
    /// On what basis (empty: the law the item type's notices cite, and
    /// the item's guide).
    pub basis: String,
}

/// What the staff decide.
#[derive(Debug, Clone)]
pub struct Act {
    /// The action.
    pub action: Action,
    /// Findings of the staff (request_correction).
    pub findings: Vec<FindingInput>,
    /// Reason (reject).
    pub reason: String,
    /// Legal basis of a refusal (reject).
    pub basis: String,
    /// The competent authority when it is not this one (reject, optional).
    pub competent: String,
    /// The opinion recorded with the step.
    pub opinion: String,
    /// The revision the staff read.
    pub revision: i64,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    /// The case's state now.
    pub state: State,
    /// The document issued.
    pub document: String,
    /// The notice was late (more than five working days after receipt).
    pub late: bool,
}

fn cn_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

fn problem(field: &str, code: &'static str, message: &str) -> ApplicationError {
    ApplicationError::Invalid(vec![FieldProblem::new(field, code, message)])
}

async fn next_number(
    c: &mut AnyConnection,
    org_id: i64,
    kind: &str,
    year: i32,
) -> Result<i64, DbError> {
    crate::platform::db::query(
        "INSERT INTO document_sequences (org_id, kind, year, last) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (org_id, kind, year) DO UPDATE SET last = document_sequences.last + 1 RETURNING last",
    )
    .bind(org_id)
    .bind(kind)
    .bind(year)
    .fetch_one(c)
    .await?
    .try_get("last")
}

/// A decision checked and its notice drafted, not yet written.
struct Prepared {
    row_id: i64,
    official: Official,
    findings: Vec<Finding>,
    kind: &'static str,
    mark: &'static str,
    template: &'static str,
    clocks_of: Option<(Calendar, Date, Period, Period)>,
    deadlines: Option<(String, Option<String>, Option<String>)>,
    short: String,
    org_id: i64,
    actor_id: i64,
    acting_id: i64,
    applicant_id: i64,
    item_name: String,
    revision: i64,
    action: Action,
    opinion: String,
    reason: String,
    public: String,
    year: i32,
    number: String,
    late: bool,
    provisional: bool,
    /// Where the corrections are, in Chinese and in English.
    places: (String, String),
}

/// Checks a decision and drafts its notice: refused when the case is
/// outside the caller's scope (`NotFound`), is their own (`OwnCase`),
/// changed since (`Conflict`), when the action is not allowed now
/// (`NotAllowed`, naming the allowed ones) or lacks what it needs (a
/// correction with nothing to correct or a finding whose place is not a
/// question or material of the case, a refusal without reason or basis).
async fn prepare(
    db: &Db,
    actor: &Principal,
    cal: &Calendar,
    starts: StartRule,
    case_number: &str,
    act: &Act,
) -> Result<Prepared, ApplicationError> {
    let (row_id, a) = scoped(db, actor, case_number).await?;
    // Nobody decides their own case: not as its applicant, nor as the
    // person who applied for someone else (a clerk taking in a walk-in's
    // application at the window may accept it on the spot: 一窗受理).
    if a.applicant_id == actor.account.id
        || (a.acting_id == actor.account.id
            && a.authority != tongban_domain::applications::Authority::Window.code())
    {
        return Err(ApplicationError::OwnCase);
    }
    let opened = super::drafts::opened(db, row_id, a).await?;
    let a = &opened.app;
    let allowed = allowed_actions(a.state, opened.standing.corrected);
    if !allowed.contains(&act.action) {
        return Err(ApplicationError::NotAllowed(
            allowed.iter().map(|x| x.code()).collect(),
        ));
    }
    if a.revision != act.revision {
        return Err(ApplicationError::Conflict);
    }
    let p = opened
        .item
        .as_ref()
        .ok_or(ApplicationError::ItemWithdrawn)?;
    let g = &p.guide;
    let received = opened.submitted_at.unwrap_or_else(now_ms);
    let late = notice_late(days_since(cal, received));
    let today = today_cst();
    let number = a.case_number.clone().unwrap_or_default();
    let applicant = a.applicant_name.clone();
    let mut official = Official {
        addressee: applicant.clone(),
        issuer: p.org.name_zh.clone(),
        date: cn_date(today),
        basis: opened.notice_basis.clone(),
        facts: vec![
            ("办件编号".into(), number.clone()),
            ("事项名称".into(), g.name.clone()),
            ("申请时间".into(), format_cst(received)),
        ],
        footnote: format!(
            "咨询电话：{}；监督投诉电话：{}",
            g.consult_phone, g.supervise_phone
        ),
        ..Official::default()
    };
    // Accepted late, the application counts as accepted from receipt.
    let from = if late { date_cst(received) } else { today };
    // 受理 states its deadlines: a calendar that cannot count them refuses
    // the step rather than issue a notice with blank dates. A date in a
    // year whose arrangement is not yet published is 暂定 wherever shown.
    let due = |l: &TimeLimit| {
        cal.deadline(from, l.period(), starts, &[]).map_err(|_| {
            ApplicationError::CalendarUnavailable {
                year: if (FIRST_YEAR..=LAST_YEAR).contains(&from.year()) {
                    LAST_YEAR + 1
                } else {
                    from.year()
                },
            }
        })
    };
    let (promised, legal, provisional) = if act.action == Action::Accept {
        let (p, l) = (due(&g.promised_limit)?, due(&g.legal_limit)?);
        (p.date, l.date, p.provisional || l.provisional)
    } else {
        (None, None, false)
    };
    let tentative = |d: Option<Date>| {
        d.map(|d| {
            if provisional {
                format!("{}（暂定）", cn_date(d))
            } else {
                cn_date(d)
            }
        })
    };
    // A person is addressed 您, an organisation by its name; the law cited
    // is the item type's (行政许可法 Art. 32 for a 行政许可), else the item's own.
    let you = if a.applicant_credit.is_some() {
        a.applicant_name.clone()
    } else {
        "您".to_owned()
    };
    let basis = opened.notice_basis.clone();
    let default_basis = if basis.contains("办事指南") {
        basis.clone()
    } else {
        format!("{basis}；《{}》办事指南", g.name)
    };
    let mut findings = Vec::new();
    let (kind, mark, template) = match act.action {
        Action::RequestCorrection => {
            let automatic = readiness(g, &a.situation, &a.fields, &a.files, None);
            for pr in automatic {
                findings.push(Finding {
                    problem: pr.message,
                    target: pr.field,
                    basis: format!("《{}》办事指南（第{}版）", g.name, p.version_no),
                    automatic: true,
                });
            }
            if act.findings.len() > MAX_FINDINGS {
                return Err(ApplicationError::Invalid(vec![
                    FieldProblem::new(
                        "findings",
                        "acceptance.too_many_findings",
                        "一份补正告知书最多列明100项",
                    )
                    .with("max", MAX_FINDINGS.to_string()),
                ]));
            }
            let mut misplaced = Vec::new();
            for (i, f) in act.findings.iter().enumerate() {
                if place(g, &a.situation, &f.target).is_none() {
                    misplaced.push(
                        FieldProblem::new(
                            format!("/params/findings/{i}/target"),
                            "finding.target",
                            "补正位置应为本申请的一项内容、一项材料，或留空表示整个申请",
                        )
                        .with("target", f.target.chars().take(200).collect::<String>()),
                    );
                }
            }
            if !misplaced.is_empty() {
                return Err(ApplicationError::Invalid(misplaced));
            }
            for f in &act.findings {
                let text = f.problem.trim();
                if text.is_empty() {
                    continue;
                }
                if text.chars().count() > 500
                    || f.basis.chars().count() > 200
                    || f.target.chars().count() > 200
                {
                    return Err(problem(
                        "findings",
                        "acceptance.finding_too_long",
                        "每项补正内容不超过500字，依据不超过200字",
                    ));
                }
                findings.push(Finding {
                    target: f.target.trim().to_owned(),
                    problem: text.to_owned(),
                    basis: if f.basis.trim().is_empty() {
                        default_basis.clone()
                    } else {
                        f.basis.trim().to_owned()
                    },
                    automatic: false,
                });
            }
            if findings.is_empty() {
                return Err(problem(
                    "findings",
                    "acceptance.nothing_to_correct",
                    "没有需要补正的内容：请写明每一项补正内容，或直接受理",
                ));
            }
            official.title = "补正告知书".into();
            official.body = vec![format!(
                "{}于{}提出的“{}”申请，申请材料不齐全或者不符合法定形式。根据{}，现一次告知需要补正的全部内容如下。\
                 请在同一申请中补正后重新提交；补正材料齐全、符合法定形式的，本机关将依法受理。",
                you,
                format_cst(received),
                g.name,
                basis
            )];
            official.list = Some((
                "需要补正的内容：".into(),
                findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{}：{}（依据：{}）",
                            place_of(g, &a.situation, &f.target).words_zh(),
                            f.problem,
                            f.basis
                        )
                    })
                    .collect(),
            ));
            ("correction", "补", "correction")
        }
        Action::Accept => {
            official.title = "受理通知书".into();
            official.body = vec![format!(
                "{}于{}提出的“{}”申请，申请材料齐全、符合法定形式，根据{}，决定予以受理。{}",
                you,
                format_cst(received),
                g.name,
                basis,
                if late {
                    "因本机关未在收到申请材料之日起五个工作日内告知补正，自收到申请材料之日起即为受理。"
                } else {
                    ""
                }
            )];
            official.facts.push(("受理日期".into(), cn_date(from)));
            official.facts.push((
                "承诺办结日期".into(),
                tentative(promised).unwrap_or_else(|| "—".into()),
            ));
            official.facts.push((
                "法定办结日期".into(),
                tentative(legal).unwrap_or_else(|| "—".into()),
            ));
            official.after = vec![
                "办理期限按工作日计算，依法需要听证、检验、检测、鉴定、专家评审等的时间不计算在内，届时另行书面告知。".into(),
            ];
            ("acceptance", "受", "accepted")
        }
        Action::Reject => {
            if act.reason.trim().is_empty() || act.basis.trim().is_empty() {
                let mut p = Vec::new();
                if act.reason.trim().is_empty() {
                    p.push(FieldProblem::new(
                        "reason",
                        "required",
                        "请写明不予受理的理由",
                    ));
                }
                if act.basis.trim().is_empty() {
                    p.push(FieldProblem::new(
                        "basis",
                        "required",
                        "请写明不予受理的依据",
                    ));
                }
                return Err(ApplicationError::Invalid(p));
            }
            if act.reason.chars().count() > 1000
                || act.basis.chars().count() > 500
                || act.competent.chars().count() > 200
            {
                return Err(problem(
                    "reason",
                    "too_long",
                    "理由不超过1000字，依据不超过500字",
                ));
            }
            official.title = "不予受理通知书".into();
            official.body = vec![format!(
                "{}于{}提出的“{}”申请，经审查，决定不予受理。理由：{}",
                you,
                format_cst(received),
                g.name,
                act.reason.trim()
            )];
            official.basis = act.basis.trim().to_owned();
            if !act.competent.trim().is_empty() {
                official.after.push(format!(
                    "该申请事项依法不属于本机关职权范围，请向{}提出申请。",
                    act.competent.trim()
                ));
            }
            official.after.push(format!(
                "如不服本决定，可以自收到本通知书之日起六十日内向{}的本级人民政府或者上一级主管部门申请行政复议，\
                 或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。",
                p.org.name_zh
            ));
            ("rejection", "不受", "rejected")
        }
    };
    let clocks_of = (act.action == Action::Accept).then(|| {
        (
            cal.clone(),
            from,
            g.promised_limit.period(),
            g.legal_limit.period(),
        )
    });
    let deadlines = (act.action == Action::Accept).then(|| {
        (
            from.to_string(),
            promised.map(|d| d.to_string()),
            legal.map(|d| d.to_string()),
        )
    });
    let short = if p.org.short_name_zh.is_empty() {
        p.org.name_zh.clone()
    } else {
        p.org.short_name_zh.clone()
    };
    let (org_id, actor_id, acting_id, applicant_id) =
        (p.org.id, actor.account.id, a.acting_id, a.applicant_id);
    let (item_name, revision, action) = (g.name.clone(), act.revision, act.action);
    let opinion = act.opinion.trim().chars().take(1000).collect::<String>();
    let reason = act.reason.trim().to_owned();
    let public = a.id.clone();
    let year = today.year();
    let mut places: Vec<(String, String)> = Vec::new();
    for f in &findings {
        let p = place_of(g, &a.situation, &f.target);
        let w = (p.words_zh(), p.words(tongban_domain::Lang::En));
        if !places.contains(&w) {
            places.push(w);
        }
    }
    let places = (
        places
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        places
            .iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    );
    Ok(Prepared {
        row_id,
        official,
        findings,
        kind,
        mark,
        template,
        clocks_of,
        deadlines,
        short,
        org_id,
        actor_id,
        acting_id,
        applicant_id,
        item_name,
        revision,
        action,
        opinion,
        reason,
        public,
        year,
        number,
        late,
        provisional,
        places,
    })
}

/// The notice a decision would issue, as it will read (its 文号 is given
/// when it is issued); nothing is written. Refused exactly as [`act`] would
/// refuse it.
pub async fn preview(
    db: &Db,
    actor: &Principal,
    cal: &Calendar,
    starts: StartRule,
    case_number: &str,
    act: &Act,
) -> Result<Official, ApplicationError> {
    Ok(prepare(db, actor, cal, starts, case_number, act)
        .await?
        .official)
}

/// Takes an acceptance decision on a case against the revision read,
/// refused as [`prepare`] says. Writes the step, the document, the state
/// and the notices to the applicant and the person acting in one
/// transaction.
pub async fn act(
    db: &Db,
    actor: &Principal,
    cal: &Calendar,
    starts: StartRule,
    case_number: &str,
    act: Act,
) -> Result<Acted, ApplicationError> {
    let Prepared {
        row_id,
        official,
        findings,
        kind,
        mark,
        template,
        clocks_of,
        deadlines,
        short,
        org_id,
        actor_id,
        acting_id,
        applicant_id,
        item_name,
        revision,
        action,
        opinion,
        reason,
        public,
        year,
        number,
        late,
        provisional,
        places,
    } = prepare(db, actor, cal, starts, case_number, &act).await?;
    let out = db
        .write(crate::tx!(c => {
            let now = now_ms();
            let seq = next_number(c, org_id, kind, year).await?;
            let doc_number = format!("{short}{mark}〔{year}〕{seq}号");
            let mut doc = official.clone();
            doc.number = doc_number.clone();
            let (accepted_at, clock_from, promised, legal) = match &deadlines {
                Some((from, promised, legal)) => (Some(now), Some(from.clone()), promised.clone(), legal.clone()),
                None => (None, None, None, None),
            };
            let n = crate::platform::db::query(
                "UPDATE applications SET state = $1, revision = revision + 1, updated_at = $2, \
                 corrected = corrected + $3, accepted_at = COALESCE($4, accepted_at), clock_from = COALESCE($5, clock_from), \
                 promised_date = COALESCE($6, promised_date), legal_date = COALESCE($7, legal_date), \
                 late_notice = CASE WHEN $8 = 1 THEN 1 ELSE late_notice END \
                 WHERE id = $9 AND revision = $10",
            )
            .bind(action.to().code())
            .bind(now)
            .bind(i64::from(action == Action::RequestCorrection))
            .bind(accepted_at)
            .bind(clock_from)
            .bind(promised.clone())
            .bind(legal.clone())
            .bind(i64::from(late))
            .bind(row_id)
            .bind(revision)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(ApplicationError::Conflict);
            }
            // The running clocks, which a calendar change moves.
            if let Some((cal, from, promised_p, legal_p)) = &clocks_of {
                for (what, period, words) in [("promised", promised_p, "承诺办结"), ("legal", legal_p, "法定办结")] {
                    clocks::start(
                        c,
                        cal,
                        &NewClock {
                            owner: &format!("application:{row_id}:{what}"),
                            label: &format!("办件 {number}（{item_name}）{words}"),
                            from: *from,
                            period: *period,
                            starts,
                        },
                    )
                    .await?;
                }
            }
            for f in &findings {
                crate::platform::db::query(
                    "INSERT INTO application_findings (application_id, target, problem, basis, automatic, actor_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(row_id)
                .bind(&f.target)
                .bind(&f.problem)
                .bind(&f.basis)
                .bind(i64::from(f.automatic))
                .bind(actor_id)
                .bind(now)
                .execute(&mut *c)
                .await?;
            }
            let body = serde_json::to_string(&doc).map_err(|e| DbError::Internal(e.to_string()))?;
            crate::platform::db::query(
                "INSERT INTO application_documents (application_id, kind, number, body, issued_at, actor_id) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(row_id)
            .bind(kind)
            .bind(&doc_number)
            .bind(&body)
            .bind(now)
            .bind(actor_id)
            .execute(&mut *c)
            .await?;
            crate::platform::db::query(
                "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(row_id)
            .bind(action.code())
            .bind(actor_id)
            .bind(format!("{doc_number}{} {opinion}", if late { " late" } else { "" }))
            .bind(now)
            .execute(&mut *c)
            .await?;
            outbox::append(
                c,
                &format!("application.{}", action.to().code()),
                &serde_json::json!({"application": public, "case_number": number, "document": doc_number, "late": late}),
                now,
            )
            .await?;
            let count = findings.len().to_string();
            let tentative_mark = if provisional { "（暂定）" } else { "" };
            let promised_words = promised.as_deref().map_or_else(|| "—".to_owned(), |d| format!("{d}{tentative_mark}"));
            let legal_words = legal.as_deref().map_or_else(|| "—".to_owned(), |d| format!("{d}{tentative_mark}"));
            let date = cn_date(date_cst(now));
            let values: Vec<(&str, &str)> = vec![
                ("item", &item_name),
                ("number", &number),
                ("document", &doc_number),
                ("count", &count),
                ("date", &date),
                ("promised", &promised_words),
                ("legal", &legal_words),
                ("reason", &reason),
                ("places", &places.0),
                ("places_en", &places.1),
            ];
            let mut told = vec![acting_id];
            if applicant_id != acting_id {
                told.push(applicant_id);
            }
            for who in told {
                let n = Notice {
                    topic: format!("applications.{template}"),
                    dedupe_key: format!("applications.{template}:{number}:{who}"),
                    templates: &TEMPLATES,
                    template,
                    values: &values,
                    link: Some(format!("/applications/{public}")),
                };
                tell(c, who, &n).await?;
            }
            Ok::<_, ApplicationError>(doc_number)
        }))
        .await?;
    db.jobs_queued();
    Ok(Acted {
        state: action.to(),
        document: out,
        late,
    })
}
