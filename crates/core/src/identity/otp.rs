//! One-time codes sent by SMS or email (password reset). Six digits, ten
//! minutes, five tries; only a hash is stored; sending is rate-limited per
//! account so that nobody can flood a phone.

use rand::Rng;
use sqlx::Row;
use tongban_domain::identity::check_password_policy;

use super::accounts::AuthError;
use super::{password, sessions};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::notify::{Channel, Message, Notifier, NotifyError};
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

impl From<sqlx::Error> for OtpError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
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
    let row = sqlx::query("SELECT id, phone, email, status FROM accounts WHERE username = $1")
        .bind(username.trim().to_ascii_lowercase())
        .fetch_optional(db.pool())
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

/// Asks for a password-reset code for the account named `username` on
/// `channel`. The answer is the same whether or not such an account exists
/// and has that contact, and takes the same time: the limit is counted on
/// the name as typed, and the code is delivered in the background (a
/// failure is logged; the person asks again).
pub async fn request_reset(
    db: &Db,
    notifier: &Notifier,
    username: &str,
    channel: Channel,
) -> Result<(), OtpError> {
    let name = username.trim().to_ascii_lowercase();
    if let Err(until) = throttle::count(db, &format!("reset:{name}"), SEND_LIMIT).await? {
        return Err(OtpError::TooMany { until });
    }
    if let Some((id, to)) = contact(db, &name, channel).await? {
        let (db, notifier) = (db.clone(), notifier.clone());
        tokio::spawn(async move {
            if let Err(e) = deliver(&db, &notifier, id, &to, channel, "reset").await {
                tracing::error!(account.id = id, error = %e, "reset code not sent");
            }
        });
    }
    Ok(())
}

/// Sends a new code for `purpose` to the account's contact, at most
/// [`SENDS_PER_HOUR`] an hour per account.
pub async fn send(
    db: &Db,
    notifier: &Notifier,
    account_id: i64,
    to: &str,
    channel: Channel,
    purpose: &str,
) -> Result<(), OtpError> {
    let key = format!("otp:{account_id}");
    if let Err(until) = throttle::count(db, &key, SEND_LIMIT).await? {
        return Err(OtpError::TooMany { until });
    }
    deliver(db, notifier, account_id, to, channel, purpose).await
}

/// Sends a text notice (not a code) to an account's phone, counted against
/// the same hourly limit as codes.
pub async fn send_notice(
    db: &Db,
    notifier: &Notifier,
    account_id: i64,
    to: &str,
    body: &str,
) -> Result<(), OtpError> {
    let key = format!("otp:{account_id}");
    if let Err(until) = throttle::count(db, &key, SEND_LIMIT).await? {
        return Err(OtpError::TooMany { until });
    }
    notifier
        .send(&Message {
            channel: Channel::Sms,
            to: to.to_owned(),
            subject: "【通办】账号提醒".into(),
            body: body.to_owned(),
        })
        .await?;
    Ok(())
}

/// Stores a new code for `purpose` (voiding earlier ones of the same
/// purpose) and sends it.
async fn deliver(
    db: &Db,
    notifier: &Notifier,
    account_id: i64,
    to: &str,
    channel: Channel,
    purpose: &str,
) -> Result<(), OtpError> {
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let (hash, purpose_s) = (sessions::hash_token(&code), purpose.to_owned());
    db.write(crate::tx!(c => {
            let now = now_ms();
            sqlx::query(
                "UPDATE one_time_codes SET consumed_at = $1 WHERE account_id = $2 AND purpose = $3 AND consumed_at IS NULL",
            )
            .bind(now)
            .bind(account_id)
            .bind(&purpose_s)
            .execute(&mut *c)
            .await?;
            sqlx::query(
                "INSERT INTO one_time_codes (account_id, purpose, channel, code_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account_id)
            .bind(&purpose_s)
            .bind(channel.as_str())
            .bind(&hash)
            .bind(now)
            .bind(now + TTL_MS)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    notifier
        .send(&Message {
            channel,
            to: to.to_owned(),
            subject: "【通办】验证码".into(),
            body: format!(
                "【通办】您的验证码是 {code}，10分钟内有效，用于{}。如非本人操作，请忽略。工作人员不会向您索要验证码。",
                match purpose {
                    "register" => "注册账号",
                    _ => "重置密码",
                }
            ),
        })
        .await?;
    Ok(())
}

/// Checks a code; a right one is consumed, a wrong one counts a try.
pub async fn verify(db: &Db, account_id: i64, purpose: &str, code: &str) -> Result<(), OtpError> {
    let code = code.trim().to_owned();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OtpError::BadCode);
    }
    let hash = sessions::hash_token(&code);
    let purpose = purpose.to_owned();
    let ok = db
        .write(crate::tx!(c => {
            let now = now_ms();
            // The try is counted before the code is compared, by one
            // conditional update: parallel guesses at one code get
            // MAX_ATTEMPTS tries in all, on PostgreSQL as on SQLite.
            let row = sqlx::query(
                "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = \
                 (SELECT id FROM one_time_codes WHERE account_id = $1 AND purpose = $2 \
                  AND consumed_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1) \
                 AND attempts < $4 RETURNING id, code_hash",
            )
            .bind(account_id)
            .bind(&purpose)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .fetch_optional(&mut *c)
            .await?;
            let Some(r) = row else { return Ok::<_, DbError>(false) };
            let id: i64 = r.try_get("id")?;
            let stored: String = r.try_get("code_hash")?;
            let matches = stored.len() == hash.len()
                && stored.bytes().zip(hash.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
            if !matches {
                return Ok(false);
            }
            let n = sqlx::query(
                "UPDATE one_time_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected();
            Ok(matches && n == 1)
        }))
        .await?;
    if ok { Ok(()) } else { Err(OtpError::BadCode) }
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
            sqlx::query(
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
