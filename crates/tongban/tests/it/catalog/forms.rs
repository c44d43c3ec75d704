//! Application forms: defined in the editor with a preview, versioned with
//! the guide, served as JSON Schema with the materials.

use serde_json::json;

use super::*;

#[tokio::test]
async fn the_form_is_served_as_json_schema_with_its_materials_per_version() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (code, _, url) = open_city_draft(&app, &editor, "食品经营许可", "e_permits").await;
    let form = |q: String| {
        let c = app.client();
        let u = app.url(&format!("/api/v1/items/{code}/form{q}"));
        async move {
            let r = c.get(u).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, v1) = form(String::new()).await;
    assert_eq!(status, 200);
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["online_depth"], 3);
    let schema = &v1["schema"];
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["credit_code"]["format"],
        "gb32100-credit-code"
    );
    assert_eq!(
        schema["properties"]["legal_rep_id"]["format"],
        "gb11643-id-card"
    );
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("operator"))
    );
    assert_eq!(v1["layout"][0]["fields"][0]["prefill"], "enterprise_name");
    let materials = v1["materials"].as_array().unwrap();
    assert!(
        materials
            .iter()
            .all(|m| m["code"].as_str().unwrap().starts_with('M'))
    );
    assert_eq!(materials[0]["max_bytes"], 10 * 1024 * 1024);
    assert!(
        materials
            .iter()
            .any(|m| m["fetchable"] == "certificate" && m["fetched_from"] == "营业执照")
    );

    // Version 2 asks one more question; version 1's form stays as it was.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    let text = f.iter().find(|(k, _)| k == "form_text").unwrap().1.clone();
    assert!(text.contains("operator: 经营者名称"), "{text}");
    let added = format!(
        "{text}\nseats: 就餐座位数 | Seats | number 0..5000 | required | if main_form=restaurant\n"
    );
    set(&mut f, "form_text", &added);
    set(&mut f, "action", "preview");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"id="form-preview""#), "{page}");
    assert!(
        page.contains(r#"data-key="seats""#) && page.contains("就餐座位数"),
        "{page}"
    );
    assert!(
        page.contains("当“主体业态”选择 餐饮服务经营者 时显示"),
        "{page}"
    );
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;
    app.catalog_changed().await;
    let (_, v2) = form(String::new()).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["schema"]["properties"]["seats"]["type"], "integer");
    let (status, old) = form("?version=1".into()).await;
    assert_eq!(status, 200);
    assert_eq!(old["version"], 1);
    assert!(old["schema"]["properties"].get("seats").is_none());
    assert_eq!(form("?version=9".into()).await.0, 404);
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/items/NOPE/form"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_form_that_cannot_be_read_is_shown_with_its_lines_and_not_saved() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (_, item_id, url) = open_city_draft(&app, &editor, "食品经营许可", "e_permits").await;
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    let broken =
        "# 一 | One\nname: 名称 | Name | colour\nphone: 电话 | Phone | phone | if name=x\n";
    set(&mut f, "form_text", broken);
    set(&mut f, "action", "preview");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("申请表单第2行"), "{page}");
    assert!(page.contains("不认识的字段类型“colour”"), "{page}");
    // An editor reading English is told in English, the line's words kept.
    editor.get(app.url("/lang/en")).send().await.unwrap();
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    let english = r.text().await.unwrap();
    editor.get(app.url("/lang/zh-CN")).send().await.unwrap();
    assert!(
        english.contains("Application form, line 2: unknown field type “colour”"),
        "{english}"
    );
    // What was typed is kept for correcting.
    assert!(page.contains("name: 名称 | Name | colour"), "{page}");
    set(&mut f, "action", "save");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    // A readable form with a bad condition can be saved but not submitted.
    let readable =
        "# 一 | One\nname: 名称 | Name | text 10\nphone: 电话 | Phone | phone | if name=x\n";
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "form_text", readable);
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("显示条件应引用一个选择题字段（name）及其选项"),
        "{page}"
    );
    let v: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let saved = catalog::version(&app.db, v).await.unwrap().unwrap();
    assert_eq!(saved.item_id, item_id);
    assert_eq!(saved.guide.form.sections[0].fields.len(), 2);
}
