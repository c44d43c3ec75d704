//! Per-request context and the middleware that frames every request:
//! request id, language, the signed-in session, security headers, access
//! log, metrics, and turning errors into pages or problem JSON.

use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use tongban_core::identity::sessions::{self, Session};
use tongban_domain::kernel::Role;

use crate::AppState;
use crate::http::error::{AppError, ErrorInfo, localize};
use crate::http::i18n::{Lang, Tr};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tb_session";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "tb_lang";

/// What every handler may know about the request.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Request id, echoed in `x-request-id` and on error pages.
    pub request_id: String,
    /// Display language.
    pub lang: Lang,
    /// The signed-in session, if any.
    pub session: Option<Arc<Session>>,
    /// Path and query of the request (for "back" links).
    pub path: String,
    /// Client address as seen by the server.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

impl Ctx {
    /// The translator for this request.
    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    /// The session, or `Unauthorized`.
    pub fn require_session(&self) -> Result<&Session, AppError> {
        self.session.as_deref().ok_or(AppError::Unauthorized)
    }

    /// The session of someone holding `role` somewhere, or an error.
    pub fn require_role(&self, role: Role) -> Result<&Session, AppError> {
        let s = self.require_session()?;
        if s.principal.has_role(role) {
            Ok(s)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request context missing")))
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn new_request_id() -> String {
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An incoming request id is kept only if it is short and plain.
fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| s.to_owned())
}

/// Whether a path belongs to the JSON API (errors as problem JSON).
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of the proxies.
pub fn client_address(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// The content security policy with `form-action` also allowing `origin`.
pub fn csp_allowing_form_target(origin: &str) -> Option<HeaderValue> {
    let safe = origin
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b":/.-[]".contains(&b));
    if !safe || origin.is_empty() {
        return None;
    }
    HeaderValue::from_str(&CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    ))
    .ok()
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
pub fn origin_of(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url[rest_at..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest_at + i);
    Some(&url[..end])
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The middleware around every request.
pub async fn frame(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let headers = req.headers();
    let request_id = headers
        .get("x-request-id")
        .and_then(sane_request_id)
        .unwrap_or_else(new_request_id);
    // Simplified Chinese unless the person chose English with the switch;
    // the API also honours Accept-Language, since programs cannot click.
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_tag)
        .or_else(|| {
            is_api(req.uri().path())
                .then(|| {
                    headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(Lang::from_accept_language)
                })
                .flatten()
        })
        .unwrap_or_default();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = peer
        .map(|p| client_address(p, headers, &state.config().trusted_proxies))
        .map(|a| a.to_string());
    let token = cookie(headers, SESSION_COOKIE).map(str::to_owned);
    let bearer_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let method = req.method().clone();
    let uri: Uri = req.uri().clone();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());

    // While the database is known to be down, every page that needs it
    // answers 503 at once (the watcher notices when it is back).
    let db_down = state.db().is_down() && !is_static(uri.path());
    // Session lookup failures must not turn every page into an error: the
    // person is treated as signed out and the failure is logged.
    let session = match token {
        Some(t) if !is_static(uri.path()) && !db_down => {
            match sessions::lookup(state.db(), &t, state.lifetimes()).await {
                Ok(s) => s.map(Arc::new),
                Err(e) => {
                    if e.is_unavailable() {
                        state.db().mark_down();
                    }
                    tracing::error!(request.id = %request_id, error = %e, "session lookup failed");
                    None
                }
            }
        }
        _ => None,
    };
    // Programs reach the applications and cases API with an OIDC access
    // token of the `applications` scope instead of a session cookie.
    let mut insufficient_scope = false;
    let session = match (session, bearer_token) {
        (None, Some(token)) if takes_bearer(uri.path()) && !db_down => {
            match bearer_session(&state, &token).await {
                Ok(Some(s)) => Some(Arc::new(s)),
                Ok(None) => None,
                Err(()) => {
                    insufficient_scope = true;
                    None
                }
            }
        }
        (s, _) => s,
    };
    let ctx = Ctx {
        request_id: request_id.clone(),
        lang,
        session,
        path: path.clone(),
        ip,
        user_agent,
    };
    req.extensions_mut().insert(ctx.clone());

    let mut res = if !is_static(uri.path()) && state.db().is_down() {
        crate::AppError::Unavailable.into_response()
    } else if insufficient_scope {
        crate::AppError::Forbidden.into_response()
    } else {
        next.run(req).await
    };
    if res
        .extensions()
        .get::<ErrorInfo>()
        .is_some_and(|i| i.code == "unavailable")
    {
        state.db().mark_down();
    }
    let route = res
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .or(route)
        .unwrap_or_else(|| "unmatched".into());

    if res.status().is_client_error() || res.status().is_server_error() {
        res = render_error(res, &ctx);
    }
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    // A page may widen `form-action` to one relying party's origin (the
    // sign-in and consent forms whose answer is a redirect to it).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );

    let elapsed = started.elapsed();
    state
        .metrics()
        .record(method.as_str(), &route, res.status().as_u16(), elapsed);
    // Probes and scrapes arrive every few seconds from every load balancer
    // and monitor: log them only when asked for (debug), or when they fail.
    let ms = elapsed.as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    if is_static(uri.path()) && status < 400 {
        tracing::debug!(request.id = %request_id, http.method = %method, http.route = %route, http.status = status, duration_ms = ms, "request");
    } else {
        tracing::info!(request.id = %request_id, http.method = %method, http.route = %route, http.status = status, duration_ms = ms, "request");
    }
    res
}

/// The API paths a bearer access token reaches.
fn takes_bearer(path: &str) -> bool {
    path.starts_with("/api/v1/applications") || path.starts_with("/api/v1/cases")
}

/// The session an access token stands for: `Ok(None)` for an invalid
/// token (the request is then not signed in), `Err(())` for a valid one
/// without the `applications` scope.
async fn bearer_session(state: &AppState, token: &str) -> Result<Option<Session>, ()> {
    use tongban_core::identity::oidc::{self, Bearer};
    let Ok(keys) = state.keys().await else {
        return Ok(None);
    };
    match oidc::bearer(
        state.db(),
        &keys,
        &state.issuer(),
        token,
        oidc::APPLICATIONS_SCOPE,
    )
    .await
    {
        Ok(Bearer::Person(principal, acting_for)) => Ok(Some(Session {
            token_hash: String::new(),
            principal,
            created_at: tongban_core::platform::clock::now_ms(),
            acting_for,
            unread: 0,
        })),
        Ok(Bearer::InsufficientScope) => Err(()),
        Ok(Bearer::Invalid) => Ok(None),
        Err(e) => {
            tracing::error!(error = %e, "bearer token check failed");
            Ok(None)
        }
    }
}

fn is_static(path: &str) -> bool {
    path.starts_with("/assets/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

/// The CSRF layer's rejection, carried to `render_error` like any error.
pub fn csrf_rejection() -> Response<Body> {
    let mut res = StatusCode::FORBIDDEN.into_response();
    res.extensions_mut().insert(ErrorInfo::code("csrf"));
    res
}

/// The error page.
#[derive(Template)]
#[template(path = "http/error.html")]
pub struct ErrorView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: crate::http::page::Nav,
    /// HTTP status
    pub status: u16,
    /// message for people
    pub message: String,
    /// request id
    pub request_id: String,
}

fn message_for(t: &Tr, info: &ErrorInfo) -> String {
    match info.code {
        "not_found" => t.get("error.not_found"),
        "unauthorized" => t.get("login.required"),
        "bad_credentials" => t.get("login.bad_credentials"),
        "forbidden" if info.fields.is_empty() => t.get("error.forbidden"),
        "unavailable" => t.get("error.unavailable"),
        "forbidden" | "not_ready" => localize(t, info.fields.clone())
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join(" "),
        "csrf" => t.get("error.csrf"),
        "conflict" => info
            .reason
            .and_then(|r| t.lookup(&format!("conflict.{r}")))
            .unwrap_or_else(|| t.get("error.conflict")),
        "payload_too_large" => t.get("error.payload_too_large"),
        "upload.busy" => t.get("error.upload_busy"),
        "upload.idle" => t.fmt("error.upload_idle", &[("seconds", &info.detail)]),
        "upload.aborted" => t.get("error.upload_aborted"),
        "bad_request" | "validation" | "too_many_requests" => {
            let mut detail = info.detail.clone();
            for f in localize(t, info.fields.clone()) {
                if !detail.is_empty() {
                    detail.push_str("; ");
                }
                detail.push_str(&format!("{}: {}", f.field, f.message));
            }
            t.fmt("error.bad_request", &[("detail", &detail)])
        }
        _ => t.get("error.internal"),
    }
}

/// Turns an error response into the right body for its route.
fn render_error(res: Response, ctx: &Ctx) -> Response {
    let status = res.status();
    let already_rendered = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/html")
                || ct.starts_with("application/problem+json")
                || ct.starts_with("application/json")
        });
    let info = res.extensions().get::<ErrorInfo>().cloned();
    if already_rendered && info.is_none() {
        return res;
    }
    let info = info.unwrap_or_else(|| ErrorInfo {
        reason: None,
        code: match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::BAD_REQUEST
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::PAYLOAD_TOO_LARGE => "bad_request",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            _ if status.is_server_error() => "internal",
            _ => "bad_request",
        },
        detail: status.canonical_reason().unwrap_or("").to_owned(),
        fields: vec![],
        internal: None,
    });
    if let Some(cause) = &info.internal {
        tracing::error!(request.id = %ctx.request_id, error = %cause, "internal error");
    } else if status.is_server_error() {
        tracing::error!(request.id = %ctx.request_id, http.status = status.as_u16(), "server error");
    }
    let t = ctx.tr();
    if is_api(&ctx.path) {
        let mut body = serde_json::json!({
            "type": format!("tag:tongban,2026:problem:{}", info.code),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": message_for(&t, &info),
            "code": info.code,
            "request_id": ctx.request_id,
        });
        if let Some(reason) = info.reason {
            body["reason"] = reason.into();
        }
        if !info.fields.is_empty() {
            body["errors"] =
                serde_json::to_value(localize(&t, info.fields.clone())).unwrap_or_default();
        }
        let mut out = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
        copy_headers(&res, &mut out);
        return out;
    }
    if info.code == "unauthorized" {
        let next = urlencode(&ctx.path);
        return axum::response::Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let view = ErrorView {
        t,
        nav: crate::http::page::Nav::from_ctx(ctx),
        status: status.as_u16(),
        message: message_for(&t, &info),
        request_id: ctx.request_id.clone(),
    };
    let html = view.render().unwrap_or_else(|_| {
        format!(
            "<!doctype html><title>{status}</title><p>{}</p>",
            ctx.request_id
        )
    });
    let mut out = (status, axum::response::Html(html)).into_response();
    copy_headers(&res, &mut out);
    out
}

/// Keeps headers such as `Allow` or `Retry-After` from the original response.
fn copy_headers(from: &Response, to: &mut Response) {
    for name in [header::ALLOW, header::RETRY_AFTER, header::SET_COOKIE] {
        for v in from.headers().get_all(&name) {
            to.headers_mut().append(name.clone(), v.clone());
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|q| q[2..].to_owned())
        .unwrap_or_default()
}

/// How long a request may take before it is answered 503.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a file upload may take: a 50 MB drawing on a slow line needs
/// minutes, and the body streams to disk as it comes.
pub const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Whether a path is a file upload (a material's file of an application,
/// through the API or the materials page).
fn is_upload(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "api", "v1", "applications", _, "materials", _, "files"]
            | ["", "applications", _, "materials"]
            | ["", "applications", _, "materials", _]
    )
}

/// Answers 503 when a request takes longer than its deadline
/// ([`REQUEST_DEADLINE`], or [`UPLOAD_DEADLINE`] for uploads).
pub async fn deadline(req: Request, next: Next) -> Response {
    let limit = if is_upload(req.uri().path()) {
        UPLOAD_DEADLINE
    } else {
        REQUEST_DEADLINE
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Copies the matched route into the response, so the outer `frame`
/// middleware can label metrics and logs by route rather than by raw path.
pub async fn keep_matched_path(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(m) = matched {
        res.extensions_mut().insert(m);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_get_the_long_deadline_and_nothing_else_does() {
        assert!(is_upload("/api/v1/applications/abc/materials/M001/files"));
        assert!(!is_upload("/api/v1/applications/abc/files/3"));
        assert!(!is_upload(
            "/api/v1/applications/abc/materials/M001/files/extra"
        ));
        assert!(!is_upload("/admin/catalog/versions/1/files"));
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        // From the proxy: the nearest address it was given.
        assert_eq!(
            client_address(proxy, &h, &[proxy]).to_string(),
            "198.51.100.7"
        );
        // From anyone else the header is ignored (it could be forged).
        let other: std::net::IpAddr = "192.0.2.5".parse().unwrap();
        assert_eq!(client_address(other, &h, &[proxy]).to_string(), "192.0.2.5");
        // A chain of trusted proxies is skipped.
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        assert_eq!(
            client_address(proxy, &h, &[proxy]).to_string(),
            "203.0.113.9"
        );
    }
}
