//! Service catalog: public pages and API, and the editing workflow (draft,
//! review, publish with four eyes, new versions, diff, withdraw, conflicts).

use serde_json::Value;
use tongban_core::catalog::{self, CatalogError, NewItem};
use tongban_core::identity::{Actor, accounts};
use tongban_domain::catalog::{Guide, Material, TimeLimit, diff};

use crate::helpers::{TestApp, form_fields};
use tongban_bench::form::set;
use tongban_core::catalog::search::{SearchIndex, Synonyms};

/// The guide of a new district item that passes every rule.
fn guide(name: &str) -> Guide {
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

async fn principal(app: &TestApp, username: &str) -> tongban_core::identity::Principal {
    let a = accounts::by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap();
    accounts::principal(&app.db, a.id).await.unwrap().unwrap()
}

#[tokio::test]
async fn published_demo_items_are_browsable_by_theme_department_and_audience() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (status, body) = app.get_text(&c, "/items?theme=e_permits").await;
    assert_eq!(status, 200);
    assert!(body.contains("食品经营许可") && body.contains("公共场所卫生许可"));
    assert!(!body.contains("居民身份证补领"));
    let (_, body) = app.get_text(&c, "/items?object=1&theme=p_id").await;
    assert!(body.contains("居民身份证补领") && body.contains("居民身份证换领"));
    let dept = app.org_id("哈尔滨市公安局").await;
    let page: Value = c
        .get(app.url(&format!("/api/v1/items?dept={dept}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page["total"].as_i64().unwrap() >= 5);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["org_id"] == dept)
    );
    // 20 per page; the second page differs from the first.
    let p1: Value = c
        .get(app.url("/api/v1/items"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p2: Value = c
        .get(app.url("/api/v1/items?page=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(p1["total"].as_i64().unwrap() >= 60);
    assert_eq!(p1["items"].as_array().unwrap().len(), 20);
    assert_ne!(p1["items"][0]["task_code"], p2["items"][0]["task_code"]);
    // The home page offers the themes.
    let (_, home) = app.get_text(&c, "/").await;
    assert!(home.contains(r#"href="/items?theme=p_birth""#));
    // Bad filters are field errors.
    for bad in ["page=0", "object=9", "division=12", "theme=a%20b"] {
        let r = c
            .get(app.url(&format!("/api/v1/items?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
    }
}

#[tokio::test]
async fn a_guide_page_shows_every_element_and_what_need_not_be_brought() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let list: Value = c
        .get(app.url(&format!(
            "/api/v1/items?dept={}",
            app.org_id("哈尔滨市市场监督管理局").await
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let food = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "食品经营许可")
        .unwrap();
    let code = food["task_code"].as_str().unwrap();
    let (status, body) = app.get_text(&c, &format!("/items/{code}")).await;
    assert_eq!(status, 200);
    for expected in [
        "食品经营许可申请书",
        "免提交：由电子证照库获取（营业执照）",
        "10 个工作日",
        "20 个工作日",
        "《中华人民共和国食品安全法》第三十五条",
        "不收费",
        "0451-12345",
        "哈尔滨市政务服务中心",
    ] {
        assert!(body.contains(expected), "guide lacks {expected}");
    }
    // Other items of the same life-event theme are offered.
    assert!(body.contains(r#"id="related""#) && body.contains("食品生产许可"));
    // The same item at district level is linked.
    assert!(body.contains(r#"id="other-places""#) && body.contains("哈尔滨市道里区市场监督管理局"));
    let item: Value = c
        .get(app.url(&format!("/api/v1/items/{}", code.to_lowercase())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item["guide"]["promised_limit"]["value"], 10);
    assert_eq!(
        item["guide"]["materials"][1]["fetchable"]["certificate"],
        "营业执照"
    );
    // A fee with its basis.
    let id_list: Value = c
        .get(app.url("/api/v1/items?theme=p_id"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replace = id_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "居民身份证补领")
        .unwrap();
    let (_, body) = app
        .get_text(
            &c,
            &format!("/items/{}", replace["task_code"].as_str().unwrap()),
        )
        .await;
    assert!(body.contains("20元/证") && body.contains("收费依据"));
    assert_eq!(app.get_text(&c, "/items/NOSUCHCODE").await.0, 404);
    assert_eq!(
        c.get(app.url("/api/v1/items/NOSUCHCODE"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // English.
    c.get(app.url("/lang/en")).send().await.unwrap();
    let (_, body) = app.get_text(&c, &format!("/items/{code}")).await;
    assert!(body.contains("Food business licence") && body.contains("10 working days"));
}

#[tokio::test]
async fn draft_review_publish_new_version_diff_and_withdraw() {
    let app = TestApp::spawn().await;
    let editor = principal(&app, "editor").await;
    let admin = principal(&app, "admin").await;
    let citizen = principal(&app, "citizen").await;
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let new = |g: Guide| NewItem {
        catalog_code: "200990001000".into(),
        task_code: String::new(),
        org_id: org,
        division_code: String::new(),
        guide: g,
    };

    // Citizens cannot create items.
    assert!(matches!(
        catalog::create_item(&app.db, Actor::Person(&citizen), new(guide("高龄津贴"))).await,
        Err(CatalogError::Forbidden)
    ));
    let before = catalog::generation(&app.db).await.unwrap();
    let (item_id, v1) =
        catalog::create_item(&app.db, Actor::Person(&editor), new(guide("高龄津贴")))
            .await
            .unwrap();
    let it = catalog::item(&app.db, item_id).await.unwrap().unwrap();
    assert_eq!(it.task_code.len(), 31);
    assert!(it.task_code.ends_with("200990001000"));
    // A draft is not public.
    assert_eq!(
        app.get_text(&app.client(), &format!("/items/{}", it.task_code))
            .await
            .0,
        404
    );

    // Saving with a stale revision is refused; nothing is lost.
    let mut g = guide("高龄津贴");
    g.promised_limit.value = 30; // longer than the legal limit
    g.materials.push(Material::default());
    let rev = catalog::save_draft(&app.db, Actor::Person(&editor), v1, 1, g.clone())
        .await
        .unwrap();
    assert_eq!(rev, 2);
    assert!(matches!(
        catalog::save_draft(&app.db, Actor::Person(&editor), v1, 1, guide("x")).await,
        Err(CatalogError::Conflict)
    ));
    assert_eq!(
        catalog::version(&app.db, v1).await.unwrap().unwrap().guide,
        g
    );

    // Submitting lists every problem at once.
    match catalog::submit(&app.db, Actor::Person(&editor), v1, rev).await {
        Err(CatalogError::Invalid(p)) => {
            let fields: Vec<_> = p.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, vec!["materials[1].name", "promised_limit.value"]);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let rev = catalog::save_draft(&app.db, Actor::Person(&editor), v1, rev, guide("高龄津贴"))
        .await
        .unwrap();
    catalog::submit(&app.db, Actor::Person(&editor), v1, rev)
        .await
        .unwrap();
    // A submitted version cannot be edited, and its editor cannot publish it.
    assert!(matches!(
        catalog::save_draft(&app.db, Actor::Person(&editor), v1, rev + 1, guide("y")).await,
        Err(CatalogError::WrongState)
    ));
    let rev = rev + 1;
    assert!(matches!(
        catalog::publish(&app.db, Actor::Person(&editor), v1, rev).await,
        Err(CatalogError::Forbidden)
    ));
    // Drafts, saves and reviews leave the public catalog's generation (and
    // so every cached guide and the search index) alone; publishing moves it.
    let unpublished = catalog::generation(&app.db).await.unwrap();
    assert_eq!(unpublished, before);
    let admin_as_editor = admin.clone();
    catalog::publish(&app.db, Actor::Person(&admin_as_editor), v1, rev)
        .await
        .unwrap();
    assert!(catalog::generation(&app.db).await.unwrap() > unpublished);
    // Public pages follow the catalog (other nodes within a second).
    app.catalog_changed().await;
    let (status, body) = app
        .get_text(&app.client(), &format!("/items/{}", it.task_code))
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("高龄津贴") && body.contains("v1"));

    // Editing a published item opens version 2; the public still sees v1.
    let v2 = catalog::open_draft(&app.db, Actor::Person(&editor), item_id)
        .await
        .unwrap();
    assert!(matches!(
        catalog::open_draft(&app.db, Actor::Person(&editor), item_id).await,
        Err(CatalogError::DraftExists)
    ));
    let mut g2 = guide("高龄津贴");
    g2.promised_limit.value = 3;
    let r = catalog::save_draft(&app.db, Actor::Person(&editor), v2, 1, g2)
        .await
        .unwrap();
    catalog::submit(&app.db, Actor::Person(&editor), v2, r)
        .await
        .unwrap();
    let (_, body) = app
        .get_text(&app.client(), &format!("/items/{}", it.task_code))
        .await;
    assert!(body.contains("5 个工作日"));
    catalog::publish(&app.db, Actor::Person(&admin), v2, r + 1)
        .await
        .unwrap();
    // Public pages follow the catalog (other nodes within a second).
    app.catalog_changed().await;
    let (_, body) = app
        .get_text(&app.client(), &format!("/items/{}", it.task_code))
        .await;
    assert!(body.contains("3 个工作日") && body.contains("v2"));
    let versions = catalog::versions(&app.db, item_id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.status.code()).collect::<Vec<_>>(),
        vec!["published", "superseded"]
    );
    let changes = diff(&versions[1].guide, &versions[0].guide);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].path.as_str(),
            changes[0].before.as_str(),
            changes[0].after.as_str()
        ),
        ("promised_limit.value", "5", "3")
    );
    // A published version never changes.
    assert!(matches!(
        catalog::save_draft(&app.db, Actor::Person(&editor), v1, 99, guide("z")).await,
        Err(CatalogError::WrongState)
    ));

    // Withdrawal removes it from the public catalog, with a trail.
    catalog::withdraw(&app.db, Actor::Person(&admin), item_id, "政策调整")
        .await
        .unwrap();
    // Public pages follow the catalog (other nodes within a second).
    app.catalog_changed().await;
    assert_eq!(
        app.get_text(&app.client(), &format!("/items/{}", it.task_code))
            .await
            .0,
        404
    );
    let actions: Vec<String> = catalog::history(&app.db, item_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "created",
            "saved",
            "saved",
            "submitted",
            "published",
            "draft_opened",
            "saved",
            "submitted",
            "published",
            "withdrawn"
        ]
    );
}

#[tokio::test]
async fn the_submitter_cannot_publish_their_own_change() {
    let app = TestApp::spawn().await;
    let admin = principal(&app, "admin").await;
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let (_, v) = catalog::create_item(
        &app.db,
        Actor::Person(&admin),
        NewItem {
            catalog_code: "200990002000".into(),
            task_code: String::new(),
            org_id: org,
            division_code: String::new(),
            guide: guide("助餐服务"),
        },
    )
    .await
    .unwrap();
    catalog::submit(&app.db, Actor::Person(&admin), v, 1)
        .await
        .unwrap();
    assert!(matches!(
        catalog::publish(&app.db, Actor::Person(&admin), v, 2).await,
        Err(CatalogError::SameReviewer)
    ));
    let deptadmin_scope_elsewhere = principal(&app, "deptadmin").await;
    assert!(matches!(
        catalog::publish(&app.db, Actor::Person(&deptadmin_scope_elsewhere), v, 2).await,
        Err(CatalogError::Forbidden)
    ));
}

#[tokio::test]
async fn two_editors_saving_one_draft_at_once_one_wins_the_other_is_told() {
    let app = TestApp::spawn().await;
    let editor = principal(&app, "editor").await;
    let org = app.org_id("哈尔滨市南岗区民政局").await;
    let (_, v) = catalog::create_item(
        &app.db,
        Actor::Person(&editor),
        NewItem {
            catalog_code: "200990003000".into(),
            task_code: String::new(),
            org_id: org,
            division_code: String::new(),
            guide: guide("居家养老"),
        },
    )
    .await
    .unwrap();
    let saves = (0..8).map(|i| {
        let (db, editor) = (app.db.clone(), editor.clone());
        tokio::spawn(async move {
            let mut g = guide("居家养老");
            g.hours = format!("editor {i}");
            catalog::save_draft(&db, Actor::Person(&editor), v, 1, g).await
        })
    });
    let results: Vec<_> = futures::future::join_all(saves)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(CatalogError::Conflict)))
    );
    let winner = results.iter().position(|r| r.is_ok()).unwrap();
    let stored = catalog::version(&app.db, v).await.unwrap().unwrap();
    assert_eq!(stored.guide.hours, format!("editor {winner}"));
    assert_eq!(stored.revision, 2);
}

#[tokio::test]
async fn bad_codes_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let editor = principal(&app, "editor").await;
    let org = app.org_id("哈尔滨市民政局").await;
    for (catalog_code, task_code) in [
        ("", ""),
        ("ABC_1", ""),
        ("200990004000", "123"),
        ("200990004000", "11100000000013127D3000117001001"),
    ] {
        let r = catalog::create_item(
            &app.db,
            Actor::Person(&editor),
            NewItem {
                catalog_code: catalog_code.into(),
                task_code: task_code.into(),
                org_id: org,
                division_code: String::new(),
                guide: guide("x"),
            },
        )
        .await;
        assert!(
            matches!(r, Err(CatalogError::Code(_))),
            "{catalog_code}/{task_code}: {r:?}"
        );
    }
}

#[tokio::test]
async fn search_finds_the_official_item_for_the_words_people_type() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let cases: Vec<(&str, Vec<&str>)> = include_str!("relevance.tsv")
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
    let r = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "许可"), ("dept", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
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
    use sqlx::Row as _;
    let published: i64 = sqlx::query("SELECT COUNT(*) FROM published_items")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get(0);
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
        let (hits, _) = index.search("尊老金", None, None, 10, 0).unwrap();
        hits.iter().any(|h| h.name == "尊老金发放")
    };
    assert!(!found(&index));
    assert_eq!(index.update(&app.db).await.unwrap(), 1);
    assert!(found(&index));
}

/// Every input of a form on a page, as (name, value) pairs, the way a
/// browser would submit it (checked boxes only; the first option of a
/// select unless one is marked selected).
#[tokio::test]
async fn an_editor_and_a_reviewer_change_review_publish_and_diff_in_the_browser_forms() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;

    // The editor opens a published item's versions page and starts version 2.
    let (_, list) = app
        .get_text(&editor, "/admin/catalog?status=published")
        .await;
    assert!(list.contains("最低生活保障"));
    let (code, item_id, draft_url) =
        open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;

    // Change the promised limit and add a material; a bad number is reported, nothing saved.
    let (_, page) = app.get_text(&editor, &draft_url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "promised_limit", "十");
    set(&mut fields, "action", "save");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("应为数字"));
    set(&mut fields, "promised_limit", "12");
    let blank = fields
        .iter()
        .find(|(n, v)| {
            v.is_empty() && n.starts_with('m') && n.ends_with("_name") && !n.ends_with("fetch_name")
        })
        .unwrap()
        .0
        .clone();
    set(&mut fields, &blank, "户口簿");
    set(&mut fields, "action", "save");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app
        .get_text(&editor, &format!("{draft_url}?done=saved"))
        .await;
    assert!(page.contains("草稿已保存") && page.contains(r#"id="changes""#));
    assert!(page.contains("promised_limit.value") && page.contains("户口簿"));

    // A second tab with the old revision: its save is refused, its input kept.
    let stale = fields.clone();
    let mut stale2 = stale.clone();
    set(&mut stale2, "hours", "全天");
    let r = editor
        .post(app.url(&draft_url))
        .form(&stale2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("刚刚被他人修改") && body.contains("value=\"全天\""));

    // Submit from a fresh load; the editor cannot publish; the admin can.
    let (_, page) = app.get_text(&editor, &draft_url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "action", "submit");
    let r = editor
        .post(app.url(&draft_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, page) = app.get_text(&editor, &draft_url).await;
    assert!(page.contains("待审核") && !page.contains(r#"id="publish""#));
    let (_, page) = app.get_text(&admin, &draft_url).await;
    assert!(page.contains(r#"id="publish""#));
    publish_as(&app, &admin, &draft_url).await;
    let (_, public) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    assert!(public.contains("12 个工作日") && public.contains("户口簿") && public.contains("v2"));

    // The versions page compares v1 and v2 and shows the trail.
    let (_, page) = app
        .get_text(
            &editor,
            &format!("/admin/catalog/items/{item_id}?from=1&to=2"),
        )
        .await;
    assert!(
        page.contains(r#"id="diff""#)
            && page.contains("promised_limit.value")
            && page.contains("<td class=\"before\">15</td>")
    );
    assert!(page.contains("创建新版本") && page.contains("孙伟（系统管理员）"));
    // Citizens are kept out.
    assert_eq!(
        app.get_text(&app.citizen().await, "/admin/catalog").await.0,
        403
    );
}

#[tokio::test]
async fn a_new_item_is_created_in_the_browser_and_bad_codes_are_explained() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (status, page) = app.get_text(&editor, "/admin/catalog/new").await;
    assert_eq!(status, 200);
    let mut fields = form_fields(&page, "new-item-form");
    set(&mut fields, "name", "冰雪旅游线路备案");
    set(&mut fields, "catalog_code", "bad code!");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("基本编码应为1至12位数字或大写字母")
    );
    set(&mut fields, "catalog_code", "209990001000");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = app.get_text(&editor, &url).await;
    // A fresh draft lists what publication still needs.
    assert!(page.contains(r#"id="problems""#) && page.contains("设定依据不能为空"));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"id="error-summary""#) && body.contains("至少填写一项受理条件"));
}

#[tokio::test]
async fn the_standardisation_report_shows_where_districts_depart_from_the_city_standard() {
    let app = TestApp::spawn().await;
    let supervisor = app.signed_in("supervisor").await;
    let report: Value = supervisor
        .get(app.url("/api/v1/catalog/standardisation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let food = report
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "食品经营许可")
        .expect("food licence differs");
    assert_eq!(food["reference"]["org_name"], "哈尔滨市市场监督管理局");
    let nangang = food["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["org_name"] == "哈尔滨市南岗区市场监督管理局")
        .unwrap();
    let elements: Vec<&str> = nangang["divergences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["element"].as_str().unwrap())
        .collect();
    assert_eq!(elements, vec!["promised_limit", "materials"]);
    assert_eq!(nangang["divergences"][0]["reference"], "10");
    assert_eq!(nangang["divergences"][0]["local"], "15");
    assert_eq!(nangang["divergences"][1]["local"], "增加：房屋租赁合同");
    let daoli = food["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["org_name"] == "哈尔滨市道里区市场监督管理局")
        .unwrap();
    assert!(daoli["divergences"].as_array().unwrap().is_empty());
    // Items whose implementations agree are left out unless asked for.
    assert!(
        !report
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "企业设立登记")
    );
    let all: Value = supervisor
        .get(app.url("/api/v1/catalog/standardisation?all=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "企业设立登记")
    );
    let (status, page) = app.get_text(&supervisor, "/admin/catalog/standards").await;
    assert_eq!(status, 200);
    assert!(page.contains("承诺办结时限（工作日）") && page.contains("增加：房屋租赁合同"));
    assert_eq!(
        app.citizen()
            .await
            .get(app.url("/api/v1/catalog/standardisation"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/catalog/standardisation"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn the_guide_pdf_embeds_a_chinese_font_and_reads_as_chinese_text() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let page: Value = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "开饭店")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = page["items"][0]["task_code"].as_str().unwrap().to_owned();
    let r = c
        .get(app.url(&format!("/items/{code}/guide.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.windows(9).any(|w| w == b"FontFile2") || pdf.windows(9).any(|w| w == b"FontFile3"),
        "font embedded"
    );
    assert_eq!(
        c.get(app.url("/items/NOSUCH/guide.pdf"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Text extraction proves the glyphs map back to Chinese characters.
    let have_pdftotext = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    if !have_pdftotext {
        assert!(
            std::env::var("TONGBAN_TEST_REQUIRE_PDFTOTEXT").is_err(),
            "TONGBAN_TEST_REQUIRE_PDFTOTEXT is set but pdftotext is missing"
        );
        eprintln!("pdftotext (poppler-utils) not installed: checked the PDF's structure only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "食品经营许可",
        "办事需要带什么",
        "免提交，由电子证照库获取（营业执照）",
        "10 个工作日",
        "哈尔滨市市场监督管理局",
    ] {
        assert!(text.contains(expected), "PDF text lacks {expected}: {text}");
    }
}

#[tokio::test]
async fn export_in_national_field_names_and_import_all_or_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    // Export: JSON and CSV carry the same rows in the exchange names.
    let rows: Value = c
        .get(app.url("/api/v1/catalog/export?format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = rows.as_array().unwrap().clone();
    assert!(rows.len() >= 80);
    let food = rows
        .iter()
        .find(|r| r["task_name"] == "食品经营许可")
        .unwrap();
    for field in [
        "catalog_code",
        "task_code",
        "task_type",
        "by_law",
        "dept_code",
        "promise_day",
        "anticipate_day",
        "online_handle_depth",
        "limit_scene_num",
        "transact_addr",
    ] {
        assert!(food.get(field).is_some(), "export lacks {field}");
    }
    assert_eq!(food["promise_day"], "10");
    assert!(
        food["materials"]
            .as_str()
            .unwrap()
            .contains("营业执照*#证照:营业执照")
    );
    let r = c
        .get(app.url("/api/v1/catalog/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.bytes().await.unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert_eq!(
        tongban_core::catalog::exchange::from_csv(&csv)
            .unwrap()
            .len(),
        rows.len()
    );

    // Import into the district bureau: two new items, one broken row.
    let editor = app.signed_in("editor").await;
    let daoli = {
        use sqlx::Row;
        let r = sqlx::query(
            "SELECT credit_code FROM organizations WHERE name_zh = '哈尔滨市道里区民政局'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        r.try_get::<String, _>(0).unwrap()
    };
    let mut good = food.clone();
    good["task_code"] = Value::String(String::new());
    good["catalog_code"] = Value::String("200990100000".into());
    good["task_name"] = Value::String("冬季采暖补贴".into());
    good["dept_code"] = Value::String(daoli.clone());
    good["division_code"] = Value::String(String::new());
    let mut second = good.clone();
    second["catalog_code"] = Value::String("200990101000".into());
    second["task_name"] = Value::String("困难群众取暖救助".into());
    let mut bad = good.clone();
    bad["catalog_code"] = Value::String("200990102000".into());
    bad["promise_day"] = Value::String("30".into());
    bad["dept_code"] = Value::String("91230100MA00000000".into());
    let body = serde_json::to_vec(&vec![good.clone(), bad, second.clone()]).unwrap();
    let r = editor
        .post(app.url("/api/v1/catalog/import?format=json"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"row 2 promise_day"), "{fields:?}");
    assert!(fields.contains(&"row 2 dept_code"), "{fields:?}");
    assert!(fields.iter().all(|f| f.starts_with("row 2")), "{fields:?}");
    // Nothing was imported.
    let count = |name: &'static str| {
        let db = app.db.clone();
        async move {
            use sqlx::Row;
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM item_versions WHERE document LIKE $1")
                .bind(format!("%{name}%"))
                .fetch_one(db.pool())
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            n
        }
    };
    assert_eq!(count("冬季采暖补贴").await, 0);

    // The clean file imports as drafts; an editor may not publish on import.
    let body = serde_json::to_vec(&vec![good.clone(), second.clone()]).unwrap();
    assert_eq!(
        editor
            .post(app.url("/api/v1/catalog/import?publish=true"))
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = editor
        .post(app.url("/api/v1/catalog/import"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    assert_eq!(count("冬季采暖补贴").await, 1);
    // The same file again: every row is a duplicate; nothing changes.
    let r = editor
        .post(app.url("/api/v1/catalog/import"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(count("冬季采暖补贴").await, 1);

    // A system admin imports CSV and publishes at once; the items are public and searchable.
    let admin = app.admin().await;
    let mut third = good.clone();
    third["catalog_code"] = Value::String("200990103000".into());
    third["task_name"] = Value::String("供热投诉受理".into());
    let row: tongban_core::catalog::exchange::ExchangeRow = serde_json::from_value(third).unwrap();
    let csv = tongban_core::catalog::exchange::to_csv(&[row]).unwrap();
    let r = admin
        .post(app.url("/api/v1/catalog/import?format=csv&publish=true"))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let page: Value = c
        .get(app.url("/api/v1/items"))
        .query(&[("q", "供热投诉受理")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["name"], "供热投诉受理");
    // Not signed in: no import.
    assert_eq!(
        c.post(app.url("/api/v1/catalog/import"))
            .body("[]")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn the_import_page_lists_every_problem_by_row_and_field() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let (status, page) = app.get_text(&editor, "/admin/catalog/transfer").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"id="export-csv""#) && !page.contains(r#"id="f-publish""#),
        "editors cannot publish on import"
    );
    let row = tongban_core::catalog::exchange::ExchangeRow {
        catalog_code: "bad code".into(),
        task_name: String::new(),
        dept_code: "11230100000010161H".into(),
        promise_day: "三".into(),
        ..Default::default()
    };
    let csv = tongban_core::catalog::exchange::to_csv(&[row]).unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv).file_name("items.csv"),
    );
    let r = editor
        .post(app.url("/admin/catalog/transfer"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#"id="import-problems""#));
    for expected in [
        "<td>2</td>",
        "promise_day",
        "“三”不是数字",
        "task_name",
        "事项名称不能为空",
    ] {
        assert!(body.contains(expected), "problems table lacks {expected}");
    }
    let r = editor
        .post(app.url("/admin/catalog/transfer"))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请选择要导入的文件"));
}

#[tokio::test]
async fn a_version_takes_effect_and_is_cancelled_on_its_scheduled_dates() {
    let app = TestApp::spawn().await;
    let editor = principal(&app, "editor").await;
    let admin = principal(&app, "admin").await;
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let (item_id, v) = catalog::create_item(
        &app.db,
        Actor::Person(&editor),
        NewItem {
            catalog_code: "200990200000".into(),
            task_code: String::new(),
            org_id: org,
            division_code: String::new(),
            guide: guide("春节慰问金"),
        },
    )
    .await
    .unwrap();
    catalog::submit(&app.db, Actor::Person(&editor), v, 1)
        .await
        .unwrap();
    let now = tongban_core::platform::clock::now_ms();
    let day = 86_400_000;
    // A cancellation before the effective date is refused.
    let bad = catalog::Schedule {
        effective_at: Some(now + 2 * day),
        cancel_at: Some(now + day),
    };
    assert!(matches!(
        catalog::publish_on(&app.db, Actor::Person(&admin), v, 2, bad, now).await,
        Err(CatalogError::Invalid(_))
    ));
    let plan = catalog::Schedule {
        effective_at: Some(now + day),
        cancel_at: Some(now + 3 * day),
    };
    catalog::publish_on(&app.db, Actor::Person(&admin), v, 2, plan, now)
        .await
        .unwrap();
    let it = catalog::item(&app.db, item_id).await.unwrap().unwrap();
    assert_eq!(
        catalog::version(&app.db, v)
            .await
            .unwrap()
            .unwrap()
            .status
            .code(),
        "scheduled"
    );
    assert!(
        catalog::published(&app.db, &it.task_code)
            .await
            .unwrap()
            .is_none(),
        "not public before its date"
    );
    // Nothing happens before the date; on it, the version is published once.
    assert_eq!(
        catalog::run_schedule(&app.db, now + day - 1).await.unwrap(),
        (0, 0)
    );
    assert_eq!(
        catalog::run_schedule(&app.db, now + day).await.unwrap(),
        (1, 0)
    );
    assert_eq!(
        catalog::run_schedule(&app.db, now + day + 1).await.unwrap(),
        (0, 0)
    );
    assert!(
        catalog::published(&app.db, &it.task_code)
            .await
            .unwrap()
            .is_some()
    );
    // On the cancellation date it is withdrawn, with the reason in the trail.
    assert_eq!(
        catalog::run_schedule(&app.db, now + 3 * day).await.unwrap(),
        (0, 1)
    );
    assert!(
        catalog::published(&app.db, &it.task_code)
            .await
            .unwrap()
            .is_none()
    );
    let history = catalog::history(&app.db, item_id).await.unwrap();
    let tail: Vec<(String, String)> = history
        .iter()
        .rev()
        .take(3)
        .map(|e| (e.action.clone(), e.note.clone()))
        .collect();
    assert_eq!(
        tail,
        vec![
            ("withdrawn".into(), "计划取消".into()),
            ("published".into(), "计划生效".into()),
            ("scheduled".into(), String::new())
        ]
    );
}

#[tokio::test]
async fn situations_are_edited_in_the_form_and_shown_on_the_guide() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (_, page) = app.get_text(&editor, "/admin/catalog/new").await;
    let mut fields = form_fields(&page, "new-item-form");
    set(&mut fields, "name", "采暖费减免");
    set(&mut fields, "catalog_code", "209990300000");
    let r = editor
        .post(app.url("/admin/catalog/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    // Fill a complete guide from the empty draft, with one situation.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    for (k, v) in [
        ("item_type", "20"),
        ("legal_basis", "《哈尔滨市城市供热条例》"),
        ("conditions", "本市低保家庭"),
        ("process", "申请\n审核\n办结"),
        ("legal_limit", "10"),
        ("promised_limit", "5"),
        ("online_depth", "3"),
        ("visits", "1"),
        ("place", "道里区政务服务中心"),
        ("hours", "工作日"),
        ("consult_phone", "0451-12345"),
        ("supervise_phone", "0451-12345"),
        ("m0_name", "居民身份证"),
        ("s0_name", "委托他人办理"),
        ("s0_materials", "授权委托书*\n受托人身份证*#证照:居民身份证"),
        ("action", "submit"),
    ] {
        set(&mut f, k, v);
    }
    f.push(("handling_forms".into(), "1".into()));
    f.push(("service_objects".into(), "1".into()));
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;
    let v: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let version = catalog::version(&app.db, v).await.unwrap().unwrap();
    assert_eq!(version.guide.situations.len(), 1);
    assert_eq!(version.guide.situations[0].materials.len(), 2);
    let it = catalog::item(&app.db, version.item_id)
        .await
        .unwrap()
        .unwrap();
    let (_, guide_page) = app
        .get_text(&app.client(), &format!("/items/{}", it.task_code))
        .await;
    assert!(guide_page.contains("委托他人办理") && guide_page.contains("授权委托书"));
    // And it travels in the exchange format.
    let rows: Value = app
        .client()
        .get(app.url("/api/v1/catalog/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_name"] == "采暖费减免")
        .unwrap();
    assert_eq!(
        row["situations"],
        "委托他人办理=授权委托书*、受托人身份证*#证照:居民身份证"
    );
}

#[tokio::test]
async fn system_admins_keep_the_theme_list() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, page) = app.get_text(&admin, "/admin/catalog/themes").await;
    assert_eq!(status, 200);
    assert!(page.contains("p_birth") && page.contains("生育收养"));
    let r = admin
        .post(app.url("/admin/catalog/themes"))
        .form(&[
            ("code", "p_winter"),
            ("audience", "person"),
            ("name_zh", "冬季供暖"),
            ("name_en", "Winter heating"),
            ("sort_order", "20"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("冬季供暖"));
    let r = admin
        .post(app.url("/admin/catalog/themes"))
        .form(&[("code", "Bad Code"), ("audience", "alien"), ("name_zh", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    for expected in [
        "主题代码应为1至40位小写字母",
        "服务对象应为自然人或法人",
        "主题名称不能为空",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    // The new theme is offered when editing items, and editors cannot change the list.
    let (_, items) = app.get_text(&app.client(), "/items").await;
    assert!(items.contains("冬季供暖"));
    let editor = app.signed_in("editor").await;
    assert_eq!(app.get_text(&editor, "/admin/catalog/themes").await.0, 403);
}

#[tokio::test]
async fn system_admins_keep_the_code_lists_and_editors_guides_and_search_use_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let editor = app.signed_in("editor").await;
    assert_eq!(
        app.get_text(&editor, "/admin/catalog/code-lists").await.0,
        403
    );
    let (status, page) = app.get_text(&admin, "/admin/catalog/code-lists").await;
    assert_eq!(status, 200);
    for shipped in ["纸质或电子", "申请人自备", "Ⅳ级 全程网办", "尚无修改"] {
        assert!(page.contains(shipped), "{shipped}");
    }
    let save = |fields: Vec<(&'static str, &'static str)>| {
        admin
            .post(app.url("/admin/catalog/code-lists"))
            .form(&fields)
            .send()
    };
    // A new source, and new wording for level III.
    let r = save(vec![
        ("list", "material_source"),
        ("code", "notary"),
        ("name_zh", "公证机构出具"),
        ("name_en", "Notarised"),
        ("sort_order", "50"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("代码已保存") && body.contains("公证机构出具"));
    // The shipped sources are kept when the first one is added.
    assert!(body.contains("申请人自备"));
    let r = save(vec![
        ("list", "online_depth"),
        ("code", "3"),
        ("name_zh", "Ⅲ级 网上受理（冰城最多跑一次）"),
        ("name_en", "Level III"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // Levels are fixed by the rules; codes are checked; positions are numbers.
    let r = save(vec![
        ("list", "online_depth"),
        ("code", "5"),
        ("name_zh", "Ⅴ级"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只能修改名称"));
    let r = save(vec![
        ("list", "material_form"),
        ("code", "Bad Code"),
        ("name_zh", ""),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("代码应为1至40位") && body.contains("中文名称不能为空"));
    let r = save(vec![
        ("list", "material_form"),
        ("code", "scan"),
        ("name_zh", "扫描件"),
        ("sort_order", "第一"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let (_, page) = app.get_text(&admin, "/admin/catalog/code-lists").await;
    assert!(
        !page.contains("扫描件"),
        "nothing is saved from a refused form"
    );
    // Who changed what is kept.
    let history = &page[page.find("id=\"code-history\"").unwrap()..];
    assert!(history.contains("notary") && history.contains("孙伟（系统管理员）"));

    // The editor offers the new code, and keeps every material attribute on save.
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"<option value="notary">公证机构出具</option>"#));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "m0_source", "notary");
    set(&mut f, "m0_form", "electronic");
    set(&mut f, "m0_issuer", "哈尔滨市公证处");
    set(&mut f, "m0_note", "须在有效期内");
    set(&mut f, "action", "save");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, page) = app.get_text(&editor, &url).await;
    let f = form_fields(&page, "guide-form");
    let value = |n: &str| f.iter().find(|(k, _)| k == n).unwrap().1.clone();
    assert_eq!(value("m0_source"), "notary");
    assert_eq!(value("m0_form"), "electronic");
    assert_eq!(value("m0_issuer"), "哈尔滨市公证处");
    assert_eq!(value("m0_note"), "须在有效期内");
    // A code no list has is refused at publication, by field.
    let mut bad = f.clone();
    set(&mut bad, "m0_form", "microfilm");
    set(&mut bad, "action", "submit");
    let r = editor.post(app.url(&url)).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("材料形式代码无效"));
    // The refused submission kept the editor's text as a draft; put it right.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut good = form_fields(&page, "guide-form");
    assert_eq!(
        good.iter().find(|(k, _)| k == "m0_form").unwrap().1,
        "microfilm"
    );
    set(&mut good, "m0_form", "electronic");
    set(&mut good, "action", "submit");
    let r = editor.post(app.url(&url)).form(&good).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;

    // The guide, the list and the PDF-facing text use the configured wording.
    let (_, guide_page) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    for expected in [
        "电子 · 公证机构出具",
        "出具单位：哈尔滨市公证处",
        "须在有效期内",
        "Ⅲ级 网上受理（冰城最多跑一次）",
    ] {
        assert!(guide_page.contains(expected), "{expected}");
    }
    let (_, list) = app
        .get_text(&app.client(), "/items?theme=p_assistance")
        .await;
    assert!(list.contains("冰城最多跑一次"));
    // And the exchange format carries the attributes.
    let rows: Value = app
        .client()
        .get(app.url("/api/v1/catalog/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_code"] == code.as_str())
        .unwrap();
    assert!(
        row["materials"]
            .as_str()
            .unwrap()
            .contains("form=electronic|source=notary|issuer=哈尔滨市公证处|note=须在有效期内"),
        "{}",
        row["materials"]
    );
}

#[tokio::test]
async fn blank_forms_and_samples_are_uploaded_by_editors_and_downloaded_from_the_guide() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    // Open a new version of 最低生活保障 (city).
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"id="upload-0-blank_form""#));
    let upload = |name: &'static str, bytes: Vec<u8>, revision: String| {
        let form = reqwest::multipart::Form::new()
            .text("revision", revision)
            .text("material", "0")
            .text("kind", "blank_form")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        editor
            .post(app.url(&format!("{url}/files")))
            .multipart(form)
            .send()
    };
    // A kind not accepted is refused with the reason.
    let r = upload("virus.exe", b"MZ".to_vec(), "1".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只接受"));
    let pdf = b"%PDF-1.4 blank form of the minimum living allowance".to_vec();
    let r = upload("低保申请书.pdf", pdf.clone(), "1".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The same revision again is a conflict: someone (this upload) saved first.
    let r = upload("again.pdf", pdf.clone(), "1".into()).await.unwrap();
    assert_eq!(r.status(), 409);
    // The draft's attachment has an unguessable key and is not public: an
    // anonymous visitor gets "not found", the editor gets it, uncached.
    let (_, page) = app.get_text(&editor, &url).await;
    let key = page
        .split("href=\"/files/")
        .nth(1)
        .expect("draft link")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    let file_url = app.url(&format!("/files/{key}"));
    assert_eq!(
        app.client().get(&file_url).send().await.unwrap().status(),
        404
    );
    let r = editor.get(&file_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let citizen = app.citizen().await;
    assert_eq!(citizen.get(&file_url).send().await.unwrap().status(), 404);
    // A later save of the whole form keeps the attachment.
    let (_, page) = app.get_text(&editor, &url).await;
    let mut fields = form_fields(&page, "guide-form");
    set(&mut fields, "action", "submit");
    let r = editor
        .post(app.url(&url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    publish_as(&app, &admin, &url).await;
    let (_, guide_page) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    let href = guide_page
        .split("href=\"/files/")
        .nth(1)
        .expect("download link")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .client()
        .get(app.url(&format!("/files/{href}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=86400, immutable"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    // The clean-up, a day later, removes the upload whose save failed and
    // keeps the one the guide links.
    let later = tongban_core::platform::clock::now_ms()
        + tongban_core::platform::files::UNREFERENCED_GRACE_MS
        + 1;
    let purged = tongban_core::platform::files::purge_unreferenced(&app.db, app.data_dir(), later)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let r = app.client().get(&file_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(
        app.client()
            .get(app.url("/files/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// Opens a new draft of the city-level implementation of a published demo
/// item through the admin page; returns (task code, item id, draft URL).
async fn open_city_draft(
    app: &TestApp,
    editor: &reqwest::Client,
    name: &str,
    theme: &str,
) -> (String, i64, String) {
    use sqlx::Row;
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
    let item_id: i64 = sqlx::query("SELECT id FROM service_items WHERE task_code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
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
async fn publish_as(app: &TestApp, reviewer: &reqwest::Client, url: &str) {
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

#[tokio::test]
async fn an_item_can_require_a_real_name_level_and_the_guide_says_so() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let admin = app.admin().await;
    let (code, _, url) = open_city_draft(&app, &editor, "最低生活保障", "p_assistance").await;
    let (_, page) = app.get_text(&editor, &url).await;
    assert!(page.contains(r#"id="f-min_level""#) && page.contains("四级：窗口当面核验或数字证书"));
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "min_level", "9");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("实名等级要求应为一至四级"));
    let (_, page) = app.get_text(&editor, &url).await;
    let mut f = form_fields(&page, "guide-form");
    set(&mut f, "min_level", "2");
    set(&mut f, "action", "submit");
    let r = editor.post(app.url(&url)).form(&f).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    publish_as(&app, &admin, &url).await;
    let (_, guide) = app.get_text(&app.client(), &format!("/items/{code}")).await;
    assert!(
        guide.contains(r#"id="min-level">二级"#),
        "the guide states the level"
    );
    let rows: Value = app
        .client()
        .get(app.url("/api/v1/catalog/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_code"] == code.as_str())
        .unwrap();
    assert_eq!(row["min_level"], "2");
}

#[tokio::test]
async fn a_corrupt_stored_guide_is_an_internal_error_not_a_conflict() {
    use sqlx::Row;
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let id: i64 = sqlx::query("SELECT id FROM item_versions ORDER BY id LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    app.db
        .write(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE item_versions SET document = '{not json' WHERE id = $1")
                    .bind(id)
                    .execute(c)
                    .await?;
                Ok::<_, tongban_core::DbError>(())
            })
        })
        .await
        .unwrap();
    let r = editor
        .get(app.url(&format!("/admin/catalog/versions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("request-id"),
        "the page gives the request id to quote"
    );
    assert!(!body.contains("已被他人修改"));
}
