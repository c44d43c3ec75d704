//! Applications: drafts through the API, prefilled, checked as they are
//! saved, revision-checked, for an enterprise by its agent, and nobody
//! else's business.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use tongban_core::catalog::{self, NewItem};
use tongban_core::identity::Actor;

use crate::helpers::TestApp;

mod acceptance;
mod edges;
mod forms;
mod hardening;
mod journey;
mod pages;
mod uploads;
mod visible;

async fn city_item(app: &TestApp, name: &str) -> String {
    sqlx::query(
        "SELECT task_code FROM published_items WHERE name = $1 AND division_code = '230100'",
    )
    .bind(name)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

async fn enterprise_code(app: &TestApp) -> String {
    sqlx::query("SELECT credit_code FROM accounts WHERE username = 'enterprise'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Takes an acceptance decision on its page as a clerk would: the
/// decision's page, `typed` over its form, the preview, then issue.
/// Returns the answer to the issuing (or to the preview when it refuses).
async fn decide_on_page(
    app: &TestApp,
    clerk: &reqwest::Client,
    number: &str,
    action: &str,
    typed: &[(&str, &str)],
) -> reqwest::Response {
    let path = format!("/work/cases/{number}/decide/{action}");
    let (status, page) = app.get_text(clerk, &path).await;
    assert_eq!(status, 200, "{page}");
    let mut f = crate::helpers::form_fields(&page, "decide-form");
    for (k, v) in typed {
        f.retain(|(n, _)| n != k);
        f.push(((*k).to_owned(), (*v).to_owned()));
    }
    f.push(("step".into(), "preview".into()));
    let r = clerk.post(app.url(&path)).form(&f).send().await.unwrap();
    if r.status() != StatusCode::OK {
        return r;
    }
    let preview = r.text().await.unwrap();
    assert!(preview.contains("id=\"notice-preview\""), "{preview}");
    let mut f = crate::helpers::form_fields(&preview, "issue-form");
    f.push(("step".into(), "issue".into()));
    clerk.post(app.url(&path)).form(&f).send().await.unwrap()
}

/// Rewrites the stored guides of item `task_code` in place: each `(from,
/// to)` replaced in their JSON text (a guide as an editor might have
/// published it, without going through the editor).
async fn rewrite_guides(app: &TestApp, task_code: &str, edits: &[(&str, &str)]) {
    for (from, to) in edits {
        let (code, from, to) = (task_code.to_owned(), (*from).to_owned(), (*to).to_owned());
        app.db
            .write(tongban_core::tx!(c => {
                sqlx::query(
                    "UPDATE item_versions SET document = REPLACE(document, $1, $2) \
                     WHERE item_id = (SELECT item_id FROM published_items WHERE task_code = $3)",
                )
                .bind(&from)
                .bind(&to)
                .bind(&code)
                .execute(c)
                .await?;
                Ok::<_, tongban_core::DbError>(())
            }))
            .await
            .unwrap();
    }
    app.catalog_changed().await;
}

/// The codes of the materials a materials page takes files for.
fn material_codes(page: &str) -> Vec<String> {
    page.split("name=\"file.")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_owned(),
                        e["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_agent_starts_a_prefilled_draft_for_the_enterprise_and_saves_it_as_it_goes() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let cc = enterprise_code(&app).await;
    let start = |key: &'static str, body: Value| {
        citizen
            .post(app.url("/api/v1/applications"))
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let body = json!({"item": item, "on_behalf_of": cc});
    let (status, created) = send(start("k-1", body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["revision"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    // A retry with the same key is the same draft; with another body, refused.
    let (status, again) = send(start("k-1", body.clone())).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (StatusCode::CREATED, Some(id.as_str()))
    );
    let (status, reused) = send(start("k-1", json!({"item": item}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&reused),
        [(
            "Idempotency-Key".to_owned(),
            "application.key_reused".to_owned()
        )]
    );
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM applications")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(n, 1);

    // Prefilled from the enterprise and the person acting (一次告知).
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (status, a) = send(citizen.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["state"], "draft");
    assert_eq!(a["item_name"], "食品经营许可");
    assert_eq!(a["fields"]["credit_code"], cc.as_str());
    assert_eq!(a["fields"]["legal_rep"], "王建国");
    assert_eq!(a["fields"]["phone"], "13800000001");
    assert_eq!(a["applicant"], a["fields"]["operator"]);
    assert_eq!(a["acting"], "张晓明");
    assert!(a["authority"].as_str().unwrap().starts_with("mandate:"));
    assert_eq!(
        (a["channel"].as_str(), a["source_code"].as_str()),
        (Some("api"), Some("2"))
    );

    // Every problem of a change at once, at its pointer; nothing saved.
    let patch = |revision: i64, fields: Value| {
        citizen
            .patch(&url)
            .json(&json!({"revision": revision, "fields": fields}))
    };
    let (status, p) = send(patch(
        1,
        json!({"area": 0, "colour": "red", "legal_rep_id": "123", "categories": ["hot"]}),
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let got = codes(&p);
    for want in [
        ("/fields/area", "form.too_small"),
        ("/fields/colour", "form.unknown"),
        ("/fields/legal_rep_id", "id_card.length"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {got:?}"
        );
    }
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains('“'),
        "{p}"
    );
    // The ID number's problem names its field, once, not "公民身份号码".
    let id_problem = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "/fields/legal_rep_id")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert_eq!(id_problem, "“法定代表人身份证号码”应为18位，实际为3位。");
    let (status, ok) = send(patch(
        1,
        json!({"area": 120.5, "categories": ["hot", "prepackaged"]}),
    ))
    .await;
    assert_eq!((status, ok["revision"].as_i64()), (StatusCode::OK, Some(2)));
    // The stale tab is told; what was saved stays.
    let (status, stale) = send(patch(1, json!({"area": 99}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["reason"], "changed");
    let (status, ok) = send(patch(2, json!({"categories": null}))).await;
    assert_eq!((status, ok["revision"].as_i64()), (StatusCode::OK, Some(3)));
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["fields"]["area"], 120.5);
    assert!(a["fields"].get("categories").is_none());

    // Mine, and the enterprise's; nobody else's.
    let (_, list) = send(citizen.get(app.url("/api/v1/applications"))).await;
    assert_eq!(list[0]["id"], id.as_str());
    let enterprise = app.signed_in("enterprise").await;
    let (status, _) = send(enterprise.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    let other = app.signed_in("clerk").await;
    let (status, _) = send(other.get(&url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        other
            .patch(&url)
            .json(&json!({"revision": 3, "fields": {"area": 1}})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = send(other.get(app.url("/api/v1/applications"))).await;
    assert_eq!(list, json!([]));
    let anonymous = app.client();
    let (status, _) = send(anonymous.get(&url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn who_may_apply_for_what() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let cc = enterprise_code(&app).await;
    let post = |body: Value| citizen.post(app.url("/api/v1/applications")).json(&body);
    // The mandate covers the food licence, not company registration.
    let item = city_item(&app, "企业设立登记").await;
    let (status, p) = send(post(json!({"item": item, "on_behalf_of": cc}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&p),
        [(
            "on_behalf_of".to_owned(),
            "application.not_authorised".to_owned()
        )]
    );
    let (status, p) = send(post(
        json!({"item": item, "on_behalf_of": "91230100MA1B2C3D4X"}),
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // Nor for oneself: company registration serves enterprises (its
    // 服务对象 is 企业法人), not a person.
    let (status, p) = send(post(json!({"item": item}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&p),
        [("item".to_owned(), "application.not_served".to_owned())]
    );
    // Unknown items and fields beyond the request are refused.
    let (status, _) = send(post(json!({"item": "NOPE"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(post(json!({"item": item, "colour": "red"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, p) = send(post(json!({"item": item, "situation": "S99"}))).await;
    assert_eq!(
        codes(&p),
        [("situation".to_owned(), "invalid".to_owned())],
        "{status}"
    );

    // Information-only items, and items above the person's real-name level.
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let publish = async |name: &str, code: &str, depth: u8, level: u8| {
        let mut g = crate::catalog::guide(name);
        g.online_depth = depth;
        g.min_level = level;
        let (_, v) = catalog::create_item(
            &app.db,
            Actor::System,
            NewItem {
                catalog_code: code.into(),
                task_code: String::new(),
                org_id: org,
                division_code: String::new(),
                guide: g,
            },
        )
        .await
        .unwrap();
        catalog::publish_imported(&app.db, v).await.unwrap();
        sqlx::query("SELECT task_code FROM item_versions v JOIN service_items i ON i.id = v.item_id WHERE v.id = $1")
            .bind(v)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get::<String, _>(0)
            .unwrap()
    };
    let info_only = publish("高龄津贴查询", "200990001001", 1, 0).await;
    let strict = publish("高龄津贴发放", "200990001002", 3, 4).await;
    app.catalog_changed().await;
    let (status, p) = send(post(json!({"item": info_only}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&p),
        [("item".to_owned(), "application.not_online".to_owned())]
    );
    let (status, p) = send(post(json!({"item": strict}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("实名等级 4 级，您目前是 3 级"),
        "{p}"
    );
}

#[tokio::test]
async fn a_forgotten_draft_is_reminded_once_then_expires() {
    use tongban_core::applications::expiry;
    use tongban_core::platform::clock::now_ms;
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let (status, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    // Thirty days by default.
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(citizen.get(&url)).await;
    let days = (a["expires_at"].as_i64().unwrap() - a["updated_at"].as_i64().unwrap()) / 86_400_000;
    assert_eq!(days, 30);
    let set_expiry = |at: i64| {
        let (db, id) = (app.db.clone(), id.clone());
        async move {
            db.write(tongban_core::tx!(c => {
                sqlx::query("UPDATE applications SET expires_at = $1 WHERE public_id = $2")
                    .bind(at)
                    .bind(&id)
                    .execute(c)
                    .await?;
                Ok::<_, tongban_core::DbError>(())
            }))
            .await
            .unwrap();
        }
    };
    let now = now_ms();
    // Nothing to do while the time is far.
    assert_eq!(expiry::expire(&app.db, now).await.unwrap(), (0, 0));
    set_expiry(now + 2 * 86_400_000).await;
    assert_eq!(expiry::expire(&app.db, now).await.unwrap(), (1, 0));
    assert_eq!(expiry::expire(&app.db, now).await.unwrap(), (0, 0), "once");
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("申请草稿即将过期") && inbox.contains("居民身份证补领"),
        "{inbox}"
    );
    // Saved again and left again: told again.
    let (status, _) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"reason": "lost"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    set_expiry(now + 86_400_000).await;
    assert_eq!(expiry::expire(&app.db, now + 1000).await.unwrap(), (1, 0));
    // Its time up, it expires: what it held is cleared, its history kept.
    set_expiry(now - 1).await;
    assert_eq!(expiry::expire(&app.db, now).await.unwrap(), (0, 1));
    assert_eq!(expiry::expire(&app.db, now).await.unwrap(), (0, 0), "once");
    let (status, a) = send(citizen.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (a["state"].as_str(), a["fields"].clone()),
        (Some("expired"), json!({}))
    );
}

#[tokio::test]
async fn a_draft_moves_to_a_newer_form_in_one_step_seeing_what_changes() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let cc = enterprise_code(&app).await;
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item, "on_behalf_of": cc})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (status, _) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"email": "a@b.cn", "area": 80}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        send(citizen.get(format!("{url}/upgrade"))).await.0,
        StatusCode::NOT_FOUND
    );

    // Version 2 of the form drops the email and asks for the seats.
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (_, _, draft) =
        crate::catalog::open_city_draft(&app, &editor, "食品经营许可", "e_permits").await;
    let (_, page) = app.get_text(&editor, &draft).await;
    let mut f = crate::helpers::form_fields(&page, "guide-form");
    let text = f.iter().find(|(k, _)| k == "form_text").unwrap().1.clone();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("email:"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("rule: one_of phone email\n", "")
        + "seats: 就餐座位数 | Seats | number 0..5000 | required\n";
    tongban_bench::form::set(&mut f, "form_text", &text);
    tongban_bench::form::set(&mut f, "action", "submit");
    let r = editor.post(app.url(&draft)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    crate::catalog::publish_as(&app, &admin, &draft).await;
    app.catalog_changed().await;

    // The draft still answers version 1, and says a newer one is there.
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(
        (a["version"].as_i64(), a["newer_version"].as_i64()),
        (Some(1), Some(2))
    );
    let (status, u) = send(citizen.get(format!("{url}/upgrade"))).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["dropped"], json!(["电子邮箱"]));
    assert_eq!(u["added"], json!(["就餐座位数"]));
    // One step, against the revision last read.
    let (status, _) = send(
        citizen
            .post(format!("{url}/upgrade"))
            .json(&json!({"revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, moved) = send(
        citizen
            .post(format!("{url}/upgrade"))
            .json(&json!({"revision": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (
            moved["from"].as_i64(),
            moved["to"].as_i64(),
            moved["revision"].as_i64()
        ),
        (Some(1), Some(2), Some(3))
    );
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["version"], 2);
    assert!(a["newer_version"].is_null());
    assert!(a["fields"].get("email").is_none());
    assert_eq!(a["fields"]["area"], 80);
    assert_eq!(
        send(citizen.get(format!("{url}/upgrade"))).await.0,
        StatusCode::NOT_FOUND
    );
    // The new question can now be answered; the dropped one cannot.
    let (status, p) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 3, "fields": {"seats": 40, "email": "a@b.cn"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&p),
        [("/fields/email".to_owned(), "form.unknown".to_owned())]
    );
}

#[tokio::test]
async fn materials_are_given_as_files_checked_by_content_and_limit() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let cc = enterprise_code(&app).await;
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item, "on_behalf_of": cc})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    let materials = form["materials"].as_array().unwrap();
    let asked = materials.iter().find(|m| m["fetchable"] == "no").unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = materials.iter().find(|m| m["fetchable"] != "no").unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = |c: &reqwest::Client, code: &str, name: &str, body: Vec<u8>| {
        c.post(app.url(&format!(
            "/api/v1/applications/{id}/materials/{code}/files?name={name}"
        )))
        .body(body)
    };
    let pdf = crate::helpers::MINIMAL_PDF.to_vec();
    let (status, f) = send(upload(&citizen, &asked, "申请书.pdf", pdf.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    assert_eq!(
        (f["type"].as_str(), f["size"].as_i64(), f["name"].as_str()),
        (Some("pdf"), Some(pdf.len() as i64), Some("申请书.pdf"))
    );
    // Stored under its hash, as given.
    let sha = f["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    let on_disk = std::fs::read(app.data_dir().join("files").join(&sha[..2]).join(sha)).unwrap();
    assert_eq!(on_disk, pdf);
    // The type is read from the content, whatever the name says.
    let png = crate::helpers::MINIMAL_PNG.to_vec();
    let (status, f2) = send(upload(&citizen, &asked, "scan.pdf", png)).await;
    assert_eq!(
        (status, f2["type"].as_str()),
        (StatusCode::CREATED, Some("png"))
    );
    for (code, body, want) in [
        (
            asked.as_str(),
            b"just some text".to_vec(),
            "upload.file_type",
        ),
        (asked.as_str(), Vec::new(), "upload.empty"),
        (fetched.as_str(), pdf.clone(), "material.fetched"),
        ("M999", pdf.clone(), "material.unknown"),
    ] {
        let (status, p) = send(upload(&citizen, code, "x.pdf", body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{want}: {p}");
        assert_eq!(codes(&p), [(format!("/materials/{code}"), want.to_owned())]);
    }
    // Past the material's limit (10 MB by default), refused as it streams.
    let big = crate::helpers::pdf_of_size(10 * 1024 * 1024 + 1, 7);
    let (status, p) = send(upload(&citizen, &asked, "big.pdf", big)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10 MB"),
        "{p}"
    );
    let leftovers = std::fs::read_dir(app.data_dir().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "refused uploads leave nothing behind");
    // The draft lists them; someone else cannot give or take any.
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["files"].as_array().unwrap().len(), 2);
    let other = app.signed_in("agent").await;
    let (status, _) = send(upload(&other, &asked, "x.pdf", pdf.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let given = f["id"].as_i64().unwrap();
    let (status, _) = send(other.delete(format!("{url}/files/{given}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = citizen
        .delete(format!("{url}/files/{given}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["files"].as_array().unwrap().len(), 1);
    assert_eq!(a["files"][0]["type"], "png");
    let refs: i64 = sqlx::query("SELECT COUNT(*) FROM file_refs WHERE owner_kind = 'application'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(refs, 1);
    // Twenty files per material at most: the count is taken in the
    // transaction that records the file, and the one past it leaves
    // neither a row nor a file behind.
    for n in 1..20 {
        let body = crate::helpers::pdf_of_size(64, n);
        let (status, p) = send(upload(&citizen, &asked, "p.pdf", body)).await;
        assert_eq!(status, StatusCode::CREATED, "{n}: {p}");
    }
    let files_before: i64 = sqlx::query("SELECT COUNT(*) FROM files")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let (status, p) = send(upload(
        &citizen,
        &asked,
        "p.pdf",
        crate::helpers::pdf_of_size(64, 21),
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        codes(&p),
        [(
            format!("/materials/{asked}"),
            "material.too_many_files".to_owned()
        )]
    );
    let files_after: i64 = sqlx::query("SELECT COUNT(*) FROM files")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(files_after, files_before);
    let leftovers = std::fs::read_dir(app.data_dir().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "a refused file leaves nothing behind");
}

#[tokio::test]
async fn a_complete_application_is_submitted_with_its_case_number_and_the_person_told() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    let needed: Vec<String> = form["materials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["required"] == true && m["fetchable"] == "no")
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect();
    assert!(!needed.is_empty());
    let start = async || {
        let (status, created) = send(
            citizen
                .post(app.url("/api/v1/applications"))
                .json(&json!({"item": item})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        created["id"].as_str().unwrap().to_owned()
    };
    let id = start().await;
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, draft) = send(citizen.get(&url)).await;
    let declaration = draft["declaration"]["version"].as_str().unwrap().to_owned();
    assert!(
        draft["declaration"]["text"]
            .as_str()
            .unwrap()
            .contains("本人承诺")
    );
    let submit = |revision: i64| {
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": revision, "declaration": declaration}))
    };
    // Everything missing is listed at once: answers, materials and the
    // declaration not accepted.
    let (status, p) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = codes(&p);
    for want in [
        ("/fields/reason", "form.required"),
        ("/fields/collect", "form.required"),
        ("/declaration", "application.declaration"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{got:?}"
        );
    }
    for code in &needed {
        assert!(
            got.contains(&(format!("/materials/{code}"), "material.required".to_owned())),
            "{got:?}"
        );
    }
    // Answered and given, it goes.
    let fill = async |id: &str| {
        let url = app.url(&format!("/api/v1/applications/{id}"));
        let (status, r) = send(citizen.patch(&url).json(&json!({"revision": 1, "fields": {
            "reason": "lost", "lost_date": "2026-11-01", "collect": "window"}})))
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        for code in &needed {
            let (status, _) = send(
                citizen
                    .post(format!("{url}/materials/{code}/files?name=scan.pdf"))
                    .body(crate::helpers::MINIMAL_PDF.to_vec()),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED);
        }
    };
    fill(&id).await;
    let (status, _) = send(submit(1)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale revision");
    let (status, done) = send(submit(2)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let today = tongban_core::platform::clock::today_cst();
    let day = format!(
        "{:04}{:02}{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    assert_eq!(done["case_number"], format!("{item}{day}0001"));
    let code = done["query_code"].as_str().unwrap();
    assert!(
        code.len() == 8 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{code}"
    );
    // What was declared is kept: the version, the words' hash, the level.
    let kept: (String, String, i64) = {
        let r = sqlx::query(
            "SELECT declaration_version, declaration_hash, declared_level FROM applications WHERE public_id = $1",
        )
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
        )
    };
    // Submitted: no longer changed, and the person is told.
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(
        (kept.0.as_str(), kept.1.as_str()),
        (
            tongban_core::applications::declaration::VERSION,
            a["declaration"]["sha256"].as_str().unwrap()
        )
    );
    assert!(kept.2 >= 1, "the real-name level at the time: {}", kept.2);
    assert_eq!(
        (a["state"].as_str(), a["case_number"].as_str()),
        (Some("submitted"), done["case_number"].as_str())
    );
    let (status, p) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 3, "fields": {"reason": "stolen"}})),
    )
    .await;
    assert_eq!(
        (status, p["reason"].as_str()),
        (StatusCode::CONFLICT, Some("wrong_state"))
    );
    let (status, _) = send(submit(3)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("申请已提交") && inbox.contains(done["case_number"].as_str().unwrap()),
        "{inbox}"
    );
    // The day's next case of the item takes the next number.
    let second = start().await;
    fill(&second).await;
    let (status, next) = send(
        citizen
            .post(app.url(&format!("/api/v1/applications/{second}/submit")))
            .json(&json!({"revision": 2, "declaration": tongban_core::applications::declaration::VERSION})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["case_number"], format!("{item}{day}0002"));
}
