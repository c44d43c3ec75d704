//! Consents: what a person allowed each system to read, shown on their account page and withdrawn there.

use super::*;

/// Whether the person has already allowed `client_id` every scope asked.
pub async fn has_consent(
    db: &Db,
    account_id: i64,
    client_id: &str,
    scope: &[String],
) -> Result<bool, DbError> {
    let row = crate::platform::db::query(
        "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
    )
    .bind(account_id)
    .bind(client_id)
    .fetch_optional(&db)
    .await?;
    Ok(row.is_some_and(|r| {
        let granted: String = r.try_get(0).unwrap_or_default();
        scope.iter().all(|s| granted.split(' ').any(|g| g == s))
    }))
}

/// Records consent to `scope` (widening any earlier consent).
pub async fn grant_consent(
    db: &Db,
    account_id: i64,
    client_id: &str,
    scope: &[String],
) -> Result<(), DbError> {
    let (client_id, scope) = (client_id.to_owned(), scope.to_vec());
    db.write(crate::tx!(c => {
            let old: Option<String> = crate::platform::db::query("SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            let mut all: Vec<String> = old
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            for s in scope {
                if !all.contains(&s) {
                    all.push(s);
                }
            }
            crate::platform::db::query(
                "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
            )
            .bind(account_id)
            .bind(&client_id)
            .bind(all.join(" "))
            .bind(now_ms())
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await
}

/// A relying party a person has let in.
#[derive(Debug, Clone)]
pub struct ConsentInfo {
    /// Client id.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// Scopes allowed.
    pub scope: Vec<String>,
    /// When.
    pub granted_at: Millis,
}

/// The relying parties a person has allowed.
pub async fn consents(db: &Db, account_id: i64) -> Result<Vec<ConsentInfo>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT c.client_id, COALESCE(k.name, c.client_id) AS name, c.scope, c.granted_at FROM oidc_consents c \
         LEFT JOIN oidc_clients k ON k.client_id = c.client_id WHERE c.account_id = $1 ORDER BY c.granted_at DESC",
    )
    .bind(account_id)
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConsentInfo {
                client_id: r.try_get("client_id")?,
                name: r.try_get("name")?,
                scope: split_words(&r.try_get::<String, _>("scope")?),
                granted_at: r.try_get("granted_at")?,
            })
        })
        .collect()
}

pub(super) fn split_words(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Withdraws a consent: the relying party's tokens for this person end and
/// it must ask again.
pub async fn withdraw_consent(db: &Db, account_id: i64, client_id: &str) -> Result<(), DbError> {
    let client_id = client_id.to_owned();
    db.write(crate::tx!(c => {
            crate::platform::db::query("DELETE FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(&client_id)
                .execute(&mut *c)
                .await?;
            crate::platform::db::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(account_id)
            .bind(&client_id)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await
}
