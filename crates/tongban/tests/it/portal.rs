//! Portal pages: the Harbin structure in both languages, headers, errors.

use crate::helpers::TestApp;

#[tokio::test]
async fn home_shows_harbin_divisions_and_departments_in_chinese_by_default() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_text(&app.client(), "/").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"<html lang="zh-CN">"#));
    for expected in [
        "哈尔滨市",
        "道里区",
        "南岗区",
        "五常市",
        "尚志市",
        "依兰县",
        "哈尔滨市市场监督管理局",
        "哈尔滨市政务服务中心",
        "国家税务总局哈尔滨市税务局",
    ] {
        assert!(body.contains(expected), "home page lacks {expected}");
    }
    // 道里区 has 4 streets in the demo, 南岗区 5.
    assert!(body.contains("4 个街道（乡镇）") && body.contains("5 个街道（乡镇）"));
    // 9 districts, 7 counties and 2 county-level cities.
    assert_eq!(
        body.matches(r#"<li class="card"><a href="/divisions/2301"#)
            .count(),
        18
    );
}

#[tokio::test]
async fn language_switch_sets_a_cookie_and_pages_follow_it() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .get(app.url("/lang/en?back=/divisions/230102"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/divisions/230102");
    let (_, body) = app.get_text(&c, "/").await;
    assert!(body.contains(r#"<html lang="en">"#));
    assert!(
        body.contains("Daoli District")
            && body.contains("Harbin Market Supervision Administration")
    );
    assert!(!body.contains("区县（市）"));
    // A bad filter is explained in the page's language, not in the rule's.
    let (status, body) = app.get_text(&c, "/items?page=0").await;
    assert_eq!(status, 422);
    assert!(body.contains("The page is 1 to 10000."), "{body}");
    assert!(!body.contains("页码"));
    // An off-site "back" is refused.
    let r = c
        .get(app.url("/lang/zh-CN?back=//evil.example/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    // Pages stay Chinese for an English browser until the person switches;
    // the API follows Accept-Language.
    let r = app
        .client()
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("哈尔滨市政务服务"));
    let r = app
        .client()
        .get(app.url("/api/v1/me"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["detail"],
        "Please sign in first."
    );
}

#[tokio::test]
async fn division_page_shows_breadcrumb_children_and_organisations() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_text(&app.client(), "/divisions/230102").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("黑龙江省")
            && body.contains("兆麟街道")
            && body.contains("哈尔滨市道里区市场监督管理局")
    );
    assert!(body.contains(r#"href="/items?division=230102""#));
    let (status, body) = app.get_text(&app.client(), "/divisions/230102001").await;
    assert_eq!(status, 200);
    assert!(body.contains("红星社区") && body.contains("便民服务中心"));
    assert_eq!(
        app.get_text(&app.client(), "/divisions/999999").await.0,
        404
    );
    assert_eq!(app.get_text(&app.client(), "/divisions/abc").await.0, 404);
}

#[tokio::test]
async fn organisation_pages() {
    let app = TestApp::spawn().await;
    let id = app.org_id("哈尔滨市市场监督管理局").await;
    let (status, body) = app
        .get_text(&app.client(), &format!("/organizations/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("市级")
            && body.contains("哈尔滨市人民政府")
            && body.contains("Harbin Market Supervision Administration")
    );
    let (status, body) = app.get_text(&app.client(), "/organizations").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("黑龙江省人民政府") && body.contains("哈尔滨市南岗区花园街道便民服务中心")
    );
    assert_eq!(
        app.get_text(&app.client(), "/organizations/999999").await.0,
        404
    );
    assert_eq!(app.get_text(&app.client(), "/organizations/x").await.0, 404);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/login",
        "/nope",
        "/api/v1/divisions",
        "/assets/app.css",
    ] {
        let r = app.client().get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(h["x-request-id"].len(), 16);
    }
    // A sane incoming request id is kept, a hostile one replaced.
    let r = app
        .client()
        .get(app.url("/"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .client()
        .get(app.url("/"))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "a b<script>");
}

#[tokio::test]
async fn unknown_pages_get_a_readable_error_page_with_the_request_id() {
    let app = TestApp::spawn().await;
    let r = app
        .client()
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert!(body.contains("您访问的页面不存在"));
    assert!(body.contains(&id));
    // Wrong method on a page is a 405 page too, not a blank body.
    let r = app.client().delete(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.text().await.unwrap().contains("<html"));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client()
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "citizen"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().await.unwrap().contains("请求来源无法验证"));
    // Same origin is fine.
    let r = app
        .client()
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", "citizen"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let c = app.client();
    assert_eq!(app.get_text(&c, "/healthz").await, (200, "ok\n".into()));
    let (status, ready) = app.get_text(&c, "/readyz").await;
    assert_eq!(status, 200);
    // The first line for probes, then the node's load for people.
    assert!(ready.starts_with("ready\n"), "{ready}");
    assert!(ready.contains("uploads: 0 of 256 in flight"), "{ready}");
    // (The lanes serve every test of this process at once.)
    assert!(ready.contains("lane hashing: "), "{ready}");
    assert!(!ready.contains("saturated: uploads"), "{ready}");
    app.get_text(&c, "/divisions/230103").await;
    let (status, text) = app.get_text(&c, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(
            r#"tongban_http_requests_total{method="GET",route="/divisions/{code}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("tongban_http_request_duration_seconds_bucket"));
    assert!(text.contains("tongban_uptime_seconds"));
    // Readiness fails once the database is gone.
    app.db.close().await;
    assert_eq!(app.get_text(&c, "/readyz").await.0, 503);
}

#[tokio::test]
async fn assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let r = app
        .client()
        .get(app.url("/assets/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(r.text().await.unwrap().contains(":focus-visible"));
    assert_eq!(
        app.get_text(&app.client(), "/assets/../Cargo.toml").await.0,
        404
    );
}

#[tokio::test]
async fn pages_have_accessibility_landmarks() {
    let app = TestApp::spawn().await;
    let (_, body) = app.get_text(&app.client(), "/login").await;
    assert!(body.contains(r##"<a class="skip-link" href="#main">"##));
    assert!(
        body.contains(r#"<main id="main""#)
            && body.contains("<header")
            && body.contains("<footer")
            && body.contains("<nav")
    );
    assert!(body.contains(r#"<label for="f-username">"#) && body.contains(r#"id="f-username""#));
    assert!(body.contains(r#"<label for="f-password">"#) && body.contains(r#"id="f-password""#));
}
