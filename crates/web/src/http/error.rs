//! The one web error type. Handlers return `AppError`; its `IntoResponse`
//! only sets the status and attaches the error, and the `render_errors`
//! middleware turns it into a page a person understands (HTML, in their
//! language, with the request id) or RFC 9457 problem JSON under `/api`,
//! logging internal errors once with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_core::DbError;

/// A field-level validation error.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name in the request.
    pub field: String,
    /// What is wrong, in the request's language where the message comes from
    /// the catalogs, otherwise in Chinese.
    pub message: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page or record.
    #[error("not found")]
    NotFound,
    /// Not signed in (pages redirect to sign-in; the API answers 401).
    #[error("unauthorized")]
    Unauthorized,
    /// Wrong username or password (API sign-in).
    #[error("bad credentials")]
    BadCredentials,
    /// Signed in but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Malformed request.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Field errors.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Someone else changed it first.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many attempts.
    #[error("too many requests")]
    TooManyRequests(String),
    /// The request body is larger than the route takes.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A dependency (the database) is unavailable.
    #[error("unavailable")]
    Unavailable,
    /// A bug or an unexpected failure: logged, never shown in detail.
    #[error("internal: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A field error in one line.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict(m) => Self::Conflict(m),
            e if e.is_unavailable() => Self::Unavailable,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// The error travelling from handler to the `render_errors` middleware.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// Short machine code: `not_found`, `validation`, …
    pub code: &'static str,
    /// Detail safe to show (empty for internal errors).
    pub detail: String,
    /// Field errors, if any.
    pub fields: Vec<FieldError>,
    /// Internal cause, logged by the middleware with the request id.
    pub internal: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let info = match self {
            Self::NotFound => ErrorInfo {
                code: "not_found",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::Unauthorized => ErrorInfo {
                code: "unauthorized",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::BadCredentials => ErrorInfo {
                code: "bad_credentials",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::Forbidden => ErrorInfo {
                code: "forbidden",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::BadRequest(d) => ErrorInfo {
                code: "bad_request",
                detail: d,
                fields: vec![],
                internal: None,
            },
            Self::Validation(f) => ErrorInfo {
                code: "validation",
                detail: String::new(),
                fields: f,
                internal: None,
            },
            Self::Conflict(d) => ErrorInfo {
                code: "conflict",
                detail: d,
                fields: vec![],
                internal: None,
            },
            Self::TooManyRequests(d) => ErrorInfo {
                code: "too_many_requests",
                detail: d,
                fields: vec![],
                internal: None,
            },
            Self::PayloadTooLarge => ErrorInfo {
                code: "payload_too_large",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::Unavailable => ErrorInfo {
                code: "unavailable",
                detail: String::new(),
                fields: vec![],
                internal: None,
            },
            Self::Internal(e) => ErrorInfo {
                code: "internal",
                detail: String::new(),
                fields: vec![],
                internal: Some(format!("{e:#}")),
            },
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(info);
        res
    }
}

impl From<tongban_core::catalog::CatalogError> for AppError {
    fn from(e: tongban_core::catalog::CatalogError) -> Self {
        use tongban_core::catalog::CatalogError as C;
        match e {
            C::Invalid(problems) => Self::Validation(
                problems
                    .into_iter()
                    .map(|p| FieldError {
                        field: p.field,
                        message: p.message,
                    })
                    .collect(),
            ),
            C::Code(c) => Self::field("code", c.to_string()),
            C::NotFound => Self::NotFound,
            C::Forbidden => Self::Forbidden,
            C::Db(d) => d.into(),
            other @ (C::DuplicateTaskCode
            | C::Conflict
            | C::WrongState
            | C::SameReviewer
            | C::ReviewerMadeSubmitter
            | C::DraftExists) => Self::Conflict(other.to_string()),
        }
    }
}

impl From<tongban_core::catalog::exchange::ImportError> for AppError {
    fn from(e: tongban_core::catalog::exchange::ImportError) -> Self {
        use tongban_core::catalog::exchange::ImportError as I;
        match e {
            I::Rows(problems) => {
                let more = problems.total - problems.listed.len();
                let mut fields: Vec<FieldError> = problems
                    .listed
                    .into_iter()
                    .map(|r| FieldError {
                        field: format!("row {} {}", r.row, r.field).trim().to_owned(),
                        message: r.message,
                    })
                    .collect();
                if more > 0 {
                    fields.push(FieldError {
                        field: "row 0".into(),
                        message: format!(
                            "另有 {more} 处问题未列出 ({more} more problems not listed)"
                        ),
                    });
                }
                Self::Validation(fields)
            }
            I::Catalog(c) => c.into(),
        }
    }
}

impl From<tongban_core::identity::staff::StaffError> for AppError {
    fn from(e: tongban_core::identity::staff::StaffError) -> Self {
        use tongban_core::identity::staff::StaffError as S;
        match e {
            S::Forbidden => Self::Forbidden,
            S::Invalid(problems) => Self::Validation(
                problems
                    .into_iter()
                    .map(|p| FieldError {
                        field: p.field,
                        message: p.message,
                    })
                    .collect(),
            ),
            S::Db(d) => d.into(),
            other @ (S::Hash(_) | S::Unexpected(_)) => Self::Internal(other.into()),
        }
    }
}
