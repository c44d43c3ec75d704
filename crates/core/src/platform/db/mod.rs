//! Storage on two engines through one SQL dialect.
//!
//! SQLite (the embedded default) and PostgreSQL are both reached through
//! sqlx's `Any` driver, with `$1, $2` placeholders that both understand.
//! Migrations live in `migrations/sqlite` and `migrations/postgres` under the
//! same version numbers.
//!
//! Writes go through [`Db::write`]. On PostgreSQL each write is its own
//! transaction on the pool. On SQLite every write goes to one writer task
//! that commits whatever is queued together (group commit, see [`writer`]),
//! because one durable commit costs up to 4 ms on these disks and SQLite
//! allows one writer at a time anyway.

pub mod writer;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::mpsc;

/// A boxed future borrowed from a connection, the shape of a write closure.
pub type BoxFut<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// The body of a transaction for [`Db::write`], without the boxing the
/// signature needs: `db.write(tx!(c => { …; Ok(v) }))` runs the block with
/// `c`, the transaction's connection, and moves what the block uses.
#[macro_export]
macro_rules! tx {
    ($c:ident => $body:block) => {
        move |$c| ::std::boxed::Box::pin(async move $body)
    };
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine is behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL or a compatible server.
    Postgres,
}

impl Engine {
    /// The engine a connection URL names.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }
}

/// Storage errors, as every use case sees them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error(
        "数据库地址应以 sqlite: 或 postgres: 开头 (database URL must start with sqlite: or postgres:)"
    )]
    UnsupportedUrl,
    /// The writer task has stopped (the server is shutting down).
    #[error("database writer is not running")]
    WriterGone,
    /// A write conflicted with another one (unique key or changed version):
    /// the person is told someone else was first.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row cannot be read (a document that no longer parses): a
    /// fault to log and answer as internal, never "someone changed it".
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A rule of the storage layer was broken by its caller, or a value
    /// could not be serialised: a bug, logged and answered as internal.
    #[error("internal storage error: {0}")]
    Internal(String),
    /// A commit failed (disk full, I/O): the database cannot write now.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// Any other database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Migration failure.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Whether the database could not be reached or cannot write (pool
    /// exhausted or closed, connection lost, the server shutting down, a
    /// SQLite file that is read-only, full or gone): the caller should say
    /// "try again later", and the node treats the database as down.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::WriterGone | Self::CommitFailed(_) => true,
            Self::Sqlx(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            Self::Sqlx(sqlx::Error::Database(e)) => {
                let code = e.code();
                let code = code.as_deref().unwrap_or("");
                // PostgreSQL: connection exceptions (08…), shutting down or
                // starting up (57P01–57P03), and a read-only standby (25006).
                code.starts_with("08")
                    || matches!(code, "57P01" | "57P02" | "57P03" | "25006" | "53100")
                        // SQLite: BUSY (another process holds the file locked
                    // past the busy timeout), READONLY, IOERR, FULL, CANTOPEN
                    // (primary codes; extended codes carry them in their low byte).
                    || code
                        .parse::<i32>()
                        .is_ok_and(|n| matches!(n & 0xff, 5 | 8 | 10 | 13 | 14))
            }
            _ => false,
        }
    }

    /// Whether this is a unique-constraint violation (on either engine).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Conflict(_) => true,
            Self::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

/// Pool and writer settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections in the (read) pool.
    pub max_connections: u32,
    /// Most transactions the SQLite writer commits together.
    pub max_batch: usize,
    /// How long to wait for a connection before giving up.
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            max_batch: 64,
            // A request that waited this long for a connection has failed
            // its person already; waiting longer only holds more of them.
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

struct Inner {
    engine: Engine,
    pool: AnyPool,
    writer: Option<mpsc::Sender<writer::Job>>,
    health: Health,
    /// Rung after a commit that queued jobs, so this node's worker starts
    /// on them at once instead of at its next poll.
    jobs_queued: tokio::sync::Notify,
}

/// Whether the database is known to be down, so that requests fail at once
/// instead of each waiting for a connection that will not come.
#[derive(Default)]
struct Health {
    /// When the outage became known (milliseconds since the epoch); 0 = up.
    down_since: AtomicI64,
}

/// The database: a read pool and, on SQLite, the group-commit writer.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("engine", &self.inner.engine)
            .finish()
    }
}

/// Makes sure sqlx knows both drivers; safe to call many times.
fn install_drivers() {
    sqlx::any::install_default_drivers();
}

/// Pragmas every SQLite connection gets. `synchronous=FULL` because a commit
/// acknowledges a person's action; WAL so readers never block the writer.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA synchronous = FULL; PRAGMA mmap_size = 268435456;";

impl Db {
    /// Connects, without running migrations.
    pub async fn connect(url: &str, opts: DbOptions) -> Result<Self, DbError> {
        install_drivers();
        let engine = Engine::from_url(url)?;
        let connect_opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        match engine {
            Engine::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(connect_opts)
                    .await?;
                Ok(Self {
                    inner: Arc::new(Inner {
                        engine,
                        pool,
                        writer: None,
                        jobs_queued: tokio::sync::Notify::new(),
                        health: Health::default(),
                    }),
                })
            }
            Engine::Sqlite => {
                // The writer connection is opened first: it creates the file
                // and switches it to WAL, which readers then share.
                let mut conn = AnyConnection::connect_with(&connect_opts).await?;
                conn.execute("PRAGMA journal_mode = WAL;").await?;
                conn.execute(SQLITE_PRAGMAS).await?;
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .after_connect(|c, _| {
                        Box::pin(async move {
                            c.execute(SQLITE_PRAGMAS).await?;
                            // Reads only: every write goes through the writer.
                            c.execute("PRAGMA query_only = ON;").await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect_opts.clone())
                    .await?;
                // Checkpoints run beside the writer, not inside its commits:
                // SQLite's automatic checkpoint copies the WAL into the
                // database file (and syncs it) in whichever commit crosses
                // 1,000 pages, stalling every write queued behind it. A
                // passive checkpoint from its own connection once a second
                // keeps the WAL short and blocks neither readers nor writer.
                conn.execute("PRAGMA wal_autocheckpoint = 0;").await?;
                let mut checkpointer = AnyConnection::connect_with(&connect_opts).await?;
                checkpointer.execute(SQLITE_PRAGMAS).await?;
                let tx = writer::spawn(conn, opts.max_batch);
                let alive = tx.downgrade();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        // The database handle is gone: stop with it.
                        if alive.upgrade().is_none() {
                            break;
                        }
                        if let Err(e) = checkpointer
                            .execute("PRAGMA wal_checkpoint(PASSIVE);")
                            .await
                        {
                            tracing::warn!(error = %e, "db.checkpoint failed");
                        }
                    }
                    let _ = checkpointer.close().await;
                });
                Ok(Self {
                    inner: Arc::new(Inner {
                        engine,
                        pool,
                        writer: Some(tx),
                        jobs_queued: tokio::sync::Notify::new(),
                        health: Health::default(),
                    }),
                })
            }
        }
    }

    /// The SQLite URL of a file in a data folder, created if missing.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        self.inner.engine
    }

    /// The pool for reads (on PostgreSQL, for everything).
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.inner.engine {
            Engine::Postgres => {
                let mut conn = self.inner.pool.acquire().await?;
                POSTGRES_MIGRATIONS.run(&mut *conn).await?;
            }
            Engine::Sqlite => {
                // Migrations write, so they run on the writer connection,
                // outside any batch (they manage their own transactions).
                self.run_on_writer_exclusive().await?;
            }
        }
        Ok(())
    }

    async fn run_on_writer_exclusive(&self) -> Result<(), DbError> {
        let Some(w) = &self.inner.writer else {
            return Ok(());
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        w.send(writer::Job::Exclusive(Box::new(move |conn| {
            Box::pin(async move {
                let r = SQLITE_MIGRATIONS
                    .run_direct(None, conn, false)
                    .await
                    .map_err(DbError::from);
                let _ = tx.send(r);
            })
        })))
        .await
        .map_err(|_| DbError::WriterGone)?;
        rx.await.map_err(|_| DbError::WriterGone)?
    }

    /// Runs `f` in one transaction and commits it durably before returning.
    ///
    /// On SQLite, `f` runs on the writer connection under its own savepoint
    /// and shares one commit with whatever else was queued; an error from `f`
    /// rolls back only `f`'s savepoint. On PostgreSQL, `f` runs in its own
    /// transaction on the pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFut<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.inner.writer {
            None => {
                let mut tx = self.inner.pool.begin().await.map_err(DbError::from)?;
                match f(&mut tx).await {
                    Ok(v) => {
                        tx.commit().await.map_err(DbError::from)?;
                        Ok(v)
                    }
                    Err(e) => {
                        // Dropping the transaction rolls it back; say so explicitly.
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
            Some(w) => writer::submit(w, f).await,
        }
    }

    /// Tells this node's worker that a committed transaction queued jobs.
    pub fn jobs_queued(&self) {
        self.inner.jobs_queued.notify_one();
    }

    /// Resolves when [`Db::jobs_queued`] is rung (or was rung since the
    /// last wait).
    pub async fn wait_for_jobs(&self) {
        self.inner.jobs_queued.notified().await;
    }

    /// Closes the pool and stops the writer once its queue is drained.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.inner.pool).await?;
        Ok(())
    }

    /// Whether the database is known to be down (see [`Db::watch`]).
    pub fn is_down(&self) -> bool {
        self.inner.health.down_since.load(Ordering::Relaxed) != 0
    }

    /// Records that the database is unreachable or cannot write (a request
    /// or job saw [`DbError::is_unavailable`]); the watcher brings it back.
    pub fn mark_down(&self) {
        let now = crate::platform::clock::now_ms().max(1);
        if self
            .inner
            .health
            .down_since
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            tracing::error!("database unavailable: requests answer 503 until it is back");
        }
    }

    fn mark_up(&self) {
        let since = self.inner.health.down_since.swap(0, Ordering::Relaxed);
        if since != 0 {
            tracing::warn!(
                outage_ms = crate::platform::clock::now_ms() - since,
                "database available again"
            );
        }
    }

    /// One probe within `limit`: a read, and with `write` a write too (a
    /// database that reads but cannot write, such as a SQLite file that
    /// another process holds locked or a full disk, is not available).
    pub async fn probe(&self, limit: Duration, write: bool) -> Result<(), DbError> {
        let check = async {
            self.ping().await?;
            if write {
                self.write(|c| {
                    Box::pin(async move {
                        sqlx::query("UPDATE db_probe SET at = $1 WHERE id = 1")
                            .bind(crate::platform::clock::now_ms())
                            .execute(c)
                            .await?;
                        Ok::<_, DbError>(())
                    })
                })
                .await?;
            }
            Ok(())
        };
        match tokio::time::timeout(limit, check).await {
            Ok(r) => r,
            Err(_) => Err(DbError::Sqlx(sqlx::Error::PoolTimedOut)),
        }
    }

    /// Watches the database for as long as this handle lives: a probe
    /// every `every` marks it down when it fails with an outage and up again
    /// once it passes, so that an outage is known within about `every`
    /// even when no request has met it yet.
    pub fn watch(&self, every: Duration) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { break };
                let db = Db { inner };
                // While up a read suffices (requests that write report
                // failures themselves); while down, only a write brings it back.
                match db.probe(Duration::from_secs(1), db.is_down()).await {
                    Ok(()) => db.mark_up(),
                    Err(e) if e.is_unavailable() => db.mark_down(),
                    Err(e) => tracing::warn!(error = %e, "db.probe failed"),
                }
            }
        });
    }
}
