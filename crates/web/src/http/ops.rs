//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tongban_core::platform::lanes;

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
/// while the outage is known. A node busy with uploads or blocking work is
/// still ready — it answers everything else — and says what is saturated
/// in the body, for the operator reading it.
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
    let (status, first) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{first}\n{}", load(&state)),
    )
}

/// How busy the node is: uploads in flight and each lane of blocking work,
/// then what is saturated, if anything.
fn load(state: &AppState) -> String {
    let uploads = state.uploads();
    let mut out = format!(
        "uploads: {} of {} in flight, {} refused since start\n",
        uploads.in_flight(),
        uploads.limits().in_flight,
        uploads.refused()
    );
    let mut saturated = Vec::new();
    if uploads.saturated() {
        saturated.push("uploads".to_owned());
    }
    for lane in lanes::loads() {
        out.push_str(&format!(
            "lane {}: {} of {} busy, {} waiting\n",
            lane.name, lane.busy, lane.capacity, lane.queued
        ));
        if lane.saturated() {
            saturated.push(format!("lane {}", lane.name));
        }
    }
    if !saturated.is_empty() {
        out.push_str(&format!("saturated: {}\n", saturated.join(", ")));
    }
    out
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
    let uploads = state.uploads();
    for (name, kind, help, value) in [
        (
            "tongban_uploads_in_flight",
            "gauge",
            "Uploads being received now.",
            uploads.in_flight() as u64,
        ),
        (
            "tongban_uploads_limit",
            "gauge",
            "Uploads this node takes at once (uploads.in_flight).",
            uploads.limits().in_flight as u64,
        ),
        (
            "tongban_uploads_refused_total",
            "counter",
            "Uploads refused with 429 since start.",
            uploads.refused(),
        ),
    ] {
        extra.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    }
    // Counted by the lanes themselves: tokio's own counts of its blocking
    // threads are not stable API.
    let loads = lanes::loads();
    for (name, help, value) in [
        (
            "tongban_blocking_busy",
            "Blocking work running now, by lane.",
            (|l: &lanes::Load| l.busy) as fn(&lanes::Load) -> usize,
        ),
        (
            "tongban_blocking_queued",
            "Blocking work waiting for its lane, by lane.",
            |l| l.queued,
        ),
        (
            "tongban_blocking_capacity",
            "Blocking work a lane runs at once, by lane.",
            |l| l.capacity,
        ),
    ] {
        extra.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for l in &loads {
            extra.push_str(&format!("{name}{{lane=\"{}\"}} {}\n", l.name, value(l)));
        }
    }
    let load = state.db().load();
    for (name, help, value) in [
        (
            "tongban_db_pool_connections",
            "Open database connections.",
            load.connections,
        ),
        (
            "tongban_db_pool_idle",
            "Idle pooled connections (PostgreSQL).",
            load.idle,
        ),
        (
            "tongban_db_write_queue",
            "Transactions waiting for the SQLite writer.",
            load.write_queue,
        ),
        (
            "tongban_db_read_queue",
            "Reads waiting for a SQLite reader.",
            load.read_queue,
        ),
    ] {
        extra.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(&extra),
    )
        .into_response()
}
