//! A database outage under a running node: once it is known, requests
//! answer 503 at once, `/readyz` answers within a second, a stop signal
//! ends the node in bounded time, and the node recovers by itself.
//!
//! On PostgreSQL the node reaches the server through a proxy that the test
//! cuts (connections dropped, new ones refused: the server stopped). On
//! SQLite another process holds the database file locked, so nothing can be
//! written (the root user these tests run as is not stopped by permissions,
//! so a read-only folder cannot be made here; a locked, full or read-only
//! file is the same outage to the node).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, fresh_database};

/// A TCP proxy to a PostgreSQL server that can be cut and restored.
struct Proxy {
    addr: std::net::SocketAddr,
    upstream: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = Self {
            addr: listener.local_addr().unwrap(),
            upstream,
            tasks: Arc::default(),
        };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// The server "stops": every connection drops, new ones are refused.
    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    async fn restore(&self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

enum Cause {
    Postgres(Proxy),
    /// A connection holding the SQLite write lock while the outage lasts.
    Sqlite {
        url: String,
        holder: Option<sqlx::SqliteConnection>,
    },
}

impl Cause {
    async fn begin(&mut self) {
        match self {
            Self::Postgres(p) => p.cut(),
            Self::Sqlite { url, holder } => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                *holder = Some(c);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Self::Postgres(p) => p.restore().await,
            Self::Sqlite { holder, .. } => {
                if let Some(mut c) = holder.take() {
                    sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();
                    c.close().await.unwrap();
                }
            }
        }
    }
}

/// A database for the node, and the means to take it away.
async fn database() -> (String, crate::helpers::Fresh, Cause) {
    let (url, dir) = fresh_database().await;
    if url.starts_with("postgres") {
        let rest = url.strip_prefix("postgres://").unwrap();
        let (auth, tail) = rest.split_once('@').unwrap();
        let (host, db) = tail.split_once('/').unwrap();
        let proxy = Proxy::start(host.to_owned()).await;
        let via = format!("postgres://{auth}@{}/{db}", proxy.addr);
        (via, dir, Cause::Postgres(proxy))
    } else {
        let cause = Cause::Sqlite {
            url: url.clone(),
            holder: None,
        };
        (url, dir, cause)
    }
}

/// Runs a request and says how long it took.
async fn timed(req: reqwest::RequestBuilder) -> (u16, Duration) {
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(20), req.send())
        .await
        .expect("an answer at all")
        .unwrap();
    (r.status().as_u16(), started.elapsed())
}

#[tokio::test]
async fn during_an_outage_requests_fail_fast_and_the_node_recovers_by_itself() {
    let (url, dir, mut cause) = database().await;
    let app = TestApp::spawn_at(url, dir, true, |_| {}).await;
    let citizen = app.citizen().await;
    let sign_in = || {
        app.client()
            .post(app.url("/login"))
            .form(&[("username", "citizen"), ("password", "tongban-demo")])
    };
    assert_eq!(timed(app.client().get(app.url("/readyz"))).await.0, 200);

    cause.begin().await;
    // The load balancer's probe gets its answer within a second.
    let (status, took) = timed(app.client().get(app.url("/readyz"))).await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_millis(1500), "readyz took {took:?}");
    // The outage is known now: pages and the API answer 503 at once, with
    // a page a person understands.
    for _ in 0..3 {
        let (status, took) = timed(sign_in()).await;
        assert_eq!(status, 503);
        assert!(took < Duration::from_millis(500), "sign-in took {took:?}");
        let (status, took) = timed(citizen.get(app.url("/api/v1/me"))).await;
        assert_eq!(status, 503);
        assert!(took < Duration::from_millis(500), "me took {took:?}");
    }
    let r = sign_in().send().await.unwrap();
    assert!(r.text().await.unwrap().contains("服务暂时不可用"));
    // Liveness is not readiness: the process itself is fine.
    assert_eq!(timed(app.client().get(app.url("/healthz"))).await.0, 200);

    cause.end().await;
    let mut ready = false;
    for _ in 0..100 {
        if timed(app.client().get(app.url("/readyz"))).await.0 == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the node did not come back");
    let mut back = false;
    for _ in 0..50 {
        if timed(sign_in()).await.0 == 303 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "sign-in did not come back");
}

#[tokio::test]
async fn a_stop_signal_ends_the_node_in_bounded_time_during_an_outage() {
    let (url, _dir, mut cause) = database().await;
    let mut server = crate::cli::start(&url, true).await;
    cause.begin().await;
    // Requests in flight against the dead database while the signal comes.
    let base = server.base.clone();
    for _ in 0..4 {
        let base = base.clone();
        tokio::spawn(async move {
            let _ = reqwest::Client::new()
                .post(format!("{base}/login"))
                .form(&[("username", "citizen"), ("password", "tongban-demo")])
                .send()
                .await;
        });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let mut exited = None;
    while started.elapsed() < Duration::from_secs(15) {
        if let Some(status) = server.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cause.end().await;
    let status = exited.expect("the node did not stop within 15 s of SIGTERM");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    assert!(status.success(), "{status:?}");
}
