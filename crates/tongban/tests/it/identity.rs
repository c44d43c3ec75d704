//! Sign-in, sessions, lockout, password change and staff administration.

use tongban_domain::identity::totp;

use crate::helpers::{TestApp, demo_totp_now};

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
        assert!(body.contains("用户名或密码错误"));
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
async fn admin_creates_staff_within_scope_and_dept_admin_is_limited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, body) = app.get_text(&admin, "/admin/staff").await;
    assert_eq!(status, 200);
    assert!(body.contains("clerk") && body.contains("哈尔滨市人民政府"));
    let dept = app.org_id("哈尔滨市民政局").await.to_string();
    let r = admin
        .post(app.url("/admin/staff"))
        .form(&[
            ("username", "minzheng01"),
            ("display_name", "钱芳"),
            ("org_id", dept.as_str()),
            ("role", "reviewer"),
            ("password", "Minzheng-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, body) = app
        .get_text(&admin, "/admin/staff?created=minzheng01")
        .await;
    assert!(body.contains("已创建工作人员账号 minzheng01") && body.contains("钱芳"));
    app.signed_in_with("minzheng01", "Minzheng-2026!").await;

    // Every bad field is reported at once, and the typed values are kept.
    let r = admin
        .post(app.url("/admin/staff"))
        .form(&[
            ("username", "x"),
            ("display_name", ""),
            ("org_id", "999999"),
            ("role", "reviewer"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for e in [
        "用户名长度应为3至32个字符",
        "此项必填",
        "所选机构不在您的管理范围内",
        "密码至少需要10个字符",
    ] {
        assert!(body.contains(e), "missing {e}");
    }
    // Duplicate username.
    let r = admin
        .post(app.url("/admin/staff"))
        .form(&[
            ("username", "clerk"),
            ("display_name", "重复"),
            ("org_id", dept.as_str()),
            ("role", "reviewer"),
            ("password", "Minzheng-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("用户名已被使用"));

    // The department admin of 市市场监管局 cannot reach 民政局 nor grant supervision.
    let da = app.signed_in("deptadmin").await;
    let (_, body) = app.get_text(&da, "/admin/staff").await;
    assert!(body.contains("reviewer") && !body.contains("minzheng01"));
    let r = da
        .post(app.url("/admin/staff"))
        .form(&[
            ("username", "sj02"),
            ("display_name", "甲"),
            ("org_id", dept.as_str()),
            ("role", "reviewer"),
            ("password", "Shichang-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("所选机构不在您的管理范围内")
    );
    let own = app.org_id("哈尔滨市市场监督管理局").await.to_string();
    let r = da
        .post(app.url("/admin/staff"))
        .form(&[
            ("username", "sj03"),
            ("display_name", "乙"),
            ("org_id", own.as_str()),
            ("role", "supervisor"),
            ("password", "Shichang-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("您不能授予该角色"));

    // Citizens and clerks get a 403 page.
    let (status, body) = app.get_text(&app.clerk().await, "/admin/staff").await;
    assert_eq!(status, 403);
    assert!(body.contains("您没有权限"));
}

impl TestApp {
    pub async fn signed_in_with(&self, username: &str, password: &str) -> reqwest::Client {
        let c = self.client();
        let r = c
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in of {username}");
        if r.headers()["location"] == "/login/totp" {
            // A staff account without an authenticator enrols on first use:
            // the page shows the key, the person types the code it yields.
            let (_, page) = self.get_text(&c, "/login/totp").await;
            let start = page.find(r#"id="totp-secret">"#).expect("enrolment key") + 17;
            let key: String = page[start..start + page[start..].find('<').unwrap()]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let secret = totp::base32_decode(&key).unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            let code = totp::code_at(&secret, totp::step_of(now));
            let r = c
                .post(self.url("/login/totp"))
                .form(&[("code", code.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "enrolment of {username}");
        }
        assert_eq!(self.get_text(&c, "/account").await.0, 200);
        c
    }
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
        use sqlx::Row;
        sqlx::query("SELECT totp_secret FROM accounts WHERE username = 'clerk'")
            .fetch_one(app.db.pool())
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
        use sqlx::Row;
        sqlx::query("SELECT locked_until FROM accounts WHERE username = 'citizen'")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    assert_eq!(locked, None);
}

/// The development outbox once it holds a message containing `needle`
/// (codes are delivered in the background, so the page is polled).
async fn outbox_with(app: &TestApp, needle: &str) -> String {
    for _ in 0..100 {
        let (status, page) = app.get_text(&app.client(), "/dev/messages").await;
        assert_eq!(status, 200);
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no message containing {needle:?} arrived in the outbox");
}

/// The newest one-time code in the development outbox.
async fn code_from_outbox(app: &TestApp) -> String {
    let page = outbox_with(app, "验证码是 ").await;
    let at = page.find("验证码是 ").expect("a code message") + "验证码是 ".len();
    page[at..at + 6].to_owned()
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
    // aiosmtpd (PyPI) is the SMTP server; .ci/run installs it.
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
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
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
    let app = TestApp::spawn_configured(true, |cfg| {
        cfg.mail.smtp_host = "127.0.0.1".into();
        cfg.mail.smtp_port = port;
        cfg.mail.smtp_tls = "none".into();
        cfg.mail.from = "通办 <noreply@tongban.invalid>".into();
    })
    .await;
    let c = app.client();
    let r = c
        .post(app.url("/password/reset"))
        .form(&[("username", "citizen"), ("channel", "email")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The message is in the server's mailbox, not in the outbox.
    let new = maildir.path().join("box").join("new");
    let mut mail = String::new();
    for _ in 0..100 {
        if let Some(e) = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()) {
            mail = std::fs::read_to_string(e.unwrap().path()).unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
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

/// The text of a single-part message (base64 or quoted-printable or plain).
fn decode_mail_body(mail: &str) -> String {
    use base64::Engine;
    let (head, body) = mail
        .split_once("\n\n")
        .or_else(|| mail.split_once("\r\n\r\n"))
        .unwrap();
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if head.contains("quoted-printable") {
        let mut out = Vec::new();
        let raw = body.replace("=\r\n", "").replace("=\n", "");
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    }
}

#[tokio::test]
async fn a_clerk_registers_a_person_at_the_window_and_verifies_another_in_person() {
    let app = TestApp::spawn().await;
    let citizen = app.signed_in("citizen").await;
    assert_eq!(app.get_text(&citizen, "/counter").await.0, 403);
    let (_, page) = app.get_text(&citizen, "/account").await;
    assert!(
        page.contains("三级") && page.contains("2301**********1237"),
        "level and masked ID"
    );
    let clerk = app.clerk().await;
    let register = |id: &'static str| {
        clerk
            .post(app.url("/counter"))
            .form(&[
                ("action", "register"),
                ("name", "王丽华"),
                ("id_number", id),
                ("phone", "13900000009"),
            ])
            .send()
    };
    // A wrong check character is explained.
    let r = register("230103198805120021").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("身份证号无效"));
    let r = register("230103198805120020").await.unwrap();
    let page = r.text().await.unwrap();
    if page.contains("身份证号无效") {
        panic!("the sample ID should be valid: {page}");
    }
    let start = page.find(r#"id="new-password">"#).unwrap() + r#"id="new-password">"#.len();
    let initial = page[start..start + page[start..].find('<').unwrap()].to_owned();
    assert!(
        page.contains("230103198805120020"),
        "the username is the ID number"
    );
    // The person signs in with it and sees level 4 and the masked number.
    let person = app.signed_in_with("230103198805120020", &initial).await;
    let (_, account) = app.get_text(&person, "/account").await;
    assert!(account.contains("四级") && account.contains("2301**********0020"));
    // Registered once only.
    let r = register("230103198805120020").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("已注册账号 230103198805120020")
    );
    // In-person verification of the demo citizen: the card must match.
    let verify = |id: &'static str| {
        clerk
            .post(app.url("/counter"))
            .form(&[
                ("action", "verify"),
                ("username", "citizen"),
                ("id_number", id),
            ])
            .send()
    };
    let r = verify("11010519491231002X").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不一致"));
    let demo_id = tongban_domain::kernel::IdCardNo::with_check("23010219900307123").unwrap();
    let r = clerk
        .post(app.url("/counter"))
        .form(&[
            ("action", "verify"),
            ("username", "citizen"),
            ("id_number", demo_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, page) = app.get_text(&citizen, "/account").await;
    assert!(page.contains("四级"));
    // The number is sealed at rest: the database holds no plain copy.
    let dump: String = {
        use sqlx::Row;
        sqlx::query("SELECT COALESCE(id_number_sealed, '') || COALESCE(id_number_hash, '') FROM accounts WHERE username = 'citizen'")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    assert!(!dump.is_empty() && !dump.contains(demo_id.as_str()));
}

#[tokio::test]
async fn a_person_registers_online_with_a_confirmed_phone() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let form = |id: &'static str, agree: bool| {
        let mut f = vec![
            ("name", "赵雪"),
            ("id_number", id),
            ("phone", "13700000005"),
            ("password", "Bingcheng-2026"),
            ("confirm", "Bingcheng-2026"),
        ];
        if agree {
            f.push(("agree", "1"));
        }
        f
    };
    // Every problem at once, in Chinese.
    let r = c
        .post(app.url("/register"))
        .form(&form("230103198805120021", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("用户服务协议"));
    let r = c
        .post(app.url("/register"))
        .form(&form("230103198805120021", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("身份证号无效"));
    // The demo citizen's number is taken: the answer does not say so (the
    // phone of record is told; see `security`), and no account changes.
    let r = c
        .post(app.url("/register"))
        .form(&form("230102199003071237", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains("已注册账号"));
    // A good form: a code goes to the phone; the account waits for it.
    let r = c
        .post(app.url("/register"))
        .form(&form("230103198805120020", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("register-confirm-form"));
    let r = app
        .client()
        .post(app.url("/login"))
        .form(&[
            ("username", "230103198805120020"),
            ("password", "Bingcheng-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("注册尚未完成"));
    let (_, outbox) = app.get_text(&c, "/dev/messages").await;
    assert!(outbox.contains("13700000005") && outbox.contains("注册账号"));
    let code = code_from_outbox(&app).await;
    let r = c
        .post(app.url("/register/confirm"))
        .form(&[("username", "230103198805120020"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account?done=registered");
    let (_, page) = app.get_text(&c, "/account?done=registered").await;
    assert!(page.contains("注册成功") && page.contains("一级"));
    // The same code cannot open it twice; signing in works.
    app.signed_in_with("230103198805120020", "Bingcheng-2026")
        .await;
}
