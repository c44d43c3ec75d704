//! The one web error type. Handlers return `AppError`; its `IntoResponse`
//! only sets the status and attaches the error, and the `render_errors`
//! middleware turns it into a page a person understands (HTML, in their
//! language, with the request id) or RFC 9457 problem JSON under `/api`,
//! logging internal errors once with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_core::DbError;
use tongban_domain::FieldProblem;

use crate::http::i18n::{Lang, Tr};

/// A field problem as a person or a program reads it: the field, the stable
/// code, and the words in the request's language (from the locale files).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name in the request (`materials[2].name`).
    pub field: String,
    /// Stable code for programs (`required`, `too_long`, `invalid_code`, …).
    pub code: String,
    /// What is wrong, in the request's language.
    pub message: String,
}

impl FieldError {
    /// The words for `p` in `t`'s language: the locale entry
    /// `problem.<field without indices>.<code>` with `{n}` (the first index
    /// counted from one) and the problem's own values filled in; failing
    /// that the generic `problem.<code>`, then the problem's own message.
    pub fn of(t: &Tr, p: FieldProblem) -> Self {
        let (field_key, n) = p.field_key();
        let specific = format!("problem.{field_key}.{}", p.code);
        let generic = format!("problem.{}", p.code);
        let template = t.lookup(&specific).or_else(|| {
            let generic_fits = p.message.is_empty() || t.lang == Lang::En || p.code.contains('.');
            generic_fits.then(|| t.lookup(&generic)).flatten()
        });
        let message = match template {
            Some(mut s) => {
                if let Some(n) = n {
                    s = s.replace("{n}", &n.to_string());
                }
                for (name, value) in &p.args {
                    // A value given in both languages (`label` and
                    // `label_en`, a form field's name) is filled in the
                    // page's, falling back to Chinese.
                    let english = p
                        .args
                        .iter()
                        .find(|(n, v)| n.strip_suffix("_en") == Some(name) && !v.is_empty());
                    let value = match (t.lang, english) {
                        (Lang::En, Some((_, v))) => v,
                        _ => value,
                    };
                    s = s.replace(&format!("{{{name}}}"), value);
                }
                s
            }
            None if !p.message.is_empty() => p.message,
            None => t.get("problem.invalid"),
        };
        Self {
            field: p.field,
            code: p.code.to_owned(),
            message,
        }
    }

    /// A field error whose words the page already has in its language.
    pub fn worded(field: &str, code: &str, message: String) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        }
    }
}

/// Every problem of a list in `t`'s language.
pub fn localize(t: &Tr, problems: Vec<FieldProblem>) -> Vec<FieldError> {
    problems.into_iter().map(|p| FieldError::of(t, p)).collect()
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
    /// Signed in but no longer allowed, for the reasons given (an
    /// authority that has ended, with since when): 403 with the problems.
    #[error("denied")]
    Denied(Vec<FieldProblem>),
    /// A request that cannot be read at all (a broken form, bad JSON): the
    /// parser's own words, technical, for the developer who sent it.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Problems with fields, every one at once.
    #[error("validation failed")]
    Validation(Vec<FieldProblem>),
    /// The request conflicts with the state of things: a stale revision, a
    /// key already taken, a state that does not allow the step. The reason
    /// is a code worded by the locale entry `conflict.<reason>`.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Too many attempts (the words already in the request's language).
    #[error("too many requests")]
    TooManyRequests(String),
    /// The request body is larger than the route takes.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The node, or this account, has as many uploads in flight as it
    /// takes: try again after `retry_after` seconds.
    #[error("too many uploads in flight")]
    UploadsBusy {
        /// Seconds to wait (the `Retry-After` header).
        retry_after: u64,
    },
    /// The upload sent nothing for `idle_seconds` and was dropped.
    #[error("upload idle")]
    UploadIdle {
        /// The idle time it passed.
        idle_seconds: u64,
    },
    /// The client broke the upload off: its doing, not a failure here.
    #[error("upload aborted by the client")]
    UploadAborted,
    /// A dependency (the database) is unavailable.
    #[error("unavailable")]
    Unavailable,
    /// What the step needs is not there yet (a calendar year to load),
    /// said in the problems: 503, nothing written.
    #[error("unavailable: {0:?}")]
    UnavailableBecause(Vec<FieldProblem>),
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
            Self::Forbidden | Self::Denied(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UploadsBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UploadIdle { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::UploadAborted => StatusCode::BAD_REQUEST,
            Self::Unavailable | Self::UnavailableBecause(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// One problem with one field, worded by the locale entry
    /// `problem.<field>.<code>` (or the generic `problem.<code>`).
    pub fn field(field: &str, code: &'static str) -> Self {
        Self::Validation(vec![FieldProblem::new(field, code, "")])
    }

    /// One problem with one field, with the Chinese words of the rule that
    /// found it for when no locale entry names it.
    pub fn problem(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldProblem::new(field, code, message)])
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict(_) => Self::Conflict("changed"),
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
#[derive(Debug, Clone, Default)]
pub struct ErrorInfo {
    /// Short machine code: `not_found`, `validation`, …
    pub code: &'static str,
    /// The reason of a conflict (`changed`, `task_code_taken`, …).
    pub reason: Option<&'static str>,
    /// Detail safe to show (empty for internal errors).
    pub detail: String,
    /// Field problems, if any, worded by the middleware in the request's
    /// language.
    pub fields: Vec<FieldProblem>,
    /// Internal cause, logged by the middleware with the request id.
    pub internal: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            Self::UploadsBusy { retry_after } => Some(*retry_after),
            _ => None,
        };
        let info = match self {
            Self::NotFound => ErrorInfo::code("not_found"),
            Self::Unauthorized => ErrorInfo::code("unauthorized"),
            Self::BadCredentials => ErrorInfo::code("bad_credentials"),
            Self::Forbidden => ErrorInfo::code("forbidden"),
            Self::Denied(fields) => ErrorInfo {
                fields,
                ..ErrorInfo::code("forbidden")
            },
            Self::BadRequest(detail) => ErrorInfo {
                detail,
                ..ErrorInfo::code("bad_request")
            },
            Self::Validation(fields) => ErrorInfo {
                fields,
                ..ErrorInfo::code("validation")
            },
            Self::Conflict(reason) => ErrorInfo {
                reason: Some(reason),
                ..ErrorInfo::code("conflict")
            },
            Self::TooManyRequests(detail) => ErrorInfo {
                detail,
                ..ErrorInfo::code("too_many_requests")
            },
            Self::PayloadTooLarge => ErrorInfo::code("payload_too_large"),
            Self::UploadsBusy { .. } => ErrorInfo::code("upload.busy"),
            Self::UploadIdle { idle_seconds } => ErrorInfo {
                detail: idle_seconds.to_string(),
                ..ErrorInfo::code("upload.idle")
            },
            Self::UploadAborted => ErrorInfo::code("upload.aborted"),
            Self::Unavailable => ErrorInfo::code("unavailable"),
            // Not "unavailable": that code marks the database down.
            Self::UnavailableBecause(fields) => ErrorInfo {
                fields,
                ..ErrorInfo::code("not_ready")
            },
            Self::Internal(e) => ErrorInfo {
                internal: Some(format!("{e:#}")),
                ..ErrorInfo::code("internal")
            },
        };
        let mut res = status.into_response();
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res.extensions_mut().insert(info);
        res
    }
}

impl ErrorInfo {
    /// An error with only its code.
    pub fn code(code: &'static str) -> Self {
        Self {
            code,
            ..Self::default()
        }
    }
}

impl From<tongban_core::catalog::CatalogError> for AppError {
    fn from(e: tongban_core::catalog::CatalogError) -> Self {
        use tongban_core::catalog::CatalogError as C;
        match e {
            C::Invalid(problems) => Self::Validation(problems),
            C::Code(c) => {
                Self::Validation(vec![FieldProblem::new("code", c.code(), c.to_string())])
            }
            C::NotFound => Self::NotFound,
            C::Forbidden => Self::Forbidden,
            C::Db(d) => d.into(),
            C::DuplicateTaskCode => Self::Conflict("task_code_taken"),
            C::Conflict => Self::Conflict("changed"),
            C::WrongState => Self::Conflict("wrong_state"),
            C::SameReviewer => Self::Conflict("same_reviewer"),
            C::ReviewerMadeSubmitter => Self::Conflict("reviewer_made_submitter"),
            C::DraftExists => Self::Conflict("draft_exists"),
        }
    }
}

impl From<tongban_core::catalog::exchange::ImportError> for AppError {
    fn from(e: tongban_core::catalog::exchange::ImportError) -> Self {
        use tongban_core::catalog::exchange::ImportError as I;
        match e {
            I::Rows(problems) => {
                let more = problems.total - problems.listed.len();
                let mut fields: Vec<FieldProblem> = problems
                    .listed
                    .into_iter()
                    .map(|r| {
                        let field = format!("row {} {}", r.row, r.field).trim().to_owned();
                        FieldProblem::new(field, "import", r.message)
                    })
                    .collect();
                if more > 0 {
                    fields.push(
                        FieldProblem::new("row 0", "more", format!("另有 {more} 处问题未列出"))
                            .with("more", more.to_string()),
                    );
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
            S::Invalid(problems) => Self::Validation(problems),
            S::Db(d) => d.into(),
            other @ (S::Hash(_) | S::Unexpected(_)) => Self::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_domain::catalog::{CodeLists, Faq, Fee, Guide, Material, Situation, validate};

    fn has_cjk(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_problem_of_the_guide_rules_is_worded_in_both_languages() {
        let guide = Guide {
            materials: vec![
                Material {
                    originals: 30,
                    form: "x".into(),
                    source: "x".into(),
                    code: "材料".into(),
                    file_types: vec!["docx".into()],
                    max_mb: 0,
                    ..Material::default()
                },
                Material {
                    code: "材料".into(),
                    ..Material::default()
                },
            ],
            situations: vec![Situation {
                materials: vec![Material {
                    name: "x".into(),
                    code: "?".into(),
                    file_types: vec![],
                    max_mb: 500,
                    ..Material::default()
                }],
                ..Situation::default()
            }],
            fees: vec![Fee {
                waivable: true,
                ..Fee::default()
            }],
            faq: vec![Faq::default()],
            online_depth: 9,
            min_level: 9,
            handling_forms: vec!["x".into()],
            service_objects: vec!["x".into()],
            ..Guide::default()
        };
        let problems = validate(&guide, &CodeLists::default());
        assert!(problems.len() > 15, "{problems:?}");
        for code in ["code", "file_types", "max_mb"] {
            assert!(
                problems
                    .iter()
                    .any(|p| p.field == format!("situations[0].materials[0].{code}")),
                "{code}: {problems:?}"
            );
        }
        assert!(
            problems
                .iter()
                .any(|p| p.field == "materials[1].code" && p.code == "duplicate")
        );
        for lang in [Lang::ZhCn, Lang::En] {
            let t = Tr::new(lang);
            for p in &problems {
                let (key, _) = p.field_key();
                assert!(
                    t.lookup(&format!("problem.{key}.{}", p.code)).is_some(),
                    "no locale entry for {key}.{} ({})",
                    p.code,
                    p.message
                );
                let worded = FieldError::of(&t, p.clone());
                assert!(!worded.message.contains('{'), "{}", worded.message);
                assert_eq!(
                    has_cjk(&worded.message),
                    lang == Lang::ZhCn,
                    "{}",
                    worded.message
                );
            }
        }
    }

    #[test]
    fn a_form_field_is_named_in_the_page_language() {
        let p = FieldProblem::new("/fields/area", "form.too_small", "“面积”过小")
            .with("label", "经营场所面积")
            .with("label_en", "Premises area")
            .with("min", "1");
        assert_eq!(
            FieldError::of(&Tr::new(Lang::En), p.clone()).message,
            "\"Premises area\" may not be less than 1."
        );
        assert_eq!(
            FieldError::of(&Tr::new(Lang::ZhCn), p).message,
            "“经营场所面积”不能小于1。"
        );
        // Without an English name, the Chinese one serves.
        let p = FieldProblem::new("/fields/x", "form.required", "")
            .with("label", "名称")
            .with("label_en", "");
        assert_eq!(
            FieldError::of(&Tr::new(Lang::En), p).message,
            "Answer \"名称\"."
        );
    }

    #[test]
    fn a_problem_is_worded_with_its_number_and_values() {
        let en = Tr::new(Lang::En);
        let p = FieldProblem::new("materials[2].name", "required", "第3项材料缺少名称");
        assert_eq!(FieldError::of(&en, p).message, "Material 3 has no name.");
        let p = tongban_domain::kernel::IdCardNo::parse("11010519491231002Y")
            .unwrap_err()
            .problem("id_number");
        let m = FieldError::of(&en, p.clone()).message;
        assert!(m.contains("18") || m.contains("digit"), "{m}");
        assert!(!has_cjk(&m), "{m}");
        // Chinese keeps the rule's own message when no entry names the field.
        let zh = Tr::new(Lang::ZhCn);
        let p = FieldProblem::new("row 3 name", "import", "第3行名称为空");
        assert_eq!(FieldError::of(&zh, p).message, "第3行名称为空");
        // A code-only problem falls back to the generic words.
        let p = FieldProblem::new("anything", "required", "");
        assert_eq!(FieldError::of(&en, p).message, "This field is required.");
    }
}
