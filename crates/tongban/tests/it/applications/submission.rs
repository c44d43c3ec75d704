//! Materials given as files checked by content and limit, and a complete
//! application submitted with its case number, the person told.

use super::*;

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
    let refs: i64 = tongban_core::platform::db::query(
        "SELECT COUNT(*) FROM file_refs WHERE owner_kind = 'application'",
    )
    .fetch_one(&app.db)
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
    let files_before: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM files")
        .fetch_one(&app.db)
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
    let files_after: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM files")
        .fetch_one(&app.db)
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
        let r = tongban_core::platform::db::query(
            "SELECT declaration_version, declaration_hash, declared_level FROM applications WHERE public_id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db)
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
