//! The SQLite writer: one connection, one task, group commit.
//!
//! Callers queue closures. The writer takes everything queued (up to
//! `max_batch`), opens one transaction, runs each closure under its own
//! savepoint — releasing it on success, rolling back to it on failure — and
//! commits once. Only after that commit is durable does any caller hear back,
//! so an acknowledged write is never lost, one caller's failure never undoes
//! another's work, and N queued writers pay for one fsync instead of N.

use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use super::{BoxFut, DbError};

/// Delivers a transaction's result once the batch's commit outcome is known.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What a closure produced: whether its savepoint should be kept, and how to
/// tell its caller once the batch is committed (or not).
pub struct Outcome {
    ok: bool,
    finish: Finish,
}

/// A transaction closure as the writer runs it.
pub type TxFn = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFut<'c, Outcome> + Send>;
/// Work that needs the connection alone.
pub type ExclusiveFn = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFut<'c, ()> + Send>;

/// A queued unit of work for the writer.
pub enum Job {
    /// A transaction to batch with others.
    Tx(TxFn),
    /// Work that needs the connection alone, outside a transaction (migrations).
    Exclusive(ExclusiveFn),
}

/// Starts the writer task on `conn`.
pub fn spawn(conn: AnyConnection, max_batch: usize) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(4096);
    tokio::spawn(run(conn, rx, max_batch.max(1)));
    tx
}

/// Queues `f` and waits for its durable result.
pub async fn submit<T, E, F>(w: &mpsc::Sender<Job>, f: F) -> Result<T, E>
where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFut<'c, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel::<Result<T, E>>();
    let job = Job::Tx(Box::new(move |conn| {
        Box::pin(async move {
            let result = f(conn).await;
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |commit| {
                let delivered = match (commit, result) {
                    (Ok(()), r) => r,
                    (Err(_), Err(e)) => Err(e),
                    (Err(msg), Ok(_)) => Err(E::from(DbError::CommitFailed(msg))),
                };
                let _ = reply.send(delivered);
            });
            Outcome { ok, finish }
        })
    }));
    w.send(job)
        .await
        .map_err(|_| E::from(DbError::WriterGone))?;
    answer.await.map_err(|_| E::from(DbError::WriterGone))?
}

async fn run(mut conn: AnyConnection, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut pending: Option<Job> = None;
    loop {
        let first = match pending.take() {
            Some(j) => j,
            None => match rx.recv().await {
                Some(j) => j,
                None => break,
            },
        };
        let first = match first {
            Job::Exclusive(f) => {
                f(&mut conn).await;
                continue;
            }
            Job::Tx(f) => f,
        };
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(Job::Tx(f)) => batch.push(f),
                Ok(exclusive) => {
                    pending = Some(exclusive);
                    break;
                }
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch).await;
    }
    tracing::debug!("db.writer stopped");
}

async fn run_batch(conn: &mut AnyConnection, batch: Vec<TxFn>) {
    let size = batch.len();
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        tracing::error!(error = %e, "db.writer could not begin a transaction");
        // Dropping the closures drops their reply channels: callers see an error.
        return;
    }
    let mut finishers = Vec::with_capacity(size);
    for f in batch {
        if let Err(e) = conn.execute("SAVEPOINT tb_write").await {
            tracing::error!(error = %e, "db.writer savepoint failed");
            continue;
        }
        let Outcome { ok, finish } = f(conn).await;
        let end = if ok {
            conn.execute("RELEASE tb_write").await
        } else {
            match conn.execute("ROLLBACK TO tb_write").await {
                Ok(_) => conn.execute("RELEASE tb_write").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = end {
            tracing::error!(error = %e, "db.writer could not close a savepoint");
        }
        finishers.push(finish);
    }
    let commit = match conn.execute("COMMIT").await {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, batch = size, "db.writer commit failed");
            let _ = conn.execute("ROLLBACK").await;
            Err(e.to_string())
        }
    };
    for finish in finishers {
        finish(commit.clone());
    }
}
