//! The SQLite writer: one connection, one thread, group commit.
//!
//! Callers queue closures. The writer thread takes everything queued (up to
//! `max_batch`), opens one transaction, runs each closure under its own
//! savepoint — releasing it on success, rolling back to it on failure — and
//! commits once. Only after that commit is durable does any caller hear back,
//! so an acknowledged write is never lost, one caller's failure never undoes
//! another's work, and N queued writers pay for one fsync instead of N.
//!
//! A closure's statements run on the writer thread itself (the closure's
//! future is driven there to completion), so a transaction costs one hand-off
//! to the thread and one back, whatever its number of statements.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tokio::sync::oneshot;

use super::sqlite::exec;
use super::{BoxFut, Conn, ConnKind, DbError};

/// Delivers a transaction's result once the batch's commit outcome is known.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What a closure produced: whether its savepoint should be kept, and how to
/// tell its caller once the batch is committed (or not).
pub struct Outcome {
    ok: bool,
    finish: Finish,
}

/// A transaction closure as the writer runs it.
pub type TxFn = Box<dyn for<'c> FnOnce(&'c mut Conn) -> BoxFut<'c, Outcome> + Send>;

/// Starts the writer thread on `conn`.
pub(super) fn spawn(
    conn: rusqlite::Connection,
    max_batch: usize,
) -> Result<flume::Sender<TxFn>, DbError> {
    let (tx, rx) = flume::bounded(4096);
    let handle = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("db-writer".into())
        .spawn(move || run(Conn(ConnKind::Sqlite(conn)), &rx, max_batch.max(1), &handle))
        .map_err(|e| DbError::Internal(e.to_string()))?;
    Ok(tx)
}

/// Queues `f` and waits for its durable result.
pub async fn submit<T, E, F>(w: &flume::Sender<TxFn>, f: F) -> Result<T, E>
where
    F: for<'c> FnOnce(&'c mut Conn) -> BoxFut<'c, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel::<Result<T, E>>();
    let job: TxFn = Box::new(move |conn| {
        Box::pin(async move {
            // A closure that panics is a failed transaction (a bug, answered
            // as internal), not a writer that is gone.
            let result = match AssertUnwindSafe(f(conn)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => Err(E::from(DbError::Internal(
                    "a write transaction panicked".into(),
                ))),
            };
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
    });
    w.send_async(job)
        .await
        .map_err(|_| E::from(DbError::WriterGone))?;
    answer.await.map_err(|_| E::from(DbError::WriterGone))?
}

fn run(mut conn: Conn, rx: &flume::Receiver<TxFn>, max_batch: usize, rt: &tokio::runtime::Handle) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch, rt);
    }
    tracing::debug!("db.writer stopped");
}

/// Whether the batch's transaction is still open: SQLite rolls the whole
/// transaction back by itself on some errors (a full disk, an I/O error,
/// out of memory), after which a savepoint would start a transaction of
/// its own and commit on release.
fn in_transaction(conn: &Conn) -> bool {
    match &conn.0 {
        ConnKind::Sqlite(c) => !c.is_autocommit(),
        _ => true,
    }
}

/// Tells the callers whose work was lost with the batch's transaction.
fn fail_all(finishers: &mut Vec<Finish>, why: &str) {
    for finish in finishers.drain(..) {
        finish(Err(why.to_owned()));
    }
}

fn run_batch(conn: &mut Conn, batch: Vec<TxFn>, rt: &tokio::runtime::Handle) {
    let size = batch.len();
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "db.writer could not begin a transaction");
        // Dropping the closures drops their reply channels: callers see an error.
        return;
    }
    let mut finishers = Vec::with_capacity(size);
    for f in batch {
        if !in_transaction(conn) {
            // The work so far was rolled back with the transaction: say so,
            // and go on with the rest in a new one.
            tracing::error!("db.writer: SQLite rolled back the batch's transaction");
            fail_all(&mut finishers, "the transaction was rolled back");
            if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
                tracing::error!(error = %e, "db.writer could not begin a transaction");
                return;
            }
        }
        if let Err(e) = exec(conn, "SAVEPOINT tb_write") {
            tracing::error!(error = %e, "db.writer savepoint failed");
            continue;
        }
        // A panic is caught inside the closure (see `submit`); one that
        // escapes still leaves the writer running, its savepoint rolled back.
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(f(conn))));
        let ok = matches!(&ran, Ok(o) if o.ok);
        let end = if ok {
            exec(conn, "RELEASE tb_write")
        } else {
            exec(conn, "ROLLBACK TO tb_write").and_then(|()| exec(conn, "RELEASE tb_write"))
        };
        if let Err(e) = end {
            tracing::error!(error = %e, "db.writer could not close a savepoint");
        }
        match ran {
            Ok(o) => finishers.push(o.finish),
            Err(_) => tracing::error!("db.writer: a transaction panicked and was rolled back"),
        }
    }
    if !in_transaction(conn) {
        tracing::error!(
            batch = size,
            "db.writer: SQLite rolled back the batch's transaction"
        );
        fail_all(&mut finishers, "the transaction was rolled back");
        return;
    }
    let commit = match exec(conn, "COMMIT") {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, batch = size, "db.writer commit failed");
            let _ = exec(conn, "ROLLBACK");
            Err(e.to_string())
        }
    };
    for finish in finishers {
        finish(commit.clone());
    }
}
