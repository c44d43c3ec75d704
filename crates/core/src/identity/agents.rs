//! 经办人授权: an enterprise names the people who may act for it, for which
//! items (基本编码, or all) and until when; it can revoke them at any time.
//! An agent switches its session to act for the enterprise and is held to
//! that scope wherever the platform checks it.

use tongban_domain::identity::AccountKind;

use super::accounts::{self, Principal};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use tongban_domain::FieldProblem;

/// The longest an authorisation may run.
pub const MAX_DAYS: i64 = 366;

/// One authorisation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mandate {
    /// Row id.
    pub id: i64,
    /// The enterprise account.
    pub enterprise_id: i64,
    /// Its name.
    pub enterprise_name: String,
    /// Its 统一社会信用代码.
    pub credit_code: String,
    /// The agent account.
    pub agent_id: i64,
    /// The agent's name.
    pub agent_name: String,
    /// The agent's username.
    pub agent_username: String,
    /// Catalog codes, or empty for every item.
    pub items: Vec<String>,
    /// Until.
    pub expires_at: Millis,
    /// Revoked when.
    pub revoked_at: Option<Millis>,
}

impl Mandate {
    /// Whether it is in force at `now`.
    pub fn live(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// Whether it covers the item with this 基本编码.
    pub fn covers(&self, catalog_code: &str) -> bool {
        self.items.is_empty() || self.items.iter().any(|c| c == catalog_code)
    }
}

/// Why an authorisation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Not an enterprise account.
    #[error("只有法人账号可以授权经办人")]
    Forbidden,
    /// Field problems.
    #[error("授权信息有误")]
    Invalid(Vec<FieldProblem>),
    /// No such authorisation.
    #[error("授权不存在")]
    NotFound,
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

const COLS: &str = "m.id, m.enterprise_id, e.display_name AS enterprise_name, \
     COALESCE(e.credit_code, '') AS credit_code, m.agent_id, a.display_name AS agent_name, \
     a.username AS agent_username, m.items, m.expires_at, m.revoked_at";

fn from_row(r: &crate::platform::db::Row) -> Result<Mandate, DbError> {
    Ok(Mandate {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        credit_code: r.try_get("credit_code")?,
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("agent_name")?,
        agent_username: r.try_get("agent_username")?,
        items: r
            .try_get::<String, _>("items")?
            .split(' ')
            .filter(|s| !s.is_empty() && *s != "*")
            .map(str::to_owned)
            .collect(),
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

async fn query(db: &Db, filter: &str, id: i64) -> Result<Vec<Mandate>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM enterprise_agents m JOIN accounts e ON e.id = m.enterprise_id \
         JOIN accounts a ON a.id = m.agent_id WHERE {filter} = $1 ORDER BY m.revoked_at IS NOT NULL, m.expires_at DESC"
    );
    let rows = crate::platform::db::query(sql)
        .bind(id)
        .fetch_all(&db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The authorisations an enterprise has given (revoked ones last).
pub async fn given_by(db: &Db, enterprise_id: i64) -> Result<Vec<Mandate>, DbError> {
    query(db, "m.enterprise_id", enterprise_id).await
}

/// The authorisations a person holds.
pub async fn held_by(db: &Db, agent_id: i64) -> Result<Vec<Mandate>, DbError> {
    query(db, "m.agent_id", agent_id).await
}

/// The live authorisation of `agent_id` for `enterprise_id`, if any.
pub async fn live_mandate(
    db: &Db,
    agent_id: i64,
    enterprise_id: i64,
) -> Result<Option<Mandate>, DbError> {
    let now = now_ms();
    Ok(held_by(db, agent_id)
        .await?
        .into_iter()
        .find(|m| m.enterprise_id == enterprise_id && m.live(now)))
}

/// Whether `agent_id` may act for `enterprise_id` on the item `catalog_code`.
pub async fn may_act(
    db: &Db,
    agent_id: i64,
    enterprise_id: i64,
    catalog_code: &str,
) -> Result<bool, DbError> {
    Ok(live_mandate(db, agent_id, enterprise_id)
        .await?
        .is_some_and(|m| m.covers(catalog_code)))
}

/// An authorisation as the enterprise typed it.
#[derive(Debug, Clone, Default)]
pub struct MandateForm {
    /// The agent's username.
    pub agent: String,
    /// Catalog codes, separated by spaces, commas or lines; empty for all.
    pub items: String,
    /// Last day (YYYY-MM-DD, Beijing time), inclusive.
    pub until: String,
}

/// Authorises a person to act for the enterprise.
pub async fn grant(db: &Db, enterprise: &Principal, f: &MandateForm) -> Result<i64, AgentError> {
    if enterprise.account.kind != AccountKind::Enterprise.code() {
        return Err(AgentError::Forbidden);
    }
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: String, value: &str| {
        problems.push(FieldProblem::new(field, code, message).with("value", value));
    };
    let agent = accounts::by_username(db, &f.agent).await?;
    let agent = match agent {
        Some(a) if a.kind == AccountKind::Person.code() && a.status == "active" => Some(a),
        Some(_) => {
            problem(
                "agent",
                "not_person",
                "经办人须为已实名的自然人账号".into(),
                "",
            );
            None
        }
        None => {
            problem("agent", "not_found", "未找到该用户名".into(), "");
            None
        }
    };
    let items: Vec<String> = f
        .items
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for code in &items {
        let known =
            crate::platform::db::query("SELECT 1 FROM catalog_entries WHERE catalog_code = $1")
                .bind(code)
                .fetch_optional(&db)
                .await?
                .is_some();
        if !known {
            problem(
                "items",
                "not_found",
                format!("事项基本编码 {code} 不存在"),
                code,
            );
        }
    }
    let now = now_ms();
    let until = crate::platform::clock::parse_cst_date(f.until.trim())
        .map(|start| start + 24 * 3600 * 1000);
    match until {
        None => problem(
            "until",
            "bad_date",
            "请填写有效期，格式为 2026-12-31".into(),
            "",
        ),
        Some(u) if u <= now => problem("until", "not_future", "有效期应晚于今天".into(), ""),
        Some(u) if u > now + MAX_DAYS * 24 * 3600 * 1000 => {
            problem("until", "too_far", "授权期限最长一年".into(), "")
        }
        Some(_) => {}
    }
    let (Some(agent), Some(until), true) = (agent, until, problems.is_empty()) else {
        return Err(AgentError::Invalid(problems));
    };
    let (enterprise_id, agent_id) = (enterprise.account.id, agent.id);
    let items = if items.is_empty() {
        "*".to_owned()
    } else {
        items.join(" ")
    };
    Ok(db
        .write(crate::tx!(c => {
                // One live authorisation per agent: a new one replaces it.
                crate::platform::db::query(
                    "UPDATE enterprise_agents SET revoked_at = $1 WHERE enterprise_id = $2 AND agent_id = $3 \
                     AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(enterprise_id)
                .bind(agent_id)
                .execute(&mut *c)
                .await?;
                let id: i64 = crate::platform::db::query(
                    "INSERT INTO enterprise_agents (enterprise_id, agent_id, items, granted_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(enterprise_id)
                .bind(agent_id)
                .bind(&items)
                .bind(now)
                .bind(until)
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?;
                crate::platform::outbox::append(
                    c,
                    "agent.granted",
                    &serde_json::json!({"enterprise_id": enterprise_id, "agent_id": agent_id, "mandate": id}),
                    now,
                )
                .await?;
                Ok::<_, DbError>(id)
            }))
        .await?)
}

/// Revokes an authorisation the enterprise gave; sessions acting on it stop.
pub async fn revoke(db: &Db, enterprise: &Principal, mandate_id: i64) -> Result<(), AgentError> {
    let enterprise_id = enterprise.account.id;
    db.write(crate::tx!(c => {
            let now = now_ms();
            let row = crate::platform::db::query(
                "UPDATE enterprise_agents SET revoked_at = $1 WHERE id = $2 AND enterprise_id = $3 \
                 AND revoked_at IS NULL RETURNING agent_id",
            )
            .bind(now)
            .bind(mandate_id)
            .bind(enterprise_id)
            .fetch_optional(&mut *c)
            .await?;
            let Some(r) = row else { return Err(AgentError::NotFound) };
            let agent_id: i64 = r.try_get(0)?;
            crate::platform::db::query("UPDATE sessions SET acting_for = NULL WHERE account_id = $1 AND acting_for = $2")
                .bind(agent_id)
                .bind(enterprise_id)
                .execute(&mut *c)
                .await?;
            crate::platform::db::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND acting_for = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(agent_id)
            .bind(enterprise_id)
            .execute(&mut *c)
            .await?;
            crate::platform::outbox::append(
                c,
                "agent.revoked",
                &serde_json::json!({"enterprise_id": enterprise_id, "agent_id": agent_id, "mandate": mandate_id}),
                now,
            )
            .await?;
            Ok(())
        }))
    .await
}

/// Switches a session to act for an enterprise (with a live authorisation),
/// or back to the person (`None`).
pub async fn act_for(
    db: &Db,
    token_hash: &str,
    agent_id: i64,
    enterprise_id: Option<i64>,
) -> Result<(), AgentError> {
    if let Some(e) = enterprise_id
        && live_mandate(db, agent_id, e).await?.is_none()
    {
        return Err(AgentError::NotFound);
    }
    let hash = token_hash.to_owned();
    db.write(crate::tx!(c => {
        crate::platform::db::query(
            "UPDATE sessions SET acting_for = $1 WHERE token_hash = $2 AND account_id = $3",
        )
        .bind(enterprise_id)
        .bind(&hash)
        .bind(agent_id)
        .execute(c)
        .await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    Ok(())
}

/// The enterprise a session acts for, when its authorisation is still live.
pub async fn acting(db: &Db, token_hash: &str) -> Result<Option<Mandate>, DbError> {
    let row = crate::platform::db::query(
        "SELECT account_id, acting_for FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let (agent, enterprise): (i64, Option<i64>) =
        (r.try_get("account_id")?, r.try_get("acting_for")?);
    match enterprise {
        Some(e) => live_mandate(db, agent, e).await,
        None => Ok(None),
    }
}
