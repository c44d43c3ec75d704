//! The whole benchmark: every run of `BENCHMARKS.md`, in order, and the
//! report. See that file for the method.

use std::fmt::Write as _;
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
    "sign_in",
];

/// What to run.
#[derive(Debug, Clone)]
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
    Ok(Shared {
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
            if o.peer {
                peer_rounds(o, &node, &shared, port + 50, &mut report).await?;
            }
        }
        node.stop().await?;
        port += 1;
    }
    eprintln!("storage limit: SQLite");
    report
        .storage
        .push(storage::sqlite(data.path(), Duration::from_secs((o.seconds / 2).max(1))).await?);
    if let Some(pg) = &o.pg {
        postgres(o, pg, data.path(), port, &mut report).await?;
    }
    Ok(report)
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

/// One run's table, for the console.
fn per_step(run: &MixRun) -> String {
    let mut out = String::new();
    mix_table(&mut out, run);
    out
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn range(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(0.0, f64::max);
    format!("{lo:.0}–{hi:.0}")
}

fn mix_table(out: &mut String, run: &MixRun) {
    let r = &run.result;
    let _ = writeln!(
        out,
        "| request | req/s | p50 ms | p95 ms | p99 ms | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (step, l) in &r.steps {
        let op_errors: u64 = r
            .errors
            .iter()
            .filter(|(op, _)| step_of_op(op, step))
            .map(|(_, (n, _))| *n)
            .sum();
        let _ = writeln!(
            out,
            "| {step} | {:.0} | {} | {} | {} | {op_errors} |",
            l.count() as f64 / r.seconds,
            ms(l.quantile_ms(0.5)),
            ms(l.quantile_ms(0.95)),
            ms(l.quantile_ms(0.99)),
        );
    }
    let all = r.all();
    let _ = writeln!(
        out,
        "| **all** | **{:.0}** | {} | {} | **{}** | **{}** |",
        all.count() as f64 / r.seconds,
        ms(all.quantile_ms(0.5)),
        ms(all.quantile_ms(0.95)),
        ms(all.quantile_ms(0.99)),
        r.error_count()
    );
    let nodes: Vec<String> = run
        .usage
        .iter()
        .map(|u| format!("{:.2} cores, peak RSS {:.0} MiB", u.cores, u.peak_rss_mib))
        .collect();
    let _ = writeln!(
        out,
        "\nServer: {}. Load tool: {:.2} cores.",
        nodes.join("; "),
        run.client.cores
    );
    for (op, (n, why)) in &r.errors {
        let _ = writeln!(out, "\nErrors of `{op}`: {n}; the first: `{why}`");
    }
}

/// Whether a mix run meets issue 5's target: p99 ≤ 50 ms, no errors.
fn verdict(out: &mut String, run: &MixRun) {
    let p99 = run.result.all().quantile_ms(0.99);
    let errors = run.result.error_count();
    let met = p99 <= 50.0 && errors == 0;
    let _ = writeln!(
        out,
        "\nTarget (p99 ≤ 50 ms, no errors): **{}** (p99 {} ms, {errors} errors).\n",
        if met { "met" } else { "not met" },
        ms(p99),
    );
}

/// Which request steps an operation makes.
fn step_of_op(op: &str, step: &str) -> bool {
    match op {
        "oidc" => step == "authorize" || step == "token_code",
        "admin_edit" => step == "edit_open" || step == "edit_save",
        other => other == step,
    }
}

/// The generated section of `BENCHMARKS.md`.
pub fn render(o: &Options, r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run on {} ({} cores), mix at {} clients for {} s per run after a 2 s warm-up; isolated runs at {} connections, {} interleaved rounds.\n",
        host(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        o.clients,
        o.seconds,
        o.connections,
        o.rounds
    );
    if let Some(target) = r.scale.get(1).or(r.scale.first()) {
        let _ = writeln!(
            out,
            "### The mix at {} clients: {}\n",
            o.clients, target.label
        );
        mix_table(&mut out, target);
        verdict(&mut out, target);
    }
    if let Some((rate, run)) = &r.paced {
        let _ = writeln!(
            out,
            "### The same mix and clients, paced at {rate:.0} operations/s (half the rate above)\n"
        );
        let _ = writeln!(
            out,
            "Each client starts its operations on a fixed schedule; latency counts from the scheduled start.\n"
        );
        mix_table(&mut out, run);
        verdict(&mut out, run);
    }
    if !r.isolated.is_empty() {
        let _ = writeln!(out, "### Each operation alone, against the HTTP limit\n");
        let _ = writeln!(
            out,
            "`/healthz` (the bare handler on the same stack) runs before each operation in every round; the ratio is the operation's rate over that round's `/healthz` rate, median of the rounds.\n"
        );
        let _ = writeln!(
            out,
            "| operation | requests | ops/s (median, range) | p99 ms | `/healthz` req/s | ratio | errors |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
        for (name, rounds) in &r.isolated {
            let rates: Vec<f64> = rounds
                .iter()
                .map(|(_, res)| res.ops.values().sum::<u64>() as f64 / res.seconds)
                .collect();
            let ratios: Vec<f64> = rounds
                .iter()
                .zip(&rates)
                .map(|((h, _), rate)| rate / h.max(1.0))
                .collect();
            let limits: Vec<f64> = rounds.iter().map(|(h, _)| *h).collect();
            let last = &rounds[rounds.len() - 1].1;
            let steps: Vec<&str> = last.steps.keys().copied().collect();
            let p99 = last.all().quantile_ms(0.99);
            let errors: u64 = rounds.iter().map(|(_, res)| res.error_count()).sum();
            let _ = writeln!(
                out,
                "| {name} | {} | {:.0} ({}) | {} | {:.0} | {:.3} | {errors} |",
                steps.join(" + "),
                median(rates.clone()),
                range(&rates),
                ms(p99),
                median(limits),
                median(ratios),
            );
        }
        let _ = writeln!(out);
    }
    if !r.storage.is_empty() {
        let _ = writeln!(out, "### The storage limit\n");
        let _ = writeln!(
            out,
            "Durable transactions per second of the rows one code exchange writes (consume the code, store the refresh token).\n"
        );
        let _ = writeln!(
            out,
            "| database | raw, one per commit | raw, {} per commit | tongban `Db::write`, {} callers | ratio to the better raw mode |",
            storage::GROUP,
            storage::CALLERS
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for s in &r.storage {
            let _ = writeln!(
                out,
                "| {} | {:.0} ({}) | {:.0} | {:.0} | {:.2} |",
                s.engine,
                s.single,
                s.single_how,
                s.grouped,
                s.platform,
                s.platform / s.grouped.max(s.single).max(1.0)
            );
        }
        if let (Some(sqlite), Some((_, rounds))) = (
            r.storage.iter().find(|s| s.engine == "sqlite"),
            r.isolated.iter().find(|(n, _)| n == "oidc"),
        ) {
            let rate = median(
                rounds
                    .iter()
                    .map(|(_, res)| res.rate("token_code"))
                    .collect(),
            );
            let _ = writeln!(
                out,
                "\nThe code exchange over HTTP ran at {rate:.0}/s: {:.2} of the platform's SQLite write path and {:.2} of raw grouped commits.",
                rate / sqlite.platform.max(1.0),
                rate / sqlite.grouped.max(sqlite.single).max(1.0)
            );
        }
        let _ = writeln!(out);
    }
    if !r.peer.is_empty() {
        let ours: Vec<f64> = r.peer.iter().map(|p| p.0).collect();
        let theirs: Vec<f64> = r.peer.iter().map(|p| p.1).collect();
        let _ = writeln!(out, "### Peer: `client_credentials` tokens (ES256 JWT)\n");
        let _ = writeln!(
            out,
            "| | req/s per round | median |\n|---|---|---:|\n| tongban | {} | {:.0} |\n| node oidc-provider {} | {} | {:.0} |\n",
            ours.iter()
                .map(|v| format!("{v:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(ours.clone()),
            r.peer_version,
            theirs
                .iter()
                .map(|v| format!("{v:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(theirs.clone()),
        );
        let _ = writeln!(
            out,
            "Ratio tongban / oidc-provider: **{:.2}** (target ≥ 2).\n",
            median(ours) / median(theirs).max(1.0)
        );
    }
    if !r.scale.is_empty() {
        let _ = writeln!(out, "### Scale curve (SQLite, the same mix)\n");
        let cols = [
            "guide",
            "theme",
            "search",
            "home",
            "me",
            "authorize",
            "token_code",
            "edit_save",
            "sign_in",
        ];
        let _ = writeln!(
            out,
            "p50 / p99 in ms per request; the mix's throughput; the server's peak memory.\n"
        );
        let _ = write!(out, "| items | accounts |");
        for c in cols {
            let _ = write!(out, " {c} |");
        }
        let _ = writeln!(out, " all req/s | errors | RSS MiB |");
        let _ = writeln!(
            out,
            "|---:|---:|{}---:|---:|---:|",
            "---|".repeat(cols.len())
        );
        for s in &r.scale {
            let _ = write!(out, "| {} | {} |", s.items, s.accounts);
            for c in cols {
                match s.result.steps.get(c) {
                    Some(l) => {
                        let _ = write!(
                            out,
                            " {} / {} |",
                            ms(l.quantile_ms(0.5)),
                            ms(l.quantile_ms(0.99))
                        );
                    }
                    None => {
                        let _ = write!(out, " – |");
                    }
                }
            }
            let _ = writeln!(
                out,
                " {:.0} | {} | {:.0} |",
                s.result.all().count() as f64 / s.result.seconds,
                s.result.error_count(),
                s.usage.iter().map(|u| u.peak_rss_mib).fold(0.0, f64::max)
            );
        }
        let _ = writeln!(out);
    }
    for run in &r.pg {
        let _ = writeln!(
            out,
            "### {} ({} items, {} accounts)\n",
            run.label, run.items, run.accounts
        );
        mix_table(&mut out, run);
        let _ = writeln!(out);
    }
    if r.pg.len() == 2 {
        let rate = |m: &MixRun| m.result.all().count() as f64 / m.result.seconds;
        let _ = writeln!(
            out,
            "Two nodes / one node throughput: {:.2}; total server CPU {:.2} vs {:.2} cores.\n",
            rate(&r.pg[1]) / rate(&r.pg[0]).max(1.0),
            r.pg[1].usage.iter().map(|u| u.cores).sum::<f64>(),
            r.pg[0].usage.iter().map(|u| u.cores).sum::<f64>(),
        );
    }
    if !r.seeding.is_empty() {
        let _ = writeln!(out, "### Seeding\n");
        for (what, secs) in &r.seeding {
            let _ = writeln!(out, "- {what}: {secs:.1} s");
        }
        let _ = writeln!(out);
    }
    out
}

fn host() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "this machine".into())
}

/// Replaces the generated section of `BENCHMARKS.md` (between the markers)
/// with `section`.
pub fn splice(doc: &str, section: &str) -> anyhow::Result<String> {
    const BEGIN: &str = "<!-- figures: begin (written by tongban-bench) -->";
    const END: &str = "<!-- figures: end -->";
    let a = doc
        .find(BEGIN)
        .context("BENCHMARKS.md has no begin marker")?;
    let b = doc.find(END).context("BENCHMARKS.md has no end marker")?;
    anyhow::ensure!(a < b, "BENCHMARKS.md markers are out of order");
    Ok(format!("{}{BEGIN}\n\n{section}{}", &doc[..a], &doc[b..]))
}
