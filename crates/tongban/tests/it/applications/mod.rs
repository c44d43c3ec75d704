//! Applications: drafts through the API, prefilled, checked as they are
//! saved, revision-checked, for an enterprise by its agent, and nobody
//! else's business.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tongban_core::catalog::{self, NewItem};
use tongban_core::identity::Actor;

use crate::helpers::TestApp;

mod acceptance;
mod drafts;
mod edges;
mod forms;
mod hardening;
mod journey;
mod pages;
mod submission;
mod uploads;
mod usage;
mod visible;

async fn city_item(app: &TestApp, name: &str) -> String {
    tongban_core::platform::db::query(
        "SELECT task_code FROM published_items WHERE name = $1 AND division_code = '230100'",
    )
    .bind(name)
    .fetch_one(&app.db)
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

async fn enterprise_code(app: &TestApp) -> String {
    tongban_core::platform::db::query(
        "SELECT credit_code FROM accounts WHERE username = 'enterprise'",
    )
    .fetch_one(&app.db)
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
                tongban_core::platform::db::query(
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
