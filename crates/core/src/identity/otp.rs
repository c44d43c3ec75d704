//! One-time codes sent by SMS or email (password reset, registration,
//! proving a new contact). Six digits, ten minutes, five tries; only a hash
//! is stored; sending is rate-limited per account so that nobody can flood
//! a phone.

use rand::Rng;
use tongban_domain::identity::check_password_policy;

use super::accounts::AuthError;
use super::{password, sessions};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::{Channel, NotifyError};
use crate::platform::throttle;

/// How long a code is valid.
pub const TTL_MS: i64 = 10 * 60 * 1000;
/// Wrong tries before a code is void.
pub const MAX_ATTEMPTS: i64 = 5;
/// Codes one account may be sent per hour.
pub const SENDS_PER_HOUR: i64 = 5;

/// Why a code could not be sent or was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// Too many codes sent lately.
    #[error("验证码发送过于频繁，请稍后再试")]
    TooMany {
        /// when sending is possible again
        until: Millis,
    },
    /// The account has no contact on that channel.
    #[error("账号未登记该联系方式")]
    NoContact,
    /// Wrong, used or expired code.
    #[error("验证码不正确或已过期")]
    BadCode,
    /// Sending failed.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The new password breaks the policy, or storage failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

const SEND_LIMIT: throttle::Limit = throttle::Limit {
    max: SENDS_PER_HOUR,
    window_ms: 3600 * 1000,
};

/// Masks a phone number or email address for display (`138****0001`).
pub fn mask(contact: &str) -> String {
    match contact.split_once('@') {
        Some((user, domain)) => {
            let keep: String = user.chars().take(2).collect();
            format!("{keep}***@{domain}")
        }
        None => {
            let chars: Vec<char> = contact.chars().collect();
            if chars.len() < 7 {
                return "****".into();
            }
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("{head}****{tail}")
        }
    }
}

/// The account's contact on a channel, by username.
pub async fn contact(
    db: &Db,
    username: &str,
    channel: Channel,
) -> Result<Option<(i64, String)>, DbError> {
    let row = crate::platform::db::query(
        "SELECT id, phone, email, status FROM accounts WHERE username = $1",
    )
    .bind(username.trim().to_ascii_lowercase())
    .fetch_optional(&db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    if r.try_get::<String, _>("status")? != "active" {
        return Ok(None);
    }
    let value: Option<String> = match channel {
        Channel::Sms => r.try_get("phone")?,
        Channel::Email => r.try_get("email")?,
    };
    Ok(value
        .filter(|v| !v.is_empty())
        .map(|v| (r.try_get::<i64, _>("id").unwrap_or(0), v)))
}

/// What a one-time code is for: each has its template (`code_<purpose>`
/// in `notices.toml`) and only verifies for the same purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// 重置密码 password reset.
    Reset,
    /// 注册 confirming an online registration.
    Register,
    /// 联系方式 proving a new email address or phone number.
    Contact,
}

impl Purpose {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Register => "register",
            Self::Contact => "contact",
        }
    }
}

/// Asks for a password-reset code for the account named `username` on
/// `channel`. The answer is the same whether or not such an account exists
/// and has that contact, and takes the same time: the limit is counted on
/// the name as typed, and the code is queued in the background (the
/// person asks again should that fail).
pub async fn request_reset(db: &Db, username: &str, channel: Channel) -> Result<(), OtpError> {
    let name = username.trim().to_ascii_lowercase();
    if let Err(until) = throttle::count(db, &format!("reset:{name}"), SEND_LIMIT).await? {
        return Err(OtpError::TooMany { until });
    }
    if let Some((id, to)) = contact(db, &name, channel).await? {
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(e) = deliver(&db, id, &to, channel, Purpose::Reset, None).await {
                tracing::error!(account.id = id, error = %e, "reset code not queued");
            }
        });
    }
    Ok(())
}

/// Sends a new code for `purpose` to `to` (the account's contact, or for
/// [`Purpose::Contact`] the address being proved, kept with the code), at
/// most [`SENDS_PER_HOUR`] an hour per account.
pub async fn send(
    db: &Db,
    account_id: i64,
    to: &str,
    channel: Channel,
    purpose: Purpose,
) -> Result<(), OtpError> {
    throttled(db, account_id).await?;
    let target = (purpose == Purpose::Contact).then(|| to.to_owned());
    deliver(db, account_id, to, channel, purpose, target).await
}

/// Counts one message against the account's hourly limit of codes and
/// account notices.
pub async fn throttled(db: &Db, account_id: i64) -> Result<(), OtpError> {
    match throttle::count(db, &format!("otp:{account_id}"), SEND_LIMIT).await? {
        Ok(()) => Ok(()),
        Err(until) => Err(OtpError::TooMany { until }),
    }
}

/// Stores a new code for `purpose` (voiding earlier ones of the same
/// purpose) and queues it in the account's language, in one transaction:
/// the code exists exactly when its message does. Codes never show in the
/// inbox, and their text is erased once sent.
async fn deliver(
    db: &Db,
    account_id: i64,
    to: &str,
    channel: Channel,
    purpose: Purpose,
    target: Option<String>,
) -> Result<(), OtpError> {
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let hash = sessions::hash_token(&code);
    let to = to.to_owned();
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "UPDATE one_time_codes SET consumed_at = $1 WHERE account_id = $2 AND purpose = $3 AND consumed_at IS NULL",
            )
            .bind(now)
            .bind(account_id)
            .bind(purpose.as_str())
            .execute(&mut *c)
            .await?;
            let row = crate::platform::db::query(
                "INSERT INTO one_time_codes (account_id, purpose, channel, code_hash, created_at, expires_at, target) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(account_id)
            .bind(purpose.as_str())
            .bind(channel.as_str())
            .bind(&hash)
            .bind(now)
            .bind(now + TTL_MS)
            .bind(&target)
            .fetch_one(&mut *c)
            .await?;
            let code_id: i64 = row.try_get("id")?;
            let n = super::contacts::Notice {
                topic: format!("identity.code.{}", purpose.as_str()),
                dedupe_key: format!("identity.code:{code_id}"),
                templates: &super::contacts::TEMPLATES,
                template: &format!("code_{}", purpose.as_str()),
                values: &[("code", &code)],
                link: None,
            };
            super::contacts::tell_at(c, account_id, &n, vec![(channel, to)], true).await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    db.jobs_queued();
    Ok(())
}

/// Checks a code; a right one is consumed, a wrong one counts a try.
/// Returns the address the code proves, for [`Purpose::Contact`].
pub async fn verify(
    db: &Db,
    account_id: i64,
    purpose: Purpose,
    code: &str,
) -> Result<Option<String>, OtpError> {
    let code = code.trim().to_owned();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OtpError::BadCode);
    }
    let hash = sessions::hash_token(&code);
    let purpose = purpose.as_str();
    let ok = db
        .write(crate::tx!(c => {
            let now = now_ms();
            // The try is counted before the code is compared, by one
            // conditional update: parallel guesses at one code get
            // MAX_ATTEMPTS tries in all, on PostgreSQL as on SQLite.
            let row = crate::platform::db::query(
                "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = \
                 (SELECT id FROM one_time_codes WHERE account_id = $1 AND purpose = $2 \
                  AND consumed_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1) \
                 AND attempts < $4 RETURNING id, code_hash, target",
            )
            .bind(account_id)
            .bind(purpose)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .fetch_optional(&mut *c)
            .await?;
            let Some(r) = row else { return Ok::<_, DbError>(None) };
            let id: i64 = r.try_get("id")?;
            let target: Option<String> = r.try_get("target")?;
            let stored: String = r.try_get("code_hash")?;
            let matches = stored.len() == hash.len()
                && stored.bytes().zip(hash.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
            if !matches {
                return Ok(None);
            }
            let n = crate::platform::db::query(
                "UPDATE one_time_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected();
            Ok((n == 1).then_some(target))
        }))
        .await?;
    ok.ok_or(OtpError::BadCode)
}

/// Resets a password after a code proved control of the contact: every
/// session and every token issued on the account's behalf ends.
pub async fn reset_password(
    db: &Db,
    account_id: i64,
    username: &str,
    new: &str,
) -> Result<(), OtpError> {
    check_password_policy(new, username).map_err(AuthError::Policy)?;
    let hash = password::hash(new.to_owned())
        .await
        .map_err(AuthError::from)?;
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "UPDATE accounts SET password_hash = $1, password_changed_at = $2, updated_at = $2, \
                 version = version + 1, failed_logins = 0, locked_until = NULL WHERE id = $3",
            )
            .bind(&hash)
            .bind(now)
            .bind(account_id)
            .execute(&mut *c)
            .await?;
            crate::platform::outbox::append(c, "account.password_reset", &serde_json::json!({"account_id": account_id}), now)
                .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    sessions::revoke_all(db, account_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_masked() {
        assert_eq!(mask("13800000001"), "138****0001");
        assert_eq!(
            mask("citizen@demo.tongban.invalid"),
            "ci***@demo.tongban.invalid"
        );
        assert_eq!(mask("123"), "****");
    }
}
