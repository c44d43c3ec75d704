//! Claims and tokens: the account as a system sees it, ID and access tokens signed with the provider's keys.

use super::*;

/// The account fields claims are made of, read in the same statement that
/// consumes a code or a refresh token (no separate round trip).
#[derive(Debug, Clone, Default)]
pub struct AccountSnapshot {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `person`, `enterprise` or `staff`.
    pub kind: String,
    /// Mobile number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Real-name level.
    pub level: i64,
    /// Credit code (enterprises).
    pub credit_code: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Legal representative (enterprises).
    pub legal_representative: Option<String>,
    /// The sealed ID number, if recorded.
    pub id_number_sealed: Option<String>,
}

pub(super) const SNAPSHOT_FIELDS: [&str; 10] = [
    "username",
    "display_name",
    "kind",
    "phone",
    "email",
    "real_name_level",
    "credit_code",
    "status",
    "legal_representative",
    "id_number_sealed",
];

/// Scalar subqueries reading the snapshot of the account `account_col`
/// names, for a `RETURNING` clause.
pub(super) fn snapshot_subqueries(account_col: &str) -> String {
    SNAPSHOT_FIELDS
        .iter()
        .map(|f| format!("(SELECT a.{f} FROM accounts a WHERE a.id = {account_col})"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn snapshot_at(r: &Row, at: usize) -> Result<AccountSnapshot, DbError> {
    Ok(AccountSnapshot {
        username: r.try_get(at)?,
        display_name: r.try_get(at + 1)?,
        kind: r.try_get(at + 2)?,
        phone: r.try_get(at + 3)?,
        email: r.try_get(at + 4)?,
        level: r.try_get(at + 5)?,
        credit_code: r.try_get(at + 6)?,
        status: r.try_get(at + 7)?,
        legal_representative: r.try_get(at + 8)?,
        id_number_sealed: r.try_get(at + 9)?,
    })
}

/// The person-facing claims of an account for the granted scopes.
pub async fn user_claims(
    db: &Db,
    key: &crate::platform::crypto::DataKey,
    account_id: i64,
    scope: &[String],
) -> Result<Option<Value>, DbError> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE id = $1",
        SNAPSHOT_FIELDS.join(", ")
    );
    let row = crate::platform::db::query(sql)
        .bind(account_id)
        .fetch_optional(&db)
        .await?;
    match row {
        Some(r) => Ok(claims_from(key, account_id, &snapshot_at(&r, 0)?, scope)),
        None => Ok(None),
    }
}

/// The claims of a snapshot for the granted scopes; `None` for a disabled
/// account.
pub fn claims_from(
    key: &crate::platform::crypto::DataKey,
    account_id: i64,
    a: &AccountSnapshot,
    scope: &[String],
) -> Option<Value> {
    if a.status != "active" {
        return None;
    }
    let has = |s: &str| scope.iter().any(|x| x == s);
    let mut c = json!({ "sub": account_id.to_string() });
    if has("profile") {
        c["name"] = json!(a.display_name);
        c["preferred_username"] = json!(a.username);
        c["account_kind"] = json!(a.kind);
        c["real_name_level"] = json!(a.level);
        if let Some(cc) = &a.credit_code {
            c["credit_code"] = json!(cc);
        }
        if let Some(rep) = &a.legal_representative {
            c["legal_representative"] = json!(rep);
        }
    }
    if has("phone")
        && let Some(p) = &a.phone
    {
        c["phone_number"] = json!(p);
        c["phone_number_verified"] = json!(true);
    }
    if has("email")
        && let Some(e) = &a.email
    {
        c["email"] = json!(e);
        c["email_verified"] = json!(true);
    }
    // The ID number only under its own scope; it is never logged.
    if has("id_number")
        && let Some(n) = a
            .id_number_sealed
            .as_deref()
            .and_then(|s| crate::identity::realname::open_id_number(key, s))
    {
        c["id_number"] = json!(n);
    }
    Some(c)
}

/// Issued tokens.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    /// JWT access token (`at+jwt`).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: i64,
    /// Granted scopes.
    pub scope: String,
    /// ID token, for OpenID requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url.
pub(super) fn at_hash(access_token: &str) -> String {
    let d = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..16])
}

/// Signs the access token and (for `openid`) the ID token of a grant.
pub fn sign_tokens(
    keys: &KeyRing,
    issuer: &str,
    client: &Client,
    g: &Grant,
    id_claims: Option<&Value>,
) -> Result<(String, Option<String>), OAuthError> {
    let now = now_ms() / 1000;
    let no_key = || OAuthError::new("server_error", "no signing key available");
    let at_key = keys.active(Alg::Es256).ok_or_else(no_key)?;
    let mut jti = [0u8; 12];
    rand::rng().fill_bytes(&mut jti);
    let sign_err = |e: KeyError| OAuthError::new("server_error", e.to_string());
    let access = at_key.sign(
        "at+jwt",
        &json!({
            "iss": issuer, "sub": g.account_id.to_string(), "aud": issuer, "client_id": client.client_id,
            "scope": g.scope.join(" "), "acr": g.acr, "iat": now, "exp": now + TOKEN_TTL_S,
            "jti": hex::encode(jti), "sid": g.session_hash.as_deref().map(sid_of),
            "acting_for": g.acting_for,
        }),
    )
    .map_err(sign_err)?;
    let id = match id_claims {
        Some(user) if g.scope.iter().any(|s| s == "openid") => {
            let key = keys.active(client.alg()).ok_or_else(no_key)?;
            let mut c = user.clone();
            c["iss"] = json!(issuer);
            c["aud"] = json!(client.client_id);
            c["azp"] = json!(client.client_id);
            c["iat"] = json!(now);
            c["exp"] = json!(now + TOKEN_TTL_S);
            c["auth_time"] = json!(g.auth_time / 1000);
            c["acr"] = json!(g.acr);
            c["at_hash"] = json!(at_hash(&access));
            if let Some(n) = &g.nonce {
                c["nonce"] = json!(n);
            }
            if let Some(s) = &g.session_hash {
                c["sid"] = json!(sid_of(s));
            }
            Some(key.sign("JWT", &c).map_err(sign_err)?)
        }
        _ => None,
    };
    Ok((access, id))
}

/// The `sid` claim of a browser session: derived from its stored hash, so
/// it names the session without revealing anything usable.
pub fn sid_of(session_hash: &str) -> String {
    digest(&format!("sid:{session_hash}"))[..32].to_owned()
}

/// A client's own access token (`client_credentials`).
pub fn sign_client_token(
    keys: &KeyRing,
    issuer: &str,
    client: &Client,
    scope: &[String],
) -> Result<String, OAuthError> {
    let now = now_ms() / 1000;
    let key = keys
        .active(Alg::Es256)
        .ok_or_else(|| OAuthError::new("server_error", "no signing key available"))?;
    let mut jti = [0u8; 12];
    rand::rng().fill_bytes(&mut jti);
    key.sign(
        "at+jwt",
        &json!({
            "iss": issuer, "sub": client.client_id, "aud": issuer, "client_id": client.client_id,
            "scope": scope.join(" "), "iat": now, "exp": now + TOKEN_TTL_S, "jti": hex::encode(jti),
        }),
    )
    .map_err(|e| OAuthError::new("server_error", e.to_string()))
}

/// Checks an access token of this provider; returns its claims when it is
/// well signed and not expired.
pub fn check_access_token(keys: &KeyRing, issuer: &str, token: &str) -> Option<Value> {
    let claims = keys.verify(token, "at+jwt")?;
    let now = now_ms() / 1000;
    (claims["iss"] == issuer && claims["exp"].as_i64().is_some_and(|e| e > now)).then_some(claims)
}

/// What a bearer access token presented to the platform's own API stands
/// for.
#[derive(Debug, Clone)]
pub enum Bearer {
    /// A person, with the scope needed; and the enterprise an agent acts
    /// for, if the token was issued so.
    Person(Principal, Option<i64>),
    /// Not a valid, unexpired token of this issuer for an active person.
    Invalid,
    /// Valid, but without the scope needed.
    InsufficientScope,
}

/// Checks a bearer access token for a call needing `scope`.
pub async fn bearer(
    db: &Db,
    keys: &KeyRing,
    issuer: &str,
    token: &str,
    scope: &str,
) -> Result<Bearer, DbError> {
    let Some(claims) = check_access_token(keys, issuer, token.trim()) else {
        return Ok(Bearer::Invalid);
    };
    let Some(account_id) = claims["sub"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(Bearer::Invalid);
    };
    if !claims["scope"]
        .as_str()
        .unwrap_or("")
        .split(' ')
        .any(|s| s == scope)
    {
        return Ok(Bearer::InsufficientScope);
    }
    Ok(
        match crate::identity::accounts::principal(db, account_id).await? {
            Some(p) if p.account.status == "active" => {
                Bearer::Person(p, claims["acting_for"].as_i64())
            }
            _ => Bearer::Invalid,
        },
    )
}
