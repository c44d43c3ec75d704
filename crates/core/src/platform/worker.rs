//! The background worker of a node: relays the outbox into jobs, enqueues
//! due schedules, claims jobs and runs their handlers; and the platform's
//! own housekeeping jobs. Each capability registers its own jobs; the
//! binary composes them.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::platform::clock::now_ms;
use crate::platform::db::{Db, DbError};
use crate::platform::jobs::{
    Claimed, JobContext, Registry, claim, complete, enqueue_due_schedules, ensure_schedule, fail,
    purge_finished,
};
use crate::platform::{files, outbox};

/// Settings of one worker.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Name written into `locked_by`; unique per process.
    pub name: String,
    /// Idle poll interval.
    pub poll: Duration,
    /// Jobs claimed and run at once.
    pub concurrency: usize,
    /// Lease length; a job not finished by then may be claimed again.
    pub lease: Duration,
}

/// Runs jobs until `stop` turns true (or its sender is dropped): relays the outbox, enqueues due
/// schedules, claims, runs handlers concurrently, records outcomes.
pub async fn run_worker(
    db: Db,
    registry: Registry,
    routes: outbox::Routes,
    opts: WorkerOptions,
    mut stop: watch::Receiver<bool>,
) {
    let lease_ms = opts.lease.as_millis() as i64;
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = outbox::relay(&db, &routes, 500).await {
            tracing::warn!(error = %e, "outbox.relay failed");
        }
        if let Err(e) = enqueue_due_schedules(&db).await {
            tracing::warn!(error = %e, "jobs.schedule failed");
        }
        let claimed = match claim(&db, &opts.name, opts.concurrency as i64, lease_ms).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "jobs.claim failed");
                Vec::new()
            }
        };
        let busy = !claimed.is_empty();
        let runs = claimed
            .into_iter()
            .map(|job| run_one(&db, &registry, &opts.name, job));
        futures::future::join_all(runs).await;
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(opts.poll) => {}
                _ = db.wait_for_jobs() => {}
                // A dropped sender means stop, too.
                r = stop.changed() => if r.is_err() { break },
            }
        }
    }
}

async fn run_one(db: &Db, registry: &Registry, worker: &str, job: Claimed) {
    let started = std::time::Instant::now();
    let outcome = match registry.handler(&job.kind) {
        None => Err(anyhow::anyhow!("no handler for job kind {}", job.kind)),
        Some(h) => {
            let payload = serde_json::from_str(&job.payload).unwrap_or(Value::Null);
            let ctx = JobContext {
                db: db.clone(),
                job_id: job.id,
                attempt: job.attempts,
                max_attempts: job.max_attempts,
            };
            h(ctx, payload).await
        }
    };
    let ms = started.elapsed().as_millis() as u64;
    let recorded = match outcome {
        Ok(()) => {
            tracing::debug!(job.id = job.id, job.kind = %job.kind, duration_ms = ms, "jobs.done");
            complete(db, job.id, worker).await.map(|_| ())
        }
        Err(e) => {
            tracing::warn!(job.id = job.id, job.kind = %job.kind, job.attempt = job.attempts, error = %e, "jobs.failed");
            fail(db, &job, worker, &format!("{e:#}")).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(job.id = job.id, error = %e, "jobs.record failed");
    }
}

/// The platform's housekeeping: finished jobs and relayed outbox events
/// older than a week (`jobs.purge`, daily), and stored files nothing refers
/// to (`files.purge`, hourly). `data_dir` holds the file store.
pub async fn housekeeping(db: &Db, r: &mut Registry, data_dir: &Path) -> Result<(), DbError> {
    let root = data_dir.to_path_buf();
    r.register("files.purge", move |ctx, _| {
        let root = root.clone();
        Box::pin(async move {
            let n = files::purge_unreferenced(&ctx.db, &root, now_ms()).await?;
            tracing::info!(files.purged = n, "files.purge");
            Ok(())
        })
    });
    r.register("jobs.purge", |ctx, _| {
        Box::pin(async move {
            let jobs = purge_finished(&ctx.db, 7).await?;
            let events = outbox::purge_relayed(&ctx.db, 7).await?;
            tracing::info!(rows.purged = jobs + events, "jobs.purge");
            Ok(())
        })
    });
    ensure_schedule(db, "jobs.purge", "jobs.purge", 86_400).await?;
    ensure_schedule(db, "files.purge", "files.purge", 3600).await?;
    Ok(())
}
