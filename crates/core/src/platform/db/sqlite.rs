//! SQLite through rusqlite: statements run on the thread that owns the
//! connection, so a transaction's statements cross no thread.
//!
//! Threads: one writer (see [`super::writer`]), a fixed set of readers that
//! take jobs from one queue, and a checkpointer.

use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::{OpenFlags, ffi};

use super::query::{Done, Out, Query, Row, RowKind, Want};
use super::{Conn, ConnKind, DbError};

/// Pragmas every connection gets. `synchronous=FULL` because a commit
/// acknowledges a person's action; WAL so readers never block the writer.
const PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
     PRAGMA mmap_size = 268435456;";

/// How long a connection waits for a lock another process holds.
const BUSY: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// Opens a connection to the file with the shared pragmas.
pub(super) fn open(path: &Path, create: bool) -> Result<rusqlite::Connection, DbError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY)?;
    conn.execute_batch(PRAGMAS)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Runs one statement on a connection, binding `$N` by its number (SQLite
/// numbers `$N` parameters by first appearance, not by N).
pub(super) fn run(conn: &rusqlite::Connection, q: &Query, want: Want) -> Result<Out, DbError> {
    let mut st = conn.prepare_cached(&q.sql)?;
    let named = st.parameter_count();
    // Every bound value must have its `$N` (PostgreSQL refuses a surplus too).
    let highest = (1..=named)
        .filter_map(|i| {
            st.parameter_name(i)?
                .strip_prefix('$')?
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    if highest != q.args.len() {
        return Err(DbError::Internal(format!(
            "{} values bound to a statement with parameters up to ${highest}: {}",
            q.args.len(),
            q.sql
        )));
    }
    for i in 1..=named {
        let n = st
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=q.args.len()).contains(n))
            .ok_or_else(|| {
                DbError::Internal(format!(
                    "parameter {i} of a statement has no bound value: {}",
                    q.sql
                ))
            })?;
        st.raw_bind_parameter(i, &q.args[n - 1])?;
    }
    if want == Want::Done && st.column_count() == 0 {
        let n = st.raw_execute()?;
        return Ok(Out::Done(Done::new(n as u64)));
    }
    let columns: Arc<[String]> = st.column_names().iter().map(|c| (*c).to_owned()).collect();
    let width = columns.len();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if want == Want::Done {
            continue;
        }
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(r.get::<_, rusqlite::types::Value>(i)?);
        }
        out.push(Row(RowKind::Sqlite {
            columns: columns.clone(),
            values,
        }));
        if want == Want::First {
            break;
        }
    }
    drop(rows);
    if want == Want::Done {
        // A read changes nothing (`changes()` would be the last write's).
        let changed = if st.readonly() { 0 } else { conn.changes() };
        return Ok(Out::Done(Done::new(changed)));
    }
    Ok(Out::Rows(out))
}

/// Runs a statement without parameters or rows (`BEGIN`, `SAVEPOINT` …)
/// on a SQLite connection, prepared once.
pub(super) fn exec(conn: &Conn, sql: &str) -> Result<(), rusqlite::Error> {
    match &conn.0 {
        ConnKind::Sqlite(c) => c.prepare_cached(sql)?.raw_execute().map(drop),
        _ => Ok(()),
    }
}

/// Whether a SQLite error means the file cannot be used now: BUSY (another
/// process holds it locked past the busy timeout), READONLY, IOERR, FULL,
/// CANTOPEN.
pub(super) fn is_unavailable(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => matches!(
            f.extended_code & 0xff,
            ffi::SQLITE_BUSY
                | ffi::SQLITE_READONLY
                | ffi::SQLITE_IOERR
                | ffi::SQLITE_FULL
                | ffi::SQLITE_CANTOPEN
        ),
        _ => false,
    }
}

/// Whether a SQLite error is a unique or primary-key violation.
pub(super) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// A job for a reader thread.
pub(super) type ReadJob = Box<dyn FnOnce(&mut Conn) + Send>;

/// Starts `n` reader threads on `path`, taking jobs from one queue.
pub(super) fn spawn_readers(path: &Path, n: usize) -> Result<flume::Sender<ReadJob>, DbError> {
    let (tx, rx) = flume::bounded::<ReadJob>(1024);
    for i in 0..n.max(1) {
        let conn = open(path, false)?;
        // Reads only: every write goes through the writer.
        conn.execute_batch("PRAGMA query_only = ON;")?;
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("db-read-{i}"))
            .spawn(move || {
                let mut conn = Conn(ConnKind::Sqlite(conn));
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| DbError::Internal(e.to_string()))?;
    }
    Ok(tx)
}

/// Checkpoints run beside the writer, not inside its commits: SQLite's
/// automatic checkpoint copies the WAL into the database file (and syncs it)
/// in whichever commit crosses 1,000 pages, stalling every write queued
/// behind it. A passive checkpoint from its own connection once a second
/// keeps the WAL short and blocks neither readers nor writer. It stops when
/// `alive` is gone.
pub(super) fn spawn_checkpointer(path: &Path, alive: Weak<()>) -> Result<(), DbError> {
    let conn = open(path, false)?;
    std::thread::Builder::new()
        .name("db-checkpoint".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                if alive.upgrade().is_none() {
                    break;
                }
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE);", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "db.checkpoint failed");
                }
            }
        })
        .map_err(|e| DbError::Internal(e.to_string()))?;
    Ok(())
}
