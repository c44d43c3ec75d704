//! Consistent online backup and guarded restore.
//!
//! SQLite: `VACUUM INTO` writes a transactionally consistent copy while the
//! platform keeps serving; restore checks the copy and swaps it in with an
//! atomic rename. PostgreSQL: `pg_dump --format=custom` (a consistent
//! snapshot) and `pg_restore`, the tools every PostgreSQL operator knows.
//! Restore refuses to overwrite a database that holds data unless forced.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use crate::platform::db::{Db, DbOptions, Engine};

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PGDUMP_MAGIC: &[u8] = b"PGDMP";

/// Writes a consistent backup of the database at `url` to `to`.
pub async fn backup(url: &str, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} already exists; choose a new file name", to.display());
    }
    match Engine::from_url(url)? {
        Engine::Sqlite => {
            let mut conn = connect_sqlite(url).await?;
            let target = to.to_str().context("backup path is not valid UTF-8")?;
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(&mut conn)
                .await
                .context("VACUUM INTO failed")?;
            conn.close().await.ok();
        }
        Engine::Postgres => {
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg(format!("--file={}", to.display()))
                .arg(url)
                .status()
                .await
                .context("could not run pg_dump; install the PostgreSQL client tools")?;
            if !status.success() {
                bail!("pg_dump failed with {status}");
            }
        }
    }
    Ok(())
}

/// A connection of its own to a SQLite file, for the statements a backup
/// or restore runs outside any transaction (`VACUUM INTO`, checks).
async fn connect_sqlite(url: &str) -> anyhow::Result<SqliteConnection> {
    let opts: SqliteConnectOptions = url.parse().context("bad database URL")?;
    opts.disable_statement_logging()
        .connect()
        .await
        .context("cannot open the database")
}

/// Whether the database at `url` holds platform data (any organisation or account).
pub async fn has_data(url: &str) -> anyhow::Result<bool> {
    if let Some(path) = sqlite_path(url)
        && std::fs::metadata(&path)
            .map(|m| m.len() == 0)
            .unwrap_or(true)
    {
        return Ok(false);
    }
    let mut any = false;
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
    // A missing table means a fresh database: no data.
    if Engine::from_url(url)? == Engine::Sqlite {
        // A connection of its own (no writer, no checkpointer): the file may
        // be replaced right after.
        let mut conn = connect_sqlite(url).await?;
        for table in ["organizations", "accounts", "divisions"] {
            if let Ok(n) = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count(table)))
                .fetch_one(&mut conn)
                .await
            {
                any |= n > 0;
            }
        }
        conn.close().await.ok();
        return Ok(any);
    }
    let db = Db::connect(
        url,
        DbOptions {
            max_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    .context("cannot open the database")?;
    for table in ["organizations", "accounts", "divisions"] {
        if let Ok(n) = crate::platform::db::query_scalar::<i64>(count(table))
            .fetch_one(&db)
            .await
        {
            any |= n > 0;
        }
    }
    db.close().await;
    Ok(any)
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path))
}

/// Restores the backup in `from` into the database at `url`.
pub async fn restore(url: &str, from: &Path, force: bool) -> anyhow::Result<()> {
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
        let n = f.read(&mut head).context("cannot read the backup file")?;
        if n < PGDUMP_MAGIC.len() {
            bail!("{} is not a tongban backup (too short)", from.display());
        }
    }
    if has_data(url).await? && !force {
        bail!("the target database already holds data; add --force to overwrite it");
    }
    match Engine::from_url(url)? {
        Engine::Sqlite => {
            if !head.starts_with(SQLITE_MAGIC) {
                bail!("{} is not a SQLite backup", from.display());
            }
            let src = Db::sqlite_url(from).replace("mode=rwc", "mode=ro");
            let mut check = connect_sqlite(&src).await?;
            let ok: String = sqlx::query("PRAGMA integrity_check")
                .fetch_one(&mut check)
                .await?
                .try_get(0)?;
            if ok != "ok" {
                bail!("the backup fails SQLite's integrity check: {ok}");
            }
            sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(&mut check)
                .await
                .context("the backup is a SQLite file but not a tongban database")?;
            check.close().await.ok();
            let target = sqlite_path(url).context("bad SQLite URL")?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let tmp = target.with_extension("restore-tmp");
            std::fs::copy(from, &tmp).context("cannot copy the backup")?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .context("cannot sync the copy")?;
            for suffix in ["-wal", "-shm"] {
                let stale = PathBuf::from(format!("{}{suffix}", target.display()));
                if stale.exists() {
                    std::fs::remove_file(&stale)
                        .with_context(|| format!("cannot remove {}", stale.display()))?;
                }
            }
            std::fs::rename(&tmp, &target).context("cannot move the restored file into place")?;
        }
        Engine::Postgres => {
            if !head.starts_with(PGDUMP_MAGIC) {
                bail!(
                    "{} is not a PostgreSQL (pg_dump custom format) backup",
                    from.display()
                );
            }
            let status = tokio::process::Command::new("pg_restore")
                .args([
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                ])
                .arg(format!("--dbname={url}"))
                .arg(from)
                .status()
                .await
                .context("could not run pg_restore; install the PostgreSQL client tools")?;
            if !status.success() {
                bail!("pg_restore failed with {status}");
            }
        }
    }
    Ok(())
}
