//! Static assets compiled into the binary: no CDN, nothing to install.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppError;

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");
const LOGO: &str = include_str!("../../assets/logo.svg");

/// `GET /assets/{file}`.
pub async fn asset_get(Path(file): Path<String>) -> Result<impl IntoResponse, AppError> {
    let (body, ct) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "logo.svg" => (LOGO, "image/svg+xml"),
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    ))
}
