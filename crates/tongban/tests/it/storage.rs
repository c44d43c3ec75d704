//! Storage: group commit, the job queue, schedules and the outbox, on the
//! engine the suite runs on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tongban_core::platform::db::DbOptions;
use tongban_core::platform::jobs::{self, NewJob, Registry};
use tongban_core::platform::outbox;
use tongban_core::platform::worker::{self, WorkerOptions};
use tongban_core::{Db, DbError, demo};

use crate::helpers::fresh_database;

async fn fresh_db() -> (Db, crate::helpers::Fresh) {
    let (url, dir) = fresh_database().await;
    let db = Db::connect(
        &url,
        DbOptions {
            max_connections: 8,
            max_batch: 64,
            ..DbOptions::default()
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    tongban_core::platform::db::query(sql)
        .fetch_one(&db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn concurrent_writes_commit_independently_and_a_failure_undoes_only_itself() {
    let (db, _dir) = fresh_db().await;
    let mut tasks = Vec::new();
    for i in 0..200i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |c| {
                Box::pin(async move {
                    tongban_core::platform::db::query(
                        "INSERT INTO outbox (topic, payload, created_at) VALUES ($1, '{}', $2)",
                    )
                    .bind(format!("t{i}"))
                    .bind(i)
                    .execute(&mut *c)
                    .await?;
                    if i % 10 == 0 {
                        // A failing transaction: its insert above must vanish.
                        return Err(DbError::Conflict(format!("refused {i}")));
                    }
                    Ok(i)
                })
            })
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(DbError::Conflict(m)) => assert!(m.starts_with("refused")),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 180);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox").await, 180);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE topic IN ('t0', 't10', 't190')"
        )
        .await,
        0
    );
}

/// A transaction that panics (a bug) fails alone, as an internal error:
/// the others of its batch commit, and the database is not taken for down.
#[tokio::test]
async fn a_transaction_that_panics_fails_alone_and_the_writer_goes_on() {
    let (db, _dir) = fresh_db().await;
    let mut tasks = Vec::new();
    for i in 0..50i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(tongban_core::tx!(c => {
                tongban_core::platform::db::query(
                    "INSERT INTO outbox (topic, payload, created_at) VALUES ($1, '{}', $2)",
                )
                .bind(format!("p{i}"))
                .bind(i)
                .execute(&mut *c)
                .await?;
                assert!(i % 10 != 0, "a bug in transaction {i}");
                Ok::<_, DbError>(i)
            }))
            .await
        }));
    }
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(e @ DbError::Internal(_)) => {
                assert!(!e.is_unavailable());
                failed += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(failed, 5);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox").await, 45);
    // And it still writes.
    db.probe(Duration::from_secs(5), true).await.unwrap();
}

/// Statements are written once for both engines: `$N` binds by its number
/// wherever it stands, and a column read as a type it is not is a corrupt
/// row, never a reinterpreted value.
#[tokio::test]
async fn one_statement_means_the_same_on_both_engines() {
    use tongban_core::platform::db::query;
    let (db, _dir) = fresh_db().await;
    let r = query("SELECT $2 AS b, $1 AS a, $2 AS again")
        .bind(1i64)
        .bind("two")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(r.try_get::<i64, _>("a").unwrap(), 1);
    assert_eq!(r.try_get::<String, _>("b").unwrap(), "two");
    assert_eq!(r.try_get::<String, _>("again").unwrap(), "two");
    assert!(matches!(r.try_get::<i64, _>("b"), Err(DbError::Corrupt(_))));
    assert!(matches!(
        r.try_get::<String, _>("a"),
        Err(DbError::Corrupt(_))
    ));
    assert!(matches!(
        r.try_get::<i64, _>("missing"),
        Err(DbError::Corrupt(_))
    ));
    // A value bound past the statement's last `$N` is a bug SQLite refuses
    // (PostgreSQL's protocol lets it pass).
    if db.engine() == tongban_core::Engine::Sqlite {
        let surplus = query("SELECT $1 AS a").bind(1i64).bind(2i64);
        assert!(matches!(
            surplus.fetch_one(&db).await,
            Err(DbError::Internal(_))
        ));
    }
    // A typed null, and a read that changes nothing.
    let none: Option<String> = tongban_core::platform::db::query_scalar("SELECT $1 AS n")
        .bind(None::<String>)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(none, None);
    let done = query("SELECT 1").execute(&db).await.unwrap();
    assert!(done.rows_affected() <= 1);
}

/// A read that waits for a connection longer than `acquire_timeout` is
/// refused as unavailable (503) rather than left waiting.
#[tokio::test]
async fn a_read_that_cannot_get_a_connection_in_time_is_refused() {
    let (url, _dir) = fresh_database().await;
    let db = Db::connect(
        &url,
        DbOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_millis(50),
            ..DbOptions::default()
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let busy = db.clone();
    let holder = tokio::spawn(async move {
        busy.read(tongban_core::tx!(c => {
            tongban_core::platform::db::query("SELECT 1").execute(&mut *c).await?;
            tokio::time::sleep(Duration::from_millis(600)).await;
            Ok::<_, DbError>(())
        }))
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = tongban_core::platform::db::query("SELECT 1")
        .execute(&db)
        .await
        .unwrap_err();
    assert!(refused.is_unavailable(), "{refused}");
    holder.await.unwrap().unwrap();
    // Free again, it reads.
    tongban_core::platform::db::query("SELECT 1")
        .execute(&db)
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_workers_never_run_a_job_twice() {
    let (db, _dir) = fresh_db().await;
    let n = 300;
    db.write(move |c| {
        Box::pin(async move {
            for i in 0..n {
                jobs::enqueue(c, &NewJob::now("count", json!({ "i": i })), 0).await?;
            }
            Ok::<_, DbError>(())
        })
    })
    .await
    .unwrap();
    let seen: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let mut registry = Registry::default();
    let s = seen.clone();
    registry.register("count", move |_, payload| {
        let s = s.clone();
        Box::pin(async move {
            let i = payload["i"].as_i64().unwrap_or(-1);
            *s.lock().unwrap().entry(i).or_default() += 1;
            tokio::task::yield_now().await;
            Ok(())
        })
    });
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for w in 0..4 {
        let opts = WorkerOptions {
            name: format!("w{w}"),
            poll: Duration::from_millis(10),
            concurrency: 8,
            lease: Duration::from_secs(60),
        };
        workers.push(tokio::spawn(worker::run_worker(
            db.clone(),
            registry.clone(),
            outbox::Routes::default(),
            opts,
            rx.clone(),
        )));
    }
    for _ in 0..600 {
        if count(&db, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len() as i64, n, "every job ran");
    assert!(
        seen.values().all(|v| *v == 1),
        "some job ran twice: {:?}",
        seen.iter().filter(|(_, v)| **v > 1).collect::<Vec<_>>()
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM jobs WHERE attempts <> 1").await,
        0
    );
}

#[tokio::test]
async fn failing_jobs_retry_with_backoff_then_fail_for_good() {
    let (db, _dir) = fresh_db().await;
    let id = db
        .write(|c| {
            Box::pin(async move {
                jobs::enqueue(
                    c,
                    &NewJob {
                        kind: "flaky".into(),
                        payload: json!({}),
                        run_at: 0,
                        max_attempts: 2,
                    },
                    0,
                )
                .await
            })
        })
        .await
        .unwrap();
    let claimed = jobs::claim(&db, "w", 10, 60_000).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    // Claimed and leased: nobody else gets it.
    assert!(
        jobs::claim(&db, "other", 10, 60_000)
            .await
            .unwrap()
            .is_empty()
    );
    jobs::fail(&db, &claimed[0], "w", "boom").await.unwrap();
    let row = tongban_core::platform::db::query(
        "SELECT status, run_at, last_error FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>(0).unwrap(), "queued");
    assert!(
        row.try_get::<i64, _>(1).unwrap() > tongban_core::platform::clock::now_ms(),
        "retry is in the future"
    );
    assert_eq!(row.try_get::<String, _>(2).unwrap(), "boom");
    // Not due yet.
    assert!(jobs::claim(&db, "w", 10, 60_000).await.unwrap().is_empty());
    db.write(move |c| {
        Box::pin(async move {
            tongban_core::platform::db::query("UPDATE jobs SET run_at = 0 WHERE id = $1")
                .bind(id)
                .execute(c)
                .await
        })
    })
    .await
    .unwrap();
    let again = jobs::claim(&db, "w", 10, 60_000).await.unwrap();
    assert_eq!(again[0].attempts, 2);
    jobs::fail(&db, &again[0], "w", "boom again").await.unwrap();
    let status: String = tongban_core::platform::db::query("SELECT status FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(status, "failed");
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again() {
    let (db, _dir) = fresh_db().await;
    db.write(|c| Box::pin(async move { jobs::enqueue(c, &NewJob::now("x", json!({})), 0).await }))
        .await
        .unwrap();
    let first = jobs::claim(&db, "dead-worker", 1, -1).await.unwrap();
    assert_eq!(first.len(), 1);
    let second = jobs::claim(&db, "live-worker", 1, 60_000).await.unwrap();
    assert_eq!(second.len(), 1, "a job whose worker died is taken over");
    // The dead worker can no longer complete it.
    assert!(
        !jobs::complete(&db, first[0].id, "dead-worker")
            .await
            .unwrap()
    );
    assert!(
        jobs::complete(&db, second[0].id, "live-worker")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_due_schedule_is_enqueued_once_however_many_nodes_tick() {
    let (url, _dir) = fresh_database().await;
    // Three nodes, each with its own pool and (on SQLite) its own writer,
    // contending through the database as separate processes would. On
    // PostgreSQL, where transactions read before they lock, a schedule
    // claimed without the compare-and-set on `next_run_at` is enqueued more
    // than once here; on SQLite each writer takes the lock before it reads,
    // so the run there checks that separate writers agree.
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let db = Db::connect(&url, DbOptions::default()).await.unwrap();
        db.migrate().await.unwrap();
        nodes.push(db);
    }
    let db = nodes[0].clone();
    jobs::ensure_schedule(&db, "nightly", "report", 3600)
        .await
        .unwrap();
    let ticks: Vec<_> = nodes
        .iter()
        .flat_map(|n| [n, n])
        .map(jobs::enqueue_due_schedules)
        .collect();
    let total: usize = futures::future::join_all(ticks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(total, 1);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'report'").await,
        1
    );
}

#[tokio::test]
async fn outbox_events_become_subscriber_jobs_once() {
    let (db, _dir) = fresh_db().await;
    assert!(demo::seed(&db).await.unwrap());
    let events = count(
        &db,
        "SELECT COUNT(*) FROM outbox WHERE topic = 'org.created'",
    )
    .await;
    assert!(events > 30);
    let routes = outbox::Routes::default().route("org.", "notify.org");
    let mut relayed = 0;
    loop {
        let n = outbox::relay(&db, &routes, 100).await.unwrap();
        if n == 0 {
            break;
        }
        relayed += n as i64;
    }
    assert!(relayed >= events);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify.org'").await,
        events
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL"
        )
        .await,
        0
    );
    assert_eq!(outbox::relay(&db, &routes, 100).await.unwrap(), 0);
}

#[tokio::test]
async fn demo_seed_loads_once() {
    let (db, _dir) = fresh_db().await;
    assert!(demo::seed(&db).await.unwrap());
    let orgs = count(&db, "SELECT COUNT(*) FROM organizations").await;
    assert!(orgs >= 15 + 18 + 10, "{orgs}");
    assert!(!demo::seed(&db).await.unwrap());
    assert_eq!(count(&db, "SELECT COUNT(*) FROM organizations").await, orgs);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 10);
    // Every seeded credit code passes GB 32100.
    for r in tongban_core::platform::db::query("SELECT credit_code FROM organizations")
        .fetch_all(&db)
        .await
        .unwrap()
    {
        let code: String = r.try_get(0).unwrap();
        assert!(
            tongban_domain::kernel::CreditCode::parse(&code).is_ok(),
            "{code}"
        );
    }
}

/// The WAL is checkpointed beside the writer, never inside a commit: after a
/// second of quiet, the next writes reuse the WAL from its start instead of
/// growing it (with no checkpoint at all it would double).
#[tokio::test]
async fn the_sqlite_wal_is_checkpointed_in_the_background() {
    let (db, dir) = fresh_db().await;
    let Some(dir) = dir.sqlite_dir() else { return }; // PostgreSQL: nothing to check.
    let wal = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-wal"))
        .expect("a WAL file");
    let burst = |round: i64| {
        let db = db.clone();
        async move {
            db.write(move |c| {
                Box::pin(async move {
                    for i in 0..400 {
                        tongban_core::platform::db::query(
                            "INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2, 0)",
                        )
                        .bind(format!("wal.{round}.{i}"))
                        .bind("x".repeat(4000))
                        .execute(&mut *c)
                        .await?;
                    }
                    Ok::<_, DbError>(())
                })
            })
            .await
            .unwrap();
        }
    };
    burst(1).await;
    let first = std::fs::metadata(&wal).unwrap().len();
    assert!(first > 1_000_000, "the burst should fill the WAL: {first}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    burst(2).await;
    let second = std::fs::metadata(&wal).unwrap().len();
    assert!(
        second < first + first / 2,
        "the WAL grew from {first} to {second} bytes"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox").await, 800);
}
