//! The console's lists and files in a browser's forms: the theme list, the
//! code lists, and blank forms and samples.

use super::*;

#[tokio::test]
async fn system_admins_keep_the_theme_list() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, page) = app.get_text(&admin, "/admin/catalog/themes").await;
    assert_eq!(status, 200);
    assert!(page.contains("p_birth") && page.contains("生育收养"));
    let r = admin
        .post(app.url("/admin/catalog/themes"))
        .form(&[
            ("code", "p_winter"),
            ("audience", "person"),
            ("name_zh", "冬季供暖"),
            ("name_en", "Winter heating"),
            ("sort_order", "20"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("冬季供暖"));
    let r = admin
        .post(app.url("/admin/catalog/themes"))
        .form(&[("code", "Bad Code"), ("audience", "alien"), ("name_zh", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for expected in [
        "代码应为1至40位小写字母",
        "服务对象应为自然人或法人",
        "中文名称不能为空",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    // The new theme is offered when editing items, and editors cannot change the list.
    let (_, items) = app.get_text(&app.client(), "/items").await;
    assert!(items.contains("冬季供暖"));
    let editor = app.signed_in("editor").await;
    assert_eq!(app.get_text(&editor, "/admin/catalog/themes").await.0, 403);
}

#[tokio::test]
async fn system_admins_keep_the_code_lists_and_editors_guides_and_search_use_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.signed_in("editor").await;
    assert_eq!(
        app.get_text(&editor, "/admin/catalog/code-lists").await.0,
        403
    );
    let (status, page) = app.get_text(&admin, "/admin/catalog/code-lists").await;
    assert_eq!(status, 200);
    for shipped in ["纸质或电子", "申请人自备", "Ⅳ级 全程网办", "尚无修改"] {
        assert!(page.contains(shipped), "{shipped}");
    }
    let save = |fields: Vec<(&'static str, &'static str)>| {
        admin
            .post(app.url("/admin/catalog/code-lists"))
            .form(&fields)
            .send()
    };
    // A new source, and new wording for level III.
    let r = save(vec![
        ("list", "material_source"),
        ("code", "notary"),
        ("name_zh", "公证机构出具"),
        ("name_en", "Notarised"),
        ("sort_order", "50"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("代码已保存") && body.contains("公证机构出具"));
    // The shipped sources are kept when the first one is added.
    assert!(body.contains("申请人自备"));
    let r = save(vec![
        ("list", "online_depth"),
        ("code", "3"),
        ("name_zh", "Ⅲ级 网上受理（冰城最多跑一次）"),
        ("name_en", "Level III"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // Levels are fixed by the rules; codes are checked; positions are numbers.
    let r = save(vec![
        ("list", "online_depth"),
        ("code", "5"),
        ("name_zh", "Ⅴ级"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只能修改名称"));
    let r = save(vec![
        ("list", "material_form"),
        ("code", "Bad Code"),
        ("name_zh", ""),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("代码应为1至40位") && body.contains("中文名称不能为空"));
    let r = save(vec![
        ("list", "material_form"),
        ("code", "scan"),
        ("name_zh", "扫描件"),
        ("sort_order", "第一"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let (_, page) = app.get_text(&admin, "/admin/catalog/code-lists").await;
    assert!(
        !page.contains("扫描件"),
        "nothing is saved from a refused form"
    );
    // Who changed what is kept.
    let history = &page[page.find("id=\"code-history\"").unwrap()..];
    assert!(history.contains("notary") && history.contains("孙伟"));

    // The editor offers the new code, and keeps every material attribute on save.
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"<option value="notary">公证机构出具</option>"#));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "m0_source", "notary");
    set(&mut f, "m0_form", "electronic");
    set(&mut f, "m0_issuer", "哈尔滨市公证处");
    set(&mut f, "m0_note", "须在有效期内");
    set(&mut f, "action", "save");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, page) = app.get_text(&editor, &url).await;
    let f = form_fields(&page, "guide-form");
    let value = |n: &str| f.iter().find(|(k, _)| k == n).unwrap().1.clone();
    assert_eq!(value("m0_source"), "notary");
    assert_eq!(value("m0_form"), "electronic");
    assert_eq!(value("m0_issuer"), "哈尔滨市公证处");
    assert_eq!(value("m0_note"), "须在有效期内");
    // A code no list has is refused at publication, by field.
    let mut bad = f.clone();
    set(&mut bad, "m0_form", "microfilm");
    set(&mut bad, "action", "submit");
    let r = editor.post(app.url(&url)).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("材料形式代码无效"));
    // The refused submission kept the editor's text as a draft; put it right.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut good = form_fields(&page, "guide-form");
    assert_eq!(
        good.iter().find(|(k, _)| k == "m0_form").unwrap().1,
        "microfilm"
    );
    set(&mut good, "m0_form", "electronic");
    set(&mut good, "action", "submit");
    let r = editor.post(app.url(&url)).form(&good).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;

    // The guide, the list and the PDF-facing text use the configured wording.
    let (_, guide_page) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    for expected in [
        "电子 · 公证机构出具",
        "出具单位：<span lang=\"zh-CN\">哈尔滨市公证处</span>",
        "须在有效期内",
        "Ⅲ级 网上受理（冰城最多跑一次）",
    ] {
        assert!(guide_page.contains(expected), "{expected}");
    }
    // In English: English words with an English colon, the department's
    // Chinese marked as such.
    let english = app.client();
    english.get(app.url("/lang/en")).send().await.unwrap();
    let (_, guide_en) = app.get_text(&english, &format!("/items/{code}")).await;
    assert!(
        guide_en.contains("Issued by: <span lang=\"zh-CN\">哈尔滨市公证处</span>"),
        "{guide_en}"
    );
    let (_, list) = app
        .get_text(&app.client(), "/items?theme=p_assistance")
        .await;
    assert!(list.contains("冰城最多跑一次"));
    // And the exchange format carries the attributes.
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
    assert!(
        row["materials"]
            .as_str()
            .unwrap()
            .contains("form=electronic|source=notary|issuer=哈尔滨市公证处|note=须在有效期内"),
        "{}",
        row["materials"]
    );
}

#[tokio::test]
async fn blank_forms_and_samples_are_uploaded_by_editors_and_downloaded_from_the_guide() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    // Open a new version of 最低生活保障 (city).
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"id="upload-0-blank_form""#));
    let upload = |name: &'static str, bytes: Vec<u8>, revision: String| {
        let form = reqwest::multipart::Form::new()
            .text("revision", revision)
            .text("material", "0")
            .text("kind", "blank_form")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        editor
            .post(app.url(&format!("{url}/files")))
            .multipart(form)
            .send()
    };
    // A kind not accepted is refused with the reason.
    let r = upload("virus.exe", b"MZ".to_vec(), "1".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只接受"));
    let pdf = b"%PDF-1.4 blank form of the minimum living allowance".to_vec();
    let r = upload("低保申请书.pdf", pdf.clone(), "1".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The same revision again is a conflict: someone (this upload) saved first.
    let r = upload("again.pdf", pdf.clone(), "1".into()).await.unwrap();
    assert_eq!(r.status(), 409);
    // The draft's attachment has an unguessable key and is not public: an
    // anonymous visitor gets "not found", the editor gets it, uncached.
    let (_, page) = app.get_text(&editor, &url).await;
    let key = page
        .split("href=\"/files/")
        .nth(1)
        .expect("draft link")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    let file_url = app.url(&format!("/files/{key}"));
    assert_eq!(
        app.client().get(&file_url).send().await.unwrap().status(),
        404
    );
    let r = editor.get(&file_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let citizen = app.citizen().await;
    assert_eq!(citizen.get(&file_url).send().await.unwrap().status(), 404);
    // A later save of the whole form keeps the attachment.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "action", "submit");
    let r = editor
        .post(app.url(&url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    publish_as(&app, &admin, &url).await;
    let (_, guide_page) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    let href = guide_page
        .split("href=\"/files/")
        .nth(1)
        .expect("download link")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .client()
        .get(app.url(&format!("/files/{href}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=86400, immutable"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    // The clean-up, a day later, removes the upload whose save failed and
    // keeps the one the guide links.
    let later = tongban_core::platform::clock::now_ms()
        + tongban_core::platform::files::UNREFERENCED_GRACE_MS
        + 1;
    let purged = tongban_core::platform::files::purge_unreferenced(&app.db, app.data_dir(), later)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let r = app.client().get(&file_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(
        app.client()
            .get(app.url("/files/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
