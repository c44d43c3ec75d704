//! The token endpoint: client authentication, and the code, refresh-token and client-credentials grants.

use super::*;

/// How the client authenticated, and who it is.
pub(super) async fn client_auth(
    state: &AppState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Client, OAuthError> {
    let bad = || OAuthError::new("invalid_client", "client authentication failed");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let (id, secret) = match (basic, param(pairs, "client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                "invalid_request",
                "use only one client authentication method",
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
                "the request must be application/x-www-form-urlencoded",
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
                &OAuthError::new("server_error", "service temporarily unavailable"),
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
        .ok_or_else(|| OAuthError::new("invalid_request", "grant_type missing"))?;
    let (grant, refresh) = match grant_type {
        "authorization_code" => {
            if client.kind == ClientKind::Service {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "service accounts may only use client_credentials",
                ));
            }
            let code = param(&pairs, "code")
                .ok_or_else(|| OAuthError::new("invalid_request", "code missing"))?;
            let redirect = param(&pairs, "redirect_uri")
                .ok_or_else(|| OAuthError::new("invalid_request", "redirect_uri missing"))?;
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
                    "service accounts may only use client_credentials",
                ));
            }
            let token = param(&pairs, "refresh_token")
                .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token missing"))?;
            let (g, r) = oidc::refresh(state.db(), &client, token, param(&pairs, "scope")).await?;
            (g, Some(r))
        }
        "client_credentials" => {
            if client.kind != ClientKind::Service {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "only service accounts may use client_credentials",
                ));
            }
            let scope = match param(&pairs, "scope") {
                Some(s) => split_scope(s),
                None => client.scopes.clone(),
            };
            if let Some(bad) = scope.iter().find(|s| !client.scopes.contains(s)) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("scope not allowed: {bad}"),
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
                "unsupported grant_type",
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
    .ok_or_else(|| OAuthError::new("invalid_grant", "account disabled"))?;
    if let Some(enterprise) = grant.acting_for {
        // The agent's authorisation must still be in force at every issue.
        let m =
            tongban_core::identity::agents::live_mandate(state.db(), grant.account_id, enterprise)
                .await
                .map_err(server)?
                .ok_or_else(|| {
                    OAuthError::new("invalid_grant", "agent authorisation revoked or expired")
                })?;
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
pub(super) fn enterprise_claim(m: &tongban_core::identity::agents::Mandate) -> Value {
    json!({
        "credit_code": m.credit_code,
        "name": m.enterprise_name,
        "role": "agent",
        "items": if m.items.is_empty() { json!("*") } else { json!(m.items) },
        "expires_at": m.expires_at / 1000,
    })
}
