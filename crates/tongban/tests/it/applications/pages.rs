//! Applying on the portal without scripts: start, question pages, the
//! materials, check your answers with the declaration, confirmation and
//! receipt, 我的办件; a stale page keeps its input; nobody else's pages.

use reqwest::StatusCode;

use super::{city_item, codes, enterprise_code, send};
use crate::helpers::{TestApp, form_fields};

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn post_form(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    pairs: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = c.post(app.url(path)).form(pairs).send().await.unwrap();
    let status = r.status();
    let to = location(&r);
    (status, to, r.text().await.unwrap())
}

/// Follows redirects by hand (the test client does not), returning the
/// last location.
async fn follow(app: &TestApp, c: &reqwest::Client, mut to: String) -> String {
    for _ in 0..5 {
        let r = c.get(app.url(&to)).send().await.unwrap();
        if r.status() != StatusCode::SEE_OTHER {
            break;
        }
        to = location(&r);
    }
    to
}

/// A window clerk registers a person with real name and ID number at the
/// counter (窗口实名).
async fn register_at_counter(app: &TestApp, clerk: &reqwest::Client, name: &str, id: &str) {
    let (status, _, page) = post_form(
        app,
        clerk,
        "/counter",
        &[
            ("action", "register"),
            ("name", name),
            ("id_number", id),
            ("phone", "13700000009"),
        ],
    )
    .await;
    assert!(
        status.is_success() || status == StatusCode::SEE_OTHER,
        "{status}: {page}"
    );
}

fn revision(page: &str, form: &str) -> String {
    form_fields(page, form)
        .into_iter()
        .find(|(k, _)| k == "revision")
        .map(|(_, v)| v)
        .expect("revision")
}

#[tokio::test]
async fn an_agent_applies_for_the_food_licence_on_the_portal_from_guide_to_receipt() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let enterprise = enterprise_code(&app).await;

    // The guide offers to apply; the start page offers the enterprise.
    let (_, guide) = app.get_text(&citizen, &format!("/items/{item}")).await;
    assert!(
        guide.contains(&format!("href=\"/apply/{item}\"")),
        "{guide}"
    );
    let (status, start) = app.get_text(&citizen, &format!("/apply/{item}")).await;
    assert_eq!(status, 200);
    assert!(
        start.contains(&format!("value=\"{enterprise}\"")),
        "{start}"
    );
    let (status, to, _) = post_form(
        &app,
        &citizen,
        &format!("/apply/{item}"),
        &[("applicant", enterprise.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let first = follow(&app, &citizen, to).await;
    assert!(first.ends_with("/pages/0"), "{first}");
    let base = first.trim_end_matches("/pages/0").to_owned();

    // Prefilled from the enterprise's account.
    let (_, page) = app.get_text(&citizen, &first).await;
    assert!(
        page.contains("value=\"哈尔滨松花江食品有限公司\""),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"{enterprise}\"")));
    let rev = revision(&page, "page-form");

    // A wrong ID number and phone: both said at once, the input kept.
    let mut answers = vec![
        ("revision", rev.as_str()),
        ("f.operator", "哈尔滨松花江食品有限公司"),
        ("f.credit_code", enterprise.as_str()),
        ("f.legal_rep", "王建国"),
        ("f.legal_rep_id", "230102198001010011"),
        ("f.phone", "1380000"),
        ("f.address.division", "230102001"),
        ("f.address.detail", "中央大街1号"),
        ("action", "continue"),
    ];
    let (status, _, page) = post_form(&app, &citizen, &first, &answers).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("href=\"#f-legal_rep_id\""), "{page}");
    assert!(page.contains("href=\"#f-phone\""), "{page}");
    assert!(page.contains("value=\"230102198001010011\""), "input kept");
    assert!(
        page.contains("value=\"230102001\" selected"),
        "division kept"
    );
    answers[4].1 = "230102198001010014";
    answers[5].1 = "13800000001";
    let (status, to, _) = post_form(&app, &citizen, &first, &answers).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, format!("{base}/after/0").as_str())
    );
    let second = follow(&app, &citizen, to).await;
    assert_eq!(second, format!("{base}/pages/1"));

    // A second tab still at the old revision: told, its input kept, and
    // nothing overwritten.
    let (status, _, page) = post_form(&app, &citizen, &first, &answers).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("id=\"conflict\"") && page.contains("value=\"230102198001010014\""));

    let (_, page) = app.get_text(&citizen, &second).await;
    let rev = revision(&page, "page-form");
    let (status, to, _) = post_form(
        &app,
        &citizen,
        &second,
        &[
            ("revision", rev.as_str()),
            ("f.main_form", "restaurant"),
            ("f.categories", "hot"),
            ("f.categories", "prepackaged"),
            ("f.area", "120.5"),
            ("f.kitchen_area", "40"),
            ("action", "continue"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let third = follow(&app, &citizen, to).await;
    assert_eq!(third, format!("{base}/pages/2"));

    // A repeating group: one more blank entry on asking.
    let (_, page) = app.get_text(&citizen, &third).await;
    let rev = revision(&page, "page-form");
    let staff = [
        ("f.safety_officer", "李娜"),
        ("f.safety_officer_phone", "13900000002"),
        ("f.staff.0.name", "赵六"),
        ("f.staff.0.id_number", "230102198001010014"),
        ("f.staff.0.health_cert", "HRB-2026-001"),
    ];
    let mut pairs = vec![("revision", rev.as_str()), ("action", "add.staff")];
    pairs.extend(staff);
    let (status, _, page) = post_form(&app, &citizen, &third, &pairs).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"f.staff.1.name\""), "{page}");
    let rev = revision(&page, "page-form");
    let mut pairs = vec![
        ("revision", rev.as_str()),
        ("action", "continue"),
        ("f.staff.1.name", ""),
    ];
    pairs.extend(staff);
    let (status, to, _) = post_form(&app, &citizen, &third, &pairs).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let materials = follow(&app, &citizen, to).await;
    assert_eq!(materials, format!("{base}/materials"));

    // Check your answers lists every material still missing before trying.
    let (_, check) = app.get_text(&citizen, &format!("{base}/check")).await;
    assert!(
        check.contains("赵六，230102198001010014，HRB-2026-001"),
        "{check}"
    );
    assert!(check.contains("哈尔滨市 道里区 兆麟街道 中央大街1号"));
    let (_, mats) = app.get_text(&citizen, &materials).await;
    let codes = super::material_codes(&mats);
    assert!(codes.len() >= 2, "{mats}");
    for code in &codes {
        assert!(
            check.contains(&format!("{base}/materials?back=check#m-{code}")),
            "{check}"
        );
    }

    // Files as a browser sends them; one that is not a document is refused
    // with the reason.
    let upload = |code: &str, name: &str, body: &'static [u8]| {
        let part = reqwest::multipart::Part::bytes(body).file_name(name.to_owned());
        citizen
            .post(app.url(&format!("{base}/materials/{code}")))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let r = upload(&codes[0], "申请书.pdf", b"hello").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("href=\"#m-{}\"", codes[0]))
    );
    for code in &codes {
        let r = upload(code, "申请书.pdf", crate::helpers::MINIMAL_PDF)
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, mats) = app.get_text(&citizen, &materials).await;
    assert_eq!(
        mats.matches("class=\"file-name\">申请书.pdf</a>").count(),
        codes.len()
    );

    // Submitting without the declaration is refused, saying so.
    let (_, check) = app.get_text(&citizen, &format!("{base}/check")).await;
    assert!(
        !check.contains("id=\"error-summary\""),
        "nothing left: {check}"
    );
    let rev = revision(&check, "submit-form");
    let (status, _, page) = post_form(
        &app,
        &citizen,
        &format!("{base}/submit"),
        &[("revision", rev.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("href=\"#f-declaration\""), "{page}");
    let (status, to, _) = post_form(
        &app,
        &citizen,
        &format!("{base}/submit"),
        &[
            ("revision", rev.as_str()),
            (
                "declaration",
                tongban_core::applications::declaration::VERSION,
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, done) = app.get_text(&citizen, &to).await;
    assert!(done.contains("id=\"confirmation\""), "{done}");
    // Shown in its parts, which put together are the number.
    let number = done
        .split("id=\"case-number\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .replace(' ', "");
    assert!(number.starts_with(&item), "{number}");
    assert!(done.contains("id=\"query-code\""));

    // The receipt is a PDF; 我的办件 lists the case; the pages are closed.
    let r = citizen
        .get(app.url(&format!("{base}/receipt.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    let (_, mine) = app.get_text(&citizen, "/applications").await;
    assert!(mine.contains(&format!("href=\"{base}\"")), "{mine}");
    assert!(
        mine.contains(&number[number.len() - 12..number.len() - 4]),
        "{mine}"
    );
    let r = citizen.get(app.url(&first)).send().await.unwrap();
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, base.clone())
    );

    // Nobody else sees any of it.
    let other = app.signed_in("agent").await;
    for path in [
        base.clone(),
        first.clone(),
        format!("{base}/check"),
        format!("{base}/receipt.pdf"),
    ] {
        let r = other.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = app.client().get(app.url(&base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out: to sign in");
}

#[tokio::test]
async fn a_draft_has_no_receipt_and_a_pre_review_item_says_what_it_is() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let (status, to, _) = post_form(&app, &citizen, &format!("/apply/{item}"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let base = to.trim_end_matches("/after/start").to_owned();
    let (status, _) = app.get_text(&citizen, &format!("{base}/receipt.pdf")).await;
    assert_eq!(status, 404);
    let (_, overview) = app.get_text(&citizen, &base).await;
    assert!(overview.contains("id=\"tasks\""), "{overview}");
    // Depth Ⅱ is an online pre-review before one visit, and says so.
    let pre: String = tongban_core::platform::db::query_scalar(
        "SELECT task_code FROM published_items p JOIN item_versions v ON v.id = p.version_id \
         WHERE v.document LIKE '%\"online_depth\":2,%' LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (_, guide) = app.get_text(&citizen, &format!("/items/{pre}")).await;
    assert!(guide.contains("网上预审"), "{guide}");
    let (status, start) = app.get_text(&citizen, &format!("/apply/{pre}")).await;
    assert_eq!(status, 200);
    assert!(start.contains("id=\"pre-review-note\""), "{start}");
}

#[tokio::test]
async fn a_clerk_applies_at_the_window_for_a_walk_in_accepts_on_the_spot_and_the_receipt_tracks_it()
{
    let app = TestApp::spawn().await;
    let clerk = app.clerk().await;
    let item = city_item(&app, "居民身份证补领").await;
    let walk_in = "11010519491231002X";

    // Without consent, or for a person not yet registered: refused, saying so.
    let (status, _, page) = post_form(
        &app,
        &clerk,
        &format!("/apply/{item}"),
        &[("person", walk_in)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("href=\"#f-consent\"") && page.contains("href=\"#f-for_person\""),
        "{page}"
    );
    register_at_counter(&app, &clerk, "王德福", walk_in).await;

    // At the window: identity checked, signed; the form answers as the
    // walk-in, not the clerk.
    let (_, start) = app.get_text(&clerk, &format!("/apply/{item}")).await;
    assert!(start.contains("id=\"f-for_person\""), "{start}");
    // The clerk is spoken to about the applicant, not as the applicant.
    assert!(
        start.contains("申请人需要准备") && !start.contains("您需要准备"),
        "{start}"
    );
    let (status, to, _) = post_form(
        &app,
        &clerk,
        &format!("/apply/{item}"),
        &[("person", walk_in), ("consent", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let first = follow(&app, &clerk, to).await;
    let base = first.trim_end_matches("/pages/0").to_owned();
    let (_, page) = app.get_text(&clerk, &first).await;
    assert!(
        page.contains("value=\"王德福\"") && page.contains(&format!("value=\"{walk_in}\"")),
        "{page}"
    );
    assert!(
        page.contains("已根据申请人的账号自动填写") && !page.contains("已根据您的账号"),
        "{page}"
    );
    let rev = revision(&page, "page-form");
    let (status, _, _) = post_form(
        &app,
        &clerk,
        &first,
        &[
            ("revision", rev.as_str()),
            ("f.name", "王德福"),
            ("f.id_number", walk_in),
            ("f.phone", "13700000009"),
            ("f.reason", "damaged"),
            ("action", "continue"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = app.get_text(&clerk, &format!("{base}/pages/1")).await;
    let rev = revision(&page, "page-form");
    let (status, _, _) = post_form(
        &app,
        &clerk,
        &format!("{base}/pages/1"),
        &[
            ("revision", rev.as_str()),
            ("f.collect", "window"),
            ("action", "continue"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, mats) = app.get_text(&clerk, &format!("{base}/materials")).await;
    for code in super::material_codes(&mats) {
        let part = reqwest::multipart::Part::bytes(crate::helpers::MINIMAL_PDF.to_vec())
            .file_name("photo.pdf");
        let r = clerk
            .post(app.url(&format!("{base}/materials/{code}")))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, check) = app.get_text(&clerk, &format!("{base}/check")).await;
    let rev = revision(&check, "submit-form");
    // The person present signs the printed form: the tick comes after the
    // link to print it, and without it nothing is submitted.
    let (print, tick) = (
        check.find("id=\"form-pdf\"").unwrap(),
        check.find("id=\"signed\"").unwrap(),
    );
    assert!(print < tick, "{check}");
    let declared = (
        "declaration",
        tongban_core::applications::declaration::VERSION,
    );
    let (status, _, page) = post_form(
        &app,
        &clerk,
        &format!("{base}/submit"),
        &[("revision", rev.as_str()), declared],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("href=\"#f-signed\"") && page.contains("由申请人核对并签字"),
        "{page}"
    );
    let (status, to, _) = post_form(
        &app,
        &clerk,
        &format!("{base}/submit"),
        &[("revision", rev.as_str()), declared, ("signed", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, done) = app.get_text(&clerk, &to).await;
    let grab = |id: &str| {
        done.split(&format!("id=\"{id}\">"))
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_owned()
    };
    let (number, code) = (grab("case-number").replace(' ', ""), grab("query-code"));
    assert!(done.contains("id=\"accept-here\""), "{done}");
    // The form the walk-in signs, and the receipt with the query code.
    for (doc, expected) in [
        (
            "form.pdf",
            vec![
                "居民身份证补领申请表",
                "王德福",
                "损坏无法辨认",
                "申请人（签字）",
            ],
        ),
        (
            "receipt.pdf",
            vec!["申请材料接收回执", number.as_str(), code.as_str()],
        ),
    ] {
        let r = clerk
            .get(app.url(&format!("{base}/{doc}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{doc}");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = crate::helpers::pdf_text(&pdf) {
            let flat: String = text.split_whitespace().collect();
            for e in expected {
                assert!(flat.contains(e), "{doc} lacks {e}: {text}");
            }
        }
    }
    let source: String = tongban_core::platform::db::query_scalar(
        "SELECT source_code FROM applications WHERE case_number = $1",
    )
    .bind(&number)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(source, "1", "申报来源: 窗口办理");
    let trust: Vec<String> = tongban_core::platform::db::query_scalar(
        "SELECT g.trust FROM application_files g JOIN applications a ON a.id = g.application_id WHERE a.case_number = $1",
    )
    .bind(&number)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        !trust.is_empty() && trust.iter().all(|t| t == "B"),
        "scanned at the window: {trust:?}"
    );

    // The walk-in follows it without an account; a wrong code says nothing.
    let anon = app.client();
    let (status, _, page) = post_form(
        &app,
        &anon,
        "/track",
        &[("case_number", &number), ("code", "WRONG234")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("id=\"tracked\""));
    let (status, _, page) = post_form(
        &app,
        &anon,
        "/track",
        &[("case_number", &number), ("code", &code.to_lowercase())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("王*福") && !page.contains("王德福"),
        "masked: {page}"
    );
    assert!(page.contains("已提交，待受理"));

    // Accepted on the spot through the decision's page, after its preview.
    let r = super::decide_on_page(&app, &clerk, &number, "accept", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, case) = app.get_text(&clerk, &location(&r)).await;
    assert!(
        case.contains("id=\"notice\"") && case.contains("id=\"promised-date\""),
        "{case}"
    );
    let (_, _, page) = post_form(
        &app,
        &anon,
        "/track",
        &[("case_number", &number), ("code", &code)],
    )
    .await;
    assert!(page.contains("受理通知书"), "{page}");
    // Both dates: the one promised and the statutory one.
    assert!(
        page.contains("id=\"tracked-promised\"") && page.contains("id=\"tracked-legal\""),
        "{page}"
    );

    // Guessing is limited per address.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = post_form(
            &app,
            &anon,
            "/track",
            &[("case_number", &number), ("code", "ZZZZZZZZ")],
        )
        .await
        .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_person_applies_for_another_under_a_power_of_attorney_which_the_case_then_asks_for() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let clerk = app.clerk().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let principal = "11010519491231002X";
    register_at_counter(&app, &clerk, "王德福", principal).await;
    let begin = async |body: serde_json::Value| {
        send(citizen.post(app.url("/api/v1/applications")).json(&body)).await
    };
    let named = |p: &serde_json::Value| -> Vec<String> {
        codes(p).into_iter().map(|(_, code)| code).collect()
    };
    // On the portal: the part for acting under a power of attorney; a
    // refusal opens it again with what was typed.
    let (_, start) = app.get_text(&citizen, &format!("/apply/{item}")).await;
    assert!(
        start.contains("<details class=\"field\" id=\"f-for_person\">"),
        "{start}"
    );
    let (status, _, page) = post_form(
        &app,
        &citizen,
        &format!("/apply/{item}"),
        &[("person", principal), ("person_name", "王德福")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"f-for_person\" open")
            && page.contains("href=\"#f-consent\"")
            && page.contains("value=\"王德福\""),
        "{page}"
    );
    // Everything missing at once; then a name that is not the account's is
    // told like a number without one (nothing learnt about the account).
    let (status, p) = begin(json!({"item": item, "for_person": principal})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(named(&p), ["required", "application.attorney_consent"]);
    let (status, p) = begin(
        json!({"item": item, "for_person": principal, "person_name": "王德",
        "consent": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(named(&p), ["application.principal_unknown"]);
    let (status, created) = begin(
        json!({"item": item, "for_person": principal, "person_name": "王德福",
        "consent": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/applications/{id}"));
    let (_, a) = send(citizen.get(&url)).await;
    assert_eq!(a["authority"], "attorney");
    // Filled in: only what the representative typed, nothing of either
    // account (the citizen's phone is not the applicant's).
    let filled = a["fields"].to_string();
    assert!(
        filled.contains("王德福") && filled.contains(principal),
        "{filled}"
    );
    assert!(!filled.contains("13800000001"), "{filled}");
    let applicant: (i64, String) = tongban_core::platform::db::query_as(
        "SELECT a.applicant_id, p.display_name FROM applications a JOIN accounts p ON p.id = a.applicant_id WHERE a.public_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(applicant.1, "王德福", "the case is the principal's");
    // The name and number matched are locked: not another person's.
    let (status, p) = send(
        citizen
            .patch(&url)
            .json(&json!({"revision": 1, "fields": {"name": "张晓明"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "application.identity_locked");

    // The 授权委托书 is asked for besides the item's materials.
    let (_, answered) = send(citizen.patch(&url).json(
        &json!({"revision": 1, "fields": {"reason": "lost", "lost_date": "2026-11-01",
        "collect": "window", "phone": "13700000009"}}),
    ))
    .await;
    let revision = answered["revision"].as_i64().unwrap();
    let submit = async || {
        send(
            citizen
                .post(format!("{url}/submit"))
                .json(&json!({"revision": revision,
            "declaration": tongban_core::applications::declaration::VERSION})),
        )
        .await
    };
    let (status, p) = submit().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&p).contains(&("/materials/POA".into(), "material.required".into())),
        "{p}"
    );
    let (_, page) = app
        .get_text(&citizen, &format!("/applications/{id}/materials"))
        .await;
    assert!(page.contains("授权委托书"), "{page}");
    let (_, form) = send(
        app.client()
            .get(app.url(&format!("/api/v1/items/{item}/form"))),
    )
    .await;
    for m in form["materials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["required"] == true && m["fetchable"] == "no")
    {
        let code = m["code"].as_str().unwrap();
        let r = citizen
            .post(format!("{url}/materials/{code}/files?name=scan.pdf"))
            .body(crate::helpers::MINIMAL_PDF.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = citizen
        .post(format!("{url}/materials/POA/files?name=poa.pdf"))
        .body(crate::helpers::pdf_of_size(64, 99))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, done) = submit().await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let number = done["case_number"].as_str().unwrap();

    // The principal is told; the clerk sees on what authority, and the file.
    let told: i64 = tongban_core::platform::db::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE account_id = $1 AND topic = 'applications.submitted'",
    )
    .bind(applicant.0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(told, 1);
    let case: serde_json::Value = clerk
        .get(app.url(&format!("/api/v1/cases/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["authority"], "attorney");
    assert!(
        case["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["material"] == "POA")
    );
    let (_, page) = app.get_text(&clerk, &format!("/work/cases/{number}")).await;
    assert!(page.contains("id=\"authority-attorney\""), "{page}");

    // A staff member's channel is not this one; and the lookups are
    // throttled (ten an hour per person acting; two were made).
    for _ in 0..8 {
        let (status, _) = begin(
            json!({"item": item, "for_person": principal, "person_name": "李四",
            "consent": true}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, p) = begin(
        json!({"item": item, "for_person": principal, "person_name": "王德福",
        "consent": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(named(&p), ["application.attorney_throttled"]);
}
