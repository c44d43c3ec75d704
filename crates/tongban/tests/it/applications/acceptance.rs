//! Pre-review and acceptance (Art. 32): one complete correction notice, one
//! correction on the same case, then 受理 with the calendar's deadlines or
//! 不予受理 with reason and basis; the scope of the acceptance staff; late
//! notices flagged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{city_item, codes, send};
use crate::helpers::TestApp;

const DECLARED: &str = tongban_core::applications::declaration::VERSION;

/// A citizen's 居民身份证补领 application, submitted: (id, case number).
pub(super) async fn submitted(app: &TestApp, citizen: &reqwest::Client) -> (String, String) {
    let item = city_item(app, "居民身份证补领").await;
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
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (status, _) = send(citizen.patch(&url).json(&json!({"revision": 1, "fields": {
        "reason": "lost", "lost_date": "2026-11-01", "collect": "window"}})))
    .await;
    assert_eq!(status, StatusCode::OK);
    for code in &needed {
        let (status, _) = send(
            citizen
                .post(format!("{url}/materials/{code}/files?name=scan.pdf"))
                .body(crate::helpers::MINIMAL_PDF.to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, done) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": 2, "declaration": DECLARED})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    (id, done["case_number"].as_str().unwrap().to_owned())
}

/// An organisation's id, by its Chinese name, from the API.
async fn org_id(app: &TestApp, name: &str) -> i64 {
    let (_, all) = send(app.client().get(app.url("/api/v1/organizations?limit=500"))).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|o| o["name_zh"] == name)
        .unwrap_or_else(|| panic!("no organisation {name}"))["id"]
        .as_i64()
        .unwrap()
}

async fn act(c: &reqwest::Client, app: &TestApp, number: &str, body: Value) -> (StatusCode, Value) {
    send(
        c.post(app.url(&format!("/api/v1/cases/{number}/actions")))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn one_complete_correction_notice_one_correction_then_acceptance_with_deadlines() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (id, number) = submitted(&app, &citizen).await;
    let case_url = app.url(&format!("/api/v1/cases/{number}"));

    // The window clerk of the city's service centre sees it, with what may
    // be done; the applicant reads the same case and may do nothing here;
    // a member of staff without acceptance duties does not see it at all.
    let (status, case) = send(clerk.get(&case_url)).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["allowed_actions"],
        json!(["request_correction", "accept", "reject"])
    );
    assert_eq!(case["state"], "submitted");
    let (status, mine) = send(citizen.get(&case_url)).await;
    assert_eq!(
        (status, mine["allowed_actions"].clone()),
        (StatusCode::OK, json!([]))
    );
    let outsider = app.signed_in("agent").await;
    assert_eq!(send(outsider.get(&case_url)).await.0, StatusCode::NOT_FOUND);
    let (status, _) = act(
        &outsider,
        &app,
        &number,
        json!({"action": "accept", "revision": case["revision"]}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (queue_status, queue) = app.get_text(&clerk, "/work/cases").await;
    assert_eq!(queue_status, 200);
    assert!(queue.contains(&number), "{queue}");
    // In English the desk names items in English.
    clerk.get(app.url("/lang/en")).send().await.unwrap();
    let (_, queue) = app.get_text(&clerk, "/work/cases").await;
    assert!(
        queue.contains("Replacement of a lost ID card") && !queue.contains("居民身份证补领"),
        "{queue}"
    );
    clerk.get(app.url("/lang/zh-CN")).send().await.unwrap();
    let reads: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM application_reads a JOIN applications p ON p.id = a.application_id WHERE p.case_number = $1")
        .bind(&number)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(reads >= 1, "the clerk's read is recorded");

    // Nothing to correct is refused; a stale revision is refused.
    let revision = case["revision"].as_i64().unwrap();
    let (status, p) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "request_correction", "revision": revision}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&p).contains(&("findings".into(), "acceptance.nothing_to_correct".into())),
        "{p}"
    );
    let (status, _) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "accept", "revision": revision - 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // One notice listing everything.
    let (status, done) = act(&clerk, &app, &number, json!({
        "action": "request_correction", "revision": revision,
        "params": {"findings": [
            {"target": "/fields/lost_date", "problem": "遗失日期与报案记录不一致，请核实后填写", "basis": "居民身份证法第十一条"},
            {"problem": "照片背景不符合要求，请重新上传白色背景照片"}
        ]},
        "opinion": "材料需补正"})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "correction");
    assert_eq!(done["late"], false);
    let doc = done["document"].as_str().unwrap();
    assert!(doc.contains('补') && doc.contains('〔'), "{doc}");
    // Never a second list: only refusal remains while the applicant corrects.
    let (status, p) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "request_correction", "revision": revision + 1,
        "params": {"findings": [{"problem": "again"}]}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&p).contains(&("action".into(), "case.not_allowed".into())),
        "{p}"
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reject"),
        "{p}"
    );

    // The applicant sees the findings, corrects the same case and submits
    // it again under the same number.
    let (_, mine) = send(citizen.get(&case_url)).await;
    assert_eq!(mine["findings"].as_array().unwrap().len(), 2, "{mine}");
    assert_eq!(mine["findings"][0]["basis"], "居民身份证法第十一条");
    let (_, overview) = app.get_text(&citizen, &format!("/applications/{id}")).await;
    assert!(
        overview.contains("id=\"findings\"") && overview.contains("照片背景不符合要求"),
        "{overview}"
    );
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(citizen.get(&url)).await;
    let (status, saved) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": a["revision"], "fields": {"lost_date": "2026-10-30"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, again) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": saved["revision"], "declaration": DECLARED})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["case_number"], number.as_str());
    // Both sides see what the correction changed.
    for (who, path) in [
        (&clerk, format!("/work/cases/{number}")),
        (&citizen, format!("/applications/{id}")),
    ] {
        let (_, page) = app.get_text(who, &path).await;
        let changed = page.split("id=\"changes\"").nth(1).unwrap_or_default();
        assert!(
            changed.contains("遗失或被盗日期")
                && changed.contains("2026-11-01")
                && changed.contains("2026-10-30"),
            "{path}: {page}"
        );
    }

    // Accepted: the clock starts, with both dates from the calendar.
    let (_, case) = send(clerk.get(&case_url)).await;
    assert_eq!(case["allowed_actions"], json!(["accept", "reject"]));
    let (status, done) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "accept", "revision": case["revision"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "accepted");
    let (_, case) = send(citizen.get(&case_url)).await;
    let today = tongban_core::platform::clock::today_cst();
    let promised = case["promised_date"].as_str().unwrap();
    let legal = case["legal_date"].as_str().unwrap();
    assert_eq!(case["clock_from"], today.to_string());
    assert!(
        promised > today.to_string().as_str() && legal >= promised,
        "{promised} {legal}"
    );
    assert_eq!(case["documents"].as_array().unwrap().len(), 2);
    assert_eq!(case["documents"][1]["title"], "受理通知书");

    // The applicant is told each time and gets each notice as a PDF.
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("申请需要补正") && inbox.contains("申请已受理"),
        "{inbox}"
    );
    // The applicant's page, the clerk's page and /track show the steps,
    // in the order they were taken.
    let code: String = tongban_core::platform::db::query_scalar(
        "SELECT query_code FROM applications WHERE public_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let tracked = app
        .client()
        .post(app.url("/track"))
        .form(&[("case_number", number.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, mine_page) = app.get_text(&citizen, &format!("/applications/{id}")).await;
    let (_, clerk_page) = app.get_text(&clerk, &format!("/work/cases/{number}")).await;
    for page in [&tracked, &mine_page, &clerk_page] {
        let steps = page.split("id=\"timeline\"").nth(1).unwrap_or_default();
        let at = |s: &str| {
            steps
                .find(s)
                .unwrap_or_else(|| panic!("{s} missing: {page}"))
        };
        assert!(
            at("申请已提交") < at("需要补正")
                && at("需要补正") < at("补正后的申请已提交")
                && at("补正后的申请已提交") < at("已受理"),
            "{steps}"
        );
        assert!(!steps.contains("不予受理"), "{steps}");
    }
    let doc_id = case["documents"][1]["id"].as_i64().unwrap();
    let words = app
        .pdf_words(&citizen, &format!("/applications/{id}/documents/{doc_id}"))
        .await;
    if let Some(flat) = words {
        let d: Vec<u32> = legal.split('-').map(|p| p.parse().unwrap()).collect();
        let legal_words = format!("{}年{}月{}日", d[0], d[1], d[2]);
        for e in [
            "受理通知书",
            number.as_str(),
            "法定办结日期",
            legal_words.as_str(),
            // 补领 is a 行政确认: its own law, not the licensing law.
            "《中华人民共和国居民身份证法》第十一条",
        ] {
            assert!(flat.contains(e), "the notice lacks {e}: {flat}");
        }
        assert!(!flat.contains("行政许可法"), "{flat}");
    }
    let r = outsider
        .get(app.url(&format!("/work/cases/{number}/documents/{doc_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nothing more to do at this stage.
    let (status, p) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "reject", "revision": case["revision"],
        "params": {"reason": "x", "basis": "y"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

#[tokio::test]
async fn a_refusal_needs_reason_and_basis_and_a_late_decision_counts_from_receipt() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (_, first) = submitted(&app, &citizen).await;
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{first}")))).await;
    let (status, p) = act(
        &clerk,
        &app,
        &first,
        json!({"action": "reject", "revision": case["revision"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = codes(&p);
    assert!(
        got.contains(&("reason".into(), "required".into()))
            && got.contains(&("basis".into(), "required".into())),
        "{p}"
    );
    let (status, done) = act(&clerk, &app, &first, json!({"action": "reject", "revision": case["revision"],
        "params": {"reason": "申请人户籍不在本市", "basis": "《居民身份证法》第八条", "competent": "户籍所在地公安机关"}})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "not_accepted");
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(inbox.contains("申请人户籍不在本市"), "{inbox}");

    // Received three weeks ago and never told: accepting now is flagged,
    // and the clock runs from receipt.
    let (_, second) = submitted(&app, &citizen).await;
    let received = tongban_core::platform::clock::now_ms() - 21 * 86_400_000;
    let n = second.clone();
    app.db
        .write(move |c| {
            Box::pin(async move {
                tongban_core::platform::db::query(
                    "UPDATE applications SET submitted_at = $1 WHERE case_number = $2",
                )
                .bind(received)
                .bind(&n)
                .execute(c)
                .await?;
                Ok::<_, tongban_core::platform::db::DbError>(())
            })
        })
        .await
        .unwrap();
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{second}")))).await;
    assert!(case["days_since_receipt"].as_i64().unwrap() > 5, "{case}");
    let (status, done) = act(
        &clerk,
        &app,
        &second,
        json!({"action": "accept", "revision": case["revision"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["late"], true);
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{second}")))).await;
    assert_eq!(case["late_notice"], true);
    assert_eq!(
        case["clock_from"],
        tongban_core::platform::clock::date_cst(received).to_string()
    );
    let (_, page) = app.get_text(&clerk, &format!("/work/cases/{second}")).await;
    assert!(page.contains("id=\"late-notice\""), "{page}");
}

#[tokio::test]
async fn the_demo_has_a_case_in_every_state_of_the_journey_and_makes_them_once() {
    let app = TestApp::spawn().await;
    let setting = tongban_core::demo::CaseSetting {
        key: app.state.data_key(),
        data_dir: &app.state.config().data_dir,
        case_number: &app.state.config().applications.case_number,
        starts: app.state.config().calendar.period_starts,
    };
    assert_eq!(
        tongban_core::demo::seed_cases(&app.db, &setting)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        tongban_core::demo::seed_cases(&app.db, &setting)
            .await
            .unwrap(),
        0
    );
    let mut states: Vec<String> =
        tongban_core::platform::db::query_scalar("SELECT state FROM applications")
            .fetch_all(&app.db)
            .await
            .unwrap();
    states.sort();
    assert_eq!(
        states,
        [
            "accepted",
            "correction",
            "draft",
            "not_accepted",
            "submitted"
        ]
    );
    let citizen = app.citizen().await;
    let (_, mine) = app.get_text(&citizen, "/applications").await;
    for label in ["草稿", "已提交，待受理", "待补正", "已受理", "不予受理"] {
        assert!(mine.contains(label), "{label}: {mine}");
    }
    let clerk = app.clerk().await;
    let (_, queue) = app.get_text(&clerk, "/work/cases").await;
    assert_eq!(
        queue.matches("<tr><td><a href=\"/work/cases/").count(),
        2,
        "{queue}"
    );
}

#[tokio::test]
async fn a_file_given_in_an_earlier_case_is_reused_by_reference_with_its_grade() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let (first, number) = submitted(&app, &citizen).await;
    let (_, earlier) = send(citizen.get(app.url(&format!("/api/v1/applications/{first}")))).await;
    let given = &earlier["files"][0];
    assert_eq!(
        (given["trust"].as_str(), given["origin"].as_str()),
        (Some("C"), Some("upload"))
    );
    let item = city_item(&app, "居民身份证补领").await;
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    // The materials page offers it; the API takes it by reference.
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    assert!(
        page.contains(&format!("value=\"{}\"", given["id"])) && page.contains(&number),
        "{page}"
    );
    let code = given["material"].as_str().unwrap();
    let url = app.url(&format!("/api/v1/applications/{id}/materials/{code}/files"));
    let (status, again) = send(citizen.post(&url).json(&json!({"file_id": given["id"]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["origin"], format!("reuse:{number}"));
    assert_eq!(
        (again["trust"].as_str(), again["sha256"].as_str()),
        (Some("C"), given["sha256"].as_str())
    );
    let stored: i64 =
        tongban_core::platform::db::query("SELECT COUNT(*) FROM files WHERE sha256 = $1")
            .bind(given["sha256"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(stored, 1, "shared, not copied");
    // Someone else's file is not there to take.
    let enterprise = app.signed_in("enterprise").await;
    let (_, theirs) = send(
        enterprise
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": city_item(&app, "食品经营许可").await})),
    )
    .await;
    let (status, p) = send(
        enterprise
            .post(app.url(&format!(
                "/api/v1/applications/{}/materials/M001/files",
                theirs["id"].as_str().unwrap()
            )))
            .json(&json!({"file_id": given["id"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&p).contains(&("/materials/M001".into(), "material.reuse_unknown".into())),
        "{p}"
    );
}

#[tokio::test]
async fn a_calendar_edit_shows_the_running_deadlines_it_moves_and_moves_them() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (_, number) = submitted(&app, &citizen).await;
    let case_url = app.url(&format!("/api/v1/cases/{number}"));
    let (_, case) = send(clerk.get(&case_url)).await;
    let (status, _) = act(
        &clerk,
        &app,
        &number,
        json!({"action": "accept", "revision": case["revision"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, case) = send(clerk.get(&case_url)).await;
    let legal = case["legal_date"].as_str().unwrap().to_owned();

    // The next working day after today becomes a holiday.
    let today = tongban_core::platform::clock::today_cst();
    let (_, next) = send(app.client().get(app.url(&format!(
        "/api/v1/calendar/deadline?from={today}&working_days=1"
    ))))
    .await;
    let day = next["deadline"].as_str().unwrap().to_owned();
    assert!(
        day.as_str() < legal.as_str(),
        "{day} is inside the period ending {legal}"
    );
    let year = &day[..4];
    let admin = app.admin().await;
    let (_, page) = app
        .get_text(&admin, &format!("/admin/calendar/{year}"))
        .await;
    let mut form = crate::helpers::form_fields(&page, "calendar-form");
    let table = form
        .iter()
        .find(|(k, _)| k == "table")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    tongban_bench::form::set(&mut form, "table", &format!("{table}\n{day},放假,测试\n"));
    tongban_bench::form::set(&mut form, "action", "preview");
    let url = app.url(&format!("/admin/calendar/{year}"));
    let r = admin.post(&url).form(&form).send().await.unwrap();
    let preview = r.text().await.unwrap();
    assert!(
        preview.contains("id=\"change-moved\"") && preview.contains(&number),
        "{preview}"
    );
    let (_, unchanged) = send(clerk.get(&case_url)).await;
    assert_eq!(
        unchanged["legal_date"],
        legal.as_str(),
        "a preview moves nothing"
    );
    tongban_bench::form::set(&mut form, "action", "save");
    let r = admin.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.state.calendar_touched().await;
    let (_, moved) = send(clerk.get(&case_url)).await;
    let (_, expected) = send(app.client().get(app.url(&format!(
        "/api/v1/calendar/deadline?from={}&working_days=1",
        legal
    ))))
    .await;
    assert_eq!(
        moved["legal_date"], expected["deadline"],
        "one working day later"
    );
}

#[tokio::test]
async fn a_service_centre_accepts_for_the_departments_with_a_window_there() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let admin = app.admin().await;
    let (_, number) = submitted(&app, &citizen).await;
    let case_url = app.url(&format!("/api/v1/cases/{number}"));
    let dept: i64 = tongban_core::platform::db::query(
        "SELECT i.org_id FROM applications a JOIN service_items i ON i.id = a.item_id WHERE a.case_number = $1",
    )
    .bind(&number)
    .fetch_one(&app.db)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let centre = org_id(&app, "哈尔滨市政务服务中心").await;
    let windows_url = app.url(&format!("/api/v1/organizations/{centre}/windows"));
    let ids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };
    // The item's department has a window at the city centre: its clerk
    // sees the case and has it in the queue; the public page says so.
    let (status, windows) = send(app.client().get(&windows_url)).await;
    assert_eq!(status, StatusCode::OK);
    let before = ids(&windows);
    assert!(before.contains(&dept), "{windows}");
    assert_eq!(send(clerk.get(&case_url)).await.0, StatusCode::OK);
    let (_, queue) = app.get_text(&clerk, "/work/cases").await;
    assert!(queue.contains(&number));
    let (_, page) = app
        .get_text(&app.client(), &format!("/organizations/{centre}"))
        .await;
    assert!(
        page.contains("id=\"windows\"") && page.contains("进驻部门"),
        "{page}"
    );

    // Only a system administrator above the centre changes the list, to
    // departments only, and only at a centre; everything wrong at once.
    let without: Vec<i64> = before.iter().copied().filter(|i| *i != dept).collect();
    let put = |c: &reqwest::Client, url: &str, list: &[i64]| {
        c.put(url).json(&json!({"departments": list}))
    };
    assert_eq!(
        send(put(&citizen, &windows_url, &without)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, p) = send(put(&admin, &windows_url, &[dept, centre, 999_999])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got = codes(&p);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter().any(|(_, c)| c == "org.not_a_department"),
        "{got:?}"
    );
    assert!(got.iter().any(|(_, c)| c == "org.unknown"), "{got:?}");
    let (status, p) = send(put(
        &admin,
        &app.url(&format!("/api/v1/organizations/{dept}/windows")),
        &[dept],
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&p)[0].1, "org.not_a_center");

    // Without a window there, the centre's clerk no longer sees the case.
    let (status, windows) = send(put(&admin, &windows_url, &without)).await;
    assert_eq!(status, StatusCode::OK, "{windows}");
    assert!(!ids(&windows).contains(&dept));
    assert_eq!(send(clerk.get(&case_url)).await.0, StatusCode::NOT_FOUND);
    let (_, queue) = app.get_text(&clerk, "/work/cases").await;
    assert!(!queue.contains(&number));
    // With it again, the clerk does.
    let (status, _) = send(put(&admin, &windows_url, &before)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(send(clerk.get(&case_url)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_administrator_changes_a_centres_windows_on_a_page_and_a_stale_page_keeps_the_ticks() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let citizen = app.citizen().await;
    let centre = org_id(&app, "哈尔滨市政务服务中心").await;
    let dept = org_id(&app, "哈尔滨市教育局").await;
    let url = format!("/admin/organizations/{centre}/windows");
    let listed = async || -> Vec<i64> {
        let (_, list) = send(
            app.client()
                .get(app.url(&format!("/api/v1/organizations/{centre}/windows"))),
        )
        .await;
        list.as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };
    assert!(listed().await.contains(&dept));
    // Offered on the centre's page to an administrator only.
    let (_, page) = app
        .get_text(&admin, &format!("/organizations/{centre}"))
        .await;
    assert!(page.contains("id=\"edit-windows\""), "{page}");
    let (_, page) = app
        .get_text(&citizen, &format!("/organizations/{centre}"))
        .await;
    assert!(!page.contains("id=\"edit-windows\""));
    assert_eq!(app.get_text(&citizen, &url).await.0, 403);
    assert_eq!(
        app.get_text(&admin, &format!("/admin/organizations/{dept}/windows"))
            .await
            .0,
        404
    );
    let read = |page: &str| -> (String, Vec<String>) {
        let seen = page
            .split("name=\"seen\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let ticked = page
            .split("<input type=\"checkbox\" name=\"department\" value=\"")
            .skip(1)
            .filter(|rest| rest.split('>').next().unwrap().contains("checked"))
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        (seen, ticked)
    };
    let (_, page) = app.get_text(&admin, &url).await;
    let (seen, ticked) = read(&page);
    assert!(ticked.contains(&dept.to_string()), "{page}");
    let post = async |seen: &str, ticked: &[String]| {
        let mut pairs = vec![("seen".to_owned(), seen.to_owned())];
        pairs.extend(ticked.iter().map(|d| ("department".to_owned(), d.clone())));
        let r = admin.post(app.url(&url)).form(&pairs).send().await.unwrap();
        let status = r.status();
        (status, r.text().await.unwrap())
    };
    // Without the education bureau.
    let without: Vec<String> = ticked
        .iter()
        .filter(|d| **d != dept.to_string())
        .cloned()
        .collect();
    let (status, _) = post(&seen, &without).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!listed().await.contains(&dept));
    // A second page read before that save does not overwrite it: 409, the
    // ticks it sent kept, and saving again from there is deliberate.
    let (status, page) = post(&seen, &ticked).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("id=\"conflict\""), "{page}");
    let (fresh_seen, kept) = read(&page);
    assert!(kept.contains(&dept.to_string()));
    assert!(!listed().await.contains(&dept), "nothing changed");
    let (status, _) = post(&fresh_seen, &kept).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = app.get_text(&admin, &format!("{url}?done=1")).await;
    assert!(page.contains("id=\"saved\""));
    assert!(read(&page).1.contains(&dept.to_string()));
}
