//! The whole benchmark: every run of `BENCHMARKS.md`, in order, and the
//! report. See that file for the method.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::SET_COOKIE;
use sqlx::Connection;

use crate::load::{self, Op, RunResult, RunSpec};
use crate::ops::{self, PASSWORD, SESSION_COOKIE, Shared, bench_username};
use crate::peer::Peer;
use crate::seed::Seeder;
use crate::server::{Launch, Node, Usage, Watch};
use crate::storage::{self, StorageLimit};

/// Citizens signed in for the session-bound operations.
const SESSIONS: usize = 8;
/// The operations run alone against the HTTP limit, in this order.
const ISOLATED: &[&str] = &[
    "guide",
    "home",
    "theme",
    "search",
    "me",
    "oidc",
    "client_credentials",
    "admin_edit",
    "draft_save",
    "sign_in",
];

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The release `tongban` binary.
    pub binary: PathBuf,
    /// A PostgreSQL server URL whose user may create databases; without it
    /// the PostgreSQL runs are left out.
    pub pg: Option<String>,
    /// Measured seconds per mix run (isolated runs take half).
    pub seconds: u64,
    /// Virtual clients of the mix.
    pub clients: usize,
    /// Connections of the isolated runs and the peer comparison.
    pub connections: usize,
    /// Interleaved rounds of the isolated runs and the peer comparison.
    pub rounds: usize,
    /// Item counts of the scale curve (ascending); the isolated runs use
    /// the second.
    pub items: Vec<usize>,
    /// Account counts (ascending): the first for the item curve, the last
    /// for the final point.
    pub accounts: Vec<usize>,
    /// First port to listen on.
    pub port: u16,
    /// Compare `client_credentials` with node oidc-provider.
    pub peer: bool,
}

/// One measured mix.
#[derive(Debug, Clone)]
pub struct MixRun {
    /// What was measured.
    pub label: String,
    /// Items and accounts in the database.
    pub items: usize,
    /// Accounts.
    pub accounts: usize,
    /// Result.
    pub result: RunResult,
    /// Per node.
    pub usage: Vec<Usage>,
    /// The load tool itself.
    pub client: Usage,
}

/// Everything measured.
#[derive(Debug, Default)]
pub struct Report {
    /// Scale curve on SQLite (the second point is the target run).
    pub scale: Vec<MixRun>,
    /// Isolated runs: per round, per operation: (healthz rate, result).
    pub isolated: Vec<(String, Vec<(f64, RunResult)>)>,
    /// Storage limits.
    pub storage: Vec<StorageLimit>,
    /// Peer rounds: (tongban req/s, peer req/s).
    pub peer: Vec<(f64, f64)>,
    /// The peer's version.
    pub peer_version: String,
    /// PostgreSQL: one node, two nodes.
    pub pg: Vec<MixRun>,
    /// Seeding times: (what, seconds).
    pub seeding: Vec<(String, f64)>,
    /// The target mix paced at half its closed-loop rate: (ops/s, run).
    pub paced: Option<(f64, MixRun)>,
    /// Submissions through the use cases against their limits (SQLite).
    pub applying: Option<crate::applying::Applying>,
    /// Saving a draft's page alone, paced at half its isolated rate:
    /// (operations/s offered, run).
    pub draft_paced: Option<(f64, RunResult)>,
    /// A 50 MB material file streamed to an idle node: the server's
    /// resident memory before and at its peak during the upload (MiB).
    pub upload_rss: Option<(f64, f64)>,
}

/// Signs `username` in through the API; returns the session cookie value.
pub async fn sign_in(base: &str, username: &str, totp: Option<String>) -> anyhow::Result<String> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": PASSWORD, "totp": totp}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status() == 201,
        "sign-in of {username}: HTTP {}",
        res.status()
    );
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{SESSION_COOKIE}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("no session cookie")
}

/// The demo administrator's TOTP code for now.
pub fn admin_totp() -> anyhow::Result<String> {
    use tongban_domain::identity::totp;
    let secret = totp::base32_decode(tongban_core::demo::DEMO_TOTP_SECRET)
        .context("the demo TOTP secret")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(totp::code_at(&secret, totp::step_of(i64::try_from(now)?)))
}

/// Fixtures from the database (before the nodes start): items, themes and
/// one draft per client. Sessions are added by [`sign_in_fixtures`].
pub async fn db_fixtures(seeder: &Seeder, clients: usize) -> anyhow::Result<Shared> {
    seeder.register_clients().await?;
    let applying = seeder.applying().await?;
    Ok(Shared {
        apply_items: applying.apply,
        draft_items: applying.drafts,
        big_material: applying.big,
        task_codes: seeder.task_codes().await?,
        themes: seeder.themes().await?,
        accounts: seeder.account_count().await?,
        drafts: seeder.drafts(clients).await?,
        token_path: "/oauth/token".into(),
        ..Shared::default()
    })
}

/// Signs in the citizens and the administrator at `base`, and has the
/// provider make its signing keys (first use) before any clock starts.
pub async fn sign_in_fixtures(shared: &mut Shared, base: &str) -> anyhow::Result<()> {
    let jwks = reqwest::get(format!("{base}/oauth/jwks")).await?;
    anyhow::ensure!(jwks.status() == 200, "JWKS: HTTP {}", jwks.status());
    shared.citizen_sessions.clear();
    for i in 0..SESSIONS.min(shared.accounts.max(1)) {
        shared
            .citizen_sessions
            .push(sign_in(base, &bench_username(i), None).await?);
    }
    shared.admin_session = sign_in(base, "admin", Some(admin_totp()?)).await?;
    shared.clerk_session = sign_in(base, "clerk", Some(admin_totp()?)).await?;
    shared.applicant_session = sign_in(base, "citizen", None).await?;
    shared.enterprise_session = sign_in(base, "enterprise", None).await?;
    application_drafts(shared, base).await
}

/// Starts a draft of item `code` through the API with a session; its id.
async fn start_draft(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    code: &str,
) -> anyhow::Result<String> {
    let res = http
        .post(format!("{base}/api/v1/applications"))
        .header(
            reqwest::header::COOKIE,
            format!("{SESSION_COOKIE}={session}"),
        )
        .json(&serde_json::json!({"item": code}))
        .send()
        .await?;
    let status = res.status();
    if status != 201 {
        let problem = res.text().await.unwrap_or_default();
        anyhow::bail!("a draft of {code}: HTTP {status}: {problem}");
    }
    let body: serde_json::Value = res.json().await?;
    Ok(body["id"].as_str().context("no draft id")?.to_owned())
}

/// One application draft of the demo citizen per editing client (as many
/// as the seeded draft versions), spread over the items with a text
/// question, made through the API.
async fn application_drafts(shared: &mut Shared, base: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !shared.draft_items.is_empty(),
        "no demo item has a form with a text question"
    );
    shared.application_drafts.clear();
    let http = reqwest::Client::new();
    for i in 0..shared.drafts.len().max(1) {
        let (code, key) = &shared.draft_items[i % shared.draft_items.len()];
        let id = start_draft(&http, base, &shared.applicant_session, code).await?;
        shared.application_drafts.push((id, key.clone()));
    }
    Ok(())
}

struct Dataset {
    launch: Launch,
    shared: Shared,
    items: usize,
    accounts: usize,
}

impl Dataset {
    async fn grow(
        &mut self,
        items: usize,
        accounts: usize,
        clients: usize,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let seeder = Seeder::open(&self.launch.url()).await?;
        let t = std::time::Instant::now();
        seeder.grow_items(items).await?;
        let items_secs = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        seeder.grow_accounts(accounts).await?;
        let accounts_secs = t.elapsed().as_secs_f64();
        if items > self.items {
            report.seeding.push((
                format!("{} → {} items (import, published)", self.items, items),
                items_secs,
            ));
        }
        if accounts > self.accounts {
            report.seeding.push((
                format!("{} → {} accounts", self.accounts, accounts),
                accounts_secs,
            ));
        }
        self.shared = db_fixtures(&seeder, clients).await?;
        self.items = seeder.item_count().await?;
        self.accounts = seeder.account_count().await?;
        seeder.close().await;
        Ok(())
    }
}

async fn mix_run(
    label: &str,
    nodes: &[Node],
    shared: &Shared,
    clients: usize,
    seconds: u64,
    (items, accounts): (usize, usize),
    pace: Option<f64>,
) -> anyhow::Result<MixRun> {
    let spec = RunSpec {
        clients,
        duration: Duration::from_secs(seconds),
        warmup: Duration::from_secs(2),
        bases: nodes.iter().map(|n| n.base.clone()).collect(),
        pace,
    };
    let pids: Vec<u32> = nodes
        .iter()
        .map(Node::pid)
        .chain([std::process::id()])
        .collect();
    let watch = Watch::start(&pids);
    let result = load::run(&ops::mix(), Arc::new(shared.clone()), &spec).await?;
    let mut usage = watch.finish();
    let client = usage.pop().context("usage of the load tool")?;
    eprintln!(
        "  {label}: {:.0} req/s, p99 {:.1} ms, {} errors",
        result.all().count() as f64 / result.seconds,
        result.all().quantile_ms(0.99),
        result.error_count()
    );
    for (op, (n, why)) in &result.errors {
        eprintln!("    {op}: {n} errors, first: {why}");
    }
    Ok(MixRun {
        label: label.to_owned(),
        items,
        accounts,
        result,
        usage,
        client,
    })
}

async fn isolated(op: Op, base: &str, shared: &Shared, o: &Options) -> anyhow::Result<RunResult> {
    let spec = RunSpec {
        clients: o.connections,
        duration: Duration::from_secs((o.seconds / 2).max(1)),
        warmup: Duration::from_secs(1),
        bases: vec![base.to_owned()],
        pace: None,
    };
    load::run(&[op], Arc::new(shared.clone()), &spec).await
}

/// Runs everything and returns the report.
pub async fn run(o: &Options) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let data = tempfile::Builder::new()
        .prefix("tongban-bench-")
        .tempdir()?;
    let launch = Launch {
        binary: o.binary.clone(),
        data_dir: data.path().join("sqlite"),
        database_url: None,
    };
    eprintln!(
        "seeding the demo on SQLite in {}",
        launch.data_dir.display()
    );
    launch.seed_demo().await?;
    let mut ds = Dataset {
        launch,
        shared: Shared::default(),
        items: 0,
        accounts: 0,
    };
    let first_accounts = *o.accounts.first().context("no account counts")?;
    // The item curve at the first account count, then the account curve at
    // the largest catalog; the second item point is the detailed one.
    let mut points: Vec<(usize, usize, bool)> = o
        .items
        .iter()
        .enumerate()
        .map(|(k, &items)| (items, first_accounts, k == 1 || o.items.len() == 1))
        .collect();
    let last_items = *o.items.last().context("no item counts")?;
    points.extend(o.accounts.iter().skip(1).map(|&a| (last_items, a, false)));
    let mut port = o.port;
    for (items, accounts, detailed) in points {
        eprintln!("scale point: {items} items, {accounts} accounts");
        ds.grow(items, accounts, o.clients, &mut report).await?;
        let node = ds.launch.start(port).await?;
        sign_in_fixtures(&mut ds.shared, &node.base).await?;
        let size = (ds.items, ds.accounts);
        let run = mix_run(
            &format!("SQLite, {} items, {} accounts", ds.items, ds.accounts),
            std::slice::from_ref(&node),
            &ds.shared,
            o.clients,
            o.seconds,
            size,
            None,
        )
        .await?;
        eprintln!("{}", per_step(&run));
        // What the same clients get when offered half the load they managed.
        let half =
            (run.result.ops.values().sum::<u64>() as f64 / run.result.seconds / 2.0).max(1.0);
        report.scale.push(run);
        if detailed {
            let paced = mix_run(
                &format!(
                    "SQLite, {} items, paced at {half:.0} operations/s",
                    ds.items
                ),
                std::slice::from_ref(&node),
                &ds.shared,
                o.clients,
                o.seconds,
                size,
                Some(half),
            )
            .await?;
            eprintln!("{}", per_step(&paced));
            report.paced = Some((half, paced));
            let shared = ds.shared.clone();
            isolated_rounds(o, &node, &shared, &mut report).await?;
            report.draft_paced = Some(draft_paced(o, &node, &shared, &report).await?);
            if o.peer {
                peer_rounds(o, &node, &shared, port + 50, &mut report).await?;
            }
        }
        node.stop().await?;
        if detailed {
            // On a node just started, so the allocator has no memory freed
            // by earlier runs to hand out again.
            let fresh = ds.launch.start(port + 70).await?;
            report.upload_rss = Some(upload_rss(&fresh, &ds.shared).await?);
            eprintln!(
                "  50 MB upload: RSS {:?} MiB (before, peak)",
                report.upload_rss
            );
            fresh.stop().await?;
        }
        port += 1;
    }
    eprintln!("storage limit: SQLite");
    report
        .storage
        .push(storage::sqlite(data.path(), Duration::from_secs((o.seconds / 2).max(1))).await?);
    eprintln!("applying: submissions against their limits (SQLite)");
    report.applying = Some(
        crate::applying::sqlite(data.path(), Duration::from_secs((o.seconds / 2).max(1))).await?,
    );
    if let Some(pg) = &o.pg {
        postgres(o, pg, data.path(), port, &mut report).await?;
    }
    Ok(report)
}

/// Streams a 50 MB PDF into a new draft's material on an idle node, in
/// 64 KiB pieces, sampling the server's resident memory every 5 ms:
/// (before, peak) in MiB.
async fn upload_rss(node: &Node, shared: &Shared) -> anyhow::Result<(f64, f64)> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    const SIZE: usize = 50 * 1024 * 1024;
    const PIECE: usize = 64 * 1024;
    let (code, material) = shared
        .big_material
        .clone()
        .context("no demo material takes 50 MB files")?;
    let http = reqwest::Client::new();
    let cookie = format!("{SESSION_COOKIE}={}", shared.enterprise_session);
    let id = start_draft(&http, &node.base, &shared.enterprise_session, &code).await?;
    // One small upload first, so the measure is of streaming 50 MB and not
    // of the first use of the upload path.
    let url = format!(
        "{}/api/v1/applications/{id}/materials/{material}/files?name=drawing.pdf",
        node.base
    );
    let warm = http
        .post(&url)
        .header(reqwest::header::COOKIE, &cookie)
        .body(crate::ops::scan(0))
        .send()
        .await?;
    anyhow::ensure!(
        warm.status() == 201,
        "the warm-up upload: HTTP {}",
        warm.status()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = node.pid();
    let before = crate::server::rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(crate::server::rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    // A well-formed PDF: its head, pseudo-random pieces (nothing
    // compresses or repeats) as its content stream, then its tail.
    let data = SIZE - 64 * 1024;
    let (head, tail) = crate::ops::pdf_frame(data);
    let pieces = futures::stream::iter(
        std::iter::once(head)
            .chain((0..data / PIECE).map(|i| crate::ops::noise(PIECE, i as u64)))
            .chain((!data.is_multiple_of(PIECE)).then(|| crate::ops::noise(data % PIECE, u64::MAX)))
            .chain(std::iter::once(tail))
            .map(Ok::<_, std::io::Error>),
    );
    let res = http
        .post(&url)
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::CONTENT_TYPE, "application/pdf")
        .body(reqwest::Body::wrap_stream(pieces))
        .send()
        .await?;
    let status = res.status();
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    anyhow::ensure!(
        status == 201,
        "the 50 MB upload: HTTP {status}: {}",
        res.text().await.unwrap_or_default()
    );
    let mib = |k: u64| k as f64 / 1024.0;
    Ok((mib(before), mib(peak.load(Ordering::Relaxed))))
}

/// Draft saves alone at half the rate they reached alone (median of the
/// isolated rounds), from the same connections, paced (open loop).
async fn draft_paced(
    o: &Options,
    node: &Node,
    shared: &Shared,
    report: &Report,
) -> anyhow::Result<(f64, RunResult)> {
    let rounds = &report
        .isolated
        .iter()
        .find(|(n, _)| n == "draft_save")
        .context("no isolated draft_save run")?
        .1;
    let mut rates: Vec<f64> = rounds
        .iter()
        .map(|(_, r)| r.ops.values().sum::<u64>() as f64 / r.seconds)
        .collect();
    rates.sort_by(f64::total_cmp);
    let half = (rates[rates.len() / 2] / 2.0).max(1.0);
    let spec = RunSpec {
        clients: o.connections,
        duration: Duration::from_secs(o.seconds),
        warmup: Duration::from_secs(1),
        bases: vec![node.base.clone()],
        pace: Some(half),
    };
    let op = ops::only("draft_save").context("draft_save op")?;
    let run = load::run(&[op], Arc::new(shared.clone()), &spec).await?;
    eprintln!(
        "  draft_save alone paced at {half:.0}/s: p99 {:.1} ms, {} errors",
        run.steps
            .get("draft_save")
            .map_or(0.0, |l| l.quantile_ms(0.99)),
        run.error_count()
    );
    Ok((half, run))
}

async fn isolated_rounds(
    o: &Options,
    node: &Node,
    shared: &Shared,
    report: &mut Report,
) -> anyhow::Result<()> {
    let healthz = ops::only("healthz").context("healthz op")?;
    for name in ISOLATED {
        let op = ops::only(name).with_context(|| format!("no operation {name}"))?;
        let mut rounds = Vec::new();
        for _ in 0..o.rounds {
            let limit = isolated(healthz, &node.base, shared, o).await?;
            let r = isolated(op, &node.base, shared, o).await?;
            rounds.push((limit.rate("healthz"), r));
        }
        let last = &rounds[rounds.len() - 1].1;
        eprintln!(
            "  {name}: {:.0} ops/s, {} errors",
            last.ops.values().sum::<u64>() as f64 / last.seconds,
            last.error_count()
        );
        report.isolated.push(((*name).to_owned(), rounds));
    }
    Ok(())
}

async fn peer_rounds(
    o: &Options,
    node: &Node,
    shared: &Shared,
    port: u16,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!("installing node oidc-provider 9 for the peer comparison");
    let peer = Peer::start(port).await?;
    report.peer_version = peer.version.clone();
    let op = ops::only("client_credentials").context("client_credentials op")?;
    let mut theirs_shared = shared.clone();
    theirs_shared.token_path = "/token".into();
    for _ in 0..o.rounds {
        let ours = isolated(op, &node.base, shared, o).await?;
        let theirs = isolated(op, &peer.base, &theirs_shared, o).await?;
        anyhow::ensure!(
            theirs.error_count() == 0,
            "the peer failed: {:?}",
            theirs.errors
        );
        report.peer.push((
            ours.rate("client_credentials"),
            theirs.rate("client_credentials"),
        ));
    }
    peer.stop().await;
    Ok(())
}

async fn postgres(
    o: &Options,
    admin_url: &str,
    dir: &std::path::Path,
    port: u16,
    report: &mut Report,
) -> anyhow::Result<()> {
    let stamp = std::process::id();
    let mut admin = sqlx::PgConnection::connect(admin_url).await?;
    let db_url = |name: &str| -> anyhow::Result<String> {
        let mut u = reqwest::Url::parse(admin_url)?;
        u.set_path(&format!("/{name}"));
        Ok(u.to_string())
    };
    let storage_db = format!("tongban_bench_storage_{stamp}");
    let platform_db = format!("tongban_bench_{stamp}");
    for name in [&storage_db, &platform_db] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
    }
    eprintln!("storage limit: PostgreSQL");
    let limit = storage::postgres(
        &db_url(&storage_db)?,
        Duration::from_secs((o.seconds / 2).max(1)),
    )
    .await;
    let runs = async {
        report.storage.push(limit?);
        let launch = Launch {
            binary: o.binary.clone(),
            data_dir: dir.join("pg"),
            database_url: Some(db_url(&platform_db)?),
        };
        launch.seed_demo().await?;
        let mut ds = Dataset {
            launch,
            shared: Shared::default(),
            items: 0,
            accounts: 0,
        };
        let items = o.items.get(1).or(o.items.first()).copied().unwrap_or(1000);
        let accounts = o.accounts.first().copied().unwrap_or(1000);
        eprintln!("PostgreSQL: {items} items, {accounts} accounts");
        ds.grow(items, accounts, o.clients, report).await?;
        let a = ds.launch.start(port).await?;
        sign_in_fixtures(&mut ds.shared, &a.base).await?;
        let size = (ds.items, ds.accounts);
        let one = mix_run(
            "PostgreSQL, one node",
            std::slice::from_ref(&a),
            &ds.shared,
            o.clients,
            o.seconds,
            size,
            None,
        )
        .await?;
        let b = ds.launch.start(port + 1).await?;
        let nodes = [a, b];
        let two = mix_run(
            "PostgreSQL, two nodes",
            &nodes,
            &ds.shared,
            o.clients,
            o.seconds,
            size,
            None,
        )
        .await?;
        report.pg.push(one);
        report.pg.push(two);
        for n in nodes {
            n.stop().await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    for name in [&storage_db, &platform_db] {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
    }
    runs
}

mod report;

use report::per_step;
pub use report::{render, splice};
