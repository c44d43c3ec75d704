//! The editors' console in a browser's forms: editing, creating, standardisation, situations, themes, code lists, attachments.

use super::*;

/// Every input of a form on a page, as (name, value) pairs, the way a
/// browser would submit it (checked boxes only; the first option of a
/// select unless one is marked selected).
#[tokio::test]
async fn an_editor_and_a_reviewer_change_review_publish_and_diff_in_the_browser_forms() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;

    // The editor opens a published item's versions page and starts version 2.
    let (_, list) = app
        .get_text(&editor, "/admin/catalog?status=published")
        .await;
    assert!(list.contains("最低生活保障"));
    let (code, item_id, draft_url) =
        open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;

    // Change the promised limit and add a material; a bad number is reported, nothing saved.
    let (_, page) = app.get_text(&editor, &draft_url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "promised_limit", "十");
    set(&mut fields, "action", "save");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("应为数字"));
    set(&mut fields, "promised_limit", "12");
    let blank = fields
        .iter()
        .find(|(n, v)| {
            v.is_empty() && n.starts_with('m') && n.ends_with("_name") && !n.ends_with("fetch_name")
        })
        .unwrap()
        .0
        .clone();
    set(&mut fields, &blank, "户口簿");
    set(&mut fields, "action", "save");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app
        .get_text(&editor, &format!("{draft_url}?done=saved"))
        .await;
    assert!(page.contains("草稿已保存") && page.contains(r#"id="changes""#));
    assert!(page.contains("promised_limit.value") && page.contains("户口簿"));

    // A second tab with the old revision: its save is refused, its input kept.
    let stale = fields.clone();
    let mut stale2 = stale.clone();
    set(&mut stale2, "hours", "全天");
    let r = editor
        .post(app.url(&draft_url))
        .form(&stale2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("刚刚被他人修改") && body.contains("value=\"全天\""));

    // Submit from a fresh load; the editor cannot publish; the admin can.
    let (_, page) = app.get_text(&editor, &draft_url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "action", "submit");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, page) = app.get_text(&editor, &draft_url).await;
    assert!(page.contains("待审核") && !page.contains(r#"id="publish""#));
    let (_, page) = app.get_text(&admin, &draft_url).await;
    assert!(page.contains(r#"id="publish""#));
    publish_as(&app, &admin, &draft_url).await;
    let (_, public) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    assert!(public.contains("12 个工作日") && public.contains("户口簿") && public.contains("v2"));

    // The versions page compares v1 and v2 and shows the trail.
    let (_, page) = app
        .get_text(
            &editor,
            &format!("/admin/catalog/items/{item_id}?from=1&to=2"),
        )
        .await;
    assert!(
        page.contains(r#"id="diff""#)
            && page.contains("promised_limit.value")
            && page.contains("<td class=\"before\">15</td>")
    );
    assert!(page.contains("创建新版本") && page.contains("孙伟（系统管理员）"));
    // Citizens are kept out.
    assert_eq!(
        app.get_text(&app.citizen().await, "/admin/catalog").await.0,
        403
    );
}

#[tokio::test]
async fn a_new_item_is_created_in_the_browser_and_bad_codes_are_explained() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (status, page) = app.get_text(&editor, "/admin/catalog/new").await;
    assert_eq!(status, 200);
    let mut fields = form_fields(&page, "new-item-form");
    set(&mut fields, "name", "冰雪旅游线路备案");
    set(&mut fields, "catalog_code", "bad code!");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("基本编码应为1至12位数字或大写字母")
    );
    set(&mut fields, "catalog_code", "209990001000");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = app.get_text(&editor, &url).await;
    // A fresh draft lists what publication still needs.
    assert!(page.contains(r#"id="problems""#) && page.contains("设定依据不能为空"));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"id="error-summary""#) && body.contains("至少填写一项受理条件"));
}

#[tokio::test]
async fn the_standardisation_report_shows_where_districts_depart_from_the_city_standard() {
    let app = TestApp::spawn().await;
    let supervisor = app.signed_in("supervisor").await;
    let report: Value = supervisor
        .get(app.url("/api/v1/catalog/standardisation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let food = report
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "食品经营许可")
        .expect("food licence differs");
    assert_eq!(food["reference"]["org_name"], "哈尔滨市市场监督管理局");
    let nangang = food["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["org_name"] == "哈尔滨市南岗区市场监督管理局")
        .unwrap();
    let elements: Vec<&str> = nangang["divergences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["element"].as_str().unwrap())
        .collect();
    assert_eq!(elements, vec!["promised_limit", "materials"]);
    assert_eq!(nangang["divergences"][0]["reference"], "10");
    assert_eq!(nangang["divergences"][0]["local"], "15");
    assert_eq!(nangang["divergences"][1]["local"], "增加：房屋租赁合同");
    let daoli = food["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["org_name"] == "哈尔滨市道里区市场监督管理局")
        .unwrap();
    assert!(daoli["divergences"].as_array().unwrap().is_empty());
    // Items whose implementations agree are left out unless asked for.
    assert!(
        !report
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "企业设立登记")
    );
    let all: Value = supervisor
        .get(app.url("/api/v1/catalog/standardisation?all=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "企业设立登记")
    );
    let (status, page) = app.get_text(&supervisor, "/admin/catalog/standards").await;
    assert_eq!(status, 200);
    assert!(page.contains("承诺办结时限（工作日）") && page.contains("增加：房屋租赁合同"));
    assert_eq!(
        app.citizen()
            .await
            .get(app.url("/api/v1/catalog/standardisation"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/catalog/standardisation"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn situations_are_edited_in_the_form_and_shown_on_the_guide() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (_, page) = app.get_text(&editor, "/admin/catalog/new").await;
    let mut fields = form_fields(&page, "new-item-form");
    set(&mut fields, "name", "采暖费减免");
    set(&mut fields, "catalog_code", "209990300000");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    // Fill a complete guide from the empty draft, with one situation.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    for (k, v) in [
        ("item_type", "20"),
        ("legal_basis", "《哈尔滨市城市供热条例》"),
        ("conditions", "本市低保家庭"),
        ("process", "申请\n审核\n办结"),
        ("legal_limit", "10"),
        ("promised_limit", "5"),
        ("online_depth", "3"),
        ("visits", "1"),
        ("place", "道里区政务服务中心"),
        ("hours", "工作日"),
        ("consult_phone", "0451-12345"),
        ("supervise_phone", "0451-12345"),
        ("m0_name", "居民身份证"),
        ("s0_name", "委托他人办理"),
        ("s0_materials", "授权委托书*\n受托人身份证*#证照:居民身份证"),
        ("action", "submit"),
    ] {
        set(&mut f, k, v);
    }
    f.push(("handling_forms".into(), "1".into()));
    f.push(("service_objects".into(), "1".into()));
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;
    let v: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let version = catalog::version(&app.db, v).await.unwrap().unwrap();
    assert_eq!(version.guide.situations.len(), 1);
    assert_eq!(version.guide.situations[0].materials.len(), 2);
    let it = catalog::item(&app.db, version.item_id)
        .await
        .unwrap()
        .unwrap();
    let (_, guide_page) = app
        .get_text(&app.client(), &format!("/items/{}", it.task_code))
        .await;
    assert!(guide_page.contains("委托他人办理") && guide_page.contains("授权委托书"));
    // And it travels in the exchange format.
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
        .find(|r| r["task_name"] == "采暖费减免")
        .unwrap();
    assert_eq!(
        row["situations"],
        "委托他人办理=授权委托书*、受托人身份证*#证照:居民身份证"
    );
}

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
    assert!(history.contains("notary") && history.contains("孙伟（系统管理员）"));

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
        "出具单位：哈尔滨市公证处",
        "须在有效期内",
        "Ⅲ级 网上受理（冰城最多跑一次）",
    ] {
        assert!(guide_page.contains(expected), "{expected}");
    }
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
