//! Accounts, role grants and password sign-in.

use crate::platform::db::Conn as AnyConnection;
use crate::platform::db::Row;
use serde::Serialize;
use tongban_domain::identity::{AccountKind, PasswordPolicyError, Username, check_password_policy};
use tongban_domain::kernel::Role;

use super::password;
use crate::platform::clock::{Millis, now_ms};
use crate::platform::db::{Db, DbError};
use crate::platform::outbox;
use crate::platform::throttle::{self, Refusal};

/// Failed sign-ins in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MS: i64 = 15 * 60 * 1000;

/// An account.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Account {
    /// Internal id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// `person`, `enterprise` or `staff`.
    pub kind: String,
    /// Name shown on screen.
    pub display_name: String,
    /// Staff: home organisation.
    pub org_id: Option<i64>,
    /// Enterprise: 统一社会信用代码.
    pub credit_code: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Real-name level, 1–4 (实名等级).
    pub real_name_level: i64,
}

/// The account columns [`from_row`] reads, as `a.`-qualified names for
/// statements that join accounts to something else.
pub(crate) const COLS_A: &str = "a.id, a.username, a.kind, a.display_name, a.org_id, a.credit_code, a.status, \
     a.version, a.real_name_level";
const COLS: &str =
    "id, username, kind, display_name, org_id, credit_code, status, version, real_name_level";

pub(crate) fn from_row(r: &Row) -> Result<Account, DbError> {
    Ok(Account {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        kind: r.try_get("kind")?,
        display_name: r.try_get("display_name")?,
        org_id: r.try_get("org_id")?,
        credit_code: r.try_get("credit_code")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        real_name_level: r.try_get("real_name_level")?,
    })
}

/// A role held at an organisation (and everything below it).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Where it was granted.
    pub org_id: i64,
    /// That organisation's name.
    pub org_name_zh: String,
    /// That organisation's English name.
    pub org_name_en: String,
    /// That organisation's ancestry path.
    #[serde(skip)]
    pub org_path: String,
    /// Whether that organisation is a people's government at city level or
    /// above, so that the grant reaches the whole city (what the city-wide
    /// legal calendar asks of its editors).
    #[serde(skip)]
    pub city_wide: bool,
}

/// Who is acting: the account and its grants.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// The account.
    pub account: Account,
    /// Its roles.
    pub grants: Vec<Grant>,
}

impl Principal {
    /// Whether the account holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Whether the account holds `role` at an organisation whose subtree
    /// contains the organisation with ancestry `org_path`.
    pub fn can(&self, role: Role, org_path: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && org_path.starts_with(&g.org_path))
    }

    /// The ancestry paths of the organisations where the account holds
    /// `role` (its scope for that role).
    pub fn paths_of(&self, role: Role) -> Vec<&str> {
        self.grants
            .iter()
            .filter(|g| g.role == role)
            .map(|g| g.org_path.as_str())
            .collect()
    }

    /// This account as an editor of the legal calendar.
    pub fn calendar_editor(&self) -> crate::kernel::calendar::Editor {
        crate::kernel::calendar::Editor {
            account_id: self.account.id,
            // The calendar is the whole city's: only an administrator
            // whose scope is the whole city edits it.
            system_admin: self
                .grants
                .iter()
                .any(|g| g.role == Role::SystemAdmin && g.city_wide),
        }
    }

    /// Whether this is government staff.
    pub fn is_staff(&self) -> bool {
        self.account.kind == AccountKind::Staff.code()
    }
}

/// Who performs a use case. Every use case is told, and decides for
/// itself what each may do: there is no "no actor means allowed".
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// Nobody is signed in.
    Anonymous,
    /// A signed-in account with its grants.
    Person(&'a Principal),
    /// The platform itself: the demo loader, scheduled jobs, a provincial
    /// catalog imported by an operator at the command line.
    System,
}

impl<'a> Actor<'a> {
    /// The actor of a request: the signed-in principal, or anonymous.
    pub fn of(principal: Option<&'a Principal>) -> Self {
        principal.map_or(Self::Anonymous, Self::Person)
    }

    /// The account acting, if a person is.
    pub fn account_id(&self) -> Option<i64> {
        match self {
            Self::Person(p) => Some(p.account.id),
            Self::Anonymous | Self::System => None,
        }
    }

    /// The principal acting, if a person is.
    pub fn principal(&self) -> Option<&'a Principal> {
        match self {
            Self::Person(p) => Some(p),
            Self::Anonymous | Self::System => None,
        }
    }

    /// Whether the actor holds one of `roles` over the organisation with
    /// ancestry `org_path`; the platform itself may do anything, nobody
    /// signed in may do nothing.
    pub fn holds_any(&self, roles: &[Role], org_path: &str) -> bool {
        match self {
            Self::System => true,
            Self::Anonymous => false,
            Self::Person(p) => roles.iter().any(|r| p.can(*r, org_path)),
        }
    }
}

/// Why sign-in or an account change failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user or wrong password (deliberately not told apart).
    #[error("用户名或密码错误")]
    BadCredentials,
    /// Too many failures; locked until the given time.
    #[error("失败次数过多，账号已临时锁定")]
    Locked {
        /// when the lock ends
        until: Millis,
    },
    /// The account is disabled.
    #[error("账号已停用")]
    Disabled,
    /// As many of the account's sign-in steps are being checked as the lock
    /// allows failures: try again in a moment.
    #[error("登录请求过多，请稍后再试")]
    Busy,
    /// An online registration whose phone is not confirmed yet.
    #[error("注册尚未完成")]
    Pending,
    /// The new password breaks the policy.
    #[error("{0}")]
    Policy(PasswordPolicyError),
    /// The username is malformed.
    #[error("{0}")]
    Username(tongban_domain::identity::UsernameError),
    /// The username is taken.
    #[error("用户名已被使用")]
    UsernameTaken,
    /// Someone else changed the account first.
    #[error("账号信息已被他人修改，请刷新后重试")]
    Conflict,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One account by id.
pub async fn get(db: &Db, id: i64) -> Result<Option<Account>, DbError> {
    let row = crate::platform::db::query(format!("SELECT {COLS} FROM accounts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// One account by username.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<Account>, DbError> {
    let row =
        crate::platform::db::query(format!("SELECT {COLS} FROM accounts WHERE username = $1"))
            .bind(username)
            .fetch_optional(&db)
            .await?;
    row.as_ref().map(from_row).transpose()
}

/// The grants of an account.
pub async fn grants(db: &Db, account_id: i64) -> Result<Vec<Grant>, DbError> {
    let rows = crate::platform::db::query(
        "SELECT g.role, g.org_id, o.name_zh, o.name_en, o.path, o.kind, o.admin_level FROM role_grants g \
         JOIN organizations o ON o.id = g.org_id WHERE g.account_id = $1 ORDER BY g.id",
    )
    .bind(account_id)
    .fetch_all(&db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code: String = r.try_get("role")?;
        // A role code this build does not know is skipped, not fatal: an
        // older node may run beside a newer one during a rollout.
        if let Some(role) = Role::from_code(&code) {
            out.push(Grant {
                role,
                org_id: r.try_get("org_id")?,
                org_name_zh: r.try_get("name_zh")?,
                org_name_en: r.try_get("name_en")?,
                org_path: r.try_get("path")?,
                city_wide: r.try_get::<String, _>("kind")? == "government"
                    && r.try_get::<i64, _>("admin_level")?
                        <= tongban_domain::kernel::AdminLevel::Municipal as i64,
            });
        }
    }
    Ok(out)
}

/// Loads the principal of an account.
pub async fn principal(db: &Db, account_id: i64) -> Result<Option<Principal>, DbError> {
    let Some(account) = get(db, account_id).await? else {
        return Ok(None);
    };
    Ok(Some(principal_of(db, account).await?))
}

/// The principal of a loaded account. Roles are granted to staff only
/// (`insert_grant` refuses anyone else), so persons and enterprises cost no
/// second query.
pub async fn principal_of(db: &Db, account: Account) -> Result<Principal, DbError> {
    let grants = if account.kind == AccountKind::Staff.code() {
        grants(db, account.id).await?
    } else {
        Vec::new()
    };
    Ok(Principal { account, grants })
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Sign-in name.
    pub username: Username,
    /// Kind.
    pub kind: AccountKind,
    /// Name shown on screen.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Staff: home organisation.
    pub org_id: Option<i64>,
    /// Enterprise: credit code.
    pub credit_code: Option<String>,
    /// Who opened it (`None`: the person themselves, or the system).
    pub created_by: Option<i64>,
}

/// Creates an account inside an open transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    n: &NewAccount,
    now: Millis,
) -> Result<i64, AuthError> {
    let taken = crate::platform::db::query("SELECT 1 FROM accounts WHERE username = $1")
        .bind(n.username.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(AuthError::UsernameTaken);
    }
    let row = crate::platform::db::query(
        "INSERT INTO accounts (username, kind, display_name, password_hash, org_id, credit_code, status, \
         password_changed_at, created_at, updated_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $7, $8) RETURNING id",
    )
    .bind(n.username.as_str())
    .bind(n.kind.code())
    .bind(n.display_name.trim())
    .bind(&n.password_hash)
    .bind(n.org_id)
    .bind(n.credit_code.as_deref())
    .bind(now)
    .bind(n.created_by)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        let e = e;
        if e.is_unique_violation() { AuthError::UsernameTaken } else { AuthError::Db(e) }
    })?;
    let id: i64 = row.try_get(0)?;
    outbox::append(
        conn,
        "account.created",
        &serde_json::json!({"account_id": id, "kind": n.kind.code()}),
        now,
    )
    .await?;
    Ok(id)
}

/// Grants a role inside an open transaction (granting it twice is a no-op).
pub async fn insert_grant(
    conn: &mut AnyConnection,
    account_id: i64,
    role: Role,
    org_id: i64,
    by: Option<i64>,
    now: Millis,
) -> Result<(), DbError> {
    // Roles belong to staff: sessions of other accounts never read grants.
    let kind: Option<String> =
        crate::platform::db::query("SELECT kind FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    if kind.as_deref() != Some(AccountKind::Staff.code()) {
        return Err(DbError::Internal(
            "roles are granted to staff accounts only".into(),
        ));
    }
    crate::platform::db::query(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, role, org_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(role.code())
    .bind(org_id)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    outbox::append(
        conn,
        "role.granted",
        &serde_json::json!({"account_id": account_id, "role": role.code(), "org_id": org_id, "by": by}),
        now,
    )
    .await?;
    Ok(())
}

/// Checks a username and password. Every step is counted against the
/// account before it is evaluated ([`claim_step`]), so a burst of parallel
/// guesses evaluates at most [`MAX_FAILED_LOGINS`] of them; once the lock is
/// closed every guess, right or wrong, gets the same answer without being
/// evaluated.
pub async fn authenticate(
    db: &Db,
    username: &str,
    password_input: &str,
) -> Result<Account, AuthError> {
    let name = Username::parse(username)
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let row = crate::platform::db::query(
        "SELECT id, password_hash, status FROM accounts WHERE username = $1",
    )
    .bind(&name)
    .fetch_optional(&db)
    .await?;
    let Some(row) = row else {
        // Same work as a real check, so timing does not reveal which names exist.
        password::verify(password_input.to_owned(), password::dummy_hash().to_owned()).await;
        return Err(AuthError::BadCredentials);
    };
    let id: i64 = row.try_get("id")?;
    let hash: String = row.try_get("password_hash")?;
    let status: String = row.try_get("status")?;
    match claim_step(db, id).await? {
        Ok(()) => {}
        Err(Refusal::Blocked { until }) => return Err(AuthError::Locked { until }),
        Err(Refusal::Busy) => return Err(AuthError::Busy),
    }
    if !password::verify(password_input.to_owned(), hash).await {
        return match step_failed(db, id).await? {
            Some(until) => Err(AuthError::Locked { until }),
            None => Err(AuthError::BadCredentials),
        };
    }
    if let Err(until) = step_passed(db, id).await? {
        return Err(AuthError::Locked { until });
    }
    if status == "pending" {
        return Err(AuthError::Pending);
    }
    if status != "active" {
        return Err(AuthError::Disabled);
    }
    get(db, id).await?.ok_or(AuthError::BadCredentials)
}

/// Lets a sign-in step (a password or a one-time code) be evaluated only
/// while the account's failures and the steps in flight stay under
/// [`MAX_FAILED_LOGINS`] (one conditional update, so parallel guesses
/// cannot all pass a check made before any of them counts). Refused, with
/// the end of the lock, when the account is locked; a place held by steps in
/// flight is waited on for up to two seconds, as the right person's steps
/// pass and give their place back. An expired lock starts a fresh count.
pub(crate) async fn claim_step(db: &Db, id: i64) -> Result<Result<(), Refusal>, DbError> {
    for _ in 0..throttle::PLACE_TRIES {
        let now = now_ms();
        let outcome = db
            .write(crate::tx!(c => {
                    let claimed = crate::platform::db::query(
                        "UPDATE accounts SET \
                         failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins ELSE 0 END, \
                         pending_logins = CASE WHEN locked_until IS NULL THEN pending_logins + 1 ELSE 1 END, \
                         locked_until = NULL \
                         WHERE id = $1 AND ((locked_until IS NULL AND failed_logins + pending_logins < $2) \
                         OR locked_until <= $3)",
                    )
                    .bind(id)
                    .bind(MAX_FAILED_LOGINS)
                    .bind(now)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    if claimed == 1 {
                        return Ok(None);
                    }
                    Ok::<_, DbError>(Some(lock_end(c, id).await?))
                }))
            .await?;
        match outcome {
            None => return Ok(Ok(())),
            Some(Some(until)) if until > now => return Ok(Err(Refusal::Blocked { until })),
            Some(_) => tokio::time::sleep(throttle::PLACE_POLL).await,
        }
    }
    // Still full after two seconds: as many steps in flight as the lock
    // allows failures; the step is refused without being evaluated.
    Ok(Err(Refusal::Busy))
}

async fn lock_end(c: &mut AnyConnection, id: i64) -> Result<Option<Millis>, DbError> {
    Ok(
        crate::platform::db::query("SELECT locked_until FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
            .map(|r| r.try_get::<Option<i64>, _>(0))
            .transpose()?
            .flatten(),
    )
}

/// A claimed step failed: it is counted, and the lock closes once the
/// failures reach the limit. Returns the end of the lock when it is closed.
pub(crate) async fn step_failed(db: &Db, id: i64) -> Result<Option<Millis>, DbError> {
    let now = now_ms();
    let until = db
        .write(crate::tx!(c => {
            crate::platform::db::query(
                "UPDATE accounts SET failed_logins = failed_logins + 1, \
                 pending_logins = CASE WHEN pending_logins > 0 THEN pending_logins - 1 ELSE 0 END, \
                 locked_until = CASE WHEN locked_until IS NULL AND failed_logins + 1 >= $3 THEN $2 \
                 ELSE locked_until END WHERE id = $1",
            )
            .bind(id)
            .bind(now + LOCK_MS)
            .bind(MAX_FAILED_LOGINS)
            .execute(&mut *c)
            .await?;
            lock_end(c, id).await
        }))
        .await?;
    Ok(until.filter(|u| *u > now))
}

/// A claimed step passed. It gives its place back; an account without a
/// second factor is then signed in and its failures clear (one that owes a
/// code keeps them, or the password could clear the count between guesses
/// at the code). Refused, with the end of the lock, when a parallel failure
/// closed the lock meanwhile.
async fn step_passed(db: &Db, id: i64) -> Result<Result<(), Millis>, DbError> {
    db.write(crate::tx!(c => {
            crate::platform::db::query(
                "UPDATE accounts SET pending_logins = CASE WHEN pending_logins > 0 THEN pending_logins - 1 ELSE 0 END \
                 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *c)
            .await?;
            let n = crate::platform::db::query(
                "UPDATE accounts SET failed_logins = CASE \
                 WHEN kind <> 'staff' AND totp_secret IS NULL THEN 0 ELSE failed_logins END \
                 WHERE id = $1 AND locked_until IS NULL",
            )
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 1 {
                return Ok(Ok(()));
            }
            Ok::<_, DbError>(Err(lock_end(c, id).await?.unwrap_or_else(now_ms)))
        }))
    .await
}

/// Changes a password after checking the current one; all other sessions
/// of the account end, and every refresh token issued on its behalf. `expected_version` guards against a concurrent change.
pub async fn change_password(
    db: &Db,
    account: &Account,
    current: &str,
    new: &str,
    keep_session_hash: &str,
) -> Result<(), AuthError> {
    check_password_policy(new, &account.username).map_err(AuthError::Policy)?;
    let row = crate::platform::db::query("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account.id)
        .fetch_one(&db)
        .await?;
    let hash: String = row.try_get(0)?;
    if !password::verify(current.to_owned(), hash).await {
        return Err(AuthError::BadCredentials);
    }
    let new_hash = password::hash(new.to_owned()).await?;
    let (id, version, keep) = (account.id, account.version, keep_session_hash.to_owned());
    db.write(crate::tx!(c => {
            let now = now_ms();
            let n = crate::platform::db::query(
                "UPDATE accounts SET password_hash = $1, password_changed_at = $2, updated_at = $2, version = version + 1 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(&new_hash)
            .bind(now)
            .bind(id)
            .bind(version)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(AuthError::Conflict);
            }
            crate::platform::db::query("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND token_hash <> $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .bind(&keep)
                .execute(&mut *c)
                .await?;
            // Systems signed in with the old password lose their long-lived
            // access too (`offline_access` refresh tokens), as after a reset.
            crate::platform::db::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
            outbox::append(c, "account.password_changed", &serde_json::json!({"account_id": id}), now).await?;
            Ok(())
        }))
    .await
}

/// Staff accounts whose home organisation lies within `path` (a subtree).
pub async fn staff_within(db: &Db, path: &str) -> Result<Vec<(Account, String)>, DbError> {
    let rows = crate::platform::db::query(format!(
        "SELECT a.{}, o.name_zh AS org_name FROM accounts a JOIN organizations o ON o.id = a.org_id \
         WHERE a.kind = 'staff' AND o.path LIKE $1 ORDER BY o.path, a.username",
        COLS.replace(", ", ", a.")
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.try_get("org_name")?)))
        .collect()
}
