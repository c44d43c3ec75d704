//! UserInfo and token revocation (RFC 7009).

use super::token::{client_auth, enterprise_claim};
use super::*;

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
        return Ok(bearer_error("invalid_request", "access token missing"));
    };
    let keys = state.keys().await?;
    let Some(claims) = oidc::check_access_token(&keys, &state.issuer(), token.trim()) else {
        return Ok(bearer_error(
            "invalid_token",
            "access token invalid or expired",
        ));
    };
    let scope = split_scope(claims["scope"].as_str().unwrap_or(""));
    let Some(account_id) = claims["sub"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
        // A client's own token names no person.
        return Ok(bearer_error(
            "invalid_token",
            "the token does not stand for a person",
        ));
    };
    if !scope.iter().any(|s| s == "openid") {
        return Ok(json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": "insufficient_scope", "error_description": "the openid scope is needed"}),
            "no-store",
        ));
    }
    let Some(mut c) = oidc::user_claims(state.db(), state.data_key(), account_id, &scope).await?
    else {
        return Ok(bearer_error("invalid_token", "account disabled"));
    };
    if let Some(enterprise) = claims["acting_for"].as_i64() {
        match tongban_core::identity::agents::live_mandate(state.db(), account_id, enterprise)
            .await?
        {
            Some(m) => c["enterprise"] = enterprise_claim(&m),
            None => {
                return Ok(bearer_error(
                    "invalid_token",
                    "agent authorisation revoked or expired",
                ));
            }
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
            &OAuthError::new("invalid_request", "token missing"),
        );
    };
    // Access tokens are short-lived JWTs and are not tracked; revoking one is
    // answered like any unknown token (RFC 7009 §2.2).
    if let Err(e) = oidc::revoke_refresh(state.db(), &client, token).await {
        tracing::error!(error = %e, "revocation failed");
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            &OAuthError::new("server_error", "service temporarily unavailable"),
        );
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}
