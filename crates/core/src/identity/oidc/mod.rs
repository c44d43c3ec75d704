//! OpenID Connect provider (统一身份认证): relying parties, authorization
//! codes with PKCE, tokens, refresh-token rotation with reuse detection,
//! the `client_credentials` grant and consents. HTTP lives in the web crate;
//! the rules and the storage are here.

pub mod decide;
pub mod keys;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use tongban_domain::FieldProblem;
use tongban_domain::kernel::Role;

pub use keys::{Alg, Key, KeyError, KeyRing};

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
];

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

fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ' '])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn client_from_row(r: &AnyRow) -> Result<Client, DbError> {
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

const CLIENT_COLS: &str = "id, client_id, name, kind, secret_hash, redirect_uris, logout_uris, scopes, \
     id_token_alg, require_consent, org_id, status";

/// An active client by its `client_id`.
pub async fn client(db: &Db, client_id: &str) -> Result<Option<Client>, DbError> {
    if client_id.is_empty() || client_id.len() > 100 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {CLIENT_COLS} FROM oidc_clients WHERE client_id = $1 AND status = 'active'"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(client_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(client_from_row).transpose()
}

/// Every client, active or not, by name.
pub async fn clients(db: &Db) -> Result<Vec<Client>, DbError> {
    let sql = format!("SELECT {CLIENT_COLS} FROM oidc_clients ORDER BY name, client_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
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

impl From<sqlx::Error> for ClientError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

/// Whether a redirect URI may be registered: absolute https with a host,
/// or http on a loopback host (development and the demo); parsed as a URL,
/// so `http://127.0.0.1:@evil.example/` is seen for the host it names. No
/// user information, no fragment, nothing the parser had to repair (the
/// registered string is compared byte for byte at authorization).
fn redirect_ok(u: &str) -> bool {
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
struct CheckedForm {
    kind: ClientKind,
    alg: Alg,
    redirects: Vec<String>,
    logouts: Vec<String>,
    scopes: Vec<String>,
}

fn check_form(f: &ClientForm, creating: bool) -> Result<CheckedForm, ClientError> {
    let mut problems = Vec::new();
    let mut problem =
        |field: &str, message: String| problems.push(FieldProblem::new(field, "invalid", message));
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
            "接入标识应为1至64位小写字母、数字或 - _ .".into(),
        );
    }
    if f.name.trim().is_empty() || f.name.chars().count() > 100 {
        problem("name", "系统名称不能为空，且不超过100个字".into());
    }
    let kind = ClientKind::parse(&f.kind);
    if kind.is_none() {
        problem("kind", "请选择接入类型".into());
    }
    let alg = Alg::parse(&f.id_token_alg);
    if alg.is_none() {
        problem("id_token_alg", "签名算法应为 ES256 或 RS256".into());
    }
    let redirects = lines(&f.redirect_uris);
    let logouts = lines(&f.logout_uris);
    for (field, list) in [("redirect_uris", &redirects), ("logout_uris", &logouts)] {
        if let Some(bad) = list.iter().find(|u| !redirect_ok(u)) {
            problem(
                field,
                format!(
                    "地址“{bad}”无效：须为完整的 https 地址（本机调试可用 http://127.0.0.1），且不含 #"
                ),
            );
        }
    }
    let scopes = lines(&f.scopes);
    if kind.is_some_and(|k| k != ClientKind::Service) {
        if redirects.is_empty() {
            problem("redirect_uris", "至少登记一个回调地址".into());
        }
        if !scopes.iter().any(|s| s == "openid") {
            problem("scopes", "用户登录类系统的授权范围须包含 openid".into());
        }
        if let Some(bad) = scopes.iter().find(|s| !USER_SCOPES.contains(&s.as_str())) {
            problem(
                "scopes",
                format!(
                    "授权范围“{bad}”不是用户可授予的范围（{}）",
                    USER_SCOPES.join(" ")
                ),
            );
        }
    } else if kind == Some(ClientKind::Service) {
        if scopes.is_empty() {
            problem("scopes", "服务账号至少需要一个授权范围".into());
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| !SERVICE_SCOPES.contains(&s.as_str()))
        {
            problem(
                "scopes",
                format!(
                    "授权范围“{bad}”不是服务接口范围（{}）",
                    SERVICE_SCOPES.join(" ")
                ),
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

async fn insert_client(
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
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            sqlx::query(
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
                let e = DbError::from(e);
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
        })
    })
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
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            let n = sqlx::query(
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
        })
    })
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
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            let n = sqlx::query(sql)
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
                sqlx::query("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *c)
                    .await?;
            }
            crate::platform::outbox::append(c, "oidc.client_changed", &json!({"client_id": id, "action": action, "by": by}), now)
                .await?;
            Ok(())
        })
    })
    .await?;
    Ok(secret)
}

// ------------------------------------------------------------------ grants

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

/// Who signed in, and how, as the provider needs it.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Account id.
    pub account_id: i64,
    /// The browser session (hash) the sign-in belongs to.
    pub session_hash: Option<String>,
    /// `acr`: the real-name level reached.
    pub acr: String,
    /// When the person authenticated (ms).
    pub auth_time: Millis,
    /// The enterprise the person acts for (经办人), if any.
    pub acting_for: Option<i64>,
}

/// A pending authorization, validated.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The client.
    pub client_id: String,
    /// The exact redirect URI.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
}

/// Stores a new authorization code and returns it.
pub async fn issue_code(db: &Db, a: &Authorization, who: &Subject) -> Result<String, DbError> {
    let code = random_token();
    let (hash, a, who) = (digest(&code), a.clone(), who.clone());
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            sqlx::query(
                "INSERT INTO oidc_codes (code_hash, client_id, account_id, session_hash, redirect_uri, scope, nonce, \
                 code_challenge, acr, auth_time, family, expires_at, acting_for) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&hash)
            .bind(&a.client_id)
            .bind(who.account_id)
            .bind(&who.session_hash)
            .bind(&a.redirect_uri)
            .bind(a.scope.join(" "))
            .bind(&a.nonce)
            .bind(&a.code_challenge)
            .bind(&who.acr)
            .bind(who.auth_time)
            .bind(random_token())
            .bind(now + CODE_TTL_MS)
            .bind(who.acting_for)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await?;
    Ok(code)
}

/// What a grant yields before it is turned into tokens.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Account.
    pub account_id: i64,
    /// Scopes.
    pub scope: Vec<String>,
    /// `nonce` to echo in the ID token.
    pub nonce: Option<String>,
    /// `acr`.
    pub acr: String,
    /// Authentication time (ms).
    pub auth_time: Millis,
    /// Browser session hash.
    pub session_hash: Option<String>,
    /// Token family (for rotation and revocation).
    pub family: String,
    /// The enterprise acted for, if any.
    pub acting_for: Option<i64>,
    /// The account as of this grant (read with it).
    pub account: AccountSnapshot,
}

fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    // RFC 7636 §4.1: 43–128 characters of the unreserved set.
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        && constant_eq(
            &URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            challenge,
        )
}

/// Exchanges an authorization code in one durable write: the code is
/// consumed (once), the redirect URI and PKCE verifier are checked, and, when
/// `with_refresh`, a refresh token is stored with it. A second use of a code
/// revokes the refresh tokens issued from the first.
pub async fn exchange_code(
    db: &Db,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
    with_refresh: bool,
) -> Result<(Grant, Option<String>), OAuthError> {
    if code.is_empty() || code.len() > 100 {
        return Err(OAuthError::new("invalid_grant", "授权码无效"));
    }
    let (hash, client_id) = (digest(code), client.client_id.clone());
    let (redirect_uri, verifier) = (redirect_uri.to_owned(), verifier.map(str::to_owned));
    let refresh = with_refresh.then(random_token);
    let refresh_hash = refresh.as_deref().map(digest);
    let outcome = db
        .write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let sql = format!(
                    "UPDATE oidc_codes SET consumed_at = $1 WHERE code_hash = $2 AND client_id = $3 \
                     AND consumed_at IS NULL AND expires_at > $1 \
                     RETURNING account_id, session_hash, redirect_uri, scope, nonce, code_challenge, acr, auth_time, \
                     family, acting_for, {}",
                    snapshot_subqueries("account_id")
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(&hash)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?;
                let Some(r) = row else {
                    // Replayed? Then whatever the first exchange issued is suspect.
                    sqlx::query(
                        "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
                         (SELECT family FROM oidc_codes WHERE code_hash = $2 AND client_id = $3 AND consumed_at IS NOT NULL)",
                    )
                    .bind(now)
                    .bind(&hash)
                    .bind(&client_id)
                    .execute(&mut *c)
                    .await?;
                    return Ok::<_, DbError>(Err(OAuthError::new(
                        "invalid_grant",
                        "授权码无效、已使用或已过期",
                    )));
                };
                if r.try_get::<String, _>(2)? != redirect_uri {
                    return Ok(Err(OAuthError::new("invalid_grant", "redirect_uri 与授权请求不一致")));
                }
                let challenge: Option<String> = r.try_get(5)?;
                match (challenge.as_deref(), verifier.as_deref()) {
                    (Some(ch), Some(v)) if pkce_ok(ch, v) => {}
                    (Some(_), _) => {
                        return Ok(Err(OAuthError::new("invalid_grant", "PKCE code_verifier 缺失或不匹配")));
                    }
                    (None, Some(_)) => {
                        return Ok(Err(OAuthError::new(
                            "invalid_grant",
                            "授权请求没有 code_challenge，不应提供 code_verifier",
                        )));
                    }
                    (None, None) => {}
                }
                let g = Grant {
                    account_id: r.try_get(0)?,
                    session_hash: r.try_get(1)?,
                    scope: r
                        .try_get::<String, _>(3)?
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    nonce: r.try_get(4)?,
                    acr: r.try_get(6)?,
                    auth_time: r.try_get(7)?,
                    family: r.try_get(8)?,
                    acting_for: r.try_get(9)?,
                    account: snapshot_at(&r, 10)?,
                };
                if let Some(h) = &refresh_hash {
                    insert_refresh(c, h, &client_id, &g, now).await?;
                }
                Ok(Ok(g))
            })
        })
        .await
        .map_err(|e| OAuthError::new("server_error", e.to_string()))?;
    outcome.map(|g| (g, refresh))
}

/// The real-name level of an account (1 when unknown).
pub async fn real_name_level(db: &Db, account_id: i64) -> Result<i64, DbError> {
    Ok(
        sqlx::query("SELECT real_name_level FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .unwrap_or(1),
    )
}

async fn insert_refresh(
    c: &mut sqlx::AnyConnection,
    hash: &str,
    client_id: &str,
    g: &Grant,
    now: Millis,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, session_hash, scope, acr, \
         auth_time, created_at, expires_at, acting_for) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(hash)
    .bind(&g.family)
    .bind(client_id)
    .bind(g.account_id)
    // Offline access outlives the browser session; anything else ends with it.
    .bind(if g.scope.iter().any(|s| s == "offline_access") {
        None
    } else {
        g.session_hash.clone()
    })
    .bind(g.scope.join(" "))
    .bind(&g.acr)
    .bind(g.auth_time)
    .bind(now)
    .bind(now + REFRESH_TTL_MS)
    .bind(g.acting_for)
    .execute(c)
    .await?;
    Ok(())
}

/// Uses a refresh token: it is replaced by a new one of the same family.
/// Presenting a token that was already used revokes the whole family (it was
/// copied); a token of another client is refused. `scope`, when given, may
/// only narrow the grant.
pub async fn refresh(
    db: &Db,
    client: &Client,
    token: &str,
    scope: Option<&str>,
) -> Result<(Grant, String), OAuthError> {
    if token.is_empty() || token.len() > 100 {
        return Err(OAuthError::new("invalid_grant", "刷新令牌无效"));
    }
    let (hash, client_id) = (digest(token), client.client_id.clone());
    let new_token = random_token();
    let new_hash = digest(&new_token);
    let requested: Option<Vec<String>> = scope.map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let result = db
        .write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let sql = format!(
                    "UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND client_id = $3 \
                     AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
                     AND (session_hash IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = session_hash \
                          AND s.revoked_at IS NULL AND s.expires_at > $1)) \
                     RETURNING family, account_id, session_hash, scope, acr, auth_time, acting_for, {}",
                    snapshot_subqueries("account_id")
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(&hash)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?;
                let Some(r) = row else {
                    let reused = sqlx::query(
                        "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
                         (SELECT family FROM oidc_refresh_tokens WHERE token_hash = $2 AND client_id = $3 AND used_at IS NOT NULL)",
                    )
                    .bind(now)
                    .bind(&hash)
                    .bind(&client_id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    return Ok::<_, RefreshFail>(Err(if reused > 0 {
                        OAuthError::new("invalid_grant", "刷新令牌已被使用过，出于安全考虑已撤销该授权下的全部令牌")
                    } else {
                        OAuthError::new("invalid_grant", "刷新令牌无效、已撤销或已过期")
                    }));
                };
                let stored: Vec<String> = r
                    .try_get::<String, _>(3)?
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let scope = match requested {
                    Some(req) if req.iter().all(|s| stored.contains(s)) => req,
                    // Refused by rolling the transaction back, so the token
                    // is not spent: a concurrent legitimate refresh with the
                    // same token is never mistaken for reuse.
                    Some(_) => {
                        return Err(RefreshFail::Refused(OAuthError::new(
                            "invalid_scope",
                            "刷新时不能扩大授权范围",
                        )));
                    }
                    None => stored,
                };
                let g = Grant {
                    family: r.try_get(0)?,
                    account_id: r.try_get(1)?,
                    session_hash: r.try_get(2)?,
                    scope,
                    nonce: None,
                    acr: r.try_get(4)?,
                    auth_time: r.try_get(5)?,
                    acting_for: r.try_get(6)?,
                    account: snapshot_at(&r, 7)?,
                };
                insert_refresh(c, &new_hash, &client_id, &g, now).await?;
                Ok(Ok(g))
            })
        })
        .await;
    match result {
        Ok(Ok(g)) => Ok((g, new_token)),
        Ok(Err(e)) | Err(RefreshFail::Refused(e)) => Err(e),
        Err(RefreshFail::Db(e)) => Err(OAuthError::new("server_error", e.to_string())),
    }
}

/// A refresh that must leave nothing behind: a storage failure, or a
/// refusal that rolls back the token's use.
enum RefreshFail {
    Db(DbError),
    Refused(OAuthError),
}

impl From<DbError> for RefreshFail {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<sqlx::Error> for RefreshFail {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

/// Revokes a refresh token's family (RFC 7009), if the token is the client's.
pub async fn revoke_refresh(db: &Db, client: &Client, token: &str) -> Result<(), DbError> {
    let (hash, client_id) = (digest(token), client.client_id.clone());
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family IN \
                 (SELECT family FROM oidc_refresh_tokens WHERE token_hash = $2 AND client_id = $3)",
            )
            .bind(now_ms())
            .bind(&hash)
            .bind(&client_id)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}

/// Ends the refresh tokens bound to a browser session (sign-out).
pub async fn end_session_tokens(db: &Db, session_hash: &str) -> Result<(), DbError> {
    let hash = session_hash.to_owned();
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE session_hash = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(&hash)
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}

/// Whether the person has already allowed `client_id` every scope asked.
pub async fn has_consent(
    db: &Db,
    account_id: i64,
    client_id: &str,
    scope: &[String],
) -> Result<bool, DbError> {
    let row =
        sqlx::query("SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.is_some_and(|r| {
        let granted: String = r.try_get(0).unwrap_or_default();
        scope.iter().all(|s| granted.split(' ').any(|g| g == s))
    }))
}

/// Records consent to `scope` (widening any earlier consent).
pub async fn grant_consent(
    db: &Db,
    account_id: i64,
    client_id: &str,
    scope: &[String],
) -> Result<(), DbError> {
    let (client_id, scope) = (client_id.to_owned(), scope.to_vec());
    db.write(move |c| {
        Box::pin(async move {
            let old: Option<String> = sqlx::query("SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(&client_id)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            let mut all: Vec<String> = old
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            for s in scope {
                if !all.contains(&s) {
                    all.push(s);
                }
            }
            sqlx::query(
                "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
            )
            .bind(account_id)
            .bind(&client_id)
            .bind(all.join(" "))
            .bind(now_ms())
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}

/// A relying party a person has let in.
#[derive(Debug, Clone)]
pub struct ConsentInfo {
    /// Client id.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// Scopes allowed.
    pub scope: Vec<String>,
    /// When.
    pub granted_at: Millis,
}

/// The relying parties a person has allowed.
pub async fn consents(db: &Db, account_id: i64) -> Result<Vec<ConsentInfo>, DbError> {
    let rows = sqlx::query(
        "SELECT c.client_id, COALESCE(k.name, c.client_id), c.scope, c.granted_at FROM oidc_consents c \
         LEFT JOIN oidc_clients k ON k.client_id = c.client_id WHERE c.account_id = $1 ORDER BY c.granted_at DESC",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConsentInfo {
                client_id: r.try_get(0)?,
                name: r.try_get(1)?,
                scope: split_words(&r.try_get::<String, _>(2)?),
                granted_at: r.try_get(3)?,
            })
        })
        .collect()
}

fn split_words(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Withdraws a consent: the relying party's tokens for this person end and
/// it must ask again.
pub async fn withdraw_consent(db: &Db, account_id: i64, client_id: &str) -> Result<(), DbError> {
    let client_id = client_id.to_owned();
    db.write(move |c| {
        Box::pin(async move {
            sqlx::query("DELETE FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(&client_id)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(account_id)
            .bind(&client_id)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await
}

/// The account fields claims are made of, read in the same statement that
/// consumes a code or a refresh token (no separate round trip).
#[derive(Debug, Clone, Default)]
pub struct AccountSnapshot {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `person`, `enterprise` or `staff`.
    pub kind: String,
    /// Mobile number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Real-name level.
    pub level: i64,
    /// Credit code (enterprises).
    pub credit_code: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Legal representative (enterprises).
    pub legal_representative: Option<String>,
    /// The sealed ID number, if recorded.
    pub id_number_sealed: Option<String>,
}

const SNAPSHOT_FIELDS: [&str; 10] = [
    "username",
    "display_name",
    "kind",
    "phone",
    "email",
    "real_name_level",
    "credit_code",
    "status",
    "legal_representative",
    "id_number_sealed",
];

/// Scalar subqueries reading the snapshot of the account `account_col`
/// names, for a `RETURNING` clause.
fn snapshot_subqueries(account_col: &str) -> String {
    SNAPSHOT_FIELDS
        .iter()
        .map(|f| format!("(SELECT a.{f} FROM accounts a WHERE a.id = {account_col})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn snapshot_at(r: &AnyRow, at: usize) -> Result<AccountSnapshot, DbError> {
    Ok(AccountSnapshot {
        username: r.try_get(at)?,
        display_name: r.try_get(at + 1)?,
        kind: r.try_get(at + 2)?,
        phone: r.try_get(at + 3)?,
        email: r.try_get(at + 4)?,
        level: r.try_get(at + 5)?,
        credit_code: r.try_get(at + 6)?,
        status: r.try_get(at + 7)?,
        legal_representative: r.try_get(at + 8)?,
        id_number_sealed: r.try_get(at + 9)?,
    })
}

/// The person-facing claims of an account for the granted scopes.
pub async fn user_claims(
    db: &Db,
    key: &crate::platform::crypto::DataKey,
    account_id: i64,
    scope: &[String],
) -> Result<Option<Value>, DbError> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE id = $1",
        SNAPSHOT_FIELDS.join(", ")
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(r) => Ok(claims_from(key, account_id, &snapshot_at(&r, 0)?, scope)),
        None => Ok(None),
    }
}

/// The claims of a snapshot for the granted scopes; `None` for a disabled
/// account.
pub fn claims_from(
    key: &crate::platform::crypto::DataKey,
    account_id: i64,
    a: &AccountSnapshot,
    scope: &[String],
) -> Option<Value> {
    if a.status != "active" {
        return None;
    }
    let has = |s: &str| scope.iter().any(|x| x == s);
    let mut c = json!({ "sub": account_id.to_string() });
    if has("profile") {
        c["name"] = json!(a.display_name);
        c["preferred_username"] = json!(a.username);
        c["account_kind"] = json!(a.kind);
        c["real_name_level"] = json!(a.level);
        if let Some(cc) = &a.credit_code {
            c["credit_code"] = json!(cc);
        }
        if let Some(rep) = &a.legal_representative {
            c["legal_representative"] = json!(rep);
        }
    }
    if has("phone")
        && let Some(p) = &a.phone
    {
        c["phone_number"] = json!(p);
        c["phone_number_verified"] = json!(true);
    }
    if has("email")
        && let Some(e) = &a.email
    {
        c["email"] = json!(e);
        c["email_verified"] = json!(true);
    }
    // The ID number only under its own scope; it is never logged.
    if has("id_number")
        && let Some(n) = a
            .id_number_sealed
            .as_deref()
            .and_then(|s| crate::identity::realname::open_id_number(key, s))
    {
        c["id_number"] = json!(n);
    }
    Some(c)
}

/// Issued tokens.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    /// JWT access token (`at+jwt`).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: i64,
    /// Granted scopes.
    pub scope: String,
    /// ID token, for OpenID requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url.
fn at_hash(access_token: &str) -> String {
    let d = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..16])
}

/// Signs the access token and (for `openid`) the ID token of a grant.
pub fn sign_tokens(
    keys: &KeyRing,
    issuer: &str,
    client: &Client,
    g: &Grant,
    id_claims: Option<&Value>,
) -> Result<(String, Option<String>), OAuthError> {
    let now = now_ms() / 1000;
    let no_key = || OAuthError::new("server_error", "没有可用的签名密钥");
    let at_key = keys.active(Alg::Es256).ok_or_else(no_key)?;
    let mut jti = [0u8; 12];
    rand::rng().fill_bytes(&mut jti);
    let sign_err = |e: KeyError| OAuthError::new("server_error", e.to_string());
    let access = at_key.sign(
        "at+jwt",
        &json!({
            "iss": issuer, "sub": g.account_id.to_string(), "aud": issuer, "client_id": client.client_id,
            "scope": g.scope.join(" "), "acr": g.acr, "iat": now, "exp": now + TOKEN_TTL_S,
            "jti": hex::encode(jti), "sid": g.session_hash.as_deref().map(sid_of),
            "acting_for": g.acting_for,
        }),
    )
    .map_err(sign_err)?;
    let id = match id_claims {
        Some(user) if g.scope.iter().any(|s| s == "openid") => {
            let key = keys.active(client.alg()).ok_or_else(no_key)?;
            let mut c = user.clone();
            c["iss"] = json!(issuer);
            c["aud"] = json!(client.client_id);
            c["azp"] = json!(client.client_id);
            c["iat"] = json!(now);
            c["exp"] = json!(now + TOKEN_TTL_S);
            c["auth_time"] = json!(g.auth_time / 1000);
            c["acr"] = json!(g.acr);
            c["at_hash"] = json!(at_hash(&access));
            if let Some(n) = &g.nonce {
                c["nonce"] = json!(n);
            }
            if let Some(s) = &g.session_hash {
                c["sid"] = json!(sid_of(s));
            }
            Some(key.sign("JWT", &c).map_err(sign_err)?)
        }
        _ => None,
    };
    Ok((access, id))
}

/// The `sid` claim of a browser session: derived from its stored hash, so
/// it names the session without revealing anything usable.
pub fn sid_of(session_hash: &str) -> String {
    digest(&format!("sid:{session_hash}"))[..32].to_owned()
}

/// A client's own access token (`client_credentials`).
pub fn sign_client_token(
    keys: &KeyRing,
    issuer: &str,
    client: &Client,
    scope: &[String],
) -> Result<String, OAuthError> {
    let now = now_ms() / 1000;
    let key = keys
        .active(Alg::Es256)
        .ok_or_else(|| OAuthError::new("server_error", "没有可用的签名密钥"))?;
    let mut jti = [0u8; 12];
    rand::rng().fill_bytes(&mut jti);
    key.sign(
        "at+jwt",
        &json!({
            "iss": issuer, "sub": client.client_id, "aud": issuer, "client_id": client.client_id,
            "scope": scope.join(" "), "iat": now, "exp": now + TOKEN_TTL_S, "jti": hex::encode(jti),
        }),
    )
    .map_err(|e| OAuthError::new("server_error", e.to_string()))
}

/// Checks an access token of this provider; returns its claims when it is
/// well signed and not expired.
pub fn check_access_token(keys: &KeyRing, issuer: &str, token: &str) -> Option<Value> {
    let claims = keys.verify(token, "at+jwt")?;
    let now = now_ms() / 1000;
    (claims["iss"] == issuer && claims["exp"].as_i64().is_some_and(|e| e > now)).then_some(claims)
}

/// How long a demand for a fresh sign-in waits for it.
pub const REAUTH_TTL_MS: i64 = 10 * 60 * 1000;

/// Records that `client_id` demands a sign-in from now on (`prompt=login`);
/// returns the token the browser carries through the sign-in page.
pub async fn reauth_demand(db: &Db, client_id: &str) -> Result<String, DbError> {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let (hash, client) = (
        crate::identity::sessions::hash_token(&token),
        client_id.to_owned(),
    );
    db.write(move |c| {
        Box::pin(async move {
            let now = now_ms();
            sqlx::query(
                "INSERT INTO oidc_reauth (token_hash, client_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&hash)
            .bind(&client)
            .bind(now)
            .bind(now + REAUTH_TTL_MS)
            .execute(c)
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await?;
    Ok(token)
}

/// When the demand behind `token` was made, if it is `client_id`'s and
/// still open: a session begun at or after that time is a fresh sign-in.
pub async fn reauth_since(
    db: &Db,
    token: &str,
    client_id: &str,
) -> Result<Option<Millis>, DbError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT created_at FROM oidc_reauth WHERE token_hash = $1 AND client_id = $2 AND expires_at > $3",
    )
    .bind(crate::identity::sessions::hash_token(token))
    .bind(client_id)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
}

/// Deletes spent codes and dead refresh tokens (the `oidc.purge` job).
pub async fn purge(db: &Db) -> Result<u64, DbError> {
    db.write(|c| {
        Box::pin(async move {
            let now = now_ms();
            let a = sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1")
                .bind(now - 24 * 3600 * 1000)
                .execute(&mut *c)
                .await?
                .rows_affected();
            let b = sqlx::query(
                "DELETE FROM oidc_refresh_tokens WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $2)",
            )
            .bind(now)
            .bind(now - 7 * 24 * 3600 * 1000)
            .execute(&mut *c)
            .await?
            .rows_affected();
            let r = sqlx::query("DELETE FROM oidc_reauth WHERE expires_at < $1")
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
