//! Chinese search: relevance on real queries, the search page, following the catalog.

use super::*;

#[tokio::test]
async fn search_finds_the_official_item_for_the_words_people_type() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let cases: Vec<(&str, Vec<&str>)> = include_str!("../relevance.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (q, expected) = l.split_once('\t').expect("query<TAB>expected");
            (q, expected.split('|').collect())
        })
        .collect();
    assert!(
        cases.len() >= 40,
        "the relevance file needs at least 40 queries"
    );
    let mut hits = 0;
    let mut misses = Vec::new();
    for (q, expected) in &cases {
        let page: Value = c
            .get(app.url("/api/v1/items"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let top: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .filter_map(|i| i["name"].as_str())
            .collect();
        if top.iter().any(|n| expected.contains(n)) {
            hits += 1;
        } else {
            misses.push(format!("{q} → {top:?} (expected {expected:?})"));
        }
    }
    let precision = f64::from(hits) / cases.len() as f64;
    println!(
        "search precision@3 = {precision:.3} ({hits}/{}) ; misses: {misses:#?}",
        cases.len()
    );
    assert!(
        precision >= 0.9,
        "precision@3 {precision:.3} < 0.9; misses: {misses:#?}"
    );
}

#[tokio::test]
async fn search_pages_highlight_matches_filter_and_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (status, body) = app
        .get_text(&c, "/items?q=%E5%BC%80%E9%A5%AD%E5%BA%97")
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("“开饭店”的搜索结果"));
    assert!(body.contains("<b>"), "matches are highlighted");
    let plain = body.replace("<b>", "").replace("</b>", "");
    assert!(plain.contains("食品经营许可"));
    // Theme filter narrows a search; an HTML-looking query is text, not markup.
    let page: Value = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "许可"), ("theme", "e_construction")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["name"] != "食品经营许可")
    );
    assert!(page["total"].as_i64().unwrap() >= 2);
    let (status, body) = app
        .get_text(&c, "/items?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(status, 200);
    assert!(!body.contains("<script>alert"));
    let r = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "x".repeat(101).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // A search narrowed to a department (and those below it) or to a
    // division finds only what they implement.
    let search = |extra: (&'static str, String)| {
        let c = c.clone();
        let url = app.url("/api/v1/items");
        async move {
            let r = c
                .get(url)
                .query(&[("q", "许可".to_owned())])
                .query(&[extra])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let all = search(("page", "1".into())).await;
    let city = app.org_id("哈尔滨市市场监督管理局").await;
    let district = app.org_id("哈尔滨市道里区市场监督管理局").await;
    let in_district = search(("dept", district.to_string())).await;
    assert!(!in_district.is_empty() && in_district.len() < all.len());
    assert!(in_district.iter().all(|i| i["org_id"] == district));
    let by_division = search(("division", "230102".into())).await;
    assert!(!by_division.is_empty());
    assert!(by_division.iter().all(|i| i["division_code"] == "230102"));
    // The city bureau's scope takes in its own items; a district bureau is
    // not below it (it belongs to the district government).
    let in_city = search(("dept", city.to_string())).await;
    assert!(in_city.iter().all(|i| i["org_id"] == city), "{in_city:?}");
    assert!(!in_city.is_empty());
    // The district government's scope takes in its bureaus.
    let government = app.org_id("哈尔滨市道里区人民政府").await;
    let in_government = search(("dept", government.to_string())).await;
    assert!(in_government.iter().any(|i| i["org_id"] == district));
    let r = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "许可"), ("dept", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Syntax characters never break a search.
    for q in ["\"", "(", "AND OR", "*:*", "+-!"] {
        let r = c
            .get(app.url("/api/v1/items"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{q}");
    }
}

#[tokio::test]
async fn a_newly_published_item_becomes_searchable_and_a_withdrawn_one_disappears() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let search = |q: &'static str| {
        let (c, url) = (c.clone(), app.url("/api/v1/items"));
        async move {
            c.get(url)
                .query(&[("q", q)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let named = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "高龄津贴")
    };
    assert!(!named(&search("高龄津贴").await));
    let editor = principal(&app, "editor").await;
    let admin = principal(&app, "admin").await;
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let (item, v) = catalog::create_item(
        &app.db,
        Actor::Person(&editor),
        NewItem {
            catalog_code: "200990009000".into(),
            task_code: String::new(),
            org_id: org,
            division_code: String::new(),
            guide: guide("高龄津贴"),
        },
    )
    .await
    .unwrap();
    catalog::submit(&app.db, Actor::Person(&editor), v, 1)
        .await
        .unwrap();
    catalog::publish(&app.db, Actor::Person(&admin), v, 2)
        .await
        .unwrap();
    // The index follows the catalog's generation (checked at most once a
    // second; this node is told at once).
    app.catalog_changed().await;
    assert_eq!(search("高龄津贴").await["items"][0]["name"], "高龄津贴");
    catalog::withdraw(&app.db, Actor::Person(&admin), item, "")
        .await
        .unwrap();
    app.catalog_changed().await;
    assert!(!named(&search("高龄津贴").await));

    // After the first build the index follows the catalog item by item: a
    // publish replaces one document instead of rebuilding the catalog.
    let index = SearchIndex::new(Synonyms::builtin()).unwrap();
    let published: i64 = tongban_core::platform::db::query("SELECT COUNT(*) FROM published_items")
        .fetch_one(&app.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(published > 50);
    assert_eq!(index.rebuild(&app.db).await.unwrap() as i64, published);
    assert_eq!(index.update(&app.db).await.unwrap(), 0);
    let (_, v) = catalog::create_item(
        &app.db,
        Actor::Person(&editor),
        NewItem {
            catalog_code: "200990009001".into(),
            task_code: String::new(),
            org_id: org,
            division_code: String::new(),
            guide: guide("尊老金发放"),
        },
    )
    .await
    .unwrap();
    catalog::submit(&app.db, Actor::Person(&editor), v, 1)
        .await
        .unwrap();
    catalog::publish(&app.db, Actor::Person(&admin), v, 2)
        .await
        .unwrap();
    let found = |index: &SearchIndex| {
        let (hits, _) = index.search("尊老金", Default::default(), 10, 0).unwrap();
        hits.iter().any(|h| h.name == "尊老金发放")
    };
    assert!(!found(&index));
    assert_eq!(index.update(&app.db).await.unwrap(), 1);
    assert!(found(&index));
}
