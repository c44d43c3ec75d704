//! Export and import in the national exchange field names.

use super::*;

#[tokio::test]
async fn export_in_national_field_names_and_import_all_or_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    // Export: JSON and CSV carry the same rows in the exchange names.
    let rows: Value = c
        .get(app.url("/api/v1/catalog/export?format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = rows.as_array().unwrap().clone();
    assert!(rows.len() >= 80);
    let food = rows
        .iter()
        .find(|r| r["task_name"] == "食品经营许可")
        .unwrap();
    for field in [
        "catalog_code",
        "task_code",
        "task_type",
        "by_law",
        "dept_code",
        "promise_day",
        "anticipate_day",
        "online_handle_depth",
        "limit_scene_num",
        "transact_addr",
    ] {
        assert!(food.get(field).is_some(), "export lacks {field}");
    }
    assert_eq!(food["promise_day"], "10");
    // Each material with its stable code.
    let materials = food["materials"].as_str().unwrap();
    assert!(
        materials.contains("营业执照*{code=M") && materials.contains("}#证照:营业执照"),
        "{materials}"
    );
    let r = c
        .get(app.url("/api/v1/catalog/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.bytes().await.unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert_eq!(
        tongban_core::catalog::exchange::from_csv(&csv)
            .unwrap()
            .len(),
        rows.len()
    );

    // Import into the district bureau: two new items, one broken row.
    let editor = app.signed_in("editor").await;
    let daoli = {
        let r = tongban_core::platform::db::query(
            "SELECT credit_code FROM organizations WHERE name_zh = '哈尔滨市道里区民政局'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        r.try_get::<String, _>(0).unwrap()
    };
    let mut good = food.clone();
    good["task_code"] = Value::String(String::new());
    good["catalog_code"] = Value::String("200990100000".into());
    good["task_name"] = Value::String("冬季采暖补贴".into());
    good["dept_code"] = Value::String(daoli.clone());
    good["division_code"] = Value::String(String::new());
    let mut second = good.clone();
    second["catalog_code"] = Value::String("200990101000".into());
    second["task_name"] = Value::String("困难群众取暖救助".into());
    let mut bad = good.clone();
    bad["catalog_code"] = Value::String("200990102000".into());
    bad["promise_day"] = Value::String("30".into());
    bad["dept_code"] = Value::String("91230100MA00000000".into());
    let body = serde_json::to_vec(&vec![good.clone(), bad, second.clone()]).unwrap();
    let r = editor
        .post(app.url("/api/v1/catalog/import?format=json"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"row 2 promise_day"), "{fields:?}");
    assert!(fields.contains(&"row 2 dept_code"), "{fields:?}");
    assert!(fields.iter().all(|f| f.starts_with("row 2")), "{fields:?}");
    // Nothing was imported.
    let count = |name: &'static str| {
        let db = app.db.clone();
        async move {
            let n: i64 = tongban_core::platform::db::query(
                "SELECT COUNT(*) FROM item_versions WHERE document LIKE $1",
            )
            .bind(format!("%{name}%"))
            .fetch_one(&db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
            n
        }
    };
    assert_eq!(count("冬季采暖补贴").await, 0);

    // The clean file imports as drafts; an editor may not publish on import.
    let body = serde_json::to_vec(&vec![good.clone(), second.clone()]).unwrap();
    assert_eq!(
        editor
            .post(app.url("/api/v1/catalog/import?publish=true"))
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = editor
        .post(app.url("/api/v1/catalog/import"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    assert_eq!(count("冬季采暖补贴").await, 1);
    // The same file again: every row is a duplicate; nothing changes.
    let r = editor
        .post(app.url("/api/v1/catalog/import"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(count("冬季采暖补贴").await, 1);

    // A system admin imports CSV and publishes at once; the items are public and searchable.
    let admin = app.admin().await;
    let mut third = good.clone();
    third["catalog_code"] = Value::String("200990103000".into());
    third["task_name"] = Value::String("供热投诉受理".into());
    let row: tongban_core::catalog::exchange::ExchangeRow = serde_json::from_value(third).unwrap();
    let csv = tongban_core::catalog::exchange::to_csv(&[row]).unwrap();
    let r = admin
        .post(app.url("/api/v1/catalog/import?format=csv&publish=true"))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let page: Value = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "供热投诉受理")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["name"], "供热投诉受理");
    // A file with no rows is refused, not counted as imported; a CSV body
    // sent as text/csv is read as CSV without `format`.
    let r = admin
        .post(app.url("/api/v1/catalog/import"))
        .header("content-type", "text/csv")
        .body(csv_header_only())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("没有数据行"),
        "{p}"
    );
    // Not signed in: no import.
    assert_eq!(
        c.post(app.url("/api/v1/catalog/import"))
            .body("[]")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn the_import_page_lists_every_problem_by_row_and_field() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (status, page) = app.get_text(&editor, "/admin/catalog/transfer").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"id="export-csv""#) && !page.contains(r#"id="f-publish""#),
        "editors cannot publish on import"
    );
    let row = tongban_core::catalog::exchange::ExchangeRow {
        catalog_code: "bad code".into(),
        task_name: String::new(),
        dept_code: "11230100000010161H".into(),
        promise_day: "三".into(),
        ..Default::default()
    };
    let csv = tongban_core::catalog::exchange::to_csv(&[row]).unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv).file_name("items.csv"),
    );
    let r = editor
        .post(app.url("/admin/catalog/transfer"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#"id="import-problems""#));
    for expected in [
        "<td>2</td>",
        "promise_day",
        "“三”不是数字",
        "task_name",
        "事项名称不能为空",
    ] {
        assert!(body.contains(expected), "problems table lacks {expected}");
    }
    let r = editor
        .post(app.url("/admin/catalog/transfer"))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请选择要导入的文件"));
}

/// The header line of the exchange CSV, with no rows.
fn csv_header_only() -> String {
    let csv = tongban_core::catalog::exchange::to_csv(&[]).unwrap();
    String::from_utf8(csv).unwrap()
}
