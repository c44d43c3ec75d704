//! 实名: natural persons' identity numbers (sealed at rest), their real-name
//! level, and registration or verification in person at a service window
//! (窗口注册: the clerk checks the ID card; the account defaults to the ID
//! number and gets a random initial password, 国办函〔2016〕108号 §5).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use tongban_domain::identity::{AccountKind, Username, check_password_policy};
use tongban_domain::kernel::{IdCardNo, IdCardNoError, Role};

use super::accounts::{self, AuthError, NewAccount, Principal};
use super::password;
use crate::platform::clock::now_ms;
use crate::platform::crypto::DataKey;
use crate::platform::db::{Db, DbError};
use tongban_domain::FieldProblem;

/// The level reached by checking the ID card in person.
pub const IN_PERSON_LEVEL: i64 = 4;

/// Why a registration or verification failed.
#[derive(Debug, thiserror::Error)]
pub enum RealNameError {
    /// Not a window clerk.
    #[error("无权办理实名注册")]
    Forbidden,
    /// Field problems.
    #[error("登记信息有误")]
    Invalid(Vec<FieldProblem>),
    /// The person already has an account.
    #[error("该身份证号已注册账号 {username}")]
    Exists {
        /// the existing account
        username: String,
    },
    /// No account has that ID number.
    #[error("未找到该身份证号的账号")]
    NotFound,
    /// Too many registrations from this address lately.
    #[error("注册请求过多，请稍后再试")]
    TooMany {
        /// when registering is possible again
        until: crate::platform::clock::Millis,
    },
    /// Account storage.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A person registered at the window.
#[derive(Debug, Clone, Default)]
pub struct PersonForm {
    /// 姓名.
    pub name: String,
    /// 公民身份号码.
    pub id_number: String,
    /// 手机号码.
    pub phone: String,
    /// 电子邮箱 (optional).
    pub email: String,
}

fn problem(field: &str, code: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem::new(field, code, message)
}

fn otp_code(e: &super::otp::OtpError) -> &'static str {
    match e {
        super::otp::OtpError::TooMany { .. } => "too_many",
        super::otp::OtpError::BadCode => "bad_code",
        super::otp::OtpError::NoContact => "no_contact",
        _ => "not_sent",
    }
}

fn bad_id(e: &IdCardNoError) -> FieldProblem {
    e.problem("id_number")
}

use tongban_domain::identity::phone_ok;

/// Checks a person's name, ID number and mobile number; returns them
/// cleaned, with every problem found.
fn check_person(
    name: &str,
    id_number: &str,
    phone: &str,
) -> (String, Option<IdCardNo>, String, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 50 {
        problems.push(problem("name", "required", "姓名不能为空，且不超过50个字"));
    }
    let id = match IdCardNo::parse(id_number) {
        Ok(id) => Some(id),
        Err(e) => {
            problems.push(bad_id(&e));
            None
        }
    };
    let phone = phone.trim().to_owned();
    if !phone_ok(&phone) {
        problems.push(problem("phone", "invalid", "手机号码应为11位数字"));
    }
    (name, id, phone, problems)
}

fn may_register(clerk: &Principal) -> bool {
    clerk.has_role(Role::WindowClerk) || clerk.has_role(Role::SystemAdmin)
}

/// Letters of an initial password read off a paper slip and typed on a
/// phone: capitals only (no case to mistake), without those read as a
/// digit or as each other (I L O for 1 0, S Z B G for 5 2 8 6, Q for O).
const SLIP_LETTERS: &[u8] = b"ACDEFHJKMNPRTUVWXY";
/// Digits without those read as letters (0 1 for O I, 2 5 8 6 for Z S B G).
const SLIP_DIGITS: &[u8] = b"3479";

/// A random initial password that meets the policy, in groups of four so
/// it is read and typed without losing one's place (the dashes are part
/// of it).
fn initial_password(username: &str) -> String {
    let mut rng = rand::rng();
    loop {
        let mut p = String::new();
        for i in 0..16 {
            if i > 0 && i % 4 == 0 {
                p.push('-');
            }
            let set = if i % 3 == 2 {
                SLIP_DIGITS
            } else {
                SLIP_LETTERS
            };
            p.push(char::from(set[rng.random_range(0..set.len())]));
        }
        if check_password_policy(&p, username).is_ok() {
            return p;
        }
    }
}

/// Registers a person at the window: level 4, username = ID number, a
/// random initial password (returned once, to hand over).
pub async fn register_at_counter(
    db: &Db,
    key: &DataKey,
    clerk: &Principal,
    f: &PersonForm,
) -> Result<(String, String), RealNameError> {
    if !may_register(clerk) {
        return Err(RealNameError::Forbidden);
    }
    let (name, id, phone, mut problems) = check_person(&f.name, &f.id_number, &f.phone);
    let email = f.email.trim().to_owned();
    if !email.is_empty()
        && (!email.contains('@') || email.len() > 100 || email.contains(char::is_whitespace))
    {
        problems.push(problem("email", "invalid", "电子邮箱格式不正确"));
    }
    let Some(id) = id.filter(|_| problems.is_empty()) else {
        return Err(RealNameError::Invalid(problems));
    };
    let id_hash = key.lookup_hash(id.as_str());
    if let Some(username) = username_by_hash(db, &id_hash).await? {
        return Err(RealNameError::Exists { username });
    }
    let username =
        Username::parse(&id.as_str().to_ascii_lowercase()).map_err(AuthError::Username)?;
    let initial = initial_password(username.as_str());
    let hash = password::hash(initial.clone())
        .await
        .map_err(AuthError::from)?;
    let sealed = STANDARD.encode(key.seal(id.as_str().as_bytes()));
    let clerk_id = clerk.account.id;
    let new = NewAccount {
        username: username.clone(),
        kind: AccountKind::Person,
        display_name: name,
        password_hash: hash,
        org_id: None,
        credit_code: None,
        created_by: Some(clerk_id),
    };
    let email = (!email.is_empty()).then_some(email);
    db.write(crate::tx!(c => {
            let now = now_ms();
            let account_id = accounts::insert(c, &new, now).await?;
            crate::platform::db::query(
                "UPDATE accounts SET id_number_sealed = $1, id_number_hash = $2, phone = $3, email = $4, \
                 real_name_level = $5 WHERE id = $6",
            )
            .bind(&sealed)
            .bind(&id_hash)
            .bind(&phone)
            .bind(&email)
            .bind(IN_PERSON_LEVEL)
            .bind(account_id)
            .execute(&mut *c)
            .await?;
            crate::platform::outbox::append(
                c,
                "account.registered_at_counter",
                &serde_json::json!({"account_id": account_id, "by": clerk_id, "level": IN_PERSON_LEVEL}),
                now,
            )
            .await?;
            Ok::<_, RealNameError>(())
        }))
    .await?;
    Ok((username.as_str().to_owned(), initial))
}

async fn username_by_hash(db: &Db, hash: &str) -> Result<Option<String>, DbError> {
    crate::platform::db::query("SELECT username FROM accounts WHERE id_number_hash = $1")
        .bind(hash)
        .fetch_optional(&db)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Verifies an existing person in person (ID card shown at the window): the
/// account reaches level 4; its ID number is recorded if it had none.
pub async fn verify_in_person(
    db: &Db,
    key: &DataKey,
    clerk: &Principal,
    username: &str,
    id_number: &str,
) -> Result<(), RealNameError> {
    if !may_register(clerk) {
        return Err(RealNameError::Forbidden);
    }
    let id = IdCardNo::parse(id_number).map_err(|e| RealNameError::Invalid(vec![bad_id(&e)]))?;
    let account = accounts::by_username(db, username)
        .await?
        .filter(|a| a.kind == AccountKind::Person.code())
        .ok_or(RealNameError::NotFound)?;
    let id_hash = key.lookup_hash(id.as_str());
    match username_by_hash(db, &id_hash).await? {
        Some(other) if other != account.username => {
            return Err(RealNameError::Exists { username: other });
        }
        _ => {}
    }
    let stored: Option<String> =
        crate::platform::db::query("SELECT id_number_hash FROM accounts WHERE id = $1")
            .bind(account.id)
            .fetch_one(&db)
            .await?
            .try_get(0)?;
    if stored.as_deref().is_some_and(|h| h != id_hash) {
        // The card shown is not the one the account was registered with.
        return Err(RealNameError::Invalid(vec![problem(
            "id_number",
            "not_this_account",
            "所出示证件与账号登记的身份证号不一致",
        )]));
    }
    let sealed = STANDARD.encode(key.seal(id.as_str().as_bytes()));
    let (account_id, clerk_id) = (account.id, clerk.account.id);
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "UPDATE accounts SET id_number_sealed = $1, id_number_hash = $2, real_name_level = $3, updated_at = $4 \
                 WHERE id = $5",
            )
            .bind(&sealed)
            .bind(&id_hash)
            .bind(IN_PERSON_LEVEL)
            .bind(now)
            .bind(account_id)
            .execute(&mut *c)
            .await?;
            crate::platform::outbox::append(
                c,
                "account.verified_in_person",
                &serde_json::json!({"account_id": account_id, "by": clerk_id, "level": IN_PERSON_LEVEL}),
                now,
            )
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(())
}

/// The account's ID number, decrypted (for the `id_number` claim and the
/// owner's own page, masked there).
pub async fn id_number(db: &Db, key: &DataKey, account_id: i64) -> Result<Option<String>, DbError> {
    let sealed: Option<String> =
        crate::platform::db::query("SELECT id_number_sealed FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .flatten();
    Ok(sealed.and_then(|s| open_id_number(key, &s)))
}

/// Opens a sealed ID number as stored (base64); `None` if it does not open.
pub fn open_id_number(key: &DataKey, sealed_b64: &str) -> Option<String> {
    STANDARD
        .decode(sealed_b64)
        .ok()
        .and_then(|b| key.open(&b).ok())
        .and_then(|p| String::from_utf8(p).ok())
}

/// How long a registration waiting for its code is held against a new
/// registration of the same ID number (a mistyped phone is fixed after it).
pub const PENDING_HOLD_MS: i64 = 30 * 60 * 1000;

/// Online registration (网上注册) as the person typed it.
#[derive(Debug, Clone, Default)]
pub struct OnlineForm {
    /// 姓名.
    pub name: String,
    /// 公民身份号码.
    pub id_number: String,
    /// 手机号码 (verified by a code before the account opens).
    pub phone: String,
    /// Password.
    pub password: String,
    /// The password typed again.
    pub confirm: String,
    /// Whether the person accepted the terms of service.
    pub agreed: bool,
    /// The address the request came from (ten attempts an hour each).
    pub address: String,
}

/// Online registrations one address may start per hour (each may send a text).
pub const REGISTRATIONS_PER_HOUR: i64 = 10;

/// Starts an online registration: checks the form, creates the account
/// waiting for its phone to be confirmed (status `pending`, level 1 once
/// confirmed; level 2 and above need checks against the population register
/// or a visit to a window), and sends a code to the phone. A pending
/// registration of the same ID number is replaced once it has waited
/// [`PENDING_HOLD_MS`]; before that, and for a number already registered,
/// the answer is the same as for a new registration and nothing changes:
/// the phone of record is told (so the form says nothing about who is
/// registered, and nobody who merely knows a number can take over a
/// registration in progress). Returns the username.
pub async fn register_online(
    db: &Db,
    key: &DataKey,
    f: &OnlineForm,
) -> Result<String, RealNameError> {
    let (name, id, phone, mut problems) = check_person(&f.name, &f.id_number, &f.phone);
    let username = id
        .as_ref()
        .and_then(|i| Username::parse(&i.as_str().to_ascii_lowercase()).ok());
    if let Some(u) = &username
        && let Err(p) = check_password_policy(&f.password, u.as_str())
    {
        problems.push(problem("password", p.code(), p.to_string()));
    }
    if f.password != f.confirm {
        problems.push(problem("confirm", "mismatch", "两次输入的密码不一致"));
    }
    if !f.agreed {
        problems.push(problem("agree", "required", "请阅读并同意服务协议"));
    }
    // Every problem is listed at once (一次性告知) before anything counts.
    let (Some(id), Some(username), true) = (id, username, problems.is_empty()) else {
        return Err(RealNameError::Invalid(problems));
    };
    // Each attempt that passes the checks may send a text.
    let limit = crate::platform::throttle::Limit {
        max: REGISTRATIONS_PER_HOUR,
        window_ms: 3600 * 1000,
    };
    let address_key = format!("register:{}", f.address);
    if let Err(until) = crate::platform::throttle::count(db, &address_key, limit).await? {
        return Err(RealNameError::TooMany { until });
    }
    let id_hash = key.lookup_hash(id.as_str());
    let existing = crate::platform::db::query(
        "SELECT id, username, status, phone, updated_at FROM accounts WHERE id_number_hash = $1",
    )
    .bind(&id_hash)
    .fetch_optional(&db)
    .await?;
    // The password is hashed on every path, so the answer takes as long
    // whether or not the number is already registered.
    let hash = password::hash(f.password.clone())
        .await
        .map_err(AuthError::from)?;
    let pending_id: Option<i64> = match existing {
        None => None,
        Some(r) => {
            let (account_id, status): (i64, String) = (r.try_get("id")?, r.try_get("status")?);
            let of_record: Option<String> = r.try_get("phone")?;
            let updated_at: i64 = r.try_get("updated_at")?;
            let open = status != "pending";
            if open || updated_at > now_ms() - PENDING_HOLD_MS {
                // Taken, or a registration still waiting for its code: the
                // answer is the one a new registration gets, and nothing
                // changes. The phone of record learns the rest (the account
                // exists; or the code again), so only its owner does.
                let existing_username: String = r.try_get("username")?;
                if let Some(to) = of_record.filter(|p| !p.is_empty()) {
                    let sent = if open {
                        super::contacts::remind_existing(db, account_id, &to, &existing_username)
                            .await
                    } else {
                        super::otp::send(
                            db,
                            account_id,
                            &to,
                            crate::platform::notify::Channel::Sms,
                            super::otp::Purpose::Register,
                        )
                        .await
                    };
                    match sent {
                        Ok(()) | Err(super::otp::OtpError::TooMany { .. }) => {}
                        Err(super::otp::OtpError::Db(e)) => return Err(e.into()),
                        Err(e) => {
                            tracing::warn!(account.id = account_id, error = %e, "registration notice not sent")
                        }
                    }
                }
                return Ok(username.as_str().to_owned());
            }
            Some(account_id)
        }
    };
    let sealed = STANDARD.encode(key.seal(id.as_str().as_bytes()));
    let new = NewAccount {
        username: username.clone(),
        kind: AccountKind::Person,
        display_name: name.clone(),
        password_hash: hash.clone(),
        org_id: None,
        credit_code: None,
        created_by: None,
    };
    let phone_w = phone.clone();
    let account_id = db
        .write(crate::tx!(c => {
                let now = now_ms();
                let account_id = match pending_id {
                    Some(id) => {
                        crate::platform::db::query(
                            "UPDATE accounts SET display_name = $1, password_hash = $2, updated_at = $3 WHERE id = $4",
                        )
                        .bind(&name)
                        .bind(&hash)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                        id
                    }
                    None => accounts::insert(c, &new, now).await?,
                };
                crate::platform::db::query(
                    "UPDATE accounts SET status = 'pending', id_number_sealed = $1, id_number_hash = $2, phone = $3, \
                     real_name_level = 1 WHERE id = $4",
                )
                .bind(&sealed)
                .bind(&id_hash)
                .bind(&phone_w)
                .bind(account_id)
                .execute(&mut *c)
                .await?;
                Ok::<_, RealNameError>(account_id)
            }))
        .await?;
    super::otp::send(
        db,
        account_id,
        &phone,
        crate::platform::notify::Channel::Sms,
        super::otp::Purpose::Register,
    )
    .await
    .map_err(|e| match e {
        super::otp::OtpError::Db(e) => RealNameError::Db(e),
        other => {
            RealNameError::Invalid(vec![problem("phone", otp_code(&other), other.to_string())])
        }
    })?;
    Ok(username.as_str().to_owned())
}

/// Confirms an online registration with the code sent to the phone: the
/// account opens at level 1. Returns its id.
pub async fn confirm_online(db: &Db, username: &str, code: &str) -> Result<i64, RealNameError> {
    let row = crate::platform::db::query(
        "SELECT id FROM accounts WHERE username = $1 AND status = 'pending'",
    )
    .bind(username.trim().to_ascii_lowercase())
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else {
        return Err(RealNameError::NotFound);
    };
    let account_id: i64 = r.try_get(0)?;
    super::otp::verify(db, account_id, super::otp::Purpose::Register, code)
        .await
        .map_err(|e| match e {
            super::otp::OtpError::Db(e) => RealNameError::Db(e),
            other => {
                RealNameError::Invalid(vec![problem("code", otp_code(&other), other.to_string())])
            }
        })?;
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query("UPDATE accounts SET status = 'active', updated_at = $1 WHERE id = $2 AND status = 'pending'")
                .bind(now)
                .bind(account_id)
                .execute(&mut *c)
                .await?;
            crate::platform::outbox::append(
                c,
                "account.registered_online",
                &serde_json::json!({"account_id": account_id, "level": 1}),
                now,
            )
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(account_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_initial_password_has_no_look_alikes_and_meets_the_policy() {
        for _ in 0..200 {
            let p = initial_password("230102199001011234");
            assert_eq!(p.len(), 19, "{p}");
            assert!(check_password_policy(&p, "230102199001011234").is_ok());
            assert!(
                p.chars()
                    .all(|c| !"012568BGILOQSZ".contains(c) && !c.is_ascii_lowercase()),
                "{p}"
            );
            assert_eq!(p.matches('-').count(), 3, "{p}");
        }
    }
}
