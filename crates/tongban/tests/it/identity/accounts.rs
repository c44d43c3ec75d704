//! Opening accounts: staff by administrators, persons at the window and online.

use super::*;

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
        "用户名应为3至32位",
        "请填写姓名",
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
    assert!(r.text().await.unwrap().contains("公民身份号码校验码错误"));
    let r = register("230103198805120020").await.unwrap();
    let page = r.text().await.unwrap();
    if page.contains("身份证号无效") {
        panic!("the sample ID should be valid: {page}");
    }
    assert!(page.contains(r#"id="print-slip""#) && page.contains("没有易混淆的字符"));
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
        tongban_core::platform::db::query("SELECT COALESCE(id_number_sealed, '') || COALESCE(id_number_hash, '') FROM accounts WHERE username = 'citizen'")
            .fetch_one(&app.db)
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
    assert!(body.contains("用户服务协议"), "{body}");
    assert!(body.contains("公民身份号码校验码错误"), "{body}");
    let r = c
        .post(app.url("/register"))
        .form(&form("230103198805120021", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("公民身份号码校验码错误"));
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
    let outbox = super::outbox_with(&app, "注册账号").await;
    assert!(outbox.contains("13700000005"), "{outbox}");
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
