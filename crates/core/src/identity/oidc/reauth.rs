//! A relying party's demand for a fresh sign-in (`prompt=login`), kept on the server.

use super::*;

/// How long a demand for a fresh sign-in waits for it.
pub const REAUTH_TTL_MS: i64 = 10 * 60 * 1000;

/// Records that `client_id` demands a sign-in from now on (`prompt=login`);
/// returns the token the browser carries through the sign-in page.
pub async fn reauth_demand(db: &Db, client_id: &str) -> Result<String, DbError> {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let (hash, client) = (
        crate::identity::sessions::hash_token(&token),
        client_id.to_owned(),
    );
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "INSERT INTO oidc_reauth (token_hash, client_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&hash)
            .bind(&client)
            .bind(now)
            .bind(now + REAUTH_TTL_MS)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        }))
    .await?;
    Ok(token)
}

/// When the demand behind `token` was made, if it is `client_id`'s and
/// still open: a session begun at or after that time is a fresh sign-in.
pub async fn reauth_since(
    db: &Db,
    token: &str,
    client_id: &str,
) -> Result<Option<Millis>, DbError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let row = crate::platform::db::query(
        "SELECT created_at FROM oidc_reauth WHERE token_hash = $1 AND client_id = $2 AND expires_at > $3",
    )
    .bind(crate::identity::sessions::hash_token(token))
    .bind(client_id)
    .bind(now_ms())
    .fetch_optional(&db)
    .await?;
    row.map(|r| r.try_get::<i64, _>(0)).transpose()
}
