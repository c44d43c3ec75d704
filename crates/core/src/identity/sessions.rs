//! Server-side sessions. The cookie carries a random token; the database
//! keeps only its SHA-256, so a leaked database cannot be replayed as cookies.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::accounts::{self, Principal};
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Ends after this long without use.
    pub idle_ms: i64,
    /// Ends this long after sign-in regardless of use.
    pub absolute_ms: i64,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Hash of the token (the row key).
    pub token_hash: String,
    /// Who.
    pub principal: Principal,
    /// When it started.
    pub created_at: Millis,
    /// The enterprise an agent switched the session to act for, if any
    /// (the mandate itself is checked where it matters).
    pub acting_for: Option<i64>,
    /// Unread messages in the person's inbox (for the header).
    pub unread: i64,
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns the token for the cookie.
pub async fn create(
    db: &Db,
    account_id: i64,
    user_agent: Option<String>,
    ip: Option<String>,
    life: Lifetimes,
) -> Result<String, DbError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    db.write(crate::tx!(c => {
            let now = now_ms();
            let expires = now + life.idle_ms.min(life.absolute_ms);
            crate::platform::db::query(
                "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, user_agent, ip) \
                 VALUES ($1, $2, $3, $3, $4, $5, $6)",
            )
            .bind(&hash)
            .bind(account_id)
            .bind(now)
            .bind(expires)
            .bind(user_agent.map(|u| u.chars().take(200).collect::<String>()))
            .bind(ip)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(token)
}

/// Finds the live session of a token, extending its idle expiry when more
/// than a minute has passed since it was last extended (so browsing does not
/// write on every request).
pub async fn lookup(db: &Db, token: &str, life: Lifetimes) -> Result<Option<Session>, DbError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let hash = hash_token(token);
    let now = now_ms();
    // The session and its account in one statement: this runs on every
    // signed-in request.
    let row = crate::platform::db::query(format!(
        "SELECT s.created_at AS session_created_at, s.last_seen_at, s.acting_for, \
         (SELECT COUNT(*) FROM notices n WHERE n.account_id = s.account_id AND n.read_at IS NULL \
          AND n.inbox = 1) AS unread, {} \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
        accounts::COLS_A
    ))
    .bind(&hash)
    .bind(now)
    .fetch_optional(&db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let created_at: i64 = row.try_get("session_created_at")?;
    let last_seen: i64 = row.try_get("last_seen_at")?;
    let acting_for: Option<i64> = row.try_get("acting_for")?;
    let unread: i64 = row.try_get("unread")?;
    if now - created_at > life.absolute_ms {
        return Ok(None);
    }
    let principal = accounts::principal_of(db, accounts::from_row(&row)?).await?;
    if principal.account.status != "active" {
        return Ok(None);
    }
    if now - last_seen > 60_000 {
        let h = hash.clone();
        let expires = (now + life.idle_ms).min(created_at + life.absolute_ms);
        db.write(crate::tx!(c => {
            crate::platform::db::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
            )
            .bind(now)
            .bind(expires)
            .bind(&h)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
        .await?;
    }
    Ok(Some(Session {
        token_hash: hash,
        principal,
        created_at,
        acting_for,
        unread,
    }))
}

/// Ends one session.
pub async fn revoke(db: &Db, token_hash: &str) -> Result<(), DbError> {
    let h = token_hash.to_owned();
    db.write(crate::tx!(c => {
        crate::platform::db::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(&h)
        .execute(c)
        .await?;
        Ok(())
    }))
    .await
}

/// A live session as its owner sees it in the device list.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Public id (derived from the hash; names the session, opens nothing).
    pub id: String,
    /// The stored hash.
    pub token_hash: String,
    /// Sign-in time.
    pub created_at: Millis,
    /// Last use (to the minute).
    pub last_seen_at: Millis,
    /// Browser, as it said.
    pub user_agent: Option<String>,
    /// Address.
    pub ip: Option<String>,
}

/// The public id of a session.
pub fn public_id(token_hash: &str) -> String {
    hash_token(&format!("session:{token_hash}"))[..24].to_owned()
}

/// The account's live sessions, newest first.
pub async fn list_for(db: &Db, account_id: i64) -> Result<Vec<SessionInfo>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT token_hash, created_at, last_seen_at, user_agent, ip FROM sessions \
         WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC",
    )
    .bind(account_id)
    .bind(now_ms())
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            let token_hash: String = r.try_get("token_hash")?;
            Ok(SessionInfo {
                id: public_id(&token_hash),
                token_hash,
                created_at: r.try_get("created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                user_agent: r.try_get("user_agent")?,
                ip: r.try_get("ip")?,
            })
        })
        .collect()
}

/// Ends every session of an account and every token issued to others on
/// its behalf (sign out everywhere; also after a password change elsewhere).
pub async fn revoke_all(db: &Db, account_id: i64) -> Result<(), DbError> {
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(account_id)
                .execute(&mut *c)
                .await?;
            crate::platform::db::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(account_id)
            .execute(c)
            .await?;
            Ok(())
        }))
    .await
}

/// Deletes sessions that ended more than a day ago (job `sessions.purge`).
pub async fn purge(db: &Db) -> Result<u64, DbError> {
    db.write(crate::tx!(c => {
            let cutoff = now_ms() - 24 * 3600 * 1000;
            let r = crate::platform::db::query("DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)")
                .bind(cutoff)
                .execute(c)
                .await?;
            Ok(r.rows_affected())
        }))
    .await
}
