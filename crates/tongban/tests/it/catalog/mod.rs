//! Service catalog: public pages and API, and the editing workflow (draft,
//! review, publish with four eyes, new versions, diff, withdraw, conflicts).

mod console;
mod exchange;
mod forms;
mod lifecycle;
mod lists;
mod portal;
mod search;

use serde_json::Value;
use tongban_core::catalog::{self, CatalogError, NewItem};
use tongban_core::identity::{Actor, accounts};
use tongban_domain::catalog::{Guide, Material, TimeLimit, diff};

use crate::helpers::{TestApp, form_fields};
use tongban_bench::form::set;
use tongban_core::catalog::search::{SearchIndex, Synonyms};

/// The guide of a new district item that passes every rule.
pub(super) fn guide(name: &str) -> Guide {
    Guide {
        name: name.into(),
        item_type: "20".into(),
        legal_basis: "《哈尔滨市养老服务条例》".into(),
        conditions: vec!["本区户籍80周岁以上老年人".into()],
        materials: vec![Material {
            name: "居民身份证".into(),
            required: true,
            originals: 1,
            ..Material::default()
        }],
        process: vec!["申请".into(), "审核".into(), "发放".into()],
        legal_limit: TimeLimit {
            value: 10,
            ..TimeLimit::default()
        },
        promised_limit: TimeLimit {
            value: 5,
            ..TimeLimit::default()
        },
        handling_forms: vec!["1".into(), "2".into()],
        service_objects: vec!["1".into()],
        themes: vec!["p_elderly".into()],
        online_depth: 3,
        visits: 1,
        place: "道里区政务服务中心".into(),
        hours: "工作日".into(),
        consult_phone: "0451-12345".into(),
        supervise_phone: "0451-12345".into(),
        ..Guide::default()
    }
}

pub(super) async fn principal(app: &TestApp, username: &str) -> tongban_core::identity::Principal {
    let a = accounts::by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap();
    accounts::principal(&app.db, a.id).await.unwrap().unwrap()
}

/// Opens a new draft of the city-level implementation of a published demo
/// item through the admin page; returns (task code, item id, draft URL).
pub(super) async fn open_city_draft(
    app: &TestApp,
    editor: &reqwest::Client,
    name: &str,
    theme: &str,
) -> (String, i64, String) {
    let list: Value = editor
        .get(app.url(&format!("/api/v1/items?theme={theme}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name && i["division_code"] == "230100")
        .unwrap()["task_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let item_id: i64 =
        tongban_core::platform::db::query("SELECT id FROM service_items WHERE task_code = $1")
            .bind(&code)
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let r = editor
        .post(app.url(&format!("/admin/catalog/items/{item_id}")))
        .form(&[("action", "open_draft")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let url = r.headers()["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    (code, item_id, url)
}

/// Publishes the version at `url` (in review) through the reviewer's form.
pub(super) async fn publish_as(app: &TestApp, reviewer: &reqwest::Client, url: &str) {
    let (_, page) = app.get_text(reviewer, url).await;
    let revision = form_fields(&page, "guide-form")
        .into_iter()
        .find(|(n, _)| n == "revision")
        .unwrap()
        .1;
    let r = reviewer
        .post(app.url(url))
        .form(&[("action", "publish"), ("revision", revision.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}
