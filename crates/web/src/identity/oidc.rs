//! OpenID Connect endpoints: discovery, JWKS, authorization (with the
//! consent screen), token, userinfo, revocation and RP-initiated logout.
//!
//! Machine endpoints answer RFC 6749 errors as JSON; errors that must not be
//! sent back to an unverified redirect URI (unknown client, unregistered
//! redirect URI) are shown as a page and nothing is redirected.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use tongban_core::identity::oidc::{
    self, Authorization, Client, ClientKind, OAuthError, Subject, decide,
};
use tongban_core::identity::sessions;
use tongban_core::platform::clock::now_ms;

use crate::http::ctx::{Ctx, csp_allowing_form_target, origin_of};
use crate::http::i18n::Tr;
use crate::http::page::{Nav, render};
use crate::{AppError, AppState};

/// Routes called by programs (no cookies, no CSRF check: they authenticate
/// with client credentials or bearer tokens).
pub fn machine_routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery_get))
        .route("/oauth/jwks", get(jwks_get))
        .route("/oauth/token", post(token_post))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/oauth/revoke", post(revoke_post))
}

/// Routes a person's browser uses (behind the CSRF check).
pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize_get).post(authorize_post))
        .route("/oauth/logout", get(logout_get).post(logout_post))
}

/// The `acr` of a real-name level, as configured (`identity.levels`).
fn acr_for(state: &AppState, level: i64) -> String {
    state
        .config()
        .identity
        .level(level)
        .map(|l| l.acr.clone())
        .unwrap_or_default()
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery_get(State(state): State<AppState>) -> Response {
    let iss = state.issuer();
    let doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "userinfo_endpoint": format!("{iss}/oauth/userinfo"),
        "jwks_uri": format!("{iss}/oauth/jwks"),
        "end_session_endpoint": format!("{iss}/oauth/logout"),
        "revocation_endpoint": format!("{iss}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": oidc::USER_SCOPES.iter().chain(oidc::SERVICE_SCOPES).collect::<Vec<_>>(),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "sid", "name",
            "preferred_username", "account_kind", "real_name_level", "credit_code", "phone_number",
            "phone_number_verified", "email", "email_verified", "id_number", "legal_representative", "enterprise"],
        "acr_values_supported": state.config().identity.levels.iter().map(|l| l.acr.as_str()).collect::<Vec<_>>(),
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["zh-CN", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    json_response(StatusCode::OK, &doc, "public, max-age=300")
}

/// `GET /oauth/jwks`.
pub async fn jwks_get(State(state): State<AppState>) -> Result<Response, AppError> {
    let keys = state.keys().await?;
    Ok(json_response(
        StatusCode::OK,
        &keys.jwks(),
        "public, max-age=300",
    ))
}

fn json_response(status: StatusCode, body: &Value, cache: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache),
        ],
        body.to_string(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, e: &OAuthError) -> Response {
    let mut res = json_response(
        status,
        &json!({"error": e.code, "error_description": e.description}),
        "no-store",
    );
    if e.code == "invalid_client" {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tongban\""),
        );
    }
    res
}

/// Parses `application/x-www-form-urlencoded` pairs; a parameter given twice
/// is an error (RFC 6749 §3.1).
fn params(raw: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw)
        .map_err(|_| OAuthError::new("invalid_request", "请求参数格式错误"))?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(n, _)| n == k) {
            return Err(OAuthError::new("invalid_request", format!("参数 {k} 重复")));
        }
    }
    Ok(pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn split_scope(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

// ----------------------------------------------------------- authorization

/// A page explaining why an authorization request cannot go on (nothing is
/// redirected: the target is not trusted).
#[derive(Template)]
#[template(path = "identity/oauth_error.html")]
pub struct OAuthErrorView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// explanation
    pub message: String,
}

fn error_page(ctx: &Ctx, message: String) -> Result<Response, AppError> {
    let mut res = render(&OAuthErrorView {
        t: ctx.tr(),
        nav: Nav::from_ctx(ctx),
        message,
    })?;
    *res.status_mut() = StatusCode::BAD_REQUEST;
    Ok(res)
}

/// The consent screen.
#[derive(Template)]
#[template(path = "identity/oauth_consent.html")]
pub struct ConsentView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// who asks, as a sentence
    pub intro: String,
    /// where the person returns to, as a sentence
    pub return_note: String,
    /// what will be released, one line per scope
    pub claims: Vec<String>,
    /// the request's parameters, carried through the form
    pub hidden: Vec<(String, String)>,
}

/// A request checked far enough to know where errors may be sent.
struct Checked {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
}

impl Checked {
    fn redirect(&self, query: &[(&str, &str)], iss: &str) -> Response {
        let mut url = self.redirect_uri.clone();
        url.push(if url.contains('?') { '&' } else { '?' });
        let mut pairs: Vec<(&str, &str)> = query.to_vec();
        if let Some(s) = &self.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", iss));
        url.push_str(&serde_urlencoded::to_string(&pairs).unwrap_or_default());
        Redirect::to(&url).into_response()
    }

    fn error(&self, e: &OAuthError, iss: &str) -> Response {
        self.redirect(
            &[("error", e.code), ("error_description", &e.description)],
            iss,
        )
    }
}

async fn check_target(
    state: &AppState,
    ctx: &Ctx,
    pairs: &[(String, String)],
) -> Result<Result<Checked, Response>, AppError> {
    let t = ctx.tr();
    let Some(client_id) = param(pairs, "client_id") else {
        return Ok(Err(error_page(ctx, t.get("oauth.no_client"))?));
    };
    let Some(client) = state.client(client_id).await? else {
        return Ok(Err(error_page(ctx, t.get("oauth.unknown_client"))?));
    };
    if client.kind == ClientKind::Service {
        return Ok(Err(error_page(ctx, t.get("oauth.unknown_client"))?));
    }
    let redirect_uri = match param(pairs, "redirect_uri") {
        Some(r) if client.redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        _ => return Ok(Err(error_page(ctx, t.get("oauth.bad_redirect"))?)),
    };
    Ok(Ok(Checked {
        client,
        redirect_uri,
        state: param(pairs, "state").map(str::to_owned),
    }))
}

/// Checks everything that is answered by redirect; returns the authorization
/// and the prompt values.
fn check_request(
    c: &Checked,
    pairs: &[(String, String)],
) -> Result<(Authorization, Vec<String>), OAuthError> {
    if param(pairs, "request").is_some() {
        return Err(OAuthError::new(
            "request_not_supported",
            "不支持 request 参数",
        ));
    }
    if param(pairs, "request_uri").is_some() {
        return Err(OAuthError::new(
            "request_uri_not_supported",
            "不支持 request_uri 参数",
        ));
    }
    if param(pairs, "response_type") != Some("code") {
        return Err(OAuthError::new(
            "unsupported_response_type",
            "只支持授权码模式（response_type=code）",
        ));
    }
    if param(pairs, "response_mode").is_some_and(|m| m != "query") {
        return Err(OAuthError::new(
            "invalid_request",
            "只支持 response_mode=query",
        ));
    }
    let scope = split_scope(param(pairs, "scope").unwrap_or(""));
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuthError::new("invalid_scope", "scope 须包含 openid"));
    }
    if let Some(bad) = scope.iter().find(|s| !c.client.scopes.contains(s)) {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("该系统未获准申请 {bad}"),
        ));
    }
    let challenge = param(pairs, "code_challenge");
    match (challenge, param(pairs, "code_challenge_method")) {
        (Some(ch), Some("S256")) if ch.len() == 43 => {}
        (Some(_), Some("S256")) => {
            return Err(OAuthError::new(
                "invalid_request",
                "code_challenge 格式错误",
            ));
        }
        (Some(_), _) => {
            return Err(OAuthError::new(
                "invalid_request",
                "code_challenge_method 须为 S256",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::new("invalid_request", "缺少 code_challenge"));
        }
        (None, None) if c.client.kind == ClientKind::Public => {
            return Err(OAuthError::new(
                "invalid_request",
                "公开客户端必须使用 PKCE（S256）",
            ));
        }
        (None, None) => {}
    }
    let prompt = split_scope(param(pairs, "prompt").unwrap_or(""));
    if prompt
        .iter()
        .any(|p| !["none", "login", "consent", "select_account"].contains(&p.as_str()))
        || (prompt.iter().any(|p| p == "none") && prompt.len() > 1)
    {
        return Err(OAuthError::new("invalid_request", "prompt 取值无效"));
    }
    if param(pairs, "max_age").is_some_and(|m| m.parse::<u32>().is_err()) {
        return Err(OAuthError::new("invalid_request", "max_age 应为非负整数"));
    }
    let nonce = param(pairs, "nonce");
    if nonce.is_some_and(|n| n.len() > 255) {
        return Err(OAuthError::new("invalid_request", "nonce 过长"));
    }
    Ok((
        Authorization {
            client_id: c.client.client_id.clone(),
            redirect_uri: c.redirect_uri.clone(),
            scope,
            nonce: nonce.map(str::to_owned),
            code_challenge: challenge.map(str::to_owned),
        },
        prompt,
    ))
}

/// The URL of this request with some parameters replaced (for the trip
/// through the sign-in page).
fn authorize_url(pairs: &[(String, String)], drop: &[&str], add: &[(&str, String)]) -> String {
    let mut kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in add {
        kept.push((k, v));
    }
    format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    )
}

fn to_login(next: &str) -> Response {
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/login?{q}")).into_response()
}

/// `GET /oauth/authorize`.
pub async fn authorize_get(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let raw = q.unwrap_or_default();
    authorize(&state, &ctx, raw.as_bytes(), None).await
}

/// `POST /oauth/authorize`: the answer of the consent screen (`decision` =
/// `allow` or `deny`, with the request's parameters).
pub async fn authorize_post(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|_| AppError::BadRequest("form".into()))?;
    let decision = pairs
        .iter()
        .position(|(k, _)| k == "decision")
        .map(|i| pairs.remove(i).1)
        .unwrap_or_default();
    let raw = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    authorize(&state, &ctx, raw.as_bytes(), Some(decision == "allow")).await
}

async fn authorize(
    state: &AppState,
    ctx: &Ctx,
    raw: &[u8],
    consent: Option<bool>,
) -> Result<Response, AppError> {
    let iss = state.issuer();
    let pairs = match params(raw) {
        Ok(p) => p,
        // Duplicated parameters: we cannot tell which redirect URI is meant.
        Err(e) => return error_page(ctx, e.description),
    };
    let target = match check_target(state, ctx, &pairs).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let (authz, prompt) = match check_request(&target, &pairs) {
        Ok(x) => x,
        Err(e) => return Ok(target.error(&e, &iss)),
    };
    // The demand for a fresh sign-in lives on the server; the browser only
    // carries its token, so it cannot move the time the demand was made.
    let reauth_since = match param(&pairs, "tb_reauth") {
        Some(token) => oidc::reauth_since(state.db(), token, &target.client.client_id).await?,
        None => None,
    };
    let session = ctx.session.as_deref();
    let client = &target.client;
    let level = session.map_or(0, |s| s.principal.account.real_name_level);
    let acrs: Vec<&str> = state
        .config()
        .identity
        .levels
        .iter()
        .map(|l| l.acr.as_str())
        .collect();
    let consent_known = match session {
        Some(s) if client.require_consent && consent.is_none() => {
            oidc::has_consent(
                state.db(),
                s.principal.account.id,
                &client.client_id,
                &authz.scope,
            )
            .await?
        }
        _ => false,
    };
    let decision = decide::decide(&decide::AuthorizeInput {
        prompt: &prompt,
        max_age: param(&pairs, "max_age").and_then(|m| m.parse::<i64>().ok()),
        session_started: session.map(|s| s.created_at),
        reauth_since,
        level,
        needed_level: decide::needed_level(param(&pairs, "acr_values"), &acrs),
        require_consent: client.require_consent,
        consent_answer: consent,
        consent_known,
        now: now_ms(),
    });
    let refuse = |code: &'static str| {
        let message = match code {
            "login_required" => "需要登录",
            "interaction_required" => "实名等级不足",
            "access_denied" => "用户拒绝授权",
            _ => "需要用户同意授权",
        };
        target.error(&OAuthError::new(code, message), &iss)
    };
    let session = match (decision, session) {
        (decide::Decision::Refuse(code), _) => return Ok(refuse(code)),
        (decide::Decision::SignIn { demand_reauth }, _) => {
            let demand = if demand_reauth {
                let token = oidc::reauth_demand(state.db(), &client.client_id).await?;
                vec![("tb_reauth", token)]
            } else {
                vec![]
            };
            return Ok(to_login(&authorize_url(&pairs, &["tb_reauth"], &demand)));
        }
        (decide::Decision::StepUp { needed }, _) => {
            return step_up_page(state, ctx, &target, &iss, level, needed);
        }
        (decide::Decision::AskConsent, _) => return consent_page(ctx, &target, &authz, &pairs),
        (decide::Decision::Issue { record_consent }, Some(s)) => {
            if record_consent {
                oidc::grant_consent(
                    state.db(),
                    s.principal.account.id,
                    &client.client_id,
                    &authz.scope,
                )
                .await?;
            }
            s
        }
        // `decide` issues only to a signed-in session.
        (decide::Decision::Issue { .. }, None) => {
            return Ok(to_login(&authorize_url(&pairs, &["tb_reauth"], &[])));
        }
    };
    let account_id = session.principal.account.id;
    // Acting for an enterprise only while the mandate still holds.
    let acting_for = match session.acting_for {
        Some(enterprise) => {
            tongban_core::identity::agents::live_mandate(state.db(), account_id, enterprise)
                .await?
                .map(|m| m.enterprise_id)
        }
        None => None,
    };
    let who = Subject {
        acting_for,
        account_id,
        session_hash: Some(session.token_hash.clone()),
        acr: acr_for(state, level),
        auth_time: session.created_at,
    };
    let code = oidc::issue_code(state.db(), &authz, &who).await?;
    tracing::info!(request.id = %ctx.request_id, oidc.client = %client.client_id, account.id = account_id, "authorization code issued");
    Ok(target.redirect(&[("code", &code)], &iss))
}

/// What a sign-in lacks for the system that asked.
#[derive(Template)]
#[template(path = "identity/oauth_stepup.html")]
pub struct StepUpView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the question, as a sentence
    pub intro: String,
    /// how to reach the level
    pub how: String,
    /// back to the system, with the error it should hear
    pub cancel: String,
}

fn step_up_page(
    state: &AppState,
    ctx: &Ctx,
    target: &Checked,
    iss: &str,
    level: i64,
    needed: i64,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let name = |n: i64| {
        state
            .config()
            .identity
            .level(n)
            .map(|l| t.pick(&l.name_zh, &l.name_en).to_owned())
            .unwrap_or_default()
    };
    let cancel = target
        .error(
            &OAuthError::new("unmet_authentication_requirements", "实名等级不足"),
            iss,
        )
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/")
        .to_owned();
    let mut res = render(&StepUpView {
        intro: t.fmt(
            "oauth.stepup_intro",
            &[
                ("client", &target.client.name),
                ("needed", &name(needed)),
                ("current", &name(level)),
            ],
        ),
        how: t.get("oauth.stepup_how"),
        t,
        nav: Nav::from_ctx(ctx),
        cancel,
    })?;
    *res.status_mut() = StatusCode::FORBIDDEN;
    Ok(res)
}

fn consent_page(
    ctx: &Ctx,
    target: &Checked,
    authz: &Authorization,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let claims = authz
        .scope
        .iter()
        .filter(|s| s.as_str() != "openid")
        .map(|s| t.get(&format!("oauth.scope_{s}")))
        .chain(std::iter::once(t.get("oauth.scope_openid")))
        .collect();
    let origin = origin_of(&target.redirect_uri).unwrap_or("").to_owned();
    let mut res = render(&ConsentView {
        t,
        nav: Nav::from_ctx(ctx),
        intro: t.fmt("oauth.consent_intro", &[("client", &target.client.name)]),
        return_note: t.fmt("oauth.consent_return", &[("host", &origin)]),
        claims,
        hidden: pairs.to_vec(),
    })?;
    if let Some(csp) = csp_allowing_form_target(&origin) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

// ------------------------------------------------------------------- token

/// How the client authenticated, and who it is.
async fn client_auth(
    state: &AppState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Client, OAuthError> {
    let bad = || OAuthError::new("invalid_client", "客户端认证失败");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let (id, secret) = match (basic, param(pairs, "client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                "invalid_request",
                "只能使用一种客户端认证方式",
            ));
        }
        (Some(b), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(bad)?;
            let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded.
            let un = |s: &str| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                    .ok()
                    .and_then(|mut v| v.pop())
                    .map(|(_, v)| v)
            };
            (un(id).ok_or_else(bad)?, Some(un(secret).ok_or_else(bad)?))
        }
        (None, secret) => (
            param(pairs, "client_id").ok_or_else(bad)?.to_owned(),
            secret.map(str::to_owned),
        ),
    };
    if let Some(body_id) = param(pairs, "client_id")
        && body_id != id
    {
        return Err(bad());
    }
    let client = state
        .client(&id)
        .await
        .map_err(|e| OAuthError::new("server_error", e.to_string()))?
        .ok_or_else(bad)?;
    match (client.kind, secret) {
        (ClientKind::Public, None) => Ok(client),
        (ClientKind::Public, Some(_)) => Err(bad()),
        (_, Some(s)) if client.secret_matches(&s) => Ok(client),
        _ => Err(bad()),
    }
}

/// `POST /oauth/token`.
pub async fn token_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            &OAuthError::new(
                "invalid_request",
                "请求须为 application/x-www-form-urlencoded",
            ),
        );
    }
    match token(&state, &headers, &body).await {
        Ok(v) => json_response(StatusCode::OK, &v, "no-store"),
        Err(e) if e.code == "invalid_client" => oauth_error(StatusCode::UNAUTHORIZED, &e),
        Err(e) if e.code == "server_error" => {
            tracing::error!(error = %e.description, "token endpoint failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &OAuthError::new("server_error", "服务暂时不可用"),
            )
        }
        Err(e) => oauth_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn token(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let pairs = params(body)?;
    let client = client_auth(state, headers, &pairs).await?;
    let iss = state.issuer();
    let keys = state
        .keys()
        .await
        .map_err(|e| OAuthError::new("server_error", e.to_string()))?;
    let server =
        |e: tongban_core::platform::db::DbError| OAuthError::new("server_error", e.to_string());
    let grant_type = param(&pairs, "grant_type")
        .ok_or_else(|| OAuthError::new("invalid_request", "缺少 grant_type"))?;
    let (grant, refresh) = match grant_type {
        "authorization_code" => {
            if client.kind == ClientKind::Service {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "服务账号只能使用 client_credentials",
                ));
            }
            let code = param(&pairs, "code")
                .ok_or_else(|| OAuthError::new("invalid_request", "缺少 code"))?;
            let redirect = param(&pairs, "redirect_uri")
                .ok_or_else(|| OAuthError::new("invalid_request", "缺少 redirect_uri"))?;
            let (g, r) = oidc::exchange_code(
                state.db(),
                &client,
                code,
                redirect,
                param(&pairs, "code_verifier"),
                true,
            )
            .await?;
            (g, r)
        }
        "refresh_token" => {
            if client.kind == ClientKind::Service {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "服务账号只能使用 client_credentials",
                ));
            }
            let token = param(&pairs, "refresh_token")
                .ok_or_else(|| OAuthError::new("invalid_request", "缺少 refresh_token"))?;
            let (g, r) = oidc::refresh(state.db(), &client, token, param(&pairs, "scope")).await?;
            (g, Some(r))
        }
        "client_credentials" => {
            if client.kind != ClientKind::Service {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "只有服务账号可以使用 client_credentials",
                ));
            }
            let scope = match param(&pairs, "scope") {
                Some(s) => split_scope(s),
                None => client.scopes.clone(),
            };
            if let Some(bad) = scope.iter().find(|s| !client.scopes.contains(s)) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("未获准的范围 {bad}"),
                ));
            }
            let access = oidc::sign_client_token(&keys, &iss, &client, &scope)?;
            return Ok(json!({
                "access_token": access, "token_type": "Bearer",
                "expires_in": oidc::TOKEN_TTL_S, "scope": scope.join(" "),
            }));
        }
        _ => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "不支持的 grant_type",
            ));
        }
    };
    // The account was read in the statement that consumed the grant.
    let mut claims = oidc::claims_from(
        state.data_key(),
        grant.account_id,
        &grant.account,
        &grant.scope,
    )
    .ok_or_else(|| OAuthError::new("invalid_grant", "账号已停用"))?;
    if let Some(enterprise) = grant.acting_for {
        // The agent's authorisation must still be in force at every issue.
        let m =
            tongban_core::identity::agents::live_mandate(state.db(), grant.account_id, enterprise)
                .await
                .map_err(server)?
                .ok_or_else(|| OAuthError::new("invalid_grant", "经办人授权已撤销或过期"))?;
        claims["enterprise"] = enterprise_claim(&m);
    }
    let (access, id_token) = oidc::sign_tokens(&keys, &iss, &client, &grant, Some(&claims))?;
    let mut out = json!({
        "access_token": access, "token_type": "Bearer",
        "expires_in": oidc::TOKEN_TTL_S, "scope": grant.scope.join(" "),
    });
    if let Some(id) = id_token {
        out["id_token"] = json!(id);
    }
    if let Some(r) = refresh {
        out["refresh_token"] = json!(r);
    }
    Ok(out)
}

/// The `enterprise` claim of an agent acting for an enterprise.
fn enterprise_claim(m: &tongban_core::identity::agents::Mandate) -> Value {
    json!({
        "credit_code": m.credit_code,
        "name": m.enterprise_name,
        "role": "agent",
        "items": if m.items.is_empty() { json!("*") } else { json!(m.items) },
        "expires_at": m.expires_at / 1000,
    })
}

// ---------------------------------------------------------------- userinfo

fn bearer_error(code: &'static str, description: &str) -> Response {
    let mut res = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error": code, "error_description": description}),
        "no-store",
    );
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"tongban\", error=\"{code}\"")) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// `GET|POST /oauth/userinfo` with a bearer access token.
pub async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let from_body = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|p| {
            p.into_iter()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v)
        });
    let Some(token) = from_header.or(from_body) else {
        return Ok(bearer_error("invalid_request", "缺少访问令牌"));
    };
    let keys = state.keys().await?;
    let Some(claims) = oidc::check_access_token(&keys, &state.issuer(), token.trim()) else {
        return Ok(bearer_error("invalid_token", "访问令牌无效或已过期"));
    };
    let scope = split_scope(claims["scope"].as_str().unwrap_or(""));
    let Some(account_id) = claims["sub"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
        // A client's own token names no person.
        return Ok(bearer_error("invalid_token", "该令牌不代表用户"));
    };
    if !scope.iter().any(|s| s == "openid") {
        return Ok(json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": "insufficient_scope", "error_description": "需要 openid 范围"}),
            "no-store",
        ));
    }
    let Some(mut c) = oidc::user_claims(state.db(), state.data_key(), account_id, &scope).await?
    else {
        return Ok(bearer_error("invalid_token", "账号已停用"));
    };
    if let Some(enterprise) = claims["acting_for"].as_i64() {
        match tongban_core::identity::agents::live_mandate(state.db(), account_id, enterprise)
            .await?
        {
            Some(m) => c["enterprise"] = enterprise_claim(&m),
            None => return Ok(bearer_error("invalid_token", "经办人授权已撤销或过期")),
        }
    }
    Ok(json_response(StatusCode::OK, &c, "no-store"))
}

/// `POST /oauth/revoke` (RFC 7009): revokes a refresh token and its family.
pub async fn revoke_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = match params(&body) {
        Ok(p) => p,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, &e),
    };
    let client = match client_auth(&state, &headers, &pairs).await {
        Ok(c) => c,
        Err(e) if e.code == "invalid_client" => return oauth_error(StatusCode::UNAUTHORIZED, &e),
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, &e),
    };
    let Some(token) = param(&pairs, "token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            &OAuthError::new("invalid_request", "缺少 token"),
        );
    };
    // Access tokens are short-lived JWTs and are not tracked; revoking one is
    // answered like any unknown token (RFC 7009 §2.2).
    if let Err(e) = oidc::revoke_refresh(state.db(), &client, token).await {
        tracing::error!(error = %e, "revocation failed");
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &OAuthError::new("server_error", "服务暂时不可用"),
        );
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}

// ------------------------------------------------------------------ logout

/// The sign-out confirmation.
#[derive(Template)]
#[template(path = "identity/oauth_logout.html")]
pub struct LogoutView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// the question
    pub intro: String,
    /// carried parameters
    pub hidden: Vec<(String, String)>,
}

/// Where to go after sign-out: the registered post-logout URI, if any. A
/// `client_id` must be an audience of the `id_token_hint` when both are
/// given (RP-Initiated Logout 1.0 §2), or one system could send people
/// signing out to another's address.
async fn logout_target(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<Result<(Option<Client>, Option<String>), String>, AppError> {
    let hint_aud: Option<Vec<String>> = match param(pairs, "id_token_hint") {
        Some(h) => {
            let keys = state.keys().await?;
            // An expired ID token is still a fine hint of who asked.
            keys.verify(h, "JWT")
                .filter(|c| c["iss"] == state.issuer().as_str())
                .map(|c| match &c["aud"] {
                    serde_json::Value::String(a) => vec![a.clone()],
                    serde_json::Value::Array(list) => list
                        .iter()
                        .filter_map(|a| a.as_str().map(str::to_owned))
                        .collect(),
                    _ => vec![],
                })
        }
        None => None,
    };
    let client_id = match (param(pairs, "client_id"), &hint_aud) {
        (Some(id), Some(aud)) if !aud.iter().any(|a| a == id) => {
            return Ok(Err("oauth.logout_client_mismatch".into()));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(aud)) => aud.first().cloned(),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => state.client(id).await?,
        None => None,
    };
    let target = match (param(pairs, "post_logout_redirect_uri"), &client) {
        (None, _) => None,
        (Some(u), Some(c)) if c.logout_uris.iter().any(|x| x == u) => {
            let mut url = u.to_owned();
            if let Some(s) = param(pairs, "state") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&serde_urlencoded::to_string([("state", s)]).unwrap_or_default());
            }
            Some(url)
        }
        (Some(_), _) => return Ok(Err("oauth.bad_logout_redirect".into())),
    };
    Ok(Ok((client, target)))
}

/// `GET /oauth/logout`: asks the person to confirm signing out.
pub async fn logout_get(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let pairs = match params(q.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => return error_page(&ctx, e.description),
    };
    let (client, target) = match logout_target(&state, &pairs).await? {
        Ok(x) => x,
        Err(key) => return error_page(&ctx, ctx.tr().get(&key)),
    };
    if ctx.session.is_none() {
        // Nothing to end: go straight back.
        return Ok(Redirect::to(target.as_deref().unwrap_or("/login?done=logout")).into_response());
    }
    let t = ctx.tr();
    let intro = match client {
        Some(c) => t.fmt("oauth.logout_from", &[("client", &c.name)]),
        None => t.get("oauth.logout_intro"),
    };
    let mut res = render(&LogoutView {
        t,
        nav: Nav::from_ctx(&ctx),
        intro,
        hidden: pairs,
    })?;
    if let Some(csp) = target
        .as_deref()
        .and_then(origin_of)
        .and_then(csp_allowing_form_target)
    {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// `POST /oauth/logout`: ends the session everywhere tongban knows of it.
pub async fn logout_post(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs = match params(&body) {
        Ok(p) => p,
        Err(e) => return error_page(&ctx, e.description),
    };
    let (_, target) = match logout_target(&state, &pairs).await? {
        Ok(x) => x,
        Err(key) => return error_page(&ctx, ctx.tr().get(&key)),
    };
    if let Some(s) = &ctx.session {
        end_session(&state, &s.token_hash).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            crate::identity::auth::clear_session_cookie(),
        )],
        Redirect::to(target.as_deref().unwrap_or("/login?done=logout")),
    )
        .into_response())
}

/// Ends a browser session and the tokens bound to it.
pub async fn end_session(state: &AppState, token_hash: &str) -> Result<(), AppError> {
    sessions::revoke(state.db(), token_hash).await?;
    oidc::end_session_tokens(state.db(), token_hash).await?;
    Ok(())
}

/// The policy for a sign-in page whose `next` continues an authorization:
/// its form's answer ends in a redirect to the relying party, which
/// `form-action` must allow (browsers check every hop after a form post).
pub async fn sign_in_csp(state: &AppState, next: &str) -> Option<HeaderValue> {
    let query = next.strip_prefix("/oauth/authorize?")?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let client = state.client(param(&pairs, "client_id")?).await.ok()??;
    let redirect = param(&pairs, "redirect_uri")?;
    if !client.redirect_uris.iter().any(|u| u == redirect) {
        return None;
    }
    csp_allowing_form_target(origin_of(redirect)?)
}
