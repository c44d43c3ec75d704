//! `tongban`: the one binary. Serves the platform and runs its background
//! jobs; also migrates, seeds, backs up and restores.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tongban_core::platform::config::{Config, redact_url};
use tongban_core::platform::db::DbOptions;
use tongban_core::platform::{backup, outbox, worker};
use tongban_core::{Db, demo};
use tongban_web::AppState;

/// 通办 — integrated online government services.
#[derive(Debug, Parser)]
#[command(
    name = "tongban",
    version,
    about = "通办 tongban — integrated online government services platform"
)]
struct Cli {
    /// Configuration file (default: ./tongban.toml if it exists).
    #[arg(long, global = true, env = "TONGBAN_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (sqlite:… or postgres://…); overrides the config file.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data folder for the SQLite file and stored files.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform: portal, workbench, API and background jobs.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Load the Harbin demo data into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load data.
    Seed {
        /// Load the Harbin demo data (only into an empty database).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Write a consistent backup while the platform keeps running.
    Backup {
        /// Backup file to create.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup (stop the platform first).
    Restore {
        /// Backup file to read.
        #[arg(long)]
        from: PathBuf,
        /// Overwrite a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Signing keys of the identity provider.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// List the published keys.
    List,
    /// Replace the active key of an algorithm; the old key stays published
    /// until tokens it signed have expired (running nodes pick the new key
    /// up within a minute).
    Rotate {
        /// ES256 or RS256.
        #[arg(long, default_value = "ES256")]
        alg: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Validate the configuration and print it (passwords masked).
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("TONGBAN_"))
        .collect();
    let mut cfg = Config::load(cli.config.as_deref(), &env)?;
    if let Some(url) = &cli.database_url {
        cfg.database_url = url.clone();
    }
    if let Some(dir) = &cli.data_dir {
        cfg.data_dir = dir.clone();
    }
    if let Command::Serve {
        listen: Some(l), ..
    } = &cli.command
    {
        cfg.listen = *l;
    }
    cfg.validate()?;
    Ok(cfg)
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if cfg.log.format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Makes sure the data folder exists and can be written, before anything
/// else touches it.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create data folder {} (choose another with --data-dir)",
            dir.display()
        )
    })?;
    let probe = dir.join(".tongban-write-check");
    std::fs::write(&probe, b"ok").with_context(|| {
        format!(
            "data folder {} is not writable (choose another with --data-dir)",
            dir.display()
        )
    })?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}

async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    let url = cfg.effective_database_url();
    if cfg.database_url.is_empty() {
        prepare_data_dir(&cfg.data_dir)?;
    }
    let opts = DbOptions {
        max_connections: cfg.db.max_connections,
        max_batch: cfg.db.max_batch,
        ..DbOptions::default()
    };
    let db = Db::connect(&url, opts).await.with_context(|| {
        format!(
            "cannot connect to the database at {} (check --database-url)",
            redact_url(&url)
        )
    })?;
    db.migrate().await.context("database migration failed")?;
    // Data upgrades that SQL cannot write once for both engines.
    let upgraded = tongban_core::catalog::materials::upgrade_codes(&db)
        .await
        .context("giving material codes to stored guides failed")?;
    if upgraded > 0 {
        tracing::info!(versions = upgraded, "material codes given to stored guides");
    }
    Ok(db)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = load_config(&cli)?;
    init_logging(&cfg);
    match cli.command {
        Command::Serve { demo, .. } => serve(cfg, demo).await,
        Command::Migrate => {
            let db = open_db(&cfg).await?;
            db.close().await;
            println!(
                "migrations applied to {}",
                redact_url(&cfg.effective_database_url())
            );
            Ok(())
        }
        Command::Seed { .. } => {
            let db = open_db(&cfg).await?;
            let loaded = demo::seed(&db)
                .await
                .context("loading the demo data failed")?;
            seed_sealed(&db, &cfg).await?;
            db.close().await;
            println!(
                "{}",
                if loaded {
                    "demo data loaded"
                } else {
                    "database already has data; nothing loaded"
                }
            );
            Ok(())
        }
        Command::Backup { to } => {
            backup::backup(&cfg.effective_database_url(), &to).await?;
            println!("backup written to {}", to.display());
            Ok(())
        }
        Command::Restore { from, force } => {
            let url = cfg.effective_database_url();
            if cfg.database_url.is_empty() {
                prepare_data_dir(&cfg.data_dir)?;
            }
            backup::restore(&url, &from, force).await?;
            println!("restored {} into {}", from.display(), redact_url(&url));
            Ok(())
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            print!("{}", cfg.to_redacted_toml());
            println!("# configuration is valid");
            Ok(())
        }
        Command::Keys { action } => {
            let db = open_db(&cfg).await?;
            let ring = match action {
                KeysAction::List => tongban_core::identity::oidc::KeyRing::load(&db).await?,
                KeysAction::Rotate { alg } => {
                    let alg = tongban_core::identity::oidc::Alg::parse(&alg)
                        .ok_or_else(|| anyhow::anyhow!("--alg must be ES256 or RS256"))?;
                    // Tokens live ten minutes; keep the old key an hour to be safe.
                    tongban_core::identity::oidc::KeyRing::rotate(&db, alg, 3_600_000).await?
                }
            };
            db.close().await;
            for k in ring.jwks()["keys"].as_array().into_iter().flatten() {
                println!(
                    "{} {}",
                    k["alg"].as_str().unwrap_or(""),
                    k["kid"].as_str().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}

/// How long requests in flight may run on after a stop signal.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

async fn serve(cfg: Config, with_demo: bool) -> anyhow::Result<()> {
    // Bind first: a port in use is the most common start-up failure and
    // should be reported before anything is written.
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another process using it? choose another with --listen)",
                cfg.listen
            )
        })?;
    let mut cfg = cfg;
    if let Ok(bound) = listener.local_addr()
        && cfg.settle_public_url(bound)
        && !with_demo
    {
        tracing::warn!(
            issuer = %cfg.public_url,
            "public_url is not set: the issuer and links use the listening address; \
             set public_url (TONGBAN_PUBLIC_URL) to the address people and systems use"
        );
    }
    let db = open_db(&cfg).await?;
    if with_demo {
        let loaded = demo::seed(&db)
            .await
            .context("loading the demo data failed")?;
        if loaded {
            tracing::info!("demo data loaded");
        }
        seed_sealed(&db, &cfg).await?;
        println!("demo accounts (password {}):", demo::DEMO_PASSWORD);
        for (name, what) in demo::DEMO_ACCOUNTS {
            println!("  {name:<11} {what}");
        }
        println!(
            "staff also give a one-time code from the TOTP secret {}",
            demo::DEMO_TOTP_SECRET
        );
        println!(
            "demo relying party: client id {}, secret {}, redirect URI {}",
            demo::DEMO_RP_ID,
            demo::DEMO_RP_SECRET,
            demo::DEMO_RP_REDIRECT
        );
    }
    let state = AppState::new(db.clone(), cfg.clone(), with_demo)
        .context("starting the application (search index, mail settings) failed")?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = if cfg.jobs.enabled {
        // Each capability declares its jobs; the node runs them all.
        let registry = tongban_web::jobs(&state)
            .await
            .context("registering background jobs failed")?;
        let opts = worker::WorkerOptions {
            name: format!("{}-{}", hostname(), std::process::id()),
            poll: Duration::from_millis(cfg.jobs.poll_ms),
            concurrency: cfg.jobs.concurrency,
            lease: Duration::from_secs(300),
        };
        Some(tokio::spawn(worker::run_worker(
            db.clone(),
            registry,
            outbox::Routes::default(),
            opts,
            stop_rx,
        )))
    } else {
        None
    };
    // The search index is built before the first request is answered, so
    // that no search waits for it (about 5 s with 100,000 published items).
    let building = std::time::Instant::now();
    state
        .search()
        .await
        .map_err(|e| anyhow::anyhow!("building the search index failed: {e:?}"))?;
    tracing::info!(
        elapsed_ms = building.elapsed().as_millis() as u64,
        "search index built"
    );
    let app = tongban_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let addr = listener.local_addr().unwrap_or(cfg.listen);
    println!("tongban listening on http://{addr}");
    tracing::info!(listen = %addr, database = %redact_url(&cfg.effective_database_url()), "tongban started");
    // Shutdown takes bounded time whatever the database does: requests in
    // flight get a few seconds to finish, then the worker, then the pool.
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            signalled.notify_one();
        })
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r.context("server failed")?,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_DRAIN).await;
        } => tracing::warn!("requests still running after the drain period; stopping anyway"),
    }
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    if let Some(w) = worker
        && tokio::time::timeout(Duration::from_secs(3), w)
            .await
            .is_err()
    {
        tracing::warn!("background jobs did not stop in time");
    }
    if tokio::time::timeout(Duration::from_secs(2), db.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections did not close in time");
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "node".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The demo's sealed data (the citizen's ID number, the staff TOTP secret),
/// sealed with this installation's data key; then the demo applications,
/// which read it.
async fn seed_sealed(db: &tongban_core::Db, cfg: &Config) -> anyhow::Result<()> {
    let key = tongban_core::platform::crypto::DataKey::load(&cfg.identity.data_key, &cfg.data_dir)
        .context("loading the data key failed")?;
    demo::seed_sealed(db, &key)
        .await
        .context("recording the demo sealed data failed")?;
    let made = demo::seed_cases(
        db,
        &demo::CaseSetting {
            key: &key,
            data_dir: &cfg.data_dir,
            case_number: &cfg.applications.case_number,
            starts: cfg.calendar.period_starts,
        },
    )
    .await
    .context("making the demo applications failed")?;
    if made > 0 {
        tracing::info!(applications = made, "demo applications made");
    }
    Ok(())
}
