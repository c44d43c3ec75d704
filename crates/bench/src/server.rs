//! tongban processes under test: started from a release binary on
//! 127.0.0.1, watched through `/proc` for CPU time and resident memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// Where and how to run tongban.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `tongban` binary (a release build).
    pub binary: PathBuf,
    /// Data folder (SQLite file, data key, uploads).
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite in `data_dir` when `None`.
    pub database_url: Option<String>,
}

impl Launch {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--data-dir")
            .arg(&self.data_dir)
            .env("TONGBAN_LOG_LEVEL", "warn")
            .env_remove("TONGBAN_CONFIG")
            // The load's demo citizen keeps a draft per virtual client and
            // starts more in the mix: far past a person's cap of 100.
            .env("TONGBAN_APPLICATIONS_DRAFTS_PER_ACCOUNT", "10000000")
            // And uploads as many of them at once as the load makes: a
            // person's cap of 4 would refuse them (and a refused upload's
            // connection is closed, failing the next request sent on it).
            .env("TONGBAN_UPLOADS_PER_ACCOUNT", "256")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = &self.database_url {
            cmd.env("TONGBAN_DATABASE_URL", url);
        } else {
            cmd.env_remove("TONGBAN_DATABASE_URL");
        }
        cmd
    }

    /// Runs `tongban seed --demo` (migrations, the Harbin demo data and its
    /// sealed secrets), as an operator would.
    pub async fn seed_demo(&self) -> anyhow::Result<()> {
        let out = self
            .command()
            .args(["seed", "--demo"])
            .output()
            .await
            .context("running tongban seed")?;
        if !out.status.success() {
            bail!(
                "tongban seed failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// The database URL the platform uses.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| tongban_core::Db::sqlite_url(&self.data_dir.join("tongban.sqlite")))
    }

    /// Starts a node on `port` and waits until it is ready.
    pub async fn start(&self, port: u16) -> anyhow::Result<Node> {
        let child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting tongban")?;
        let pid = child.id().context("tongban exited at once")?;
        let node = Node {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
        };
        node.wait_ready().await?;
        Ok(node)
    }
}

/// A running tongban process.
pub struct Node {
    child: Child,
    pid: u32,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl Node {
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(120);
        while Instant::now() < until {
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await
                && r.status() == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("tongban at {} did not become ready", self.base)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the node (SIGTERM, then waits).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => self.child.kill().await?,
        }
        Ok(())
    }
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after ')'.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Resident memory of a process in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(format!("/proc/{pid}/status"), "VmRSS:")
}

fn status_kib(path: impl AsRef<Path>, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Watches processes during a run: CPU time used and peak resident memory.
pub struct Watch {
    pids: Vec<u32>,
    cpu_start: Vec<f64>,
    started: Instant,
    peak: Arc<Vec<AtomicU64>>,
    sampler: tokio::task::JoinHandle<()>,
}

/// What a [`Watch`] saw, per process.
#[derive(Debug, Clone)]
pub struct Usage {
    /// Cores used on average (CPU seconds per second).
    pub cores: f64,
    /// Peak resident memory, MiB.
    pub peak_rss_mib: f64,
}

impl Watch {
    /// Starts watching `pids` (sampling memory every 100 ms).
    pub fn start(pids: &[u32]) -> Self {
        let peak: Arc<Vec<AtomicU64>> = Arc::new(pids.iter().map(|_| AtomicU64::new(0)).collect());
        let sampled = peak.clone();
        let list = pids.to_vec();
        let sampler = tokio::spawn(async move {
            loop {
                for (i, pid) in list.iter().enumerate() {
                    sampled[i].fetch_max(rss_kib(*pid), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            pids: pids.to_vec(),
            cpu_start: pids.iter().map(|p| cpu_seconds(*p)).collect(),
            started: Instant::now(),
            peak,
            sampler,
        }
    }

    /// Stops and reports, per process in the order given.
    pub fn finish(self) -> Vec<Usage> {
        self.sampler.abort();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        self.pids
            .iter()
            .enumerate()
            .map(|(i, pid)| Usage {
                cores: (cpu_seconds(*pid) - self.cpu_start[i]) / secs,
                peak_rss_mib: self.peak[i].load(Ordering::Relaxed).max(rss_kib(*pid)) as f64
                    / 1024.0,
            })
            .collect()
    }
}
