//! Browser tests: Debian's chromium driven through chromedriver opens the
//! home page, switches language, signs in, submits a form (with an error,
//! then correctly) and saves screenshots under `target/screenshots/`; and
//! every page of the application journey is checked with axe-core (WCAG 2.x
//! A and AA) in Chinese and English at a phone's width.
//!
//! Skips with a message when chromedriver (or axe-core, fetched from npm
//! into `target/axe` by `.ci/run`) is absent, unless
//! `TONGBAN_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs them).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails loudly at the first surprise"
)]

#[path = "it/helpers.rs"]
#[expect(dead_code, reason = "shared harness; this binary uses part of it")]
mod helpers;

#[path = "browser/journey.rs"]
mod journey;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use helpers::TestApp;
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn screenshots_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Waits (up to 10 s) until the element's text contains `expected`: a click
/// starts a navigation that the WebDriver call does not wait for.
async fn wait_text(c: &fantoccini::Client, css: &str, expected: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t.contains(expected) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {expected:?}; last text {last:?}");
}

/// Types into the field with this id.
async fn type_into(c: &fantoccini::Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the element with this id.
async fn click(c: &fantoccini::Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Saves a screenshot of the page.
async fn shoot(c: &fantoccini::Client, dir: &std::path::Path, name: &str) {
    std::fs::write(dir.join(name), c.screenshot().await.unwrap()).unwrap();
}

/// Fills and submits the password-change form.
async fn change_password(c: &fantoccini::Client, current: &str, new: &str, confirm: &str) {
    type_into(c, "f-current", current).await;
    type_into(c, "f-new", new).await;
    type_into(c, "f-confirm", confirm).await;
    click(c, "password-submit").await;
}

/// Whether the browser is here; panics when it must be and is not.
fn browser_present() -> bool {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_BROWSER").is_err(),
            "TONGBAN_TEST_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing"
        );
        eprintln!("SKIPPED browser test: install Debian's chromium and chromium-driver to run it");
        return false;
    }
    true
}

/// A headless chromium at a phone's width, with its driver.
async fn chromium() -> (fantoccini::Client, Driver, tempfile::TempDir) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=412,915", format!("--user-data-dir={}", profile.path().display())]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return (c, driver, profile),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("could not start a chromium session");
}

#[tokio::test]
async fn home_language_sign_in_and_a_form_in_chromium() {
    if !browser_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let (c, _driver, _profile) = chromium().await;
    let shots = screenshots_dir();

    // Home page in Chinese, with the Harbin structure.
    c.goto(&app.url("/")).await.unwrap();
    wait_text(&c, "h1", "哈尔滨市政务服务").await;
    let districts = c.find_all(Locator::Css("#division-list li")).await.unwrap();
    assert_eq!(districts.len(), 18);
    shoot(&c, &shots, "home-zh.png").await;

    // Search the catalog the way people type, open the guide.
    type_into(&c, "f-q", "开饭店").await;
    click(&c, "search-submit").await;
    wait_text(&c, "#item-list", "食品经营许可").await;
    shoot(&c, &shots, "search.png").await;
    c.find(Locator::Css("#item-list li a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#materials", "免提交").await;
    shoot(&c, &shots, "guide.png").await;
    c.goto(&app.url("/")).await.unwrap();
    wait_text(&c, "h1", "哈尔滨市政务服务").await;

    // Switch to English and back.
    click(&c, "lang-switch").await;
    wait_text(&c, "h1", "Harbin Government Services").await;
    shoot(&c, &shots, "home-en.png").await;
    click(&c, "lang-switch").await;
    wait_text(&c, "h1", "哈尔滨市政务服务").await;

    // Sign in.
    click(&c, "nav-sign-in").await;
    wait_text(&c, "h1", "登录").await;
    type_into(&c, "f-username", "citizen").await;
    type_into(&c, "f-password", "tongban-demo").await;
    click(&c, "login-submit").await;
    wait_text(&c, "#nav-account", "张晓明").await;

    // Submit the password form with a mistake: the error summary lists it.
    c.goto(&app.url("/account")).await.unwrap();
    wait_text(&c, "h1", "我的账号").await;
    change_password(&c, "tongban-demo", "Bingxue-2026!", "Bingxue-2027!").await;
    wait_text(&c, "#error-summary", "两次输入的新密码不一致").await;
    shoot(&c, &shots, "account-error.png").await;

    // And correctly.
    change_password(&c, "tongban-demo", "Bingxue-2026!", "Bingxue-2026!").await;
    wait_text(&c, "#notice", "密码已修改").await;
    shoot(&c, &shots, "account-done.png").await;

    // Single sign-on for the demo relying party, signed out first: the
    // sign-in and consent forms end in redirects to the relying party, which
    // the content security policy must let through (browsers check every hop).
    let rp = tokio::net::TcpListener::bind("127.0.0.1:8765")
        .await
        .unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/callback",
            axum::routing::get(|| async { "demo relying party" }),
        );
        axum::serve(rp, app).await.unwrap();
    });
    c.delete_all_cookies().await.unwrap();
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id=demo-rp&redirect_uri={}&scope=openid%20profile&state=s1&nonce=n1",
        "http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"
    );
    c.goto(&app.url(&authorize)).await.unwrap();
    wait_text(&c, "h1", "登录").await;
    type_into(&c, "f-username", "citizen").await;
    type_into(&c, "f-password", "Bingxue-2026!").await;
    click(&c, "login-submit").await;
    wait_text(&c, "h1", "授权确认").await;
    shoot(&c, &shots, "consent.png").await;
    click(&c, "consent-allow").await;
    let mut landed = String::new();
    for _ in 0..100 {
        landed = c.current_url().await.unwrap().to_string();
        if landed.starts_with("http://127.0.0.1:8765/callback") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        landed.starts_with("http://127.0.0.1:8765/callback?code="),
        "{landed}"
    );
    assert!(landed.contains("state=s1"));
    c.close().await.unwrap();
    eprintln!("screenshots in {}", shots.display());
}

/// axe-core's script: `TONGBAN_AXE_JS`, or where `.ci/run` puts it.
fn axe_source() -> Option<String> {
    let path = std::env::var("TONGBAN_AXE_JS").map_or_else(
        |_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/axe/node_modules/axe-core/axe.min.js")
        },
        std::path::PathBuf::from,
    );
    std::fs::read_to_string(&path).ok()
}

/// The serious and critical WCAG 2.x A/AA violations axe finds on the page
/// the browser shows, each with where.
async fn violations(c: &fantoccini::Client, axe: &str) -> Vec<String> {
    c.execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("axe loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_page_of_the_application_journey_passes_axe_in_both_languages_on_a_phone() {
    if !browser_present() {
        return;
    }
    let Some(axe) = axe_source() else {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_BROWSER").is_err(),
            "TONGBAN_TEST_REQUIRE_BROWSER is set but axe-core is missing (npm install --prefix target/axe axe-core)"
        );
        eprintln!("SKIPPED axe test: npm install --prefix target/axe axe-core to run it");
        return;
    };
    let app = TestApp::spawn().await;
    // A draft for the enterprise and a submitted case, made through the API.
    let api = app.citizen().await;
    let item = |name: &'static str| {
        let db = app.db.clone();
        async move {
            tongban_core::platform::db::query_scalar::<String>(
                "SELECT task_code FROM published_items WHERE name = $1 AND division_code = '230100'",
            )
            .bind(name)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let food = item("食品经营许可").await;
    let id_card = item("居民身份证补领").await;
    let credit: String = tongban_core::platform::db::query_scalar(
        "SELECT credit_code FROM accounts WHERE username = 'enterprise'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let post = async |path: &str, body: serde_json::Value| -> serde_json::Value {
        let r = api.post(app.url(path)).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    };
    let draft = post(
        "/api/v1/applications",
        json!({"item": food, "on_behalf_of": credit}),
    )
    .await;
    let draft = draft["id"].as_str().unwrap().to_owned();
    let done = post("/api/v1/applications", json!({"item": id_card})).await;
    let done = done["id"].as_str().unwrap().to_owned();
    let r = api
        .patch(app.url(&format!("/api/v1/applications/{done}")))
        .json(&json!({"revision": 1, "fields": {"reason": "damaged", "collect": "window"}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let form: serde_json::Value = api
        .get(app.url(&format!("/api/v1/items/{id_card}/form")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for m in form["materials"].as_array().unwrap() {
        if m["required"] == true && m["fetchable"] == "no" {
            let r = api
                .post(app.url(&format!(
                    "/api/v1/applications/{done}/materials/{}/files?name=scan.pdf",
                    m["code"].as_str().unwrap()
                )))
                .body(helpers::MINIMAL_PDF.to_vec())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    }
    post(
        &format!("/api/v1/applications/{done}/submit"),
        json!({"revision": 2, "declaration": tongban_core::applications::declaration::VERSION}),
    )
    .await;

    // A community agent's requests: one the citizen agreed to (its draft
    // shows who acts for them), one waiting for their answer.
    let agent = app.signed_in("agent").await;
    let ask = async || -> String {
        let r = agent
            .post(app.url("/api/v1/consents"))
            .json(&json!({"item": id_card, "for_person": "230102199003071237",
                "person_name": "张晓明", "consent": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let agreed = ask().await;
    let r = api
        .post(app.url(&format!("/api/v1/consents/{agreed}/answer")))
        .json(&json!({"answer": "confirm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let helped: serde_json::Value = agent
        .post(app.url(&format!("/api/v1/consents/{agreed}/begin")))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let helped = helped["id"].as_str().unwrap().to_owned();
    ask().await;

    let (c, _driver, _profile) = chromium().await;
    let shots = screenshots_dir();
    c.goto(&app.url("/login")).await.unwrap();
    type_into(&c, "f-username", "citizen").await;
    type_into(&c, "f-password", "tongban-demo").await;
    click(&c, "login-submit").await;
    wait_text(&c, "#nav-account", "张晓明").await;
    let pages = [
        "/".to_owned(),
        format!("/items/{food}"),
        format!("/apply/{food}"),
        format!("/applications/{draft}"),
        format!("/applications/{draft}/pages/0"),
        format!("/applications/{draft}/pages/1"),
        format!("/applications/{draft}/pages/2"),
        format!("/applications/{draft}/materials"),
        format!("/applications/{draft}/check"),
        format!("/applications/{done}?done=submitted"),
        "/applications".to_owned(),
        "/applications/consents".to_owned(),
        format!("/applications/{helped}"),
        "/track".to_owned(),
    ];
    let mut found = Vec::new();
    for lang in ["zh-CN", "en"] {
        c.goto(&app.url(&format!("/lang/{lang}?back=/")))
            .await
            .unwrap();
        for page in &pages {
            c.goto(&app.url(page)).await.unwrap();
            for v in violations(&c, &axe).await {
                found.push(format!("{lang} {page}: {v}"));
            }
        }
        // A page showing its problems: the check page after submitting
        // without the declaration.
        c.goto(&app.url(&format!("/applications/{draft}/check")))
            .await
            .unwrap();
        click(&c, "submit").await;
        wait_text(&c, "#error-summary", "").await;
        shoot(&c, &shots, &format!("check-errors-{lang}.png")).await;
        for v in violations(&c, &axe).await {
            found.push(format!("{lang} check with errors: {v}"));
        }
    }
    c.goto(&app.url(&format!("/applications/{draft}/pages/0")))
        .await
        .unwrap();
    shoot(&c, &shots, "question-page-en.png").await;
    c.close().await.unwrap();
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
}
