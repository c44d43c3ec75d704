//! Refresh tokens: rotated on every use; a replayed token revokes its family; a refused refresh spends nothing.

use super::*;

pub(super) async fn insert_refresh(
    c: &mut crate::platform::db::Conn,
    hash: &str,
    client_id: &str,
    g: &Grant,
    now: Millis,
) -> Result<(), DbError> {
    crate::platform::db::query(
        "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, session_hash, scope, acr, \
         auth_time, created_at, expires_at, acting_for) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(hash)
    .bind(&g.family)
    .bind(client_id)
    .bind(g.account_id)
    // Offline access outlives the browser session; anything else ends with it.
    .bind(if g.scope.iter().any(|s| s == "offline_access") {
        None
    } else {
        g.session_hash.clone()
    })
    .bind(g.scope.join(" "))
    .bind(&g.acr)
    .bind(g.auth_time)
    .bind(now)
    .bind(now + REFRESH_TTL_MS)
    .bind(g.acting_for)
    .execute(c)
    .await?;
    Ok(())
}

/// Uses a refresh token: it is replaced by a new one of the same family.
/// Presenting a token that was already used revokes the whole family (it was
/// copied); a token of another client is refused. `scope`, when given, may
/// only narrow the grant.
pub async fn refresh(
    db: &Db,
    client: &Client,
    token: &str,
    scope: Option<&str>,
) -> Result<(Grant, String), OAuthError> {
    if token.is_empty() || token.len() > 100 {
        return Err(OAuthError::new("invalid_grant", "invalid refresh token"));
    }
    let (hash, client_id) = (digest(token), client.client_id.clone());
    let new_token = random_token();
    let new_hash = digest(&new_token);
    let requested: Option<Vec<String>> = scope.map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let result = db
        .write(crate::tx!(c => {
                let now = now_ms();
                let sql = format!(
                    "UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND client_id = $3 \
                     AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
                     AND (session_hash IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = session_hash \
                          AND s.revoked_at IS NULL AND s.expires_at > $1)) \
                     RETURNING family, account_id, session_hash, scope, acr, auth_time, acting_for, {}",
                    snapshot_subqueries("account_id")
                );
                let row = crate::platform::db::query(sql)
                .bind(now)
                .bind(&hash)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?;
                let Some(r) = row else {
                    let reused = crate::platform::db::query(
                        "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
                         (SELECT family FROM oidc_refresh_tokens WHERE token_hash = $2 AND client_id = $3 AND used_at IS NOT NULL)",
                    )
                    .bind(now)
                    .bind(&hash)
                    .bind(&client_id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    return Ok::<_, RefreshFail>(Err(if reused > 0 {
                        OAuthError::new("invalid_grant", "refresh token reused; every token of this grant has been revoked")
                    } else {
                        OAuthError::new("invalid_grant", "refresh token invalid, revoked or expired")
                    }));
                };
                let stored: Vec<String> = r
                    .try_get::<String, _>("scope")?
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let scope = match requested {
                    Some(req) if req.iter().all(|s| stored.contains(s)) => req,
                    // Refused by rolling the transaction back, so the token
                    // is not spent: a concurrent legitimate refresh with the
                    // same token is never mistaken for reuse.
                    Some(_) => {
                        return Err(RefreshFail::Refused(OAuthError::new(
                            "invalid_scope",
                            "a refresh cannot widen the scope",
                        )));
                    }
                    None => stored,
                };
                let g = Grant {
                    family: r.try_get("family")?,
                    account_id: r.try_get("account_id")?,
                    session_hash: r.try_get("session_hash")?,
                    scope,
                    nonce: None,
                    acr: r.try_get("acr")?,
                    auth_time: r.try_get("auth_time")?,
                    acting_for: r.try_get("acting_for")?,
                    account: snapshot_at(&r, 7)?,
                };
                insert_refresh(c, &new_hash, &client_id, &g, now).await?;
                Ok(Ok(g))
            }))
        .await;
    match result {
        Ok(Ok(g)) => Ok((g, new_token)),
        Ok(Err(e)) | Err(RefreshFail::Refused(e)) => Err(e),
        Err(RefreshFail::Db(e)) => Err(OAuthError::new("server_error", e.to_string())),
    }
}

/// A refresh that must leave nothing behind: a storage failure, or a
/// refusal that rolls back the token's use.
enum RefreshFail {
    Db(DbError),
    Refused(OAuthError),
}

impl From<DbError> for RefreshFail {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

/// Revokes a refresh token's family (RFC 7009), if the token is the client's.
pub async fn revoke_refresh(db: &Db, client: &Client, token: &str) -> Result<(), DbError> {
    let (hash, client_id) = (digest(token), client.client_id.clone());
    db.write(crate::tx!(c => {
        crate::platform::db::query(
            "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
             (SELECT family FROM oidc_refresh_tokens WHERE token_hash = $2 AND client_id = $3)",
        )
        .bind(now_ms())
        .bind(&hash)
        .bind(&client_id)
        .execute(c)
        .await?;
        Ok::<_, DbError>(())
    }))
    .await
}

/// Ends the refresh tokens bound to a browser session (sign-out).
pub async fn end_session_tokens(db: &Db, session_hash: &str) -> Result<(), DbError> {
    let hash = session_hash.to_owned();
    db.write(crate::tx!(c => {
            crate::platform::db::query("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE session_hash = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(&hash)
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        }))
    .await
}
