//! Uploads on a crowded node: stalled uploads hold no thread and are
//! bounded per account and per node (429 past the bounds), an idle one is
//! dropped (408), and one the client breaks off is the client's abort (400),
//! while sign-in and PDFs keep answering.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{city_item, send};
use crate::helpers::TestApp;

/// Long enough for a slow test machine, short against the 15 minutes a
/// stalled upload could wait before.
const WITHIN: Duration = Duration::from_secs(20);

/// A session cookie (`tb_session=…`) of a demo account without a second
/// factor, for requests written by hand.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", tongban_core::demo::DEMO_PASSWORD),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tb_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

/// A draft of the citizen's and the code of a material it takes files for:
/// the upload's path.
async fn upload_path(app: &TestApp) -> String {
    let citizen = app.citizen().await;
    let item = city_item(app, "食品经营许可").await;
    let cc = super::enterprise_code(app).await;
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item, "on_behalf_of": cc})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    let code = form["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["fetchable"] == "no")
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    format!("/api/v1/applications/{id}/materials/{code}/files?name=scan.pdf")
}

/// An upload that declares 5 MB and sends nine bytes, then nothing.
async fn stalled_upload(app: &TestApp, cookie: &str, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n%PDF-1.7\n",
        app.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// The answer to a request written by hand: its status and body, or
/// `None` when none came within [`WITHIN`].
async fn answer(s: &mut TcpStream) -> Option<(u16, String, String)> {
    let read = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
        got
    };
    let got = tokio::time::timeout(WITHIN, read).await.ok()?;
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_owned(), body.to_owned()))
}

async fn metrics(app: &TestApp) -> String {
    app.get_text(&app.client(), "/metrics").await.1
}

/// Waits until `/metrics` has a line with all of `parts`.
async fn metric_line(app: &TestApp, parts: &[&str]) -> bool {
    for _ in 0..100 {
        if metrics(app)
            .await
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[test]
fn stalled_uploads_past_the_bounds_are_refused_while_sign_in_and_pdfs_answer() {
    // Four blocking threads in all: an upload that held one while it
    // waited on the network would take them all with four stalled uploads.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = TestApp::spawn_configured(true, |c| {
            c.uploads.per_account = 4;
            c.uploads.in_flight = 4;
            c.uploads.idle_seconds = 600;
        })
        .await;
        let path = upload_path(&app).await;
        let cookie = session_cookie(&app, "citizen").await;
        let mut stalled = Vec::new();
        for _ in 0..4 {
            stalled.push(stalled_upload(&app, &cookie, &path).await);
        }
        assert!(
            metric_line(&app, &["tongban_uploads_in_flight 4"]).await,
            "{}",
            metrics(&app).await
        );
        // One more of the same account's, and anyone else's while the
        // node is full: 429 at once, with when to try again.
        for who in ["citizen", "enterprise"] {
            let cookie = session_cookie(&app, who).await;
            let mut extra = stalled_upload(&app, &cookie, &path).await;
            let (status, head, body) = answer(&mut extra).await.expect("an answer");
            assert_eq!(status, 429, "{who}: {head}\n{body}");
            assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
            let p: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(p["code"], "upload.busy", "{p}");
        }
        // Sign-in (Argon2) and a PDF answer meanwhile.
        let signing_in = async {
            app.client()
                .post(app.url("/api/v1/session"))
                .json(&json!({"username": "enterprise", "password": tongban_core::demo::DEMO_PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        };
        let status = tokio::time::timeout(WITHIN, signing_in).await.expect("sign-in answers");
        assert_eq!(status, StatusCode::CREATED);
        let item = city_item(&app, "食品经营许可").await;
        let pdf = async {
            let r = app
                .client()
                .get(app.url(&format!("/items/{item}/guide.pdf")))
                .send()
                .await
                .unwrap();
            (r.status(), r.bytes().await.unwrap())
        };
        let (status, bytes) = tokio::time::timeout(WITHIN, pdf).await.expect("a PDF answers");
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(b"%PDF-"));
        // Ready still, saying what is saturated; the gauges say the same.
        let (status, ready) = app.get_text(&app.client(), "/readyz").await;
        assert_eq!(status, 200, "{ready}");
        assert!(ready.contains("saturated: uploads"), "{ready}");
        let m = metrics(&app).await;
        assert!(m.contains("tongban_uploads_limit 4"), "{m}");
        // The stalled uploads hold no thread: the files lane counts only
        // writes running, those of every test in this process.
        assert!(m.contains("tongban_blocking_busy{lane=\"files\"}"), "{m}");
        assert!(m.contains("tongban_blocking_capacity{lane=\"hashing\"}"), "{m}");
        // Broken off, they free their places: a whole upload goes through.
        drop(stalled);
        assert!(metric_line(&app, &["tongban_uploads_in_flight 0"]).await);
        let (status, f) = send(
            app.citizen()
                .await
                .post(app.url(&path))
                .body(crate::helpers::MINIMAL_PDF.to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{f}");
        let (_, ready) = app.get_text(&app.client(), "/readyz").await;
        assert!(!ready.contains("saturated: uploads"), "{ready}");
    });
}

#[tokio::test]
async fn an_idle_upload_is_dropped_after_the_idle_time() {
    let app = TestApp::spawn_configured(true, |c| c.uploads.idle_seconds = 1).await;
    let path = upload_path(&app).await;
    let cookie = session_cookie(&app, "citizen").await;
    let mut s = stalled_upload(&app, &cookie, &path).await;
    let (status, head, body) = answer(&mut s).await.expect("an answer");
    assert_eq!(status, 408, "{head}\n{body}");
    let p: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(p["code"], "upload.idle", "{p}");
    assert!(p["detail"].as_str().unwrap().contains('1'), "{p}");
    let leftovers = std::fs::read_dir(app.data_dir().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "a dropped upload leaves nothing behind");
    assert!(metric_line(&app, &["tongban_uploads_in_flight 0"]).await);
}

#[tokio::test]
async fn an_upload_the_client_breaks_off_is_the_clients_abort() {
    let app = TestApp::spawn().await;
    let path = upload_path(&app).await;
    let cookie = session_cookie(&app, "citizen").await;
    let s = stalled_upload(&app, &cookie, &path).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(s);
    let route = "route=\"/api/v1/applications/{id}/materials/{code}/files\"";
    assert!(
        metric_line(
            &app,
            &["tongban_http_requests_total", route, "status=\"400\""]
        )
        .await,
        "{}",
        metrics(&app).await
    );
    assert!(
        !metrics(&app)
            .await
            .lines()
            .any(|l| l.contains(route) && l.contains("status=\"500\""))
    );
    let leftovers = std::fs::read_dir(app.data_dir().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "a broken upload leaves nothing behind");
}
