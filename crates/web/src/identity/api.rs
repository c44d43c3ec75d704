//! Identity API: who am I, and API sign-in for scripts and apps.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_core::identity::accounts::Principal;
use tongban_core::identity::sessions;
use tongban_core::identity::signin::SignInError;
use utoipa::ToSchema;

use crate::http::api::Problem;
use crate::http::ctx::Ctx;
use crate::http::json::Json;
use crate::identity::auth::{SignedIn, clear_session_cookie, refusal, session_cookie, sign_in};
use crate::{AppError, AppState};

/// A role grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDto {
    /// Role code.
    pub role: String,
    /// Organisation id (the role covers everything below it too).
    pub org_id: i64,
    /// Organisation name.
    pub org_name_zh: String,
}

/// The signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// Account id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// `person`, `enterprise` or `staff`.
    pub kind: String,
    /// Display name.
    pub display_name: String,
    /// Staff: home organisation.
    pub org_id: Option<i64>,
    /// Enterprise: credit code.
    pub credit_code: Option<String>,
    /// Roles.
    pub grants: Vec<GrantDto>,
}

impl From<&Principal> for MeDto {
    fn from(p: &Principal) -> Self {
        let a = &p.account;
        Self {
            id: a.id,
            username: a.username.clone(),
            kind: a.kind.clone(),
            display_name: a.display_name.clone(),
            org_id: a.org_id,
            credit_code: a.credit_code.clone(),
            grants: p
                .grants
                .iter()
                .map(|g| GrantDto {
                    role: g.role.code().into(),
                    org_id: g.org_id,
                    org_name_zh: g.org_name_zh.clone(),
                })
                .collect(),
        }
    }
}

/// The signed-in account and its roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    responses((status = 200, body = MeDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn get_me(ctx: Ctx) -> Result<Json<MeDto>, AppError> {
    Ok(Json(MeDto::from(&ctx.require_session()?.principal)))
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionRequest {
    /// Username (blank is refused).
    #[schema(min_length = 1, pattern = "\\S")]
    pub username: String,
    /// Password.
    #[schema(min_length = 1)]
    pub password: String,
    /// The current TOTP code (staff, and anyone who enrolled one).
    #[serde(default)]
    pub totp: Option<String>,
}

/// Sign in; the session cookie is set on the response.
#[utoipa::path(post, path = "/api/v1/session", tag = "identity", request_body = SessionRequest,
    responses((status = 201, body = MeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(r): Json<SessionRequest>,
) -> Result<Response, AppError> {
    match sign_in(&state, &ctx, &r.username, &r.password, r.totp.as_deref()).await {
        Ok(SignedIn::SecondFactor(_)) => Err(AppError::field("totp", "required")),
        Ok(SignedIn::Session(token)) => {
            let s = sessions::lookup(state.db(), &token, state.lifetimes())
                .await?
                .ok_or(AppError::Unauthorized)?;
            Ok((
                StatusCode::CREATED,
                [(header::SET_COOKIE, session_cookie(&state, &token))],
                Json(MeDto::from(&s.principal)),
            )
                .into_response())
        }
        Err(SignInError::Db(e)) => Err(e.into()),
        Err(e @ SignInError::Busy) => Err(AppError::TooManyRequests(refusal(&ctx, &e).1.message)),
        Err(SignInError::BadCredentials | SignInError::BadCode | SignInError::Expired) => {
            Err(AppError::BadCredentials)
        }
        Err(e @ (SignInError::Locked { .. } | SignInError::AddressBlocked { .. })) => {
            Err(AppError::TooManyRequests(refusal(&ctx, &e).1.message))
        }
        Err(SignInError::Disabled | SignInError::Pending) => Err(AppError::Forbidden),
        Err(SignInError::Missing) => Err(AppError::field("username", "missing")),
    }
}

/// Sign out of this session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "identity", responses((status = 204)))]
pub async fn delete_session(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(s) = &ctx.session {
        crate::identity::oidc::end_session(&state, &s.token_hash).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_session_cookie())],
    )
        .into_response())
}
