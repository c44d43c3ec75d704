//! OpenID Connect endpoints: discovery, JWKS, authorization (with the
//! consent screen), token, userinfo, revocation and RP-initiated logout.
//!
//! Machine endpoints answer RFC 6749 errors as JSON; errors that must not be
//! sent back to an unverified redirect URI (unknown client, unregistered
//! redirect URI) are shown as a page and nothing is redirected.

pub mod authorize;
pub mod logout;
pub mod token;
pub mod userinfo;

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
        .route("/oauth/token", post(token::token_post))
        .route(
            "/oauth/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/oauth/revoke", post(userinfo::revoke_post))
}

/// Routes a person's browser uses (behind the CSRF check).
pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(
            "/oauth/logout",
            get(logout::logout_get).post(logout::logout_post),
        )
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
        .map_err(|_| OAuthError::new("invalid_request", "malformed request parameters"))?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(n, _)| n == k) {
            return Err(OAuthError::new(
                "invalid_request",
                format!("parameter {k} repeated"),
            ));
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
