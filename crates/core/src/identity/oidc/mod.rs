//! OpenID Connect provider (统一身份认证): relying parties, authorization
//! codes with PKCE, tokens, refresh-token rotation with reuse detection,
//! the `client_credentials` grant and consents. HTTP lives in the web crate;
//! the rules and the storage are here.

mod claims;
mod clients;
mod codes;
mod consent;
pub mod decide;
pub mod keys;
mod reauth;
mod refresh;

use crate::platform::db::Row;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tongban_domain::FieldProblem;
use tongban_domain::kernel::Role;

pub use claims::*;
pub use clients::*;
pub use codes::*;
pub use consent::*;
pub use keys::{Alg, Key, KeyError, KeyRing};
pub use reauth::*;
pub use refresh::*;

use claims::{snapshot_at, snapshot_subqueries};
use refresh::insert_refresh;

use crate::identity::Principal;
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};

/// How long an authorization code may wait for its exchange.
pub const CODE_TTL_MS: i64 = 60_000;
/// Lifetime of ID tokens and access tokens.
pub const TOKEN_TTL_S: i64 = 600;
/// Lifetime of a refresh token (a session-bound one also ends with its
/// session).
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// Scopes a person may grant, with the claims each releases.
pub const USER_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "phone",
    "email",
    "id_number",
    "offline_access",
    APPLICATIONS_SCOPE,
];

/// The scope with which an access token reaches the applications and cases
/// API for its person (apply, read, correct; for staff, decide).
pub const APPLICATIONS_SCOPE: &str = "applications";

/// A random token: 32 bytes, base64url.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 hex of a secret or token (what is stored).
pub fn digest(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// An OAuth error with its RFC 6749 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, …
    pub code: &'static str,
    /// Human-readable description.
    pub description: String,
}

impl OAuthError {
    /// An error.
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// Deletes spent codes and dead refresh tokens (the `oidc.purge` job).
pub async fn purge(db: &Db) -> Result<u64, DbError> {
    db.write(|c| {
        Box::pin(async move {
            let now = now_ms();
            let a = crate::platform::db::query("DELETE FROM oidc_codes WHERE expires_at < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(&mut *c)
                .await?
                .rows_affected();
            let b = crate::platform::db::query(
                "DELETE FROM oidc_refresh_tokens WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $2)",
            )
            .bind(now)
            .bind(now - 7 * 24 * 3600 * 1000)
            .execute(&mut *c)
            .await?
            .rows_affected();
            let r = crate::platform::db::query("DELETE FROM oidc_reauth WHERE expires_at < $1")
                .bind(now)
                .execute(c)
                .await?
                .rows_affected();
            Ok::<_, DbError>(a + b + r)
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::clients::redirect_ok;
    use super::codes::pkce_ok;
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(challenge, verifier));
        assert!(!pkce_ok(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
        assert!(!pkce_ok(challenge, "short"));
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback() {
        assert!(redirect_ok("https://rp.example.gov.cn/cb"));
        assert!(redirect_ok("http://127.0.0.1:8765/callback"));
        assert!(!redirect_ok("http://rp.example.gov.cn/cb"));
        assert!(!redirect_ok("http://127.0.0.1.evil.example/cb"));
        assert!(!redirect_ok("https://rp.example/cb#frag"));
        assert!(!redirect_ok("javascript:alert(1)"));
        assert!(redirect_ok("http://localhost/cb"));
        assert!(redirect_ok("http://[::1]:9000/cb"));
        for fooled in [
            "http://127.0.0.1:@evil.example/cb",
            "http://127.0.0.1@evil.example/cb",
            "https://user:pw@rp.example/cb",
            "http://localhost:80@evil.example/cb",
            "http://127.0.0.1\\@evil.example/cb",
            "https:///cb",
            "http://127.0.0.2/cb",
        ] {
            assert!(!redirect_ok(fooled), "{fooled}");
        }
    }

    #[test]
    fn secrets_compare_by_hash() {
        assert!(constant_eq(&digest("a"), &digest("a")));
        assert!(!constant_eq(&digest("a"), &digest("b")));
        assert!(!constant_eq("ab", "abc"));
    }
}
