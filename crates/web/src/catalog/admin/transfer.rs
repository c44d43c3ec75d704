//! Bulk import and export in the national exchange field names.

use super::*;

/// `/admin/catalog/transfer` view.
#[derive(Template)]
#[template(path = "catalog/admin_transfer.html")]
pub struct TransferView {
    /// translator
    pub t: Tr,
    /// navigation
    pub nav: Nav,
    /// whether the person may publish on import
    pub can_publish: bool,
    /// problems of the last upload (row, field, message)
    pub problems: Vec<(usize, String, String)>,
    /// a message after an upload
    pub notice: String,
    /// errors for the summary (missing file)
    pub errors: Vec<FieldError>,
}

/// `GET /admin/catalog/transfer`.
pub async fn transfer_get(ctx: Ctx) -> Result<Response, AppError> {
    let p = principal(&ctx)?;
    tongban_core::catalog::exchange::may_import(p, false)?;
    let can_publish = p.has_role(Role::SystemAdmin);
    render(&TransferView {
        t: ctx.tr(),
        nav: Nav::from_ctx(&ctx),
        can_publish,
        problems: vec![],
        notice: String::new(),
        errors: vec![],
    })
}

/// `POST /admin/catalog/transfer` (multipart: `file`, `publish`).
pub async fn transfer_post(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let t = ctx.tr();
    let p = principal(&ctx)?.clone();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut publish = false;
    // Who may import is decided before the file is read; publishing is
    // checked again with the choice once the form is read.
    tongban_core::catalog::exchange::may_import(&p, false)?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_ascii_lowercase();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                if !bytes.is_empty() {
                    file = Some((name, bytes.to_vec()));
                }
            }
            Some("publish") => publish = true,
            _ => {}
        }
    }
    let view = |problems, notice, errors| TransferView {
        t,
        nav: Nav::from_ctx(&ctx),
        can_publish: p.has_role(Role::SystemAdmin),
        problems,
        notice,
        errors,
    };
    let Some((name, bytes)) = file else {
        let v = view(
            vec![],
            String::new(),
            vec![FieldError::worded("file", "invalid", t.get("xfer.no_file"))],
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&v)?).into_response());
    };
    let format = if name.ends_with(".csv") {
        "csv"
    } else {
        "json"
    };
    let parsed = crate::catalog::api::parse_import(format, &bytes);
    let result = match parsed {
        Ok((rows, first)) => {
            tongban_core::catalog::exchange::import(state.db(), &p, rows, publish, first)
                .await
                .map_err(AppError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => {
            state.catalog_touched().await;
            let key = if publish {
                "xfer.done"
            } else {
                "xfer.done_drafts"
            };
            render(&view(vec![], t.fmt(key, &[("n", &n.to_string())]), vec![]))
        }
        Err(AppError::Validation(fields)) => {
            let problems = fields
                .into_iter()
                .map(|f| {
                    // "row 3 task_name" back into its parts for the table.
                    let mut parts = f.field.splitn(3, ' ');
                    let _ = parts.next();
                    let row = parts.next().and_then(|r| r.parse().ok()).unwrap_or(0);
                    (row, parts.next().unwrap_or("").to_owned(), f.message)
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&view(problems, String::new(), vec![]))?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}
