//! Relying parties registered in the console.

use super::*;

#[tokio::test]
async fn system_admins_register_systems_in_the_console_and_secrets_are_shown_once() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    assert_eq!(app.get_text(&editor, "/admin/clients").await.0, 403);
    let admin = app.admin().await;
    let (status, page) = app.get_text(&admin, "/admin/clients").await;
    assert_eq!(status, 200);
    assert!(page.contains(DEMO_RP_ID) && page.contains(DEMO_RP_REDIRECT));
    // Bad registrations are explained field by field, in Chinese.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "Bad Id"),
            ("name", ""),
            ("kind", "confidential"),
            ("redirect_uris", "http://rp.example.gov.cn/cb"),
            ("scopes", "openid admin"),
            ("id_token_alg", "HS256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for expected in [
        "接入标识应为",
        "系统名称不能为空",
        "须为完整的 https 地址",
        "不是用户可授予的范围",
        "签名算法应为",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    // A service account: its secret is shown once and works.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "scjg-approval"),
            ("name", "市场监管审批系统"),
            ("kind", "service"),
            ("scopes", "catalog.read"),
            ("id_token_alg", "ES256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let secret = secret_on(&r.text().await.unwrap());
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);
    let (_, page) = app.get_text(&admin, "/admin/clients/scjg-approval").await;
    assert!(!page.contains(&secret), "the secret is not shown again");
    // The same id cannot be registered twice.
    let r = admin
        .post(app.url("/admin/clients"))
        .form(&[
            ("client_id", "scjg-approval"),
            ("name", "x"),
            ("kind", "service"),
            ("scopes", "catalog.read"),
            ("id_token_alg", "ES256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已被使用"));
    // A new secret replaces the old one at once.
    let r = admin
        .post(app.url("/admin/clients/scjg-approval"))
        .form(&[("action", "rotate_secret")])
        .send()
        .await
        .unwrap();
    let new_secret = secret_on(&r.text().await.unwrap());
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = token(
        &app,
        Some(("scjg-approval", &new_secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(s, 200);
    // Editing the demo RP's redirect addresses takes effect at once.
    let (_, page) = app
        .get_text(&admin, &format!("/admin/clients/{DEMO_RP_ID}"))
        .await;
    let mut fields = form_fields(&page, "client-form");
    tongban_bench::form::set(
        &mut fields,
        "redirect_uris",
        "http://127.0.0.1:8765/callback\nhttp://127.0.0.1:8766/callback",
    );
    let r = admin
        .post(app.url(&format!("/admin/clients/{DEMO_RP_ID}")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let citizen = app.signed_in("citizen").await;
    let r = citizen
        .get(authorize_url(
            &app,
            DEMO_RP_ID,
            "http://127.0.0.1:8766/callback",
            &[],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the consent screen, not an error page");
}
