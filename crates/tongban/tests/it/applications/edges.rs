//! Requests at the edges of the applications API and the clerks' desk: an
//! Idempotency-Key past its day, a case number that is not one, a JSON body
//! missing a member. Each answers what it is, never a 500.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

use super::{city_item, send};
use crate::helpers::TestApp;

#[tokio::test]
async fn an_idempotency_key_past_its_day_starts_a_new_draft() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let item = city_item(&app, "食品经营许可").await;
    let start = || {
        citizen
            .post(app.url("/api/v1/applications"))
            .header("Idempotency-Key", "k-old")
            .json(&json!({"item": item}))
    };
    let (status, first) = send(start()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // A day and an hour later the key is forgotten: the same key is a new
    // request, and its row now names the new draft.
    app.db
        .write(|c| {
            Box::pin(async move {
                sqlx::query(
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
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM application_requests")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(n, 1);
}
