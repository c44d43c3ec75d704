//! Drafts: started prefilled for oneself or an enterprise, who may apply
//! for what, reminded and expired when forgotten, moved to a newer form.

use super::*;

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
    let n: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM applications")
        .fetch_one(&app.db)
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
        tongban_core::platform::db::query("SELECT task_code FROM item_versions v JOIN service_items i ON i.id = v.item_id WHERE v.id = $1")
            .bind(v)
            .fetch_one(&app.db)
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
                tongban_core::platform::db::query("UPDATE applications SET expires_at = $1 WHERE public_id = $2")
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
