//! The one place uploads are let in: [`Upload`] takes a place at the
//! node's gate for the signed-in account (or, signed out, the client's
//! address) before the body is read — 429 with `Retry-After` when the
//! account or the node has its uploads in flight — and hands the handler
//! the body watched for idleness (`uploads.idle_seconds`). When the body
//! then stops short, [`Upload::stopped`] says what to answer: 408 for an
//! idle upload, 400 for one the client broke off (logged as the client's
//! doing, not as an error here).

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use tongban_core::platform::uploads::{Ended, Slot};

use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// An upload let in, with its body (`T`: `Body`, `Multipart`, …) read
/// through the watch.
pub struct Upload<T> {
    /// The body, as the handler reads it.
    pub body: T,
    /// Its place at the gate, held until the handler is done.
    pub admitted: Admitted,
}

/// An upload's place at the gate, and what became of its body.
pub struct Admitted {
    slot: Slot,
    request_id: String,
}

impl<T> FromRequest<AppState> for Upload<T>
where
    T: FromRequest<AppState>,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let ctx = req.extensions().get::<Ctx>().cloned();
        let key = match ctx.as_ref() {
            Some(Ctx {
                session: Some(s), ..
            }) => format!("account:{}", s.principal.account.id),
            Some(Ctx { ip: Some(ip), .. }) => format!("address:{ip}"),
            _ => "unknown".to_owned(),
        };
        let slot = state.uploads().admit(&key).map_err(|busy| {
            tracing::info!(uploads.refused = %busy, "upload refused");
            // A place frees at the latest when an idle upload is dropped.
            AppError::UploadsBusy {
                retry_after: state.uploads().limits().idle.as_secs().max(1),
            }
            .into_response()
        })?;
        let (parts, body) = req.into_parts();
        let watched = Body::from_stream(slot.watch(body.into_data_stream()));
        let body = T::from_request(Request::from_parts(parts, watched), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            body,
            admitted: Admitted {
                slot,
                request_id: ctx.map(|c| c.request_id).unwrap_or_default(),
            },
        })
    }
}

impl Admitted {
    /// The answer when the body stopped short, whatever the use case made
    /// of it: `None` when it did not.
    pub fn stopped(&self) -> Option<AppError> {
        let idle = self.slot.idle().as_secs();
        match self.slot.ended()? {
            Ended::Idle => {
                tracing::info!(request.id = %self.request_id, idle_s = idle, "upload dropped: idle");
                Some(AppError::UploadIdle { idle_seconds: idle })
            }
            Ended::Broken => {
                tracing::info!(request.id = %self.request_id, "upload broken off by the client");
                Some(AppError::UploadAborted)
            }
        }
    }

    /// A failure of the use case, answered as the client's doing when the
    /// body stopped short.
    pub fn failed(&self, e: impl Into<AppError>) -> AppError {
        self.stopped().unwrap_or_else(|| e.into())
    }
}
