//! The public catalog: browsing, guide pages, the guide PDF, minimum real-name levels.

use super::*;

#[tokio::test]
async fn published_demo_items_are_browsable_by_theme_department_and_audience() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (status, body) = app.get_text(&c, "/items?theme=e_permits").await;
    assert_eq!(status, 200);
    assert!(body.contains("食品经营许可") && body.contains("公共场所卫生许可"));
    assert!(!body.contains("居民身份证补领"));
    let (_, body) = app.get_text(&c, "/items?object=1&theme=p_id").await;
    assert!(body.contains("居民身份证补领") && body.contains("居民身份证换领"));
    let dept = app.org_id("哈尔滨市公安局").await;
    let page: Value = c
        .get(app.url(&format!("/api/v1/items?dept={dept}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page["total"].as_i64().unwrap() >= 5);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["org_id"] == dept)
    );
    // 20 per page; the second page differs from the first.
    let p1: Value = c
        .get(app.url("/api/v1/items"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p2: Value = c
        .get(app.url("/api/v1/items?page=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(p1["total"].as_i64().unwrap() >= 60);
    assert_eq!(p1["items"].as_array().unwrap().len(), 20);
    assert_ne!(p1["items"][0]["task_code"], p2["items"][0]["task_code"]);
    // The home page offers the themes.
    let (_, home) = app.get_text(&c, "/").await;
    assert!(home.contains(r#"href="/items?theme=p_birth""#));
    // Bad filters are field errors.
    for bad in ["page=0", "object=9", "division=12", "theme=a%20b"] {
        let r = c
            .get(app.url(&format!("/api/v1/items?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
    }
}

#[tokio::test]
async fn a_guide_page_shows_every_element_and_what_need_not_be_brought() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let list: Value = c
        .get(app.url(&format!(
            "/api/v1/items?dept={}",
            app.org_id("哈尔滨市市场监督管理局").await
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let food = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "食品经营许可")
        .unwrap();
    let code = food["task_code"].as_str().unwrap();
    let (status, body) = app.get_text(&c, &format!("/items/{code}")).await;
    assert_eq!(status, 200);
    for expected in [
        "食品经营许可申请书",
        "免提交：由电子证照库获取（营业执照）",
        "10 个工作日",
        "20 个工作日",
        "《中华人民共和国食品安全法》第三十五条",
        "不收费",
        "0451-12345",
        "哈尔滨市政务服务中心",
    ] {
        assert!(body.contains(expected), "guide lacks {expected}");
    }
    // Other items of the same life-event theme are offered.
    assert!(body.contains(r#"id="related""#) && body.contains("食品生产许可"));
    // The same item at district level is linked.
    assert!(body.contains(r#"id="other-places""#) && body.contains("哈尔滨市道里区市场监督管理局"));
    let item: Value = c
        .get(app.url(&format!("/api/v1/items/{}", code.to_lowercase())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item["guide"]["promised_limit"]["value"], 10);
    assert_eq!(
        item["guide"]["materials"][1]["fetchable"]["certificate"],
        "营业执照"
    );
    // A fee with its basis.
    let id_list: Value = c
        .get(app.url("/api/v1/items?theme=p_id"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replace = id_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "居民身份证补领")
        .unwrap();
    let (_, body) = app
        .get_text(
            &c,
            &format!("/items/{}", replace["task_code"].as_str().unwrap()),
        )
        .await;
    assert!(body.contains("20元/证") && body.contains("收费依据"));
    assert_eq!(app.get_text(&c, "/items/NOSUCHCODE").await.0, 404);
    assert_eq!(
        c.get(app.url("/api/v1/items/NOSUCHCODE"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // English.
    c.get(app.url("/lang/en")).send().await.unwrap();
    let (_, body) = app.get_text(&c, &format!("/items/{code}")).await;
    assert!(body.contains("Food business licence") && body.contains("10 working days"));
    // Content the department wrote in Chinese is said once to be Chinese,
    // and marked so a screen reader reads it as Chinese.
    assert_eq!(body.matches("publishes this guide in Chinese").count(), 1);
    assert!(body.contains(r#"<ol class="steps" lang="zh-CN">"#));
    c.get(app.url("/lang/zh-CN")).send().await.unwrap();
    let (_, body) = app.get_text(&c, &format!("/items/{code}")).await;
    assert!(!body.contains("content-in-chinese"));
}

#[tokio::test]
async fn the_guide_pdf_embeds_a_chinese_font_and_reads_as_chinese_text() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let page: Value = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "开饭店")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = page["items"][0]["task_code"].as_str().unwrap().to_owned();
    let r = c
        .get(app.url(&format!("/items/{code}/guide.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.windows(9).any(|w| w == b"FontFile2") || pdf.windows(9).any(|w| w == b"FontFile3"),
        "font embedded"
    );
    assert_eq!(
        c.get(app.url("/items/NOSUCH/guide.pdf"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Text extraction proves the glyphs map back to Chinese characters.
    let have_pdftotext = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    if !have_pdftotext {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_PDFTOTEXT").is_err(),
            "TONGBAN_TEST_REQUIRE_PDFTOTEXT is set but pdftotext is missing"
        );
        eprintln!("pdftotext (poppler-utils) not installed: checked the PDF's structure only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "食品经营许可",
        "办事需要带什么",
        "免提交，由电子证照库获取（营业执照）",
        "10 个工作日",
        "哈尔滨市市场监督管理局",
    ] {
        assert!(text.contains(expected), "PDF text lacks {expected}: {text}");
    }
}

#[tokio::test]
async fn an_item_can_require_a_real_name_level_and_the_guide_says_so() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"id="f-min_level""#) && page.contains("四级：窗口当面核验或数字证书"));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "min_level", "9");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("实名等级要求应为一至四级"));
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "min_level", "2");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;
    let (_, guide) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    assert!(
        guide.contains(r#"id="min-level">二级"#),
        "the guide states the level"
    );
    let rows: Value = app
        .client()
        .get(app.url("/api/v1/catalog/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_code"] == code.as_str())
        .unwrap();
    assert_eq!(row["min_level"], "2");
}
