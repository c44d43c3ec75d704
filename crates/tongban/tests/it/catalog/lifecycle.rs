//! A version's life: drafts, review, four eyes, conflicts, codes, schedules, corrupt rows.

use super::*;

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
    // Saved as it was, its materials given codes.
    let mut coded = g.clone();
    coded.materials[0].code = "M001".into();
    coded.materials[1].code = "M002".into();
    assert_eq!(
        catalog::version(&app.db, v1).await.unwrap().unwrap().guide,
        coded
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
async fn a_corrupt_stored_guide_is_an_internal_error_not_a_conflict() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor").await;
    let id: i64 =
        tongban_core::platform::db::query("SELECT id FROM item_versions ORDER BY id LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    app.db
        .write(move |c| {
            Box::pin(async move {
                tongban_core::platform::db::query(
                    "UPDATE item_versions SET document = '{not json' WHERE id = $1",
                )
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

#[tokio::test]
async fn guides_stored_before_material_codes_get_them_once_consistently_across_versions() {
    let app = TestApp::spawn().await;
    let editor = principal(&app, "editor").await;
    let org = app.org_id("哈尔滨市道里区民政局").await;
    let mut g = guide("高龄津贴");
    g.materials = ["居民身份证", "户口簿", "照片"]
        .into_iter()
        .map(|n| Material {
            name: n.into(),
            required: true,
            ..Material::default()
        })
        .collect();
    let new = NewItem {
        catalog_code: "200990001000".into(),
        task_code: String::new(),
        org_id: org,
        division_code: String::new(),
        guide: g.clone(),
    };
    let (item_id, v1) = catalog::create_item(&app.db, Actor::Person(&editor), new)
        .await
        .unwrap();
    // A second version: 户口簿 dropped, 居民身份证 moved last, 证明 added.
    let mut g2 = g.clone();
    g2.materials = vec![
        g.materials[2].clone(),
        Material {
            name: "证明".into(),
            ..Material::default()
        },
        g.materials[0].clone(),
    ];
    // Both stored as guides were before materials had codes.
    let strip = |guide: &Guide| {
        let mut old = guide.clone();
        old.materials.iter_mut().for_each(|m| m.code.clear());
        serde_json::to_string(&old).unwrap()
    };
    let (d1, d2) = (strip(&g), strip(&g2));
    let v2 = app
        .db
        .write(tongban_core::tx!(c => {
            tongban_core::platform::db::query("UPDATE item_versions SET document = $1 WHERE id = $2")
                .bind(&d1)
                .bind(v1)
                .execute(&mut *c)
                .await?;
            let v2: i64 = tongban_core::platform::db::query(
                "INSERT INTO item_versions (item_id, version_no, status, document, revision, created_at, updated_at) \
                 VALUES ($1, 2, 'draft', $2, 1, 0, 0) RETURNING id",
            )
            .bind(item_id)
            .bind(&d2)
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?;
            tongban_core::platform::db::query("DELETE FROM data_upgrades").execute(&mut *c).await?;
            Ok::<_, tongban_core::DbError>(v2)
        }))
        .await
        .unwrap();
    let upgraded = catalog::materials::upgrade_codes(&app.db).await.unwrap();
    assert!(upgraded >= 2, "{upgraded}");
    let codes = |id: i64| {
        let db = app.db.clone();
        async move {
            catalog::version(&db, id)
                .await
                .unwrap()
                .unwrap()
                .guide
                .materials
                .into_iter()
                .map(|m| format!("{}={}", m.code, m.name))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        codes(v1).await,
        ["M001=居民身份证", "M002=户口簿", "M003=照片"]
    );
    assert_eq!(
        codes(v2).await,
        ["M003=照片", "M004=证明", "M001=居民身份证"]
    );
    // Once only.
    assert_eq!(catalog::materials::upgrade_codes(&app.db).await.unwrap(), 0);
}
