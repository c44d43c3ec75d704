//! Text people typed is shown safely: a right-to-left override (U+202E)
//! or a zero-width space (U+200B) in a file name or an answer never
//! reaches a page or a PDF, whether it came in through a page, the API,
//! or was stored before inputs were cleaned.

use reqwest::StatusCode;
use serde_json::json;

use super::{city_item, send};
use crate::helpers::{TestApp, form_fields, pdf_text};

const HIDDEN: [char; 2] = ['\u{202E}', '\u{200B}'];

fn shows_none(what: &str, text: &str) {
    assert!(
        !text.contains(HIDDEN),
        "{what} shows an invisible control: {text}"
    );
}

#[tokio::test]
async fn invisible_controls_in_names_and_answers_never_reach_pages_or_pdfs() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "居民身份证补领").await;
    let r = citizen
        .post(app.url(&format!("/apply/{item}")))
        .form(&[("consent", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let base = to.trim_end_matches("/after/start").to_owned();
    let id = base.rsplit('/').next().unwrap().to_owned();

    // An answer typed on the page, with the controls in it.
    let (_, page) = app.get_text(&citizen, &format!("{base}/pages/0")).await;
    let mut pairs: Vec<(String, String)> = form_fields(&page, "page-form")
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "f.police_report" | "f.reason" | "action"))
        .collect();
    for (k, v) in [
        ("f.police_report", "张\u{202E}三\u{200B}丰"),
        ("f.reason", "stolen"),
        ("action", "continue"),
    ] {
        pairs.push((k.to_owned(), v.to_owned()));
    }
    let r = citizen
        .post(app.url(&format!("{base}/pages/0")))
        .form(&pairs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // A file whose name would read 扫描件exe.pdf backwards.
    let (_, mats) = app.get_text(&citizen, &format!("{base}/materials")).await;
    let code = super::material_codes(&mats).remove(0);
    let part = reqwest::multipart::Part::bytes(crate::helpers::MINIMAL_PDF.to_vec())
        .file_name("扫描件\u{202E}fdp.exe\u{200B}.pdf");
    let r = citizen
        .post(app.url(&format!("{base}/materials/{code}")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Stored clean: the pages, the API and the application form show the
    // name and the answer as they look.
    let shown = |name: &'static str, file: &'static str| {
        let (app, citizen, base, id) = (&app, &citizen, &base, &id);
        async move {
            for path in [
                format!("{base}/check"),
                format!("{base}/materials"),
                format!("{base}/pages/0"),
            ] {
                let (status, page) = app.get_text(citizen, &path).await;
                assert_eq!(status, 200, "{path}");
                shows_none(&path, &page);
                assert!(
                    page.contains(name) || path.ends_with("materials"),
                    "{path}: {page}"
                );
                assert!(
                    page.contains(file) || path.ends_with("pages/0"),
                    "{path}: {page}"
                );
            }
            let pdf = citizen
                .get(app.url(&format!("{base}/form.pdf")))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            if let Some(text) = pdf_text(&pdf) {
                shows_none("form.pdf", &text);
                let flat: String = text.split_whitespace().collect();
                assert!(flat.contains(name) && flat.contains(file), "{text}");
            }
            let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
            shows_none("the API", &a.to_string());
        }
    };
    shown("张三丰", "扫描件fdp.exe.pdf").await;

    // Through the API, the same.
    let (_, a) = send(citizen.get(app.url(&format!("/api/v1/applications/{id}")))).await;
    let (status, _) = send(
        citizen
            .patch(app.url(&format!("/api/v1/applications/{id}")))
            .json(&json!({"revision": a["revision"], "fields": {"police_report": "李\u{200B}四\u{202E}"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    shown("李四", "扫描件fdp.exe.pdf").await;

    // Stored before inputs were cleaned: the pages and the PDF drop them
    // as they show them.
    let mut fields: serde_json::Value = serde_json::from_str(
        &tongban_core::platform::db::query_scalar::<String>(
            "SELECT fields FROM applications WHERE public_id = $1",
        )
        .bind(&id)
        .fetch_one(&app.db)
        .await
        .unwrap(),
    )
    .unwrap();
    fields["police_report"] = json!("王\u{202E}五\u{200B}");
    let (doc, public) = (fields.to_string(), id.clone());
    app.db
        .write(move |c| {
            Box::pin(async move {
                tongban_core::platform::db::query("UPDATE applications SET fields = $1 WHERE public_id = $2")
                    .bind(&doc)
                    .bind(&public)
                    .execute(&mut *c)
                    .await?;
                tongban_core::platform::db::query(
                    "UPDATE files SET name = $1 WHERE id IN (SELECT g.file_id FROM application_files g \
                     JOIN applications a ON a.id = g.application_id WHERE a.public_id = $2)",
                )
                .bind("旧\u{202E}fdp.exe\u{200B}.pdf")
                .bind(&public)
                .execute(&mut *c)
                .await?;
                Ok::<_, tongban_core::platform::db::DbError>(())
            })
        })
        .await
        .unwrap();
    let (_, page) = app.get_text(&citizen, &format!("{base}/check")).await;
    shows_none("the check page", &page);
    assert!(
        page.contains("王五") && page.contains("旧fdp.exe.pdf"),
        "{page}"
    );
    let pdf = citizen
        .get(app.url(&format!("{base}/form.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    if let Some(text) = pdf_text(&pdf) {
        shows_none("form.pdf", &text);
        let flat: String = text.split_whitespace().collect();
        assert!(
            flat.contains("王五") && flat.contains("旧fdp.exe.pdf"),
            "{text}"
        );
    }
}
