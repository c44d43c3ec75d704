//! A case's files, opened: `GET /api/v1/applications/{id}/files/{file_id}`
//! for the applicant and the person acting, `GET /api/v1/cases/{n}/files/
//! {file_id}` for the staff in scope (each open recorded) and the
//! applicant. PDF, PNG and JPEG open in the browser, anything else is
//! downloaded; never framed, never sniffed as another type, never cached by
//! anyone else. Images and downloads are sandboxed (no script, no form, no
//! same-origin access); a PDF is not, since Chromium and WebKit show a
//! sandboxed PDF as a blank page (their viewers are plugins a sandbox
//! disables) and a clerk must read it: its type was decided by its
//! structure at upload, it is sent as `application/pdf` with `nosniff`, and
//! its policy allows nothing to load.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tongban_core::applications::files::{self, FileToSend};
use tongban_core::platform::clock::now_ms;
use tongban_domain::applications::ReadPurpose;

use super::cases::case_no;
use crate::http::ctx::{Ctx, urlencode};
use crate::{AppError, AppState};

/// The content type and disposition of a given file by its type (decided
/// by content at upload): the three kinds a browser shows safely inline.
fn shown(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "pdf" => ("application/pdf", "inline"),
        "png" => ("image/png", "inline"),
        "jpeg" => ("image/jpeg", "inline"),
        "ofd" => ("application/ofd", "attachment"),
        _ => ("application/octet-stream", "attachment"),
    }
}

/// A name safe to put in `Content-Disposition`: the ASCII fallback keeps
/// letters, digits, `.`, `-` and `_` (anything else becomes `_`), and the
/// UTF-8 name is percent-encoded; no quote, separator or control survives.
pub fn disposition(kind: &str, name: &str) -> String {
    let (_, how) = shown(kind);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = if clean.trim().is_empty() {
        format!("file.{kind}")
    } else {
        clean
    };
    let ascii: String = clean
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{how}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        urlencode(&clean).replace('+', "%20")
    )
}

/// The content security policy a file is sent with (see the module's
/// comment for why a PDF is not sandboxed).
fn policy(kind: &str) -> &'static str {
    if kind == "pdf" {
        // The viewer embeds the document itself (`object-src 'self'`) and
        // styles its own page; nothing else loads.
        "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    }
}

/// The response carrying a file, streamed from the store.
fn send(f: FileToSend) -> Response {
    let (content_type, _) = shown(&f.given.kind);
    let stream = futures::stream::unfold(f.content, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
    .boxed();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, f.given.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                disposition(&f.given.kind, &f.given.name),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                policy(&f.given.kind).to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// `GET /api/v1/applications/{id}/files/{file_id}`: a file given for the
/// application, for its applicant and the person acting.
#[utoipa::path(get, path = "/api/v1/applications/{id}/files/{file_id}", tag = "applications",
    params(("id" = String, Path, description = "the application"), ("file_id" = i64, Path, description = "`files[].id`")),
    responses((status = 200, description = "the file: PDF, PNG and JPEG inline, anything else as an attachment; images and attachments sandboxed, nothing loads from a PDF",
            content(("application/pdf"), ("image/png"), ("image/jpeg"), ("application/octet-stream"))),
        (status = 401, body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::http::api::Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = crate::http::api::Problem, content_type = "application/problem+json")))]
pub async fn application_file_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let f = files::open_file(
        state.db(),
        &state.config().data_dir,
        &s.principal,
        &id,
        file_id,
    )
    .await?;
    Ok(send(f))
}

/// How a case's file is shown: `as=thumbnail` on the case page (recorded
/// as shown, not opened).
#[derive(Debug, serde::Deserialize)]
pub struct Shown {
    #[serde(default, rename = "as")]
    r#as: String,
}

/// `GET /api/v1/cases/{case_number}/files/{file_id}`: a file of a case, for
/// the acceptance staff in whose scope it is (each open is recorded) and
/// for the applicant and the person acting.
#[utoipa::path(get, path = "/api/v1/cases/{case_number}/files/{file_id}", tag = "applications",
    params(("case_number" = String, Path, description = "办件编号"), ("file_id" = i64, Path, description = "`files[].id`"),
        ("as" = Option<String>, Query, description = "`thumbnail`: shown as a thumbnail on the case page (recorded as such, not as opened)")),
    responses((status = 200, description = "the file: PDF, PNG and JPEG inline, anything else as an attachment; images and attachments sandboxed, nothing loads from a PDF",
            content(("application/pdf"), ("image/png"), ("image/jpeg"), ("application/octet-stream"))),
        (status = 401, body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::http::api::Problem, content_type = "application/problem+json", description = "the applicant's authority for the caller to act has ended"),
        (status = 404, body = crate::http::api::Problem, content_type = "application/problem+json", description = "no such file of a case in the caller's scope")))]
pub async fn case_file_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((n, file_id)): Path<(String, i64)>,
    axum::extract::Query(q): axum::extract::Query<Shown>,
) -> Result<Response, AppError> {
    let n = case_no(&n)?;
    let s = ctx.require_session()?;
    let purpose = if q.r#as == "thumbnail" {
        ReadPurpose::Thumbnail
    } else {
        ReadPurpose::File
    };
    let f = files::open_case_file(
        state.db(),
        &state.config().data_dir,
        &s.principal,
        n.as_str(),
        file_id,
        purpose,
        now_ms(),
    )
    .await?;
    Ok(send(f))
}
