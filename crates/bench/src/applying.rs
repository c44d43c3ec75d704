//! Submissions through the use cases, in process, against their limits
//! measured in the same run on the same disk (SQLite, the platform's
//! pragmas): a durable submission with three unique 200 KB materials (each
//! streamed to the file store and fsynced, then the submit transaction)
//! against three files written and fsynced plus one commit through
//! `Db::write`, at the same concurrency; and the submit transaction alone
//! (materials given beforehand) against the grouped-commit limit of the
//! storage run. Drafts are spread over every demo item that takes them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tongban_core::Db;
use tongban_core::applications::{self, declaration};
use tongban_core::identity::{Principal, accounts};
use tongban_core::platform::db::{DbError, DbOptions};
use tongban_domain::catalog::Fetchable;

/// Concurrent submitters.
pub const CALLERS: usize = 32;
/// Files per submission, and their size.
pub const FILES: usize = 3;
/// Bytes of each file.
pub const FILE_BYTES: usize = 200 * 1024;
const PATTERN: &str = "{task_code}{date}{seq:6}";

/// What the run measured.
#[derive(Debug, Clone)]
pub struct Applying {
    /// Submissions with three 200 KB files per second.
    pub with_files: f64,
    /// Three files written and fsynced plus one commit, per second.
    pub files_limit: f64,
    /// Submit transactions alone per second.
    pub bare: f64,
    /// Disk used per submission with files (bytes, files and database).
    pub disk_per_submission: f64,
    /// Items the drafts were spread over.
    pub items: usize,
}

/// An item a draft can be submitted for without answers: its published
/// version, and the materials a submission must give.
pub(crate) struct Target {
    pub item_id: i64,
    pub task_code: String,
    pub version_no: i64,
    pub materials: Vec<String>,
    /// The implementing organisation's division.
    pub division: String,
}

/// Published items looked at for a role in the applying runs, at most:
/// the demo's own are among the first, and a large catalog is not read
/// whole at every scale point.
pub(crate) const CANDIDATES: i64 = 3000;

/// The published items a draft can be submitted for without answers
/// (among the first [`CANDIDATES`] that may be applied for online).
pub(crate) async fn targets(db: &Db) -> anyhow::Result<Vec<Target>> {
    let codes: Vec<String> = tongban_core::platform::db::query_scalar(
        "SELECT task_code FROM published_items WHERE online_depth >= 2 ORDER BY item_id LIMIT $1",
    )
    .bind(CANDIDATES)
    .fetch_all(&db)
    .await?;
    let mut out = Vec::new();
    for code in codes {
        let Some(p) = tongban_core::catalog::published(db, &code).await? else {
            continue;
        };
        let g = &p.guide;
        let materials: Vec<String> = g
            .materials
            .iter()
            .filter(|m| m.required && m.fetchable == Fetchable::No)
            .map(|m| m.code.clone())
            .collect();
        let open = g
            .materials
            .iter()
            .filter(|m| {
                m.fetchable == Fetchable::No
                    && m.file_types.iter().any(|t| t == "pdf")
                    && m.max_mb >= 1
            })
            .count();
        // The demo citizen applies as a person: items serving persons.
        if g.online_depth >= 2
            && g.min_level <= 3
            && g.service_objects.iter().any(|o| o == "1")
            && g.form.sections.is_empty()
            && g.situations.is_empty()
            && (1..=FILES).contains(&materials.len())
            && open >= 1
        {
            out.push(Target {
                item_id: p.item_id,
                task_code: p.task_code,
                version_no: p.version_no,
                materials,
                division: p.org.division_code.clone(),
            });
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "no demo item takes a submission without answers"
    );
    Ok(out)
}

/// `n` drafts of the citizen over the targets, inserted in bulk; with
/// `given`, each already has `given` (a stored file) for every material.
async fn drafts(
    db: &Db,
    account: i64,
    targets: &[Target],
    n: usize,
    prefix: &str,
    given: Option<i64>,
) -> anyhow::Result<Vec<(String, usize)>> {
    let rows: Vec<(String, usize)> = (0..n)
        .map(|i| (format!("{prefix}{i:08}"), i % targets.len()))
        .collect();
    for chunk in rows.chunks(400) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(id, t)| {
                let t = &targets[*t];
                format!(
                    "('{id}', {}, '{}', {}, '', {account}, {account}, 'own', 'api', '2', 'draft', '{{}}', 1, 0, 0, 9999999999999)",
                    t.item_id, t.task_code, t.version_no
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO applications (public_id, item_id, task_code, version_no, situation_code, applicant_id, acting_id, \
             authority, channel, source_code, state, fields, revision, created_at, updated_at, expires_at) VALUES {}",
            values.join(", ")
        );
        let files: Vec<String> = match given {
            Some(file) => chunk
                .iter()
                .flat_map(|(id, t)| {
                    targets[*t].materials.iter().map(move |m| {
                        format!(
                            "((SELECT id FROM applications WHERE public_id = '{id}'), '{m}', {file}, 0, 'C', 'upload', '')"
                        )
                    })
                })
                .collect(),
            None => vec![],
        };
        db.write(move |c| {
            Box::pin(async move {
                tongban_core::platform::db::query(sql).execute(&mut *c).await?;
                if !files.is_empty() {
                    tongban_core::platform::db::query(format!(
                        "INSERT INTO application_files (application_id, material_code, file_id, created_at, trust, origin, material_name) VALUES {}",
                        files.join(", ")
                    ))
                    .execute(&mut *c)
                    .await?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await?;
    }
    Ok(rows)
}

/// Runs `op` from [`CALLERS`] tasks for `secs` over the numbered work
/// items; returns operations per second.
async fn run<F, Fut>(secs: Duration, limit: usize, op: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CALLERS {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while start.elapsed() < secs {
                let i = next.fetch_add(1, Ordering::Relaxed);
                anyhow::ensure!(i < limit, "ran out of drafts after {i}");
                op(i).await?;
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

fn dir_bytes(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

async fn citizen(db: &Db) -> anyhow::Result<Principal> {
    let a = accounts::by_username(db, "citizen")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no demo citizen"))?;
    accounts::principal(db, a.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no principal"))
}

/// The applying runs in a fresh SQLite database with the demo in `dir`.
pub async fn sqlite(dir: &Path, secs: Duration) -> anyhow::Result<Applying> {
    let path = dir.join("applying.sqlite");
    let store = dir.join("applying-files");
    std::fs::create_dir_all(&store)?;
    let db = Db::connect(&Db::sqlite_url(&path), DbOptions::default()).await?;
    db.migrate().await?;
    tongban_core::demo::seed(&db).await?;
    let key = tongban_core::platform::crypto::DataKey::load("", dir)?;
    tongban_core::demo::seed_sealed(&db, &key).await?;
    let who = Arc::new(citizen(&db).await?);
    let targets = Arc::new(targets(&db).await?);
    let items = targets.len();

    // The limit: three files written and fsynced, then one commit.
    let limit_dir = Arc::new(dir.join("applying-limit"));
    std::fs::create_dir_all(limit_dir.as_ref())?;
    let dbl = db.clone();
    let files_limit = run(secs, usize::MAX, move |i| {
        let (db, dir) = (dbl.clone(), limit_dir.clone());
        async move {
            let dir2 = dir.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                use std::io::Write;
                for k in 0..FILES {
                    let mut f = std::fs::File::create(dir2.join(format!("{i}-{k}")))?;
                    f.write_all(&crate::ops::scan(i * FILES + k))?;
                    f.sync_all()?;
                }
                Ok(())
            })
            .await??;
            db.write(move |c| {
                Box::pin(async move {
                    tongban_core::platform::db::query("INSERT INTO outbox (topic, payload, created_at) VALUES ('bench.limit', $1, 0)")
                        .bind(format!("{{\"i\": {i}}}"))
                        .execute(c)
                        .await?;
                    Ok::<_, DbError>(())
                })
            })
            .await?;
            Ok(())
        }
    })
    .await?;

    // The code lists, as a node keeps them.
    let lists = Arc::new(
        tongban_core::catalog::code_lists(&db)
            .await
            .map_err(|e| anyhow::anyhow!("code lists: {e:?}"))?,
    );
    // Submissions with three unique files each.
    let budget = ((files_limit * secs.as_secs_f64()) as usize + 1000).max(2000);
    let with = Arc::new(drafts(&db, who.account.id, &targets, budget, "bw", None).await?);
    let before = dir_bytes(dir);
    let (dbw, storew, whow, tw, withw, listsw) = (
        db.clone(),
        Arc::new(store.clone()),
        who.clone(),
        targets.clone(),
        with.clone(),
        lists.clone(),
    );
    let started = Instant::now();
    let with_files = run(secs, budget, move |i| {
        let (db, store, who, targets, with, lists) = (
            dbw.clone(),
            storew.clone(),
            whow.clone(),
            tw.clone(),
            withw.clone(),
            listsw.clone(),
        );
        async move {
            let (id, t) = &with[i];
            let t = &targets[*t];
            for k in 0..FILES {
                let code = &t.materials[k % t.materials.len()];
                let body = crate::ops::scan(1_000_000 + i * FILES + k);
                applications::give(
                    &db,
                    &store,
                    &who,
                    id,
                    code,
                    "扫描件.pdf",
                    futures::stream::iter([Ok::<_, std::io::Error>(body)]),
                    tongban_core::platform::config::Config::default()
                        .applications
                        .bytes_per_account,
                )
                .await
                .map_err(|e| anyhow::anyhow!("give: {e:?}"))?;
            }
            let said = applications::Submitting {
                revision: 1,
                declared: declaration::VERSION,
                signed: false,
            };
            applications::submit(&db, &store, &who, id, said, PATTERN, &lists)
                .await
                .map_err(|e| anyhow::anyhow!("submit: {e:?}"))?;
            Ok(())
        }
    })
    .await?;
    let made = (with_files * started.elapsed().as_secs_f64()).max(1.0);
    let disk_per_submission = dir_bytes(dir).saturating_sub(before) as f64 / made;

    // The submit transaction alone, materials given beforehand.
    let shared_file: i64 = {
        let stored = tongban_core::platform::files::store_stream(
            &db,
            &store,
            "shared.pdf",
            futures::stream::iter([Ok::<_, std::io::Error>(crate::ops::scan(7))]),
            10 * 1024 * 1024,
            &["pdf".to_owned()],
            Some(who.account.id),
        )
        .await
        .map_err(|e| anyhow::anyhow!("store: {e:?}"))?;
        stored.id
    };
    let budget = (4000 * secs.as_secs() as usize).max(4000);
    let bare_drafts = Arc::new(
        drafts(
            &db,
            who.account.id,
            &targets,
            budget,
            "bb",
            Some(shared_file),
        )
        .await?,
    );
    let (dbb, whob, storeb) = (db.clone(), who.clone(), store.clone());
    let bare = run(secs, budget, move |i| {
        let (db, who, list, store, lists) = (
            dbb.clone(),
            whob.clone(),
            bare_drafts.clone(),
            storeb.clone(),
            lists.clone(),
        );
        async move {
            let said = applications::Submitting {
                revision: 1,
                declared: declaration::VERSION,
                signed: false,
            };
            applications::submit(&db, &store, &who, &list[i].0, said, PATTERN, &lists)
                .await
                .map_err(|e| anyhow::anyhow!("submit: {e:?}"))?;
            Ok(())
        }
    })
    .await?;
    let left: i64 = tongban_core::platform::db::query(
        "SELECT COUNT(*) FROM applications WHERE state = 'submitted'",
    )
    .fetch_one(&db)
    .await?
    .try_get(0)?;
    anyhow::ensure!(left > 0, "nothing was submitted");
    db.close().await;
    Ok(Applying {
        with_files,
        files_limit,
        bare,
        disk_per_submission,
        items,
    })
}
