//! Identity: accounts, usernames, the password policy and one-time codes.

pub mod totp;

use serde::{Deserialize, Serialize};

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 自然人: a citizen or resident.
    Person,
    /// 法人: an enterprise or other organisation.
    Enterprise,
    /// 工作人员: government staff.
    Staff,
}

impl AccountKind {
    /// Wire code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Enterprise => "enterprise",
            Self::Staff => "staff",
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Person, Self::Enterprise, Self::Staff]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A sign-in name: 3–32 characters of lower-case letters, digits, `.`, `_`
/// or `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

/// Why a string is not a username.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Too short or too long.
    #[error("用户名长度应为3至32个字符")]
    Length,
    /// Characters outside the allowed set.
    #[error("用户名只能包含小写字母、数字、点、下划线和连字符，并以字母或数字开头")]
    Characters,
}

impl Username {
    /// Parses a username; it is trimmed and lower-cased so that sign-in is
    /// case-insensitive.
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let s = input.trim().to_ascii_lowercase();
        if !(3..=32).contains(&s.chars().count()) {
            return Err(UsernameError::Length);
        }
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !first_ok || !s.chars().all(ok_char) {
            return Err(UsernameError::Characters);
        }
        Ok(Self(s))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    /// Fewer than 10 characters.
    #[error("密码至少需要10个字符")]
    TooShort,
    /// More than 128 characters (bounds the hashing work an attacker can cause).
    #[error("密码不能超过128个字符")]
    TooLong,
    /// Fewer than two kinds of characters.
    #[error("密码需包含字母、数字、符号中的至少两类")]
    TooSimple,
    /// Contains the username.
    #[error("密码不能包含用户名")]
    ContainsUsername,
}

impl PasswordPolicyError {
    /// Stable code for message catalogs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort => "password.too_short",
            Self::TooLong => "password.too_long",
            Self::TooSimple => "password.too_simple",
            Self::ContainsUsername => "password.contains_username",
        }
    }
}

/// Checks a new password against the platform policy: 10–128 characters, at
/// least two of letters, digits and symbols, and not containing the username.
/// (Length matters more than composition; the composition rule is kept
/// because 等保 2.0 assessments expect it.)
pub fn check_password_policy(password: &str, username: &str) -> Result<(), PasswordPolicyError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(PasswordPolicyError::TooShort);
    }
    if n > 128 {
        return Err(PasswordPolicyError::TooLong);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let symbols = password.chars().any(|c| !c.is_alphanumeric());
    if [letters, digits, symbols].iter().filter(|b| **b).count() < 2 {
        return Err(PasswordPolicyError::TooSimple);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordPolicyError::ContainsUsername);
    }
    Ok(())
}

/// A mainland mobile number (手机号码): 11 digits starting with 1.
pub fn phone_ok(p: &str) -> bool {
    p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit())
}

/// An email address as people type them: one `@`, a local part of 1–64
/// printable characters without spaces, and a domain of dot-separated
/// labels (letters, digits, `-`, not at a label's ends) with at least one
/// dot; 254 characters at most. Returns it with the domain lower-cased.
pub fn email_normalized(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() > 254 {
        return None;
    }
    let (local, domain) = s.split_once('@')?;
    let local_ok = (1..=64).contains(&local.len())
        && local.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '@' | '<' | '>' | '(' | ')' | ',' | ';' | ':' | '"' | '[' | ']' | '\\'
                )
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (local_ok && domain_ok).then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Clerk ").unwrap().as_str(), "clerk");
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse("_abc"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("张三abc"), Err(UsernameError::Characters));
        assert!(Username::parse("li.si-2").is_ok());
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_password_policy("short1", "u"),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(
            check_password_policy("abcdefghijkl", "u"),
            Err(PasswordPolicyError::TooSimple)
        );
        assert_eq!(
            check_password_policy("clerk-123456", "clerk"),
            Err(PasswordPolicyError::ContainsUsername)
        );
        assert_eq!(
            check_password_policy(&"a1".repeat(65), "u"),
            Err(PasswordPolicyError::TooLong)
        );
        assert!(check_password_policy("tongban-demo", "citizen").is_ok());
        assert!(check_password_policy("哈尔滨冰雪大世界2026", "citizen").is_ok());
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            AccountKind::Person,
            AccountKind::Enterprise,
            AccountKind::Staff,
        ] {
            assert_eq!(AccountKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn contacts_are_checked() {
        assert!(super::phone_ok("13800000001"));
        assert!(!super::phone_ok("23800000001"));
        assert!(!super::phone_ok("1380000000"));
        assert_eq!(
            super::email_normalized(" Zhang.San@Example.COM ").as_deref(),
            Some("Zhang.San@example.com")
        );
        for bad in [
            "",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@-x.com",
            "a@x..com",
            "a@@x.com",
            "a\nb@x.com",
            "a@x_y.com",
        ] {
            assert_eq!(super::email_normalized(bad), None, "{bad:?}");
        }
    }
}
