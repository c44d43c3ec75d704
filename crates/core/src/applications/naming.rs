//! Naming another person by name and 公民身份号码, as a representative under
//! a 授权委托书 or a community agent does: both required with the signed
//! paper held, throttled per acting person, and matched only when the name
//! is the account's too, so that nobody learns whose number has an account.

use tongban_domain::FieldProblem;
use tongban_domain::kernel::IdCardNo;

use super::ApplicationError;
use crate::platform::crypto::DataKey;
use crate::platform::db::Db;
use crate::platform::throttle;

/// How one way of naming a person asks and words it.
pub(super) struct Naming<'a> {
    /// The throttle's bucket (per acting person).
    pub bucket: String,
    /// Lookups per hour.
    pub per_hour: i64,
    /// The number typed.
    pub id_number: &'a str,
    /// The name typed.
    pub name: &'a str,
    /// The signed paper is held.
    pub consent: bool,
    /// What a missing name is told.
    pub name_missing: FieldProblem,
    /// What a missing tick is told.
    pub no_consent: FieldProblem,
    /// What too many lookups are told.
    pub throttled: FieldProblem,
}

/// A person named: their account and phone of record.
pub(super) struct Named {
    /// The account.
    pub id: i64,
    /// Its phone of record.
    pub phone: Option<String>,
}

/// Every problem of the request at once; then the throttle; then the
/// person whose number and name both match an active real-name account,
/// or none (told nothing more).
pub(super) async fn named(
    db: &Db,
    key: &DataKey,
    n: Naming<'_>,
) -> Result<Option<Named>, ApplicationError> {
    let mut problems = Vec::new();
    let id = match IdCardNo::parse(n.id_number.trim()) {
        Ok(id) => Some(id),
        Err(e) => {
            problems.push(e.problem("for_person"));
            None
        }
    };
    let name = n.name.trim();
    if name.is_empty() {
        problems.push(n.name_missing);
    }
    if !n.consent {
        problems.push(n.no_consent);
    }
    let Some(id) = id.filter(|_| problems.is_empty()) else {
        return Err(ApplicationError::Invalid(problems));
    };
    let limit = throttle::Limit {
        max: n.per_hour,
        window_ms: 3600 * 1000,
    };
    if throttle::count(db, &n.bucket, limit).await?.is_err() {
        return Err(ApplicationError::Invalid(vec![n.throttled]));
    }
    let found = crate::platform::db::query(
        "SELECT id, display_name, phone FROM accounts WHERE id_number_hash = $1 AND kind = 'person' AND status = 'active'",
    )
    .bind(key.lookup_hash(id.as_str()))
    .fetch_optional(&db)
    .await?;
    Ok(match found {
        Some(r) if r.try_get::<String, _>("display_name")?.trim() == name => Some(Named {
            id: r.try_get("id")?,
            phone: r.try_get("phone")?,
        }),
        _ => None,
    })
}
