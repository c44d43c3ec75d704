//! The editors' console in a browser's forms: editing, creating,
//! standardisation, situations.

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
    assert!(page.contains("创建新版本") && page.contains("孙伟"));
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
        "委托他人办理=授权委托书*{code=M002}、受托人身份证*{code=M003}#证照:居民身份证"
    );
}

#[tokio::test]
async fn materials_keep_their_codes_across_edits_with_their_file_types_and_limits() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (_, page) = app.get_text(&editor, "/admin/catalog/new").await;
    let mut fields = form_fields(&page, "new-item-form");
    set(&mut fields, "name", "排水许可");
    set(&mut fields, "catalog_code", "209990300001");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    let v: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let stored = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            catalog::version(&db, v)
                .await
                .unwrap()
                .unwrap()
                .guide
                .materials
        }
    };
    // Two materials; the drawing takes PDF only, up to 50 MB.
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(
        page.contains(r#"name="m0_types" value="ofd" checked"#),
        "{page}"
    );
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "m0_name", "申请书");
    set(&mut f, "m1_name", "排水平面图");
    f.retain(|(k, v)| k != "m1_types" || v == "pdf");
    set(&mut f, "m1_max_mb", "50");
    set(&mut f, "action", "save");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let m = stored(&app).await;
    assert_eq!(
        m.iter()
            .map(|m| (m.code.as_str(), m.name.as_str()))
            .collect::<Vec<_>>(),
        [("M001", "申请书"), ("M002", "排水平面图")]
    );
    assert_eq!(
        (m[1].file_types.clone(), m[1].max_mb),
        (vec!["pdf".to_owned()], 50)
    );
    assert_eq!(m[0].file_types, ["pdf", "ofd", "jpeg", "png"]);
    // The first material is removed and a new one added: the drawing keeps
    // its code, the new one does not take the removed one's.
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains("<code>M002</code>"), "{page}");
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "m0_name", "");
    set(&mut f, "m2_name", "营业执照");
    set(&mut f, "m1_max_mb", "500");
    set(&mut f, "action", "save");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let m = stored(&app).await;
    assert_eq!(
        m.iter()
            .map(|m| (m.code.as_str(), m.name.as_str()))
            .collect::<Vec<_>>(),
        [("M002", "排水平面图"), ("M003", "营业执照")]
    );
    // A limit beyond 200 MB cannot be submitted, and says why.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("第1项材料的大小上限应为1至200 MB。"),
        "{page}"
    );
}
