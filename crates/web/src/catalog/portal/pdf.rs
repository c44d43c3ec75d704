//! The guide as a printable PDF.

use super::*;

/// `GET /items/{task_code}/guide.pdf`: the printable guide with an embedded
/// Chinese font, rendered off the async threads.
pub async fn guide_pdf_get(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    if code.len() > 36 {
        return Err(AppError::NotFound);
    }
    let p = catalog::published(state.db(), &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = state.config().public_url.trim_end_matches('/').to_owned();
    let facts = tongban_core::catalog::guide_pdf::GuideFacts {
        task_code: p.task_code.clone(),
        org_name: p.org.name_zh.clone(),
        version_no: p.version_no,
        published_at: format_cst(p.published_at),
        url: format!("{base}/items/{}", p.task_code),
        lists: (*state.code_lists().await?).clone(),
        min_level: match p.guide.min_level {
            0 => String::new(),
            n => state
                .config()
                .identity
                .level(n.into())
                .map(|l| l.name_zh.clone())
                .unwrap_or_default(),
        },
    };
    let guide = p.guide;
    // On the compute lane: however crowded the blocking pool, a PDF finds
    // a thread.
    let pdf = tongban_core::platform::lanes::compute()
        .run(move || tongban_core::catalog::guide_pdf::render(&guide, &facts))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("inline; filename=\"guide-{}.pdf\"", p.task_code);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        ],
        pdf,
    )
        .into_response())
}
