//! The load tool's operations against the running application: every
//! operation of the benchmark mix still does what a person or department
//! system does, so `BENCHMARKS.md` measures working requests, not errors.

use std::sync::Arc;
use std::time::Duration;

use tongban_bench::load::{self, RunSpec};
use tongban_bench::ops;
use tongban_bench::seed::Seeder;
use tongban_bench::suite;

use crate::helpers::TestApp;

#[tokio::test]
async fn every_operation_of_the_benchmark_mix_succeeds() {
    let app = TestApp::spawn().await;
    let seeder = Seeder::new(app.db.clone()).await.unwrap();
    let demo_items = seeder.item_count().await.unwrap();
    seeder.grow_items(demo_items + 30).await.unwrap();
    seeder.grow_accounts(40).await.unwrap();
    assert_eq!(seeder.item_count().await.unwrap(), demo_items + 30);
    assert_eq!(seeder.account_count().await.unwrap(), 40);
    // The search index takes in the grown catalog before the timed runs,
    // as `serve` builds it before answering (in a debug build on a busy
    // machine the rebuild alone can outlast a 400 ms run).
    app.catalog_changed().await;
    app.state.search().await.expect("search index");
    let mut shared = suite::db_fixtures(&seeder, 4).await.unwrap();
    assert_eq!(shared.drafts.len(), 4);
    suite::sign_in_fixtures(&mut shared, &app.url(""))
        .await
        .unwrap();

    // Every operation alone, so a rare one (sign-in) is not left to chance.
    let mut names: Vec<&str> = ops::mix().iter().map(|o| o.name).collect();
    names.push("healthz");
    for name in names {
        let op = ops::only(name).unwrap();
        // A run counts only requests that finish within it: on a busy
        // machine a slow one (sign-in hashes a password) is given a few
        // more tries before "never ran" is believed. Any error fails.
        let mut ran = 0;
        for _ in 0..5 {
            let spec = RunSpec {
                clients: 2,
                duration: Duration::from_millis(400),
                warmup: Duration::ZERO,
                bases: vec![app.url("")],
                pace: None,
            };
            let r = load::run(std::slice::from_ref(&op), Arc::new(shared.clone()), &spec)
                .await
                .unwrap();
            assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
            ran = r.ops.get(name).copied().unwrap_or(0);
            if ran > 0 {
                break;
            }
        }
        assert!(ran > 0, "{name} never ran");
    }

    // The mix itself, from four clients.
    let spec = RunSpec {
        clients: 4,
        duration: Duration::from_millis(1500),
        warmup: Duration::ZERO,
        bases: vec![app.url("")],
        pace: None,
    };
    let r = load::run(&ops::mix(), Arc::new(shared), &spec)
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    for step in [
        "guide",
        "search",
        "home",
        "theme",
        "me",
        "authorize",
        "token_code",
    ] {
        assert!(r.steps.contains_key(step), "the mix made no {step} request");
    }
    assert!(r.all().quantile_ms(0.5) > 0.0);
}

/// The applying benchmark runs end to end on a fresh database: every
/// submission it times went through (a failing submit stops the run), and
/// the limits it reports are measured, not zero.
#[tokio::test]
async fn the_applying_benchmark_submits_and_measures_its_limits() {
    let dir = tempfile::tempdir().unwrap();
    let a = tongban_bench::applying::sqlite(dir.path(), std::time::Duration::from_millis(400))
        .await
        .unwrap();
    assert!(a.items >= 10, "spread over {} items", a.items);
    assert!(
        a.with_files > 0.0 && a.files_limit > 0.0 && a.bare > 0.0,
        "{a:?}"
    );
    assert!(
        a.disk_per_submission
            > (tongban_bench::applying::FILES * tongban_bench::applying::FILE_BYTES) as f64 * 0.9,
        "three 200 KB files are on disk per submission: {a:?}"
    );
}
