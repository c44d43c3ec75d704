//! Snapshots of the main pages, API answers and the OpenAPI document, so
//! that a change of what people and programs see is a reviewed diff
//! (`cargo insta review`), never an accident. Addresses, ports, request ids,
//! keys, dates and times are replaced by placeholders.

use crate::helpers::TestApp;

/// Placeholders for what differs from run to run.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    for (pattern, placeholder) in [
        (r"127\.0\.0\.1:\d+", "[addr]"),
        (r"\b[0-9a-f]{20,}\b", "[hex]"),
        (r"\b[0-9a-f]{16}\b", "[request-id]"),
        (r"\b20\d\d-\d\d-\d\d\b", "[date]"),
        (r"\b20\d\d年\d{1,2}月\d{1,2}日", "[date]"),
        (r"\b\d\d:\d\d(:\d\d)?\b", "[time]"),
        (r"\b1[78]\d{11}\b", "[millis]"),
    ] {
        s.add_filter(pattern, placeholder);
    }
    s
}

/// A page's HTML, one tag per line, without blank lines: readable diffs.
fn normalise(html: &str) -> String {
    html.replace('>', ">\n")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn page(app: &TestApp, c: &reqwest::Client, path: &str) -> String {
    let (status, body) = app.get_text(c, path).await;
    assert_eq!(status, 200, "{path}");
    normalise(&body)
}

async fn json(app: &TestApp, c: &reqwest::Client, path: &str) -> serde_json::Value {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn public_pages() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let _guard = settings().bind_to_scope();
    let code: String = {
        tongban_core::platform::db::query("SELECT task_code FROM published_items WHERE name = '食品经营许可' ORDER BY task_code LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    insta::assert_snapshot!("page_home", page(&app, &c, "/").await);
    insta::assert_snapshot!("page_items", page(&app, &c, "/items").await);
    insta::assert_snapshot!("page_search", page(&app, &c, "/items?q=开饭店").await);
    insta::assert_snapshot!(
        "page_guide",
        page(&app, &c, &format!("/items/{code}")).await
    );
    insta::assert_snapshot!("page_division", page(&app, &c, "/divisions/230102").await);
    insta::assert_snapshot!("page_login", page(&app, &c, "/login").await);
    insta::assert_snapshot!("page_register", page(&app, &c, "/register").await);
    insta::assert_snapshot!("page_reset", page(&app, &c, "/password/reset").await);
    let en = app.client();
    en.get(app.url("/lang/en")).send().await.unwrap();
    insta::assert_snapshot!("page_home_en", page(&app, &en, "/").await);
    insta::assert_snapshot!("page_not_found", {
        let (status, body) = app.get_text(&c, "/no/such/page").await;
        assert_eq!(status, 404);
        normalise(&body)
    });
}

#[tokio::test]
async fn signed_in_pages() {
    let app = TestApp::spawn().await;
    let _guard = settings().bind_to_scope();
    let citizen = app.citizen().await;
    insta::assert_snapshot!("page_account", page(&app, &citizen, "/account").await);
    insta::assert_snapshot!(
        "page_contacts",
        page(&app, &citizen, "/account/contacts").await
    );
    insta::assert_snapshot!("page_inbox", page(&app, &citizen, "/inbox").await);
    let editor = app.signed_in("editor").await;
    insta::assert_snapshot!(
        "page_admin_catalog",
        page(&app, &editor, "/admin/catalog").await
    );
    let admin = app.admin().await;
    insta::assert_snapshot!("page_admin_staff", page(&app, &admin, "/admin/staff").await);
    insta::assert_snapshot!(
        "page_admin_clients",
        page(&app, &admin, "/admin/clients").await
    );
    let clerk = app.clerk().await;
    insta::assert_snapshot!("page_counter", page(&app, &clerk, "/counter").await);
}

#[tokio::test]
async fn api_answers_and_the_openapi_document() {
    let app = TestApp::spawn().await;
    let _guard = settings().bind_to_scope();
    let c = app.client();
    insta::assert_json_snapshot!(
        "api_divisions",
        json(&app, &c, "/api/v1/divisions?parent=230100").await
    );
    insta::assert_json_snapshot!(
        "api_items_theme",
        json(&app, &c, "/api/v1/items?theme=p_assistance").await
    );
    let citizen = app.citizen().await;
    insta::assert_json_snapshot!("api_me", json(&app, &citizen, "/api/v1/me").await);
    let r = c
        .get(app.url("/api/v1/divisions/999999"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let problem: serde_json::Value = r.json().await.unwrap();
    insta::assert_json_snapshot!("api_problem_not_found", (status, problem));
    insta::assert_json_snapshot!("openapi", json(&app, &c, "/api/openapi.json").await);
    insta::assert_json_snapshot!(
        "oidc_discovery",
        json(&app, &c, "/.well-known/openid-configuration").await
    );
}
