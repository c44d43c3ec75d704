//! Authorization codes: issued for a signed-in subject, exchanged once with PKCE for the grant they carry.

use super::*;

/// Who signed in, and how, as the provider needs it.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Account id.
    pub account_id: i64,
    /// The browser session (hash) the sign-in belongs to.
    pub session_hash: Option<String>,
    /// `acr`: the real-name level reached.
    pub acr: String,
    /// When the person authenticated (ms).
    pub auth_time: Millis,
    /// The enterprise the person acts for (经办人), if any.
    pub acting_for: Option<i64>,
}

/// A pending authorization, validated.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The client.
    pub client_id: String,
    /// The exact redirect URI.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
}

/// Stores a new authorization code and returns it.
pub async fn issue_code(db: &Db, a: &Authorization, who: &Subject) -> Result<String, DbError> {
    let code = random_token();
    let (hash, a, who) = (digest(&code), a.clone(), who.clone());
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "INSERT INTO oidc_codes (code_hash, client_id, account_id, session_hash, redirect_uri, scope, nonce, \
                 code_challenge, acr, auth_time, family, expires_at, acting_for) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&hash)
            .bind(&a.client_id)
            .bind(who.account_id)
            .bind(&who.session_hash)
            .bind(&a.redirect_uri)
            .bind(a.scope.join(" "))
            .bind(&a.nonce)
            .bind(&a.code_challenge)
            .bind(&who.acr)
            .bind(who.auth_time)
            .bind(random_token())
            .bind(now + CODE_TTL_MS)
            .bind(who.acting_for)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(code)
}

/// What a grant yields before it is turned into tokens.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Account.
    pub account_id: i64,
    /// Scopes.
    pub scope: Vec<String>,
    /// `nonce` to echo in the ID token.
    pub nonce: Option<String>,
    /// `acr`.
    pub acr: String,
    /// Authentication time (ms).
    pub auth_time: Millis,
    /// Browser session hash.
    pub session_hash: Option<String>,
    /// Token family (for rotation and revocation).
    pub family: String,
    /// The enterprise acted for, if any.
    pub acting_for: Option<i64>,
    /// The account as of this grant (read with it).
    pub account: AccountSnapshot,
}

pub(super) fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    // RFC 7636 §4.1: 43–128 characters of the unreserved set.
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        && constant_eq(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            challenge,
        )
}

/// Exchanges an authorization code in one durable write: the code is
/// consumed (once), the redirect URI and PKCE verifier are checked, and, when
/// `with_refresh`, a refresh token is stored with it. A second use of a code
/// revokes the refresh tokens issued from the first.
pub async fn exchange_code(
    db: &Db,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
    with_refresh: bool,
) -> Result<(Grant, Option<String>), OAuthError> {
    if code.is_empty() || code.len() > 100 {
        return Err(OAuthError::new(
            "invalid_grant",
            "invalid authorization code",
        ));
    }
    let (hash, client_id) = (digest(code), client.client_id.clone());
    let (redirect_uri, verifier) = (redirect_uri.to_owned(), verifier.map(str::to_owned));
    let refresh = with_refresh.then(random_token);
    let refresh_hash = refresh.as_deref().map(digest);
    let outcome = db
        .write(crate::tx!(c => {
                let now = now_ms();
                let sql = format!(
                    "UPDATE oidc_codes SET consumed_at = $1 WHERE code_hash = $2 AND client_id = $3 \
                     AND consumed_at IS NULL AND expires_at > $1 \
                     RETURNING account_id, session_hash, redirect_uri, scope, nonce, code_challenge, acr, auth_time, \
                     family, acting_for, {}",
                    snapshot_subqueries("account_id")
                );
                let row = crate::platform::db::query(sql)
                .bind(now)
                .bind(&hash)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?;
                let Some(r) = row else {
                    // Replayed? Then whatever the first exchange issued is suspect.
                    crate::platform::db::query(
                        "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
                         (SELECT family FROM oidc_codes WHERE code_hash = $2 AND client_id = $3 AND consumed_at IS NOT NULL)",
                    )
                    .bind(now)
                    .bind(&hash)
                    .bind(&client_id)
                    .execute(&mut *c)
                    .await?;
                    return Ok::<_, DbError>(Err(OAuthError::new(
                        "invalid_grant",
                        "authorization code invalid, used or expired",
                    )));
                };
                if r.try_get::<String, _>("redirect_uri")? != redirect_uri {
                    return Ok(Err(OAuthError::new("invalid_grant", "redirect_uri differs from the authorization request")));
                }
                let challenge: Option<String> = r.try_get("code_challenge")?;
                match (challenge.as_deref(), verifier.as_deref()) {
                    (Some(ch), Some(v)) if pkce_ok(ch, v) => {}
                    (Some(_), _) => {
                        return Ok(Err(OAuthError::new("invalid_grant", "PKCE code_verifier missing or wrong")));
                    }
                    (None, Some(_)) => {
                        return Ok(Err(OAuthError::new(
                            "invalid_grant",
                            "code_verifier given but the authorization request had no code_challenge",
                        )));
                    }
                    (None, None) => {}
                }
                let g = Grant {
                    account_id: r.try_get("account_id")?,
                    session_hash: r.try_get("session_hash")?,
                    scope: r
                        .try_get::<String, _>("scope")?
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    nonce: r.try_get("nonce")?,
                    acr: r.try_get("acr")?,
                    auth_time: r.try_get("auth_time")?,
                    family: r.try_get("family")?,
                    acting_for: r.try_get("acting_for")?,
                    account: snapshot_at(&r, 10)?,
                };
                if let Some(h) = &refresh_hash {
                    insert_refresh(c, h, &client_id, &g, now).await?;
                }
                Ok(Ok(g))
            }))
        .await
        .map_err(|e| OAuthError::new("server_error", e.to_string()))?;
    outcome.map(|g| (g, refresh))
}

/// The real-name level of an account (1 when unknown).
pub async fn real_name_level(db: &Db, account_id: i64) -> Result<i64, DbError> {
    Ok(
        crate::platform::db::query("SELECT real_name_level FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&db)
            .await?
            .map(|r| r.try_get::<i64, _>("real_name_level"))
            .transpose()?
            .unwrap_or(1),
    )
}
