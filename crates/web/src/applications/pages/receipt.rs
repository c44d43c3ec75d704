//! The receipt (申请材料接收回执) and the application form (申请表) as PDF.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tongban_core::applications;

use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// `GET /applications/{id}/receipt.pdf`: the receipt of a submitted
/// application (申请材料接收回执).
pub async fn receipt_pdf_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let o = applications::open(state.db(), &s.principal, &id).await?;
    let track = format!("{}/track", state.config().public_url.trim_end_matches('/'));
    let doc = applications::receipt::receipt(&o, &track).ok_or(AppError::NotFound)?;
    let pdf = tongban_core::platform::lanes::compute()
        .run(move || tongban_core::platform::pdf::official(&doc))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let number = o.app.case_number.unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"receipt-{number}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// `GET /applications/{id}/form.pdf`: the application form (申请表) with
/// every answer, the declaration and signature lines, for an applicant at a
/// window to sign.
pub async fn form_pdf_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = ctx.require_session()?;
    let doc = applications::receipt::form_document(state.db(), &s.principal, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::applications::cases::render_pdf(doc, format!("application-{id}")).await
}
