//! `tongban-bench`: runs the benchmark of `BENCHMARKS.md` and rewrites its
//! figures.

use std::path::PathBuf;

use clap::Parser;
use tongban_bench::suite::{self, Options};

/// Load runs against real tongban processes on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "tongban-bench", version)]
struct Cli {
    /// The tongban binary to run (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/tongban")]
    binary: PathBuf,
    /// PostgreSQL server URL (a user that may create databases); the
    /// PostgreSQL runs are left out without it.
    #[arg(long, env = "TONGBAN_BENCH_PG")]
    pg: Option<String>,
    /// Measured seconds per mix run (isolated runs take half).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Virtual clients of the mix.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Connections of the isolated runs and the peer comparison.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Interleaved rounds of the isolated runs and the peer comparison.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Item counts of the scale curve, ascending.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    items: Vec<usize>,
    /// Account counts, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    accounts: Vec<usize>,
    /// First port to listen on.
    #[arg(long, default_value_t = 18100)]
    port: u16,
    /// Leave out the node oidc-provider comparison.
    #[arg(long)]
    no_peer: bool,
    /// The report to rewrite (between its figure markers); printed to
    /// standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only the in-process runs of submitting applications and their
    /// storage limits (SQLite), printed; no server is started.
    #[arg(long)]
    only_applying: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.only_applying {
        let dir = tempfile::tempdir()?;
        let secs = std::time::Duration::from_secs((cli.seconds / 2).max(1));
        let report = suite::Report {
            storage: vec![tongban_bench::storage::sqlite(dir.path(), secs).await?],
            applying: Some(tongban_bench::applying::sqlite(dir.path(), secs).await?),
            ..suite::Report::default()
        };
        print!("{}", suite::render(&Options::default(), &report));
        return Ok(());
    }
    anyhow::ensure!(
        cli.binary.exists(),
        "{} does not exist: build it with `cargo build --release -p tongban`",
        cli.binary.display()
    );
    anyhow::ensure!(
        cli.items.windows(2).all(|w| w[0] < w[1]) && cli.accounts.windows(2).all(|w| w[0] < w[1]),
        "--items and --accounts must be ascending"
    );
    let o = Options {
        binary: cli.binary,
        pg: cli.pg,
        seconds: cli.seconds,
        clients: cli.clients,
        connections: cli.connections,
        rounds: cli.rounds.max(1),
        items: cli.items,
        accounts: cli.accounts,
        port: cli.port,
        peer: !cli.no_peer,
    };
    let report = suite::run(&o).await?;
    let section = suite::render(&o, &report);
    match cli.out {
        Some(path) => {
            let doc = std::fs::read_to_string(&path)?;
            std::fs::write(&path, suite::splice(&doc, &section)?)?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{section}"),
    }
    Ok(())
}
