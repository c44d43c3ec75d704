//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /healthz`: the process is up (no I/O, for liveness probes).
pub async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
}

/// `GET /readyz`: the database answers; 503 otherwise, within a second
/// (a load balancer's probe gives up after about that long), and at once
/// while the outage is known.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = if state.db().is_down() {
        false
    } else {
        match state
            .db()
            .probe(std::time::Duration::from_millis(800), true)
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "readiness check failed");
                if e.is_unavailable() {
                    state.db().mark_down();
                }
                false
            }
        }
    };
    if ready {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ready\n",
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "database unavailable\n",
        )
    }
}

/// Whether the request comes from one of the operator's addresses
/// (`metrics.allow`, after `trusted_proxies`): they alone read `/metrics`
/// and the demo's outbox.
pub fn from_operator(state: &AppState, ctx: &crate::http::ctx::Ctx) -> bool {
    ctx.ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| state.config().metrics.allow.contains(&ip))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics_get(State(state): State<AppState>, ctx: crate::http::ctx::Ctx) -> Response {
    // Operators' scrapers only: the queue and pool figures are not public.
    if !from_operator(&state, &ctx) {
        return crate::AppError::Forbidden.into_response();
    }
    let mut extra = String::new();
    extra.push_str("# HELP tongban_uptime_seconds Seconds since the process started.\n# TYPE tongban_uptime_seconds gauge\n");
    extra.push_str(&format!(
        "tongban_uptime_seconds {}\n",
        state.uptime().as_secs()
    ));
    match tongban_core::platform::jobs::counts(state.db()).await {
        Ok(counts) => {
            extra.push_str(
                "# HELP tongban_jobs Jobs in the queue by status.\n# TYPE tongban_jobs gauge\n",
            );
            for (status, n) in counts {
                extra.push_str(&format!("tongban_jobs{{status=\"{status}\"}} {n}\n"));
            }
        }
        Err(e) => tracing::warn!(error = %e, "job counts unavailable for metrics"),
    }
    let pool = state.db().pool();
    extra.push_str("# HELP tongban_db_pool_connections Open database connections.\n# TYPE tongban_db_pool_connections gauge\n");
    extra.push_str(&format!("tongban_db_pool_connections {}\n", pool.size()));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(&extra),
    )
        .into_response()
}
