//! Signing in: every demo account, next, sign-out, wrong passwords, locks, the second factor, the address limit.

use super::*;

#[tokio::test]
async fn every_demo_account_signs_in_and_sees_its_roles() {
    let app = TestApp::spawn().await;
    for (user, role) in [
        ("citizen", None),
        ("enterprise", None),
        ("clerk", Some("窗口人员")),
        ("reviewer", Some("审查人员")),
        ("decider", Some("决定人员")),
        ("editor", Some("事项编辑")),
        ("supervisor", Some("监察人员")),
        ("admin", Some("系统管理员")),
        ("agent", Some("代办员")),
        ("deptadmin", Some("部门管理员")),
    ] {
        let c = app.signed_in(user).await;
        let (status, body) = app.get_text(&c, "/account").await;
        assert_eq!(status, 200, "{user}");
        assert!(body.contains(&format!(r#"<dd id="account-username">{user}</dd>"#)));
        match role {
            Some(r) => assert!(body.contains(&format!("<td>{r}</td>")), "{user} lacks {r}"),
            None => assert!(body.contains("无工作人员角色")),
        }
    }
    // Roles are for staff only: sessions of persons and enterprises never
    // read role grants, so none may be written for them.
    let citizen = tongban_core::identity::accounts::by_username(&app.db, "citizen")
        .await
        .unwrap()
        .unwrap()
        .id;
    let refused = app
        .db
        .write(move |c| {
            Box::pin(async move {
                tongban_core::identity::accounts::insert_grant(
                    c,
                    citizen,
                    tongban_domain::kernel::Role::WindowClerk,
                    1,
                    None,
                    0,
                )
                .await
            })
        })
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn sign_in_redirects_to_next_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = app.client();
    // Signed out, the account page sends you to sign in and back.
    let r = c.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Faccount");
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", "Citizen"),
            ("password", "tongban-demo"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert_eq!(app.get_text(&c, "/account").await.0, 200);
    let r = c.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        303
    );
    // An off-site next is ignored.
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[
            ("username", "citizen"),
            ("password", "tongban-demo"),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let app = TestApp::spawn().await;
    for (u, p) in [("clerk", "wrong-password"), ("nobody", "tongban-demo")] {
        let r = app
            .client()
            .post(app.url("/login"))
            .form(&[("username", u), ("password", p)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let body = r.text().await.unwrap();
        assert!(body.contains("用户名或密码错误"), "{body}");
        assert!(body.contains(r#"id="error-summary""#));
    }
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", ""), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请输入用户名和密码"));
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    for _ in 0..4 {
        let r = app
            .client()
            .post(app.url("/login"))
            .form(&[("username", "reviewer"), ("password", "nope-nope-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "reviewer"), ("password", "nope-nope-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "reviewer"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("账号已锁定"));
    // Other accounts are unaffected.
    app.signed_in("decider").await;
}

#[tokio::test]
async fn staff_sign_in_needs_a_one_time_code_that_cannot_be_replayed() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", "clerk"),
            ("password", "tongban-demo"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login/totp");
    // The password alone is no session.
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        303
    );
    let (status, page) = app.get_text(&c, "/login/totp").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("totp-secret"),
        "an enrolled account is not shown its key"
    );
    let r = c
        .post(app.url("/login/totp"))
        .form(&[("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("验证码不正确"));
    let code = demo_totp_now();
    let r = c
        .post(app.url("/login/totp"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account");
    assert_eq!(app.get_text(&c, "/account").await.0, 200);

    // The secret is sealed at rest, not stored as the key people type.
    let stored: String = {
        tongban_core::platform::db::query(
            "SELECT totp_secret FROM accounts WHERE username = 'clerk'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
    };
    assert!(!stored.contains(tongban_core::demo::DEMO_TOTP_SECRET));
    // Someone who saw the code cannot use it again, on the web or the API.
    let thief = app.client();
    thief
        .post(app.url("/login"))
        .form(&[("username", "clerk"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    let r = thief
        .post(app.url("/login/totp"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": "clerk", "password": "tongban-demo", "totp": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Wrong codes count towards the lock like wrong passwords do.
    let c = app.client();
    c.post(app.url("/login"))
        .form(&[("username", "reviewer"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    let mut last = 0;
    for _ in 0..5 {
        last = c
            .post(app.url("/login/totp"))
            .form(&[("code", "111111")])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "reviewer"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "locked for the right password too");
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_refused_for_a_while_on_every_account() {
    let app = TestApp::spawn().await;
    // Spread over many accounts, so that no single account locks.
    for i in 0..30 {
        let r = app
            .client()
            .post(app.url("/login"))
            .form(&[
                ("username", format!("guess{i}")),
                ("password", "wrong-password".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "citizen"), ("password", "tongban-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("此网络地址登录失败次数过多")
    );
    // The account itself is not locked: the limit is the address's.
    let locked: Option<i64> = {
        tongban_core::platform::db::query(
            "SELECT locked_until FROM accounts WHERE username = 'citizen'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
    };
    assert_eq!(locked, None);
}
