//! Protection of personal data at rest with the national algorithms
//! (商用密码): SM4 (GB/T 32907) in counter mode, authenticated by HMAC-SM3
//! (GB/T 32905), and a keyed SM3 digest for looking a value up without
//! storing it (the 证件散列码 of the exchange schema).
//!
//! One 32-byte master key, from `identity.data_key` or a key file made in
//! the data folder on first start; separate subkeys are derived from it for
//! encryption, authentication and lookup.

use std::path::Path;

use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac13::{KeyInit, Mac};
use rand::RngCore;

type Sm4Ctr = ctr::Ctr128BE<sm4::Sm4>;
type HmacSm3 = hmac13::Hmac<sm3::Sm3>;

const VERSION: u8 = 1;

/// Why data could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key setting or file is malformed.
    #[error("data key is invalid: {0}")]
    Key(String),
    /// The key file could not be read or written.
    #[error("data key file {0}: {1}")]
    Io(String, std::io::Error),
    /// A sealed value was altered, truncated, or sealed with another key.
    #[error("sealed value failed its integrity check")]
    Integrity,
}

/// The platform's data key.
#[derive(Clone)]
pub struct DataKey {
    enc: [u8; 16],
    mac: [u8; 32],
    lookup: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut m = <HmacSm3 as KeyInit>::new_from_slice(master).unwrap_or_else(|_| unreachable_hmac());
    m.update(label);
    m.finalize().into_bytes().into()
}

#[expect(clippy::panic, reason = "HMAC accepts every key length")]
fn unreachable_hmac() -> HmacSm3 {
    panic!("HMAC refused a key")
}

impl DataKey {
    /// A key from 32 master bytes.
    pub fn from_master(master: &[u8; 32]) -> Self {
        let enc32 = derive(master, b"tongban sm4 encryption");
        let mut enc = [0u8; 16];
        enc.copy_from_slice(&enc32[..16]);
        Self {
            enc,
            mac: derive(master, b"tongban hmac-sm3 authentication"),
            lookup: derive(master, b"tongban sm3 lookup"),
        }
    }

    /// The configured key (64 hex digits), or the key file in `data_dir`,
    /// created with a fresh random key if absent.
    pub fn load(configured: &str, data_dir: &Path) -> Result<Self, CryptoError> {
        let parse = |s: &str| -> Result<Self, CryptoError> {
            let bytes = hex::decode(s.trim()).map_err(|e| CryptoError::Key(e.to_string()))?;
            let master: [u8; 32] = bytes
                .try_into()
                .map_err(|_| CryptoError::Key("must be 64 hex digits (32 bytes)".into()))?;
            Ok(Self::from_master(&master))
        };
        if !configured.is_empty() {
            return parse(configured);
        }
        let path = data_dir.join("data.key");
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(s) => parse(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(|e| CryptoError::Io(shown.clone(), e))?;
                let mut master = [0u8; 32];
                rand::rng().fill_bytes(&mut master);
                write_private(&path, &hex::encode(master))
                    .map_err(|e| CryptoError::Io(shown, e))?;
                Ok(Self::from_master(&master))
            }
            Err(e) => Err(CryptoError::Io(shown, e)),
        }
    }

    /// Encrypts and authenticates `plain`: version ‖ IV ‖ ciphertext ‖ tag.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut iv = [0u8; 16];
        rand::rng().fill_bytes(&mut iv);
        let mut out = Vec::with_capacity(1 + 16 + plain.len() + 32);
        out.push(VERSION);
        out.extend_from_slice(&iv);
        let mut body = plain.to_vec();
        Sm4Ctr::new(&self.enc.into(), &iv.into()).apply_keystream(&mut body);
        out.extend_from_slice(&body);
        let tag = self.tag(&out);
        out.extend_from_slice(&tag);
        out
    }

    /// Checks and decrypts what [`DataKey::seal`] produced.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 1 + 16 + 32 || sealed[0] != VERSION {
            return Err(CryptoError::Integrity);
        }
        let (head, tag) = sealed.split_at(sealed.len() - 32);
        let mut m = self.mac_of();
        m.update(head);
        m.verify_slice(tag).map_err(|_| CryptoError::Integrity)?;
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&head[1..17]);
        let mut body = head[17..].to_vec();
        Sm4Ctr::new(&self.enc.into(), &iv.into()).apply_keystream(&mut body);
        Ok(body)
    }

    /// A keyed SM3 digest of `value` (hex): equal values give equal
    /// digests, and without the key the digest reveals nothing usable.
    pub fn lookup_hash(&self, value: &str) -> String {
        let mut m = <HmacSm3 as KeyInit>::new_from_slice(&self.lookup)
            .unwrap_or_else(|_| unreachable_hmac());
        m.update(value.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    fn mac_of(&self) -> HmacSm3 {
        <HmacSm3 as KeyInit>::new_from_slice(&self.mac).unwrap_or_else(|_| unreachable_hmac())
    }

    fn tag(&self, data: &[u8]) -> [u8; 32] {
        let mut m = self.mac_of();
        m.update(data);
        m.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm3::Digest;
    use sm4::cipher::BlockCipherEncrypt;

    #[test]
    fn sm4_and_sm3_match_the_standards_examples() {
        // GB/T 32907-2016 appendix A, example 1.
        let key: [u8; 16] = hex::decode("0123456789abcdeffedcba9876543210")
            .unwrap()
            .try_into()
            .unwrap();
        let mut block = key.into();
        sm4::Sm4::new(&key.into()).encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
        // GB/T 32905-2016 appendix A, example 1.
        assert_eq!(
            hex::encode(sm3::Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn sealed_values_open_only_intact_and_with_their_key() {
        let k = DataKey::from_master(&[7u8; 32]);
        let sealed = k.seal("11010519491231002X".as_bytes());
        assert_eq!(k.open(&sealed).unwrap(), b"11010519491231002X");
        assert_ne!(k.seal(b"same"), k.seal(b"same"), "a fresh IV each time");
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert!(k.open(&bad).is_err());
        assert!(DataKey::from_master(&[8u8; 32]).open(&sealed).is_err());
        assert!(k.open(&sealed[..10]).is_err());
        assert_eq!(k.lookup_hash("x"), k.lookup_hash("x"));
        assert_ne!(
            k.lookup_hash("x"),
            DataKey::from_master(&[8u8; 32]).lookup_hash("x")
        );
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = DataKey::load("", dir.path()).unwrap();
        let b = DataKey::load("", dir.path()).unwrap();
        assert_eq!(a.lookup_hash("v"), b.lookup_hash("v"));
        assert!(DataKey::load("abcd", dir.path()).is_err());
    }
}
