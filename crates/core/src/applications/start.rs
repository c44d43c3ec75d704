//! Starting a draft: for oneself, an enterprise as its agent, a person at a
//! window, a person under a 授权委托书, or a person whose consent a
//! community agent holds; prefilled from the account, with the API's
//! Idempotency-Key and the bound on drafts per person.

use crate::platform::db::Conn as AnyConnection;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tongban_domain::FieldProblem;
use tongban_domain::applications::{Authority, Channel};
use tongban_domain::catalog::form::{FormDef, Prefill};
use tongban_domain::kernel::{CreditCode, IdCardNo, Role};

use super::{ApplicationError, form_of};
use crate::catalog;
use crate::identity::{Principal, agents, oidc, realname};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::crypto::DataKey;
use crate::platform::db::{Db, DbError};

/// What starting an application asks.
#[derive(Debug, Clone)]
pub struct Start {
    /// 实施编码 of the item.
    pub task_code: String,
    /// 业务办理项 code, when the item has situations.
    pub situation: Option<String>,
    /// The credit code of the enterprise applied for, by its agent.
    pub on_behalf_of: Option<String>,
    /// The 公民身份号码 of a person present at a window, or helped by a
    /// community agent: the application is theirs, made by the staff.
    pub for_person: Option<String>,
    /// With `for_person` online: the person's name, as on their ID card
    /// (a person applied for under a power of attorney).
    pub person_name: Option<String>,
    /// The person's consent was recorded (their signature at the window,
    /// the signed 代办 consent form, the 授权委托书 held).
    pub consent: bool,
    /// The channel.
    pub channel: Channel,
    /// From a phone (申报来源 3 rather than 2).
    pub mobile: bool,
    /// The API's Idempotency-Key, if given.
    pub key: Option<String>,
    /// Days a draft is kept after its last change.
    pub draft_days: i64,
    /// Drafts the acting person may have at once.
    pub drafts_per_account: i64,
    /// A community agent's confirmed consent (its row id) the draft starts
    /// under, for the person who gave it (see `consents`).
    pub confirmed: Option<i64>,
}

/// A draft started (or found again by its Idempotency-Key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// Public id.
    pub id: String,
    /// Revision.
    pub revision: i64,
    /// Whether an earlier request with the same key made it.
    pub again: bool,
}

/// A value typed, trimmed, when not blank.
fn typed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|x| !x.is_empty())
}

fn body_hash(s: &Start) -> String {
    let mut text = format!(
        "{}\n{}\n{}",
        s.task_code.trim().to_ascii_uppercase(),
        s.situation.as_deref().unwrap_or(""),
        s.on_behalf_of
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase()
    );
    // Only when given, so that keys kept from before still match.
    if let Some(id) = typed(&s.for_person) {
        text.push('\n');
        text.push_str(&id.to_ascii_uppercase());
    }
    if let Some(name) = typed(&s.person_name) {
        text.push('\n');
        text.push_str(name);
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn by_key(
    db: &Db,
    account: i64,
    key: &str,
) -> Result<Option<(String, String, i64)>, DbError> {
    let r = crate::platform::db::query(
        "SELECT r.body_hash, a.public_id, a.revision FROM application_requests r \
         JOIN applications a ON a.id = r.application_id \
         WHERE r.account_id = $1 AND r.idem_key = $2 AND r.created_at > $3",
    )
    .bind(account)
    .bind(key)
    .bind(now_ms() - 24 * 3600 * 1000)
    .fetch_optional(&db)
    .await?;
    r.map(|r| {
        Ok((
            r.try_get("body_hash")?,
            r.try_get("public_id")?,
            r.try_get("revision")?,
        ))
    })
    .transpose()
}

/// Who applies: the applicant account, and the authority of the actor.
async fn applicant(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    s: &Start,
    item: &catalog::Published,
) -> Result<(i64, Authority), ApplicationError> {
    let catalog_code = item.catalog_code.as_str();
    if let Some(consent) = s.confirmed {
        let (person, task_code, _) = super::consents::usable(db, actor, consent).await?;
        return if task_code == item.task_code {
            Ok((person, Authority::Consent))
        } else {
            Err(ApplicationError::NotAuthorised)
        };
    }
    if let Some(id) = typed(&s.for_person) {
        return match s.channel {
            Channel::Window => for_person(db, key, actor, s, id, &item.org.path).await,
            // A community agent asks the person's consent first, and
            // learns nothing of them until it is confirmed.
            Channel::Agent => Err(ApplicationError::Invalid(vec![FieldProblem::new(
                "for_person",
                "application.consent_needed",
                "请先请申请人确认代办（POST /api/v1/consents），再凭确认开始申请",
            )])),
            _ => attorney_for(db, key, actor, s, id).await,
        };
    }
    let Some(code) = typed(&s.on_behalf_of) else {
        return Ok((actor.account.id, Authority::Own));
    };
    let code = CreditCode::parse(code)
        .map_err(|e| ApplicationError::Invalid(vec![e.problem("on_behalf_of")]))?;
    let row = crate::platform::db::query("SELECT id FROM accounts WHERE credit_code = $1 AND kind = 'enterprise' AND status = 'active'")
        .bind(code.as_str())
        .fetch_optional(&db)
        .await?;
    let Some(r) = row else {
        return Err(ApplicationError::NotAuthorised);
    };
    let enterprise: i64 = r.try_get("id")?;
    if enterprise == actor.account.id {
        return Ok((enterprise, Authority::Own));
    }
    match agents::live_mandate(db, actor.account.id, enterprise).await? {
        Some(m) if m.covers(catalog_code) => Ok((enterprise, Authority::Mandate(m.id))),
        _ => Err(ApplicationError::NotAuthorised),
    }
}

/// The person a window clerk applies for, present at the window: found by
/// their ID number among the accounts (a person without one is registered
/// at the counter first), with their signature recorded.
async fn for_person(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    s: &Start,
    id: &str,
    org_path: &str,
) -> Result<(i64, Authority), ApplicationError> {
    let authority = match s.channel {
        Channel::Window if actor.has_role(Role::WindowClerk) => Authority::Window,
        _ => return Err(ApplicationError::NotAuthorised),
    };
    // A clerk takes in applications only for the items of the departments
    // with a window at their centre (or of their own organisation).
    if authority == Authority::Window
        && !super::acceptance::covers(&super::acceptance::accepting_at(db, actor).await?, org_path)
    {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "item",
            "application.not_at_this_window",
            "该事项不在本窗口的受理范围内，请引导申请人到办理该事项的窗口",
        )]));
    }
    let id = IdCardNo::parse(id)
        .map_err(|e| ApplicationError::Invalid(vec![e.problem("for_person")]))?;
    let mut problems = Vec::new();
    if !s.consent {
        problems.push(FieldProblem::new(
            "consent",
            "application.consent",
            "请确认已核验申请人身份并取得其签字同意",
        ));
    }
    let found = crate::platform::db::query("SELECT id FROM accounts WHERE id_number_hash = $1 AND kind = 'person' AND status = 'active'")
        .bind(key.lookup_hash(id.as_str()))
        .fetch_optional(&db)
        .await?;
    let Some(r) = found else {
        problems.push(FieldProblem::new(
            "for_person",
            "application.person_unknown",
            "该申请人尚未实名登记，请先在窗口为其登记",
        ));
        return Err(ApplicationError::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(ApplicationError::Invalid(problems));
    }
    Ok((r.try_get("id")?, authority))
}

/// Attempts to name a person to apply for under a power of attorney, per
/// acting person and hour: enough for a family's or a firm's errands, too
/// few to probe who has an account.
const ATTORNEY_LOOKUPS_PER_HOUR: i64 = 10;

/// The person applied for under a power of attorney (授权委托书), online:
/// a real-name account whose name and ID number are those given (both,
/// so that nobody learns whose number has an account), not the acting
/// person, the 授权委托书 held (it is then asked for as a material); the
/// lookups are throttled. Nothing of the person's account is shown or
/// filled in beyond what was typed.
async fn attorney_for(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    s: &Start,
    id: &str,
) -> Result<(i64, Authority), ApplicationError> {
    if actor.account.kind != "person" {
        return Err(ApplicationError::NotAuthorised);
    }
    let named = super::naming::named(
        db,
        key,
        super::naming::Naming {
            bucket: format!("attorney:{}", actor.account.id),
            per_hour: ATTORNEY_LOOKUPS_PER_HOUR,
            id_number: id,
            name: typed(&s.person_name).unwrap_or(""),
            consent: s.consent,
            name_missing: FieldProblem::new(
                "person_name",
                "required",
                "请填写被委托办理的申请人姓名",
            ),
            no_consent: FieldProblem::new(
                "consent",
                "application.attorney_consent",
                "请确认持有申请人签字的授权委托书，并将其作为材料上传",
            ),
            throttled: FieldProblem::new(
                "for_person",
                "application.attorney_throttled",
                "查询次数过多，请一小时后再试，或到窗口办理",
            ),
        },
    )
    .await?;
    let Some(principal) = named.map(|p| p.id) else {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "for_person",
            "application.principal_unknown",
            "没有与该姓名和公民身份号码相符的实名账号；申请人须先注册并实名，或到窗口办理",
        )]));
    };
    if principal == actor.account.id {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "for_person",
            "application.attorney_self",
            "为本人申请无需委托，请直接办理",
        )]));
    }
    Ok((principal, Authority::Attorney))
}

/// The answers the account already gives (一次告知、不再填写): what the
/// form marks prefilled, from the acting person (name, ID number, phone)
/// and the applicant enterprise (name, credit code, legal representative).
async fn prefill(
    db: &Db,
    key: &DataKey,
    form: &FormDef,
    acting: i64,
    applicant: i64,
) -> Result<Map<String, Value>, DbError> {
    let mut out = Map::new();
    let wanted: Vec<(&str, Prefill)> = form
        .top_fields()
        .filter_map(|(_, f)| f.prefill.map(|p| (f.key.as_str(), p)))
        .collect();
    if wanted.is_empty() {
        return Ok(out);
    }
    let row = |id: i64| async move {
        crate::platform::db::query(
            "SELECT display_name, kind, phone, credit_code, legal_representative FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&db)
        .await
    };
    let person = row(acting).await?;
    let org = row(applicant).await?;
    let is_enterprise = org.try_get::<String, _>("kind")? == "enterprise";
    for (field, p) in wanted {
        let value: Option<String> = match p {
            Prefill::Name => Some(person.try_get("display_name")?),
            Prefill::Phone => person.try_get("phone")?,
            Prefill::IdNumber => realname::id_number(db, key, acting).await?,
            Prefill::EnterpriseName if is_enterprise => Some(org.try_get("display_name")?),
            Prefill::CreditCode if is_enterprise => org.try_get("credit_code")?,
            Prefill::LegalRepresentative if is_enterprise => org.try_get("legal_representative")?,
            _ => None,
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.insert(field.to_owned(), Value::String(v));
        }
    }
    Ok(out)
}

/// The name and ID number of a person applied for under a power of
/// attorney, in the fields the form fills with them.
fn given(form: &FormDef, name: &str, id: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for (_, f) in form.top_fields() {
        let value = match f.prefill {
            Some(Prefill::Name) => name.trim().to_owned(),
            Some(Prefill::IdNumber) => id.trim().to_ascii_uppercase(),
            _ => continue,
        };
        if !value.is_empty() {
            out.insert(f.key.clone(), Value::String(value));
        }
    }
    out
}

/// Starts a draft for the signed-in person: the item must be published and
/// applied for online (depth Ⅱ and above), the person's real-name level at
/// least the item's minimum, and an enterprise applied for must have given
/// them a live authorisation covering the item. The answers the account
/// gives are filled in. The same Idempotency-Key with the same request
/// gives the same draft for 24 hours; with another request it is refused.
/// After the 24 hours the key starts a new draft.
pub async fn start(
    db: &Db,
    key: &DataKey,
    actor: &Principal,
    s: Start,
) -> Result<Started, ApplicationError> {
    let hash = body_hash(&s);
    if let Some(k) = &s.key
        && let Some((h, id, revision)) = by_key(db, actor.account.id, k).await?
    {
        return if h == hash {
            Ok(Started {
                id,
                revision,
                again: true,
            })
        } else {
            Err(ApplicationError::KeyReused)
        };
    }
    let p = catalog::published(db, &s.task_code)
        .await?
        .ok_or(ApplicationError::NotFound)?;
    let g = &p.guide;
    if g.online_depth < 2 {
        return Err(ApplicationError::NotOnline);
    }
    let situation = s.situation.clone().unwrap_or_default();
    if !situation.is_empty() && !g.situations.iter().any(|x| x.code == situation) {
        return Err(ApplicationError::Invalid(vec![
            FieldProblem::new("situation", "invalid", "该事项没有这个业务办理项")
                .with("value", situation),
        ]));
    }
    let (applicant_id, authority) = applicant(db, key, actor, &s, &p).await?;
    // A work account applies for the people at the window, never for
    // the member of staff: they apply with their own account.
    if authority == Authority::Own && actor.account.kind == "staff" {
        return Err(ApplicationError::Invalid(vec![FieldProblem::new(
            "for_person",
            "application.staff_own",
            "工作账号不能为本人申请：请填写到场申请人的身份证号码；本人办事请用个人账号",
        )]));
    }
    // Only those the item serves (its 服务对象) apply for it.
    let credit: Option<String> =
        crate::platform::db::query("SELECT credit_code FROM accounts WHERE id = $1")
            .bind(applicant_id)
            .fetch_one(&db)
            .await?
            .try_get("credit_code")?;
    if let Some(problem) = super::not_served(g, credit.as_deref()) {
        return Err(ApplicationError::Invalid(vec![problem]));
    }
    // A person applied for at a window or by an agent answers as themselves;
    // at a window their identity was just checked in person.
    let person = match authority {
        Authority::Window | Authority::Consent => applicant_id,
        _ => actor.account.id,
    };
    if authority != Authority::Window {
        let have = oidc::real_name_level(db, person).await?;
        if have < i64::from(g.min_level) {
            return Err(ApplicationError::LevelTooLow {
                need: g.min_level.into(),
                have,
            });
        }
    }
    let form = form_of(g, &situation);
    let fields = if authority == Authority::Attorney {
        // Only what the person acting typed: the name and ID number.
        given(
            &form,
            s.person_name.as_deref().unwrap_or(""),
            s.for_person.as_deref().unwrap_or(""),
        )
    } else {
        prefill(db, key, &form, person, applicant_id).await?
    };
    // Who the applicant is, once filled, is not an answer to edit.
    let locked: Vec<&str> = form
        .top_fields()
        .filter(|(_, f)| f.prefill.is_some_and(|p| p.identity()) && fields.contains_key(&f.key))
        .map(|(_, f)| f.key.as_str())
        .collect();
    let locked = serde_json::to_string(&locked).map_err(|e| DbError::Internal(e.to_string()))?;
    let public_id = hex::encode(rand::random::<[u8; 12]>());
    let doc = Value::Object(fields).to_string();
    let (item_id, version_no, task_code) = (p.item_id, p.version_no, p.task_code.clone());
    let acting = actor.account.id;
    let (channel, source) = (s.channel.code(), s.channel.source_code(s.mobile));
    let expires_in = s.draft_days * 86_400_000;
    let idem = s.key.clone();
    let id = public_id.clone();
    let max_drafts = s.drafts_per_account;
    let consent = s.confirmed;
    let (item_name, acting_name) = (g.name.clone(), actor.account.display_name.clone());
    let engine = db.engine();
    let written = db
        .write(crate::tx!(c => {
            let now = now_ms();
            // Counted in the transaction that adds one, so that parallel
            // starts cannot pass the bound together (SQLite has one writer;
            // on PostgreSQL the person's account row is locked first).
            if engine == crate::platform::db::Engine::Postgres {
                crate::platform::db::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                    .bind(acting)
                    .fetch_optional(&mut *c)
                    .await?;
            }
            let drafts: i64 = crate::platform::db::query(
                "SELECT COUNT(*) AS n FROM applications WHERE acting_id = $1 AND state = 'draft'",
            )
            .bind(acting)
            .fetch_one(&mut *c)
            .await?
            .try_get("n")?;
            if drafts >= max_drafts {
                return Err(ApplicationError::Invalid(vec![
                    FieldProblem::new(
                        "item",
                        "application.too_many_drafts",
                        "未提交的申请草稿已达上限，请先提交或删除一些草稿",
                    )
                    .with("max", max_drafts.to_string()),
                ]));
            }
            let row = crate::platform::db::query(
                "INSERT INTO applications (public_id, item_id, task_code, version_no, situation_code, applicant_id, \
                 acting_id, authority, channel, source_code, state, fields, revision, created_at, updated_at, expires_at, locked_fields) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, 1, $12, $12, $13, $14) RETURNING id",
            )
            .bind(&id)
            .bind(item_id)
            .bind(&task_code)
            .bind(version_no)
            .bind(&situation)
            .bind(applicant_id)
            .bind(acting)
            .bind(authority.code())
            .bind(channel)
            .bind(source)
            .bind(&doc)
            .bind(now)
            .bind(now + expires_in)
            .bind(&locked)
            .fetch_one(&mut *c)
            .await?;
            let app_id: i64 = row.try_get("id")?;
            if let Some(k) = &idem {
                // A key past its 24 hours is a new request: its old row
                // gives way here, or the insert below would collide with
                // it for ever. A live row stays and collides (a parallel
                // request with the same key, handled below).
                crate::platform::db::query(
                    "DELETE FROM application_requests \
                     WHERE account_id = $1 AND idem_key = $2 AND created_at <= $3",
                )
                .bind(acting)
                .bind(k)
                .bind(now - 24 * 3600 * 1000)
                .execute(&mut *c)
                .await?;
                crate::platform::db::query(
                    "INSERT INTO application_requests (account_id, idem_key, body_hash, application_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(acting)
                .bind(k)
                .bind(&hash)
                .bind(app_id)
                .bind(now)
                .execute(&mut *c)
                .await?;
            }
            event(c, app_id, "started", Some(acting), &format!("{channel} {}", authority.code()), now).await?;
            if let Some(consent) = consent {
                // One application per consent.
                // Checked again here: a consent withdrawn since it was read
                // starts nothing.
                let n = crate::platform::db::query(
                    "UPDATE consents SET application_id = $1 WHERE id = $2 AND application_id IS NULL \
                     AND withdrawn_at IS NULL AND confirmed_at IS NOT NULL",
                )
                    .bind(app_id)
                    .bind(consent)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                if n != 1 {
                    return Err(ApplicationError::Conflict);
                }
                crate::platform::db::query("UPDATE applications SET consent_id = $1 WHERE id = $2")
                    .bind(consent)
                    .bind(app_id)
                    .execute(&mut *c)
                    .await?;
            }
            // The person is told of every draft someone starts for them.
            if applicant_id != acting {
                let n = crate::identity::contacts::Notice {
                    topic: "applications.started_for_you".into(),
                    dedupe_key: format!("applications.started_for_you:{id}"),
                    templates: &super::expiry::TEMPLATES,
                    template: "started_for_you",
                    values: &[("item", &item_name), ("acting", &acting_name)],
                    link: Some(format!("/applications/{id}")),
                };
                crate::identity::contacts::tell(c, applicant_id, &n).await?;
            }
            Ok::<_, ApplicationError>(())
        }))
        .await;
    match written {
        Ok(()) => Ok(Started {
            id: public_id,
            revision: 1,
            again: false,
        }),
        // A parallel request with the same key won: its draft is the one.
        Err(ApplicationError::Db(e)) if e.is_unique_violation() && s.key.is_some() => {
            let k = s.key.as_deref().unwrap_or_default();
            match by_key(db, actor.account.id, k).await? {
                Some((h, id, revision)) if h == body_hash(&s) => Ok(Started {
                    id,
                    revision,
                    again: true,
                }),
                Some(_) => Err(ApplicationError::KeyReused),
                None => Err(ApplicationError::Db(e)),
            }
        }
        Err(e) => Err(e),
    }
}

async fn event(
    c: &mut AnyConnection,
    application_id: i64,
    kind: &str,
    actor: Option<i64>,
    detail: &str,
    now: Millis,
) -> Result<(), DbError> {
    crate::platform::db::query(
        "INSERT INTO application_events (application_id, kind, actor_id, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(application_id)
    .bind(kind)
    .bind(actor)
    .bind(detail)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}
