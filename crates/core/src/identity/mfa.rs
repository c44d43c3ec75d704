//! Second factor (TOTP): mandatory for staff, optional for others who enrol.
//! After the password, the browser holds a short-lived challenge; the code
//! completes the sign-in. A code's step is accepted once per account, and
//! wrong codes count towards the same lock as wrong passwords.

use rand::RngCore;
use tongban_domain::identity::totp;

use super::accounts;
use crate::platform::clock::{Millis, now_ms};
use crate::platform::crypto::DataKey;
use crate::platform::db::{Db, DbError};
use crate::platform::throttle::Refusal;

/// How long a challenge waits for its code.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong codes one challenge tolerates before it is dropped.
pub const MAX_ATTEMPTS: i64 = 5;

/// A pending second factor.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Account.
    pub account_id: i64,
    /// Its username (for the authenticator label).
    pub username: String,
    /// The secret being enrolled (base32), when the account has none yet.
    pub pending_secret: Option<String>,
    /// Where to go once signed in.
    pub next: String,
}

/// Why a code was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// Wrong, reused or stale code.
    #[error("动态验证码不正确或已使用")]
    BadCode,
    /// The challenge is unknown or expired: start again.
    #[error("验证已超时，请重新登录")]
    Expired,
    /// Too many failures.
    #[error("失败次数过多，账号已临时锁定")]
    Locked {
        /// when the lock ends
        until: Millis,
    },
    /// Too many steps of this account are being checked at once.
    #[error("验证请求过多，请稍后再试")]
    Busy,
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whether an account must give a second factor: staff always, others once
/// they have enrolled.
pub async fn required(db: &Db, account_id: i64) -> Result<bool, DbError> {
    let row = crate::platform::db::query("SELECT kind, totp_secret FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db)
        .await?;
    Ok(row.is_some_and(|r| {
        r.try_get::<String, _>("kind").is_ok_and(|k| k == "staff")
            || r.try_get::<Option<String>, _>(1).ok().flatten().is_some()
    }))
}

/// A TOTP secret as stored: sealed with the data key, base64.
pub fn seal_secret(key: &DataKey, secret_b32: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(key.seal(secret_b32.as_bytes()))
}

fn open_secret(key: &DataKey, stored: &str) -> Option<String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(stored)
        .ok()
        .and_then(|b| key.open(&b).ok())
        .and_then(|p| String::from_utf8(p).ok())
}

/// A new random secret, base32 (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::rng().fill_bytes(&mut b);
    totp::base32_encode(&b)
}

/// Opens a challenge after a correct password; returns its token.
pub async fn start(db: &Db, account_id: i64, next: &str) -> Result<String, DbError> {
    let enrolled = crate::platform::db::query("SELECT totp_secret FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&db)
        .await?
        .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
        .is_some();
    let pending = (!enrolled).then(new_secret);
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let (hash, next) = (super::sessions::hash_token(&token), next.to_owned());
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query("DELETE FROM login_challenges WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *c)
                .await?;
            crate::platform::db::query(
                "INSERT INTO login_challenges (token_hash, account_id, pending_secret, next, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&hash)
            .bind(account_id)
            .bind(&pending)
            .bind(&next)
            .bind(now + CHALLENGE_TTL_MS)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(token)
}

/// The live challenge of a token.
pub async fn challenge(db: &Db, token: &str) -> Result<Option<Challenge>, DbError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let row = crate::platform::db::query(
        "SELECT c.account_id, a.username, c.pending_secret, c.next FROM login_challenges c \
         JOIN accounts a ON a.id = c.account_id WHERE c.token_hash = $1 AND c.expires_at > $2",
    )
    .bind(super::sessions::hash_token(token))
    .bind(now_ms())
    .fetch_optional(&db)
    .await?;
    row.map(|r| {
        Ok(Challenge {
            account_id: r.try_get("account_id")?,
            username: r.try_get("username")?,
            pending_secret: r.try_get("pending_secret")?,
            next: r.try_get("next")?,
        })
    })
    .transpose()
}

/// Checks a code for an account and marks its step used; when `enrolling`
/// carries a new secret, the code is checked against it and it is stored.
/// Success clears the account's failure count.
pub async fn verify_code(
    db: &Db,
    key: &DataKey,
    account_id: i64,
    code: &str,
    enrolling: Option<&str>,
) -> Result<(), MfaError> {
    // Counted before it is checked, like a password (`accounts::claim_step`).
    match accounts::claim_step(db, account_id).await? {
        Ok(()) => {}
        Err(Refusal::Blocked { until }) => return Err(MfaError::Locked { until }),
        Err(Refusal::Busy) => return Err(MfaError::Busy),
    }
    let row = crate::platform::db::query(
        "SELECT totp_secret, totp_last_step FROM accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_optional(&db)
    .await?
    .ok_or(MfaError::Expired)?;
    // Stored secrets are sealed with the data key, like ID numbers.
    let stored: Option<String> = row
        .try_get::<Option<String>, _>(0)?
        .and_then(|s| open_secret(key, &s));
    let last: Option<i64> = row.try_get("totp_last_step")?;
    let failed = || async {
        Ok::<_, MfaError>(match accounts::step_failed(db, account_id).await? {
            Some(until) => MfaError::Locked { until },
            None => MfaError::BadCode,
        })
    };
    let Some(secret) = enrolling
        .map(str::to_owned)
        .or(stored)
        .and_then(|s| totp::base32_decode(&s))
    else {
        return Err(failed().await?);
    };
    let now_step = totp::step_of(now_ms() / 1000);
    let Some(step) = totp::matching_step(&secret, code, now_step, last) else {
        return Err(failed().await?);
    };
    let enrol = enrolling.map(|s| seal_secret(key, s));
    // Compare-and-set on the step: two requests with one code, one wins. A
    // lock closed by a parallel failure meanwhile refuses the right code too.
    let won = db
        .write(crate::tx!(c => {
            let n = crate::platform::db::query(
                "UPDATE accounts SET totp_last_step = $1, totp_secret = COALESCE($2, totp_secret), \
                 failed_logins = 0, \
                 pending_logins = CASE WHEN pending_logins > 0 THEN pending_logins - 1 ELSE 0 END \
                 WHERE id = $3 AND locked_until IS NULL \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(&enrol)
            .bind(account_id)
            .execute(c)
            .await?
            .rows_affected();
            Ok::<_, DbError>(n == 1)
        }))
        .await?;
    if won {
        Ok(())
    } else {
        // A replayed step is a failed step; so is a code that lost the race.
        Err(failed().await?)
    }
}

/// Completes a challenge with a code; returns the account and where to go.
/// A wrong code counts against the challenge and the account.
pub async fn finish(
    db: &Db,
    key: &DataKey,
    token: &str,
    code: &str,
) -> Result<(i64, String), MfaError> {
    let ch = challenge(db, token).await?.ok_or(MfaError::Expired)?;
    let hash = super::sessions::hash_token(token);
    match verify_code(db, key, ch.account_id, code, ch.pending_secret.as_deref()).await {
        Ok(()) => {
            db.write(crate::tx!(c => {
                crate::platform::db::query("DELETE FROM login_challenges WHERE token_hash = $1")
                    .bind(&hash)
                    .execute(c)
                    .await?;
                Ok::<_, DbError>(())
            }))
            .await?;
            Ok((ch.account_id, ch.next))
        }
        Err(e) => {
            db.write(crate::tx!(c => {
                    crate::platform::db::query(
                        "UPDATE login_challenges SET attempts = attempts + 1, \
                         expires_at = CASE WHEN attempts + 1 >= $1 THEN 0 ELSE expires_at END WHERE token_hash = $2",
                    )
                    .bind(MAX_ATTEMPTS)
                    .bind(&hash)
                    .execute(c)
                    .await?;
                    Ok::<_, DbError>(())
                }))
            .await?;
            Err(e)
        }
    }
}
