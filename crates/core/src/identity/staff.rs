//! 工作人员管理 staff administration: which organisations an administrator
//! manages, who works there, and opening a staff account with its first
//! role. A system administrator manages everything below the organisation
//! they were granted at; a department administrator manages their
//! department's subtree and may grant only working roles.

use tongban_domain::FieldProblem;
use tongban_domain::identity::{AccountKind, Username, check_password_policy};
use tongban_domain::kernel::Role;

use super::accounts::{self, Account, AuthError, Grant, NewAccount, Principal};
use super::password;
use crate::kernel::orgs::{self, Org};
use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};

/// Why a staff action was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The actor administers no organisation.
    #[error("not an administrator")]
    Forbidden,
    /// The form has problems (every one of them).
    #[error("invalid staff form")]
    Invalid(Vec<FieldProblem>),
    /// Hashing the password failed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
    /// Storage failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A failure that should not happen (logged as internal).
    #[error("unexpected: {0}")]
    Unexpected(String),
}

/// Organisations the actor may manage staff in, with the strongest
/// administrator role held over each, in tree order.
pub async fn scope(db: &Db, actor: &Principal) -> Result<Vec<(Org, Role)>, DbError> {
    let mut out: Vec<(Org, Role)> = Vec::new();
    for g in actor
        .grants
        .iter()
        .filter(|g| matches!(g.role, Role::SystemAdmin | Role::DeptAdmin))
    {
        let Some(root) = orgs::get(db, g.org_id).await? else {
            continue;
        };
        for o in orgs::list(db, Some(&root), 10_000, 0).await? {
            match out.iter_mut().find(|(x, _)| x.id == o.id) {
                Some(existing) if g.role == Role::SystemAdmin => existing.1 = Role::SystemAdmin,
                Some(_) => {}
                None => out.push((o, g.role)),
            }
        }
    }
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    Ok(out)
}

/// A staff member in an administrator's scope.
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// The account.
    pub account: Account,
    /// Its home organisation's name.
    pub org_name: String,
    /// Its roles.
    pub grants: Vec<Grant>,
}

/// What an administrator sees: the scope, its top organisations, the staff
/// within them, and the roles the administrator may grant.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Organisations in scope with the role held over each.
    pub scope: Vec<(Org, Role)>,
    /// The top organisations of the scope.
    pub roots: Vec<Org>,
    /// Staff whose home organisation lies in the scope.
    pub staff: Vec<StaffMember>,
    /// Roles the administrator may grant somewhere in the scope.
    pub grantable: Vec<Role>,
}

/// The staff directory of an administrator.
pub async fn directory(db: &Db, actor: &Principal) -> Result<Directory, StaffError> {
    let scope = scope(db, actor).await?;
    if scope.is_empty() {
        return Err(StaffError::Forbidden);
    }
    let roots: Vec<Org> = scope
        .iter()
        .map(|(o, _)| o)
        .filter(|o| {
            !scope
                .iter()
                .any(|(p, _)| p.id != o.id && orgs::is_within(o, p))
        })
        .cloned()
        .collect();
    let mut staff = Vec::new();
    for root in &roots {
        for (account, org_name) in accounts::staff_within(db, &root.path).await? {
            let grants = accounts::grants(db, account.id).await?;
            staff.push(StaffMember {
                account,
                org_name,
                grants,
            });
        }
    }
    let best = if scope.iter().any(|(_, r)| *r == Role::SystemAdmin) {
        Role::SystemAdmin
    } else {
        Role::DeptAdmin
    };
    let grantable = Role::ALL
        .iter()
        .copied()
        .filter(|r| best.may_grant(*r))
        .collect();
    Ok(Directory {
        scope,
        roots,
        staff,
        grantable,
    })
}

/// A new staff account as the administrator typed it.
#[derive(Debug, Clone, Default)]
pub struct NewStaff {
    /// Sign-in name.
    pub username: String,
    /// Name shown on screen (at most 50 characters).
    pub display_name: String,
    /// Home organisation (an id within the scope).
    pub org_id: String,
    /// Role code of the first role, granted at the home organisation.
    pub role: String,
    /// Initial password.
    pub password: String,
}

/// Opens a staff account with its first role, recording who opened it and
/// who granted the role (four eyes depend on it). Every problem of the form
/// is reported at once, each with a code (`required`, `org_out_of_scope`,
/// `role_not_allowed`, `username_taken`, `username.*`, `password.*`).
pub async fn create(db: &Db, actor: &Principal, n: NewStaff) -> Result<Username, StaffError> {
    let scope = scope(db, actor).await?;
    if scope.is_empty() {
        return Err(StaffError::Forbidden);
    }
    let mut problems = Vec::new();
    let username = Username::parse(&n.username)
        .map_err(|e| {
            problems.push(FieldProblem::new(
                "username",
                "username.invalid",
                e.to_string(),
            ))
        })
        .ok();
    let name = n.display_name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        problems.push(FieldProblem::new(
            "display_name",
            "required",
            "请填写姓名（不超过50字）",
        ));
    }
    let target = n
        .org_id
        .parse::<i64>()
        .ok()
        .and_then(|id| scope.iter().find(|(o, _)| o.id == id));
    if target.is_none() {
        problems.push(FieldProblem::new(
            "org_id",
            "org_out_of_scope",
            "所选机构不在您的管理范围内",
        ));
    }
    let role = Role::from_code(&n.role);
    match (role, target) {
        (Some(r), Some((_, held))) if held.may_grant(r) => {}
        (None, _) => problems.push(FieldProblem::new("role", "required", "请选择角色")),
        (Some(_), Some(_)) => {
            problems.push(FieldProblem::new(
                "role",
                "role_not_allowed",
                "您不能授予该角色",
            ));
        }
        (Some(_), None) => {}
    }
    if let Err(p) = check_password_policy(&n.password, &n.username) {
        problems.push(FieldProblem::new("password", p.code(), p.to_string()));
    }
    let (Some(username), Some(role), Some((org, _)), true) =
        (username, role, target, problems.is_empty())
    else {
        return Err(StaffError::Invalid(problems));
    };
    let hash = password::hash(n.password).await?;
    let by = actor.account.id;
    let new = NewAccount {
        username: username.clone(),
        kind: AccountKind::Staff,
        display_name: name.to_owned(),
        password_hash: hash,
        org_id: Some(org.id),
        credit_code: None,
        created_by: Some(by),
    };
    let org_id = org.id;
    let created = db
        .write(crate::tx!(c => {
            let now = now_ms();
            let id = accounts::insert(c, &new, now).await?;
            accounts::insert_grant(c, id, role, org_id, Some(by), now).await?;
            Ok::<_, AuthError>(id)
        }))
        .await;
    match created {
        Ok(_) => Ok(username),
        Err(AuthError::UsernameTaken) => Err(StaffError::Invalid(vec![FieldProblem::new(
            "username",
            "username_taken",
            "用户名已被使用",
        )])),
        Err(AuthError::Db(e)) => Err(e.into()),
        Err(AuthError::Hash(e)) => Err(e.into()),
        Err(other) => Err(StaffError::Unexpected(other.to_string())),
    }
}
