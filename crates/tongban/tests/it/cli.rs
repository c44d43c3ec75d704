//! The `tongban` binary as an operator meets it: clear one-line errors,
//! demo loading, backup and restore, and durability across `kill -9`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::fresh_database;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongban"));
    c.env_remove("TONGBAN_DATABASE_URL")
        .env("TONGBAN_JOBS_POLL_MS", "100")
        .current_dir(std::env::temp_dir());
    c
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = bin().args(args).output().expect("run tongban");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[expect(
    clippy::zombie_processes,
    reason = "the Server guard kills and waits on drop"
)]
pub async fn start(url: &str, demo: bool) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--database-url", url, "--listen", &listen];
    if demo {
        args.push("--demo");
    }
    let child = bin()
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let base = format!("http://{listen}");
    let c = reqwest::Client::new();
    for _ in 0..200 {
        if c.get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Server { child, base };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

#[test]
fn bad_invocations_fail_with_one_clear_line() {
    let (ok, _, err) = run(&["serve", "--no-such-flag"]);
    assert!(!ok && err.contains("--no-such-flag"));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tongban.toml");
    std::fs::write(&cfg, "listen = [\n").unwrap();
    let (ok, _, err) = run(&["--config", cfg.to_str().unwrap(), "config", "check"]);
    assert!(!ok);
    assert!(
        err.starts_with("error: config file") && err.contains("invalid"),
        "{err}"
    );
    std::fs::write(&cfg, "[db]\nmax_batch = 0\n").unwrap();
    let (ok, _, err) = run(&["--config", cfg.to_str().unwrap(), "config", "check"]);
    assert!(!ok && err.contains("max_batch"), "{err}");
    std::fs::write(
        &cfg,
        "database_url = \"postgres://tb:secret@127.0.0.1:1/tb\"\n",
    )
    .unwrap();
    let (ok, out, _) = run(&["--config", cfg.to_str().unwrap(), "config", "check"]);
    assert!(
        ok && out.contains("postgres://tb:***@127.0.0.1:1/tb") && !out.contains("secret"),
        "{out}"
    );

    // Unreachable database: says which and how to fix it, without the password.
    let (ok, _, err) = run(&[
        "--database-url",
        "postgres://tb:secret@127.0.0.1:1/tb",
        "migrate",
    ]);
    assert!(
        !ok && err.contains("cannot connect to the database")
            && err.contains("--database-url")
            && !err.contains("secret"),
        "{err}"
    );

    // Unwritable data folder.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (ok, _, err) = run(&["--data-dir", file.join("sub").to_str().unwrap(), "migrate"]);
    assert!(
        !ok && err.contains("data folder") && err.contains("--data-dir"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_port_in_use_is_reported_before_anything_is_written() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, _, err) = run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "serve",
        "--listen",
        &addr,
    ]);
    assert!(
        !ok && err.contains("cannot listen on") && err.contains("--listen"),
        "{err}"
    );
    assert!(!data.exists(), "nothing is written when the port is taken");
}

#[tokio::test]
async fn serve_demo_twice_keeps_everything_and_loads_nothing_twice() {
    let (url, _dir) = fresh_database().await;
    let first = start(&url, true).await;
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let orgs: Vec<Value> = c
        .get(format!("{}/api/v1/organizations?limit=500", first.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(first);
    let second = start(&url, true).await;
    let again: Vec<Value> = c
        .get(format!("{}/api/v1/organizations?limit=500", second.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs.len(), again.len());
    assert!(orgs.len() > 40);
}

#[tokio::test]
async fn backup_and_restore_round_trip_and_restore_refuses_to_overwrite() {
    let (url, _dir) = fresh_database().await;
    let (ok, _, err) = run(&["--database-url", &url, "seed", "--demo"]);
    assert!(ok, "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tongban.backup");
    let (ok, _, err) = run(&[
        "--database-url",
        &url,
        "backup",
        "--to",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "--database-url",
        &url,
        "backup",
        "--to",
        file.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("already exists"));

    // Into a fresh database.
    let (target, _tdir) = fresh_database().await;
    let (ok, _, err) = run(&[
        "--database-url",
        &target,
        "restore",
        "--from",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let server = start(&target, false).await;
    let orgs: Vec<Value> = reqwest::get(format!("{}/api/v1/organizations?limit=500", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        orgs.iter()
            .any(|o| o["name_zh"] == "哈尔滨市市场监督管理局")
    );
    drop(server);

    // A database with data is not overwritten without --force.
    let (ok, _, err) = run(&[
        "--database-url",
        &target,
        "restore",
        "--from",
        file.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("--force"), "{err}");
    let (ok, _, err) = run(&[
        "--database-url",
        &target,
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--force",
    ]);
    assert!(ok, "{err}");
    // Garbage is refused.
    let junk = tmp.path().join("junk");
    std::fs::write(&junk, "this is not a backup at all").unwrap();
    let (fresh, _fdir) = fresh_database().await;
    let (ok, _, err) = run(&[
        "--database-url",
        &fresh,
        "restore",
        "--from",
        junk.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("not a"), "{err}");
}

#[tokio::test]
async fn kill_9_during_writes_loses_nothing_that_was_acknowledged() {
    let (url, _dir) = fresh_database().await;
    let server = start(&url, true).await;
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/api/v1/session", server.base))
        .json(&json!({"username": "admin", "password": "tongban-demo", "totp": crate::helpers::demo_totp_now()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let parent: Vec<Value> = c
        .get(format!("{}/api/v1/organizations?limit=2", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parent_id = parent[1]["id"].as_i64().unwrap();

    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4u32 {
        let (c, base, acked) = (c.clone(), server.base.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..10_000u32 {
                let body = format!("{:08}", 50_000_000 + w * 100_000 + i);
                let code = tongban_domain::kernel::CreditCode::compose("11", "230100", &body).unwrap().as_str().to_owned();
                let req = json!({"credit_code": code, "name_zh": format!("测试机构{w}-{i}"), "name_en": "", "kind": "department",
                    "admin_level": 3, "division_code": "230100", "parent_id": parent_id});
                match c.post(format!("{base}/api/v1/organizations")).json(&req).send().await {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(code),
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut server = server;
    // SIGKILL: no shutdown hooks, no flush.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "too few writes before the kill: {}",
        acked.len()
    );

    let restarted = start(&url, false).await;
    let all: Vec<Value> = reqwest::get(format!(
        "{}/api/v1/organizations?limit=500&within={parent_id}",
        restarted.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut present: std::collections::HashSet<String> = all
        .iter()
        .map(|o| o["credit_code"].as_str().unwrap().to_owned())
        .collect();
    // Read every page: the subtree also holds the demo's own organisations,
    // so no count tells in advance when the acknowledged ones are all seen.
    let mut offset = 500;
    loop {
        let page: Vec<Value> = reqwest::get(format!(
            "{}/api/v1/organizations?limit=500&offset={offset}&within={parent_id}",
            restarted.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if page.is_empty() {
            break;
        }
        present.extend(
            page.iter()
                .map(|o| o["credit_code"].as_str().unwrap().to_owned()),
        );
        offset += 500;
    }
    let lost: Vec<_> = acked.iter().filter(|c| !present.contains(*c)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}

#[tokio::test]
async fn signing_keys_are_listed_and_rotated_from_the_command_line() {
    let (url, _dir) = fresh_database().await;
    let (ok, out, err) = run(&["keys", "list", "--database-url", &url]);
    assert!(ok, "{err}");
    let before: Vec<&str> = out.lines().collect();
    assert_eq!(before.len(), 2, "one active key per algorithm: {out}");
    let (ok, out, err) = run(&["keys", "rotate", "--alg", "ES256", "--database-url", &url]);
    assert!(ok, "{err}");
    let es: Vec<&str> = out.lines().filter(|l| l.starts_with("ES256")).collect();
    assert_eq!(
        es.len(),
        2,
        "the new key and the retired one still published: {out}"
    );
    let old_es = before.iter().find(|l| l.starts_with("ES256")).unwrap();
    assert!(out.contains(old_es));
    let (ok, _, err) = run(&["keys", "rotate", "--alg", "HS256", "--database-url", &url]);
    assert!(!ok && err.contains("ES256 or RS256"), "{err}");
}
