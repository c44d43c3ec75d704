//! Requests at the edges of the applications API and the clerks' desk: an
//! Idempotency-Key past its day, a case number that is not one, a JSON body
//! missing a member. Each answers what it is, never a 500.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::acceptance::submitted;
use super::{city_item, codes, enterprise_code, send};
use crate::helpers::{TestApp, form_fields};

#[tokio::test]
async fn an_idempotency_key_past_its_day_starts_a_new_draft() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let cc = enterprise_code(&app).await;
    let start = || {
        citizen
            .post(app.url("/api/v1/applications"))
            .header("Idempotency-Key", "k-old")
            .json(&json!({"item": item, "on_behalf_of": cc}))
    };
    let (status, first) = send(start()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // A day and an hour later the key is forgotten: the same key is a new
    // request, and its row now names the new draft.
    app.db
        .write(|c| {
            Box::pin(async move {
                tongban_core::platform::db::query(
                    "UPDATE application_requests SET created_at = created_at - 25 * 3600 * 1000",
                )
                .execute(c)
                .await?;
                Ok::<_, tongban_core::platform::db::DbError>(())
            })
        })
        .await
        .unwrap();
    let (status, second) = send(start()).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(second["id"], first["id"]);
    let (status, again) = send(start()).await;
    assert_eq!((status, &again["id"]), (StatusCode::CREATED, &second["id"]));
    let n: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM application_requests")
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_case_number_that_is_not_one_is_refused_before_anything_is_decided() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let clerk = app.clerk().await;
    let (_, number) = submitted(&app, &citizen).await;
    let (_, page) = app
        .get_text(&clerk, &format!("/work/cases/{number}/decide/accept"))
        .await;
    let mut accept = form_fields(&page, "decide-form");
    accept.push(("step".into(), "issue".into()));
    for bad in [
        format!("{number}%0A"),
        format!("{number}%20"),
        format!("%0A{number}"),
    ] {
        let r = clerk
            .post(app.url(&format!("/work/cases/{bad}/decide/accept")))
            .form(&accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        let (status, _) = app.get_text(&clerk, &format!("/work/cases/{bad}")).await;
        assert_eq!(status, 404, "{bad}");
        let (status, p) = send(
            clerk
                .post(app.url(&format!("/api/v1/cases/{bad}/actions")))
                .json(&json!({"action": "accept", "revision": 3})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (status, _) = send(clerk.get(app.url(&format!("/api/v1/cases/{bad}")))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    // Nothing was decided on the way.
    let (_, case) = send(clerk.get(app.url(&format!("/api/v1/cases/{number}")))).await;
    assert_eq!(case["state"], "submitted");
    // The number itself is decided on and sent back to its page.
    let r = clerk
        .post(app.url(&format!("/work/cases/{number}/decide/accept")))
        .form(&accept)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/work/cases/{number}?done=accept")
    );
}

#[tokio::test]
async fn a_json_body_missing_a_member_names_it_in_both_languages() {
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
    let submit = |body: Value, lang: &str| {
        citizen
            .post(app.url(&format!("/api/v1/applications/{id}/submit")))
            .header("accept-language", lang)
            .json(&body)
    };
    let (status, p) = send(submit(json!({}), "en")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["code"], "validation");
    assert_eq!(
        codes(&p),
        [("/revision".to_owned(), "json.required".to_owned())]
    );
    let words = p["errors"][0]["message"].as_str().unwrap();
    assert!(words.contains("revision") && words.is_ascii(), "{words}");
    let (_, p) = send(submit(json!({}), "zh-CN")).await;
    let words = p["errors"][0]["message"].as_str().unwrap();
    assert!(words.contains("revision") && !words.is_ascii(), "{words}");
    // A member of the wrong type, and one the body does not take.
    let (status, p) = send(submit(json!({"revision": "two"}), "en")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        codes(&p),
        [("/revision".to_owned(), "json.type".to_owned())]
    );
    let (status, p) = send(submit(json!({"revision": 1, "colour": "red"}), "en")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        codes(&p),
        [("/colour".to_owned(), "json.unknown".to_owned())]
    );
    // Deeper in a body, the pointer leads to the member.
    let clerk = app.clerk().await;
    let (status, p) = send(
        clerk
            .post(app.url("/api/v1/cases/X/actions"))
            .header("accept-language", "en")
            .json(&json!({"action": "reject", "revision": 1, "params": {"findings": [{"target": "a"}]}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        codes(&p),
        [(
            "/params/findings/0/problem".to_owned(),
            "json.required".to_owned()
        )]
    );
}
