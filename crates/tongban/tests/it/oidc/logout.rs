//! Signing out: RP-initiated logout, and people ending their devices and systems.

use super::*;

#[tokio::test]
async fn relying_party_logout_ends_the_session_and_its_tokens() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (_, tokens) = exchange_demo(&app, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    // An unregistered place to return to is refused.
    let bad = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/")
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&bad)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let url = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "http://127.0.0.1:8765/"),
            ("state", "bye"),
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("演示接入系统"));
    let fields = form_fields(&page, "logout-form");
    let r = citizen
        .post(app.url("/oauth/logout"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "http://127.0.0.1:8765/?state=bye");
    // Signed out here and for the relying party's refresh token.
    let r = citizen.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = token(
        &app,
        rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn logout_refuses_a_client_id_that_the_id_token_was_not_issued_to() {
    let app = TestApp::spawn().await;
    let mut other = spa("other-rp");
    other.logout_uris = "http://127.0.0.1:9000/bye".into();
    register(&app, other).await;
    let citizen = app.signed_in("citizen").await;
    let code = code_for(
        &app,
        &citizen,
        &authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]),
    )
    .await;
    let (_, tokens) = exchange_demo(&app, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let url = format!(
        "/oauth/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("client_id", "other-rp"),
            ("post_logout_redirect_uri", "http://127.0.0.1:9000/bye"),
        ])
        .unwrap()
    );
    let r = citizen.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("不一致"));
    // Nothing ended: the citizen is still signed in.
    assert_eq!(
        citizen
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn people_see_their_devices_and_systems_and_end_either() {
    let app = TestApp::spawn().await;
    let phone = app.signed_in("citizen").await;
    let laptop = app.signed_in("citizen").await;
    let (_, page) = app.get_text(&phone, "/account").await;
    assert_eq!(
        page.matches(r#"name="id" value=""#).count(),
        3,
        "two devices and 'all'"
    );
    assert!(page.contains("本设备"));
    // Allow the demo RP from the laptop and get a refresh token.
    let code = code_for(
        &app,
        &laptop,
        &authorize_url(
            &app,
            DEMO_RP_ID,
            DEMO_RP_REDIRECT,
            &[("scope", "openid profile offline_access")],
        ),
    )
    .await;
    let rp = Some((DEMO_RP_ID, DEMO_RP_SECRET));
    let (_, tokens) = exchange_demo(&app, &code).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // From the phone: the laptop is listed; end it.
    let (_, page) = app.get_text(&phone, "/account").await;
    assert!(
        page.contains("演示接入系统"),
        "the allowed system is listed"
    );
    // The other device's row is the one not marked as this device.
    let table = &page[page.find(r#"id="devices""#).unwrap()..];
    let other_row = table
        .split("<tr>")
        .skip(2)
        .find(|row| !row.contains("本设备"))
        .unwrap();
    let start = other_row.find(r#"name="id" value=""#).unwrap() + r#"name="id" value=""#.len();
    let laptop_id = other_row[start..start + other_row[start..].find('"').unwrap()].to_owned();
    let r = phone
        .post(app.url("/account/sessions"))
        .form(&[("id", laptop_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(app.get_text(&phone, "/account").await.0, 200);
    // offline_access outlives the laptop's session, until consent is withdrawn.
    let (s, body) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let r = phone
        .post(app.url("/account/consents"))
        .form(&[("client_id", DEMO_RP_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = token(
        &app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(s, 400);
    let r = phone
        .get(authorize_url(&app, DEMO_RP_ID, DEMO_RP_REDIRECT, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "asked again");
    // Sign out everywhere.
    let tablet = app.signed_in("citizen").await;
    let r = phone
        .post(app.url("/account/sessions"))
        .form(&[("id", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    for c in [&phone, &tablet] {
        assert_eq!(
            c.get(app.url("/account")).send().await.unwrap().status(),
            303
        );
    }
}
