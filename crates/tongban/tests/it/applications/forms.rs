//! Forms that don't lose input (issue 21, item 8): a file chosen is
//! uploaded by "continue", "change" returns to check your answers, Enter
//! continues, required answers are asked on their page, and a file is
//! removed only when the person confirms.

use reqwest::StatusCode;
use serde_json::json;

use super::{city_item, send};
use crate::helpers::{MINIMAL_PDF, TestApp, form_fields};

/// A fresh 居民身份证补领 draft of the citizen: its id.
async fn draft(app: &TestApp, citizen: &reqwest::Client) -> String {
    let item = city_item(app, "居民身份证补领").await;
    let (_, made) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    made["id"].as_str().unwrap().to_owned()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_chosen_is_uploaded_by_continue_and_removing_one_asks_first() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let id = draft(&app, &citizen).await;
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    let code = page
        .split("name=\"file.")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    // The first submit button of the one form is "continue": Enter goes on.
    let form_at = page.find("id=\"materials-form\"").unwrap();
    let first_button = &page[form_at..][page[form_at..].find("<button").unwrap()..];
    assert!(first_button.starts_with("<button type=\"submit\" name=\"action\" value=\"continue\""));

    // Choosing a file and pressing "continue" (not the upload button)
    // gives it, and goes on.
    let part = reqwest::multipart::Part::bytes(MINIMAL_PDF.to_vec()).file_name("照片.pdf");
    let empty = reqwest::multipart::Part::bytes(Vec::new()).file_name("");
    let form = reqwest::multipart::Form::new()
        .text("action", "continue")
        .part(format!("file.{code}"), part)
        .part("file.unused", empty);
    let r = citizen
        .post(app.url(&format!("/applications/{id}/materials")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/applications/{id}/after/materials"));
    let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    assert_eq!(a["files"][0]["name"], "照片.pdf");
    let given = a["files"][0]["id"].as_i64().unwrap();

    // The upload button with nothing chosen says what to do.
    let form = reqwest::multipart::Form::new()
        .text("upload", code.clone())
        .part(
            format!("file.{code}"),
            reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        );
    let r = citizen
        .post(app.url(&format!("/applications/{id}/materials")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请选择要上传的文件"));

    // Removing asks first (nothing is removed by the question), then says
    // it was done.
    let (status, ask) = app
        .get_text(
            &citizen,
            &format!("/applications/{id}/files/{given}/remove"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(ask.contains("删除“照片.pdf”？"), "{ask}");
    let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    assert_eq!(a["files"].as_array().unwrap().len(), 1);
    let r = citizen
        .post(app.url(&format!("/applications/{id}/files/{given}/delete")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        format!("/applications/{id}/materials?done=removed")
    );
    let (_, page) = app.get_text(&citizen, &location(&r)).await;
    assert!(page.contains("文件已删除"), "{page}");
}

#[tokio::test]
async fn required_answers_are_asked_on_their_page_and_change_returns_to_check() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let id = draft(&app, &citizen).await;
    let page_url = format!("/applications/{id}/pages/0");
    let (_, page) = app.get_text(&citizen, &page_url).await;
    // Continuing without the required reason is refused on this page, at
    // once, with what was typed kept.
    let mut f = form_fields(&page, "page-form");
    f.retain(|(k, _)| k != "action" && k != "f.reason" && k != "f.phone");
    f.push(("f.phone".into(), "0451-86661234".into()));
    f.push(("action".into(), "continue".into()));
    let r = citizen
        .post(app.url(&page_url))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("请填写“补领原因”。"), "{refused}");
    assert!(
        refused.contains("value=\"0451-86661234\""),
        "a landline is kept: {refused}"
    );
    // What was typed is saved even so: leaving now loses nothing.
    let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    assert_eq!(a["fields"]["phone"], "0451-86661234", "a landline is taken");
    // "Save and come back later" from the refused page does not ask.
    let mut later = form_fields(&refused, "page-form");
    later.retain(|(k, _)| k != "action");
    later.push(("action".into(), "later".into()));
    let r = citizen
        .post(app.url(&page_url))
        .form(&later)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    assert_eq!(a["fields"]["phone"], "0451-86661234", "a landline is taken");

    // "Change" on check your answers opens the page, and continuing
    // returns to check your answers.
    let (_, check) = app
        .get_text(&citizen, &format!("/applications/{id}/check"))
        .await;
    assert!(check.contains(&format!("{page_url}?back=check")), "{check}");
    let (_, page) = app
        .get_text(&citizen, &format!("{page_url}?back=check"))
        .await;
    let mut f = form_fields(&page, "page-form");
    assert!(f.iter().any(|(k, v)| k == "back" && v == "check"));
    f.retain(|(k, _)| k != "action" && k != "f.reason" && k != "f.collect");
    f.push(("f.reason".into(), "damaged".into()));
    f.push(("action".into(), "continue".into()));
    let r = citizen
        .post(app.url(&page_url))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(location(&r), format!("/applications/{id}/check"));
}

#[tokio::test]
async fn window_work_starts_at_the_desk_and_a_work_account_applies_only_for_others() {
    let app = TestApp::spawn().await;
    // Signed in with nowhere else to go, a clerk lands on the desk.
    let c = app.client();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", "clerk"),
            ("password", tongban_core::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login/totp");
    let code = app.totp_code("clerk").await;
    let r = c
        .post(app.url("/login/totp"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/work/cases");
    // The desk leads to window intake and to registering a person.
    let (_, desk) = app.get_text(&c, "/work/cases").await;
    assert!(
        desk.contains("id=\"walk-in-items\"") && desk.contains("href=\"/counter\""),
        "{desk}"
    );
    // The work account does not apply for the clerk.
    let item = city_item(&app, "居民身份证补领").await;
    let (status, p) = send(
        c.post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "application.staff_own");
    // English pages name the item in English.
    let citizen = app.citizen().await;
    citizen
        .get(app.url("/lang/en?back=/"))
        .send()
        .await
        .unwrap();
    let (_, start) = app.get_text(&citizen, &format!("/apply/{item}")).await;
    assert!(start.contains("Replacement of a lost ID card"), "{start}");
    let (status, _) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, mine) = app.get_text(&citizen, "/applications").await;
    assert!(
        mine.contains(">Replacement of a lost ID card</a>"),
        "{mine}"
    );
}

#[tokio::test]
async fn a_material_with_a_blank_form_and_a_sample_links_them_where_the_file_is_given() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    super::rewrite_guides(
        &app,
        &item,
        &[
            (r#""blank_form":"""#, r#""blank_form":"blank-key""#),
            (r#""sample":"""#, r#""sample":"sample-key""#),
        ],
    )
    .await;
    let id = draft(&app, &citizen).await;
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    assert!(
        page.contains("href=\"/files/blank-key\"") && page.contains("href=\"/files/sample-key\""),
        "{page}"
    );
}
