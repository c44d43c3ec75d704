//! The peer for `client_credentials`: node `oidc-provider` 9, installed from
//! the npm registry into a temporary folder for the run (never committed),
//! issuing the same ES256 JWT access tokens to the same service client.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

const SCRIPT: &str = include_str!("../peer/oidc_provider_peer.mjs");

/// A running oidc-provider.
pub struct Peer {
    child: Child,
    _folder: tempfile::TempDir,
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The installed version.
    pub version: String,
}

async fn run(folder: &std::path::Path, program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(folder)
        .output()
        .await
        .with_context(|| format!("running {program} (is Node.js installed?)"))?;
    if !out.status.success() {
        bail!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Peer {
    /// Installs and starts the peer on `port`.
    pub async fn start(port: u16) -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("oidc-provider-peer-")
            .tempdir()?;
        let dir = folder.path();
        run(dir, "npm", &["init", "-y"]).await?;
        run(
            dir,
            "npm",
            &[
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "oidc-provider@9",
            ],
        )
        .await?;
        let version = run(
            dir,
            "node",
            &[
                "-p",
                "require('./node_modules/oidc-provider/package.json').version",
            ],
        )
        .await?
        .trim()
        .to_owned();
        std::fs::write(dir.join("peer.mjs"), SCRIPT)?;
        let child = Command::new("node")
            .arg("peer.mjs")
            .arg(port.to_string())
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting node")?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if http
                .get(format!("{base}/.well-known/openid-configuration"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            if Instant::now() > until {
                bail!("oidc-provider did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            child,
            _folder: folder,
            base,
            version,
        })
    }

    /// The node process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the peer.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
