//! The journey as people live it (issue 21): what a clerk accepts can be
//! opened, a notice says where to correct, only those an item serves apply,
//! the applicant's identity is not an answer to edit.

use reqwest::StatusCode;
use serde_json::json;

use super::acceptance::submitted;
use super::{city_item, send};
use crate::helpers::{MINIMAL_PDF, TestApp};

async fn file_reads(app: &TestApp, number: &str) -> Vec<(String, Option<i64>)> {
    tongban_core::platform::db::query(
        "SELECT r.purpose, r.given_id FROM application_reads r JOIN applications a ON a.id = r.application_id \
         WHERE a.case_number = $1 ORDER BY r.id",
    )
    .bind(number)
    .fetch_all(&app.db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect()
}

#[tokio::test]
async fn materials_open_for_the_applicant_and_the_staff_in_scope_and_each_staff_open_is_recorded() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (id, number) = submitted(&app, &citizen).await;

    // The applicant's application lists each file with where it opens.
    let (_, own) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    let file = own["files"][0].clone();
    let file_id = file["id"].as_i64().unwrap();
    assert_eq!(
        file["href"],
        json!(format!("/api/v1/applications/{id}/files/{file_id}"))
    );
    let r = citizen
        .get(app.url(file["href"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    // A PDF is not sandboxed (browsers' PDF viewers show a sandboxed one
    // blank), but nothing loads from it, it is never framed or sniffed.
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"scan.pdf\""),
        "{h:?}"
    );
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), MINIMAL_PDF);

    // The clerk reads the case: its files open under the case's path, and
    // each open is recorded beside the reading of the case.
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    let href = case["files"][0]["href"].as_str().unwrap().to_owned();
    assert_eq!(href, format!("/api/v1/cases/{number}/files/{file_id}"));
    let before = file_reads(&app, &number).await;
    let r = clerk.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), MINIMAL_PDF);
    let after = file_reads(&app, &number).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().unwrap(), &("file".to_owned(), Some(file_id)));
    // Shown as a thumbnail on the case page, it is recorded as shown.
    let r = clerk
        .get(app.url(&format!("{href}?as=thumbnail")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let shown = file_reads(&app, &number).await;
    assert_eq!(
        shown.last().unwrap(),
        &("thumbnail".to_owned(), Some(file_id))
    );
    let after = shown;

    // The applicant opens it there too, which is not a staff read; the
    // clerk cannot use the applicant's path, nor anyone else either path.
    let r = citizen.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(file_reads(&app, &number).await.len(), after.len());
    let own_href = app.url(&format!("/api/v1/applications/{id}/files/{file_id}"));
    assert_eq!(clerk.get(&own_href).send().await.unwrap().status(), 404);
    let outsider = app.signed_in("agent").await;
    assert_eq!(outsider.get(&own_href).send().await.unwrap().status(), 404);
    assert_eq!(
        outsider.get(app.url(&href)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        app.client()
            .get(app.url(&href))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // A file of another case under this case's number is not found.
    let (other_id, _) = submitted(&app, &citizen).await;
    let (_, other) = send(citizen.get(app.url(&format!("/api/v1/applications/{other_id}")))).await;
    let other_file = other["files"][0]["id"].as_i64().unwrap();
    let wrong = format!("/api/v1/cases/{number}/files/{other_file}");
    assert_eq!(
        clerk.get(app.url(&wrong)).send().await.unwrap().status(),
        404
    );

    // The pages link every file: the clerk's case page (with its hash
    // behind details) and the applicant's case page.
    let (_, page) = app.get_text(&clerk, &format!("/work/cases/{number}")).await;
    assert!(page.contains(&format!("href=\"{href}\"")), "{page}");
    assert!(page.contains("SHA-256"));
    let (_, page) = app.get_text(&citizen, &format!("/applications/{id}")).await;
    assert!(
        page.contains(&format!(
            "href=\"/api/v1/applications/{id}/files/{file_id}\""
        )),
        "{page}"
    );
    assert!(!page.contains("SHA-256"));
}

#[tokio::test]
async fn a_file_name_cannot_break_out_of_its_header_and_images_open_inline_as_thumbnails() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let (_, created) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    let material = form["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["fetchable"] == "no" && m["file_types"].to_string().contains("png"))
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .expect("a material taking PNG");
    let nasty = "照片\"; filename=evil.html\r\n.png";
    let url = app.url(&format!(
        "/api/v1/applications/{id}/materials/{material}/files?name={}",
        urlencoding(nasty)
    ));
    let (status, given) = send(citizen.post(url).body(crate::helpers::MINIMAL_PNG.to_vec())).await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    let href = given["href"].as_str().unwrap().to_owned();
    let r = citizen.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox;"), "an image is sandboxed: {csp}");
    let d = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(d.starts_with("inline; filename=\""), "{d}");
    // One quoted name, one encoded name, nothing else: no quote, no
    // separator, no line break from the name survives.
    let parts: Vec<&str> = d.split(';').map(str::trim).collect();
    assert_eq!(parts.len(), 3, "{d}");
    assert_eq!(d.matches('"').count(), 2, "{d}");
    assert!(
        parts[2].starts_with("filename*=UTF-8''%E7%85%A7%E7%89%87"),
        "{d}"
    );
    assert!(!d.contains('\r') && !d.contains('\n'), "{d}");
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    assert!(page.contains(&format!("<img src=\"{href}\"")), "{page}");
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_correction_notice_says_where_each_correction_is_and_the_applicant_is_led_there() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (id, number) = submitted(&app, &citizen).await;
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    let material = case["files"][0]["material"].as_str().unwrap().to_owned();

    // The API refuses a place that is none of the case's questions or
    // materials, naming the finding; nothing is issued.
    for bad in [
        "a",
        "/fields/no_such_question",
        "/materials/M999",
        "fields/lost_date",
    ] {
        let (status, p) = send(
            clerk
                .post(app.url(&format!("/api/v1/cases/{number}/actions")))
                .json(
                    &json!({"action": "request_correction", "revision": case["revision"],
                    "params": {"findings": [{"problem": "请补正", "target": ""},
                                            {"problem": "请核实", "target": bad}]}}),
                ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
        assert_eq!(p["errors"][0]["code"], "finding.target", "{p}");
        assert_eq!(p["errors"][0]["field"], "/params/findings/1/target", "{p}");
    }
    let (_, still) = send(clerk.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    assert_eq!(still["state"], "submitted");

    // On the page the clerk picks each place from the case's own questions
    // and materials, previews the notice, and issues it.
    let (_, page) = app
        .get_text(&clerk, &format!("/work/cases/{number}/decide/correction"))
        .await;
    assert!(
        page.contains("value=\"/fields/lost_date\"")
            && page.contains(&format!("value=\"/materials/{material}\"")),
        "{page}"
    );
    let r = super::decide_on_page(
        &app,
        &clerk,
        &number,
        "correction",
        &[
            ("target.0", "/fields/lost_date"),
            ("problem.0", "遗失日期与报案记录不一致，请核实后填写"),
            ("target.1", &format!("/materials/{material}")),
            ("problem.1", "扫描件模糊，请重新上传清晰的扫描件"),
            ("problem.2", "请在申请表上签名"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Every finding shows its place: to the clerk, in the notice, in the
    // message, and to the applicant with a link to where it is fixed.
    let (_, page) = app.get_text(&clerk, &format!("/work/cases/{number}")).await;
    assert!(page.contains("申请表“遗失或被盗日期”"), "{page}");
    let (_, overview) = app.get_text(&citizen, &format!("/applications/{id}")).await;
    assert!(
        overview.contains("#f-lost_date\">申请表“遗失或被盗日期”</a>")
            && overview.contains(&format!("/materials#m-{material}\">"))
            && overview.contains("整个申请"),
        "{overview}"
    );
    assert!(overview.contains("需补正"), "{overview}");
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("需补正的位置：申请表“遗失或被盗日期”、材料“"),
        "{inbox}"
    );
    // The message leads to the case, without the SMS signature, and reads
    // in the page's language.
    assert!(
        inbox.contains(&format!("href=\"/applications/{id}\"")),
        "{inbox}"
    );
    assert!(!inbox.contains("【通办】"), "{inbox}");
    citizen
        .get(app.url("/lang/en?back=/"))
        .send()
        .await
        .unwrap();
    let (_, inbox) = app.get_text(&citizen, "/inbox").await;
    assert!(
        inbox.contains("Your application needs corrections"),
        "{inbox}"
    );
    assert!(
        inbox.contains("at: Question “Date lost or stolen”; Material “"),
        "{inbox}"
    );
    citizen
        .get(app.url("/lang/zh-CN?back=/"))
        .send()
        .await
        .unwrap();
    let (_, mine) = send(citizen.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    let doc = mine["documents"][0]["id"].as_i64().unwrap();
    if let Some(text) = app
        .pdf_words(&citizen, &format!("/applications/{id}/documents/{doc}"))
        .await
    {
        assert!(text.contains("补正告知书"), "{text}");
        assert!(
            text.contains("申请表“遗失或被盗日期”：遗失日期与报案记录不一致"),
            "{text}"
        );
        assert!(text.contains("整个申请：请在申请表上签名"), "{text}");
    }
}

#[tokio::test]
async fn only_those_an_item_serves_apply_for_it_and_a_draft_the_rule_refuses_stops_at_submission() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let enterprise = app.signed_in("enterprise").await;
    let food = city_item(&app, "食品生产许可").await;
    let id_card = city_item(&app, "居民身份证补领").await;

    // A person cannot apply as himself for what serves enterprises only,
    // nor an enterprise for what serves persons; the API says why.
    let (status, p) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": food})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "application.not_served", "{p}");
    assert_eq!(
        p["errors"][0]["message"],
        "该事项面向企业法人，不能以自然人身份申请"
    );
    let (status, p) = send(
        enterprise
            .post(app.url("/api/v1/applications"))
            .header("Accept-Language", "en")
            .json(&json!({"item": id_card})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        p["errors"][0]["message"],
        "This service is for natural persons; it cannot be applied for as enterprises."
    );
    // The enterprise applies for what serves it.
    let (status, made) = send(
        enterprise
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": food})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");

    // The start page offers the person no way to apply as himself, and
    // says what to do instead.
    let (_, page) = app.get_text(&citizen, &format!("/apply/{food}")).await;
    assert!(page.contains("id=\"not-served\""), "{page}");
    assert!(!page.contains("value=\"self\""), "{page}");
    let (_, page) = app.get_text(&citizen, &format!("/apply/{id_card}")).await;
    assert!(!page.contains("id=\"not-served\""), "{page}");

    // A person's draft of an item that since serves enterprises only is
    // stopped at submission, with the same words; the check page lists it.
    let (_, draft) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": id_card})),
    )
    .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    super::rewrite_guides(
        &app,
        &id_card,
        &[(r#""service_objects":["1"]"#, r#""service_objects":["2"]"#)],
    )
    .await;
    let (status, p) = send(
        citizen
            .post(app.url(&format!("/api/v1/applications/{id}/submit")))
            .json(&json!({"revision": 1, "declaration": tongban_core::applications::declaration::VERSION})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "application.not_served"
                && e["message"] == "该事项面向企业法人，不能以自然人身份申请"),
        "{p}"
    );
    let (_, check) = app
        .get_text(&citizen, &format!("/applications/{id}/check"))
        .await;
    assert!(check.contains("该事项面向企业法人"), "{check}");
}

#[tokio::test]
async fn who_the_applicant_is_is_shown_not_edited_and_the_api_refuses_a_change() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let id_card = city_item(&app, "居民身份证补领").await;
    let (_, draft) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": id_card})),
    )
    .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["fields"]["name"], "张晓明", "{a}");

    // Another person's name and number are refused at their fields; the
    // phone stays the applicant's to change.
    let (status, p) = send(citizen.patch(&url).json(&json!({"revision": 1,
        "fields": {"name": "李四", "id_number": "11010519491231002X", "phone": "13900001111"}})))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let fields: Vec<(&str, &str)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("/fields/name", "application.identity_locked"),
            ("/fields/id_number", "application.identity_locked")
        ]
    );
    let (status, p) = send(citizen.patch(&url).json(&json!({"revision": 1,
        "fields": {"name": null}})))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, saved) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"phone": "13900001111"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(
        (&a["fields"]["name"], &a["fields"]["phone"]),
        (&json!("张晓明"), &json!("13900001111"))
    );

    // The question page shows them read-only, and leads a person who
    // means to apply for someone else to that path.
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/pages/0"))
        .await;
    assert!(
        page.contains("id=\"f-name\" name=\"f.name\" type=\"text\" value=\"张晓明\" readonly"),
        "{page}"
    );
    assert!(
        !page.contains(
            "id=\"f-phone\" name=\"f.phone\" type=\"tel\" value=\"13900001111\" readonly"
        )
    );
    assert!(
        page.contains(&format!("href=\"/apply/{id_card}#f-for_person\"")),
        "{page}"
    );
    // A page posted with another name is refused there, keeping the input.
    let mut form = crate::helpers::form_fields(&page, "page-form");
    for (k, v) in &mut form {
        if k == "f.name" {
            *v = "李四".into();
        }
    }
    let r = citizen
        .post(app.url(&format!("/applications/{id}/pages/0")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("来自申请人的实名信息，不能修改")
    );
}

#[tokio::test]
async fn a_case_number_reads_in_its_parts_and_is_found_however_it_is_typed() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let (id, number) = submitted(&app, &citizen).await;
    let code: String = tongban_core::platform::db::query_scalar(
        "SELECT query_code FROM applications WHERE public_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    // The default pattern: 实施编码 (credit code, then the rest), date, sequence.
    let n = number.len();
    let grouped = format!(
        "{} {} {} {}",
        &number[..18],
        &number[18..n - 12],
        &number[n - 12..n - 4],
        &number[n - 4..]
    );
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}?done=submitted"))
        .await;
    assert!(page.contains(&grouped), "{page}");
    assert!(
        page.contains("12345"),
        "the query code is what to quote: {page}"
    );

    // /track takes it as shown (with spaces), in small letters, with
    // spaces around; a number that is no number is simply not found.
    let anon = app.client();
    for typed in [
        grouped.clone(),
        format!("  {}  ", grouped.to_lowercase()),
        number.clone(),
    ] {
        let r = anon
            .post(app.url("/track"))
            .form(&[("case_number", typed.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{typed}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("id=\"tracked\"") && page.contains(&grouped),
            "{page}"
        );
    }
    let r = anon
        .post(app.url("/track"))
        .form(&[("case_number", "12/34"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // 我的办件: a card per application, with its state, its date and what
    // happens next.
    let (_, mine) = app.get_text(&citizen, "/applications").await;
    assert!(mine.contains("<ul class=\"cards\" id=\"mine\">"), "{mine}");
    assert!(mine.contains("class=\"card state-submitted\""), "{mine}");
    assert!(mine.contains("等待受理：五个工作日内"), "{mine}");
    assert!(!mine.contains("<table"), "{mine}");
}

#[tokio::test]
async fn a_benefit_cites_its_own_law_and_a_person_is_addressed_as_such() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "失业保险金申领").await;
    let (_, made) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let employer = super::enterprise_code(&app).await;
    let (status, saved) = send(citizen.patch(&url).json(&json!({"revision": 1, "fields": {
        "employer": "哈尔滨市某某制造有限公司", "employer_code": employer,
        "start_date": "2020-01-01", "end_date": "2026-10-31", "leave_reason": "ended",
        "bank_account": "6217000123456789012"}})))
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    // The declaration names the benefit's own law, not the licensing law.
    let (_, a) = send(citizen.get(&url)).await;
    let words = a["declaration"]["text"].as_str().unwrap();
    assert!(words.contains("《失业保险条例》第十四条"), "{words}");
    assert!(!words.contains("行政许可法"), "{words}");
    // Words other than those now in force are shown again first.
    let (status, p) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": 2, "declaration": "0".repeat(64)})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        p["errors"][0]["code"], "application.declaration_changed",
        "{p}"
    );
    // Accepted by the hash of the words shown.
    let (status, done) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": 2, "declaration": a["declaration"]["sha256"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    // What was declared is kept as shown.
    let kept: String = tongban_core::platform::db::query_scalar(
        "SELECT declaration_hash FROM applications WHERE public_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(kept, a["declaration"]["sha256"].as_str().unwrap());
    // The receipt speaks to the person and cites the item's law.
    if let Some(text) = app
        .pdf_words(&citizen, &format!("/applications/{id}/receipt.pdf"))
        .await
    {
        assert!(text.contains("您于"), "{text}");
        assert!(
            !text.contains("你（单位）") && !text.contains("行政许可法"),
            "{text}"
        );
        assert!(text.contains("《失业保险条例》第十四条"), "{text}");
    }
    // Its words too: the law edited since, the case still shows what the
    // person accepted.
    super::rewrite_guides(&app, &item, &[("第十四条", "第十五条")]).await;
    let (_, after) = send(citizen.get(&url)).await;
    let shown = after["declaration"]["text"].as_str().unwrap();
    assert!(shown.contains("《失业保险条例》第十四条"), "{shown}");
    assert_eq!(after["declaration"]["sha256"], a["declaration"]["sha256"]);
    let (_, fresh) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let (_, fresh) = send(citizen.get(app.url(&format!(
        "/api/v1/applications/{}",
        fresh["id"].as_str().unwrap()
    ))))
    .await;
    let now_in_force = fresh["declaration"]["text"].as_str().unwrap_or_default();
    assert!(now_in_force.contains("第十五条"), "{fresh}");
    // And the receipt cites the law as it was when the case was received.
    if let Some(text) = app
        .pdf_words(&citizen, &format!("/applications/{id}/receipt.pdf"))
        .await
    {
        assert!(
            text.contains("第十四条") && !text.contains("第十五条"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_application_form_that_is_a_material_is_not_asked_for_and_stands_in_its_place() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "临时救助").await;
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    let materials = form["materials"].as_array().unwrap();
    let by_form = materials
        .iter()
        .find(|m| m["fetchable"] == "from_form")
        .unwrap_or_else(|| panic!("{form}"));
    assert_eq!(by_form["name"], "临时救助申请书");
    let code = by_form["code"].as_str().unwrap().to_owned();
    let (_, made) = send(
        citizen
            .post(app.url("/api/v1/applications"))
            .json(&json!({"item": item})),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));

    // Nothing to upload for it: the materials page says why, the API
    // refuses a file, and submission does not ask for it.
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    assert!(page.contains("您填写的申请表就是这份材料"), "{page}");
    let (status, p) = send(
        citizen
            .post(format!("{url}/materials/{code}/files?name=a.pdf"))
            .body(MINIMAL_PDF.to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "material.from_form", "{p}");
    let (status, saved) = send(citizen.patch(&url).json(&json!({"revision": 1, "fields": {
        "hardship": ["illness"], "hardship_date": "2026-11-20", "expenses": 3200,
        "description": "家人突发重病住院", "bank_account": "6222020200112233445"}})))
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    for m in materials
        .iter()
        .filter(|m| m["required"] == true && m["fetchable"] == "no")
    {
        let (status, _) = send(
            citizen
                .post(format!(
                    "{url}/materials/{}/files?name=scan.pdf",
                    m["code"].as_str().unwrap()
                ))
                .body(MINIMAL_PDF.to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, a) = send(citizen.get(&url)).await;
    let (status, done) = send(
        citizen
            .post(format!("{url}/submit"))
            .json(&json!({"revision": a["revision"], "declaration": tongban_core::applications::declaration::VERSION})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let number = done["case_number"].as_str().unwrap();

    // The case holds the form as submitted, in that material's place:
    // made under the declaration (D), from the form, and it opens.
    let (_, case) = send(citizen.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    let file = case["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["material"] == code.as_str())
        .unwrap_or_else(|| panic!("{case}"));
    assert_eq!(
        (file["origin"].as_str(), file["trust"].as_str()),
        (Some("form"), Some("D"))
    );
    if let Some(text) = app
        .pdf_words(&citizen, file["href"].as_str().unwrap())
        .await
    {
        assert!(
            text.contains("临时救助申请表") && text.contains("家人突发重病住院"),
            "{text}"
        );
    }
    // Nothing asks a department to fetch it.
    let fetch: String = tongban_core::platform::db::query_scalar(
        "SELECT detail FROM application_events WHERE kind = 'submitted' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(!fetch.contains("申请表"), "{fetch}");
}
