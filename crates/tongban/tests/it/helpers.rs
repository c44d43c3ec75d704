//! `TestApp`: the real router on a fresh database — a SQLite file in a
//! temporary folder, or a fresh PostgreSQL database when `TONGBAN_TEST_PG`
//! holds a server URL — with the demo loaded and typed actors.

use std::net::SocketAddr;

use reqwest::redirect::Policy;
use tongban_core::platform::config::Config;
use tongban_core::platform::db::DbOptions;
use tongban_core::{Db, demo};
use tongban_web::AppState;

pub struct TestApp {
    /// Dropped first: stops the worker before the database goes.
    _worker: tokio::sync::watch::Sender<bool>,
    pub addr: SocketAddr,
    pub db: Db,
    /// The running node's state (to tell it of changes made behind its back).
    pub state: AppState,
    _dir: Fresh,
    _files: tempfile::TempDir,
}

/// What keeps a fresh test database alive: the SQLite file's folder, or the
/// name of the PostgreSQL database, dropped when the guard goes.
pub struct Fresh {
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Fresh {
    /// The SQLite database's folder (`None` on PostgreSQL).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(tempfile::TempDir::path)
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let Some((base, name)) = self.pg.take() else {
            return;
        };
        // Dropped from a thread of its own: Drop cannot await, and the test's
        // runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&base).await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A fresh database URL: SQLite in a temp dir, or a new PostgreSQL database
/// (dropped again when the guard goes).
pub async fn fresh_database() -> (String, Fresh) {
    match std::env::var("TONGBAN_TEST_PG") {
        Ok(base) if !base.is_empty() => {
            let name = format!("tb_test_{}_{}", std::process::id(), rand_suffix());
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .expect("connect to TONGBAN_TEST_PG");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let url = match base.rfind('/') {
                Some(i) if i > "postgres://".len() => format!("{}/{name}", &base[..i]),
                _ => format!("{base}/{name}"),
            };
            (
                url,
                Fresh {
                    _dir: None,
                    pg: Some((base, name)),
                },
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = Db::sqlite_url(&dir.path().join("test.sqlite"));
            (
                url,
                Fresh {
                    _dir: Some(dir),
                    pg: None,
                },
            )
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{t}_{}", N.fetch_add(1, Ordering::Relaxed))
}

impl TestApp {
    /// A running app with the Harbin demo loaded.
    pub async fn spawn() -> Self {
        Self::spawn_with(true).await
    }

    /// A running app, with or without the demo.
    pub async fn spawn_with(with_demo: bool) -> Self {
        Self::spawn_configured(with_demo, |_| {}).await
    }

    /// A running app whose configuration `adjust` changes first.
    pub async fn spawn_configured(with_demo: bool, adjust: impl FnOnce(&mut Config)) -> Self {
        let (url, dir) = fresh_database().await;
        Self::spawn_at(url, dir, with_demo, adjust).await
    }

    /// A running app on the database at `url` (which `dir` keeps alive).
    pub async fn spawn_at(
        url: String,
        dir: Fresh,
        with_demo: bool,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let db = Db::connect(&url, DbOptions::default())
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let files = tempfile::tempdir().expect("data dir");
        if with_demo {
            assert!(demo::seed(&db).await.expect("seed"));
            let key =
                tongban_core::platform::crypto::DataKey::load("", files.path()).expect("data key");
            demo::seed_sealed(&db, &key).await.expect("demo ID number");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut cfg = Config {
            database_url: url,
            data_dir: files.path().to_path_buf(),
            listen: addr,
            ..Config::default()
        };
        adjust(&mut cfg);
        cfg.settle_public_url(addr);
        let state = AppState::new(db.clone(), cfg, with_demo).expect("search index");
        // The node's worker, with the binary's jobs: messages are delivered
        // as in production (a test waits for them, see `messages_to`).
        let registry = tongban_web::jobs(&state).await.expect("jobs");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(tongban_core::platform::worker::run_worker(
            db.clone(),
            registry,
            Default::default(),
            tongban_core::platform::worker::WorkerOptions {
                name: "test".into(),
                poll: std::time::Duration::from_millis(200),
                concurrency: 4,
                lease: std::time::Duration::from_secs(60),
            },
            stopped,
        ));
        let app =
            tongban_web::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            addr,
            db,
            state,
            _worker: stop,
            _dir: dir,
            _files: files,
        }
    }

    /// The data folder (file store) of the running app.
    pub fn data_dir(&self) -> &std::path::Path {
        self._files.path()
    }

    /// Tells the node that the catalog changed behind its back (a test
    /// calling core directly), as a node learns of its own changes at once;
    /// other nodes notice within a second.
    pub async fn catalog_changed(&self) {
        self.state.catalog_touched().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client with a cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    /// A client signed in as a demo account through the sign-in form.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let c = self.client();
        let res = c
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", demo::DEMO_PASSWORD),
                ("next", "/account"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 303, "sign-in of {username} failed");
        if res.headers()["location"] == "/login/totp" {
            let code = self.totp_code(username).await;
            let res = c
                .post(self.url("/login/totp"))
                .form(&[("code", code.as_str())])
                .send()
                .await
                .expect("totp");
            assert_eq!(res.status(), 303, "second factor of {username} failed");
        }
        c
    }

    /// The current code of a demo staff account. Tests sign the same staff
    /// in many times a minute, which the replay rule forbids (a code's step
    /// is accepted once), so the harness first forgets the last used step;
    /// the identity tests check the rule itself.
    pub async fn totp_code(&self, username: &str) -> String {
        let name = username.to_owned();
        self.db
            .write(move |c| {
                Box::pin(async move {
                    tongban_core::platform::db::query(
                        "UPDATE accounts SET totp_last_step = NULL WHERE username = $1",
                    )
                    .bind(&name)
                    .execute(c)
                    .await?;
                    Ok::<_, tongban_core::platform::db::DbError>(())
                })
            })
            .await
            .expect("reset step");
        demo_totp_now()
    }

    pub async fn citizen(&self) -> reqwest::Client {
        self.signed_in("citizen").await
    }

    pub async fn clerk(&self) -> reqwest::Client {
        self.signed_in("clerk").await
    }

    pub async fn admin(&self) -> reqwest::Client {
        self.signed_in("admin").await
    }

    /// The PDF `c` reads at `path` (checked to be a PDF, 200) as its words,
    /// the spaces `pdftotext` puts between glyphs taken out; `None` when
    /// `pdftotext` is not installed (see [`pdf_text`]).
    pub async fn pdf_words(&self, c: &reqwest::Client, path: &str) -> Option<String> {
        let r = c.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{path}");
        pdf_text(&pdf).map(|t| t.split_whitespace().collect())
    }

    pub async fn get_text(&self, c: &reqwest::Client, path: &str) -> (u16, String) {
        let r = c.get(self.url(path)).send().await.expect("get");
        let s = r.status().as_u16();
        (s, r.text().await.expect("body"))
    }

    /// Id of an organisation by its Chinese name.
    pub async fn org_id(&self, name_zh: &str) -> i64 {
        tongban_core::platform::db::query("SELECT id FROM organizations WHERE name_zh = $1")
            .bind(name_zh)
            .fetch_one(&self.db)
            .await
            .expect("org")
            .try_get(0)
            .expect("id")
    }
}

/// The fields a browser would submit with the form `form_id`.
pub fn form_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    tongban_bench::form::fields(html, form_id).expect("form")
}

/// The demo staff secret's code for this moment.
pub fn demo_totp_now() -> String {
    use tongban_domain::identity::totp;
    let secret = totp::base32_decode(demo::DEMO_TOTP_SECRET).expect("demo secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    totp::code_at(&secret, totp::step_of(now))
}

/// A real SMTP server for a test: aiosmtpd (PyPI, installed by `.ci/run`)
/// writing what it receives into a maildir. `None` when python3 cannot
/// import aiosmtpd, unless `TONGBAN_TEST_REQUIRE_SMTP` says it must.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: std::process::Child,
    seen: usize,
}

impl SmtpServer {
    pub async fn start() -> Option<Self> {
        let available = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            assert!(
                std::env::var("TONGBAN_TEST_REQUIRE_SMTP").is_err(),
                "TONGBAN_TEST_REQUIRE_SMTP is set but python3 cannot import aiosmtpd"
            );
            eprintln!("SKIPPED SMTP test: pip install aiosmtpd to run it");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Some(Self {
            port,
            maildir,
            child,
            seen: 0,
        })
    }

    /// Points an app's mail settings at this server.
    pub fn configure(&self, cfg: &mut Config) {
        cfg.mail.smtp_host = "127.0.0.1".into();
        cfg.mail.smtp_port = self.port;
        cfg.mail.smtp_tls = "none".into();
        cfg.mail.from = "通办 <noreply@tongban.invalid>".into();
    }

    /// The next message the server received (waits up to ten seconds).
    pub async fn next_mail(&mut self) -> String {
        let new = self.maildir.path().join("box").join("new");
        for _ in 0..200 {
            let mut files: Vec<_> = std::fs::read_dir(&new)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            if files.len() > self.seen {
                files.sort_by_key(|p| {
                    (
                        std::fs::metadata(p).and_then(|m| m.modified()).ok(),
                        p.clone(),
                    )
                });
                let mail = std::fs::read_to_string(&files[self.seen]).unwrap();
                self.seen += 1;
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail arrived at the SMTP server");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of a PDF through `pdftotext` (poppler-utils), proving its glyphs
/// map back to Chinese characters; `None` when the tool is not installed
/// (and `TONGBAN_TEST_REQUIRE_PDFTOTEXT` is not set).
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_PDFTOTEXT").is_err(),
            "TONGBAN_TEST_REQUIRE_PDFTOTEXT is set but pdftotext is missing"
        );
        eprintln!("pdftotext (poppler-utils) not installed: checked the PDF's structure only");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The smallest PDF that is a PDF: three objects and a cross-reference
/// table whose offsets are right (uploads are checked for structure).
pub const MINIMAL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";

/// A well-formed PDF of about `size` bytes: one page and a stream of
/// varied bytes (`seed` makes each one different), with a correct
/// cross-reference table.
pub fn pdf_of_size(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(size);
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", data.len()).into_bytes(),
            data,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// The smallest PNG that is a PNG: one grey pixel, its chunks' CRCs right.
pub const MINIMAL_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00\x3a\x7e\x9b\x55\x00\x00\x00\x0a\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01\x48\xaf\xa4\x71\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
