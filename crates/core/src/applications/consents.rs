//! 代办同意: a community agent applies for a resident only with the
//! resident's confirmed consent. The agent gives the person's name and ID
//! number; whether or not they match a registered person the answer is the
//! same, so the lookup tells the agent nothing. A matching person is sent a
//! code (to the phone of record) and told in their inbox, where they may
//! also confirm or decline. With the code entered the draft starts, and
//! only then is anything of the person's account filled in. The person
//! withdraws the consent whenever they like, which ends the agent's power
//! over the application started under it (see `authority`). Every request
//! is kept.

use rand::Rng;
use tongban_domain::FieldProblem;
use tongban_domain::kernel::Role;

use super::ApplicationError;
use crate::identity::Principal;
use crate::identity::contacts::{Notice, tell, tell_at};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::crypto::DataKey;
use crate::platform::db::{Db, DbError};
use crate::platform::notify::Channel;

/// How long a consent request waits for its code.
pub const TTL_MS: i64 = 30 * 60 * 1000;
/// Wrong codes before a request is void.
pub const MAX_ATTEMPTS: i64 = 5;
/// Requests one agent may make per hour: a day's visits, too few to probe
/// who is registered.
pub const ASKS_PER_HOUR: i64 = 20;

/// What an agent asks.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// 实施编码 of the item.
    pub task_code: String,
    /// 业务办理项 code, when the item has situations.
    pub situation: Option<String>,
    /// The person's 公民身份号码.
    pub id_number: String,
    /// The person's name as on their ID card.
    pub name: String,
    /// The agent holds the person's signed 代办 consent form.
    pub consent: bool,
}

/// A consent request, as the agent or the person sees it.
#[derive(Debug, Clone)]
pub struct Consent {
    /// Public id.
    pub id: String,
    /// 实施编码.
    pub task_code: String,
    /// Item name.
    pub item_name: String,
    /// The agent's name.
    pub agent_name: String,
    /// Asked.
    pub created_at: Millis,
    /// The code may be entered until then.
    pub expires_at: Millis,
    /// Confirmed when.
    pub confirmed_at: Option<Millis>,
    /// Withdrawn (or declined) when.
    pub withdrawn_at: Option<Millis>,
    /// The application started under it.
    pub application: Option<String>,
}

fn hash(code: &str) -> String {
    crate::identity::sessions::hash_token(code)
}

/// An agent asks a person's consent to apply for them on an item. Every
/// problem of the request at once; throttled per agent; recorded whatever
/// the outcome. Returns the request's id, whether or not a person matched.
pub async fn ask(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    a: Ask,
) -> Result<String, ApplicationError> {
    if !actor.has_role(Role::CommunityAgent) {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "for_person",
            "application.not_an_agent",
            "只有社区代办员可以请求代办",
        )]));
    }
    let item = crate::catalog::published(db, &a.task_code)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    let person = super::naming::named(
        db,
        key,
        super::naming::Naming {
            bucket: format!("consent:{}", actor.account.id),
            per_hour: ASKS_PER_HOUR,
            id_number: &a.id_number,
            name: &a.name,
            consent: a.consent,
            name_missing: FieldProblem::new("person_name", "required", "请填写申请人姓名"),
            no_consent: FieldProblem::new(
                "consent",
                "application.consent",
                "请确认已核验申请人身份并取得其签字同意",
            ),
            throttled: FieldProblem::new(
                "for_person",
                "application.lookup_throttled",
                "查询次数过多，请一小时后再试",
            ),
        },
    )
    .await?
    // Only a person whose name matches too; anyone else is told nothing.
    .map(|p| (p.id, p.phone));
    let public_id = hex::encode(rand::random::<[u8; 12]>());
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let (acting, agent_name) = (actor.account.id, actor.account.display_name.clone());
    let (task_code, item_name) = (item.task_code.clone(), item.guide.name.clone());
    let situation = a.situation.unwrap_or_default();
    let pid = public_id.clone();
    db.write(crate::tx!(c => {
        let now = now_ms();
        crate::platform::db::query(
            "INSERT INTO consents (public_id, acting_id, person_id, task_code, situation_code, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&pid)
        .bind(acting)
        .bind(person.as_ref().map(|p| p.0))
        .bind(&task_code)
        .bind(&situation)
        .bind(person.as_ref().map(|_| hash(&code)))
        .bind(now)
        .bind(now + TTL_MS)
        .execute(&mut *c)
        .await?;
        if let Some((person, phone)) = &person {
            let values = [("agent", agent_name.as_str()), ("item", item_name.as_str()), ("code", code.as_str())];
            if let Some(phone) = phone.as_deref().filter(|p| !p.is_empty()) {
                let n = Notice {
                    topic: "applications.consent_code".into(),
                    dedupe_key: format!("applications.consent_code:{pid}"),
                    templates: &super::expiry::TEMPLATES,
                    template: "consent_code",
                    values: &values,
                    link: Some("/applications/consents".to_owned()),
                };
                tell_at(c, *person, &n, vec![(Channel::Sms, phone.to_owned())], true).await?;
            }
            let n = Notice {
                topic: "applications.consent_asked".into(),
                dedupe_key: format!("applications.consent_asked:{pid}"),
                templates: &super::expiry::TEMPLATES,
                template: "consent_asked",
                values: &values[..2],
                link: Some("/applications/consents".to_owned()),
            };
            tell(c, *person, &n).await?;
        }
        Ok::<_, DbError>(())
    }))
    .await?;
    db.jobs_queued();
    Ok(public_id)
}

const COLS: &str = "c.id, c.public_id, c.task_code, c.acting_id, c.person_id, c.code_hash, c.attempts, \
     c.created_at, c.expires_at, c.confirmed_at, c.withdrawn_at, \
     COALESCE(p.name, c.task_code) AS item_name, g.display_name AS agent_name, a.public_id AS application";

fn from_row(r: &crate::platform::db::Row) -> Result<Consent, DbError> {
    Ok(Consent {
        id: r.try_get("public_id")?,
        task_code: r.try_get("task_code")?,
        item_name: r.try_get("item_name")?,
        agent_name: r.try_get("agent_name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        application: r.try_get("application")?,
    })
}

async fn row(db: &Db, public_id: &str) -> Result<Option<crate::platform::db::Row>, DbError> {
    crate::platform::db::query(format!(
        "SELECT {COLS} FROM consents c JOIN accounts g ON g.id = c.acting_id \
         LEFT JOIN published_items p ON p.task_code = c.task_code \
         LEFT JOIN applications a ON a.id = c.application_id WHERE c.public_id = $1"
    ))
    .bind(public_id)
    .fetch_optional(&db)
    .await
}

/// The agent's own request, for the page where the code is entered.
pub async fn asked(
    db: &Db,
    actor: &Principal,
    public_id: &str,
) -> Result<Consent, ApplicationError> {
    let r = row(db, public_id)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    if r.try_get::<i64, _>("acting_id")? != actor.account.id {
        return Err(ApplicationError::NotFound);
    }
    Ok(from_row(&r)?)
}

/// The agent enters the person's code: a right one confirms the consent
/// and returns it with its row id (the draft starts under it); a wrong,
/// spent or late one is refused the same way whether or not the request
/// matched anyone, and counts a try.
pub(super) async fn confirm(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    code: &str,
) -> Result<(i64, Consent), ApplicationError> {
    let r = row(db, public_id)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    if r.try_get::<i64, _>("acting_id")? != actor.account.id {
        return Err(ApplicationError::NotFound);
    }
    let row_id: i64 = r.try_get("id")?;
    let wanted: Option<String> = r.try_get("code_hash")?;
    let given = hash(code.trim());
    let confirmed = db
        .write(crate::tx!(c => {
            let now = now_ms();
            let n = crate::platform::db::query(
                "UPDATE consents SET confirmed_at = $1, code_hash = NULL WHERE id = $2 AND code_hash = $3 \
                 AND attempts < $4 AND expires_at > $1 AND confirmed_at IS NULL AND withdrawn_at IS NULL",
            )
            .bind(now)
            .bind(row_id)
            .bind(&given)
            .bind(MAX_ATTEMPTS)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 0 {
                crate::platform::db::query("UPDATE consents SET attempts = attempts + 1 WHERE id = $1")
                    .bind(row_id)
                    .execute(&mut *c)
                    .await?;
            }
            Ok::<_, DbError>(n == 1)
        }))
        .await?;
    // A request that matched nobody has no code: refused like a wrong one.
    if !confirmed || wanted.is_none() {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "code",
            "application.consent_code",
            "确认码不正确或已过期",
        )]));
    }
    let r = row(db, public_id)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    Ok((row_id, from_row(&r)?))
}

/// The consent requests made to a person, newest first (at most 100).
pub async fn given(db: &Db, actor: &Principal) -> Result<Vec<Consent>, ApplicationError> {
    let rows = crate::platform::db::query(format!(
        "SELECT {COLS} FROM consents c JOIN accounts g ON g.id = c.acting_id \
         LEFT JOIN published_items p ON p.task_code = c.task_code \
         LEFT JOIN applications a ON a.id = c.application_id \
         WHERE c.person_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 100"
    ))
    .bind(actor.account.id)
    .fetch_all(&db)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// What the person does with a request made to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Confirms it from their inbox, instead of telling the agent the code.
    Confirm,
    /// Declines it, or withdraws a consent given: the agent's power over
    /// the application started under it ends at once.
    Withdraw,
}

/// The person answers a request made to them; answering again changes
/// nothing.
pub async fn answer(
    db: &Db,
    actor: &Principal,
    public_id: &str,
    what: Answer,
) -> Result<(), ApplicationError> {
    let r = row(db, public_id)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    if r.try_get::<Option<i64>, _>("person_id")? != Some(actor.account.id) {
        return Err(ApplicationError::NotFound);
    }
    let row_id: i64 = r.try_get("id")?;
    db.write(crate::tx!(c => {
        let now = now_ms();
        match what {
            Answer::Confirm => {
                crate::platform::db::query(
                    "UPDATE consents SET confirmed_at = $1, code_hash = NULL WHERE id = $2 \
                     AND confirmed_at IS NULL AND withdrawn_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(row_id)
                .execute(&mut *c)
                .await?;
            }
            Answer::Withdraw => {
                let n = crate::platform::db::query(
                    "UPDATE consents SET withdrawn_at = $1, code_hash = NULL WHERE id = $2 AND withdrawn_at IS NULL",
                )
                .bind(now)
                .bind(row_id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    crate::platform::db::query(
                        "UPDATE applications SET authority_ended_at = $1 WHERE consent_id = $2 AND authority_ended_at IS NULL",
                    )
                    .bind(now)
                    .bind(row_id)
                    .execute(&mut *c)
                    .await?;
                }
            }
        }
        Ok::<_, DbError>(())
    }))
    .await?;
    Ok(())
}

/// The person and task of a consent the agent may start a draft under: its
/// own, confirmed, not withdrawn, not yet used.
pub(super) async fn usable(
    db: &Db,
    actor: &Principal,
    consent_id: i64,
) -> Result<(i64, String, String), ApplicationError> {
    let r = crate::platform::db::query(
        "SELECT person_id, task_code, situation_code FROM consents WHERE id = $1 AND acting_id = $2 \
         AND confirmed_at IS NOT NULL AND withdrawn_at IS NULL AND application_id IS NULL AND person_id IS NOT NULL",
    )
    .bind(consent_id)
    .bind(actor.account.id)
    .fetch_optional(&db)
    .await?
    .ok_or(ApplicationError::NotAuthorised)?;
    Ok((
        r.try_get("person_id")?,
        r.try_get("task_code")?,
        r.try_get("situation_code")?,
    ))
}

/// How the agent begins the application once asked.
#[derive(Debug, Clone)]
pub struct Begin {
    /// The code the person gave; none when the person confirmed in their
    /// inbox.
    pub code: Option<String>,
    /// From a phone (申报来源 3).
    pub mobile: bool,
    /// Days a draft is kept after its last change.
    pub draft_days: i64,
    /// Drafts the agent may have at once.
    pub drafts_per_account: i64,
}

/// The agent begins the application under a consent: with the person's
/// code, or once the person confirmed in their inbox. The draft is the
/// person's (authority `consent`), prefilled from their account now that
/// they agreed; one application per consent.
pub async fn begin(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    public_id: &str,
    b: Begin,
) -> Result<super::Started, ApplicationError> {
    let current = asked(db, actor, public_id).await?;
    if let Some(app) = &current.application {
        return Ok(super::Started {
            id: app.clone(),
            revision: 1,
            again: true,
        });
    }
    if current.withdrawn_at.is_some() {
        return Err(ApplicationError::AuthorityEnded {
            since: current.withdrawn_at,
        });
    }
    let row_id = if current.confirmed_at.is_some() {
        id_of(db, public_id).await?
    } else {
        let code = b.code.as_deref().unwrap_or("");
        confirm(db, actor, public_id, code).await?.0
    };
    let (_, task_code, situation) = usable(db, actor, row_id).await?;
    super::start(
        db,
        key,
        actor,
        super::Start {
            task_code,
            situation: Some(situation).filter(|s| !s.is_empty()),
            on_behalf_of: None,
            for_person: None,
            person_name: None,
            consent: true,
            channel: tongban_domain::applications::Channel::Agent,
            mobile: b.mobile,
            key: None,
            draft_days: b.draft_days,
            drafts_per_account: b.drafts_per_account,
            confirmed: Some(row_id),
        },
    )
    .await
}

async fn id_of(db: &Db, public_id: &str) -> Result<i64, ApplicationError> {
    Ok(
        crate::platform::db::query("SELECT id FROM consents WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&db)
            .await?
            .ok_or(ApplicationError::NotFound)?
            .try_get("id")?,
    )
}

/// What the start page led to.
#[derive(Debug, Clone)]
pub enum Begun {
    /// A draft, started.
    Started(super::Started),
    /// A community agent's request for the person's consent (its id): the
    /// draft starts once it is confirmed.
    Asked(String),
}

/// Starts an application from the start page: a community agent naming a
/// person asks that person's consent first ([`ask`]); anyone else starts
/// the draft at once ([`super::start`]).
pub async fn start_or_ask(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    s: super::Start,
) -> Result<Begun, ApplicationError> {
    let naming = s
        .for_person
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty());
    if naming && s.channel == tongban_domain::applications::Channel::Agent {
        let id = ask(
            db,
            key,
            actor,
            Ask {
                task_code: s.task_code,
                situation: s.situation,
                id_number: s.for_person.unwrap_or_default(),
                name: s.person_name.unwrap_or_default(),
                consent: s.consent,
            },
        )
        .await?;
        return Ok(Begun::Asked(id));
    }
    Ok(Begun::Started(super::start(db, key, actor, s).await?))
}
