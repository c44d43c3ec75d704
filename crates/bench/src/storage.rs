//! The storage limit: how many transactions of the rows the token endpoint
//! writes per code exchange (consume the code, store the refresh token) the
//! database commits per second when driven raw, one per commit and grouped,
//! next to the same rows through tongban's `Db::write`; and how many
//! notices the platform queues per second (the message, its delivery and
//! the delivery's job, one transaction each) through the same path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};
use tongban_core::Db;
use tongban_core::platform::db::{self, DbError, DbOptions};

/// Transactions per commit in the grouped raw run (the writer's batch).
pub const GROUP: usize = 64;
/// Concurrent callers of `Db::write`, and connections of the raw PostgreSQL
/// run (which commits in parallel).
pub const CALLERS: usize = 64;
const PG_CONNECTIONS: usize = 16;
const CODES: usize = 2_000_000;

/// Durable transactions per second, three ways.
#[derive(Debug, Clone)]
pub struct StorageLimit {
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// Raw, one transaction per commit.
    pub single: f64,
    /// How `single` was driven.
    pub single_how: String,
    /// Raw, [`GROUP`] transactions per commit on one connection: the limit
    /// (on SQLite through rusqlite, statements prepared once).
    pub grouped: f64,
    /// The same through sqlx, reported beside it (on PostgreSQL the same
    /// figure as `grouped`).
    pub grouped_sqlx: f64,
    /// Through tongban's `Db::write` with [`CALLERS`] concurrent callers.
    pub platform: f64,
    /// Notices queued per second through `notify::store::queue` in
    /// `Db::write`, [`CALLERS`] concurrent callers, one SMS each.
    pub notices: f64,
}

const CONSUME: &str =
    "UPDATE oidc_codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL";
const STORE: &str = "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, session_hash, \
     scope, acr, auth_time, created_at, expires_at) VALUES ($1, $2, 'bench-rp', $3, NULL, 'openid profile', \
     'urn:tongban:rnl:1', $4, $4, $4 + 2592000000)";

fn code(i: usize) -> String {
    format!("code-{i:09}")
}

/// Prepares a migrated database at `url` with one account and [`CODES`]
/// unconsumed codes; returns the platform's handle and the account id.
async fn prepare(url: &str) -> anyhow::Result<(Db, i64)> {
    let db = Db::connect(url, DbOptions::default()).await?;
    db.migrate().await?;
    let account = db
        .write(|c| {
            Box::pin(async move {
                let id: i64 = db::query_scalar(
                    "INSERT INTO accounts (username, kind, display_name, password_hash, status, created_at, updated_at) \
                     VALUES ('storage', 'person', 'storage', 'x', 'active', 0, 0) RETURNING id",
                )
                .fetch_one(&mut *c)
                .await?;
                let mut i = 0;
                while i < CODES {
                    let n = (CODES - i).min(500);
                    let values: Vec<String> = (i..i + n)
                        .map(|k| {
                            format!(
                                "('{}', 'bench-rp', {id}, 'http://127.0.0.1:8765/callback', 'openid profile', \
                                 'urn:tongban:rnl:1', 0, 'f{k}', 9999999999999)",
                                code(k)
                            )
                        })
                        .collect();
                    db::query(format!(
                        "INSERT INTO oidc_codes (code_hash, client_id, account_id, redirect_uri, scope, acr, auth_time, \
                         family, expires_at) VALUES {}",
                        values.join(", ")
                    ))
                    .execute(&mut *c)
                    .await?;
                    i += n;
                }
                Ok::<_, DbError>(id)
            })
        })
        .await?;
    Ok((db, account))
}

/// One exchange's rows on any connection, through `$query` (sqlx's or the
/// platform's, which take the same calls).
macro_rules! exchange {
    ($query:path, $conn:expr, $i:expr, $account:expr) => {{
        let now = 1_700_000_000_000_i64 + $i as i64;
        let n = $query(CONSUME)
            .bind(now)
            .bind(code($i))
            .execute(&mut *$conn)
            .await?
            .rows_affected();
        anyhow::ensure!(n == 1, "code {} was not there to consume", $i);
        $query(STORE)
            .bind(format!("rt-{}", $i))
            .bind(format!("f{}", $i))
            .bind($account)
            .bind(now)
            .execute(&mut *$conn)
            .await?;
    }};
}

/// Runs `per_commit` exchanges per transaction on `conn` for `secs`.
macro_rules! raw_run {
    ($conn:expr, $next:expr, $account:expr, $per_commit:expr, $secs:expr) => {{
        let start = Instant::now();
        let mut done = 0usize;
        while start.elapsed() < $secs {
            let mut tx = $conn.begin().await?;
            for _ in 0..$per_commit {
                let i = $next.fetch_add(1, Ordering::Relaxed);
                anyhow::ensure!(i < CODES, "ran out of codes");
                exchange!(sqlx::query, tx, i, $account);
            }
            tx.commit().await?;
            done += $per_commit;
        }
        done as f64 / start.elapsed().as_secs_f64()
    }};
}

/// Raw through rusqlite on one connection, [`GROUP`] exchanges per commit,
/// each statement prepared once: SQLite's own limit for these rows.
fn rusqlite_grouped(
    path: &std::path::Path,
    next: &AtomicUsize,
    account: i64,
    secs: Duration,
) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < secs {
        let tx = conn.transaction()?;
        {
            let mut consume = tx.prepare_cached(CONSUME)?;
            let mut store = tx.prepare_cached(STORE)?;
            for _ in 0..GROUP {
                let i = next.fetch_add(1, Ordering::Relaxed);
                anyhow::ensure!(i < CODES, "ran out of codes");
                let now = 1_700_000_000_000_i64 + i as i64;
                let n = consume.execute(rusqlite::params![now, code(i)])?;
                anyhow::ensure!(n == 1, "code {i} was not there to consume");
                store.execute(rusqlite::params![
                    format!("rt-{i}"),
                    format!("f{i}"),
                    account,
                    now
                ])?;
            }
        }
        tx.commit()?;
        done += GROUP;
    }
    Ok(done as f64 / start.elapsed().as_secs_f64())
}

/// Through `Db::write` from [`CALLERS`] tasks for `secs`.
async fn platform_run(
    db: &Db,
    next: Arc<AtomicUsize>,
    account: i64,
    secs: Duration,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CALLERS {
        let (db, next) = (db.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while start.elapsed() < secs {
                let i = next.fetch_add(1, Ordering::Relaxed);
                anyhow::ensure!(i < CODES, "ran out of codes");
                db.write(move |c| {
                    Box::pin(async move {
                        exchange!(db::query, c, i, account);
                        Ok::<_, anyhow::Error>(())
                    })
                })
                .await?;
                done += 1;
            }
            Ok::<_, anyhow::Error>(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// Notices queued per second from [`CALLERS`] tasks for `secs`, each in
/// its own transaction, as a capability queues them.
async fn notices_run(db: &Db, account: i64, secs: Duration) -> anyhow::Result<f64> {
    use tongban_core::platform::notify::{Channel, Outgoing, Words, store};
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CALLERS {
        let (db, next) = (db.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while start.elapsed() < secs {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let m = Outgoing {
                    account_id: Some(account),
                    topic: "bench.accepted".into(),
                    dedupe_key: format!("bench.accepted:{i}"),
                    lang: tongban_domain::Lang::ZhCn,
                    words: Words {
                        subject: "【通办】受理通知".into(),
                        body: format!(
                            "您的申请（办件编号 BENCH{i:08}）已受理，法定办结时限为20个工作日。"
                        ),
                    },
                    alt_words: Some(Words {
                        subject: "[Tongban] Accepted".into(),
                        body: format!("Your application (case BENCH{i:08}) was accepted."),
                    }),
                    link: Some(format!("/applications/BENCH{i:08}")),
                    inbox: true,
                    sensitive: false,
                    to: vec![(Channel::Sms, "13800000001".into())],
                };
                let queued = db
                    .write(move |c| {
                        Box::pin(async move { store::queue(c, &m, 1_700_000_000_000).await })
                    })
                    .await?;
                anyhow::ensure!(queued.is_some(), "notice {i} was not queued");
                done += 1;
            }
            Ok::<_, anyhow::Error>(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// The SQLite limits, in a fresh file in `dir`, with the platform's pragmas
/// (`journal_mode=WAL`, `synchronous=FULL`).
pub async fn sqlite(dir: &std::path::Path, secs: Duration) -> anyhow::Result<StorageLimit> {
    let path = dir.join("storage-limit.sqlite");
    let url = Db::sqlite_url(&path);
    let (db, account) = prepare(&url).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
        .await?;
    let single = raw_run!(conn, next, account, 1, secs);
    let grouped_sqlx = raw_run!(conn, next, account, GROUP, secs);
    conn.close().await?;
    let grouped = {
        let next = next.clone();
        tokio::task::spawn_blocking(move || rusqlite_grouped(&path, &next, account, secs)).await??
    };
    let platform = platform_run(&db, next, account, secs).await?;
    let notices = notices_run(&db, account, secs).await?;
    db.close().await;
    Ok(StorageLimit {
        engine: "sqlite",
        single,
        single_how: "one connection".into(),
        grouped,
        grouped_sqlx,
        platform,
        notices,
    })
}

/// The PostgreSQL limits in the (empty) database at `url`.
pub async fn postgres(url: &str, secs: Duration) -> anyhow::Result<StorageLimit> {
    let (db, account) = prepare(url).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..PG_CONNECTIONS {
        let (url, next) = (url.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let rate = raw_run!(conn, next, account, 1, secs);
            conn.close().await?;
            Ok::<_, anyhow::Error>(rate)
        }));
    }
    let mut single = 0.0;
    for t in tasks {
        single += t.await??;
    }
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let grouped = raw_run!(conn, next, account, GROUP, secs);
    conn.close().await?;
    let platform = platform_run(&db, next, account, secs).await?;
    let notices = notices_run(&db, account, secs).await?;
    db.close().await;
    Ok(StorageLimit {
        engine: "postgres",
        single,
        single_how: format!("{PG_CONNECTIONS} connections"),
        grouped,
        grouped_sqlx: grouped,
        platform,
        notices,
    })
}
