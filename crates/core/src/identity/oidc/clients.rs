//! Relying parties (接入系统): their registration with exact redirect URIs, secrets stored as digests, scopes, rotation and disabling.

use super::*;

/// Kind of relying party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A server-side application with a secret (department systems, portals).
    Confidential,
    /// A browser or mobile application without a secret: PKCE S256 required.
    Public,
    /// A system calling tongban's APIs as itself (`client_credentials` only).
    Service,
}

impl ClientKind {
    /// Stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Confidential => "confidential",
            ClientKind::Public => "public",
            ClientKind::Service => "service",
        }
    }

    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "confidential" => Some(ClientKind::Confidential),
            "public" => Some(ClientKind::Public),
            "service" => Some(ClientKind::Service),
            _ => None,
        }
    }
}

/// A registered relying party.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// Row id.
    pub id: i64,
    /// `client_id`.
    pub client_id: String,
    /// Name shown on the consent screen.
    pub name: String,
    /// Kind.
    pub kind: ClientKind,
    #[serde(skip)]
    secret_hash: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub logout_uris: Vec<String>,
    /// Scopes it may ask for (or, for a service, be granted).
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_alg: &'static str,
    /// Whether people are asked before their claims are released.
    pub require_consent: bool,
    /// Owning department.
    pub org_id: Option<i64>,
    /// `active` or `disabled`.
    pub status: String,
}

impl Client {
    /// Whether `secret` is this client's secret.
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|h| constant_eq(h, &digest(secret)))
    }

    /// The signing algorithm of its ID tokens.
    pub fn alg(&self) -> Alg {
        Alg::parse(self.id_token_alg).unwrap_or(Alg::Es256)
    }
}

pub(super) fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ' '])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn client_from_row(r: &Row) -> Result<Client, DbError> {
    let alg: String = r.try_get("id_token_alg")?;
    Ok(Client {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        kind: ClientKind::parse(&r.try_get::<String, _>("kind")?)
            .unwrap_or(ClientKind::Confidential),
        secret_hash: r.try_get("secret_hash")?,
        redirect_uris: lines(&r.try_get::<String, _>("redirect_uris")?),
        logout_uris: lines(&r.try_get::<String, _>("logout_uris")?),
        scopes: lines(&r.try_get::<String, _>("scopes")?),
        id_token_alg: Alg::parse(&alg).unwrap_or(Alg::Es256).as_str(),
        require_consent: r.try_get::<i64, _>("require_consent")? != 0,
        org_id: r.try_get("org_id")?,
        status: r.try_get("status")?,
    })
}

pub(super) const CLIENT_COLS: &str = "id, client_id, name, kind, secret_hash, redirect_uris, logout_uris, scopes, \
     id_token_alg, require_consent, org_id, status";

/// An active client by its `client_id`.
pub async fn client(db: &Db, client_id: &str) -> Result<Option<Client>, DbError> {
    if client_id.is_empty() || client_id.len() > 100 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {CLIENT_COLS} FROM oidc_clients WHERE client_id = $1 AND status = 'active'"
    );
    let row = crate::platform::db::query(sql)
        .bind(client_id)
        .fetch_optional(&db)
        .await?;
    row.as_ref().map(client_from_row).transpose()
}

/// Every client, active or not, by name.
pub async fn clients(db: &Db) -> Result<Vec<Client>, DbError> {
    let sql = format!("SELECT {CLIENT_COLS} FROM oidc_clients ORDER BY name, client_id");
    let rows = crate::platform::db::query(sql).fetch_all(&db).await?;
    rows.iter().map(client_from_row).collect()
}

/// A client registration as typed by an administrator.
#[derive(Debug, Clone, Default)]
pub struct ClientForm {
    /// `client_id` (lower-case letters, digits, `-`, `_`, `.`).
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// `confidential`, `public` or `service`.
    pub kind: String,
    /// Redirect URIs, one per line.
    pub redirect_uris: String,
    /// Post-logout redirect URIs, one per line.
    pub logout_uris: String,
    /// Scopes, space- or line-separated.
    pub scopes: String,
    /// `ES256` or `RS256`.
    pub id_token_alg: String,
    /// Ask people before releasing claims.
    pub require_consent: bool,
    /// Owning department.
    pub org_id: Option<i64>,
}

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Not a system administrator.
    #[error("无权管理接入系统")]
    Forbidden,
    /// The form has problems.
    #[error("接入系统登记信息有误")]
    Invalid(Vec<FieldProblem>),
    /// Unknown client.
    #[error("接入系统不存在")]
    NotFound,
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whether a redirect URI may be registered: absolute https with a host,
/// or http on a loopback host (development and the demo); parsed as a URL,
/// so `http://127.0.0.1:@evil.example/` is seen for the host it names. No
/// user information, no fragment, nothing the parser had to repair (the
/// registered string is compared byte for byte at authorization).
pub(super) fn redirect_ok(u: &str) -> bool {
    if u.len() > 500 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Ok(url) = url::Url::parse(u) else {
        return false;
    };
    let loopback = matches!(
        url.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    let scheme_ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback,
        _ => false,
    };
    // The authority is written out as it is parsed (`https:///cb` would be
    // read as the host `cb`).
    let authority_written = u
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.starts_with(['/', '\\']));
    scheme_ok
        && authority_written
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && !u.contains('#')
        && !u.contains('@')
        && !u.contains('\\')
}

/// A registration that passed its checks.
pub(super) struct CheckedForm {
    pub(super) kind: ClientKind,
    pub(super) alg: Alg,
    pub(super) redirects: Vec<String>,
    pub(super) logouts: Vec<String>,
    pub(super) scopes: Vec<String>,
}

pub(super) fn check_form(f: &ClientForm, creating: bool) -> Result<CheckedForm, ClientError> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, code: &'static str, message: String, value: &str| {
        problems.push(FieldProblem::new(field, code, message).with("value", value));
    };
    let id = f.client_id.trim();
    if creating
        && (id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)))
    {
        problem(
            "client_id",
            "invalid",
            "接入标识应为1至64位小写字母、数字或 - _ .".into(),
            "",
        );
    }
    if f.name.trim().is_empty() || f.name.chars().count() > 100 {
        problem(
            "name",
            "invalid",
            "系统名称不能为空，且不超过100个字".into(),
            "",
        );
    }
    let kind = ClientKind::parse(&f.kind);
    if kind.is_none() {
        problem("kind", "required", "请选择接入类型".into(), "");
    }
    let alg = Alg::parse(&f.id_token_alg);
    if alg.is_none() {
        problem(
            "id_token_alg",
            "invalid",
            "签名算法应为 ES256 或 RS256".into(),
            "",
        );
    }
    let redirects = lines(&f.redirect_uris);
    let logouts = lines(&f.logout_uris);
    for (field, list) in [("redirect_uris", &redirects), ("logout_uris", &logouts)] {
        if let Some(bad) = list.iter().find(|u| !redirect_ok(u)) {
            problem(
                field,
                "bad_uri",
                format!(
                    "地址“{bad}”无效：须为完整的 https 地址（本机调试可用 http://127.0.0.1），且不含 #"
                ),
                bad,
            );
        }
    }
    let scopes = lines(&f.scopes);
    if kind.is_some_and(|k| k != ClientKind::Service) {
        if redirects.is_empty() {
            problem(
                "redirect_uris",
                "required",
                "至少登记一个回调地址".into(),
                "",
            );
        }
        if !scopes.iter().any(|s| s == "openid") {
            problem(
                "scopes",
                "openid_needed",
                "用户登录类系统的授权范围须包含 openid".into(),
                "",
            );
        }
        if let Some(bad) = scopes.iter().find(|s| !USER_SCOPES.contains(&s.as_str())) {
            problem(
                "scopes",
                "not_user_scope",
                format!(
                    "授权范围“{bad}”不是用户可授予的范围（{}）",
                    USER_SCOPES.join(" ")
                ),
                bad,
            );
        }
    } else if kind == Some(ClientKind::Service) {
        if scopes.is_empty() {
            problem(
                "scopes",
                "required",
                "服务账号至少需要一个授权范围".into(),
                "",
            );
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| !SERVICE_SCOPES.contains(&s.as_str()))
        {
            problem(
                "scopes",
                "not_service_scope",
                format!(
                    "授权范围“{bad}”不是服务接口范围（{}）",
                    SERVICE_SCOPES.join(" ")
                ),
                bad,
            );
        }
    }
    match (kind, alg, problems.is_empty()) {
        (Some(kind), Some(alg), true) => Ok(CheckedForm {
            kind,
            alg,
            redirects,
            logouts,
            scopes,
        }),
        _ => Err(ClientError::Invalid(problems)),
    }
}

/// Scopes of tongban's own APIs that service clients may be granted.
pub const SERVICE_SCOPES: &[&str] = &["catalog.read", "catalog.export"];

/// Registers a relying party (system administrators). Returns the client
/// and, for confidential and service clients, its secret: shown once, only
/// its hash is kept.
pub async fn register(
    db: &Db,
    actor: &Principal,
    f: &ClientForm,
) -> Result<(Client, Option<String>), ClientError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(ClientError::Forbidden);
    }
    let checked = check_form(f, true)?;
    let secret = (checked.kind != ClientKind::Public).then(random_token);
    insert_client(db, Some(actor.account.id), f, &checked, secret.as_deref()).await?;
    let c = client(db, f.client_id.trim())
        .await?
        .ok_or(ClientError::NotFound)?;
    Ok((c, secret))
}

/// Registers a client with a known secret (the demo's documented relying
/// party); no actor.
pub async fn register_fixed(
    db: &Db,
    f: &ClientForm,
    secret: Option<&str>,
) -> Result<(), ClientError> {
    let checked = check_form(f, true)?;
    insert_client(db, None, f, &checked, secret).await
}

pub(super) async fn insert_client(
    db: &Db,
    actor: Option<i64>,
    f: &ClientForm,
    checked: &CheckedForm,
    secret: Option<&str>,
) -> Result<(), ClientError> {
    let (kind, alg) = (checked.kind, checked.alg);
    let (redirects, logouts, scopes) = (&checked.redirects, &checked.logouts, &checked.scopes);
    let (client_id, name, org_id, consent) = (
        f.client_id.trim().to_owned(),
        f.name.trim().to_owned(),
        f.org_id,
        f.require_consent,
    );
    let (redirects, logouts, scopes) = (redirects.join("\n"), logouts.join("\n"), scopes.join(" "));
    let secret_hash = secret.map(digest);
    db.write(crate::tx!(c => {
            let now = now_ms();
            crate::platform::db::query(
                "INSERT INTO oidc_clients (client_id, name, kind, secret_hash, redirect_uris, logout_uris, scopes, \
                 id_token_alg, require_consent, org_id, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
            )
            .bind(&client_id)
            .bind(&name)
            .bind(kind.as_str())
            .bind(&secret_hash)
            .bind(&redirects)
            .bind(&logouts)
            .bind(&scopes)
            .bind(alg.as_str())
            .bind(i64::from(consent))
            .bind(org_id)
            .bind(actor)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(|e| {
                let e = e;
                if e.is_unique_violation() {
                    ClientError::Invalid(vec![FieldProblem::new(
                        "client_id",
                        "taken",
                        "此接入标识已被使用",
                    )])
                } else {
                    ClientError::Db(e)
                }
            })?;
            crate::platform::outbox::append(
                c,
                "oidc.client_registered",
                &json!({"client_id": client_id, "by": actor}),
                now,
            )
            .await?;
            Ok::<_, ClientError>(())
        }))
    .await
}

/// Changes a client's registration (not its id or kind).
pub async fn update_client(
    db: &Db,
    actor: &Principal,
    client_id: &str,
    f: &ClientForm,
) -> Result<(), ClientError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(ClientError::Forbidden);
    }
    let CheckedForm {
        alg,
        redirects,
        logouts,
        scopes,
        ..
    } = check_form(f, false)?;
    let (client_id, name, consent, org_id, by) = (
        client_id.to_owned(),
        f.name.trim().to_owned(),
        f.require_consent,
        f.org_id,
        actor.account.id,
    );
    let (redirects, logouts, scopes) = (redirects.join("\n"), logouts.join("\n"), scopes.join(" "));
    db.write(crate::tx!(c => {
            let now = now_ms();
            let n = crate::platform::db::query(
                "UPDATE oidc_clients SET name = $1, redirect_uris = $2, logout_uris = $3, scopes = $4, \
                 id_token_alg = $5, require_consent = $6, org_id = $7, updated_at = $8 WHERE client_id = $9",
            )
            .bind(&name)
            .bind(&redirects)
            .bind(&logouts)
            .bind(&scopes)
            .bind(alg.as_str())
            .bind(i64::from(consent))
            .bind(org_id)
            .bind(now)
            .bind(&client_id)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(ClientError::NotFound);
            }
            crate::platform::outbox::append(c, "oidc.client_updated", &json!({"client_id": client_id, "by": by}), now).await?;
            Ok(())
        }))
    .await
}

/// Issues a new secret for a client (the old one stops working at once) or
/// disables/enables it. Returns the new secret when one was issued.
pub async fn client_action(
    db: &Db,
    actor: &Principal,
    client_id: &str,
    action: &str,
) -> Result<Option<String>, ClientError> {
    if !actor.has_role(Role::SystemAdmin) {
        return Err(ClientError::Forbidden);
    }
    let secret = (action == "rotate_secret").then(random_token);
    let sql = match action {
        "rotate_secret" => {
            "UPDATE oidc_clients SET secret_hash = $1, updated_at = $2 WHERE client_id = $3 AND kind <> 'public'"
        }
        "disable" => {
            "UPDATE oidc_clients SET status = 'disabled', updated_at = $2 WHERE client_id = $3 AND $1 IS NULL"
        }
        "enable" => {
            "UPDATE oidc_clients SET status = 'active', updated_at = $2 WHERE client_id = $3 AND $1 IS NULL"
        }
        _ => return Err(ClientError::NotFound),
    };
    let (hash, id, by, action) = (
        secret.as_deref().map(digest),
        client_id.to_owned(),
        actor.account.id,
        action.to_owned(),
    );
    db.write(crate::tx!(c => {
            let now = now_ms();
            let n = crate::platform::db::query(sql)
                .bind(&hash)
                .bind(now)
                .bind(&id)
                .execute(&mut *c)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(ClientError::NotFound);
            }
            if action == "disable" {
                // A disabled system keeps no way in: its refresh tokens end.
                crate::platform::db::query("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *c)
                    .await?;
            }
            crate::platform::outbox::append(c, "oidc.client_changed", &json!({"client_id": id, "action": action, "by": by}), now)
                .await?;
            Ok(())
        }))
    .await?;
    Ok(secret)
}
