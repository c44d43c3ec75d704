//! Blank forms and samples: attached to a draft's materials, downloaded from guides.

use super::*;

/// `POST /admin/catalog/versions/{id}/files` (multipart: `revision`,
/// `material`, `kind` = `blank_form` | `sample`, `file`): attaches a file to
/// a material of a draft and saves the draft.
pub async fn version_file_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    upload: crate::http::uploads::Upload<axum::extract::Multipart>,
) -> Result<Response, AppError> {
    let crate::http::uploads::Upload {
        body: mut multipart,
        admitted,
    } = upload;
    let p = principal(&ctx)?.clone();
    let (mut revision, mut material, mut kind, mut file) = (None, None, String::new(), None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?;
                file = Some((fname, bytes.to_vec()));
            }
            other => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| admitted.failed(AppError::BadRequest(e.body_text())))?;
                match other {
                    "revision" => revision = text.parse::<i64>().ok(),
                    "material" => material = text.parse::<usize>().ok(),
                    "kind" => kind = text,
                    _ => {}
                }
            }
        }
    }
    let revision = revision.ok_or_else(|| AppError::field("revision", "required"))?;
    let index = material.ok_or_else(|| AppError::field("material", "not_found"))?;
    let kind =
        catalog::AttachmentKind::parse(&kind).ok_or_else(|| AppError::field("kind", "invalid"))?;
    let (fname, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::field("file", "required"))?;
    let root = &state.config().data_dir;
    let to = catalog::AttachTo {
        version_id: id,
        revision,
        material: index,
        kind,
    };
    match catalog::attach(state.db(), root, &p, to, &fname, bytes).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/catalog/versions/{id}?done=saved")).into_response())
        }
        Err(catalog::AttachError::File(problem)) => Err(AppError::Validation(vec![problem])),
        Err(catalog::AttachError::Catalog(e)) => Err(e.into()),
    }
}

/// `GET /files/{key}`: a blank form or sample linked from a guide, as an
/// attachment. Public files may be cached anywhere; a draft's only by the
/// person's own browser, never shared.
pub async fn file_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    use axum::http::header;
    let actor = ctx.session.as_ref().map(|s| &s.principal);
    let (f, public) = catalog::attachment(state.db(), Actor::of(actor), &key).await?;
    let bytes = tongban_core::platform::files::read(&state.config().data_dir, &f)
        .await
        .map_err(|e| match e {
            tongban_core::platform::files::FileError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        })?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        crate::http::ctx::urlencode(&f.name)
    );
    let cache = if public {
        "public, max-age=86400, immutable"
    } else {
        "private, no-store"
    };
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        bytes,
    )
        .into_response())
}
