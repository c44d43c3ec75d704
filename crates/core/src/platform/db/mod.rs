//! Storage on two engines through one SQL dialect.
//!
//! SQLite (the embedded default) is reached through rusqlite, PostgreSQL
//! through sqlx; a use case writes its statements once, through the
//! [`query`] layer, with `$1, $2` placeholders both understand. Migrations
//! live in `migrations/sqlite` and `migrations/postgres` under the same
//! version numbers.
//!
//! Writes go through [`Db::write`]. On PostgreSQL each write is its own
//! transaction on the pool. On SQLite every write goes to one writer thread
//! that commits whatever is queued together (group commit, see [`writer`]),
//! because one durable commit costs up to 4 ms on these disks and SQLite
//! allows one writer at a time anyway. The writer runs each transaction's
//! statements on its own thread, and reads run on reader threads of their
//! own, so no statement crosses a thread (`docs/ARCHITECTURE.md`, "The
//! storage path").

mod pg;
pub mod query;
mod sqlite;
pub mod writer;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use sqlx::ConnectOptions;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::sqlite::SqliteConnectOptions;
use tokio::sync::oneshot;

pub use query::{Decode, Done, Encode, FromRow, Row, query, query_as, query_scalar};
use query::{Out, Query, Want};

/// A boxed future borrowed from a connection, the shape of a write closure.
pub type BoxFut<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// The body of a transaction for [`Db::write`] or [`Db::read`], without the
/// boxing the signature needs: `db.write(tx!(c => { …; Ok(v) }))` runs the
/// block with `c`, the transaction's connection, and moves what the block
/// uses.
#[macro_export]
macro_rules! tx {
    ($c:ident => $body:block) => {
        move |$c| ::std::boxed::Box::pin(async move $body)
    };
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// A connection inside [`Db::write`] or [`Db::read`]: statements run on it
/// through [`query`].
pub struct Conn(ConnKind);

enum ConnKind {
    /// A SQLite connection owned by the thread running the closure.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL transaction.
    PgTx(sqlx::Transaction<'static, Postgres>),
    /// A PostgreSQL connection from the pool, for reads.
    Pg(sqlx::pool::PoolConnection<Postgres>),
}

impl Conn {
    async fn run(&mut self, q: Query, want: Want) -> Result<Out, DbError> {
        match &mut self.0 {
            ConnKind::Sqlite(c) => sqlite::run(c, &q, want),
            ConnKind::PgTx(tx) => pg::run(tx, q, want).await,
            ConnKind::Pg(c) => pg::run(c, q, want).await,
        }
    }
}

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
    /// A statement that must return a row returned none.
    #[error("no row where one was expected")]
    RowNotFound,
    /// The database handle was closed (the server is shutting down).
    #[error("database is closed")]
    Closed,
    /// A SQLite error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
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
            Self::WriterGone | Self::CommitFailed(_) | Self::Closed => true,
            Self::Sqlite(e) => sqlite::is_unavailable(e),
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
            }
            _ => false,
        }
    }

    /// Whether this is a unique-constraint violation (on either engine).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Conflict(_) => true,
            Self::Sqlite(e) => sqlite::is_unique_violation(e),
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

/// What the storage path holds at one moment.
#[derive(Debug, Clone, Copy)]
pub struct DbLoad {
    /// Open connections (on SQLite: the readers and the writer).
    pub connections: usize,
    /// Of those, idle in the pool (PostgreSQL).
    pub idle: usize,
    /// Transactions waiting for the SQLite writer.
    pub write_queue: usize,
    /// Statements or reads waiting for a SQLite reader.
    pub read_queue: usize,
}

/// The SQLite side: the file, its writer thread and its reader threads.
struct Lite {
    path: PathBuf,
    writer: flume::Sender<writer::TxFn>,
    readers: flume::Sender<sqlite::ReadJob>,
    reader_count: usize,
    /// How long a read may wait for a reader before it is refused.
    acquire_timeout: Duration,
    /// Held while the database is open; the checkpointer stops without it.
    _alive: Arc<()>,
}

impl Lite {
    /// Runs `work` on a reader thread and waits for its answer. A read that
    /// waited for a reader longer than `acquire_timeout` is refused, as a
    /// pool refuses a connection not given in time, rather than run for
    /// nobody.
    async fn on_reader<T, E>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let (queued, limit) = (std::time::Instant::now(), self.acquire_timeout);
        let job: sqlite::ReadJob = Box::new(move |c: &mut Conn| {
            let r = if queued.elapsed() > limit {
                Err(E::from(DbError::Sqlx(sqlx::Error::PoolTimedOut)))
            } else {
                work(c)
            };
            let _ = tx.send(r);
        });
        self.readers
            .send_async(job)
            .await
            .map_err(|_| E::from(DbError::Closed))?;
        rx.await.map_err(|_| E::from(DbError::Closed))?
    }
}

enum Engines {
    Sqlite(Lite),
    Postgres(PgPool),
}

struct Inner {
    engines: Engines,
    closed: AtomicBool,
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

/// The database: on SQLite the group-commit writer and the reader threads,
/// on PostgreSQL a pool.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("engine", &self.engine())
            .finish()
    }
}

impl Db {
    /// Connects, without running migrations.
    pub async fn connect(url: &str, opts: DbOptions) -> Result<Self, DbError> {
        let engines = match Engine::from_url(url)? {
            Engine::Postgres => {
                let connect = PgConnectOptions::from_str(url)?.disable_statement_logging();
                Engines::Postgres(
                    PgPoolOptions::new()
                        .max_connections(opts.max_connections)
                        .acquire_timeout(opts.acquire_timeout)
                        .connect_with(connect)
                        .await?,
                )
            }
            Engine::Sqlite => {
                let named = SqliteConnectOptions::from_str(url)?;
                let path = named.get_filename().to_path_buf();
                let create = url.contains("mode=rwc");
                // The writer connection is opened first: it creates the file
                // and switches it to WAL, which readers then share.
                // Checkpoints run on their own thread (see
                // `sqlite::spawn_checkpointer`), never inside a commit.
                let conn = sqlite::open(&path, create)?;
                conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")?;
                let alive = Arc::new(());
                sqlite::spawn_checkpointer(&path, Arc::downgrade(&alive))?;
                Engines::Sqlite(Lite {
                    writer: writer::spawn(conn, opts.max_batch)?,
                    readers: sqlite::spawn_readers(&path, opts.max_connections as usize)?,
                    reader_count: (opts.max_connections as usize).max(1),
                    acquire_timeout: opts.acquire_timeout,
                    path,
                    _alive: alive,
                })
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                engines,
                closed: AtomicBool::new(false),
                jobs_queued: tokio::sync::Notify::new(),
                health: Health::default(),
            }),
        })
    }

    /// The SQLite URL of a file in a data folder, created if missing.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        match self.inner.engines {
            Engines::Sqlite(_) => Engine::Sqlite,
            Engines::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite file, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.inner.engines {
            Engines::Sqlite(l) => Some(&l.path),
            Engines::Postgres(_) => None,
        }
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match &self.inner.engines {
            Engines::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                POSTGRES_MIGRATIONS.run(&mut *conn).await?;
            }
            Engines::Sqlite(l) => {
                // Migrations manage their own transactions on a connection of
                // their own; SQLite's locking orders them with the writer.
                let mut conn = SqliteConnectOptions::new()
                    .filename(&l.path)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .connect()
                    .await?;
                SQLITE_MIGRATIONS.run(&mut conn).await?;
                sqlx::Connection::close(conn).await?;
            }
        }
        Ok(())
    }

    fn check_open(&self) -> Result<(), DbError> {
        if self.inner.closed.load(Ordering::Relaxed) {
            Err(DbError::Closed)
        } else {
            Ok(())
        }
    }

    /// One statement on its own, on the read side.
    async fn run_alone(&self, q: Query, want: Want) -> Result<Out, DbError> {
        self.check_open()?;
        match &self.inner.engines {
            Engines::Postgres(pool) => {
                let mut c = pool.acquire().await?;
                pg::run(&mut c, q, want).await
            }
            Engines::Sqlite(l) => {
                l.on_reader(move |c: &mut Conn| match &c.0 {
                    ConnKind::Sqlite(conn) => sqlite::run(conn, &q, want),
                    _ => Err(DbError::Internal("reader without SQLite".into())),
                })
                .await
            }
        }
    }

    /// Runs `f`'s statements on one read connection (a consistent snapshot
    /// on SQLite; one pooled connection on PostgreSQL). On SQLite `f` runs
    /// on a reader thread, so its statements cross no thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFut<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.check_open()?;
        match &self.inner.engines {
            Engines::Postgres(pool) => {
                let mut c = Conn(ConnKind::Pg(pool.acquire().await.map_err(DbError::from)?));
                f(&mut c).await
            }
            Engines::Sqlite(l) => {
                let rt = tokio::runtime::Handle::current();
                l.on_reader(move |c: &mut Conn| read_snapshot(c, f, &rt))
                    .await
            }
        }
    }

    /// Runs `f` in one transaction and commits it durably before returning.
    ///
    /// On SQLite, `f` runs on the writer thread under its own savepoint and
    /// shares one commit with whatever else was queued; an error from `f`
    /// rolls back only `f`'s savepoint. On PostgreSQL, `f` runs in its own
    /// transaction on the pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFut<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.check_open()?;
        match &self.inner.engines {
            Engines::Postgres(pool) => {
                let tx = pool.begin().await.map_err(DbError::from)?;
                let mut c = Conn(ConnKind::PgTx(tx));
                // As on SQLite's writer: a panic is a failed transaction.
                let result = match std::panic::AssertUnwindSafe(f(&mut c)).catch_unwind().await {
                    Ok(r) => r,
                    Err(_) => Err(E::from(DbError::Internal(
                        "a write transaction panicked".into(),
                    ))),
                };
                let ConnKind::PgTx(tx) = c.0 else {
                    return Err(E::from(DbError::Internal("transaction lost".into())));
                };
                match result {
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
            Engines::Sqlite(l) => writer::submit(&l.writer, f).await,
        }
    }

    /// What the storage path holds now, for `/metrics`.
    pub fn load(&self) -> DbLoad {
        match &self.inner.engines {
            Engines::Postgres(pool) => DbLoad {
                connections: pool.size() as usize,
                idle: pool.num_idle(),
                write_queue: 0,
                read_queue: 0,
            },
            Engines::Sqlite(l) => DbLoad {
                connections: l.reader_count + 1,
                idle: 0,
                write_queue: l.writer.len(),
                read_queue: l.readers.len(),
            },
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

    /// Refuses further work; on PostgreSQL closes the pool. The SQLite
    /// threads stop when the last handle is dropped, after what is queued.
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Relaxed);
        if let Engines::Postgres(pool) = &self.inner.engines {
            pool.close().await;
        }
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        query("SELECT 1").execute(self).await?;
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
                self.write(crate::tx!(c => {
                    query("UPDATE db_probe SET at = $1 WHERE id = 1")
                        .bind(crate::platform::clock::now_ms())
                        .execute(c)
                        .await?;
                    Ok::<_, DbError>(())
                }))
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

/// Runs a read closure on a reader's connection inside one read transaction,
/// so that its statements see one snapshot.
fn read_snapshot<T, E, F>(c: &mut Conn, f: F, rt: &tokio::runtime::Handle) -> Result<T, E>
where
    F: for<'c> FnOnce(&'c mut Conn) -> BoxFut<'c, Result<T, E>>,
    E: From<DbError>,
{
    sqlite::exec(c, "BEGIN").map_err(DbError::from)?;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(f(c))));
    sqlite::exec(c, "COMMIT").map_err(DbError::from)?;
    r.unwrap_or_else(|_| Err(E::from(DbError::Internal("a read panicked".into()))))
}
