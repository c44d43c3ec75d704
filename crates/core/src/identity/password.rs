//! Password hashing with Argon2id, always off the async threads and never
//! on more than half the cores (the hashing lane): one hash costs tens of
//! milliseconds of CPU, which would stall every other request on the same
//! worker thread.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id with 32 MiB, 2 passes, 1 lane: about 50 ms on the reference
/// machine (measured in release; above the OWASP baseline of 19 MiB). Hashes
/// made with other parameters still verify: the PHC string carries them.
fn hasher() -> Argon2<'static> {
    let params = Params::new(32 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashing failed (should not happen with valid parameters).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Runs `f` on the hashing lane: half the cores, threads of its own, so a
/// burst of sign-ins waits for each other and neither takes every core from
/// page requests nor waits behind uploads or PDFs.
async fn bounded<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    crate::platform::lanes::hashing()
        .run(f)
        .await
        .map_err(|e| HashError(e.to_string()))
}

/// Hashes a password to a PHC string, on the hashing lane.
pub async fn hash(password: String) -> Result<String, HashError> {
    bounded(move || hash_blocking(&password)).await?
}

/// Hashes a password to a PHC string on the current thread (CLI and seeding).
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    PasswordHasher::<PasswordHash>::hash_password(&hasher(), password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored PHC string, on the hashing lane.
/// A malformed stored hash counts as a mismatch.
pub async fn verify(password: String, phc: String) -> bool {
    bounded(move || {
        PasswordVerifier::<str>::verify_password(&hasher(), password.as_bytes(), &phc).is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A real hash of a random string, verified against when the username does
/// not exist so that both answers take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("tongban-no-such-user-timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse 1".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse 1".into(), h.clone()).await);
        assert!(!verify("correct horse 2".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
    }
}
