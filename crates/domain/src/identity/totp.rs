//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1,
//! 6 digits, 30-second steps): what authenticator apps produce. Pure: the
//! caller passes the time, and enforces that a step is used only once.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Steps of clock drift tolerated either side.
pub const SKEW: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Encodes bytes as unpadded base32 (RFC 4648), as authenticator apps take it.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, ignoring spaces, padding and case; `None` if malformed.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| char::from(*a) == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The step a Unix time (seconds) falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of a step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step whose code `input` is, within the tolerated skew of `now_step`
/// and after `last_used` (a used step is never accepted again).
pub fn matching_step(
    secret: &[u8],
    input: &str,
    now_step: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    let input: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if input.len() != 6 || !input.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (now_step - SKEW..=now_step + SKEW)
        .filter(|s| last_used.is_none_or(|l| *s > l))
        .find(|s| {
            let code = code_at(secret, *s);
            code.bytes()
                .zip(input.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 rows, last six digits.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), code, "t={t}");
        }
    }

    #[test]
    fn base32_round_trips_and_reads_what_apps_show() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert!(base32_decode("MZXW1").is_none());
        let bytes: Vec<u8> = (0u8..20).collect();
        assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn a_code_is_accepted_once_and_only_near_its_time() {
        let secret = b"12345678901234567890";
        let now = step_of(1_234_567_890);
        let code = code_at(secret, now);
        assert_eq!(matching_step(secret, &code, now, None), Some(now));
        assert_eq!(
            matching_step(secret, &code, now + 1, None),
            Some(now),
            "skew"
        );
        assert_eq!(matching_step(secret, &code, now + 2, None), None, "too old");
        assert_eq!(matching_step(secret, &code, now, Some(now)), None, "replay");
        assert_eq!(matching_step(secret, "12345", now, None), None);
    }
}
