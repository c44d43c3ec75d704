//! Signing keys: ES256 (P-256) and RS256 (RSA-2048), kept in the database so
//! every node signs with the same keys, rotated without invalidating tokens
//! already issued (a retired key stays in the JWKS until they expire).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};

/// A JWS algorithm tongban signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA-2048).
    Rs256,
}

impl Alg {
    /// JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Rs256 => "RS256",
        }
    }

    /// Parses a JOSE name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(Alg::Es256),
            "RS256" => Some(Alg::Rs256),
            _ => None,
        }
    }
}

/// Signing uses ring (assembly-backed P-256 and RSA); generating RSA keys,
/// which ring cannot, uses the `rsa` crate.
enum Secret {
    Es256(sig::EcdsaKeyPair),
    Rs256(sig::RsaKeyPair),
}

/// One key with its id and public JWK.
pub struct Key {
    /// Key id (`kid`).
    pub kid: String,
    /// Algorithm.
    pub alg: Alg,
    secret: Secret,
    jwk: Value,
    /// When it stopped being used for new tokens.
    pub retired_at: Option<Millis>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Stored key material is unreadable.
    #[error("signing key {0} is unreadable")]
    Unreadable(String),
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// Signing failed.
    #[error("signing with key {0} failed")]
    Sign(String),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Key {
    fn generate(alg: Alg) -> Result<(Self, String), KeyError> {
        let mut rng = rand_core06::OsRng;
        let der = match alg {
            Alg::Es256 => sig::EcdsaKeyPair::generate_pkcs8(
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|e| KeyError::Generate(e.to_string()))?
            .as_ref()
            .to_vec(),
            Alg::Rs256 => rsa::RsaPrivateKey::new(&mut rng, 2048)
                .map_err(|e| KeyError::Generate(e.to_string()))?
                .to_pkcs8_der()
                .map_err(|e| KeyError::Generate(e.to_string()))?
                .as_bytes()
                .to_vec(),
        };
        let mut id = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
        let kid = format!("{}-{}", alg.as_str().to_ascii_lowercase(), hex::encode(id));
        let der_b64 = STANDARD.encode(&der);
        Ok((Self::from_der(&kid, alg, &der, None)?, der_b64))
    }

    fn from_der(
        kid: &str,
        alg: Alg,
        der: &[u8],
        retired_at: Option<Millis>,
    ) -> Result<Self, KeyError> {
        let bad = || KeyError::Unreadable(kid.to_owned());
        let (secret, jwk) = match alg {
            Alg::Es256 => {
                let k = sig::EcdsaKeyPair::from_pkcs8(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map_err(|_| bad())?;
                // Uncompressed point: 0x04 ‖ x ‖ y.
                let point = k.public_key().as_ref();
                if point.len() != 65 {
                    return Err(bad());
                }
                let jwk = json!({
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
                });
                (Secret::Es256(k), jwk)
            }
            Alg::Rs256 => {
                let parsed = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|_| bad())?;
                let jwk = json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": URL_SAFE_NO_PAD.encode(parsed.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(parsed.e().to_bytes_be()),
                });
                let k = sig::RsaKeyPair::from_pkcs8(der).map_err(|_| bad())?;
                (Secret::Rs256(k), jwk)
            }
        };
        Ok(Self {
            kid: kid.to_owned(),
            alg,
            secret,
            jwk,
            retired_at,
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs `claims` as a compact JWS with header `typ`.
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, KeyError> {
        let header = json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": typ});
        let mut out = String::with_capacity(512);
        out.push_str(&URL_SAFE_NO_PAD.encode(header.to_string()));
        out.push('.');
        out.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let rng = SystemRandom::new();
        let signature = match &self.secret {
            Secret::Es256(k) => k
                .sign(&rng, out.as_bytes())
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign(self.kid.clone()))?,
            Secret::Rs256(k) => {
                let mut buf = vec![0u8; k.public().modulus_len()];
                k.sign(&sig::RSA_PKCS1_SHA256, &rng, out.as_bytes(), &mut buf)
                    .map_err(|_| KeyError::Sign(self.kid.clone()))?;
                buf
            }
        };
        out.push('.');
        out.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(out)
    }

    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        match &self.secret {
            Secret::Es256(k) => {
                sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, k.public_key().as_ref())
                    .verify(signing_input, signature)
                    .is_ok()
            }
            Secret::Rs256(k) => sig::UnparsedPublicKey::new(
                &sig::RSA_PKCS1_2048_8192_SHA256,
                k.public_key().as_ref(),
            )
            .verify(signing_input, signature)
            .is_ok(),
        }
    }
}

/// The keys in use: the active key of each algorithm and the retired ones
/// still published.
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: Arc<Vec<Arc<Key>>>,
}

impl KeyRing {
    /// Loads the keys, creating an active key of each algorithm that has
    /// none (the first start of a new installation).
    pub async fn load(db: &Db) -> Result<Self, KeyError> {
        for alg in [Alg::Es256, Alg::Rs256] {
            let active: i64 = crate::platform::db::query(
                "SELECT COUNT(*) FROM oidc_keys WHERE alg = $1 AND retired_at IS NULL",
            )
            .bind(alg.as_str())
            .fetch_one(&db)
            .await?
            .try_get(0)?;
            if active == 0 {
                insert_new(db, alg, None).await?;
            }
        }
        Self::read(db).await
    }

    async fn read(db: &Db) -> Result<Self, KeyError> {
        let now = now_ms();
        let rows = crate::platform::db::query(
            "SELECT kid, alg, private_der, retired_at FROM oidc_keys \
             WHERE drop_after IS NULL OR drop_after > $1 ORDER BY created_at DESC",
        )
        .bind(now)
        .fetch_all(&db)
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for r in rows {
            let kid: String = r.try_get("kid")?;
            let alg = Alg::parse(&r.try_get::<String, _>("alg")?)
                .ok_or_else(|| KeyError::Unreadable(kid.clone()))?;
            let der = STANDARD
                .decode(r.try_get::<String, _>("private_der")?)
                .map_err(|_| KeyError::Unreadable(kid.clone()))?;
            let retired_at: Option<i64> = r.try_get("retired_at")?;
            // CPU work (RSA key checks): keep it off the async threads.
            let key = crate::platform::lanes::compute()
                .run(move || Key::from_der(&kid, alg, &der, retired_at))
                .await
                .map_err(|e| KeyError::Generate(e.to_string()))??;
            keys.push(Arc::new(key));
        }
        Ok(Self {
            keys: Arc::new(keys),
        })
    }

    /// The active key of an algorithm.
    pub fn active(&self, alg: Alg) -> Option<&Arc<Key>> {
        self.keys
            .iter()
            .find(|k| k.alg == alg && k.retired_at.is_none())
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Checks a compact JWS signed by one of these keys and returns its claims.
    pub fn verify(&self, token: &str, typ: &str) -> Option<Value> {
        let mut parts = token.splitn(3, '.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
        if header["typ"] != typ {
            return None;
        }
        let key = self.keys.iter().find(|k| header["kid"] == k.kid.as_str())?;
        if header["alg"] != key.alg.as_str() {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        let signing_input = &token[..h.len() + 1 + p.len()];
        if !key.verify(signing_input.as_bytes(), &sig) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
    }

    /// Replaces the active key of `alg` with a new one. The old key signs
    /// nothing more and stays published for `keep_ms` (the longest lifetime
    /// of a token it signed), then is dropped.
    pub async fn rotate(db: &Db, alg: Alg, keep_ms: i64) -> Result<Self, KeyError> {
        insert_new(db, alg, Some(keep_ms)).await?;
        Self::read(db).await
    }
}

async fn insert_new(db: &Db, alg: Alg, retire_others_for: Option<i64>) -> Result<(), KeyError> {
    let (key, der) = crate::platform::lanes::compute()
        .run(move || Key::generate(alg))
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))??;
    let kid = key.kid.clone();
    db.write(crate::tx!(c => {
        let now = now_ms();
        if let Some(keep) = retire_others_for {
            crate::platform::db::query(
                "UPDATE oidc_keys SET retired_at = $1, drop_after = $2 \
                 WHERE alg = $3 AND retired_at IS NULL",
            )
            .bind(now)
            .bind(now + keep)
            .bind(alg.as_str())
            .execute(&mut *c)
            .await?;
        }
        crate::platform::db::query(
            "INSERT INTO oidc_keys (kid, alg, private_der, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&kid)
        .bind(alg.as_str())
        .bind(&der)
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok::<_, DbError>(())
    }))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_their_key_and_not_when_altered() {
        for alg in [Alg::Es256, Alg::Rs256] {
            let (key, _) = Key::generate(alg).unwrap();
            let ring = KeyRing {
                keys: Arc::new(vec![Arc::new(key)]),
            };
            let k = ring.active(alg).unwrap();
            let jws = k.sign("JWT", &json!({"sub": "42"})).unwrap();
            assert_eq!(ring.verify(&jws, "JWT").unwrap()["sub"], "42");
            assert!(ring.verify(&jws, "at+jwt").is_none(), "typ is checked");
            let mut parts: Vec<&str> = jws.split('.').collect();
            let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "43"}).to_string());
            parts[1] = &forged;
            assert!(ring.verify(&parts.join("."), "JWT").is_none());
            assert_eq!(k.jwk()["alg"], alg.as_str());
        }
    }
}
