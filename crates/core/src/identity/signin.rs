//! 登录 signing in: the per-address limit, the password and the second
//! factor, as one use case that the sign-in page, its API twin and the code
//! page share. Every step is counted before it is evaluated (the address in
//! [`throttle`], the account in [`accounts`]), so parallel guesses cannot
//! outrun either limit; a step that passes gives its address count back.

use super::accounts::{self, AuthError};
use super::mfa::{self, MfaError};
use crate::platform::clock::Millis;
use crate::platform::crypto::DataKey;
use crate::platform::db::{Db, DbError};
use crate::platform::throttle::{self, Limit, Refusal};

/// Where a sign-in comes from and what limits it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The client's address (the throttle key), `None` when unknown.
    pub address: Option<&'a str>,
    /// Failed steps allowed per address per window.
    pub limit: Limit,
}

impl Origin<'_> {
    fn key(&self) -> String {
        format!("signin:{}", self.address.unwrap_or("unknown"))
    }
}

/// A sign-in step that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// Every factor passed: start a session for this account.
    SignedIn(i64),
    /// The password passed; this account owes a second factor.
    SecondFactorOwed(i64),
}

/// Why a sign-in step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Username or password left empty.
    #[error("username and password are required")]
    Missing,
    /// This address failed too often; refused until the window ends.
    #[error("too many failed sign-ins from this address")]
    AddressBlocked {
        /// when the window ends
        until: Millis,
    },
    /// The account is locked (every guess gets this answer, right or wrong).
    #[error("account locked")]
    Locked {
        /// when the lock ends
        until: Millis,
    },
    /// Unknown user or wrong password (deliberately not told apart).
    #[error("bad credentials")]
    BadCredentials,
    /// Wrong, reused or stale one-time code.
    #[error("bad one-time code")]
    BadCode,
    /// The pending second-factor challenge is unknown or expired.
    #[error("sign-in expired")]
    Expired,
    /// The account is disabled.
    #[error("account disabled")]
    Disabled,
    /// An online registration whose phone is not confirmed yet.
    #[error("registration pending")]
    Pending,
    /// Too many sign-ins from this address are being checked at this very
    /// moment; try again in a moment.
    #[error("sign-in busy")]
    Busy,
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl SignInError {
    /// Whether the step counts against the address (a guess that failed).
    fn counts(&self) -> bool {
        matches!(
            self,
            Self::Locked { .. } | Self::BadCredentials | Self::BadCode
        )
    }
}

impl From<AuthError> for SignInError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Locked { until } => Self::Locked { until },
            AuthError::Busy => Self::Busy,
            AuthError::Disabled => Self::Disabled,
            AuthError::Pending => Self::Pending,
            AuthError::Db(e) => Self::Db(e),
            _ => Self::BadCredentials,
        }
    }
}

impl From<MfaError> for SignInError {
    fn from(e: MfaError) -> Self {
        match e {
            MfaError::Locked { until } => Self::Locked { until },
            MfaError::Busy => Self::Busy,
            MfaError::Expired => Self::Expired,
            MfaError::BadCode => Self::BadCode,
            MfaError::Db(e) => Self::Db(e),
        }
    }
}

/// Runs one step under the address limit: it holds a place while it is
/// evaluated, and only a guess that failed is counted.
async fn limited<T>(
    db: &Db,
    origin: Origin<'_>,
    step: impl Future<Output = Result<T, SignInError>>,
) -> Result<T, SignInError> {
    let claim = match throttle::claim(db, &origin.key(), origin.limit).await? {
        Ok(c) => c,
        Err(Refusal::Blocked { until }) => return Err(SignInError::AddressBlocked { until }),
        Err(Refusal::Busy) => return Err(SignInError::Busy),
    };
    let outcome = step.await;
    let failed = matches!(&outcome, Err(e) if e.counts());
    if let Err(e) = throttle::settle(db, claim, failed).await {
        tracing::warn!(error = %e, "throttle settle failed");
    }
    outcome
}

/// Signs in with a password, and with a TOTP code when one is given (the
/// API sends both at once).
pub async fn with_password(
    db: &Db,
    key: &DataKey,
    origin: Origin<'_>,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Passed, SignInError> {
    if username.trim().is_empty() || password.is_empty() {
        return Err(SignInError::Missing);
    }
    limited(db, origin, async {
        let account = accounts::authenticate(db, username, password).await?;
        if !mfa::required(db, account.id).await? {
            return Ok(Passed::SignedIn(account.id));
        }
        let Some(code) = code else {
            return Ok(Passed::SecondFactorOwed(account.id));
        };
        mfa::verify_code(db, key, account.id, code, None).await?;
        Ok(Passed::SignedIn(account.id))
    })
    .await
}

/// Completes a pending second-factor challenge with a code; returns the
/// account and where it was going.
pub async fn with_code(
    db: &Db,
    key: &DataKey,
    origin: Origin<'_>,
    challenge_token: &str,
    code: &str,
) -> Result<(i64, String), SignInError> {
    limited(db, origin, async {
        Ok(mfa::finish(db, key, challenge_token, code).await?)
    })
    .await
}
