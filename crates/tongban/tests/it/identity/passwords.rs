//! Passwords: changing one, and resetting a forgotten one by text or email.

use super::*;

#[tokio::test]
async fn password_change_checks_policy_and_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let here = app.citizen().await;
    let elsewhere = app.citizen().await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        let c = here.clone();
        let url = app.url("/account/password");
        async move { c.post(url).form(&form).send().await.unwrap() }
    };
    let r = post(vec![
        ("current", "tongban-demo"),
        ("new", "short"),
        ("confirm", "short"),
    ])
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("密码至少需要10个字符"));
    let r = post(vec![
        ("current", "tongban-demo"),
        ("new", "Songhua-River-2026"),
        ("confirm", "Songhua-River-2027"),
    ])
    .await;
    assert!(r.text().await.unwrap().contains("两次输入的新密码不一致"));
    let r = post(vec![
        ("current", "wrong"),
        ("new", "Songhua-River-2026"),
        ("confirm", "Songhua-River-2026"),
    ])
    .await;
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = post(vec![
        ("current", "tongban-demo"),
        ("new", "Songhua-River-2026"),
        ("confirm", "Songhua-River-2026"),
    ])
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account?done=password");
    assert!(
        app.get_text(&here, "/account?done=password")
            .await
            .1
            .contains("密码已修改")
    );
    assert_eq!(
        elsewhere
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "other session still alive"
    );
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "citizen"), ("password", "Songhua-River-2026")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_code_to_the_registered_phone() {
    let app = TestApp::spawn().await;
    let old_session = app.signed_in("citizen").await;
    let c = app.client();
    let r = c
        .post(app.url("/password/reset"))
        .form(&[("username", "citizen"), ("channel", "sms")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent_page = r.text().await.unwrap();
    assert!(sent_page.contains("验证码已发送"));
    // An unknown account gets the very same answer.
    let r = c
        .post(app.url("/password/reset"))
        .form(&[("username", "nobody"), ("channel", "sms")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("验证码已发送"));
    let outbox = outbox_with(&app, "13800000001").await;
    assert!(!outbox.contains("nobody"));
    let code = code_from_outbox(&app).await;
    let submit = |code: String, new: &'static str| {
        c.post(app.url("/password/reset/verify"))
            .form(&[
                ("username", "citizen".to_owned()),
                ("channel", "sms".into()),
                ("code", code),
                ("new", new.into()),
                ("confirm", new.into()),
            ])
            .send()
    };
    // A weak password is refused before the code is spent; a wrong code too.
    let r = submit(code.clone(), "short").await.unwrap();
    assert_eq!(r.status(), 422);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = submit(wrong.into(), "Songhua-River-2026").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("验证码不正确"));
    let r = submit(code.clone(), "Songhua-River-2026").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?done=reset");
    // Every earlier session ended; the new password works; the code is spent.
    assert_eq!(
        old_session
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    app.signed_in_with("citizen", "Songhua-River-2026").await;
    let r = submit(code, "Another-Password-2026").await.unwrap();
    assert_eq!(r.status(), 422);
    // Nobody can flood the phone: five codes an hour.
    for _ in 0..4 {
        let r = c
            .post(app.url("/password/reset"))
            .form(&[("username", "citizen"), ("channel", "sms")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = c
        .post(app.url("/password/reset"))
        .form(&[("username", "citizen"), ("channel", "sms")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn reset_codes_go_out_over_smtp_to_a_real_server() {
    let Some(mut smtp) = crate::helpers::SmtpServer::start().await else {
        return;
    };
    let app = TestApp::spawn_configured(true, |cfg| smtp.configure(cfg)).await;
    let c = app.client();
    let r = c
        .post(app.url("/password/reset"))
        .form(&[("username", "citizen"), ("channel", "email")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The message is in the server's mailbox, not in the outbox.
    let mail = smtp.next_mail().await;
    assert!(mail.contains("citizen@demo.tongban.invalid"), "{mail}");
    let (_, outbox) = app.get_text(&c, "/dev/messages").await;
    assert!(!outbox.contains("citizen@demo"));
    // The body is encoded; decode it to find the code.
    let body = decode_mail_body(&mail);
    let at = body.find("验证码是 ").expect("code in mail") + "验证码是 ".len();
    let code = body[at..at + 6].to_owned();
    let r = c
        .post(app.url("/password/reset/verify"))
        .form(&[
            ("username", "citizen"),
            ("channel", "email"),
            ("code", code.as_str()),
            ("new", "Songhua-River-2026"),
            ("confirm", "Songhua-River-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}
