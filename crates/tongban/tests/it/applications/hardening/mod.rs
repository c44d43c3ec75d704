//! Hardening of applying and acceptance: an authority that has ended ends
//! the acting person's power at once; trust grades follow who handled the
//! file; nobody decides their own case; hidden answers are not stored; a
//! submission and a file removal at once never leave a case without its
//! material; an expired draft keeps its history, and history is
//! append-only on both engines.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{city_item, codes, enterprise_code, send};
use crate::helpers::TestApp;

const DECLARED: &str = tongban_core::applications::declaration::VERSION;
/// The demo citizen's ID number.
const CITIZEN_ID: &str = "230102199003071237";

mod agents;

fn first_code(problem: &Value) -> String {
    codes(problem)
        .first()
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// Starts a draft through the API; returns its id.
async fn start(app: &TestApp, c: &reqwest::Client, body: Value) -> String {
    let (status, created) = send(c.post(app.url("/api/v1/applications")).json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// A file upload for a material of a draft.
async fn upload(app: &TestApp, c: &reqwest::Client, id: &str, code: &str) -> (StatusCode, Value) {
    send(
        c.post(app.url(&format!(
            "/api/v1/applications/{id}/materials/{code}/files?name=scan.pdf"
        )))
        .body(crate::helpers::MINIMAL_PDF.to_vec()),
    )
    .await
}

/// The required materials of an item that the applicant gives.
async fn needed(app: &TestApp, item: &str) -> Vec<String> {
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    form["materials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["required"] == true && m["fetchable"] == "no")
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_clerk_loses_the_window_draft_with_the_window_and_only_scans_grade_b() {
    let app = TestApp::spawn().await;
    let clerk = app.clerk().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let code = needed(&app, &item).await.remove(0);
    let id = start(
        &app,
        &clerk,
        json!({"item": item, "for_person": CITIZEN_ID, "consent": true}),
    )
    .await;
    // Scanned by the clerk at the window: B. Uploaded by the applicant from
    // home into the same draft: C, an upload.
    let (status, scanned) = upload(&app, &clerk, &id, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{scanned}");
    assert_eq!(
        (scanned["trust"].as_str(), scanned["origin"].as_str()),
        (Some("B"), Some("window"))
    );
    let (status, home) = upload(&app, &citizen, &id, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{home}");
    assert_eq!(
        (home["trust"].as_str(), home["origin"].as_str()),
        (Some("C"), Some("upload"))
    );

    // The centre no longer has the department's window: the clerk's power
    // over the draft ends with it, and comes back with it.
    let center = app.org_id("哈尔滨市政务服务中心").await;
    let windows: Vec<(i64, i64, i64)> = tongban_core::platform::db::query_as(
        "SELECT center_id, org_id, created_at FROM center_windows WHERE center_id = $1",
    )
    .bind(center)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let set_windows = |rows: Vec<(i64, i64, i64)>| {
        let db = app.db.clone();
        async move {
            db.write(tongban_core::tx!(c => {
                tongban_core::platform::db::query("DELETE FROM center_windows WHERE center_id = $1")
                    .bind(center)
                    .execute(&mut *c)
                    .await?;
                for (a, b, t) in rows {
                    tongban_core::platform::db::query("INSERT INTO center_windows (center_id, org_id, created_at) VALUES ($1, $2, $3)")
                        .bind(a)
                        .bind(b)
                        .bind(t)
                        .execute(&mut *c)
                        .await?;
                }
                Ok::<_, tongban_core::DbError>(())
            }))
            .await
            .unwrap();
        }
    };
    set_windows(vec![]).await;
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (status, p) = send(clerk.get(&url)).await;
    assert_eq!(
        (status, first_code(&p)),
        (StatusCode::FORBIDDEN, "application.authority_ended".into())
    );
    // Nor does the clerk take in a new one for that item.
    let (status, p) = send(
        clerk
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item, "for_person": CITIZEN_ID, "consent": true})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_code(&p), "application.not_at_this_window");
    assert_eq!(send(citizen.get(&url)).await.0, StatusCode::OK);
    set_windows(windows).await;
    assert_eq!(send(clerk.get(&url)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn nobody_decides_their_own_case() {
    let app = TestApp::spawn().await;
    let clerk = app.clerk().await;
    let citizen = app.citizen().await;
    // A submitted case in the clerk's scope, made the clerk's own.
    let (_, number) = super::acceptance::submitted(&app, &citizen).await;
    let set = |column: &'static str, username: &'static str| {
        let (db, number) = (app.db.clone(), number.clone());
        async move {
            db.write(tongban_core::tx!(c => {
                tongban_core::platform::db::query(format!(
                    "UPDATE applications SET {column} = (SELECT id FROM accounts WHERE username = $1) WHERE case_number = $2"
                ))
                .bind(username)
                .bind(&number)
                .execute(c)
                .await?;
                Ok::<_, tongban_core::DbError>(())
            }))
            .await
            .unwrap();
        }
    };
    let accept = async || {
        let (status, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{number}")))).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        send(
            clerk
                .post(app.url(&format!("/api/v1/cases/{number}/actions")))
                .json(&json!({"action": "accept", "revision": case["revision"]})),
        )
        .await
    };
    // As its applicant, and as the person who applied for someone else
    // (here as an enterprise's agent): refused, nothing written.
    for (column, who) in [("applicant_id", "clerk"), ("acting_id", "clerk")] {
        set(column, who).await;
        let (status, p) = accept().await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        assert_eq!(first_code(&p), "case.own");
        set(column, "citizen").await;
    }
    let state: String =
        tongban_core::platform::db::query("SELECT state FROM applications WHERE case_number = $1")
            .bind(&number)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(state, "submitted");
    // Someone else's: accepted.
    let (status, p) = accept().await;
    assert_eq!(status, StatusCode::OK, "{p}");
}

#[tokio::test]
async fn an_answer_its_condition_hides_is_dropped_not_stored() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let id = start(&app, &citizen, json!({"item": item})).await;
    let url = app.url(&format!("/api/v1/applications/{id}"));
    // 报案回执编号 is asked only when the card was stolen.
    let long = "x".repeat(160_007);
    for (revision, hidden) in [(1, json!(long)), (2, json!({"any": ["shape", 1]}))] {
        let (status, p) = send(citizen.patch(&url).json(&json!({"revision": revision,
            "fields": {"reason": "lost", "police_report": hidden}})))
        .await;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["fields"]["reason"], "lost");
    assert!(
        a["fields"].get("police_report").is_none(),
        "{}",
        a["fields"]
    );
    let stored: String =
        tongban_core::platform::db::query("SELECT fields FROM applications WHERE public_id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert!(
        !stored.contains("police_report") && stored.len() < 1000,
        "{stored}"
    );
    // Shown, it is kept and checked as ever.
    let (status, p) = send(citizen.patch(&url).json(&json!({"revision": 3,
        "fields": {"reason": "stolen", "police_report": long}})))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

#[tokio::test]
async fn a_submission_and_a_file_removal_at_once_never_leave_a_case_without_its_material() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let materials = needed(&app, &item).await;
    for _ in 0..12 {
        let id = start(&app, &citizen, json!({"item": item})).await;
        let url = app.url(&format!("/api/v1/applications/{id}"));
        let (status, _) = send(citizen.patch(&url).json(&json!({"revision": 1, "fields": {
            "reason": "lost", "lost_date": "2026-11-01", "collect": "window"}})))
        .await;
        assert_eq!(status, StatusCode::OK);
        let mut last = Value::Null;
        for code in &materials {
            let (status, given) = upload(&app, &citizen, &id, code).await;
            assert_eq!(status, StatusCode::CREATED);
            last = given;
        }
        let given_id = last["id"].as_i64().unwrap();
        let submit = send(
            citizen
                .post(format!("{url}/submit"))
                .json(&json!({"revision": 2, "declaration": DECLARED})),
        );
        let remove = citizen
            .delete(app.url(&format!("/api/v1/applications/{id}/files/{given_id}")))
            .send();
        let ((submitted, _), removed) = tokio::join!(submit, remove);
        let removed = removed.unwrap().status();
        let row = tongban_core::platform::db::query(
            "SELECT a.state, (SELECT COUNT(*) FROM application_files f WHERE f.application_id = a.id) AS files \
             FROM applications a WHERE a.public_id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap();
        let state: String = row.try_get("state").unwrap();
        let files: i64 = row.try_get("files").unwrap();
        // Exactly one of them wins, and the case is whole when submitted.
        if submitted == StatusCode::OK {
            assert_eq!(state, "submitted");
            assert_eq!(
                files as usize,
                materials.len(),
                "a submitted case lost a file"
            );
            assert_eq!(removed, StatusCode::CONFLICT);
        } else {
            assert_eq!(state, "draft");
            assert_eq!(removed, StatusCode::NO_CONTENT);
            assert_eq!(files as usize, materials.len() - 1);
        }
    }
    // Which of the two wins depends on the machine's timing; every round
    // above ended in one of the two whole outcomes, never in a submitted
    // case without its file.
}

#[tokio::test]
async fn an_expired_draft_keeps_its_history_and_history_is_append_only() {
    use tongban_core::applications::expiry;
    use tongban_core::platform::clock::now_ms;
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let id = start(&app, &citizen, json!({"item": item})).await;
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (status, _) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"reason": "lost"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let code = needed(&app, &item).await.remove(0);
    assert_eq!(
        upload(&app, &citizen, &id, &code).await.0,
        StatusCode::CREATED
    );
    let events = async || -> i64 {
        tongban_core::platform::db::query("SELECT COUNT(*) FROM application_events e JOIN applications a ON a.id = e.application_id WHERE a.public_id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    let before = events().await;
    let public = id.clone();
    app.db
        .write(tongban_core::tx!(c => {
            tongban_core::platform::db::query("UPDATE applications SET expires_at = 1 WHERE public_id = $1")
                .bind(&public)
                .execute(c)
                .await?;
            Ok::<_, tongban_core::DbError>(())
        }))
        .await
        .unwrap();
    assert_eq!(expiry::expire(&app.db, now_ms()).await.unwrap(), (0, 1));
    // Expired, not deleted: answers cleared, files released, history kept
    // with one more event.
    let (status, a) = send(citizen.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a["state"], "expired");
    assert_eq!(a["fields"], json!({}));
    assert_eq!(a["files"], json!([]));
    assert_eq!(events().await, before + 1);
    let refs: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM file_refs r JOIN applications a ON a.id = r.owner_id AND r.owner_kind = 'application' WHERE a.public_id = $1")
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(refs, 0);
    // It cannot be saved or submitted any more.
    let (status, _) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": a["revision"], "fields": {"reason": "lost"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A case read, sent back for correction: a row in every history table.
    let clerk = app.clerk().await;
    let (_, number) = super::acceptance::submitted(&app, &citizen).await;
    let case_url = app.url(&format!("/api/v1/cases/{number}"));
    let (_, case) = send(clerk.get(&case_url)).await;
    let (status, done) = send(clerk.post(format!("{case_url}/actions")).json(&json!({
        "action": "request_correction", "revision": case["revision"],
        "params": {"findings": [{"problem": "照片背景不符合要求，请重新上传白色背景照片"}]}})))
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    // A code list edit's event, as the console appends it.
    app.db
        .write(tongban_core::tx!(c => {
            tongban_core::platform::db::query(
                "INSERT INTO code_list_events (list, code, name_zh, name_en, actor_id, at) VALUES ('x', 'y', '乙', 'Y', NULL, 1)",
            )
            .execute(c)
            .await?;
            Ok::<_, tongban_core::DbError>(())
        }))
        .await
        .unwrap();
    // History tables refuse any update or delete, on either engine.
    for (table, column) in [
        ("application_events", "application_id"),
        ("application_submissions", "application_id"),
        ("application_documents", "application_id"),
        ("application_findings", "application_id"),
        ("application_reads", "application_id"),
        ("item_events", "item_id"),
        ("code_list_events", "code"),
    ] {
        // The demo's cases give every table rows to refuse changing.
        let rows: i64 = tongban_core::platform::db::query(format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(rows > 0, "{table} has no rows to try");
        for sql in [
            format!("UPDATE {table} SET {column} = {column}"),
            format!("DELETE FROM {table}"),
        ] {
            let refused = app
                .db
                .write(tongban_core::tx!(c => {
                    tongban_core::platform::db::query(sql).execute(c).await?;
                    Ok::<_, tongban_core::DbError>(())
                }))
                .await;
            assert!(refused.is_err(), "{table} accepted a change");
        }
    }
}

#[tokio::test]
async fn a_district_administrator_seats_only_its_own_departments_and_leaves_the_calendar_alone() {
    let app = TestApp::spawn().await;
    let district: i64 = tongban_core::platform::db::query(
        "SELECT id FROM organizations WHERE kind = 'government' AND division_code = '230102'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    // The reviewer is made a system administrator of 道里区 only.
    app.db
        .write(tongban_core::tx!(c => {
            tongban_core::platform::db::query(
                "INSERT INTO role_grants (account_id, role, org_id, granted_at) \
                 SELECT id, 'system_admin', $1, 0 FROM accounts WHERE username = 'reviewer'",
            )
            .bind(district)
            .execute(c)
            .await?;
            Ok::<_, tongban_core::DbError>(())
        }))
        .await
        .unwrap();
    let admin = app.signed_in("reviewer").await;
    let (centre, city_police, province, own): (i64, i64, i64, i64) = tongban_core::platform::db::query_as(
        "SELECT (SELECT id FROM organizations WHERE kind = 'service_center' AND division_code = '230102' ORDER BY id LIMIT 1), \
         (SELECT id FROM organizations WHERE name_zh = '哈尔滨市公安局'), \
         (SELECT id FROM organizations WHERE kind = 'government' AND admin_level = 2 ORDER BY id LIMIT 1), \
         (SELECT id FROM organizations WHERE kind = 'department' AND division_code = '230102' ORDER BY id LIMIT 1)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let url = app.url(&format!("/api/v1/organizations/{centre}/windows"));
    let (status, p) = send(
        admin
            .put(&url)
            .json(&json!({"departments": [city_police, province, own]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // Every problem at once: the province's government is no window, the
    // city bureau is not the district's to seat.
    let mut got: Vec<String> = codes(&p).into_iter().map(|(_, c)| c).collect();
    got.sort();
    assert_eq!(got, ["org.not_a_department", "org.out_of_scope"]);
    let (status, list) = send(admin.put(&url).json(&json!({"departments": [own]}))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    // The city-wide calendar is the city's administrator's, not theirs.
    let (status, _) = app.get_text(&admin, "/admin/calendar/2027").await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get_text(&app.admin().await, "/admin/calendar/2027")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn documented_bounds_are_enforced_drafts_bytes_findings_and_windows() {
    let app = TestApp::spawn_configured(true, |c| {
        c.applications.drafts_per_account = 3;
        c.applications.bytes_per_account = 1024 * 1024;
    })
    .await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    // Drafts: ten started at once, three made.
    let starts = (0..10).map(|_| {
        send(
            citizen
                .post(app.url("/api/v1/applications"))
                .json(&json!({"item": item})),
        )
    });
    let answers = futures::future::join_all(starts).await;
    let made = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(made, 3);
    let refused = answers
        .iter()
        .find(|(s, _)| *s == StatusCode::UNPROCESSABLE_ENTITY)
        .unwrap();
    assert_eq!(first_code(&refused.1), "application.too_many_drafts");
    assert!(
        refused.1["detail"].as_str().unwrap().contains("3 份"),
        "{}",
        refused.1
    );
    // Bytes: 600 KB fits in the 1 MiB, a second 600 KB does not.
    let id = answers
        .iter()
        .find(|(s, _)| *s == StatusCode::CREATED)
        .unwrap()
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = needed(&app, &item).await.remove(0);
    let give = |seed: u64| {
        send(
            citizen
                .post(app.url(&format!(
                    "/api/v1/applications/{id}/materials/{code}/files?name=scan.pdf"
                )))
                .body(crate::helpers::pdf_of_size(600_000, seed)),
        )
    };
    assert_eq!(give(1).await.0, StatusCode::CREATED);
    let (status, p) = give(2).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(first_code(&p), "upload.account_full");

    // Findings: at most 100 to a notice, 500 characters each, each placed
    // on the case (a place of 201 characters is none of its places).
    let other = TestApp::spawn().await;
    let (_, number) = super::acceptance::submitted(&other, &other.citizen().await).await;
    let other_clerk = other.clerk().await;
    let case_url = other.url(&format!("/api/v1/cases/{number}"));
    let (_, case) = send(other_clerk.get(&case_url)).await;
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"problem": format!("第{i}项")}))
        .collect();
    let long = json!([{"problem": "请".repeat(501)}]);
    let nowhere = json!([{"target": "x".repeat(201), "problem": "请补正"}]);
    for (findings, want) in [
        (json!(many), "acceptance.too_many_findings"),
        (long, "acceptance.finding_too_long"),
        (nowhere, "finding.target"),
    ] {
        let (status, p) = send(
            other_clerk
                .post(format!("{case_url}/actions"))
                .json(&json!({
            "action": "request_correction", "revision": case["revision"],
            "params": {"findings": findings}})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(first_code(&p), want);
    }
    // More than 500 windows: told so in words of their own.
    let admin = app.admin().await;
    let centre = app.org_id("哈尔滨市政务服务中心").await;
    let ids: Vec<i64> = (1..=501).collect();
    let (status, p) = send(
        admin
            .put(app.url(&format!("/api/v1/organizations/{centre}/windows")))
            .json(&json!({"departments": ids})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("500 个进驻部门"),
        "{p}"
    );
}

#[tokio::test]
async fn acceptance_states_only_deadlines_the_calendar_can_count_and_marks_provisional_ones() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (id, number) = super::acceptance::submitted(&app, &citizen).await;
    let case_url = app.url(&format!("/api/v1/cases/{number}"));
    let accept = async || {
        let (_, case) = send(clerk.get(&case_url)).await;
        send(
            clerk
                .post(format!("{case_url}/actions"))
                .json(&json!({"action": "accept", "revision": case["revision"]})),
        )
        .await
    };
    // The item's legal limit made longer than the calendar's years reach.
    let item = city_item(&app, "居民身份证补领").await;
    let set_limit = |value: u64| {
        let (db, item) = (app.db.clone(), item.clone());
        async move {
            let (vid, doc): (i64, String) = tongban_core::platform::db::query_as(
                "SELECT v.id, v.document FROM item_versions v JOIN service_items i ON i.id = v.item_id \
                 WHERE i.task_code = $1 AND v.status = 'published'",
            )
            .bind(&item)
            .fetch_one(&db)
            .await
            .unwrap();
            let mut g: Value = serde_json::from_str(&doc).unwrap();
            g["legal_limit"]["value"] = json!(value);
            let doc = g.to_string();
            db.write(tongban_core::tx!(c => {
                tongban_core::platform::db::query("UPDATE item_versions SET document = $1 WHERE id = $2")
                    .bind(&doc)
                    .bind(vid)
                    .execute(c)
                    .await?;
                Ok::<_, tongban_core::DbError>(())
            }))
            .await
            .unwrap();
        }
    };
    let original: u64 = {
        let (_, form) = send(app.client().get(app.url(&format!("/api/v1/items/{item}")))).await;
        form["legal_limit"]["value"].as_u64().unwrap_or(20)
    };
    set_limit(2_500).await;
    app.catalog_changed().await;
    let (status, p) = accept().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{p}");
    assert_eq!(first_code(&p), "calendar.unavailable");
    assert!(p["detail"].as_str().unwrap().contains("2031"), "{p}");
    let (_, case) = send(clerk.get(&case_url)).await;
    assert_eq!(case["state"], "submitted", "nothing was written: {case}");
    assert_eq!(case["documents"].as_array().unwrap().len(), 0);

    // With a limit the calendar can count: accepted, the deadlines 暂定
    // exactly when they reach a year whose arrangement is not loaded (only
    // 2025 and 2026 ship).
    set_limit(original).await;
    app.catalog_changed().await;
    let (status, done) = accept().await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (_, case) = send(clerk.get(&case_url)).await;
    let legal = case["legal_date"].as_str().unwrap().to_owned();
    let reaches_unloaded = !legal.starts_with("2025") && !legal.starts_with("2026");
    assert_eq!(case["deadlines_provisional"], reaches_unloaded, "{case}");
    let (_, page) = app.get_text(&citizen, &format!("/applications/{id}")).await;
    assert_eq!(page.contains("暂定"), reaches_unloaded, "{page}");
    let (_, page) = app.get_text(&clerk, &format!("/work/cases/{number}")).await;
    assert_eq!(page.contains("暂定"), reaches_unloaded);
}

#[tokio::test]
async fn uploads_are_checked_for_their_structure_and_real_world_files_pass() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let id = start(&app, &citizen, json!({"item": item})).await;
    let code = needed(&app, &item).await.remove(0);
    let give = |name: &'static str, body: Vec<u8>| {
        send(
            citizen
                .post(app.url(&format!(
                    "/api/v1/applications/{id}/materials/{code}/files?name={name}"
                )))
                .body(body),
        )
    };
    // Eight PNG signature bytes and 64 zeros; a PDF whose cross-reference
    // offset points past its end; a JPEG that stops after its header.
    let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
    fake_png.extend([0u8; 64]);
    let mut bad_pdf = crate::helpers::MINIMAL_PDF.to_vec();
    let at = bad_pdf.len() - "186\n%%EOF\n".len();
    bad_pdf.splice(at..at + 3, b"999".iter().copied());
    let short_jpeg =
        include_bytes!("../../../../../core/src/platform/files/corpus/progressive.jpg")[..200]
            .to_vec();
    for (name, body) in [
        ("a.png", fake_png),
        ("b.pdf", bad_pdf),
        ("c.jpg", short_jpeg),
    ] {
        let (status, p) = give(name, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {p}");
        assert_eq!(first_code(&p), "upload.malformed", "{name}");
    }
    let leftovers = std::fs::read_dir(app.data_dir().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "refused uploads leave nothing behind");
    // Files as scanners, cameras and office suites make them pass.
    for (name, body, kind) in [
        (
            "scan.pdf",
            include_bytes!(
                "../../../../../core/src/platform/files/corpus/xref-stream-incremental.pdf"
            )
            .to_vec(),
            "pdf",
        ),
        (
            "photo.jpg",
            include_bytes!("../../../../../core/src/platform/files/corpus/progressive.jpg")
                .to_vec(),
            "jpeg",
        ),
        (
            "id.png",
            include_bytes!("../../../../../core/src/platform/files/corpus/rgba-multi-idat.png")
                .to_vec(),
            "png",
        ),
        (
            "licence.ofd",
            include_bytes!("../../../../../core/src/platform/files/corpus/sample.ofd").to_vec(),
            "ofd",
        ),
    ] {
        let (status, f) = give(name, body).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {f}");
        assert_eq!(f["type"], kind);
    }
}
